package question

import (
	"slices"
	"unicode/utf8"

	"github.com/changzhi-amr/choucha/plan"
)

// This file is the vocabulary: the words users type and what they mean. It
// is data; parse.go only applies it. Within each list, longer phrases must
// come before phrases they contain (the parser consumes the first match).

// Synonym maps what users type (Triggers) to what is searched in the plan's
// task name, 抽查事项 and 抽查对象范围 (Terms, compared after plan.Fold).
type Synonym struct {
	Label    string   // shown in answers: 与“眼镜制配”有关的抽查任务
	Triggers []string // user words
	Terms    []string // plan words; an item matches when its text contains any
}

// Synonyms is the subject table. The parser tries every trigger of every
// entry, longest trigger first, so "保健食品" wins over "食品".
var Synonyms = []Synonym{
	{"加油站", []string{"加油站", "加油机", "加油"}, []string{"加油站"}},
	{"眼镜制配", []string{"眼镜制配", "眼镜店", "眼镜行", "眼镜", "配镜", "验光"}, []string{"眼镜制配"}},
	{"医疗机构", []string{"医疗机构", "医院", "诊所", "卫生院", "卫生室"}, []string{"医疗机构"}},
	{"集贸市场", []string{"集贸市场", "农贸市场", "菜市场", "集市"}, []string{"集贸市场"}},
	{"粮食购销", []string{"粮食购销", "粮食", "粮库", "粮站"}, []string{"粮食"}},
	{"计量器具", []string{"在用计量器具", "计量器具", "强检", "衡器", "电子秤", "秤"}, []string{"计量器具"}},
	{"计量检定机构", []string{"法定计量检定机构", "计量检定机构", "计量检定", "检定机构"}, []string{"计量检定机构"}},
	{"计量单位", []string{"法定计量单位", "计量单位"}, []string{"计量单位"}},
	{"出版物、图书、商品标签", []string{"宣传出版物", "出版物", "教科书", "教辅", "图书", "说明书", "商品标签"}, []string{"出版物", "教科书", "教辅", "图书", "说明书", "标签"}},
	{"计量", []string{"计量"}, []string{"计量"}},
	{"保健食品", []string{"保健食品", "保健品"}, []string{"保健食品"}},
	{"食品相关产品", []string{"食品相关产品", "食品相关", "食品包装", "食品容器"}, []string{"食品相关产品"}},
	{"酒、醋、饮料、肉制品", []string{"白酒", "酒厂", "酒类", "饮料", "食醋", "醋", "肉制品", "肉类"}, []string{"酒", "醋", "饮料", "肉"}},
	{"食品", []string{"食品生产", "食品企业", "食品"}, []string{"食品"}},
	{"强制性产品认证", []string{"强制性产品认证", "强制性认证", "强制认证", "3c", "ccc"}, []string{"强制性产品认证"}},
	{"自愿性认证", []string{"自愿性认证", "自愿认证"}, []string{"自愿性认证"}},
	{"认证", []string{"认证证书", "认证"}, []string{"认证"}},
	{"检验检测", []string{"检验检测机构", "检验检测", "检测机构", "检验机构", "资质认定", "检测"}, []string{"检验检测"}},
	{"拍卖", []string{"拍卖行", "拍卖"}, []string{"拍卖"}},
	{"文物", []string{"文物", "古玩", "文玩"}, []string{"文物"}},
	{"野生动物", []string{"野生动物", "野味", "动物交易", "动物"}, []string{"野生动物"}},
	{"广播电台、电视台、报刊", []string{"广播电台", "电视台", "电台", "广播", "报刊", "报社", "报纸"}, []string{"广播电台", "电视台", "报刊"}},
	{"广告", []string{"广告公司", "广告"}, []string{"广告"}},
	{"钢筋", []string{"建筑钢筋", "钢筋", "钢材"}, []string{"钢筋"}},
	{"产品质量", []string{"产品质量", "质量抽查"}, []string{"产品质量"}},
	{"工业产品生产许可", []string{"工业产品生产许可证", "工业产品生产许可", "工业产品"}, []string{"工业产品"}},
	{"生产许可", []string{"生产许可证", "生产许可", "许可证", "获证企业"}, []string{"生产许可"}},
	{"直销", []string{"直销企业", "直销", "经销商", "服务网点"}, []string{"直销"}},
	{"特种设备", []string{"特种设备", "锅炉", "电梯", "压力容器", "压力管道", "起重机", "叉车"}, []string{"特种设备"}},
}

// edgeStops are single characters trimmed from the edges of Rest.
const edgeStops = "的有是要和及与或在中了吗呢哪都还我,.、-?!:;|"

// Canonical initiator names, as the plan importer writes them.
const (
	CityBureau    = plan.CityBureau    // 市市场监督管理局 (also 市市场监管局, 市局)
	CountyBureaus = plan.CountyBureaus // 各县区局 (also 各地, 县区局)
)

// HelpWords are whole messages that ask for help (after Normalize).
var HelpWords = []string{"帮助", "菜单", "?", "help", "h", "menu", "/help", "功能", "说明", "使用说明", "用法",
	"你能做什么", "能做什么", "你会什么", "怎么用", "如何使用", "指令", "命令", "你好", "您好", "hi", "hello", "在吗", "在不在"}

// ThanksWords are whole messages that thank or acknowledge (after Normalize).
var ThanksWords = []string{"谢谢", "多谢", "谢谢你", "感谢", "好的", "好", "ok", "收到", "明白了", "知道了", "嗯"}

// helpContains are phrases that make any message a help request.
var helpContains = []string{"你能做什么", "你可以做什么", "能干什么", "能干啥", "能干嘛", "会干啥", "能做啥", "会做啥", "会些啥", "有啥功能", "有什么功能", "你会做什么", "怎么使用", "如何使用", "使用方法", "帮助"}

// mineWords ask about the asker's own department.
var mineWords = []string{"我们科室", "我的科室", "我科室", "本科室", "我们科", "我的部门", "我们部门", "我部门", "本部门", "我们单位", "我单位", "我们局", "我的任务", "我们的任务"}

var (
	listAllWords  = []string{"全部抽查任务", "所有抽查任务", "全部任务", "所有任务", "任务列表", "任务清单", "抽查计划", "哪些抽查任务", "哪些任务", "有什么任务", "全部", "所有"}
	ratioAllWords = []string{"100%抽查", "全部抽查", "全部检查", "全覆盖", "百分之百", "百分百", "全检"}

	restWords = []string{"今年剩下的", "今年剩下", "今年剩余的", "今年剩余", "今年还有", "剩下的", "剩下", "剩余的", "剩余", "还剩", "接下来", "后面还有", "还没结束", "未结束", "没结束"}
	nowWords  = []string{"正在进行", "进行中", "正在开展", "正在", "现在", "目前", "当前", "眼下"}
	weekWords = []struct {
		Offset int
		Words  []string
	}{
		{0, []string{"这个星期", "这个礼拜", "这星期", "本星期", "这礼拜", "本礼拜", "这周", "本周", "这一周"}},
		{1, []string{"下个星期", "下个礼拜", "下星期", "下礼拜", "下周"}},
	}
	monthRelWords = []struct {
		Offset int
		Words  []string
	}{
		{0, []string{"本月份", "这个月", "本月", "当月", "这月"}},
		{1, []string{"下个月", "下月"}},
		{-1, []string{"上个月", "上月"}},
	}
	quarterRelWords = []struct {
		Offset int
		Words  []string
	}{
		{0, []string{"这个季度", "本季度", "这季度", "当季"}},
		{1, []string{"下个季度", "下季度"}},
		{-1, []string{"上个季度", "上季度"}},
	}
	halfWords = []struct {
		Half  int
		Words []string
	}{
		{1, []string{"上半年"}},
		{2, []string{"下半年"}},
	}
	yearWords = []string{"本年度", "今年", "全年", "本年", "年度"}

	closingSoonWords = []string{"快要到期", "即将到期", "马上到期", "快到期", "要到期", "快要截止", "即将截止", "马上截止", "临近截止", "快截止",
		"快要结束", "即将结束", "马上结束", "快结束", "快过期"}
	// soonWords turn 开始/截止 into 即将开始/快到期.
	soonWords        = []string{"近期", "最近", "马上", "即将", "快要", "不久"}
	openingSoonWords = []string{"即将开始", "快要开始", "马上开始", "快开始", "即将启动", "马上启动"}
	startWords       = []string{"开始", "启动", "开启", "起始"}
	endWords         = []string{"截止", "截至", "结束", "到期", "收尾"}

	noWindowWords = append(noWindowPhrases(), "没有注明起止时间", "未注明起止时间", "没有起止时间", "无起止时间", "没有注明时间", "未注明时间", "没有时间", "没时间", "无时间",
		"没有写时间", "没写时间", "不限时间", "时间不限", "全年可查", "全年都可以查", "全年都可以", "没有期限", "没有截止时间", "未注明", "没注明", "没有注明", "无起止", "没有起止")
	riskUniformWords = []string{"不按风险", "不分风险", "不区分风险", "没有风险要求", "无风险要求", "没有信用风险", "没有风险分类", "无风险分类", "统一比例", "统一抽取"}
	riskDiffWords    = []string{"按信用风险分类", "信用风险分类", "按风险分类", "风险分类", "按风险", "分别递加比例", "递加比例", "递加", "分类抽查", "差异化", "信用风险", "风险等级", "高风险", "风险"}

	attrWords = []struct {
		Attr  Attr
		Words []string
	}{
		// "比例及频次" is the ratio column; "多长时间一次" is not a window.
		{AttrRatio, []string{"抽查比例及频次", "比例及频次", "比例和频次", "比例频次"}},
		{AttrFrequency, []string{"多长时间查一次", "多长时间一次", "多久查一次", "多久一次", "一年查几次", "一年几次", "每年几次", "几年一次", "频次", "频率", "几次", "次数"}},
		{AttrWindow, []string{"什么时候", "啥时候", "什么时间", "啥时间", "何时", "起止时间", "开始时间", "截止时间", "结束时间", "哪几个月", "哪个月", "几月份", "几月", "时间", "期限", "日期"}},
		{AttrRatio, []string{"抽多少", "抽查多少", "抽取多少", "查多少", "多少比例", "抽查比例", "比例", "多少户", "多少家", "抽几", "几户", "几家", "占比"}},
		{AttrSection, []string{"牵头或指导科室", "牵头/指导科室", "牵头科室", "指导科室", "负责科室", "哪个科室", "哪个科", "谁牵头", "谁指导", "牵头部门", "指导部门"}},
		{AttrDept, []string{"谁发起", "谁负责", "谁组织", "谁来查", "谁查", "由谁", "哪个部门", "什么部门", "哪个单位", "哪个局", "发起部门", "发起单位", "负责部门"}},
		{AttrScope, []string{"抽查对象范围", "检查对象范围", "对象范围", "抽查对象", "检查对象", "抽查范围", "检查范围", "查哪些单位", "查哪些企业", "范围", "对象"}},
		{AttrMatter, []string{"抽查事项", "检查事项", "查什么", "检查什么", "抽查什么", "检查啥", "查些啥", "查啥", "检查内容", "抽查内容", "查哪些内容", "查哪些方面", "事项", "内容"}},
		{AttrHow, []string{"怎么抽查", "如何抽查", "怎么检查", "如何检查", "怎么查", "如何查", "怎么抽", "怎么做", "如何", "怎么", "要求", "详情", "详细", "具体"}},
	}
	// riskAttrWords ask for the 信用风险分类 requirement itself, not for
	// the items that have one.
	riskAttrWords = []string{"智慧监管(信用风险分类)要求", "智慧监管要求", "信用风险分类要求", "信用风险要求", "风险分类要求", "风险要求", "智慧监管"}
	// weakDeptAttr mean "asks about departments" only when no department filter was given.
	weakDeptAttr = []string{"发起", "负责", "牵头", "指导", "组织"}

	// stopWords are removed before Rest is computed; edgeStops only at the
	// edges of what is left.
	stopWords = []string{"双随机", "一公开", "抽查工作", "工作计划", "抽查任务", "检查任务", "抽查检查", "有哪些", "哪些", "有什么", "什么", "需要", "应该",
		"可以", "任务", "抽查", "检查", "计划", "随机", "列表", "清单", "情况", "开展", "进行", "这个", "哪个", "都有", "还有", "一共", "总共", "多少", "几个",
		"我们", "相关", "有关", "方面", "涉及", "关于", "还没完成", "没完成", "未完成", "要做", "要查", "有没有", "是不是"}
)

// noWindowNeg × noWindowObj are the other ways of saying "without a window"
// ("没有规定起止时间", "没写日期", "未明确时间", "不限日期"), and
// noWindowObj + noWindowPost ("时间不限", "日期未明确").
var (
	noWindowNeg  = []string{"没有说", "没说", "没有定", "没定", "未定", "没给", "没有规定", "没规定", "未规定", "无规定", "没有写明", "没有写", "没写明", "没写", "未写明", "未写", "没有明确", "没明确", "未明确", "不明确", "不限", "没有注明", "没注明", "未注明", "没有标明", "未标明", "没有", "没", "无"}
	noWindowObj  = []string{"起止时间", "起止日期", "起始时间", "什么时候查", "什么时候", "啥时候查", "啥时候", "时间", "日期", "期限"}
	noWindowPost = []string{"那一栏是空的", "那栏是空的", "一栏是空的", "栏是空的", "那栏空着", "栏空着", "是空的", "空着", "为空", "空白", "都行", "都可以", "不限", "未明确", "不明确", "没有规定", "未规定", "没规定", "没写", "未写", "未注明", "没注明", "没有注明"}
)

// noWindowPhrases combines the no-window words, longest first.
func noWindowPhrases() []string {
	var out []string
	for _, o := range noWindowObj {
		for _, n := range noWindowNeg {
			out = append(out, n+o)
		}
		for _, p := range noWindowPost {
			out = append(out, o+p)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return utf8.RuneCountInString(b) - utf8.RuneCountInString(a) })
	return out
}
