package answer

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/plan/plantest"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

var shanghai = plantest.Shanghai

// seedCatalog loads the real 2023 seed plan.
func seedCatalog(tb testing.TB) *plan.Catalog { return plantest.Seed(tb) }

func day(tb testing.TB, s string) time.Time { return plantest.Day(tb, s) }

// Ids of the seed plan, for readability.
var (
	march     = []string{"1", "4", "5", "6", "7", "8", "9", "10", "17"}
	noWin     = []string{"2", "3", "13"}
	windowed  = []string{"1", "4", "5", "6", "7", "8", "9", "10", "11", "14", "15-1", "15-2", "16", "17"}
	q2        = []string{"1", "4", "5", "6", "7", "8", "9", "10", "14", "15-1", "15-2", "17"}
	december  = []string{"1", "4", "5", "6", "7", "17"}
	cityItems = []string{"4", "5", "6", "7", "8", "11", "14", "15-1", "15-2", "16", "17"}
	riskItems = []string{"1", "4", "5", "6", "7", "8", "9", "10", "11", "14", "15-1", "16", "17"}
	november  = []string{"1", "4", "5", "6", "7", "8", "9", "10", "14", "15-1", "15-2", "17"}
	closeNov  = []string{"8", "9", "10", "14", "15-1", "15-2"} // windows ending in November
)

type answerCase struct {
	q   string
	now string // default 2023-03-15
	// noPlan is the year asked about when no plan is loaded for it: the
	// answer's first line must say so, and nothing after it may name a year
	// but the 2023 plan's own. 0: the answer must not say so.
	noPlan   int
	sections []string
	days     int
	kind     AnswerKind
	items    []string // Answer.Items
	nw       []string // Answer.NoWindow
	details  []string
	alts     []string
	related  []string // Answer.Related: 其他相关任务
	attr     question.Attr
	text     []string // substrings of the rendered markdown
	notText  []string
}

var answerCases = []answerCase{
	// Time: this month, and the example.
	{q: "本月哪些抽查任务", kind: AnswerList, items: march, nw: noWin, text: []string{"## 2023年3月正在进行的抽查任务（9项）", "**未注明起止时间（全年可查）**", "**7** 对强制性产品认证活动的双随机抽查｜10%｜3月-12月｜市局", "均为一年一次"}, notText: []string{"依据"}},
	{q: "请问一下，本月有那些抽查任务？", kind: AnswerList, items: march, nw: noWin},
	{q: "这个月的任务", kind: AnswerList, items: march, nw: noWin},
	{q: "当月 抽查", kind: AnswerList, items: march, nw: noWin},
	{q: "帮我查一下这个月有哪些检查任务呢", kind: AnswerList, items: march, nw: noWin},
	{q: "正在进行的任务", kind: AnswerList, items: march, nw: noWin, text: []string{"正在进行"}},
	{q: "现在有哪些任务", kind: AnswerList, items: march, nw: noWin},
	{q: "进行中的", kind: AnswerList, items: march, nw: noWin},
	{q: "下个月哪些任务", kind: AnswerList, items: march, nw: noWin, text: []string{"2023年4月在抽查期内的抽查任务（9项）"}},
	{q: "下月", kind: AnswerList, items: march, nw: noWin},
	{q: "上个月的任务", kind: AnswerList, items: []string{"1"}, nw: noWin, text: []string{"2023年2月"}},
	{q: "上月", kind: AnswerList, items: []string{"1"}, nw: noWin},
	{q: "7月", kind: AnswerList, items: windowed, nw: noWin, text: []string{"2023年7月在抽查期内的抽查任务（14项）"}},
	{q: "七月份有哪些抽查", kind: AnswerList, items: windowed, nw: noWin},
	{q: "十二月", kind: AnswerList, items: december, nw: noWin},
	{q: "12月份的任务", kind: AnswerList, items: december, nw: noWin},
	{q: "１２月", kind: AnswerList, items: december, nw: noWin},
	{q: "1月", kind: AnswerList, items: nil, nw: noWin, text: []string{"（0项）", "没有起止时间符合"}},
	{q: "第二季度", kind: AnswerList, items: q2, nw: noWin, text: []string{"第二季度（4月-6月）"}},
	{q: "二季度的任务", kind: AnswerList, items: q2, nw: noWin},
	{q: "Q2", kind: AnswerList, items: q2, nw: noWin},
	{q: "ｑ２", kind: AnswerList, items: q2, nw: noWin},
	{q: "第四季度", kind: AnswerList, items: []string{"1", "4", "5", "6", "7", "8", "9", "10", "11", "14", "15-1", "15-2", "17"}, nw: noWin},
	{q: "第一季度", kind: AnswerList, items: march, nw: noWin},
	{q: "本季度", kind: AnswerList, items: march, nw: noWin},
	{q: "上半年", kind: AnswerList, items: q2, nw: noWin},
	{q: "下半年", kind: AnswerList, items: windowed, nw: noWin},
	{q: "7月到9月", kind: AnswerList, items: windowed, nw: noWin},
	{q: "今年剩下的", now: "2023-11-15", kind: AnswerList, items: []string{"1", "4", "5", "6", "7", "8", "9", "10", "14", "15-1", "15-2", "17"}, nw: noWin, text: []string{"2023年11月-12月尚未结束"}},
	{q: "今年还有哪些", now: "2023-11-15", kind: AnswerList, items: []string{"1", "4", "5", "6", "7", "8", "9", "10", "14", "15-1", "15-2", "17"}, nw: noWin},
	{q: "剩下的任务", now: "2023-12-10", kind: AnswerList, items: december, nw: noWin},
	{q: "今年的任务", kind: AnswerList, items: windowed, nw: noWin, text: []string{"2023年度全部抽查任务（17项）"}},
	{q: "全年", kind: AnswerList, items: windowed, nw: noWin},
	{q: "所有任务", kind: AnswerList, items: windowed, nw: noWin},

	// Window events.
	{q: "本月开始的", kind: AnswerList, items: []string{"4", "5", "6", "7", "8", "9", "10", "17"}, text: []string{"2023年3月开始的抽查任务（8项）"}},
	{q: "本月开始", kind: AnswerList, items: []string{"4", "5", "6", "7", "8", "9", "10", "17"}},
	{q: "开始的", kind: AnswerList, items: []string{"4", "5", "6", "7", "8", "9", "10", "17"}},
	{q: "本月截止的", kind: AnswerList, items: nil, text: []string{"没有符合条件"}},
	{q: "本月截止的", now: "2023-11-10", kind: AnswerList, items: []string{"8", "9", "10", "14", "15-1", "15-2"}, text: []string{"2023年11月截止的"}},
	{q: "本月结束", now: "2023-09-05", kind: AnswerList, items: []string{"16"}},
	{q: "十二月截止的", kind: AnswerList, items: december, nw: noWin},
	{q: "七月开始的", kind: AnswerList, items: []string{"11", "16"}},
	{q: "快到期的", kind: AnswerList, items: nil, alts: []string{"16"}, text: []string{"30天内（3月15日-4月14日）截止", "9月30日截止"}},
	{q: "快到期的", now: "2023-09-10", kind: AnswerList, items: []string{"16"}},
	{q: "即将截止", now: "2023-10-15", kind: AnswerList, items: []string{"11"}},
	{q: "快截止的任务", now: "2023-11-15", kind: AnswerList, items: []string{"8", "9", "10", "14", "15-1", "15-2"}},
	{q: "快到期的", now: "2023-09-10", days: 60, kind: AnswerList, items: []string{"11", "16"}, text: []string{"60天内"}},
	{q: "快到期的", now: "2023-12-05", kind: AnswerList, items: december, nw: noWin},
	{q: "这周", now: "2023-03-01", kind: AnswerList, items: []string{"4", "5", "6", "7", "8", "9", "10", "17"}, text: []string{"本周（2月27日-3月5日）开始或截止"}},
	{q: "本周", now: "2023-09-27", kind: AnswerList, items: []string{"16"}},
	{q: "这周开始的", now: "2023-05-03", kind: AnswerList, items: []string{"15-1", "15-2"}},
	{q: "即将开始", now: "2023-04-20", kind: AnswerList, items: []string{"15-1", "15-2"}},
	{q: "下周", now: "2023-02-22", kind: AnswerList, items: []string{"4", "5", "6", "7", "8", "9", "10", "17"}},

	// Departments and sections.
	{q: "计量科", kind: AnswerList, items: []string{"1"}, nw: []string{"2", "3"}, text: []string{"计量科牵头或指导的抽查任务（3项）"}},
	{q: "计量科的任务", kind: AnswerList, items: []string{"1"}, nw: []string{"2", "3"}},
	{q: "消保科", kind: AnswerList, items: []string{"9", "10"}},
	{q: "消费者权益保护科有哪些任务", kind: AnswerList, items: []string{"9", "10"}},
	{q: "特种设备安全监察科", kind: AnswerList, items: []string{"17"}},
	{q: "特种设备科", kind: AnswerList, items: []string{"17"}},
	{q: "特设科的任务", kind: AnswerList, items: []string{"17"}},
	{q: "县区局的任务", kind: AnswerList, items: []string{"1", "9", "10"}, nw: []string{"3", "13"}, text: []string{"各县区局发起的"}},
	{q: "各地发起的任务", kind: AnswerList, items: []string{"1", "9", "10"}, nw: []string{"3", "13"}},
	{q: "市局的任务", kind: AnswerList, items: cityItems, nw: []string{"2"}},
	{q: "市市场监管局", kind: AnswerList, items: cityItems, nw: []string{"2"}},
	{q: "市市场监督管理局发起的", kind: AnswerList, items: cityItems, nw: []string{"2"}},
	{q: "计量科本月的任务", kind: AnswerList, items: []string{"1"}, nw: []string{"2", "3"}},
	{q: "消保科12月的任务", kind: AnswerList, items: nil, alts: []string{"9", "10"}},

	// Subjects with synonyms.
	{q: "加油站", kind: AnswerList, items: []string{"1"}},
	{q: "眼镜店", kind: AnswerList, items: []string{"1"}, text: []string{"“眼镜制配”"}},
	// Traditional characters read as simplified.
	{q: "眼鏡店", kind: AnswerList, items: []string{"1"}, text: []string{"“眼镜制配”"}},
	{q: "任務7", kind: AnswerDetail, details: []string{"7"}, text: []string{"## 任务7 对强制性产品认证活动的双随机抽查"}},
	{q: "本月哪些抽查任務", kind: AnswerList, items: march, nw: noWin, text: []string{"## 2023年3月正在进行的抽查任务（9项）"}},
	{q: "配镜的任务", kind: AnswerList, items: []string{"1"}},
	{q: "医院", kind: AnswerList, items: []string{"1"}, text: []string{"“医疗机构”"}},
	{q: "钢筋", kind: AnswerList, items: []string{"14"}},
	{q: "广告", kind: AnswerList, items: []string{"11"}, nw: []string{"13"}},
	{q: "食品", kind: AnswerList, items: []string{"4", "15-1"}},
	{q: "认证", kind: AnswerList, items: []string{"6", "7"}},
	{q: "3C认证", kind: AnswerList, items: []string{"7"}},
	{q: "文物", kind: AnswerList, items: []string{"9"}},
	{q: "直销", kind: AnswerList, items: []string{"16"}},
	{q: "特种设备", kind: AnswerList, items: []string{"17"}},
	{q: "电梯", kind: AnswerList, items: []string{"17"}},
	{q: "拍卖", kind: AnswerList, items: []string{"8"}},
	{q: "野生动物", kind: AnswerList, items: []string{"10"}},
	{q: "计量", kind: AnswerList, items: []string{"1"}, nw: []string{"2", "3"}},
	{q: "检验检测机构", kind: AnswerList, items: []string{"5"}},
	{q: "粮食", kind: AnswerList, items: []string{"1"}, nw: []string{"2"}},
	{q: "保健食品", kind: AnswerList, items: []string{"4"}},
	{q: "酒厂", kind: AnswerList, items: []string{"4"}},
	{q: "工业产品", kind: AnswerList, items: []string{"15-2", "15-1"}}, // best match first: 15-2's matter and scope name it too
	{q: "生产许可证", kind: AnswerList, items: []string{"15-2", "17", "15-1"}},
	{q: "计量单位", kind: AnswerList, items: nil, nw: []string{"3"}, text: []string{"（1项）"}},
	{q: "电视台", kind: AnswerList, items: []string{"11"}},
	// 11's scope lists 个体工商户 among many: a broader match.
	{q: "个体工商户", kind: AnswerList, items: []string{"8", "9", "10"}, nw: []string{"13"}, related: []string{"11"}, text: []string{"\n**其他相关任务**\n**11** 广告发布单位的双随机抽查"}},
	{q: "集贸市场有哪些", kind: AnswerList, items: []string{"1"}},
	{q: "本月的食品任务", kind: AnswerList, items: []string{"4"}},
	{q: "1月开始的广告", kind: AnswerList, items: nil, nw: []string{"13"}},
	{q: "2月开始的广告", kind: AnswerList, items: nil, alts: []string{"11", "13"}, text: []string{"不限时间时的相关任务"}},

	// A task by number.
	{q: "任务7", kind: AnswerDetail, details: []string{"7"}, text: []string{"## 任务7 对强制性产品认证活动的双随机抽查", "**抽查比例及频次**：10%/一年一次", "3月-12月", "按信用风险分类递加"}},
	{q: "第7项", kind: AnswerDetail, details: []string{"7"}},
	// Several tasks in one question: each is answered, none dropped.
	{q: "任务7和任务8", kind: AnswerDetail, details: []string{"7", "8"}, text: []string{"## 任务7、8（共2项）", "**【7】对强制性产品认证活动的双随机抽查**", "**【8】拍卖活动检查**"}},
	{q: "7、8、9", kind: AnswerDetail, details: []string{"7", "8", "9"}, text: []string{"## 任务7、8、9（共3项）", "**【9】文物经营活动检查**"}},
	{q: "任务7，8", kind: AnswerDetail, details: []string{"7", "8"}},
	{q: "7和8", kind: AnswerDetail, details: []string{"7", "8"}},
	{q: "第七项和第八项", kind: AnswerDetail, details: []string{"7", "8"}},
	{q: "15-2和16", kind: AnswerDetail, details: []string{"15-2", "16"}},
	{q: "任务十五和任务16", kind: AnswerDetail, details: []string{"15-1", "15-2", "16"}},
	{q: "任務7和任務8", kind: AnswerDetail, details: []string{"7", "8"}},
	{q: "任务7和任务8的比例", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"7", "8"}, text: []string{"任务7、8的抽查比例及频次"}},
	{q: "任务7和任务8什么时候", kind: AnswerAttribute, attr: question.AttrWindow, items: []string{"7", "8"}},
	{q: "任务7和任务99", kind: AnswerDetail, details: []string{"7"}, text: []string{"没有任务99"}},
	{q: "任务12和任务99", kind: AnswerNotFound},
	{q: "7号任务", kind: AnswerDetail, details: []string{"7"}},
	{q: "第七项", kind: AnswerDetail, details: []string{"7"}},
	{q: "7", kind: AnswerDetail, details: []string{"7"}},
	{q: "任务十五", kind: AnswerDetail, details: []string{"15-1", "15-2"}, text: []string{"任务15 工业产品生产许可证产品生产企业检查（共2项）"}},
	{q: "15-2", kind: AnswerDetail, details: []string{"15-2"}, text: []string{"未提出信用风险分类要求", "5月-11月"}},
	{q: "任务15-1", kind: AnswerDetail, details: []string{"15-1"}, text: []string{"100%/一年一次"}},
	{q: "１５－２", kind: AnswerDetail, details: []string{"15-2"}},
	{q: "第十七项", kind: AnswerDetail, details: []string{"17"}, text: []string{"特种设备安全监察科（牵头）"}},
	{q: "任务14", kind: AnswerDetail, details: []string{"14"}, text: []string{"分类递加", "原文不完整", "较高风险、"}},
	{q: "任务2", kind: AnswerDetail, details: []string{"2"}, text: []string{"未注明起止时间", "不低于30%", "计量科（牵头）"}},
	{q: "任务4", kind: AnswerDetail, details: []string{"4"}, text: []string{"计划抽取10户"}},
	{q: "任务12", kind: AnswerNotFound, text: []string{"2023年度计划中没有任务12", "1-11、13-17", "15-1、15-2"}},
	{q: "15-3", kind: AnswerNotFound, text: []string{"没有任务15-3", "任务15包含15-1、15-2"}},
	{q: "任务99", kind: AnswerNotFound},

	// Questions about one task.
	{q: "拍卖抽多少", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"8"}, text: []string{"**30%/一年一次**", "抽查比例30%"}},
	{q: "拍卖的比例", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"8"}},
	{q: "加油站抽查比例是多少", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"1"}, text: []string{"不低于5%"}},
	{q: "食品抽多少", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"4", "15-1"}},
	{q: "直销什么时候查", kind: AnswerAttribute, attr: question.AttrWindow, items: []string{"16"}, text: []string{"7月-9月"}},
	{q: "广告什么时候", kind: AnswerAttribute, attr: question.AttrWindow, items: []string{"11", "13"}, text: []string{"未注明起止时间"}},
	{q: "任务16什么时候开始", kind: AnswerAttribute, attr: question.AttrWindow, items: []string{"16"}},
	{q: "文物谁发起", kind: AnswerAttribute, attr: question.AttrDept, items: []string{"9"}, text: []string{"**各县区局**发起，消保科指导"}},
	{q: "钢筋归哪个部门", kind: AnswerAttribute, attr: question.AttrDept, items: []string{"14"}},
	{q: "野生动物交易检查谁负责", kind: AnswerAttribute, attr: question.AttrDept, items: []string{"10"}},
	{q: "任务7的比例", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"7"}},
	{q: "加油站怎么抽查", kind: AnswerDetail, details: []string{"1"}, text: []string{"集贸市场、加油站", "不低于5%"}},
	{q: "牙膏抽多少", kind: AnswerNotFound, text: []string{"牙膏"}},

	// Every attribute of the plan can be asked for; "未注明" where the plan
	// is silent.
	{q: "任务4的牵头科室", kind: AnswerAttribute, attr: question.AttrSection, items: []string{"4"}, text: []string{"## 任务4 对重点食品生产企业的监督检查\n牵头/指导科室：**未注明**（发起部门：市市场监督管理局）"}},
	{q: "文物归哪个科室指导", kind: AnswerAttribute, attr: question.AttrSection, items: []string{"9"}, text: []string{"牵头/指导科室：**消保科**指导"}},
	{q: "任务17谁牵头", kind: AnswerAttribute, attr: question.AttrSection, items: []string{"17"}, text: []string{"**特种设备安全监察科**牵头"}},
	{q: "任务8的抽查对象范围", kind: AnswerAttribute, attr: question.AttrScope, items: []string{"8"}, text: []string{"## 任务8 拍卖活动检查\n抽查对象范围：企业、个体工商户"}},
	{q: "加油站的检查范围", kind: AnswerAttribute, attr: question.AttrScope, items: []string{"1"}, text: []string{"本辖区集贸市场、加油站"}},
	{q: "眼镜店查啥", kind: AnswerAttribute, attr: question.AttrMatter, items: []string{"1"}, notText: []string{"未能识别"}},
	{q: "拍卖查什么", kind: AnswerAttribute, attr: question.AttrMatter, items: []string{"8"}, text: []string{"抽查事项：拍卖活动经营资格检查"}},
	{q: "任务16的抽查事项", kind: AnswerAttribute, attr: question.AttrMatter, items: []string{"16"}, text: []string{"直销行为检查"}},
	{q: "任务7的频次", kind: AnswerAttribute, attr: question.AttrFrequency, items: []string{"7"}, text: []string{"抽查频次：**一年一次**"}},
	{q: "直销一年查几次", kind: AnswerAttribute, attr: question.AttrFrequency, items: []string{"16"}, text: []string{"**一年一次**"}},
	{q: "任务7的比例及频次", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"7"}, text: []string{"**10%/一年一次**"}},
	{q: "任务2的信用风险要求", kind: AnswerAttribute, attr: question.AttrRisk, items: []string{"2"}, text: []string{"信用风险分类要求：**未注明**（未提出信用风险分类要求，按计划比例统一随机抽取）"}},
	{q: "任务7的信用风险分类要求", kind: AnswerAttribute, attr: question.AttrRisk, items: []string{"7"}, text: []string{"按信用风险分类递加", "> 原文：根据企业信用风险分类结果"}},
	{q: "任务7按风险分类吗", kind: AnswerAttribute, attr: question.AttrRisk, items: []string{"7"}},
	{q: "任务2什么时候", kind: AnswerAttribute, attr: question.AttrWindow, items: []string{"2"}, text: []string{"**未注明起止时间（全年可查）**"}},
	{q: "任务7和任务8的抽查事项", kind: AnswerAttribute, attr: question.AttrMatter, items: []string{"7", "8"}, text: []string{"## 任务7、8的抽查事项\n**7** 对强制性产品认证活动的双随机抽查：强制性产品认证活动"}},
	// A question about one item's attribute answers for the best-matching
	// item; broader matches follow under 其他相关任务.
	{q: "特种设备生产许可证抽多少", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"17"}, text: []string{"## 任务17 对特种设备生产许可证获证企业常规监督检查的双随机抽查\n抽查比例及频次：**20%/一年一次**"}},
	{q: "工业产品生产许可资格抽多少", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"15-2", "15-1"}, related: []string{"17"}, text: []string{"\n**其他相关任务**\n**17** "}},

	// Lists.
	{q: "没有时间的任务", kind: AnswerList, items: noWin, text: []string{"未注明起止时间（全年可查）的抽查任务（3项）"}},
	{q: "未注明起止时间的任务", kind: AnswerList, items: noWin},
	{q: "没有规定起止时间的任务", kind: AnswerList, items: noWin, text: []string{"未注明起止时间（全年可查）的抽查任务（3项）"}},
	{q: "哪些任务没写时间", kind: AnswerList, items: noWin},
	{q: "未明确日期的任务", kind: AnswerList, items: noWin},
	{q: "不限时间的任务", kind: AnswerList, items: noWin},
	{q: "没有注明日期的", kind: AnswerList, items: noWin},
	{q: "未注明时间的", kind: AnswerList, items: noWin},
	{q: "时间不限的任务", kind: AnswerList, items: noWin},
	{q: "計量科沒寫日期的任務", kind: AnswerList, items: []string{"2", "3"}, text: []string{"计量科牵头或指导的未注明起止时间"}},
	{q: "全年可查的任务", kind: AnswerList, items: noWin},
	{q: "按风险", kind: AnswerList, items: riskItems},
	{q: "信用风险分类递加的任务", kind: AnswerList, items: riskItems},
	{q: "不按风险的任务", kind: AnswerList, items: []string{"15-2"}, nw: noWin},
	{q: "比例100%的", kind: AnswerList, items: []string{"14", "15-1"}},
	{q: "全部抽查的", kind: AnswerList, items: []string{"14", "15-1"}},
	{q: "比例30%以上", kind: AnswerList, items: []string{"8", "9", "10", "11", "14", "15-1", "15-2", "16"}, nw: []string{"2"}},
	{q: "比例10%以下的", kind: AnswerList, items: []string{"1", "4", "5", "6", "7"}, nw: []string{"3", "13"}},
	{q: "比例30%以上的广告", kind: AnswerList, items: []string{"11"}},

	// Help, the asker's department, unknown.
	{q: "帮助", kind: AnswerHelp, text: []string{"本月哪些抽查任务"}},
	{q: "你能做什么", kind: AnswerHelp},
	{q: "我科室的任务", kind: AnswerUnknownDept, text: []string{"计量科的任务"}},
	{q: "我科室的任务", sections: []string{"计量科"}, kind: AnswerList, items: []string{"1"}, nw: []string{"2", "3"}},
	{q: "我们科室有哪些任务", sections: []string{"潞州区"}, kind: AnswerList, items: []string{"1", "9", "10"}, nw: []string{"3", "13"}},
	{q: "我科室的任务", sections: []string{"办公室"}, kind: AnswerUnknownDept, text: []string{"办公室"}},
	{q: "我科室本月的任务", sections: []string{"消保科"}, kind: AnswerList, items: []string{"9", "10"}},
	{q: "天气怎么样", kind: AnswerUnknown, text: []string{"帮助"}},
	{q: "化妆品", kind: AnswerUnknown, text: []string{"没有找到与“化妆品”有关", "加油站"}},
	{q: "医疗器械", kind: AnswerUnknown, text: []string{"没有找到与“医疗器械”有关"}},
	{q: "近期截止的任务", now: "2023-09-10", kind: AnswerList, items: []string{"16"}},
	{q: "最近要开始的", now: "2023-04-20", kind: AnswerList, items: []string{"15-1", "15-2"}},
	{q: "2023年3月的任务", now: "2024-05-01", kind: AnswerList, items: march, nw: noWin, notText: []string{"依据", "未能识别"}},
	{q: "2022年的任务", noPlan: 2022, kind: AnswerList, items: windowed, nw: noWin, text: []string{"依据2023年度计划"}},
	{q: "本月还有哪些任务没完成", kind: AnswerList, items: march, nw: noWin, notText: []string{"未能识别"}},
	// A word not used is noted in one line after the answer, never first.
	{q: "本月的牙膏任务", kind: AnswerList, items: march, nw: noWin, text: []string{"一年一次；市局即市市场监督管理局。</font>\n（未能识别“牙膏”，已忽略。）"}, notText: []string{"## （未能识别"}},
	{q: "牙膏和加油站", kind: AnswerList, items: []string{"1"}, text: []string{"\n（未能识别“牙膏”，已忽略。）"}},
	{q: "牙膏、肥皂、洗发水、拖鞋和加油站", kind: AnswerList, items: []string{"1"}, text: []string{"\n（未能识别“牙膏”、“肥皂”、“洗发水”等，已忽略。）"}},
	{q: "本月哪些任务呢", kind: AnswerList, items: march, nw: noWin, notText: []string{"未能识别"}},
	// Talk around the question changes nothing: no note.
	{q: "领导让我问下本月的任务来着", kind: AnswerList, items: march, nw: noWin, notText: []string{"未能识别"}},
	{q: "我想看看拍卖抽多少", kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"8"}, notText: []string{"未能识别"}},

	// Another year's clock answers from the 2023 plan and says so.
	{q: "本月哪些抽查任务", now: "2024-03-15", noPlan: 2024, kind: AnswerList, items: march, nw: noWin, text: []string{"依据2023年度计划"}},
	{q: "下个月", now: "2023-12-20", noPlan: 2024, kind: AnswerList, items: nil, nw: noWin, text: []string{"依据2023年度计划"}},

	// No plan for the year asked about (a 2026 or 2024 clock, or a question
	// naming such a year): the answer says so first, then what the 2023 plan
	// says for the same month, under headings naming the 2023 plan.
	// By time.
	{q: "本月哪些抽查任务", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: november, nw: noWin, text: []string{"**尚未导入2026年度抽查计划。**以下依据2023年度计划，仅供参考。\n## 2023年度计划中11月在抽查期内的抽查任务（12项）\n**1** "}, notText: []string{"正在进行"}},
	{q: "本月哪些抽查任务", now: "2024-03-15", noPlan: 2024, kind: AnswerList, items: march, nw: noWin, text: []string{"## 2023年度计划中3月在抽查期内的抽查任务（9项）"}},
	{q: "正在进行的任务", now: "2026-03-15", noPlan: 2026, kind: AnswerList, items: march, nw: noWin, notText: []string{"正在进行"}},
	{q: "下个月", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: december, nw: noWin, text: []string{"2023年度计划中12月在抽查期内的"}},
	{q: "下个月", now: "2026-12-10", noPlan: 2027, kind: AnswerList, items: nil, nw: noWin, text: []string{"2023年度计划中1月在抽查期内的抽查任务（0项）"}},
	{q: "上个月的任务", now: "2024-03-15", noPlan: 2024, kind: AnswerList, items: []string{"1"}, nw: noWin, text: []string{"2023年度计划中2月"}},
	{q: "7月", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: windowed, nw: noWin, text: []string{"## 2023年度计划中7月在抽查期内的抽查任务（14项）"}},
	{q: "十二月", now: "2024-07-10", noPlan: 2024, kind: AnswerList, items: december, nw: noWin},
	{q: "第二季度", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: q2, nw: noWin, text: []string{"2023年度计划中第二季度（4月-6月）在抽查期内的"}},
	{q: "本季度", now: "2024-02-10", noPlan: 2024, kind: AnswerList, items: march, nw: noWin, text: []string{"2023年度计划中第一季度（1月-3月）"}},
	{q: "下半年", now: "2024-03-15", noPlan: 2024, kind: AnswerList, items: windowed, nw: noWin, text: []string{"2023年度计划中下半年（7月-12月）在抽查期内的"}},
	{q: "今年剩下的", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: november, nw: noWin, text: []string{"2023年度计划中11月-12月在抽查期内的"}, notText: []string{"尚未结束"}},
	{q: "今年的任务", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: windowed, nw: noWin, text: []string{"## 2023年度计划中全部抽查任务（17项）"}},
	{q: "2024年的计划", now: "2026-11-15", noPlan: 2024, kind: AnswerList, items: windowed, nw: noWin, text: []string{"**尚未导入2024年度抽查计划。**以下依据2023年度计划，仅供参考。\n## 2023年度计划中全部抽查任务（17项）"}},
	{q: "2024年的计划", noPlan: 2024, kind: AnswerList, items: windowed, nw: noWin},
	{q: "2026年7月的任务", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: windowed, nw: noWin, text: []string{"2023年度计划中7月在抽查期内的"}},
	// A question about 2023 itself is answered normally.
	{q: "2023年7月的任务", now: "2026-11-15", kind: AnswerList, items: windowed, nw: noWin, text: []string{"## 2023年7月在抽查期内的抽查任务（14项）"}, notText: []string{"参考"}},
	{q: "2023年的计划", now: "2024-03-15", kind: AnswerList, items: windowed, nw: noWin, text: []string{"## 2023年度全部抽查任务（17项）"}},
	{q: "2023年任务7", now: "2026-11-15", kind: AnswerDetail, details: []string{"7"}, text: []string{"## 任务7 对强制性产品认证活动的双随机抽查\n"}},
	// Window events.
	{q: "本月开始的", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: nil, text: []string{"2023年度计划中11月开始的抽查任务（0项）"}},
	{q: "本月开始的", now: "2024-03-15", noPlan: 2024, kind: AnswerList, items: []string{"4", "5", "6", "7", "8", "9", "10", "17"}, text: []string{"2023年度计划中3月开始的"}},
	{q: "本月截止的", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: closeNov, text: []string{"2023年度计划中11月截止的抽查任务（6项）"}},
	{q: "快到期的", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: closeNov, text: []string{"## 2023年度计划中11月15日-12月15日截止的抽查任务（6项）"}},
	{q: "快到期的", now: "2024-09-10", noPlan: 2024, kind: AnswerList, items: []string{"16"}},
	{q: "快到期的", now: "2024-03-15", noPlan: 2024, kind: AnswerList, items: nil, alts: []string{"16"}, text: []string{"之后最先截止的任务（2023年9月30日截止）"}},
	{q: "即将开始", now: "2024-04-20", noPlan: 2024, kind: AnswerList, items: []string{"15-1", "15-2"}, text: []string{"2023年度计划中4月20日-5月20日开始的"}},
	{q: "这周", now: "2024-02-28", noPlan: 2024, kind: AnswerList, items: []string{"4", "5", "6", "7", "8", "9", "10", "17"}, text: []string{"2023年度计划中2月26日-3月4日（对应本周）开始或截止的"}},
	{q: "本周", now: "2026-09-28", noPlan: 2026, kind: AnswerList, items: []string{"16"}},
	{q: "本周", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: nil, alts: closeNov, text: []string{"之后最先开始或截止的任务（2023年11月30日开始或截止）"}},
	{q: "下周", now: "2026-12-30", noPlan: 2027, kind: AnswerList, items: nil, alts: []string{"1"}, text: []string{"2023年度计划中1月4日-1月10日（对应下周）", "（2023年2月1日开始或截止）"}},
	// Departments.
	{q: "计量科的任务", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: []string{"1"}, nw: []string{"2", "3"}, text: []string{"## 2023年度计划中计量科牵头或指导的抽查任务（3项）"}},
	{q: "县区局的任务", now: "2024-03-15", noPlan: 2024, kind: AnswerList, items: []string{"1", "9", "10"}, nw: []string{"3", "13"}, text: []string{"2023年度计划中各县区局发起的"}},
	{q: "消保科本月的任务", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: []string{"9", "10"}, text: []string{"2023年度计划中11月在抽查期内的消保科牵头或指导的"}},
	{q: "我科室的任务", now: "2026-11-15", sections: []string{"计量科"}, noPlan: 2026, kind: AnswerList, items: []string{"1"}, nw: []string{"2", "3"}},
	{q: "我科室的任务", now: "2026-11-15", sections: []string{"办公室"}, noPlan: 2026, kind: AnswerUnknownDept, text: []string{"2023年度计划中没有办公室"}},
	{q: "我科室的任务", now: "2026-11-15", kind: AnswerUnknownDept},
	// Subjects and other lists.
	{q: "加油站", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: []string{"1"}, text: []string{"2023年度计划中与“加油站”有关的"}},
	{q: "没有时间的任务", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: noWin, text: []string{"2023年度计划中未注明起止时间（全年可查）的抽查任务（3项）"}},
	{q: "比例100%的", now: "2024-07-10", noPlan: 2024, kind: AnswerList, items: []string{"14", "15-1"}},
	// Task details: the plan's own numbers and window dates.
	{q: "任务7", now: "2026-11-15", noPlan: 2026, kind: AnswerDetail, details: []string{"7"}, text: []string{"## 2023年度计划中的任务7 对强制性产品认证活动的双随机抽查", "**抽查检查起止时间**：3月-12月（2023年3月1日至12月31日）"}},
	{q: "任务7", now: "2024-03-15", noPlan: 2024, kind: AnswerDetail, details: []string{"7"}},
	{q: "任务7和任务8", now: "2026-11-15", noPlan: 2026, kind: AnswerDetail, details: []string{"7", "8"}, text: []string{"## 2023年度计划中的任务7、8（共2项）"}},
	{q: "任务十五", now: "2026-11-15", noPlan: 2026, kind: AnswerDetail, details: []string{"15-1", "15-2"}, text: []string{"## 2023年度计划中的任务15 工业产品生产许可证产品生产企业检查（共2项）", "5月-11月（2023年5月1日至11月30日）"}},
	{q: "任务12", now: "2026-11-15", noPlan: 2026, kind: AnswerNotFound, text: []string{"## 2023年度计划中没有任务12"}},
	{q: "加油站怎么抽查", now: "2026-11-15", noPlan: 2026, kind: AnswerDetail, details: []string{"1"}, text: []string{"## 2023年度计划中的任务1 在用计量器具的监督检查\n", "2023年2月1日至12月31日"}},
	// Attributes.
	{q: "直销什么时候查", now: "2026-11-15", noPlan: 2026, kind: AnswerAttribute, attr: question.AttrWindow, items: []string{"16"}, text: []string{"## 2023年度计划中的任务16 对直销企业服务网点、经销商的双随机抽查\n抽查检查起止时间：**7月-9月（2023年7月1日至9月30日）**"}},
	{q: "任务16什么时候开始", now: "2024-03-15", noPlan: 2024, kind: AnswerAttribute, attr: question.AttrWindow, items: []string{"16"}, text: []string{"## 2023年度计划中的任务16 对直销企业服务网点、经销商的双随机抽查"}},
	{q: "拍卖抽多少", now: "2026-11-15", noPlan: 2026, kind: AnswerAttribute, attr: question.AttrRatio, items: []string{"8"}, text: []string{"## 2023年度计划中的任务8 拍卖活动检查\n抽查比例及频次：**30%/一年一次**"}},
	{q: "文物谁发起", now: "2024-07-10", noPlan: 2024, kind: AnswerAttribute, attr: question.AttrDept, items: []string{"9"}, text: []string{"## 2023年度计划中的任务9 文物经营活动检查\n发起部门及牵头/指导科室：**各县区局**发起，消保科指导"}},
	{q: "牙膏抽多少", now: "2026-11-15", noPlan: 2026, kind: AnswerNotFound, text: []string{"2023年度计划中没有找到与“牙膏”有关"}},
	// Answers with nothing from the plan need no notice.
	{q: "帮助", now: "2026-11-15", kind: AnswerHelp},
	{q: "嗯", now: "2026-11-15", kind: AnswerUnknown},
	{q: "天气怎么样", now: "2026-11-15", noPlan: 2026, kind: AnswerUnknown, text: []string{"2023年度计划中没有找到与“天气”有关"}},
	{q: "化妆品", now: "2026-11-15", noPlan: 2026, kind: AnswerUnknown, text: []string{"2023年度计划中没有找到与“化妆品”有关"}},
}

func TestAnswers(t *testing.T) {
	cat := seedCatalog(t)
	for _, c := range answerCases {
		name := c.q + "@" + c.now
		t.Run(name, func(t *testing.T) {
			now := "2023-03-15"
			if c.now != "" {
				now = c.now
			}
			a := New(Options{Plans: cat})
			if c.days != 0 {
				a.closingDays = c.days
			}
			ans, err := a.answer(question.Parse(c.q), day(t, now), c.sections)
			if err != nil {
				t.Fatalf("answer: %v", err)
			}
			md := ans.Markdown()
			if ans.Kind != c.kind {
				t.Errorf("kind = %s, want %s\n%s", ans.Kind, c.kind, md)
			}
			check := func(what string, got, want []string) {
				if !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v\n%s", what, got, want, md)
				}
			}
			check("items", ans.IDs(), c.items)
			check("no window", ans.NoWindowIDs(), c.nw)
			check("details", ans.DetailIDs(), c.details)
			check("alternatives", ans.AlternativeIDs(), c.alts)
			check("related", ans.RelatedIDs(), c.related)
			if c.kind == AnswerAttribute && ans.Attr != c.attr {
				t.Errorf("attr = %d, want %d", ans.Attr, c.attr)
			}
			// An answer about one item starts with its number and full
			// name; any other listed id is rendered as a bold line start.
			listed := slices.Concat(ans.IDs(), ans.NoWindowIDs(), ans.AlternativeIDs(), ans.RelatedIDs())
			if one := slices.Concat(ans.Details, ans.Items); len(one) == 1 && (ans.Kind == AnswerDetail || ans.Kind == AnswerAttribute) {
				head := md
				if ans.NoPlan != "" { // the notice comes first
					_, head, _ = strings.Cut(md, "\n")
				}
				title, _, _ := strings.Cut(head, "\n")
				want := "任务" + one[0].ID + " " + itemName(one[0])
				if !strings.HasPrefix(title, "## "+want) && !strings.HasPrefix(title, "## 2023年度计划中的"+want) {
					t.Errorf("title %q does not start with %q", title, want)
				}
				listed = ans.RelatedIDs()
			}
			for _, id := range listed {
				if !strings.Contains(md, "**"+id+"** ") {
					t.Errorf("markdown lacks item %s:\n%s", id, md)
				}
			}
			for _, s := range c.text {
				if !strings.Contains(md, s) {
					t.Errorf("markdown lacks %q:\n%s", s, md)
				}
			}
			for _, s := range c.notText {
				if strings.Contains(md, s) {
					t.Errorf("markdown has %q:\n%s", s, md)
				}
			}
			checkYears(t, c, ans, md)
		})
	}
}

var reYearText = regexp.MustCompile(`(\d{4})年`)

// checkYears checks that an answer never passes one year's plan off as
// another's: with no plan for the year asked about, the first line says so
// and names the plan used; otherwise nothing says so. After that line, every
// year named is the plan's own, and headings of plan data name it.
func checkYears(t *testing.T, c answerCase, ans Answer, md string) {
	t.Helper()
	const planYear = 2023
	first, rest, _ := strings.Cut(md, "\n")
	if c.noPlan == 0 {
		if strings.Contains(md, "尚未导入") || ans.NoPlan != "" {
			t.Errorf("says no plan is loaded:\n%s", md)
		}
		rest = md
	} else {
		want := fmt.Sprintf("**尚未导入%d年度抽查计划。**以下依据%d年度计划，仅供参考。", c.noPlan, planYear)
		if first != want {
			t.Errorf("first line %q, want %q\n%s", first, want, md)
		}
		if title, ok := strings.CutPrefix(strings.SplitN(rest, "\n", 2)[0], "## "); !ok || c.kind != AnswerUnknown && !strings.HasPrefix(title, fmt.Sprintf("%d年度计划中", planYear)) {
			t.Errorf("heading %q does not name the %d plan:\n%s", title, planYear, md)
		}
	}
	for _, m := range reYearText.FindAllStringSubmatch(rest, -1) {
		if m[1] != fmt.Sprint(planYear) {
			t.Errorf("names %s年 outside the notice:\n%s", m[1], md)
		}
	}
}

// Without a plan for the year asked about, the answer lists what the 2023
// plan has for the same month and day: the same items as asked on that date
// in 2023 (weeks aside: their weekdays differ between years).
func TestNoPlanAnswersAs2023(t *testing.T) {
	a := New(Options{Plans: seedCatalog(t)})
	for _, c := range answerCases {
		q := question.Parse(c.q)
		if c.noPlan == 0 || c.now == "" || strings.HasPrefix(c.now, "2023") || q.Year != 0 || q.Period.Kind == question.PeriodWeek {
			continue
		}
		got, err := a.Answer(q, day(t, c.now), c.sections)
		if err != nil {
			t.Fatal(err)
		}
		want, err := a.Answer(q, day(t, "2023"+c.now[4:]), c.sections)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []func(*Answer) []string{(*Answer).IDs, (*Answer).NoWindowIDs, (*Answer).DetailIDs, (*Answer).AlternativeIDs} {
			if g, w := f(&got), f(&want); !slices.Equal(g, w) {
				t.Errorf("%s@%s lists %v, at 2023%s %v", c.q, c.now, g, c.now[4:], w)
			}
		}
	}
}

// Every answer to the cases above, at the case's own date, fits one WeCom
// message (2,048 bytes), except detail answers about several items, which
// the channel splits on line boundaries into at most maxDetailParts
// messages, each within the limit.
func TestAnswerSize(t *testing.T) {
	const maxDetailParts = 3
	a := New(Options{Plans: seedCatalog(t)})
	for _, c := range answerCases {
		now := "2023-03-15"
		if c.now != "" {
			now = c.now
		}
		ans, err := a.Answer(question.Parse(c.q), day(t, now), c.sections)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		md := ans.Markdown()
		if len(md) <= wecomapi.MaxContentBytes {
			continue
		}
		parts := wecomapi.Parts(reply.Markdown(md))
		if len(ans.DetailIDs()) < 2 || len(parts) > maxDetailParts {
			t.Errorf("%s@%s: answer is %d bytes (%d parts, %d detail items)", c.q, now, len(md), len(parts), len(ans.DetailIDs()))
		}
		for i, p := range parts {
			if len(p.Text) > wecomapi.MaxContentBytes {
				t.Errorf("%s@%s: part %d is %d bytes", c.q, now, i, len(p.Text))
			}
		}
	}
}

// FuzzAnswer: no message makes the answerer panic (the router would hide
// a panic behind Recover, so the answerer is called directly).
func FuzzAnswer(f *testing.F) {
	cat := seedCatalog(f)
	now := day(f, "2023-03-15")
	for _, c := range answerCases {
		f.Add(c.q)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := New(Options{Plans: cat})
		ans, err := a.Answer(question.Parse(s), now, []string{s})
		if err != nil {
			t.Fatal(err)
		}
		if ans.Markdown() == "" {
			t.Fatalf("empty answer to %q", s)
		}
	})
}

// A long message is quoted back as a short excerpt, never whole: the answer
// stays one WeCom message however long the question.
func TestLongQuestionQuotedAsExcerpt(t *testing.T) {
	a := New(Options{Plans: seedCatalog(t)})
	for _, q := range []string{strings.Repeat("x", 10000), strings.Repeat("天气", 5000), "比例多少" + strings.Repeat("y", 5000), "本月哪些任务" + strings.Repeat("z", 5000)} {
		ans, err := a.Answer(question.Parse(q), day(t, "2023-03-15"), nil)
		if err != nil {
			t.Fatal(err)
		}
		md := ans.Markdown()
		if len(md) > 2048 {
			t.Errorf("%.20q…: reply is %d bytes:\n%.400s", q, len(md), md)
		}
		if !strings.Contains(md, "…") {
			t.Errorf("%.20q…: reply does not mark the cut quote:\n%.400s", q, md)
		}
	}
	if got := excerpt(strings.Repeat("天", 31)); got != strings.Repeat("天", 30)+"…" {
		t.Errorf("excerpt(31 runes) = %q", got)
	}
	if got := excerpt(strings.Repeat("天", 30)); got != strings.Repeat("天", 30) {
		t.Errorf("excerpt(30 runes) = %q", got)
	}
}
