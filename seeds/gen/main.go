// Command gen writes the two synthetic 名录库 that `make run` loads beside
// the real 2023 plan (seeds/changzhi-2023-plan.txt):
//
//   - seeds/entities.csv, the 检查对象名录: entities under every plan item in
//     all twelve districts and counties of 长治市;
//   - seeds/inspectors.csv, the 执法检查人员名录: officers of the city
//     bureau's sections and of every county and district bureau.
//
// Both are written as Excel saves "CSV UTF-8": a byte-order mark, CRLF line
// ends. They are synthetic because the real directories hold personal data
// (officers' names and mobile numbers) and credit-risk classes, which are not
// public. The look-alikes keep what the bot depends on: valid 统一社会信用代码
// (GB 32100-2015) with 长治 area codes, names that fit each item's scope,
// the spread of risk classes and registration statuses, the mixed ways people
// write 所属部门 and risk classes, 回避 conflicts, and enough qualified
// officers that every item can be drawn with two officers per entity.
//
// Run it from the repository root:
//
//	go run ./seeds/gen [-seed N] [-out seeds]
//
// The same seed always writes the same bytes; gen_test.go checks the
// committed files against a fresh run.
package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/changzhi-amr/choucha/directory"
)

// defaultSeed is the seed of the committed files.
const defaultSeed = 2023

// Output file names and headers.
const (
	entitiesFile   = "entities.csv"
	inspectorsFile = "inspectors.csv"
)

var (
	entityHeader    = []string{"统一社会信用代码", "名称", "抽查任务", "所属区县", "信用风险分类", "登记状态", "地址", "联系电话", "行业"}
	inspectorHeader = []string{"姓名", "企业微信账号", "执法证号", "所属部门", "可执行任务", "回避对象", "专业领域", "手机"}
)

func main() {
	seed := flag.Uint64("seed", defaultSeed, "random seed; the committed files use the default")
	out := flag.String("out", "seeds", "directory to write "+entitiesFile+" and "+inspectorsFile+" to")
	flag.Parse()
	if err := write(*out, *seed); err != nil {
		log.Fatal(err)
	}
}

// write generates both directories from seed and writes them into dir.
func write(dir string, seed uint64) error {
	ents, insps := generate(seed)
	if err := writeCSV(filepath.Join(dir, entitiesFile), entityHeader, ents); err != nil {
		return err
	}
	return writeCSV(filepath.Join(dir, inspectorsFile), inspectorHeader, insps)
}

// writeCSV writes rows as Excel's "CSV UTF-8": BOM, comma, CRLF.
func writeCSV(path string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.Write(header); err != nil {
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// county is one district or county: its administrative code (the area part
// of credit codes and badge numbers), a weight for how many entities and
// officers it gets, and towns and sub-districts for addresses.
type county struct {
	name   string
	code   string
	weight int
	towns  []string
}

// cityCode is the area code of entities registered by the city bureau itself (市本级).
const cityCode = "140400"

var counties = []county{
	{"潞州区", "140403", 30, []string{"英雄南路街道", "太行东街街道", "紫金街道", "常青街道", "延安南路街道", "西街街道", "老顶山镇", "堠北庄镇"}},
	{"上党区", "140404", 10, []string{"韩店镇", "苏店镇", "荫城镇", "西火镇", "八义镇", "郝家庄镇"}},
	{"屯留区", "140405", 8, []string{"麟绛镇", "上村镇", "渔泽镇", "余吾镇", "吾元镇", "张店镇"}},
	{"潞城区", "140406", 7, []string{"潞华街道", "成家川街道", "店上镇", "微子镇", "辛安泉镇", "合室乡"}},
	{"襄垣县", "140423", 8, []string{"古韩镇", "王桥镇", "侯堡镇", "夏店镇", "虒亭镇", "下良镇"}},
	{"平顺县", "140425", 4, []string{"青羊镇", "龙溪镇", "石城镇", "苗庄镇", "杏城镇"}},
	{"黎城县", "140426", 4, []string{"黎侯镇", "东阳关镇", "上遥镇", "西井镇", "黄崖洞镇"}},
	{"壶关县", "140427", 5, []string{"龙泉镇", "百尺镇", "店上镇", "晋庄镇", "树掌镇"}},
	{"长子县", "140428", 8, []string{"丹朱镇", "鲍店镇", "石哲镇", "大堡头镇", "宋村镇"}},
	{"武乡县", "140429", 5, []string{"丰州镇", "洪水镇", "蟠龙镇", "监漳镇", "故城镇"}},
	{"沁县", "140430", 4, []string{"定昌镇", "郭村镇", "故县镇", "新店镇", "漳源镇"}},
	{"沁源县", "140431", 5, []string{"沁河镇", "郭道镇", "灵空山镇", "王和镇", "李元镇"}},
}

var (
	roads = []string{"建设路", "人民路", "解放路", "新华街", "文化路", "振兴路", "府前街", "东大街", "西大街", "南环路",
		"北环路", "太行路", "朝阳路", "和平路", "长安路", "迎宾路", "五一路", "红旗路", "育才路", "工业路"}
	// brands are trade names (字号), none of them a real company's.
	brands = []string{"鑫源", "恒泰", "华晟", "瑞丰", "晋龙", "太行", "上党", "宏达", "兴旺", "福顺",
		"金鼎", "鼎盛", "天成", "永昌", "广源", "盛世", "众诚", "宏远", "佳和", "利民", "康泰", "德润", "晟达", "嘉禾",
		"金海", "泰和", "昌盛", "信达", "聚源", "万通", "锦程", "新亚", "东方", "三晋", "华邦", "腾飞", "浩宇", "润泽",
		"同心", "安泰", "富源", "宏图", "卓越", "晨光", "博远", "裕丰", "百川", "长青", "海川", "旭日", "金诺", "祥瑞",
		"盛鑫", "正信", "远航", "天顺", "明德", "兴盛", "嘉诚", "丰泽", "鸿运", "大成", "恒通", "凯达", "银河", "金桥",
		"春晖", "星辰", "福瑞", "益民", "聚鑫", "荣华", "翔宇", "润达", "兴隆", "金泰", "恒昌", "丰源", "鑫隆", "晋丰", "惠民", "乾元"}
)

// kind is one sort of entity: the plan items it falls under (抽查任务 as
// written), how many to make, whether each county gets at least one (items
// the county bureaus draw), the share of non-company names registered as
// 个体工商户, its industry and name templates. In a template {C} is the county
// (sometimes after 长治市), {K} the bare county, {T} a town, {Z} a trade name;
// "|industry" after a template overrides the kind's industry.
type kind struct {
	items    string
	n        int
	every    bool
	indiv    float64
	industry string
	names    []string
}

var kinds = []kind{
	// 1 在用计量器具: 加油站, 眼镜制配场所, 集贸市场, 医疗机构, 国有粮食购销企业.
	{"1", 230, true, 0.1, "机动车燃油零售", []string{"{C}{Z}加油站", "长治市{Z}石油销售有限公司{T}加油站", "{C}{T}{Z}加油站", "山西{Z}能源有限公司{K}加油站"}},
	{"1", 120, true, 0.8, "眼镜零售", []string{"{C}{Z}眼镜店", "{C}{Z}眼镜行", "长治市{Z}眼镜有限公司", "{C}{Z}视光眼镜中心"}},
	{"1", 50, true, 0.2, "市场管理服务", []string{"{C}{T}集贸市场", "{C}{Z}综合市场", "长治市{Z}市场管理有限公司", "{C}{Z}农贸市场"}},
	{"1", 210, true, 0.85, "卫生", []string{"{C}{Z}诊所", "{C}{Z}口腔诊所", "{C}{Z}中医诊所", "长治{Z}医院有限公司", "{C}{Z}医院有限公司", "长治市{Z}口腔门诊部有限公司"}},
	{"1", 18, true, 0, "谷物仓储", []string{"{K}粮油购销有限公司", "{C}{T}粮食收储有限公司", "长治市{Z}粮油储备有限公司"}},
	{"1;2", 6, false, 0, "谷物仓储", []string{"长治市{Z}粮食储备库有限公司", "{C}{Z}粮食储备库有限公司"}},
	// 1 and 10: markets that also give room to live-animal trade.
	{"1;10", 30, true, 0.1, "市场管理服务", []string{"{C}{Z}农贸市场有限公司", "{C}{T}{Z}农贸市场", "长治市{Z}农副产品批发市场有限公司"}},
	// 2 法定计量检定机构 and authorised calibration bodies.
	{"2", 14, false, 0, "计量服务", []string{"长治{Z}计量检测有限公司", "山西{Z}计量校准有限公司", "长治市{Z}计量检定技术有限公司"}},
	// 3 计量单位使用: market trade, culture and education, publishing.
	{"3", 150, true, 0.7, "超级市场零售", []string{"{C}{Z}超市", "{C}{Z}便利店", "长治市{Z}商贸有限公司", "{C}{Z}购物广场有限公司", "{C}{Z}生活超市"}},
	{"3", 80, true, 0.6, "图书批发和零售", []string{"{C}{Z}书店", "{C}{Z}文具书店", "长治市{Z}图书发行有限公司", "山西{Z}教育图书有限公司", "{C}{Z}书社"}},
	{"3", 50, true, 0.3, "印刷和记录媒介复制业", []string{"长治市{Z}印刷有限公司", "{C}{Z}印刷厂", "{C}{Z}彩印部"}},
	{"3;13", 20, false, 0.7, "印刷和记录媒介复制业", []string{"{C}{Z}图文广告部|广告业", "长治市{Z}印务广告有限公司"}},
	// 4 重点食品生产企业: 保健食品, 肉, 酒, 醋, 饮料.
	{"4", 20, false, 0, "保健食品制造", []string{"山西{Z}生物科技有限公司", "长治{Z}保健食品有限公司", "长治市{Z}健康科技有限公司"}},
	{"4", 35, false, 0.1, "肉制品及副产品加工", []string{"{C}{Z}肉制品有限公司", "长治市{Z}食品有限公司", "{C}{Z}肉食品加工厂", "山西{Z}肉业有限公司"}},
	{"4", 30, false, 0.1, "酒的制造", []string{"{C}{Z}酒业有限公司", "{C}{Z}酿酒厂", "长治市{Z}酒业有限责任公司"}},
	{"4", 30, false, 0.2, "调味品、发酵制品制造", []string{"{C}{Z}醋业有限公司", "{C}{Z}醋坊", "长治市{Z}老陈醋有限公司"}},
	{"4", 30, false, 0, "饮料制造", []string{"山西{Z}饮品有限公司", "{C}{Z}饮料有限公司", "长治{Z}矿泉水有限公司", "{C}{Z}果蔬饮品有限公司"}},
	// 5 省级资质认定的检验检测机构.
	{"5", 85, false, 0, "检验检测服务", []string{"山西{Z}检测技术有限公司", "长治市{Z}环境检测有限公司", "长治{Z}工程质量检测有限公司", "{C}{Z}机动车检测有限公司", "长治市{Z}食品检测有限公司"}},
	// 6 自愿性认证 and 7 强制性产品认证: holders of the certificates.
	{"6", 220, false, 0, "", []string{"长治市{Z}机械制造有限公司|通用设备制造业", "山西{Z}建材有限公司|非金属矿物制品业", "长治{Z}物业管理有限公司|物业管理",
		"山西{Z}建设工程有限公司|房屋建筑业", "长治市{Z}电子科技有限公司|计算机、通信和其他电子设备制造业", "{C}{Z}煤业有限公司|煤炭开采和洗选业",
		"长治{Z}软件技术有限公司|软件和信息技术服务业", "{C}{Z}保安服务有限公司|安全保护服务"}},
	{"6;7", 20, false, 0, "", []string{"山西{Z}电气设备有限公司|输配电及控制设备制造", "长治{Z}消防器材有限公司|消防器材制造"}},
	{"6;15-2", 25, false, 0, "", []string{"山西{Z}焦化股份有限公司|炼焦", "长治市{Z}水泥有限公司|水泥制造"}},
	{"7", 60, false, 0.8, "", []string{"长治市{Z}电线电缆有限公司|电线、电缆制造", "{C}{Z}家电商行|家用电器零售", "长治{Z}汽车配件有限公司|汽车零配件零售",
		"{C}{Z}电器商店|家用电器零售", "长治市{Z}防爆电器有限公司|电气机械和器材制造业", "{C}{Z}童车玩具店|玩具零售"}},
	// 8 拍卖, 9 文物经营, and auction houses that sell relics (8;9).
	{"8", 14, false, 0, "拍卖", []string{"长治市{Z}拍卖有限公司", "山西{Z}拍卖行有限公司", "长治{Z}拍卖有限责任公司"}},
	{"8;9", 6, false, 0, "拍卖", []string{"长治{Z}文物艺术品拍卖有限公司", "山西{Z}艺术品拍卖有限公司"}},
	{"9", 28, true, 0.8, "工艺美术品及收藏品零售", []string{"{C}{Z}文物商店", "{C}{Z}古玩店", "{C}{Z}收藏品店", "长治市{Z}古玩城管理有限公司|市场管理服务", "{C}{Z}艺术品商行"}},
	// 10 野生动物交易: pet and bird markets, aquariums.
	{"10", 40, true, 0.8, "宠物及宠物用品零售", []string{"{C}{Z}花鸟鱼虫市场|市场管理服务", "{C}{Z}宠物店", "{C}{Z}水族馆", "长治市{Z}宠物市场管理有限公司|市场管理服务", "{C}{Z}宠物用品店"}},
	// 11 广告发布单位 (radio, television, press) and 13 广告经营者.
	{"11", 26, false, 0, "广播、电视、电影和录音制作业", []string{"长治{Z}广播电视传媒有限公司", "{C}{Z}广播电视网络有限公司", "山西{Z}报业传媒有限公司|新闻和出版业",
		"长治{Z}期刊出版有限公司|新闻和出版业", "长治市{Z}户外传媒有限公司|广告业"}},
	{"11;13", 14, false, 0, "广告业", []string{"长治{Z}文化传媒集团有限公司", "长治市{Z}融媒广告有限公司"}},
	{"13", 260, true, 0.5, "广告业", []string{"长治市{Z}广告有限公司", "{C}{Z}广告部", "{C}{Z}文化传媒有限公司", "{C}{Z}图文设计部", "长治{Z}广告装饰有限公司", "{C}{Z}广告制作中心"}},
	// 14 建筑钢筋: few, and every one also holds an 工业产品生产许可证 (15-2).
	{"14;15-2", 6, false, 0, "钢压延加工", []string{"长治市{Z}钢铁有限公司", "山西{Z}钢铁集团有限公司", "{C}{Z}轧钢有限公司"}},
	// 15-1 食品相关产品 and 15-2 工业产品生产许可证获证企业.
	{"15-1", 40, false, 0, "", []string{"长治市{Z}塑料包装有限公司|塑料包装箱及容器制造", "{C}{Z}纸制品有限公司|纸制品制造", "山西{Z}食品包装有限公司|塑料薄膜制造",
		"{C}{Z}洗涤用品有限公司|清洁用品制造", "长治{Z}厨具设备有限公司|烹饪器具制造"}},
	{"15-2", 80, false, 0, "", []string{"{C}{Z}水泥有限公司|水泥制造", "山西{Z}焦化有限公司|炼焦", "长治市{Z}化肥有限公司|肥料制造", "{C}{Z}电缆有限公司|电线、电缆制造",
		"长治{Z}化工有限公司|基础化学原料制造", "{C}{Z}包装容器有限公司|金属包装容器及材料制造"}},
	// 16 直销企业服务网点、经销商.
	{"16", 60, false, 0.6, "", []string{"{Z}（中国）日用品有限公司{K}服务网点|日用品批发", "{K}{Z}日用品经销部|日用品零售", "{K}{Z}保健品经销店|保健食品零售"}},
	// 17 特种设备生产许可证获证企业.
	{"17", 55, false, 0, "", []string{"长治市{Z}锅炉制造有限公司|锅炉及辅助设备制造", "山西{Z}压力容器有限公司|金属压力容器制造", "长治{Z}电梯工程有限公司|建筑安装业",
		"{C}{Z}起重设备有限公司|起重设备制造", "山西{Z}特种设备安装有限公司|建筑安装业", "长治{Z}管道工程有限公司|管道工程建筑"}},
}

// section is a city-bureau section: what its officers execute (items as
// written in 可执行任务), their 专业领域 and how many there are. The first
// three of each section may execute every item of the section.
type section struct {
	name, items, specialty string
	n                      int
}

// sections are the city sections in the directory. The first three are the
// ones the plan names; the others are the sections that carry the items the
// plan gives to the city bureau without naming one.
var sections = []section{
	{"计量科", "1;2;3", "计量监督", 6},
	{"消保科", "8;9;10", "消费者权益保护", 6},
	{"特种设备安全监察科", "17", "特种设备安全", 7},
	{"食品生产安全监督管理科", "4", "食品生产安全", 5},
	{"认证认可与检验检测监督管理科", "5;6;7", "认证认可与检验检测", 6},
	{"广告监督管理科", "11;13", "广告监管", 5},
	{"产品质量安全监督管理科", "14;15-1;15-2", "产品质量安全", 6},
	{"价格监督检查和反不正当竞争科", "16", "直销监管", 5},
}

// countyItems are the items the county bureaus draw (发起: 各地/各县区局).
const countyItems = "1;3;9;10;13"

// countyRoles are the specialist rosters of county officers beyond the
// first three, who may execute every county item.
var countyRoles = [][2]string{
	{"1;3", "计量监督"}, {"9;10", "消费者权益保护"}, {"13", "广告监管"}, {"1;3;13", "综合执法"}, {"9;10;13", "市场秩序"},
}

// Names with their pinyin, for 企业微信账号 such as zhangwei01.
var (
	surnames = [][2]string{{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"},
		{"赵", "zhao"}, {"郭", "guo"}, {"申", "shen"}, {"牛", "niu"}, {"秦", "qin"}, {"郝", "hao"}, {"武", "wu"},
		{"宋", "song"}, {"程", "cheng"}, {"冯", "feng"}, {"崔", "cui"}, {"贾", "jia"}, {"韩", "han"}, {"段", "duan"},
		{"常", "chang"}, {"田", "tian"}, {"马", "ma"}, {"魏", "wei"}, {"连", "lian"}, {"暴", "bao"}, {"侯", "hou"},
		{"任", "ren"}, {"史", "shi"}, {"靳", "jin"}}
	givenChars = [][2]string{{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"丽", "li"},
		{"强", "qiang"}, {"磊", "lei"}, {"军", "jun"}, {"洋", "yang"}, {"勇", "yong"}, {"艳", "yan"}, {"杰", "jie"},
		{"娟", "juan"}, {"涛", "tao"}, {"明", "ming"}, {"超", "chao"}, {"霞", "xia"}, {"平", "ping"}, {"刚", "gang"},
		{"英", "ying"}, {"华", "hua"}, {"建", "jian"}, {"国", "guo"}, {"文", "wen"}, {"晓", "xiao"}, {"红", "hong"},
		{"宇", "yu"}, {"鹏", "peng"}, {"飞", "fei"}, {"斌", "bin"}, {"辉", "hui"}, {"鑫", "xin"}, {"婷", "ting"},
		{"亮", "liang"}, {"波", "bo"}, {"峰", "feng"}, {"玲", "ling"}, {"瑞", "rui"}, {"晋", "jin"}, {"琳", "lin"},
		{"海", "hai"}, {"志", "zhi"}, {"燕", "yan"}, {"慧", "hui"}, {"凯", "kai"}, {"利", "li"}, {"春", "chun"}}
	mobilePrefixes = []string{"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
		"150", "151", "152", "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "185", "186", "187", "188", "189"}
)

// creditCharset is GB 32100-2015's alphabet (no I, O, S, V, Z).
const creditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// entity is a generated row of the 检查对象名录, with what the inspector
// generator needs to pick 回避对象.
type entity struct {
	row      []string
	code     string
	county   string
	items    []string
	inactive bool
}

// gen carries the random source and the uniqueness sets.
type gen struct {
	r    *rand.Rand
	used map[string]bool // credit codes, names, userids, badge numbers and mobiles
}

func generate(seed uint64) (entities, inspectors [][]string) {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x6368_6f75_6368_61)), used: map[string]bool{}}
	ents := g.entities()
	for _, e := range ents {
		entities = append(entities, e.row)
	}
	return entities, g.inspectors(ents)
}

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// unique reports whether s is new, and remembers it.
func (g *gen) unique(s string) bool {
	if g.used[s] {
		return false
	}
	g.used[s] = true
	return true
}

// countyFor spreads a kind's entities over the counties by weight; with
// every, the first twelve go one to each county (and stay active, see status).
func (g *gen) countyFor(i int, every bool) *county {
	if every && i < len(counties) {
		return &counties[i]
	}
	total := 0
	for _, c := range counties {
		total += c.weight
	}
	w := g.r.IntN(total)
	for i := range counties {
		if w -= counties[i].weight; w < 0 {
			return &counties[i]
		}
	}
	panic("unreachable")
}

func (g *gen) entities() []entity {
	var out []entity
	for _, k := range kinds {
		for i := range k.n {
			c := g.countyFor(i, k.every)
			town := g.pick(c.towns)
			var name, industry string
			for name == "" || !g.unique(name) {
				name, industry = g.name(k, c, town)
			}
			indiv := !strings.Contains(name, "公司") && g.r.Float64() < k.indiv
			code := g.creditCode(c, indiv)
			risk, status := g.risk(), g.status(k.every && i < len(counties))
			row := []string{code, name, k.items, c.name, risk, status,
				fmt.Sprintf("长治市%s%s%s%d号", c.name, town, g.pick(roads), 1+g.r.IntN(300)), g.phone(), industry}
			out = append(out, entity{row: row, code: code, county: c.name, items: strings.Split(k.items, ";"),
				inactive: !directory.Status(status).Active()})
		}
	}
	return out
}

// name fills one of k's templates for county c.
func (g *gen) name(k kind, c *county, town string) (name, industry string) {
	tmpl, industry, ok := strings.Cut(g.pick(k.names), "|")
	if !ok {
		industry = k.industry
	}
	prefix := c.name
	if g.r.IntN(3) == 0 {
		prefix = "长治市" + c.name
	}
	name = strings.NewReplacer("{C}", prefix, "{K}", c.name, "{T}", town, "{Z}", g.pick(brands)).Replace(tmpl)
	return name, industry
}

// creditCode makes a unique 统一社会信用代码: 91 (enterprise) or 92
// (个体工商户), the registering area (enterprises are sometimes registered by
// the city bureau), a 9-character organisation code (new "MA…" codes and
// old all-digit ones) and the check digit.
func (g *gen) creditCode(c *county, indiv bool) string {
	for {
		head, area := "91", c.code
		if indiv {
			head = "92"
		} else if g.r.IntN(4) == 0 {
			area = cityCode
		}
		var org strings.Builder
		if g.r.IntN(4) == 0 {
			for range 8 {
				org.WriteByte(byte('0' + g.r.IntN(10)))
			}
			org.WriteByte("0123456789X"[g.r.IntN(11)])
		} else {
			org.WriteString("MA")
			for range 7 {
				org.WriteByte(creditCharset[g.r.IntN(len(creditCharset))])
			}
		}
		first17 := head + area + org.String()
		d, ok := directory.CreditCheckDigit(first17)
		if !ok {
			panic("bad credit code alphabet: " + first17)
		}
		if code := first17 + string(d); g.unique(code) {
			return code
		}
	}
}

// risk draws a credit-risk class: A 60%, B 28%, C 10%, D 2% of the
// classified, 3% unclassified; a quarter written as 低风险 etc.
func (g *gen) risk() string {
	if g.r.Float64() < 0.03 {
		return ""
	}
	p := g.r.Float64()
	class := directory.RiskD
	switch {
	case p < 0.60:
		class = directory.RiskA
	case p < 0.88:
		class = directory.RiskB
	case p < 0.98:
		class = directory.RiskC
	}
	if g.r.IntN(4) == 0 {
		return class.Label()
	}
	return string(class)
}

// status draws a 登记状态: 2% no longer active, unless active is required.
func (g *gen) status(active bool) string {
	if g.r.Float64() < 0.02 && !active {
		return string([]directory.Status{directory.StatusCancelled, directory.StatusRevoked,
			directory.StatusWithdrawn, directory.StatusMovedOut}[g.r.IntN(4)])
	}
	if g.r.Float64() < 0.65 {
		return string(directory.StatusExisting)
	}
	return string(directory.StatusOperating)
}

// phone is a 0355 landline, a mobile, or nothing.
func (g *gen) phone() string {
	switch p := g.r.IntN(10); {
	case p < 6:
		return fmt.Sprintf("0355-%d%06d", 2+g.r.IntN(7), g.r.IntN(1000000))
	case p < 9:
		return g.mobile()
	}
	return ""
}

func (g *gen) mobile() string {
	for {
		if m := fmt.Sprintf("%s%08d", g.pick(mobilePrefixes), g.r.IntN(100000000)); g.unique(m) {
			return m
		}
	}
}

// officer is an inspector before 回避对象 are chosen.
type officer struct {
	unit, items, specialty string
	county                 string // empty for city sections
	area                   string // area code of the badge number
}

func (g *gen) inspectors(ents []entity) [][]string {
	var offs []officer
	var all []string // every section's items, for cross-training
	for _, s := range sections {
		all = append(all, strings.Split(s.items, ";")...)
	}
	for _, s := range sections {
		for i := range s.n {
			items := s.items
			switch {
			case i == 0 && g.r.IntN(3) == 0:
				items = "全部"
			case i >= 3:
				items = g.subset(s.items)
				if g.r.IntN(4) == 0 { // cross-trained for another section's item
					items += ";" + g.pick(all)
				}
			}
			offs = append(offs, officer{s.name, dedupe(items), s.specialty, "", cityCode})
		}
	}
	for _, c := range counties {
		for i := range 6 + c.weight/8 + g.r.IntN(2) {
			items, specialty := countyItems, "综合执法"
			switch {
			case i < 3 && g.r.IntN(2) == 0:
				items = "全部"
			case i >= 3:
				role := countyRoles[g.r.IntN(len(countyRoles))]
				items, specialty = role[0], role[1]
			}
			unit := []string{c.name, c.name + "局", c.name + "市场监督管理局"}[g.r.IntN(3)]
			offs = append(offs, officer{unit, items, specialty, c.name, c.code})
		}
	}

	serial := map[string]int{} // badge serial per area code
	avoided := map[string]bool{}
	var rows [][]string
	for _, o := range offs {
		name, userid := g.person()
		serial[o.area] += 1 + g.r.IntN(3)
		badge := fmt.Sprintf("%s%02d%03d", o.area, 15+g.r.IntN(9), serial[o.area])
		if !g.unique(badge) {
			panic("duplicate badge " + badge)
		}
		var avoid []string
		if g.r.Float64() < 0.1 {
			avoid = g.avoid(o, ents, avoided, 1+g.r.IntN(2))
		}
		rows = append(rows, []string{name, userid, badge, o.unit, o.items, strings.Join(avoid, ";"), o.specialty, g.mobile()})
	}
	return rows
}

// avoid picks n active entities in o's area and items as 回避对象. An
// entity is avoided by one officer at most, so every entity keeps at least
// two of the three qualified officers each bureau has for each item.
func (g *gen) avoid(o officer, ents []entity, avoided map[string]bool, n int) []string {
	var cands []string
	for _, e := range ents {
		if e.inactive || avoided[e.code] || (o.county != "" && e.county != o.county) {
			continue
		}
		for _, it := range e.items {
			if o.items == "全部" || slices.Contains(strings.Split(o.items, ";"), it) {
				cands = append(cands, e.code)
				break
			}
		}
	}
	var out []string
	for range min(n, len(cands)) {
		i := g.r.IntN(len(cands))
		out = append(out, cands[i])
		avoided[cands[i]] = true
		cands = append(cands[:i], cands[i+1:]...)
	}
	return out
}

// person makes a name and its unique userid: surname and given name in
// pinyin and a two-digit number.
func (g *gen) person() (name, userid string) {
	s := surnames[g.r.IntN(len(surnames))]
	name, base := s[0], s[1]
	chars := 2 // seven in ten given names have two characters
	if g.r.IntN(10) < 3 {
		chars = 1
	}
	for range chars {
		c := givenChars[g.r.IntN(len(givenChars))]
		name, base = name+c[0], base+c[1]
	}
	for n := 1; ; n++ {
		if id := fmt.Sprintf("%s%02d", base, n); g.unique(id) {
			return name, id
		}
	}
}

// subset returns a non-empty random subset of the ;-separated items, in order.
func (g *gen) subset(items string) string {
	all := strings.Split(items, ";")
	for {
		var out []string
		for _, it := range all {
			if g.r.IntN(3) != 0 {
				out = append(out, it)
			}
		}
		if len(out) > 0 {
			return strings.Join(out, ";")
		}
	}
}

// dedupe drops repeated items from a ;-separated list, keeping the first.
func dedupe(items string) string {
	var out []string
	for _, it := range strings.Split(items, ";") {
		if !slices.Contains(out, it) {
			out = append(out, it)
		}
	}
	return strings.Join(out, ";")
}
