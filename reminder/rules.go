// Package reminder computes the reminder calendar a plan implies: which
// department hears what, on which working day, for each task item's window.
// It is pure domain code: no Redis, no WeCom, no clock (time is passed in).
//
// Reminder kinds are rows of one table (Rules.Rules, built by DefaultTable):
// each row says when its reminders fall (a date function and offsets), which
// way a date on a day off moves, and what the message asks the department to
// do. A later kind (e.g. the 20-working-day publication deadline) is a new
// row; the engine (Calendar) does not change.
package reminder

import (
	"fmt"
	"slices"
	"time"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/workday"
)

// Kind names a row of the table; it is part of a reminder's identity, so
// never rename one once reminders have been sent.
type Kind string

// The built-in kinds.
const (
	OpensBefore   Kind = "opens-before"    // N days before the 1st of the start month
	Opens         Kind = "opens"           // first working day of the start month
	ClosesBefore  Kind = "closes-before"   // N days before the last day of the end month
	Closed        Kind = "closed"          // first working day after the window: summary
	YearStart     Kind = "year-start"      // no window: first working day of the plan year
	YearEndBefore Kind = "year-end-before" // no window: N days before 12-31
)

// Shift is where a reminder whose date is a day off moves.
type Shift int

const (
	// ShiftBefore moves to the last working day before: for deadlines and
	// advance notices, so the department never gets less notice than set.
	ShiftBefore Shift = iota
	// ShiftAfter moves to the first working day after: for openings, which
	// must not be announced before they happen.
	ShiftAfter
)

// DateContext is what a rule's date function sees.
type DateContext struct {
	Year     int // plan year
	Item     *plan.Item
	Offset   int // days, from the rule's Offsets (0 when it has none)
	Loc      *time.Location
	Workdays *workday.Calendar
}

// TextContext is what a rule's body function sees when a message is written.
type TextContext struct {
	Year       int
	Item       *plan.Item
	Offset     int
	Department string
	Role       string    // 组织发起, 牵头 or 指导
	On         time.Time // the day the message goes out (midnight)
	Start      time.Time // first day of the window (of the year when none)
	LastDay    time.Time // last day of the window (of the year when none)
	Workdays   *workday.Calendar
}

// Rule is one row of the reminder table.
type Rule struct {
	Kind  Kind
	Label string // short Chinese title, e.g. 即将截止
	Shift Shift
	// Offsets in days: one reminder per offset. Empty: one reminder, offset 0.
	Offsets []int
	// Date is the nominal date (before shifting) of the reminder for an item;
	// ok false when the row does not apply to the item.
	Date func(c DateContext) (date time.Time, ok bool)
	// Body is the kind-specific part of the message (Simplified Chinese
	// markdown): days left and what the department must do.
	Body func(c TextContext) string
}

// Rules is the reminder table plus what the engine needs to address and
// write the reminders.
type Rules struct {
	Rules    []Rule
	Location *time.Location
	// Recipients maps a department or section name to its WeCom recipients.
	Recipients map[string]reply.Recipient
	// CountyBureaus is what 各县区局 expands to.
	CountyBureaus []string
	// Progress returns a progress line for an item and department (drawn,
	// findings submitted, overdue); "" adds nothing. Nil means none yet.
	Progress func(it *plan.Item, department string) string
}

// DefaultCountyBureaus are 长治市's districts and counties.
var DefaultCountyBureaus = department.DefaultCounties

// Default offsets in days.
var (
	DefaultOpenBeforeDays  = []int{7}
	DefaultCloseBeforeDays = []int{30, 7, 1}
	// DefaultYearEndBeforeDays: tasks without a window hear 30 days before
	// the end of the plan year.
	DefaultYearEndBeforeDays = []int{30}
)

// Options are the reminder settings: config reminders.* (recipients
// already converted) and departments.county_bureaus.
type Options struct {
	OpenBeforeDays  []int // days before a window opens; nil: DefaultOpenBeforeDays
	CloseBeforeDays []int // days before a window closes; nil: DefaultCloseBeforeDays
	// Recipients maps a department or section name to its WeCom recipients.
	Recipients map[string]reply.Recipient
	// CountyBureaus is what 各县区局 expands to; nil: DefaultCountyBureaus.
	CountyBureaus []string
}

// NewRules builds the default table from the reminder options. Empty
// offsets and an empty county list take the defaults; a negative offset is
// an error naming its config key.
func NewRules(cfg Options, loc *time.Location) (*Rules, error) {
	if loc == nil {
		loc = workday.Location()
	}
	open, err := offsets("reminders.open_before_days", cfg.OpenBeforeDays, DefaultOpenBeforeDays)
	if err != nil {
		return nil, err
	}
	closeDays, err := offsets("reminders.close_before_days", cfg.CloseBeforeDays, DefaultCloseBeforeDays)
	if err != nil {
		return nil, err
	}
	counties := cfg.CountyBureaus
	if len(counties) == 0 {
		counties = DefaultCountyBureaus
	}
	return &Rules{
		Rules:         DefaultTable(open, closeDays, DefaultYearEndBeforeDays),
		Location:      loc,
		Recipients:    cfg.Recipients,
		CountyBureaus: counties,
	}, nil
}

func offsets(key string, v, def []int) ([]int, error) {
	if len(v) == 0 {
		return slices.Clone(def), nil
	}
	var out []int
	for i, n := range v {
		if n < 0 || n > 366 {
			return nil, fmt.Errorf("config: %s[%d] = %d: offsets are days between 0 and 366", key, i, n)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func hasWindow(it *plan.Item) bool { return it.Window.Has() }

// DefaultTable is the built-in reminder table.
func DefaultTable(openBefore, closeBefore, yearEndBefore []int) []Rule {
	return []Rule{
		{
			Kind: OpensBefore, Label: "即将开始", Shift: ShiftBefore, Offsets: openBefore,
			Date: func(c DateContext) (time.Time, bool) {
				if !hasWindow(c.Item) {
					return time.Time{}, false
				}
				return c.Item.Window.Start(c.Year, c.Loc).AddDate(0, 0, -c.Offset), true
			},
			Body: func(c TextContext) string {
				return fmt.Sprintf("距抽查开始还有 **%d** 天（%s 开始）。请提前做好准备：核对检查对象名录库和执法检查人员名录库，确定抽取方案。",
					days(c.On, c.Start), date(c.Start))
			},
		},
		{
			Kind: Opens, Label: "已开始", Shift: ShiftAfter,
			Date: func(c DateContext) (time.Time, bool) {
				if !hasWindow(c.Item) {
					return time.Time{}, false
				}
				return c.Workdays.FirstWorkdayOfMonth(c.Year, time.Month(c.Item.Window.StartMonth)), true
			},
			Body: func(c TextContext) string {
				return fmt.Sprintf("抽查时间已开始，%s 截止，还有 **%d** 天。请按计划抽取检查对象和执法检查人员，组织实施检查。",
					date(c.LastDay), days(c.On, c.LastDay))
			},
		},
		{
			Kind: ClosesBefore, Label: "即将截止", Shift: ShiftBefore, Offsets: closeBefore,
			Date: func(c DateContext) (time.Time, bool) {
				if !hasWindow(c.Item) {
					return time.Time{}, false
				}
				return c.Item.Window.LastDay(c.Year, c.Loc).AddDate(0, 0, -c.Offset), true
			},
			Body: func(c TextContext) string {
				return fmt.Sprintf("距抽查截止还有 **%d** 天（%s 截止，其间工作日 %d 天）。请抓紧完成检查，及时录入检查结果。",
					days(c.On, c.LastDay), date(c.LastDay), c.Workdays.WorkdaysBetween(c.On, c.LastDay))
			},
		},
		{
			Kind: Closed, Label: "已截止", Shift: ShiftAfter,
			Date: func(c DateContext) (time.Time, bool) {
				if !hasWindow(c.Item) {
					return time.Time{}, false
				}
				return c.Workdays.NextWorkday(c.Item.Window.End(c.Year, c.Loc)), true
			},
			Body: func(c TextContext) string {
				return fmt.Sprintf("抽查时间已于 %s 截止。请汇总本次抽查情况，未完成的检查尽快完成并说明原因；检查结果应自检查完成之日起 20 个工作日内公示。",
					date(c.LastDay))
			},
		},
		{
			Kind: YearStart, Label: "年度开始", Shift: ShiftAfter,
			Date: func(c DateContext) (time.Time, bool) {
				if hasWindow(c.Item) {
					return time.Time{}, false
				}
				return c.Workdays.FirstWorkdayOfMonth(c.Year, time.January), true
			},
			Body: func(c TextContext) string {
				return fmt.Sprintf("本任务未注明起止时间，须在 %d 年内完成。请合理安排，按计划抽取检查对象和执法检查人员并实施检查。", c.Year)
			},
		},
		{
			Kind: YearEndBefore, Label: "年内完成", Shift: ShiftBefore, Offsets: yearEndBefore,
			Date: func(c DateContext) (time.Time, bool) {
				if hasWindow(c.Item) {
					return time.Time{}, false
				}
				return time.Date(c.Year, time.December, 31, 0, 0, 0, 0, c.Loc).AddDate(0, 0, -c.Offset), true
			},
			Body: func(c TextContext) string {
				return fmt.Sprintf("本任务未注明起止时间，年内完成：距 %s 还有 **%d** 天。请抓紧完成检查，及时录入检查结果。",
					date(c.LastDay), days(c.On, c.LastDay))
			},
		},
		// Deadline rows: no plan-calendar date (Calendar skips them);
		// Deadlines decides from the findings and draws when they are due.
		{Kind: PublishBefore, Label: "即将到公示期限", Shift: ShiftBefore},
		{Kind: InspectBefore, Label: "检查即将截止", Shift: ShiftBefore},
	}
}

// days is the number of calendar days from a to b (both midnights).
func days(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	ua := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	ub := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua).Hours() / 24)
}

func date(t time.Time) string { return t.Format(time.DateOnly) }

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// Weekday is the Chinese weekday name of t, e.g. 周三.
func Weekday(t time.Time) string { return weekdays[t.Weekday()] }
