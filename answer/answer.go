// Package answer answers questions about the loaded plans: it takes a
// parsed question (package question), picks the plan for the year asked
// about, filters and ranks the plan's items, and builds a structured Answer
// that renders to WeCom markdown. It imports neither Redis, WeCom nor the
// channels; the route table (package handlers) calls it.
package answer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/workday"
)

// AnswerKind says what sort of answer was built.
type AnswerKind string

const (
	AnswerList        AnswerKind = "list"        // tasks matching filters
	AnswerDetail      AnswerKind = "detail"      // full details of tasks
	AnswerAttribute   AnswerKind = "attribute"   // one attribute of tasks
	AnswerNotFound    AnswerKind = "notfound"    // no such task / nothing about the subject
	AnswerHelp        AnswerKind = "help"        // what the bot can do
	AnswerUnknown     AnswerKind = "unknown"     // not understood: suggestions
	AnswerUnknownDept AnswerKind = "unknowndept" // 我科室的任务, but the user's department is unknown
)

// Answer is the structured form of a reply, built from the loaded plan only
// and rendered to WeCom markdown by Markdown. Tests assert on it.
type Answer struct {
	Kind  AnswerKind
	Title string
	// NoPlan is "尚未导入2026年度抽查计划" when no plan is loaded for the year
	// the question is about; the answer then comes from another year's plan,
	// which Basis names ("以下依据2023年度计划，仅供参考"). Together they make
	// the answer's first line, and every heading names the plan's own year
	// ("2023年度计划中11月在抽查期内的抽查任务（12项）"). Both are empty when
	// the plan is the asked year's.
	NoPlan string
	Basis  string
	// Items are listed one per line (List), or described (Attribute).
	Items []*plan.Item
	// NoWindow are items without a window, shown apart under
	// "未注明起止时间（全年可查）".
	NoWindow []*plan.Item
	// Details are items shown with every field.
	Details []*plan.Item
	// Attr is the attribute shown for Items in an Attribute answer.
	Attr question.Attr
	// Left are the closing dates and days left of Items in a time-left
	// answer (Attr question.AttrTimeLeft; timeleft.go).
	Left []Left
	// Alternatives are close matches shown when nothing matched.
	Alternatives      []*plan.Item
	AlternativesTitle string
	// Related are broader matches of the subject asked about, listed after
	// the answer under "其他相关任务" (package retrieve ranks them).
	Related []*plan.Item
	// Unused is a short note after the answer on words it did not use
	// ("未能识别“牙膏”，已忽略"), when leaving them out changed the meaning.
	Unused string
	// Lines are free sentences (explanations, notes) shown after the title.
	Lines []string
	// Examples are example questions suggested to the user.
	Examples []string

	plan *plan.Plan
	// general: the answer says nothing taken from the plan (help, not
	// understood), so it needs no NoPlan notice.
	general bool
}

// IDs returns the ids of Items.
func (a *Answer) IDs() []string { return ids(a.Items) }

// NoWindowIDs returns the ids of NoWindow.
func (a *Answer) NoWindowIDs() []string { return ids(a.NoWindow) }

// DetailIDs returns the ids of Details.
func (a *Answer) DetailIDs() []string { return ids(a.Details) }

// AlternativeIDs returns the ids of Alternatives.
func (a *Answer) AlternativeIDs() []string { return ids(a.Alternatives) }

// RelatedIDs returns the ids of Related.
func (a *Answer) RelatedIDs() []string { return ids(a.Related) }

func ids(items []*plan.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// DefaultClosingSoonDays is used when Options.ClosingSoonDays is 0.
const DefaultClosingSoonDays = 30

// Options configures an Asker.
type Options struct {
	Plans *plan.Catalog
	// ClosingSoonDays: "快到期的" lists windows closing within this many days
	// (config answers.closing_soon_days); 0 means DefaultClosingSoonDays.
	ClosingSoonDays int
	// Units resolves department names; nil: department.Default().
	Units *department.Vocabulary
	// Calendar counts working days and dates festivals (time left, "国庆前");
	// nil: workday.New for the default location, built once.
	Calendar *workday.Calendar
}

// Asker builds answers from the loaded plans. It is safe for concurrent use.
type Asker struct {
	plans       *plan.Catalog
	closingDays int
	units       *department.Vocabulary
	cal         *workday.Calendar
}

// New builds an Asker.
func New(o Options) *Asker {
	if o.ClosingSoonDays <= 0 {
		o.ClosingSoonDays = DefaultClosingSoonDays
	}
	if o.Units == nil {
		o.Units = department.Default()
	}
	if o.Calendar == nil {
		o.Calendar = defaultCalendar()
	}
	return &Asker{plans: o.Plans, closingDays: o.ClosingSoonDays, units: o.Units, cal: o.Calendar}
}

// Answer answers the parsed question q, asked at now by a user in sections.
// A question it cannot answer (no plan loaded) is a *reply.Error.
func (a *Asker) Answer(q question.Query, now time.Time, sections []string) (Answer, error) {
	return a.answer(q, now, sections)
}

// planDepartment maps a unit name as the address book or config writes it
// (计量科, 潞州区, 长治市潞州区市场监督管理局) to the name the plan's
// departments use: a section, plan.CityBureau or plan.CountyBureaus; "" when
// the vocabulary does not know it.
func (a *Asker) planDepartment(name string) string {
	u, ok := a.units.Resolve(name)
	if !ok {
		u, ok = a.units.Find(name)
	}
	if !ok {
		return ""
	}
	switch u.Kind {
	case department.KindCity:
		return plan.CityBureau
	case department.KindCounty, department.KindAllCounties:
		return plan.CountyBureaus
	}
	return u.Name
}

// Help is the help text as an answer.
func Help() Answer { return helpAnswer() }

// matchDepartments reports whether it is initiated, led or guided by any of
// the canonical department names.
func matchDepartments(it *plan.Item, depts []string) bool {
	if len(depts) == 0 {
		return true
	}
	for _, d := range depts {
		if slices.Contains(it.Departments.Initiators, d) {
			return true
		}
		for _, s := range it.Departments.Sections {
			if s.Name == d {
				return true
			}
		}
	}
	return false
}

// timeFilter is a resolved period and window event.
type timeFilter struct {
	active bool
	// month-based: the window overlaps / starts / ends in [from, to]
	byMonth  bool
	from, to int
	// date-based: the window starts / ends in [fromDay, toDay)
	fromDay, toDay time.Time
	// covers: with EventAny, the window overlaps [fromDay, toDay) (a day)
	covers bool
	// more are further month ranges ("第二季度和第三季度"): any may match
	more  [][2]int
	event question.Event
	desc  string // for the title, e.g. "2023年3月正在进行的"
}

// wholeYear stands for a missing window: reminders and opening/closing
// questions treat it as the whole plan year.
var wholeYear = plan.Window{StartMonth: 1, EndMonth: 12}

func (f timeFilter) match(it *plan.Item, year int, loc *time.Location) bool {
	if !f.active {
		return true
	}
	if len(f.more) > 0 {
		g := f
		g.more = nil
		for _, r := range append([][2]int{{f.from, f.to}}, f.more...) {
			if g.from, g.to = r[0], r[1]; g.match(it, year, loc) {
				return true
			}
		}
		return false
	}
	w := it.Window
	if !w.Has() {
		w = wholeYear
	}
	if f.byMonth {
		switch f.event {
		case question.EventStart:
			return w.StartMonth >= f.from && w.StartMonth <= f.to
		case question.EventEnd:
			return w.EndMonth >= f.from && w.EndMonth <= f.to
		case question.EventStartOrEnd:
			return w.StartMonth >= f.from && w.StartMonth <= f.to || w.EndMonth >= f.from && w.EndMonth <= f.to
		default:
			return w.StartMonth <= f.to && w.EndMonth >= f.from
		}
	}
	in := func(t time.Time) bool { return !t.Before(f.fromDay) && t.Before(f.toDay) }
	start, last := w.Start(year, loc), w.LastDay(year, loc)
	if f.covers && f.event == question.EventAny {
		return start.Before(f.toDay) && !last.Before(f.fromDay)
	}
	switch f.event {
	case question.EventStart, question.EventOpeningSoon:
		return in(start)
	case question.EventEnd, question.EventClosingSoon:
		return in(last)
	default:
		return in(start) || in(last)
	}
}

// next returns the windowed items whose relevant date (start or last day,
// by the filter's event) is the first one on or after the filter's range,
// and that date; for "快到期的" with nothing in range.
func (f timeFilter) next(items []*plan.Item, year int, loc *time.Location) ([]*plan.Item, time.Time) {
	var best time.Time
	var out []*plan.Item
	for _, it := range items {
		if !it.Window.Has() {
			continue
		}
		start, last := it.Window.Start(year, loc), it.Window.LastDay(year, loc)
		var d time.Time
		switch f.event {
		case question.EventStart, question.EventOpeningSoon:
			d = start
		case question.EventEnd, question.EventClosingSoon:
			d = last
		default: // opening or closing: the earlier one still ahead
			d = start
			if d.Before(f.toDay) {
				d = last
			}
		}
		if d.Before(f.toDay) {
			continue
		}
		switch {
		case out == nil || d.Before(best):
			best, out = d, []*plan.Item{it}
		case d.Equal(best):
			out = append(out, it)
		}
	}
	return out, best
}

var quarterNames = []string{"", "第一季度", "第二季度", "第三季度", "第四季度"}

// scope is the plan an answer comes from and the year the question is
// about. When no plan is loaded for that year, the plan is another year's
// (Catalog.Current) and the answer must not pass it off as the asked
// year's: it says so first, and its headings name the plan's own year.
type scope struct {
	*plan.Plan
	asked int // the year the question is about
	// clock is the time the question was asked, never moved into an
	// asked year: days left count from it.
	clock time.Time
}

// fallback reports whether the plan is another year's than the asked one.
func (s scope) fallback() bool { return s.asked != s.Year }

// in heads a title in fallback: "2023年度计划中"; "" otherwise.
func (s scope) in() string {
	if !s.fallback() {
		return ""
	}
	return fmt.Sprintf("%d年度计划中", s.Year)
}

// name is "计划", or "2023年度计划" in fallback.
func (s scope) name() string {
	if !s.fallback() {
		return "计划"
	}
	return fmt.Sprintf("%d年度计划", s.Year)
}

// askedYear is the year q is about when asked at now: the year of the
// period asked for (下个月 in December is next year), else now's year (an
// explicit "2024年" has already moved now into 2024).
func askedYear(q *question.Query, now time.Time) int {
	switch q.Event {
	case question.EventClosingSoon, question.EventOpeningSoon:
		return now.Year()
	}
	if q.Period.Kind == question.PeriodWeek {
		from, _ := q.Period.Week(now)
		return from.Year()
	}
	if q.Period.Kind == question.PeriodDay {
		return q.Period.Date(now).Year()
	}
	if y, _, _, ok := q.Period.Months(now); ok {
		return y
	}
	return now.Year()
}

// resolveTime turns the query's period and event into a filter on the
// scope's plan. In fallback the filter's description leaves out the asked
// year (the title names the plan's year) and never says 正在进行 or 尚未结束:
// the plan's windows are another year's.
func (a *Asker) resolveTime(q *question.Query, now time.Time, s scope) timeFilter {
	if f, ok := a.slotTime(q, now, s); ok { // slots.go: a day, several periods
		return f
	}
	f := timeFilter{event: q.Event}
	loc := now.Location()
	fb := s.fallback()
	// Dates are mapped into the plan's year: a 2024 clock asking "快到期的"
	// against the 2023 plan compares month and day.
	today := time.Date(s.Year, now.Month(), now.Day(), 0, 0, 0, 0, loc)
	md := func(t time.Time) string { return fmt.Sprintf("%d月%d日", t.Month(), t.Day()) }
	switch q.Event {
	case question.EventClosingSoon, question.EventOpeningSoon:
		days := a.closingDays
		if q.SoonDays > 0 { // "10天内到期的"
			days = q.SoonDays
		}
		f.active = true
		f.fromDay, f.toDay = today, today.AddDate(0, 0, days+1)
		verb := "截止"
		if q.Event == question.EventOpeningSoon {
			verb = "开始"
		}
		if fb {
			f.desc = fmt.Sprintf("%s-%s%s的", md(today), md(today.AddDate(0, 0, days)), verb)
		} else {
			f.desc = fmt.Sprintf("%d天内（%s-%s）%s的", days, md(today), md(today.AddDate(0, 0, days)), verb)
		}
		return f
	}
	if q.Period.Kind == question.PeriodWeek {
		from, _ := q.Period.Week(now)
		f.active = true
		f.fromDay = time.Date(s.Year, from.Month(), from.Day(), 0, 0, 0, 0, loc)
		f.toDay = f.fromDay.AddDate(0, 0, 7)
		if f.event == question.EventAny {
			f.event = question.EventStartOrEnd
		}
		name := "本周"
		if q.Period.Offset == 1 {
			name = "下周"
		}
		// The dates shown are the ones compared: the plan year's.
		days := md(f.fromDay) + "-" + md(f.toDay.AddDate(0, 0, -1))
		if fb {
			f.desc = fmt.Sprintf("%s（对应%s）%s的", days, name, eventVerb(f.event))
		} else {
			f.desc = fmt.Sprintf("%s（%s）%s的", name, days, eventVerb(f.event))
		}
		return f
	}
	year, from, to, ok := q.Period.Months(now)
	if !ok {
		return f
	}
	f.active, f.byMonth, f.from, f.to = true, true, from, to
	yearText := fmt.Sprintf("%d年", year)
	if fb {
		yearText = "" // the title says "2023年度计划中"
	}
	var span string
	switch q.Period.Kind {
	case question.PeriodQuarter:
		span = fmt.Sprintf("%s%s（%d月-%d月）", yearText, quarterNames[(from+2)/3], from, to)
	case question.PeriodHalf:
		span = fmt.Sprintf("%s%s（%d月-%d月）", yearText, map[int]string{1: "上半年", 7: "下半年"}[from], from, to)
	case question.PeriodRest:
		span = fmt.Sprintf("%s%d月-12月", yearText, from)
	case question.PeriodYear:
		f.active = false // the whole year: every task
		f.desc = fmt.Sprintf("%d年度全部", year)
		if fb {
			f.desc = "全部"
		}
		return f
	default:
		if from == to {
			span = fmt.Sprintf("%s%d月", yearText, from)
		} else {
			span = fmt.Sprintf("%s%d月-%d月", yearText, from, to)
		}
	}
	current := !fb && year == now.Year() && from == int(now.Month()) && to == from
	switch {
	case f.event != question.EventAny:
		f.desc = span + eventVerb(f.event) + "的"
	case q.Period.Kind == question.PeriodRest && !fb:
		f.desc = span + "尚未结束的"
	case current:
		f.desc = span + "正在进行的"
	default:
		f.desc = span + "在抽查期内的"
	}
	return f
}

func eventVerb(e question.Event) string {
	switch e {
	case question.EventStart, question.EventOpeningSoon:
		return "开始"
	case question.EventEnd, question.EventClosingSoon:
		return "截止"
	case question.EventStartOrEnd:
		return "开始或截止"
	}
	return "进行"
}

// planFor picks the plan for the year asked about: that year's, else the
// one Catalog.Current picks for it (the latest before it, else the
// earliest), which the answer must then label as another year's.
func (a *Asker) planFor(year int, loc *time.Location) (scope, *reply.Error) {
	noPlan := reply.Errorf("no_plan", "抽查计划尚未加载，请联系管理员。")
	if a.plans == nil {
		return scope{}, noPlan
	}
	p, ok := a.plans.ForYear(year)
	if !ok {
		p = a.plans.Current(time.Date(year, 1, 1, 0, 0, 0, 0, loc))
	}
	if p == nil {
		return scope{}, noPlan
	}
	return scope{Plan: p, asked: year}, nil
}

// answer builds the answer to q asked at now by a user in sections.
func (a *Asker) answer(q question.Query, now time.Time, sections []string) (Answer, error) {
	switch q.Intent {
	case question.Help:
		return helpAnswer(), nil
	}
	clock := now
	if q.Year == 0 && q.YearOffset != 0 { // "去年的计划"
		q.Year = now.Year() + q.YearOffset
	}
	if q.Year != 0 && q.Year != now.Year() {
		// "2022年7月": resolve the period as if asked in that year.
		now = time.Date(q.Year, now.Month(), min(now.Day(), 28), now.Hour(), now.Minute(), 0, 0, now.Location())
	}
	s, perr := a.planFor(askedYear(&q, now), now.Location())
	if perr != nil {
		return Answer{}, perr
	}
	s.clock = clock
	// Words found in the plan are a subject ("个体工商户"); the others
	// were not understood.
	q, unknown := readWords(q, s.Plan)
	var ignored string
	if len(unknown) > 0 {
		ignored = excerpt(slices.MaxFunc(unknown, func(x, y string) int { return len(x) - len(y) }))
	}
	var ans Answer
	switch q.Intent {
	case question.Mine:
		ans = a.mine(q, now, s, sections)
	case question.TaskByRef, question.Attribute:
		ans = a.tasks(q, now, s)
		if q.Ref == nil {
			ans.Unused = unusedNote(unknown)
		}
	case question.List:
		ans = a.list(q, now, s)
		ans.Unused = unusedNote(unknown)
		a.countAndStatus(&q, s, &ans) // kinds.go
	default:
		ans = unknownAnswer(q, ignored, s)
	}
	if s.fallback() && !ans.general {
		ans.NoPlan = fmt.Sprintf("尚未导入%d年度抽查计划", s.asked)
		ans.Basis = fmt.Sprintf("以下依据%d年度计划，仅供参考", s.Year)
	}
	ans.plan = s.Plan
	return ans, nil
}

// maxQuoted is how many characters of the asker's own words an answer
// quotes back.
const maxQuoted = 30

// excerpt is s cut to maxQuoted characters, marked "…" when cut: a long
// message is never repeated back whole (10,000 characters quoted took seven
// message/send calls).
func excerpt(s string) string {
	n := 0
	for i := range s {
		if n == maxQuoted {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// hardFilter returns the items of the scope's plan passing every filter of
// q but the subject (selectItems ranks by that), and the time filter
// applied to them (none unless useTime).
func (a *Asker) hardFilter(q *question.Query, now time.Time, s scope, useTime bool) (items, noWindow []*plan.Item, tf timeFilter) {
	if useTime {
		tf = a.resolveTime(q, now, s)
	}
	p := s.Plan
	loc := now.Location()
	for _, t := range p.Tasks {
		for _, it := range t.Items {
			if !matchDepartments(it, q.Departments) || !matchRatio(q, it.Ratio.Percent) || q.Floor && !it.Ratio.Floor {
				continue
			}
			if q.Risk == question.RiskDifferentiated && !it.Risk.Differentiated || q.Risk == question.RiskUniform && it.Risk.Differentiated {
				continue
			}
			if q.NoWindow {
				if !it.Window.Has() {
					items = append(items, it)
				}
				continue
			}
			if !it.Window.Has() {
				if tf.match(it, p.Year, loc) {
					noWindow = append(noWindow, it)
				}
				continue
			}
			if tf.match(it, p.Year, loc) {
				items = append(items, it)
			}
		}
	}
	return items, noWindow, tf
}

// list answers a List question.
func (a *Asker) list(q question.Query, now time.Time, s scope) Answer {
	if ans, ok := a.slotList(q, now, s); ok { // deadlines, extremes, time left
		return ans
	}
	sel := a.selectItems(&q, now, s, true)
	items, noWindow, tf := sel.items, sel.noWindow, sel.tf
	ans := Answer{Kind: AnswerList, Items: items, NoWindow: noWindow, Related: sel.related}
	// A time question counts the tasks with a window in the period; the
	// others count every task listed.
	total := len(items)
	if !tf.active {
		total += len(noWindow)
	}
	ans.Title = fmt.Sprintf("%s%s抽查任务（%d项）", s.in(), describe(&q, tf), total)
	if total == 0 {
		if len(noWindow) > 0 {
			ans.Lines = append(ans.Lines, "计划中没有起止时间符合的任务。")
		} else {
			ans.Lines = append(ans.Lines, "计划中没有符合条件的任务。")
		}
		if tf.active && len(noWindow) == 0 {
			alt, altNW, _ := a.filter(&q, now, s, false)
			if !tf.byMonth {
				if next, d := tf.next(alt, s.Year, now.Location()); len(next) > 0 {
					ans.Alternatives = next
					date := fmt.Sprintf("%d月%d日", d.Month(), d.Day())
					if s.fallback() { // the plan's date, not this year's
						date = fmt.Sprintf("%d年", d.Year()) + date
					}
					ans.AlternativesTitle = fmt.Sprintf("之后最先%s的任务（%s%s）：", eventVerb(tf.event), date, eventVerb(tf.event))
				}
			} else if len(q.Subjects) > 0 || len(q.Departments) > 0 || q.Ratio.Op != question.RatioNone || q.Risk != question.RiskAny {
				ans.Alternatives, ans.AlternativesTitle = append(alt, altNW...), "不限时间时的相关任务："
			}
		}
		if len(ans.Alternatives) == 0 && len(noWindow) == 0 {
			ans.Examples = []string{"本月哪些抽查任务", "下个月开始的", "今年剩下的", "帮助"}
		}
	}
	a.noteFloors(&q, now, s, &ans)
	return ans
}

// describe builds the title's qualifiers from the filters.
func describe(q *question.Query, tf timeFilter) string {
	var b strings.Builder
	b.WriteString(tf.desc)
	if len(q.Departments) > 0 {
		var inits, secs []string
		for _, d := range q.Departments {
			if d != plan.CityBureau && d != plan.CountyBureaus { // a section
				secs = append(secs, d)
			} else {
				inits = append(inits, d)
			}
		}
		if len(inits) > 0 {
			b.WriteString(strings.Join(inits, "、") + "发起的")
		}
		if len(secs) > 0 {
			b.WriteString(strings.Join(secs, "、") + "牵头或指导的")
		}
	}
	if len(q.Subjects) > 0 {
		b.WriteString("与" + subjectLabel(q) + "有关的")
	}
	switch q.Risk {
	case question.RiskDifferentiated:
		b.WriteString("按信用风险分类递加比例的")
	case question.RiskUniform:
		b.WriteString("未提信用风险分类要求（统一比例）的")
	}
	b.WriteString(ratioDesc(q))
	if q.Floor {
		b.WriteString("抽查比例写为“不低于”（下限）的")
	}
	if q.NoWindow {
		b.WriteString("未注明起止时间（全年可查）的")
	}
	return b.String()
}

func pct(p float64) string { return fmt.Sprintf("%g%%", p) }

// tasks answers a question about tasks by number or subject: details or
// one attribute.
func (a *Asker) tasks(q question.Query, now time.Time, s scope) Answer {
	var items, related []*plan.Item
	var what string
	var missing []string // task numbers asked about that the plan lacks
	dashRange(s.Plan, &q)
	multi := len(q.Refs) > 1
	if multi {
		// "任务7和任务8": every task asked about, none dropped.
		var found []string
		for _, r := range q.Refs {
			its, ok := refItems(s.Plan, r)
			if !ok {
				missing = append(missing, r.String())
				continue
			}
			found = append(found, r.String())
			for _, it := range its {
				if !slices.Contains(items, it) {
					items = append(items, it)
				}
			}
		}
		if len(items) == 0 {
			return noSuchTask(s.Plan, q.Refs[0])
		}
		what = "任务" + strings.Join(found, "、")
	} else if q.Ref != nil {
		what = "任务" + q.Ref.String()
		var ok bool
		items, ok = refItems(s.Plan, *q.Ref)
		if !ok {
			return noSuchTask(s.Plan, *q.Ref)
		}
	} else {
		what = subjectLabel(&q)
		sel := a.selectItems(&q, now, s, false)
		items, related = sel.best, sel.related
		if len(items) == 0 {
			return notFoundSubject(q, s, now, a)
		}
	}
	if q.Attr == question.AttrTimeLeft {
		return a.timeLeft(s, items, what, missing)
	}
	// In fallback every title names the plan's year: task numbers, too,
	// are that year's. An answer about one item starts with its number and
	// full name.
	ans := Answer{Kind: AnswerAttribute, Items: items, Attr: q.Attr, Related: related}
	one := len(items) == 1
	if name := attrName(q.Attr); name != "" {
		switch {
		case one && s.fallback():
			ans.Title = s.in() + "的" + detailTitle(items)
		case one:
			ans.Title = detailTitle(items)
		case q.Ref == nil:
			ans.Title = fmt.Sprintf("%s与%s有关的抽查任务（%d项）的%s", s.in(), what, len(items), name)
		default:
			ans.Title = s.in() + what + "的" + name
		}
	} else if multi && len(items) > maxDetails {
		// Many tasks at once ("任务1到17"): every field of each would run
		// past what one answer may send; list each on one line instead.
		ans.Kind = AnswerList
		if r, ok := refRange(q.Refs); ok {
			what = "任务" + r
		}
		ans.Title = fmt.Sprintf("%s%s（共%d项）", s.in(), what, len(items))
		if s.fallback() {
			ans.Title = fmt.Sprintf("%s的%s（共%d项）", s.in(), what, len(items))
		}
		ans.Lines = append(ans.Lines, "每项一行，单项详情请问“任务"+items[0].ID+"”。")
	} else {
		ans.Kind, ans.Items, ans.Details = AnswerDetail, nil, items
		switch {
		case one && s.fallback():
			ans.Title = s.in() + "的" + detailTitle(items)
		case one:
			ans.Title = detailTitle(items)
		case q.Ref == nil:
			ans.Title = fmt.Sprintf("%s与%s有关的抽查任务（%d项）", s.in(), what, len(items))
		case multi && s.fallback():
			ans.Title = fmt.Sprintf("%s的%s（共%d项）", s.in(), what, len(items))
		case multi:
			ans.Title = fmt.Sprintf("%s（共%d项）", what, len(items))
		case s.fallback():
			ans.Title = s.in() + "的" + detailTitle(items)
		}
	}
	switch {
	case len(missing) > 0 && ans.Kind == AnswerList: // the list shows the numbers there are
		ans.Lines = append(ans.Lines, fmt.Sprintf("%d年度计划中没有任务%s。", s.Year, strings.Join(missing, "、")))
	case len(missing) > 0:
		ans.Lines = append(ans.Lines, fmt.Sprintf("%d年度计划中没有任务%s；计划中的任务序号为%s。", s.Year, strings.Join(missing, "、"), serialRanges(s.Plan)))
	}
	return ans
}

// maxDetails is how many items a question about several tasks gets in
// full; more are listed one a line (three details fit one WeCom message).
const maxDetails = 3

func refItems(p *plan.Plan, r question.Ref) ([]*plan.Item, bool) {
	if r.Index == 0 {
		t, ok := p.Task(r.Serial)
		if !ok {
			return nil, false
		}
		return t.Items, true
	}
	it, ok := p.Item(r.String())
	if !ok {
		return nil, false
	}
	return []*plan.Item{it}, true
}

// noSuchTask explains that the plan has no task r and lists the valid numbers.
func noSuchTask(p *plan.Plan, r question.Ref) Answer {
	ans := Answer{Kind: AnswerNotFound}
	ans.Title = fmt.Sprintf("%d年度计划中没有任务%s", p.Year, r.String())
	if t, ok := p.Task(r.Serial); ok && r.Index > 0 {
		if len(t.Items) > 1 {
			ans.Lines = append(ans.Lines, fmt.Sprintf("任务%d包含%s。", t.Serial, strings.Join(ids(t.Items), "、")))
		} else {
			ans.Lines = append(ans.Lines, fmt.Sprintf("任务%d只有一项，没有分项。", t.Serial))
		}
	}
	ans.Lines = append(ans.Lines, "计划中的任务序号为"+serialRanges(p)+"。")
	for _, t := range p.Tasks {
		if len(t.Items) > 1 {
			ans.Lines = append(ans.Lines, fmt.Sprintf("其中任务%d分为%s共%d项。", t.Serial, strings.Join(ids(t.Items), "、"), len(t.Items)))
		}
	}
	ans.Examples = []string{"任务" + fmt.Sprint(p.Tasks[0].Serial), "本月哪些抽查任务"}
	return ans
}

// serialRanges is "1-11、13-17（共16个任务）".
func serialRanges(p *plan.Plan) string {
	var parts []string
	for i := 0; i < len(p.Tasks); {
		j := i
		for j+1 < len(p.Tasks) && p.Tasks[j+1].Serial == p.Tasks[j].Serial+1 {
			j++
		}
		if i == j {
			parts = append(parts, fmt.Sprint(p.Tasks[i].Serial))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", p.Tasks[i].Serial, p.Tasks[j].Serial))
		}
		i = j + 1
	}
	return fmt.Sprintf("%s（共%d个任务）", strings.Join(parts, "、"), len(p.Tasks))
}

// subjectExamples are suggested when a subject finds nothing.
var subjectExamples = []string{"加油站", "眼镜店", "食品", "认证", "广告", "钢筋", "特种设备", "直销", "拍卖", "文物"}

func notFoundSubject(q question.Query, s scope, now time.Time, a *Asker) Answer {
	label := subjectLabel(&q)
	ans := Answer{Kind: AnswerNotFound}
	ans.Title = fmt.Sprintf("%d年度计划中没有与%s有关的抽查任务", s.Year, label)
	// Close alternatives: the subject alone, without the other filters.
	alt := question.Query{Subjects: q.Subjects, Words: q.Words, Phrases: q.Phrases}
	items := a.selectItems(&alt, now, s, false).all()
	if len(items) > 0 && (len(q.Departments) > 0 || q.Ratio.Op != question.RatioNone || q.Risk != question.RiskAny || q.NoWindow) {
		ans.Title = s.in() + "没有同时符合这些条件的" + label + "相关任务"
		ans.Alternatives, ans.AlternativesTitle = items, "不加其他条件时的相关任务："
		return ans
	}
	ans.Lines = []string{"可以换个说法，或按检查对象问，例如：" + strings.Join(subjectExamples, "、") + "。"}
	ans.Examples = []string{"加油站怎么抽查", "食品相关的任务", "本月哪些抽查任务"}
	return ans
}

// mine answers "我科室的任务" from the user's sections.
func (a *Asker) mine(q question.Query, now time.Time, s scope, sections []string) Answer {
	var depts, unknown []string
	for _, s := range sections {
		if c := a.planDepartment(s); c != "" {
			if !slices.Contains(depts, c) {
				depts = append(depts, c)
			}
		} else if s != "" {
			unknown = append(unknown, s)
		}
	}
	if len(depts) == 0 {
		ans := Answer{Kind: AnswerUnknownDept}
		if len(unknown) == 0 {
			ans.general = true
			ans.Title = "暂时不知道您所在的科室"
			ans.Lines = []string{"通讯录中的部门还没有与计划中的科室对应。可以直接说科室或单位名称来问："}
		} else {
			ans.Title = fmt.Sprintf("%d年度计划中没有%s发起、牵头或指导的任务", s.Year, strings.Join(unknown, "、"))
			ans.Lines = []string{"计划中的科室和单位为：计量科、消保科、特种设备安全监察科、市市场监督管理局、各县区局。可以这样问："}
		}
		ans.Examples = []string{"计量科的任务", "消保科本月的任务", "县区局的任务", "市局发起的任务"}
		return ans
	}
	q.Departments = depts
	q.Intent = question.List
	return a.list(q, now, s)
}

// Example questions shown by help and unknown answers.
var (
	helpSections = []struct {
		Title    string
		Examples []string
	}{
		{"按时间", []string{"本月哪些抽查任务", "下个月的任务", "七月", "第二季度", "今年剩下的", "正在进行的"}},
		{"开始与截止", []string{"本月开始的", "本月截止的", "快到期的", "这周", "明天开始的", "年底前要做完的", "国庆前截止的", "任务7还剩几天"}},
		{"按科室或单位", []string{"计量科的任务", "消保科", "特种设备安全监察科", "县区局的任务", "市局的任务", "我科室的任务"}},
		{"按检查对象", []string{"加油站", "眼镜店", "医院", "钢筋", "广告", "食品", "认证", "文物", "直销", "特种设备"}},
		{"某个任务", []string{"任务7", "第七项", "15-2", "拍卖抽多少", "直销什么时候查", "文物检查谁发起", "加油站怎么抽查"}},
		{"任务的某一项", []string{"任务8的抽查范围", "拍卖查什么", "任务7的频次", "任务4的牵头科室", "任务2的信用风险要求"}},
		{"其他清单", []string{"没有注明时间的任务", "按信用风险分类的任务", "比例100%的", "比例30%以上的", "比例低于5%的", "比例最高的"}},
		{"提醒", []string{"提醒计划", "提醒计划 计量科", "提醒记录（管理员）"}},
	}
	unknownExamples = []string{"本月哪些抽查任务", "加油站怎么抽查", "任务7", "快到期的", "计量科的任务", "帮助"}
)

func helpAnswer() Answer {
	ans := Answer{Kind: AnswerHelp, Title: "抽查助手能回答这些问题", general: true}
	ans.Lines = append(ans.Lines, "我根据年度“双随机”抽查工作计划回答，例如：")
	for _, s := range helpSections {
		ans.Lines = append(ans.Lines, fmt.Sprintf("**%s**：%s", s.Title, strings.Join(s.Examples, "、")))
	}
	ans.Lines = append(ans.Lines, "清单按“项”计数：一个任务有一项或几项（如任务15分为15-1、15-2）。")
	return ans
}

func unknownAnswer(q question.Query, ignored string, s scope) Answer {
	ans := Answer{Kind: AnswerUnknown, Title: "抱歉，没能理解您的问题", general: ignored == ""}
	ans.Lines = []string{"发送“帮助”查看全部用法。"}
	ans.Examples = unknownExamples
	if ignored != "" {
		// Perhaps a subject the plan does not cover ("化妆品"), perhaps not a
		// question about the plan at all ("天气怎么样").
		ans.Lines = []string{
			fmt.Sprintf("%s中没有找到与“%s”有关的抽查任务。", s.name(), ignored),
			"可以按检查对象问，例如：" + strings.Join(subjectExamples, "、") + "。发送“帮助”查看全部用法。",
		}
		if attrName(q.Attr) != "" || q.Attr == question.AttrTimeLeft {
			ans.Kind = AnswerNotFound
			ans.Title = fmt.Sprintf("%s中没有找到与“%s”有关的抽查任务", s.name(), ignored)
			ans.Lines = ans.Lines[1:]
		}
	}
	return ans
}
