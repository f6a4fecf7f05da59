package plan

import (
	"reflect"
	"testing"
)

// itemView is everything the importer derives for one item, flattened for
// comparison.
type itemView struct {
	ID          string
	Serial      int
	Index       int
	Line        int
	Name        string
	Matter      string
	Scope       string
	Ratio       Ratio
	Risk        Risk
	Window      Window
	Departments Departments
}

func viewItems(p *Plan) []itemView {
	var out []itemView
	for _, it := range p.Items() {
		out = append(out, itemView{
			ID: it.ID, Serial: it.Serial, Index: it.Index, Line: it.Line, Name: it.Name(),
			Matter: it.Matter, Scope: it.Scope, Ratio: it.Ratio, Risk: it.Risk,
			Window: it.Window, Departments: it.Departments,
		})
	}
	return out
}

// Texts repeated in the seed plan, copied from the file (note the
// full-width "，" in riskFull and the ASCII ", " in riskASCII).
const (
	riskFull  = "根据企业信用风险分类结果，对低风险、一般风险、较高风险、高风险企业分别递加比例抽查"
	riskASCII = "根据企业信用风险分类结果, 对低风险、一般风险、较高风险、高风险企业分别递加比例抽查"
	yearOnce  = "一年一次"
)

var (
	city    = []string{CityBureau}
	county  = []string{CountyBureaus}
	ratio30 = Ratio{Raw: "30%/一年一次", Percent: 30, Frequency: yearOnce, PerYear: 1}
	diff    = Risk{Raw: riskFull, Differentiated: true}
	diffA   = Risk{Raw: riskASCII, Differentiated: true}
	mar12   = Window{Raw: "3月-12月", StartMonth: 3, EndMonth: 12}
	mar11   = Window{Raw: "3月-11月", StartMonth: 3, EndMonth: 11}
	deptCB  = Departments{Raw: "市市场监督管理局", Initiators: city}
	deptCBs = Departments{Raw: "市市场监管局", Initiators: city}
)

// goldenSeed is the 2023 plan as it must be parsed, written out by hand
// from seeds/changzhi-2023-plan.txt.
var goldenSeed = []itemView{
	{
		ID: "1", Serial: 1, Index: 1, Line: 10,
		Name:        "在用计量器具的监督检查",
		Matter:      "集贸市场、加油站、眼镜制配场所、医疗机构、国有粮食购销企业在用的强检计量器具监督检查",
		Scope:       "本辖区集贸市场、加油站、眼镜制配场所、医疗机构、国有粮食购销企业",
		Ratio:       Ratio{Raw: "不低于5%/一年一次", Percent: 5, Floor: true, Frequency: yearOnce, PerYear: 1},
		Risk:        diff,
		Window:      Window{Raw: "2月-12月", StartMonth: 2, EndMonth: 12},
		Departments: Departments{Raw: "各地组织发起/计量科指导", Initiators: county, Sections: []Section{{"计量科", "指导"}}},
	},
	{
		ID: "2", Serial: 2, Index: 1, Line: 11,
		Name:        "法定计量检定机构专项监督检查(包含粮食购销领域建标工作)",
		Matter:      "法定计量检定机构专项监督检查(包含粮食购销领域建标工作)",
		Scope:       "本辖区内依法设置的法定计量检定机构和授权建立的计量检定机构",
		Ratio:       Ratio{Raw: "不低于30%/一年一次", Percent: 30, Floor: true, Frequency: yearOnce, PerYear: 1},
		Risk:        Risk{},
		Window:      Window{},
		Departments: Departments{Raw: "市市场监督管理局发起/计量科牵头", Initiators: city, Sections: []Section{{"计量科", "牵头"}}},
	},
	{
		ID: "3", Serial: 3, Index: 1, Line: 12,
		Name:        "计量单位使用情况的监督检查",
		Matter:      "计量单位使用情况监督检查：(1)宣传出版物使用计量单位情况；(2)科技图书、教科书、教辅材料等使用计量单位情况；(3)市场交易领域商品标签标识、产品说明书等使用计量单位情况",
		Scope:       "本辖区宣传出版领域、文化教育领域、市场交易领域",
		Ratio:       Ratio{Raw: "不低于5%/一年一次", Percent: 5, Floor: true, Frequency: yearOnce, PerYear: 1},
		Risk:        Risk{},
		Window:      Window{},
		Departments: Departments{Raw: "各地组织发起/计量科指导", Initiators: county, Sections: []Section{{"计量科", "指导"}}},
	},
	{
		ID: "4", Serial: 4, Index: 1, Line: 13,
		Name:        "对重点食品生产企业的监督检查",
		Matter:      "食品生产企业许可条件保持、管理制度执行和人员管理，环境卫生和设备管理、原料进货查验、生产过程控制、产品检验等主体责任落实",
		Scope:       "保健食品、肉、酒、醋、饮料等重点获证食品生产企业",
		Ratio:       Ratio{Raw: "5% (10户)/一年一次", Percent: 5, Count: 10, CountUnit: "户", Frequency: yearOnce, PerYear: 1},
		Risk:        Risk{Raw: "根据企业信用风险分类结果，对低风险、一般风险、较高风险、高风险企业分别递加比例抽取", Differentiated: true},
		Window:      mar12,
		Departments: deptCB,
	},
	{
		ID: "5", Serial: 5, Index: 1, Line: 14,
		Name:        "对省级资质认定的检验检测机构双随机抽查",
		Matter:      "检验检测机构抽查；检验检测机构获证后期基本条件和技术能力是否持续符合资质认定的获证条件和要求，是否符合《检验检测机构监督管理办法》(市场监管总局39号令)的相关规定",
		Scope:       "全市省级资质认定的检验检测机构",
		Ratio:       Ratio{Raw: "不低于2%/一年一次", Percent: 2, Floor: true, Frequency: yearOnce, PerYear: 1},
		Risk:        diff,
		Window:      mar12,
		Departments: deptCB,
	},
	{
		ID: "6", Serial: 6, Index: 1, Line: 19,
		Name:        "对自愿性认证活动的双随机抽查",
		Matter:      "自愿性认证活动及结果合规性、有效性检查",
		Scope:       "认证证书",
		Ratio:       Ratio{Raw: "不低于1%/一年一次", Percent: 1, Floor: true, Frequency: yearOnce, PerYear: 1},
		Risk:        diff,
		Window:      mar12,
		Departments: deptCB,
	},
	{
		ID: "7", Serial: 7, Index: 1, Line: 20,
		Name:        "对强制性产品认证活动的双随机抽查",
		Matter:      "强制性产品认证活动及结果的合规性、有效性的检查",
		Scope:       "认证证书",
		Ratio:       Ratio{Raw: "10%/一年一次", Percent: 10, Frequency: yearOnce, PerYear: 1},
		Risk:        diff,
		Window:      mar12,
		Departments: deptCB,
	},
	{
		ID: "8", Serial: 8, Index: 1, Line: 21,
		Name:        "拍卖活动检查",
		Matter:      "拍卖活动经营资格检查",
		Scope:       "企业、个体工商户",
		Ratio:       ratio30,
		Risk:        diff,
		Window:      mar11,
		Departments: deptCB,
	},
	{
		ID: "9", Serial: 9, Index: 1, Line: 22,
		Name:        "文物经营活动检查",
		Matter:      "文物经营活动经营资格检查",
		Scope:       "企业、个体工商户",
		Ratio:       ratio30,
		Risk:        diff,
		Window:      mar11,
		Departments: Departments{Raw: "各县区局发起/消保科指导", Initiators: county, Sections: []Section{{"消保科", "指导"}}},
	},
	{
		ID: "10", Serial: 10, Index: 1, Line: 23,
		Name:        "野生动物交易检查",
		Matter:      "为非法交易野生动物等违法行为提供交易服务的检查",
		Scope:       "企业、个体工商户",
		Ratio:       ratio30,
		Risk:        diff,
		Window:      mar11,
		Departments: Departments{Raw: "各县区局发起/消保科指导", Initiators: county, Sections: []Section{{"消保科", "指导"}}},
	},
	{
		ID: "11", Serial: 11, Index: 1, Line: 28,
		Name:        "广告发布单位的双随机抽查",
		Matter:      "广告行为检查: (1) 广告从业人员和广告审查人员情况; (2) 广告业务承接登记、审核档案管理制度制度的建立和执行情况; (3) 是否按照规定报送《广告业统计报表》; (4) 公益广告发布情况。",
		Scope:       "全市广播电台、电视台、报刊出版单位等企业、事业、个体工商户及其它经营单位",
		Ratio:       ratio30,
		Risk:        diffA,
		Window:      Window{Raw: "7月-10月", StartMonth: 7, EndMonth: 10},
		Departments: deptCBs,
	},
	{
		ID: "13", Serial: 13, Index: 1, Line: 29,
		Name:        "广告经营者、广告发布者建立、健全广告业务的承接登记、审核、档案管理制度情况的双随机抽查",
		Matter:      "广告行为检查: (1) 广告经营企业的主体资格等证明文件是否真实有效; (2) 广告业务的承接登记、审核、档案管理制度建立健全情况; (3) 依据广告发布情况抽查查验广告档案资料; (4) 抽查核对近期发布广告内容的真实性、合法性; (5) 广告业务审核手续是否齐备。",
		Scope:       "主营或兼营广告的企业、个体工商户及其它经营单位",
		Ratio:       Ratio{Raw: "5%/一年一次", Percent: 5, Frequency: yearOnce, PerYear: 1},
		Risk:        Risk{},
		Window:      Window{},
		Departments: Departments{Raw: "各县、区市场监管局", Initiators: county},
	},
	{
		ID: "14", Serial: 14, Index: 1, Line: 30,
		Name:        "产品质量监督抽查",
		Matter:      "生产领域产品质量监督抽查",
		Scope:       "全市所有建筑钢筋生产企业",
		Ratio:       Ratio{Raw: "100%/一年一次", Percent: 100, Frequency: yearOnce, PerYear: 1},
		Risk:        Risk{Raw: "根据企业信用风险分类结果, 对低风险、一般风险、较高风险、", Differentiated: true},
		Window:      Window{Raw: "6月-11月", StartMonth: 6, EndMonth: 11},
		Departments: deptCBs,
	},
	{
		ID: "15-1", Serial: 15, Index: 1, Line: 31,
		Name:        "工业产品生产许可证产品生产企业检查",
		Matter:      "食品相关产品质量安全监管检查",
		Scope:       "全市所有食品相关产品生产许可证获证企业",
		Ratio:       Ratio{Raw: "100%/一年一次", Percent: 100, Frequency: yearOnce, PerYear: 1},
		Risk:        diffA,
		Window:      Window{Raw: "5月-11月", StartMonth: 5, EndMonth: 11},
		Departments: deptCBs,
	},
	{
		ID: "15-2", Serial: 15, Index: 2, Line: 32,
		Name:        "工业产品生产许可证产品生产企业检查",
		Matter:      "工业产品生产许可资格检查 工业产品生产许可证获证企业条件检查",
		Scope:       "全市所有工业产品生产许可证获证企业",
		Ratio:       ratio30,
		Risk:        Risk{},
		Window:      Window{Raw: "5月-11月", StartMonth: 5, EndMonth: 11},
		Departments: Departments{Raw: "市市场监管局 市市场监管局", Initiators: city},
	},
	{
		ID: "16", Serial: 16, Index: 1, Line: 37,
		Name:        "对直销企业服务网点、经销商的双随机抽查",
		Matter:      "1、直销行为检查 2、登记事项检查 3、公示信息检查",
		Scope:       "全市直销企业服务网点、经销商",
		Ratio:       ratio30,
		Risk:        diff,
		Window:      Window{Raw: "7月-9月", StartMonth: 7, EndMonth: 9},
		Departments: deptCBs,
	},
	{
		ID: "17", Serial: 17, Index: 1, Line: 38,
		Name:        "对特种设备生产许可证获证企业常规监督检查的双随机抽查",
		Matter:      "1、特种设备生产许可证；2、书面任命质量技术负责人；3、特种设备管理人员、检测人员、作业人员等许可相关在岗人员的资格和数量符合要求；4、设计、制造、安装、改造、重大修理档案是否建立；5、设计文件鉴定或设计单位许可是否符合要求；6、产品生产过程资料是否按要求存档；7、特种设备出厂资料、竣工资料移交记录是否按要求存档；8、最近一次评审提出的整改项目是否整改并复评合格；9、现场抽查生产记录和成品仓库重点产品是否超出许可范围和许可有效期生产的情形；10、单位名称、住所、制造地址、办公地址改变及时申请变更。",
		Scope:       "全市特种设备生产许可证获证企业",
		Ratio:       Ratio{Raw: "20%/一年一次", Percent: 20, Frequency: yearOnce, PerYear: 1},
		Risk:        Risk{Raw: "根据特种设备生产许可证获证企业风险情况，加大对高风险产品的企业的抽查比例", Differentiated: true},
		Window:      mar12,
		Departments: Departments{Raw: "市市场监督管理局组织发起/特种设备安全监察科牵头", Initiators: city, Sections: []Section{{"特种设备安全监察科", "牵头"}}},
	},
}

func TestGoldenSeed(t *testing.T) {
	p := loadSeed(t)
	if p.Title != "长治市市场监督管理局2023年度双随机抽查工作计划" {
		t.Errorf("Title = %q", p.Title)
	}
	if p.Bureau != "长治市市场监督管理局" || p.Year != 2023 || p.Source != seedPath {
		t.Errorf("Bureau, Year, Source = %q, %d, %q", p.Bureau, p.Year, p.Source)
	}
	var serials []int
	for _, task := range p.Tasks {
		serials = append(serials, task.Serial)
		for i, it := range task.Items {
			if it.Task != task || it.Index != i+1 || it.Serial != task.Serial {
				t.Errorf("task %d item %d: back pointer/index/serial wrong", task.Serial, i+1)
			}
		}
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17}; !reflect.DeepEqual(serials, want) {
		t.Errorf("serials = %v, want %v", serials, want)
	}
	got := viewItems(p)
	if len(got) != len(goldenSeed) {
		t.Fatalf("%d items, want %d", len(got), len(goldenSeed))
	}
	for i := range goldenSeed {
		if !reflect.DeepEqual(got[i], goldenSeed[i]) {
			t.Errorf("item %s:\n got  %+v\n want %+v", goldenSeed[i].ID, got[i], goldenSeed[i])
		}
	}
}
