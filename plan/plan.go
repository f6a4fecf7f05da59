// Package plan models a bureau's annual 双随机 spot-check plan (抽查工作计划):
// its tasks, their items, ratios, time windows and departments, and imports
// it from the tab-separated text form and from .xlsx. It imports neither
// Redis nor WeCom.
package plan

import (
	"fmt"
	"strings"
	"time"
)

// Plan is one year's plan as loaded from one file. It is not changed after
// loading, so it is safe for concurrent readers.
type Plan struct {
	Title  string  // as in the file, e.g. 长治市市场监督管理局2023年度双随机抽查工作计划
	Bureau string  // 长治市市场监督管理局
	Year   int     // from the title (2023年度)
	Source string  // file it was loaded from
	Tasks  []*Task // in the plan's order, with the plan's own serial numbers
}

// Task is one numbered row group of the plan (序号). Serial numbers are the
// plan's own: they may skip (the 2023 plan has no 12).
type Task struct {
	Serial int
	Name   string  // 抽查任务名称, original text
	Items  []*Item // at least one; task 15 of the 2023 plan has two
}

// Item is one checkable unit: a task row or a continuation row under it.
// Items have their own matter, scope, ratio, risk rule, window and departments.
type Item struct {
	ID     string // "7" for single-item tasks, "15-1", "15-2" for multi-item tasks
	Serial int    // the task's serial
	Index  int    // 1-based position within the task
	Task   *Task  `json:"-"`
	Line   int    // line in the source file (1-based), or row in a sheet

	Matter      string // 抽查事项, original
	Scope       string // 抽查对象范围, original
	Ratio       Ratio
	Risk        Risk
	Window      Window
	Departments Departments
}

// Name is the task name of the item (continuation rows inherit it).
func (it *Item) Name() string {
	if it.Task == nil {
		return ""
	}
	return it.Task.Name
}

// Ratio is the 抽查比例及频次 column.
type Ratio struct {
	Raw       string  // original text, e.g. "5% (10户)/一年一次"
	Percent   float64 // base percentage, e.g. 5
	Floor     bool    // "不低于": the percentage is a minimum
	Count     int     // explicit count, e.g. 10 for "(10户)"; 0 if none
	CountUnit string  // unit of Count as written, e.g. "户"; empty if none
	Frequency string  // e.g. "一年一次"; empty if not given
	PerYear   int     // checks per year implied by Frequency (1 for 一年一次); 0 if not given
}

// Risk is the 智慧监管(信用风险分类)要求 column.
type Risk struct {
	Raw string // original text, kept even when truncated
	// Differentiated is true when draws rise with the credit-risk class
	// (分别递加比例 / 加大…抽查比例); false means a uniform draw at the base ratio.
	Differentiated bool
}

// Window is the 抽查检查起止时间 column: whole months of the plan year.
// StartMonth and EndMonth are 0 when the plan gives no window.
type Window struct {
	Raw        string
	StartMonth int // 1..12
	EndMonth   int // 1..12, >= StartMonth
}

// Has reports whether the plan gives a window.
func (w Window) Has() bool { return w.StartMonth != 0 }

// Covers reports whether month (1..12) is inside the window; false when
// the plan gives no window (such items are listed apart as 未注明起止时间).
func (w Window) Covers(month int) bool {
	return w.Has() && w.StartMonth <= month && month <= w.EndMonth
}

// Start is the first instant of the window in year (or of the year when none).
func (w Window) Start(year int, loc *time.Location) time.Time {
	m := w.StartMonth
	if m == 0 {
		m = 1
	}
	return time.Date(year, time.Month(m), 1, 0, 0, 0, 0, loc)
}

// End is the first instant after the window (exclusive), or after the year.
func (w Window) End(year int, loc *time.Location) time.Time {
	m := w.EndMonth
	if m == 0 {
		m = 12
	}
	return time.Date(year, time.Month(m)+1, 1, 0, 0, 0, 0, loc)
}

// LastDay is the last calendar day of the window (of the year when none).
func (w Window) LastDay(year int, loc *time.Location) time.Time {
	return w.End(year, loc).AddDate(0, 0, -1)
}

// String is the display form: "3月-12月" or "未注明起止时间".
func (w Window) String() string {
	if !w.Has() {
		return "未注明起止时间"
	}
	return fmt.Sprintf("%d月-%d月", w.StartMonth, w.EndMonth)
}

// Departments is the 发起部门 column, normalised.
type Departments struct {
	Raw string // original text
	// Initiators are canonical bureau names: "市市场监督管理局" (the city bureau,
	// also written 市市场监管局) or "各县区局" (every county/district bureau,
	// written 各地 / 各县区局 / 各县、区市场监管局). Duplicates collapse.
	Initiators []string
	// Sections are the city bureau's sections that lead (牵头) or guide (指导).
	Sections []Section
}

// Text is the display form: the initiators joined by 、 (Raw when there
// are none) and the lead and guiding sections in parentheses, as in
// "各县区局（计量科指导）". With county given, 各县区局 is written as that
// county's own bureau: "潞州区市场监督管理局（计量科指导）".
func (d Departments) Text(county string) string {
	names := make([]string, len(d.Initiators))
	for i, in := range d.Initiators {
		if in == CountyBureaus && county != "" {
			in = county + "市场监督管理局"
		}
		names[i] = in
	}
	s := strings.Join(names, "、")
	if s == "" {
		s = d.Raw
	}
	if len(d.Sections) > 0 {
		secs := make([]string, len(d.Sections))
		for i, sec := range d.Sections {
			secs[i] = sec.Name + sec.Role
		}
		s += "（" + strings.Join(secs, "、") + "）"
	}
	return s
}

// Section is a lead or guiding section of the city bureau.
type Section struct {
	Name string // e.g. 计量科, 消保科, 特种设备安全监察科
	Role string // 牵头 or 指导
}

// Canonical department names.
const (
	CityBureau    = "市市场监督管理局"
	CountyBureaus = "各县区局"
)
