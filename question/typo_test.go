package question

import "testing"

// TestTypoCorrection: a confused character is corrected only where that
// makes a known word of a stretch no known word covered.
func TestTypoCorrection(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"本越有哪些抽查任务", "本月有哪些抽查任务"},
		{"拍买行", "拍卖行"},
		{"检验检侧机构", "检验检测机构"},
		{"消宝科", "消保科"},
		{"什么时侯", "什么时候"},
		// correct text stays
		{"消费者投诉", "消费者投诉"},
		{"消保科", "消保科"},
		{"买东西", "买东西"},
		{"其他的", "其他的"},
		{"多少钱", "多少钱"},
		{"本月", "本月"},
	} {
		if got := Parse(c.in).Norm; got != c.want {
			t.Errorf("Parse(%q).Norm = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestTraditionalPlanWords: the plan's subjects typed in traditional
// characters parse as typed in simplified ones.
func TestTraditionalPlanWords(t *testing.T) {
	for _, c := range []struct{ trad, simp string }{
		{"拍賣", "拍卖"}, {"鋼筋", "钢筋"}, {"直銷", "直销"}, {"檢驗檢測機構", "检验检测机构"},
		{"眼鏡店", "眼镜店"}, {"廣告發佈", "广告发布"}, {"特種設備", "特种设备"}, {"計量器具", "计量器具"},
		{"野生動物交易", "野生动物交易"}, {"產品質量", "产品质量"}, {"工業產品生產許可證", "工业产品生产许可证"},
	} {
		if got := Normalize(c.trad); got != c.simp {
			t.Errorf("Normalize(%q) = %q, want %q", c.trad, got, c.simp)
		}
	}
}

// TestSpacedNumbers: task numbers apart by spaces are a list; a year
// before a month is not.
func TestSpacedNumbers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"任务1 2 3", "任务1、2、3"},
		{"任务 7 8", "任务7、8"},
		{"2023 3月的任务", "20233月的任务"},
		{"7 月", "7月"},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
