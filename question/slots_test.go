package question

import (
	"slices"
	"testing"
	"time"
)

// The slots of dates.go and ratio.go, each kind in several phrasings:
// colloquial, full-width, traditional characters, no punctuation.
func TestParseSlots(t *testing.T) {
	type want struct {
		intent   Intent
		period   Period
		periods  []Period
		event    Event
		attr     Attr
		ratios   []RatioFilter // Ratio, then the others (Ratios when several)
		extreme  Extreme
		deadline Deadline
		refs     int // how many task numbers were read
	}
	yearEnd := Deadline{Kind: DeadlineDate, Month: 12, Label: "年底"}
	holiday := func(h string) Deadline { return Deadline{Kind: DeadlineHoliday, Holiday: h, Label: h} }
	day := func(off int) Period { return Period{Kind: PeriodDay, Offset: off} }
	wday := func(wd, off int) Period { return Period{Kind: PeriodDay, Weekday: wd, Offset: off} }
	q := func(n int) Period { return Period{Kind: PeriodQuarter, Quarter: n} }
	m := func(n int) Period { return Period{Kind: PeriodMonth, Month: n} }
	r := func(op RatioOp, p float64) RatioFilter { return RatioFilter{op, p} }
	cases := []struct {
		in string
		w  want
	}{
		// Deadlines.
		{"年底前要做完的", want{intent: List, deadline: yearEnd}},
		{"年底之前必须完成的任务", want{intent: List, deadline: yearEnd}},
		{"今年年底前截止的有哪些", want{intent: List, deadline: yearEnd}},
		{"到年底为止要查完的", want{intent: List, deadline: yearEnd}},
		{"年末前", want{intent: List, deadline: yearEnd}},
		{"年内要完成的", want{intent: List, deadline: yearEnd}},
		{"12月底前", want{intent: List, deadline: yearEnd}},
		{"今年所有年底前截止的", want{intent: List, period: Period{}, deadline: Deadline{Kind: DeadlineDate, Month: 12, Label: "年底", All: true}}},
		{"国庆前必须结束的", want{intent: List, deadline: holiday("国庆节")}},
		{"国庆节之前要结束的任务", want{intent: List, deadline: holiday("国庆节")}},
		{"十一前截止的", want{intent: List, deadline: holiday("国庆节")}},
		{"国庆假期前", want{intent: List, deadline: holiday("国庆节")}},
		{"國慶前必須結束的", want{intent: List, deadline: holiday("国庆节")}},
		{"五一前", want{intent: List, deadline: holiday("劳动节")}},
		{"劳动节前截止的", want{intent: List, deadline: holiday("劳动节")}},
		{"春节前", want{intent: List, deadline: holiday("春节")}},
		{"过年前要做完的", want{intent: List, deadline: holiday("春节")}},
		{"端午前", want{intent: List, deadline: holiday("端午节")}},
		{"3月中旬前截止的", want{intent: List, deadline: Deadline{Kind: DeadlineBefore, Month: 3, Day: 11, Label: "3月中旬"}}},
		{"三月中旬以前", want{intent: List, deadline: Deadline{Kind: DeadlineBefore, Month: 3, Day: 11, Label: "3月中旬"}}},
		{"３月中旬前", want{intent: List, deadline: Deadline{Kind: DeadlineBefore, Month: 3, Day: 11, Label: "3月中旬"}}},
		{"11月下旬前", want{intent: List, deadline: Deadline{Kind: DeadlineBefore, Month: 11, Day: 21, Label: "11月下旬"}}},
		{"中旬前截止的", want{intent: List, deadline: Deadline{Kind: DeadlineBefore, Day: 11, Label: "本月中旬"}}},
		{"元旦前", want{intent: List, deadline: holiday("元旦节")}},
		{"月底前", want{intent: List, deadline: Deadline{Kind: DeadlineDate, Label: "本月底"}}},
		{"本月底前截止的", want{intent: List, deadline: Deadline{Kind: DeadlineDate, Label: "本月底"}}},
		{"这个月底之前", want{intent: List, deadline: Deadline{Kind: DeadlineDate, Label: "本月底"}}},
		{"下个月底前", want{intent: List, deadline: Deadline{Kind: DeadlineDate, MonthOffset: 1, Label: "下月底"}}},
		{"6月底前", want{intent: List, deadline: Deadline{Kind: DeadlineDate, Month: 6, Label: "6月底"}}},
		{"6月前", want{intent: List, deadline: Deadline{Kind: DeadlineBefore, Month: 6, Day: 1, Label: "6月"}}},
		{"六月份之前截止的", want{intent: List, deadline: Deadline{Kind: DeadlineBefore, Month: 6, Day: 1, Label: "6月"}}},
		{"6月前开始的", want{intent: List, event: EventStart, deadline: Deadline{Kind: DeadlineBefore, Month: 6, Day: 1, Label: "6月"}}},
		{"6月30日前", want{intent: List, deadline: Deadline{Kind: DeadlineDate, Month: 6, Day: 30, Label: "6月30日"}}},
		{"6月30号之前", want{intent: List, deadline: Deadline{Kind: DeadlineDate, Month: 6, Day: 30, Label: "6月30日"}}},
		{"本季度末前", want{intent: List, deadline: Deadline{Kind: DeadlineQuarter, Label: "本季度末"}}},
		{"第三季度末前截止的", want{intent: List, deadline: Deadline{Kind: DeadlineQuarter, Month: 3, Label: "第三季度末"}}},
		{"三季度结束前", want{intent: List, deadline: Deadline{Kind: DeadlineQuarter, Month: 3, Label: "第三季度末"}}},
		{"年中前", want{intent: List, deadline: Deadline{Kind: DeadlineDate, Month: 6, Label: "上半年末"}}},
		{"上半年结束前要完成的", want{intent: List, deadline: Deadline{Kind: DeadlineDate, Month: 6, Label: "上半年末"}}},
		{"10天内到期的", want{intent: List, event: EventClosingSoon}},
		{"一周内开始的", want{intent: List, event: EventOpeningSoon}},
		{"两个月内截止", want{intent: List, event: EventClosingSoon}},
		{"本周五前截止的", want{intent: List, deadline: Deadline{Kind: DeadlineDay, DayOf: wday(5, 0), Label: "本周五"}}},

		// Ratio comparisons and extremes.
		{"比例最高的任务", want{intent: List, extreme: ExtremeMax}},
		{"哪个任务比例最高", want{intent: List, extreme: ExtremeMax}},
		{"抽查比例最大的是哪个", want{intent: List, extreme: ExtremeMax}},
		{"抽得最多的", want{intent: List, extreme: ExtremeMax}},
		{"比例哪个最高", want{intent: List, extreme: ExtremeMax}},
		{"比例最低的", want{intent: List, extreme: ExtremeMin}},
		{"最小比例", want{intent: List, extreme: ExtremeMin}},
		{"抽的最少的任务", want{intent: List, extreme: ExtremeMin}},
		{"高于5%", want{intent: List, ratios: []RatioFilter{r(RatioGT, 5)}}},
		{"比例超过5%的", want{intent: List, ratios: []RatioFilter{r(RatioGT, 5)}}},
		{"大于５％", want{intent: List, ratios: []RatioFilter{r(RatioGT, 5)}}},
		{"低于5%", want{intent: List, ratios: []RatioFilter{r(RatioLT, 5)}}},
		{"不到百分之五的", want{intent: List, ratios: []RatioFilter{r(RatioLT, 5)}}},
		{"比例不足5%", want{intent: List, ratios: []RatioFilter{r(RatioLT, 5)}}},
		{"至少30%", want{intent: List, ratios: []RatioFilter{r(RatioGE, 30)}}},
		{"30％及以上", want{intent: List, ratios: []RatioFilter{r(RatioGE, 30)}}},
		{"百分之三十以上", want{intent: List, ratios: []RatioFilter{r(RatioGE, 30)}}},
		{"不低于30%", want{intent: List, ratios: []RatioFilter{r(RatioGE, 30)}}},
		{"不高于10%", want{intent: List, ratios: []RatioFilter{r(RatioLE, 10)}}},
		{"不超过百分之十", want{intent: List, ratios: []RatioFilter{r(RatioLE, 10)}}},
		{"5个百分点以上", want{intent: List, ratios: []RatioFilter{r(RatioGE, 5)}}},
		{"百分之一百", want{intent: List, ratios: []RatioFilter{r(RatioEq, 100)}}},
		{"5%和10%", want{intent: List, ratios: []RatioFilter{r(RatioEq, 5), r(RatioEq, 5), r(RatioEq, 10)}}},
		{"5%、10%的任务", want{intent: List, ratios: []RatioFilter{r(RatioEq, 5), r(RatioEq, 5), r(RatioEq, 10)}}},
		{"比例5%或者10%", want{intent: List, ratios: []RatioFilter{r(RatioEq, 5), r(RatioEq, 5), r(RatioEq, 10)}}},
		{"比例在10%到30%之间", want{intent: List, ratios: []RatioFilter{r(RatioGE, 10), r(RatioGE, 10), r(RatioLE, 30)}}},
		{"10-30%的", want{intent: List, ratios: []RatioFilter{r(RatioGE, 10), r(RatioGE, 10), r(RatioLE, 30)}}},
		{"比列最高的", want{intent: List, extreme: ExtremeMax}},
		{"低于5%或高于30%的", want{intent: List, ratios: []RatioFilter{r(RatioLT, 5), r(RatioLT, 5), r(RatioGT, 30)}}},

		// Time left.
		{"任务7还剩几天", want{intent: Attribute, attr: AttrTimeLeft, refs: 1}},
		{"任务7还有多长时间", want{intent: Attribute, attr: AttrTimeLeft, refs: 1}},
		{"7号任务多久截止", want{intent: Attribute, attr: AttrTimeLeft, refs: 1}},
		{"第七项哪天结束", want{intent: Attribute, attr: AttrTimeLeft, refs: 1}},
		{"任務7還剩幾天", want{intent: Attribute, attr: AttrTimeLeft, refs: 1}},
		{"任务7还有几天到期", want{intent: Attribute, event: EventEnd, attr: AttrTimeLeft, refs: 1}},
		{"本月截止的还剩几天", want{intent: List, period: Period{Kind: PeriodMonth}, event: EventEnd, attr: AttrTimeLeft}},
		{"快到期的还有几天", want{intent: List, event: EventClosingSoon, attr: AttrTimeLeft}},
		{"年底前截止的还剩几天", want{intent: List, attr: AttrTimeLeft, deadline: yearEnd}},
		{"任务7和任务8还剩几天", want{intent: Attribute, attr: AttrTimeLeft, refs: 2}},
		{"直销还剩多少天", want{intent: Attribute, attr: AttrTimeLeft}},
		{"直销什么时候截止", want{intent: Attribute, attr: AttrTimeLeft}},
		{"拍卖啥时候结束", want{intent: Attribute, attr: AttrTimeLeft}},
		{"直销截止日期", want{intent: Attribute, attr: AttrTimeLeft}},
		{"还剩几天", want{intent: List, period: Period{Kind: PeriodNow}, attr: AttrTimeLeft}},
		{"计量科的任务还剩几天", want{intent: List, attr: AttrTimeLeft}},

		// Days.
		{"今天截止的", want{intent: List, period: day(0), event: EventEnd}},
		{"今日截止", want{intent: List, period: day(0), event: EventEnd}},
		{"明天开始的任务", want{intent: List, period: day(1), event: EventStart}},
		{"明日开始", want{intent: List, period: day(1), event: EventStart}},
		{"后天", want{intent: List, period: day(2)}},
		{"大后天开始的", want{intent: List, period: day(3), event: EventStart}},
		{"昨天截止的", want{intent: List, period: day(-1), event: EventEnd}},
		{"今天有哪些任务", want{intent: List, period: day(0)}},
		{"本周五截止的", want{intent: List, period: wday(5, 0), event: EventEnd}},
		{"这周五", want{intent: List, period: wday(5, 0)}},
		{"星期五截止的", want{intent: List, period: wday(5, 0), event: EventEnd}},
		{"礼拜天", want{intent: List, period: wday(7, 0)}},
		{"下周一开始的", want{intent: List, period: wday(1, 1), event: EventStart}},
		{"下星期一", want{intent: List, period: wday(1, 1)}},
		{"3月16日有哪些任务", want{intent: List, period: Period{Kind: PeriodDay, Month: 3, Day: 16}}},
		{"3月16号开始的", want{intent: List, period: Period{Kind: PeriodDay, Month: 3, Day: 16}, event: EventStart}},
		{"三月十六日", want{intent: List, period: Period{Kind: PeriodDay, Month: 3, Day: 16}}},
		{"2023-03-16开始的", want{intent: List, period: Period{Kind: PeriodDay, Month: 3, Day: 16}, event: EventStart}},
		{"15号截止的", want{intent: List, period: Period{Kind: PeriodDay, Day: 15}, event: EventEnd}},
		{"本月15号", want{intent: List, period: Period{Kind: PeriodDay, Day: 15}}},
		{"下周有哪些开始的", want{intent: List, period: Period{Kind: PeriodWeek, Offset: 1}, event: EventStart}},
		{"这周一共有哪些", want{intent: List, period: Period{Kind: PeriodWeek}}},
		{"今天天气怎么样", want{intent: Unknown, period: day(0), attr: AttrHow}},
		{"7号任务", want{intent: TaskByRef, refs: 1}},
		{"2月30日", want{intent: List, period: m(2)}}, // no such day: read as the month

		// Several months or quarters: every one, none a task number.
		{"第二季度和第三季度", want{intent: List, period: q(2), periods: []Period{q(2), q(3)}}},
		{"二、三季度", want{intent: List, period: q(2), periods: []Period{q(2), q(3)}}},
		{"第二和第三季度", want{intent: List, period: q(2), periods: []Period{q(2), q(3)}}},
		{"Q2和Q3", want{intent: List, period: q(2), periods: []Period{q(2), q(3)}}},
		{"2季度和3季度的任务", want{intent: List, period: q(2), periods: []Period{q(2), q(3)}}},
		{"2月和3月", want{intent: List, period: m(2), periods: []Period{m(2), m(3)}}},
		{"2、3月", want{intent: List, period: m(2), periods: []Period{m(2), m(3)}}},
		{"二月和三月的任务", want{intent: List, period: m(2), periods: []Period{m(2), m(3)}}},
		{"2月跟3月有啥任务", want{intent: List, period: m(2), periods: []Period{m(2), m(3)}}},
		{"三四月份", want{intent: List, period: m(3), periods: []Period{m(3), m(4)}}},
		{"十一月", want{intent: List, period: m(11)}},
		{"7月和8月开始的", want{intent: List, period: m(7), periods: []Period{m(7), m(8)}, event: EventStart}},
		{"任务1和第二季度", want{intent: TaskByRef, period: q(2), refs: 1}},
	}
	for _, c := range cases {
		got := Parse(c.in)
		var ratios []RatioFilter
		if got.Ratio.Op != RatioNone {
			ratios = append([]RatioFilter{got.Ratio}, got.Ratios...)
		}
		if got.Intent != c.w.intent || got.Period != c.w.period || !slices.Equal(got.Periods, c.w.periods) || got.Event != c.w.event ||
			got.Attr != c.w.attr || !slices.Equal(ratios, c.w.ratios) || got.Extreme != c.w.extreme || got.Deadline != c.w.deadline ||
			len(got.Refs) != c.w.refs {
			t.Errorf("Parse(%q):\n got intent=%v period=%+v periods=%v event=%v attr=%v ratios=%v extreme=%v deadline=%+v refs=%v\nwant %+v",
				c.in, got.Intent, got.Period, got.Periods, got.Event, got.Attr, ratios, got.Extreme, got.Deadline, got.Refs, c.w)
		}
	}
}

func TestParseSoonDays(t *testing.T) {
	for in, want := range map[string]int{"10天内到期的": 10, "一周内开始的": 7, "两个月内截止": 60, "三天之内要结束的": 3, "快到期的": 0, "30天内": 0} {
		if got := Parse(in).SoonDays; got != want {
			t.Errorf("Parse(%q).SoonDays = %d, want %d", in, got, want)
		}
	}
}

// Deadlines resolve to the last closing day they allow.
func TestDeadlineLastDay(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2023, 3, 15, 9, 0, 0, 0, loc) // a Wednesday
	fest := func(y int, name string) (time.Time, bool) {
		if name == "国庆节" {
			return time.Date(y, 10, 1, 0, 0, 0, 0, loc), true
		}
		return time.Time{}, false
	}
	for in, want := range map[string]string{
		"年底前": "2023-12-31", "月底前": "2023-03-31", "下个月底前": "2023-04-30", "6月前": "2023-05-31",
		"3月中旬前": "2023-03-10", "11月下旬前": "2023-11-20", "6月30日前": "2023-06-30", "6月底前": "2023-06-30",
		"国庆前": "2023-09-30", "本季度末前": "2023-03-31", "下季度末前": "2023-06-30", "第三季度末前": "2023-09-30", "年中前": "2023-06-30", "本周五前": "2023-03-17", "明天前": "2023-03-16", "1月前": "2022-12-31",
	} {
		q := Parse(in)
		got, ok := q.Deadline.LastDay(now, fest)
		if !ok || got.Format(time.DateOnly) != want {
			t.Errorf("%s: last day %s %v, want %s (%+v)", in, got.Format(time.DateOnly), ok, want, q.Deadline)
		}
	}
	if _, ok := Parse("春节前").Deadline.LastDay(now, fest); ok {
		t.Error("春节前 resolved without the festival's date")
	}
}

func TestPeriodDate(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2023, 12, 30, 9, 0, 0, 0, loc) // a Saturday
	for in, want := range map[string]string{
		"今天": "2023-12-30", "明天": "2023-12-31", "后天": "2024-01-01", "昨天": "2023-12-29", "前天": "2023-12-28",
		"本周五": "2023-12-29", "下周一": "2024-01-01", "上周一": "2023-12-18", "周日": "2023-12-31", "3月16日": "2023-03-16", "15号开始的": "2023-12-15",
	} {
		if got := Parse(in).Period.Date(now).Format(time.DateOnly); got != want {
			t.Errorf("%s at 2023-12-30: %s, want %s", in, got, want)
		}
	}
}

func BenchmarkParseSlots(b *testing.B) {
	for _, s := range []string{"国庆前必须结束的", "比例最高的任务", "任务7还剩几天", "明天开始的任务", "第二季度和第三季度", "5%和10%"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Parse(s)
			}
		})
	}
}
