package plan

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"计量科", "计量科"},
		{"智慧监管（信用风险分类）要求", "智慧监管(信用风险分类)要求"},
		{"智慧监管(信用风险分类)要求", "智慧监管(信用风险分类)要求"},
		{"１５－２", "15-2"},
		{"不低于５％／一年一次", "不低于5%/一年一次"},
		{"5% (10户)", "5%(10户)"},
		{" 任务 7 ", "任务7"},
		{"任务\u30007", "任务7"},
		{"ＡＢＣ def", "abcdef"},
		{"3月—12月", "3月-12月"},
		{"3月–12月", "3月-12月"},
		{"3月〜12月", "3月~12月"},
		{"检查：", "检查:"},
		{"①②⑩", "1210"},
		{"\ufeff序号", "序号"},
		{"哪些？", "哪些?"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseRatio(t *testing.T) {
	tests := []struct {
		in   string
		want Ratio
	}{
		{"不低于5%/一年一次", Ratio{Percent: 5, Floor: true, Frequency: "一年一次", PerYear: 1}},
		{"10%/一年一次", Ratio{Percent: 10, Frequency: "一年一次", PerYear: 1}},
		{"5% (10户)/一年一次", Ratio{Percent: 5, Count: 10, CountUnit: "户", Frequency: "一年一次", PerYear: 1}},
		{"5%（10户）／一年一次", Ratio{Percent: 5, Count: 10, CountUnit: "户", Frequency: "一年一次", PerYear: 1}},
		{"不低于５％／一年一次", Ratio{Percent: 5, Floor: true, Frequency: "一年一次", PerYear: 1}},
		{"不少于 3% / 每年一次", Ratio{Percent: 3, Floor: true, Frequency: "每年一次", PerYear: 1}},
		{"20%/一年两次", Ratio{Percent: 20, Frequency: "一年两次", PerYear: 2}},
		{"20%/一年二次", Ratio{Percent: 20, Frequency: "一年二次", PerYear: 2}},
		{"20%/半年一次", Ratio{Percent: 20, Frequency: "半年一次", PerYear: 2}},
		{"20%/每季度一次", Ratio{Percent: 20, Frequency: "每季度一次", PerYear: 4}},
		{"20%/每月1次", Ratio{Percent: 20, Frequency: "每月1次", PerYear: 12}},
		{"20%/每年3次", Ratio{Percent: 20, Frequency: "每年3次", PerYear: 3}},
		{"0.5%/一年一次", Ratio{Percent: 0.5, Frequency: "一年一次", PerYear: 1}},
		{"100%", Ratio{Percent: 100}},
		{"30%，一年一次", Ratio{Percent: 30, Frequency: "一年一次", PerYear: 1}},
		{"10户/一年一次", Ratio{Count: 10, CountUnit: "户", Frequency: "一年一次", PerYear: 1}},
		{"5%10家/一年一次", Ratio{Percent: 5, Count: 10, CountUnit: "家", Frequency: "一年一次", PerYear: 1}},
	}
	for _, tt := range tests {
		got, err := ParseRatio(tt.in)
		if err != nil {
			t.Errorf("ParseRatio(%q): %v", tt.in, err)
			continue
		}
		tt.want.Raw = tt.in
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRatio(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "empty"},
		{"待定", "not a ratio"},
		{"150%/一年一次", "out of range"},
		{"0%/一年一次", "out of range"},
		{"5/一年一次", "not followed by"},
		{"5%/两年一次", "not a whole number"},
		{"5%/一年三回", "unknown frequency"},
		{"5%/看情况", "unknown frequency"},
		{"5%/一年一次/再说", "unknown frequency"},
		{"不低于%", "not a ratio"},
	}
	for _, tt := range bad {
		_, err := ParseRatio(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseRatio(%q) error = %v, want one mentioning %q", tt.in, err, tt.msg)
		}
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in         string
		start, end int
	}{
		{"", 0, 0},
		{"  ", 0, 0},
		{"2月-12月", 2, 12},
		{"2-12月", 2, 12},
		{"2月至12月", 2, 12},
		{"2月到12月", 2, 12},
		{"3月份-11月份", 3, 11},
		{"３月－１２月", 3, 12},
		{"3月—12月", 3, 12},
		{"3月–12月", 3, 12},
		{"3月~12月", 3, 12},
		{"3月～12月", 3, 12},
		{"3 月 - 12 月", 3, 12},
		{"三月-十二月", 3, 12},
		{"十一月至十二月", 11, 12},
		{"7月", 7, 7},
		{"全年", 1, 12},
		{"3月-年底", 3, 12},
		{"5月-5月", 5, 5},
	}
	for _, tt := range tests {
		got, err := ParseWindow(tt.in)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", tt.in, err)
			continue
		}
		if got.StartMonth != tt.start || got.EndMonth != tt.end || got.Raw != tt.in {
			t.Errorf("ParseWindow(%q) = %+v, want %d..%d", tt.in, got, tt.start, tt.end)
		}
	}
	bad := []struct{ in, msg string }{
		{"13月-2月", "month 13 out of range"},
		{"0月-2月", "month 0 out of range"},
		{"3月-13月", "month 13 out of range"},
		{"5月-2月", "start month 5 is after end month 2"},
		{"待定", "not a month range"},
		{"7", "not a month range"},
		{"3月-", "not a month range"},
		{"3月-12月中旬", "not a month range"},
		{"3月12月", "not a month range"},
		{"2023年3月-12月", "month 2023 out of range"},
		{"99999999999999999999月", "out of range"},
	}
	for _, tt := range bad {
		_, err := ParseWindow(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseWindow(%q) error = %v, want one mentioning %q", tt.in, err, tt.msg)
		}
	}
}

func TestWindowTimes(t *testing.T) {
	w := Window{StartMonth: 3, EndMonth: 11}
	if s := w.String(); s != "3月-11月" {
		t.Errorf("String = %q", s)
	}
	if got := (Window{}).String(); got != "未注明起止时间" {
		t.Errorf("no window String = %q", got)
	}
	sh := time.FixedZone("CST", 8*3600)
	for _, tt := range []struct {
		w                Window
		start, end, last string
	}{
		{w, "2023-03-01", "2023-12-01", "2023-11-30"},
		{Window{StartMonth: 2, EndMonth: 12}, "2023-02-01", "2024-01-01", "2023-12-31"},
		{Window{}, "2023-01-01", "2024-01-01", "2023-12-31"}, // no window: the whole plan year
	} {
		day := func(x time.Time) string { return x.Format(time.DateOnly) }
		if s, e, l := tt.w.Start(2023, sh), tt.w.End(2023, sh), tt.w.LastDay(2023, sh); day(s) != tt.start || day(e) != tt.end || day(l) != tt.last || s.Location() != sh {
			t.Errorf("%v: start %v end %v last %v", tt.w, s, e, l)
		}
	}
}

func TestParseRisk(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"无", false},
		{"/", false},
		{riskFull, true},
		{"根据企业信用风险分类结果, 对低风险、一般风险、较高风险、", true},
		{"根据特种设备生产许可证获证企业风险情况，加大对高风险产品的企业的抽查比例", true},
		{"按风险分类结果分别递加比例", true},
		{"不区分风险等级，统一比例抽取", false},
		{"随机抽取", false},
	}
	for _, tt := range tests {
		got := ParseRisk(tt.in)
		if got.Differentiated != tt.want || got.Raw != tt.in {
			t.Errorf("ParseRisk(%q) = %+v, want Differentiated %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDepartments(t *testing.T) {
	tests := []struct {
		in         string
		initiators []string
		sections   []Section
	}{
		{"各地组织发起/计量科指导", county, []Section{{"计量科", RoleGuide}}},
		{"市市场监督管理局发起/计量科牵头", city, []Section{{"计量科", RoleLead}}},
		{"市市场监督管理局", city, nil},
		{"各县区局发起/消保科指导", county, []Section{{"消保科", RoleGuide}}},
		{"市市场监管局", city, nil},
		{"各县、区市场监管局", county, nil},
		{"市市场监管局 市市场监管局", city, nil},
		{"市市场监督管理局组织发起/特种设备安全监察科牵头", city, []Section{{"特种设备安全监察科", RoleLead}}},
		{"市市场监督管理局组织发起／特种设备安全监察科牵头", city, []Section{{"特种设备安全监察科", RoleLead}}},
		{"长治市市场监督管理局", city, nil},
		{"市局", city, nil},
		{"各县（区）市场监管局", county, nil},
		{"县区局", county, nil},
		{"市市场监管局/各县区局", []string{CityBureau, CountyBureaus}, nil},
		{"市市场监管局　市市场监督管理局", city, nil},
		{"计量科牵头 计量科牵头", nil, []Section{{"计量科", RoleLead}}},
		{"市卫健委", []string{"市卫健委"}, nil},
		{"潞州区市场监管局发起", []string{"潞州区市场监管局"}, nil},
		{"市市场监督管理局 组织发起/计量科 牵头", city, []Section{{"计量科", RoleLead}}},
		{"市市场监管局/牵头", city, nil},
	}
	for _, tt := range tests {
		got, err := ParseDepartments(tt.in)
		if err != nil {
			t.Errorf("ParseDepartments(%q): %v", tt.in, err)
			continue
		}
		want := Departments{Raw: tt.in, Initiators: tt.initiators, Sections: tt.sections}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseDepartments(%q) = %+v, want %+v", tt.in, got, want)
		}
	}
	for _, in := range []string{"", "  ", "/", "牵头", "/指导 发起"} {
		if _, err := ParseDepartments(in); err == nil {
			t.Errorf("ParseDepartments(%q): no error", in)
		}
	}
}

func TestWindowCovers(t *testing.T) {
	w := Window{StartMonth: 3, EndMonth: 11}
	for m, want := range map[int]bool{1: false, 2: false, 3: true, 7: true, 11: true, 12: false} {
		if got := w.Covers(m); got != want {
			t.Errorf("3-11 Covers(%d) = %v", m, got)
		}
	}
	if (Window{}).Covers(5) {
		t.Error("no window covers May")
	}
}
