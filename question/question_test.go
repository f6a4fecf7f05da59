package question

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/department"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"请问一下，本月有那些抽查任务？", "本月有哪些抽查任务"},
		{"  帮我查一下 １５－２ ", "15-2"},
		{"ＨＥＬＰ", "help"},
		{"？？", "?"},
		{"?", "?"},
		{"麻烦查询下个月的任务吗", "下个月的任务"},
		{"任务７号呢。", "任务7号"},
		{"", ""},
		{"   ", ""},
		{"抽查", "抽查"}, // "查" is only dropped as a prefix
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNormalizeTraditional(t *testing.T) {
	for _, c := range []struct{ trad, simp string }{
		{"眼鏡店", "眼镜店"},
		{"任務7", "任务7"},
		{"本月哪些抽查任務", "本月哪些抽查任务"},
		{"請問這個月有哪些檢查任務嗎？", "这个月有哪些检查任务"},
		{"計量器具", "计量器具"},
		{"強制性產品認證", "强制性产品认证"},
		{"廣告", "广告"},
		{"特種設備", "特种设备"},
		{"醫療機構", "医疗机构"},
		{"建築鋼筋", "建筑钢筋"},
		{"還剩幾個", "还剩几个"},
		{"沒有註明起止時間的", "没有注明起止时间的"},
		{"沒寫日期", "没写日期"},
		{"時間不限", "时间不限"},
		{"無起止時間", "无起止时间"},
		{"未明確時間", "未明确时间"},
		{"消保科負責哪些", "消保科负责哪些"},
	} {
		if got, want := Normalize(c.trad), Normalize(c.simp); got != want {
			t.Errorf("Normalize(%q) = %q, want %q (as Normalize(%q))", c.trad, got, want, c.simp)
		}
	}
	// Simplified text is unchanged by the fold.
	for _, s := range []string{"本月哪些抽查任务", "眼镜店", "任务15-2", "计量科的任务", "特种设备安全监察科", "广播电台、电视台、报刊"} {
		if got := Simplify(s); got != s {
			t.Errorf("Simplify(%q) = %q, want it unchanged", s, got)
		}
		if got := Normalize(s); got != s {
			t.Errorf("Normalize(%q) = %q, want it unchanged", s, got)
		}
	}
	// Traditional questions parse as their simplified forms.
	for trad, simp := range map[string]string{
		"眼鏡店": "眼镜店", "任務7": "任务7", "本月哪些抽查任務": "本月哪些抽查任务", "計量科的任務": "计量科的任务",
		"廣告什麼時候查": "广告什么时候查", "特種設備": "特种设备",
	} {
		a, b := Parse(trad), Parse(simp)
		a.Text, b.Text = "", ""
		if fmtQuery(a) != fmtQuery(b) {
			t.Errorf("Parse(%q) = %s, want as Parse(%q) = %s", trad, fmtQuery(a), simp, fmtQuery(b))
		}
	}
}

func fmtQuery(q Query) string {
	ref := ""
	if q.Ref != nil {
		ref = q.Ref.String()
	}
	q.Ref = nil
	return fmt.Sprintf("%+v ref=%s", q, ref)
}

func TestParseRefs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // Refs joined with " "
	}{
		{"任务7和任务8", "7 8"},
		{"7、8、9", "7 8 9"},
		{"任务7，8", "7 8"},
		{"任务7,8", "7 8"},
		{"7和8", "7 8"},
		{"第七项和第八项", "7 8"},
		{"15-2和16", "15-2 16"},
		{"任务7与任务8的比例", "7 8"},
		{"任务7和7", "7"},
		{"任务7", "7"},
		{"15-2", "15-2"},
		{"7月和8月", ""},
		{"本月哪些抽查任务", ""},
	} {
		q := Parse(c.in)
		var got []string
		for _, r := range q.Refs {
			got = append(got, r.String())
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("Parse(%q).Refs = %v, want %s", c.in, got, c.want)
		}
		if (q.Ref == nil) != (len(q.Refs) == 0) || q.Ref != nil && *q.Ref != q.Refs[0] {
			t.Errorf("Parse(%q).Ref = %v, want the first of Refs %v", c.in, q.Ref, q.Refs)
		}
	}
}

func TestNumber(t *testing.T) {
	for in, want := range map[string]int{
		"7": 7, "07": 7, "七": 7, "十": 10, "十五": 15, "二十": 20, "二十三": 23, "两": 2, "九十九": 99,
		"": 0, "零十": 0, "百": 0, "十十": 0, "x": 0,
	} {
		if got := number(in); got != want {
			t.Errorf("number(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	type want struct {
		intent Intent
		period Period
		event  Event
		depts  []string
		subs   []string
		ref    string
		attr   Attr
		noWin  bool
		risk   RiskFilter
		ratio  RatioFilter
	}
	month := func(m int) Period { return Period{Kind: PeriodMonth, Month: m} }
	rel := func(o int) Period { return Period{Kind: PeriodMonth, Offset: o} }
	cases := []struct {
		in string
		w  want
	}{
		{"本月哪些抽查任务", want{intent: List, period: rel(0)}},
		{"这个月", want{intent: List, period: rel(0)}},
		{"下个月的任务", want{intent: List, period: rel(1)}},
		{"上月", want{intent: List, period: rel(-1)}},
		{"7月", want{intent: List, period: month(7)}},
		{"七月份", want{intent: List, period: month(7)}},
		{"十二月", want{intent: List, period: month(12)}},
		{"十一月", want{intent: List, period: month(11)}},
		{"12月份", want{intent: List, period: month(12)}},
		{"13月", want{intent: Unknown}},
		{"7-9月", want{intent: List, period: Period{Kind: PeriodMonths, Month: 7, ToMonth: 9}}},
		{"第二季度", want{intent: List, period: Period{Kind: PeriodQuarter, Quarter: 2}}},
		{"三季度", want{intent: List, period: Period{Kind: PeriodQuarter, Quarter: 3}}},
		{"Q4", want{intent: List, period: Period{Kind: PeriodQuarter, Quarter: 4}}},
		{"下季度", want{intent: List, period: Period{Kind: PeriodQuarter, Offset: 1}}},
		{"上半年", want{intent: List, period: Period{Kind: PeriodHalf, Half: 1}}},
		{"今年剩下的", want{intent: List, period: Period{Kind: PeriodRest}}},
		{"正在进行", want{intent: List, period: Period{Kind: PeriodNow}}},
		{"这周", want{intent: List, period: Period{Kind: PeriodWeek}}},
		{"下周", want{intent: List, period: Period{Kind: PeriodWeek, Offset: 1}}},
		{"今年", want{intent: List, period: Period{Kind: PeriodYear}}},
		{"本月开始的", want{intent: List, period: rel(0), event: EventStart}},
		{"开始的", want{intent: List, period: rel(0), event: EventStart}},
		{"本月截止的", want{intent: List, period: rel(0), event: EventEnd}},
		{"快到期的", want{intent: List, event: EventClosingSoon}},
		{"即将截止", want{intent: List, event: EventClosingSoon}},
		{"即将开始", want{intent: List, event: EventOpeningSoon}},
		{"计量科", want{intent: List, depts: []string{"计量科"}}},
		{"消费者权益保护科", want{intent: List, depts: []string{"消保科"}}},
		{"特设科", want{intent: List, depts: []string{"特种设备安全监察科"}}},
		{"特种设备", want{intent: List, subs: []string{"特种设备"}}},
		{"县区局", want{intent: List, depts: []string{CountyBureaus}}},
		{"市局", want{intent: List, depts: []string{CityBureau}}},
		{"市市场监管局", want{intent: List, depts: []string{CityBureau}}},
		{"眼镜店", want{intent: List, subs: []string{"眼镜制配"}}},
		{"保健食品", want{intent: List, subs: []string{"保健食品"}}},
		{"保健食品和食品", want{intent: List, subs: []string{"保健食品"}}},
		{"3c认证", want{intent: List, subs: []string{"强制性产品认证"}}},
		{"CCC 认证", want{intent: List, subs: []string{"强制性产品认证"}}},
		// Latin words count only as whole words: not inside pasted codes.
		{"ab3cd", want{intent: Unknown}},
		{"计量单位", want{intent: List, subs: []string{"计量单位"}}},
		{"任务7", want{intent: TaskByRef, ref: "7"}},
		{"第7项", want{intent: TaskByRef, ref: "7"}},
		{"7号任务", want{intent: TaskByRef, ref: "7"}},
		{"第七项", want{intent: TaskByRef, ref: "7"}},
		{"任务十五", want{intent: TaskByRef, ref: "15"}},
		{"15-2", want{intent: TaskByRef, ref: "15-2"}},
		{"任务15-1", want{intent: TaskByRef, ref: "15-1"}},
		{"12", want{intent: TaskByRef, ref: "12"}},
		{"拍卖抽多少", want{intent: Attribute, subs: []string{"拍卖"}, attr: AttrRatio}},
		{"直销什么时候查", want{intent: Attribute, subs: []string{"直销"}, attr: AttrWindow}},
		{"直销什么时候开始", want{intent: Attribute, subs: []string{"直销"}, attr: AttrWindow}},
		{"文物谁发起", want{intent: Attribute, subs: []string{"文物"}, attr: AttrDept}},
		{"加油站怎么抽查", want{intent: Attribute, subs: []string{"加油站"}, attr: AttrHow}},
		{"任务7的比例", want{intent: Attribute, ref: "7", attr: AttrRatio}},
		{"任务7的比例及频次", want{intent: Attribute, ref: "7", attr: AttrRatio}},
		{"任务7的频次", want{intent: Attribute, ref: "7", attr: AttrFrequency}},
		{"拍卖多长时间查一次", want{intent: Attribute, subs: []string{"拍卖"}, attr: AttrFrequency}},
		{"任务7的牵头科室", want{intent: Attribute, ref: "7", attr: AttrSection}},
		{"文物归哪个科室指导", want{intent: Attribute, subs: []string{"文物"}, attr: AttrSection}},
		{"任务7的抽查对象范围", want{intent: Attribute, ref: "7", attr: AttrScope}},
		{"加油站的范围", want{intent: Attribute, subs: []string{"加油站"}, attr: AttrScope}},
		{"拍卖查什么", want{intent: Attribute, subs: []string{"拍卖"}, attr: AttrMatter}},
		{"任务7的抽查事项", want{intent: Attribute, ref: "7", attr: AttrMatter}},
		{"任务7的信用风险要求", want{intent: Attribute, ref: "7", attr: AttrRisk}},
		{"任务7按风险分类吗", want{intent: Attribute, ref: "7", attr: AttrRisk}},
		{"没有风险要求的任务", want{intent: List, risk: RiskUniform}},
		{"市局发起的任务", want{intent: List, depts: []string{CityBureau}}},
		{"没有时间的任务", want{intent: List, noWin: true}},
		{"没有规定起止时间的任务", want{intent: List, noWin: true}},
		{"没规定时间的", want{intent: List, noWin: true}},
		{"没写时间", want{intent: List, noWin: true}},
		{"没有写日期的任务", want{intent: List, noWin: true}},
		{"未明确起止时间", want{intent: List, noWin: true}},
		{"不限日期的任务", want{intent: List, noWin: true}},
		{"没有注明起止日期", want{intent: List, noWin: true}},
		{"未注明日期的任务", want{intent: List, noWin: true}},
		{"日期不限的", want{intent: List, noWin: true}},
		{"哪些任务时间未明确", want{intent: List, noWin: true}},
		{"按风险", want{intent: List, risk: RiskDifferentiated}},
		{"递加比例的", want{intent: List, risk: RiskDifferentiated}},
		{"不按风险的", want{intent: List, risk: RiskUniform}},
		{"比例100%的", want{intent: List, ratio: RatioFilter{RatioEq, 100}}},
		{"全部抽查的", want{intent: List, ratio: RatioFilter{RatioEq, 100}}},
		{"比例30%以上", want{intent: List, ratio: RatioFilter{RatioGE, 30}}},
		{"不低于5%", want{intent: List, ratio: RatioFilter{RatioGE, 5}}},
		{"比例10%以下", want{intent: List, ratio: RatioFilter{RatioLE, 10}}},
		{"帮助", want{intent: Help}},
		{"菜单", want{intent: Help}},
		{"？", want{intent: Help}},
		{"help", want{intent: Help}},
		{"你能做什么", want{intent: Help}},
		{"我科室的任务", want{intent: Mine}},
		{"计量科本月开始的加油站任务", want{intent: List, period: rel(0), event: EventStart, depts: []string{"计量科"}, subs: []string{"加油站"}}},
		{"你好", want{intent: Help}},
		{"天气", want{intent: Unknown}},
		{"2023年3月的任务", want{intent: List, period: month(3)}},
		{"近期截止的", want{intent: List, event: EventClosingSoon}},
		{"医疗器械", want{intent: Unknown}},
	}
	for _, c := range cases {
		q := Parse(c.in)
		var subs []string
		for _, s := range q.Subjects {
			subs = append(subs, s.Label)
		}
		ref := ""
		if q.Ref != nil {
			ref = q.Ref.String()
		}
		got := want{q.Intent, q.Period, q.Event, q.Departments, subs, ref, q.Attr, q.NoWindow, q.Risk, q.Ratio}
		if !equalWant(got.depts, c.w.depts) || !equalWant(got.subs, c.w.subs) ||
			got.intent != c.w.intent || got.period != c.w.period || got.event != c.w.event || got.ref != c.w.ref ||
			got.attr != c.w.attr || got.noWin != c.w.noWin || got.risk != c.w.risk || got.ratio != c.w.ratio {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", c.in, got, c.w)
		}
	}
}

func equalWant(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPeriodMonths(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	dec := time.Date(2023, 12, 20, 9, 0, 0, 0, loc)
	mar := time.Date(2023, 3, 15, 9, 0, 0, 0, loc)
	for _, c := range []struct {
		p              Period
		now            time.Time
		year, from, to int
	}{
		{Period{Kind: PeriodMonth}, mar, 2023, 3, 3},
		{Period{Kind: PeriodMonth, Offset: 1}, dec, 2024, 1, 1},
		{Period{Kind: PeriodMonth, Offset: -1}, time.Date(2023, 1, 5, 0, 0, 0, 0, loc), 2022, 12, 12},
		{Period{Kind: PeriodMonth, Month: 7}, mar, 2023, 7, 7},
		{Period{Kind: PeriodQuarter, Quarter: 2}, mar, 2023, 4, 6},
		{Period{Kind: PeriodQuarter}, mar, 2023, 1, 3},
		{Period{Kind: PeriodQuarter, Offset: 1}, dec, 2024, 1, 3},
		{Period{Kind: PeriodHalf, Half: 2}, mar, 2023, 7, 12},
		{Period{Kind: PeriodRest}, mar, 2023, 3, 12},
		{Period{Kind: PeriodNow}, dec, 2023, 12, 12},
		{Period{Kind: PeriodYear}, mar, 2023, 1, 12},
	} {
		y, f, to, ok := c.p.Months(c.now)
		if !ok || y != c.year || f != c.from || to != c.to {
			t.Errorf("%+v at %s: %d %d-%d %v, want %d %d-%d", c.p, c.now.Format("2006-01-02"), y, f, to, ok, c.year, c.from, c.to)
		}
	}
	if _, _, _, ok := (Period{Kind: PeriodWeek}).Months(mar); ok {
		t.Error("week has months")
	}
	from, to := Period{Kind: PeriodWeek}.Week(time.Date(2023, 3, 19, 23, 0, 0, 0, loc)) // a Sunday
	if from.Format("2006-01-02") != "2023-03-13" || to.Format("2006-01-02") != "2023-03-20" {
		t.Errorf("week of 2023-03-19: %s - %s", from, to)
	}
	from, _ = Period{Kind: PeriodWeek, Offset: 1}.Week(time.Date(2023, 3, 13, 0, 0, 0, 0, loc)) // a Monday
	if from.Format("2006-01-02") != "2023-03-20" {
		t.Errorf("next week of 2023-03-13: %s", from)
	}
}

func TestParserDepartments(t *testing.T) {
	for in, want := range map[string]string{
		"计量科": "计量科", "消费者权益保护科": "消保科", "特种设备科": "特种设备安全监察科", "特设科": "特种设备安全监察科",
		"潞州区": CountyBureaus, "潞州区局": CountyBureaus, "长治市潞州区市场监督管理局": CountyBureaus, "沁县": CountyBureaus,
		"市市场监管局": CityBureau, "长治市市场监督管理局": CityBureau, "办公室": "",
	} {
		q := Parse(in + "的任务")
		got := strings.Join(q.Departments, ",")
		if got != want {
			t.Errorf("Parse(%q).Departments = %q, want %q", in+"的任务", got, want)
		}
	}
	// The vocabulary is configuration: a county or section added there is
	// understood, and one not there is not.
	v, err := department.New([]department.Section{{Name: "质量科", Aliases: []string{"质监科"}}}, []string{"测试县"})
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser(v)
	for in, want := range map[string]string{"测试县局的任务": CountyBureaus, "质监科的任务": "质量科", "潞州区的任务": ""} {
		if got := strings.Join(p.Parse(in).Departments, ","); got != want {
			t.Errorf("configured Parse(%q).Departments = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse: any message parses without panicking, and parsing is stable.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"本月哪些抽查任务", "任务十五", "15-2", "比例30%以上", "７月到９月", "第二季度", "？", "我科室", "九十九号任务", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Parse(s)
		if q.Intent < Unknown || q.Intent > Mine {
			t.Fatalf("intent %d", q.Intent)
		}
		if Normalize(q.Norm) != q.Norm && q.Norm != "?" {
			t.Fatalf("Normalize not idempotent: %q → %q", q.Norm, Normalize(q.Norm))
		}
		if _, _, _, ok := q.Period.Months(time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC)); ok {
			_, from, to, _ := q.Period.Months(time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC))
			if from < 1 || to > 12 || from > to {
				t.Fatalf("period %+v → %d-%d", q.Period, from, to)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"请问一下，本月有那些抽查任务？", "拍卖抽多少", "任务十五", "计量科本月开始的加油站任务", "今天天气怎么样"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Parse(s)
			}
		})
	}
}

// What no slot consumed is kept for the retrieval step: Words one by one
// (split at connectors), Phrases whole before the subject triggers split
// them; Said is the trigger as typed.
func TestParseWords(t *testing.T) {
	for _, c := range []struct {
		in             string
		words, phrases string // joined with " "
		said           string
	}{
		{"特种设备生产许可证抽多少", "", "特种设备生产许可证", "生产许可证 特种设备"},
		{"广告发布", "发布", "广告发布", "广告"},
		{"个体工商户和企业", "个体工商户 企业", "个体工商户 企业", ""},
		{"本月的牙膏任务", "牙膏", "牙膏", ""},
		{"眼镜店什么时候查", "", "眼镜店", "眼镜店"},
		{"任务7", "", "", ""},
		// 相关 is a stop word, but not inside the plan's 食品相关产品.
		{"食品相关产品生产许可证", "", "食品相关产品生产许可证", "食品相关产品 生产许可证"},
		{"领导让我问下眼镜店来着", "", "眼镜店", "眼镜店"},
	} {
		q := Parse(c.in)
		var said []string
		for _, s := range q.Subjects {
			said = append(said, s.Said)
		}
		if got := strings.Join(q.Words, " "); got != c.words {
			t.Errorf("Parse(%q).Words = %q, want %q", c.in, got, c.words)
		}
		if got := strings.Join(q.Phrases, " "); got != c.phrases {
			t.Errorf("Parse(%q).Phrases = %q, want %q", c.in, got, c.phrases)
		}
		if got := strings.Join(said, " "); got != c.said {
			t.Errorf("Parse(%q) subjects said %q, want %q", c.in, got, c.said)
		}
	}
}
