// Package question understands an inspector's Chinese question about the
// spot-check plan ("本月哪些抽查任务", "拍卖抽多少", "任务15-2") and turns it
// into a Query: which period, window event, department, subject, task number,
// attribute or list filter was asked for. It is pure: no Redis, no WeCom, no
// clock (relative periods are resolved against a time the caller passes).
package question

import (
	"fmt"
	"time"
)

// Intent is what kind of answer a question wants.
type Intent int

const (
	Unknown   Intent = iota // nothing recognised: answer with suggestions
	Help                    // 帮助 / 菜单 / ?
	List                    // tasks matching filters (period, department, subject, ...)
	TaskByRef               // one task or item by number: full details
	Attribute               // one attribute (ratio, window, departments) of matched tasks
	Mine                    // tasks of the asker's own department (Request.Sections)
)

func (i Intent) String() string {
	switch i {
	case Help:
		return "help"
	case List:
		return "list"
	case TaskByRef:
		return "task"
	case Attribute:
		return "attribute"
	case Mine:
		return "mine"
	}
	return "unknown"
}

// Attr is an attribute of a task asked about.
type Attr int

const (
	AttrNone      Attr = iota
	AttrRatio          // 抽多少, 比例: the ratio, its count and frequency
	AttrWindow         // 什么时候, 时间
	AttrDept           // 谁发起, 哪个部门, 谁负责: the whole 发起部门 column
	AttrHow            // 怎么抽查, 详情: every field
	AttrTimeLeft       // 还剩几天, 哪天截止: the closing date and the days left (dates.go)
	AttrFrequency      // 频次, 一年几次
	AttrSection        // 牵头科室, 哪个科室指导
	AttrScope          // 抽查对象范围, 查哪些单位
	AttrMatter         // 抽查事项, 查什么
	AttrRisk           // 信用风险分类要求
)

// PeriodKind is the kind of time period asked about.
type PeriodKind int

const (
	PeriodNone    PeriodKind = iota
	PeriodMonth              // one month, absolute (Month) or relative (Offset)
	PeriodMonths             // a month range, e.g. 7月到9月
	PeriodQuarter            // 第二季度
	PeriodHalf               // 上半年 / 下半年
	PeriodRest               // 今年剩下的: from the current month to December
	PeriodNow                // 正在进行 / 现在
	PeriodWeek               // 这周 (Offset 1: 下周)
	PeriodYear               // 今年 / 全年 / 所有
	PeriodDay                // one day: 今天, 明天, 本周五, 3月16日 (dates.go)
)

// Period is a time period as asked; Resolve turns it into months.
type Period struct {
	Kind    PeriodKind
	Month   int // PeriodMonth absolute month 1..12, or first month of PeriodMonths; 0 when relative
	ToMonth int // last month of PeriodMonths
	Offset  int // PeriodMonth relative: 0 本月, 1 下个月, -1 上个月; PeriodWeek: 0 本周, 1 下周
	Quarter int // 1..4
	Half    int // 1 上半年, 2 下半年
	Day     int // PeriodDay: day of month (Month 0: this month's); 0 when relative
	Weekday int // PeriodDay: 1 Monday … 7 Sunday of the week Offset weeks from this one
}

// Relative reports whether the period depends on the current date.
func (p Period) Relative() bool {
	switch p.Kind {
	case PeriodMonth, PeriodDay:
		return p.Month == 0
	case PeriodRest, PeriodNow, PeriodWeek:
		return true
	}
	return false
}

// Months resolves a month-based period against now: the year and the first
// and last month (inclusive). ok is false for PeriodNone and PeriodWeek.
func (p Period) Months(now time.Time) (year, from, to int, ok bool) {
	year, m := now.Year(), int(now.Month())
	switch p.Kind {
	case PeriodMonth:
		if p.Month != 0 {
			return year, p.Month, p.Month, true
		}
		t := time.Date(year, time.Month(m+p.Offset), 1, 0, 0, 0, 0, time.UTC)
		return t.Year(), int(t.Month()), int(t.Month()), true
	case PeriodMonths:
		return year, p.Month, p.ToMonth, true
	case PeriodQuarter:
		if p.Quarter == 0 { // relative: 本季度, 下季度
			t := time.Date(year, time.Month((m-1)/3*3+1+3*p.Offset), 1, 0, 0, 0, 0, time.UTC)
			return t.Year(), int(t.Month()), int(t.Month()) + 2, true
		}
		return year, 3*p.Quarter - 2, 3 * p.Quarter, true
	case PeriodHalf:
		return year, 6*p.Half - 5, 6 * p.Half, true
	case PeriodRest:
		return year, m, 12, true
	case PeriodNow:
		return year, m, m, true
	case PeriodYear:
		return year, 1, 12, true
	}
	return 0, 0, 0, false
}

// Week resolves PeriodWeek: the Monday starting the week (00:00 in now's
// zone) and the Monday after it (exclusive).
func (p Period) Week(now time.Time) (from, to time.Time) {
	d := (int(now.Weekday()) + 6) % 7 // days since Monday
	from = time.Date(now.Year(), now.Month(), now.Day()-d+7*p.Offset, 0, 0, 0, 0, now.Location())
	return from, from.AddDate(0, 0, 7)
}

// Event is what happens to a window in the period.
type Event int

const (
	EventAny         Event = iota // the window overlaps the period (in progress)
	EventStart                    // the window opens in the period (开始的)
	EventEnd                      // the window closes in the period (截止的)
	EventClosingSoon              // closes within the configured number of days (快到期的)
	EventOpeningSoon              // opens within the configured number of days (即将开始)
	EventStartOrEnd               // opens or closes in the period (这周)
)

// RiskFilter selects tasks by their credit-risk requirement.
type RiskFilter int

const (
	RiskAny            RiskFilter = iota
	RiskDifferentiated            // 按信用风险分类递加比例
	RiskUniform                   // no risk requirement: uniform draw
)

// RatioOp compares an item's base percentage.
type RatioOp int

const (
	RatioNone RatioOp = iota
	RatioEq           // 比例100%的
	RatioGE           // 30%以上
	RatioLE           // 10%以下
	RatioGT           // 高于5%, 超过5%
	RatioLT           // 低于5%, 不到5%
)

// RatioFilter selects items by base percentage.
type RatioFilter struct {
	Op      RatioOp
	Percent float64
}

// Match reports whether percent passes the filter.
func (f RatioFilter) Match(percent float64) bool {
	switch f.Op {
	case RatioEq:
		return percent == f.Percent
	case RatioGE:
		return percent >= f.Percent
	case RatioLE:
		return percent <= f.Percent
	case RatioGT:
		return percent > f.Percent
	case RatioLT:
		return percent < f.Percent
	}
	return true
}

// Ref is a task or item number: 7 (Index 0: the whole task) or 15-2.
type Ref struct {
	Serial int
	Index  int // 0: the whole task
}

// String is "7" or "15-2".
func (r Ref) String() string {
	if r.Index == 0 {
		return fmt.Sprint(r.Serial)
	}
	return fmt.Sprintf("%d-%d", r.Serial, r.Index)
}

// Subject is what a question is about, matched against a task's name,
// 抽查事项 and 抽查对象范围.
type Subject struct {
	Label string   // for display
	Said  string   // the words as typed that named it ("眼镜店"), normalised
	Terms []string // plan words it stands for (package retrieve scores them)
}

// Query is one understood question.
type Query struct {
	Text   string // as typed
	Norm   string // after Normalize
	Intent Intent

	// Year is an explicit year ("2023年"), 0 if none: periods are in that year.
	Year   int
	Period Period
	Event  Event
	// Departments are canonical: 计量科, 消保科, 特种设备安全监察科 (sections),
	// 各县区局, 市市场监督管理局 (initiators).
	Departments []string
	Subjects    []Subject
	// Ref is the first task number asked about, Refs all of them in the
	// order asked ("任务7和任务8": 7, 8); Refs is nil when Ref is.
	Ref      *Ref
	Refs     []Ref
	Attr     Attr
	NoWindow bool // 未注明起止时间的
	Risk     RiskFilter
	Ratio    RatioFilter
	// Ratios are all ratio filters asked ("5%和10%"), an item passing any
	// of them matches; Ratio is the first. Periods likewise ("2月和3月",
	// "第二季度和第三季度"): nil unless more than one was asked.
	Ratios []RatioFilter
	// SoonDays is the number of days of "10天内到期的" (EventClosingSoon or
	// EventOpeningSoon); 0: the configured default.
	SoonDays int
	// RatioRange: Ratios is a range ("10%到30%之间"), an item must pass all.
	RatioRange bool
	Periods    []Period
	// Extreme asks for the items with the highest or lowest ratio (ratio.go).
	Extreme Extreme
	// Deadline asks for the windows closing by a date ("年底前", "国庆前";
	// dates.go).
	Deadline Deadline
	// Words are the stretches of the message nothing else consumed, in
	// order, with filler and stop words removed (each at least two
	// characters): the answerer scores them against the plan's items.
	Words []string
	// Phrases are the stretches left after the other slots (period,
	// department, number, attribute …) and before the subject triggers
	// split them: "特种设备生产许可证" whole, where Subjects has 特种设备
	// and 生产许可证. A longer stretch found whole in an item makes it the
	// more specific match.
	Phrases []string
	// Rest is the longest of Words ("" when none).
	Rest string
	// Count asks how many tasks and items ("一共有多少个任务"); PlanStatus
	// whether the plan is loaded ("今年的计划导入了吗"); YearOffset is a
	// year relative to today's ("去年": -1), resolved by the answerer;
	// Floor asks for the items whose ratio is a minimum ("不低于") (kinds.go).
	Count      bool
	PlanStatus bool
	YearOffset int
	Floor      bool
}

// HasFilter reports whether the query restricts the task list at all.
func (q *Query) HasFilter() bool {
	return q.Period.Kind != PeriodNone || q.Year != 0 || q.Event != EventAny || len(q.Departments) > 0 ||
		len(q.Subjects) > 0 || q.NoWindow || q.Risk != RiskAny || q.Ratio.Op != RatioNone ||
		q.Extreme != ExtremeNone || q.Deadline.Kind != DeadlineNone || q.YearOffset != 0 || q.Floor
}
