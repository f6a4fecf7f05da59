package answer

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/workday"
)

// This file answers the time slots beyond months: one day (明天开始的),
// several months or quarters (第二季度和第三季度), deadlines (年底前要做完的).
// Dates asked relative to today are mapped into the plan's year by month
// and day, as resolveTime does for weeks: against another year's plan the
// headings say "对应明天", never a date of the asked year.

var defaultCalendar = sync.OnceValue(func() *workday.Calendar { return workday.New(nil) })

// weekdayNames are indexed by time.Weekday.
var weekdayNames = []string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

func md(t time.Time) string { return fmt.Sprintf("%d月%d日", t.Month(), t.Day()) }

// intoPlanYear maps t, resolved at now, into the plan's year by month and
// day (a year later if t is in the year after now's).
func intoPlanYear(t, now time.Time, planYear int) time.Time {
	return time.Date(planYear+t.Year()-now.Year(), t.Month(), t.Day(), 0, 0, 0, 0, now.Location())
}

// slotTime resolves a day or several periods; ok is false for the other
// periods, which resolveTime handles.
func (a *Asker) slotTime(q *question.Query, now time.Time, s scope) (timeFilter, bool) {
	if q.Event == question.EventClosingSoon || q.Event == question.EventOpeningSoon {
		return timeFilter{}, false
	}
	fb := s.fallback()
	if q.Period.Kind == question.PeriodDay {
		d := intoPlanYear(q.Period.Date(now), now, s.Year)
		f := timeFilter{active: true, fromDay: d, toDay: d.AddDate(0, 0, 1), event: q.Event, covers: true}
		label := question.DayLabel(q.Period)
		verb := eventVerb(f.event) + "的"
		if f.event == question.EventAny {
			verb = "在抽查期内的"
		}
		switch {
		case fb:
			f.desc = fmt.Sprintf("%s（对应%s）%s", md(d), label, verb)
		case label == md(d):
			f.desc = fmt.Sprintf("%d年%s%s", d.Year(), md(d), verb)
		default:
			f.desc = fmt.Sprintf("%d年%s（%s）%s", d.Year(), md(d), label, verb)
		}
		return f, true
	}
	if len(q.Periods) < 2 {
		return timeFilter{}, false
	}
	f := timeFilter{active: true, byMonth: true, event: q.Event}
	var spans []string
	year := 0
	for i, p := range q.Periods {
		y, from, to, ok := p.Months(now)
		if !ok {
			return timeFilter{}, false
		}
		if i == 0 {
			f.from, f.to, year = from, to, y
		} else {
			f.more = append(f.more, [2]int{from, to})
		}
		switch {
		case p.Kind == question.PeriodQuarter:
			spans = append(spans, quarterNames[(from+2)/3]) // months left out: the whole plan must fit one message
		case from == to:
			spans = append(spans, fmt.Sprintf("%d月", from))
		default:
			spans = append(spans, fmt.Sprintf("%d月-%d月", from, to))
		}
	}
	yearText := fmt.Sprintf("%d年", year)
	if fb {
		yearText = ""
	}
	verb := "在抽查期内的"
	if f.event != question.EventAny {
		verb = eventVerb(f.event) + "的"
	}
	f.desc = yearText + strings.Join(spans[:len(spans)-1], "、") + "和" + spans[len(spans)-1] + verb
	return f, true
}

// slotList answers the list questions this package's slot files own:
// deadlines, extremes, and time left over a list. ok is false for the rest.
func (a *Asker) slotList(q question.Query, now time.Time, s scope) (Answer, bool) {
	switch {
	case q.Attr == question.AttrTimeLeft: // over any other list
		q.Attr = question.AttrNone
		base := a.list(q, now, s)
		items := append(append([]*plan.Item(nil), base.Items...), base.NoWindow...)
		if len(items) == 0 {
			return base, true
		}
		what, _, _ := strings.Cut(base.Title, "抽查任务（")
		ans := a.timeLeft(s, items, what+"抽查任务", nil)
		ans.Title = strings.TrimPrefix(ans.Title, s.in()) // the list's title already says it
		return ans, true
	case q.Extreme != question.ExtremeNone: // over a deadline's list too
		return a.extremeList(q, now, s), true
	case q.Deadline.Kind != question.DeadlineNone:
		return a.deadlineList(q, now, s), true
	}
	return Answer{}, false
}

// deadlineLast resolves q's deadline into the plan's year: the last
// closing day it allows, and the words naming it.
func (a *Asker) deadlineLast(q *question.Query, now time.Time, s scope) (last time.Time, name string, ok bool) {
	d := q.Deadline
	if d.Kind == question.DeadlineHoliday {
		// The festival of the plan's year: the windows are that year's;
		// 元旦 before which a window can close is the next year's.
		y, next := s.Year, ""
		if d.Holiday == "元旦节" {
			y, next = s.Year+1, "次年"
		}
		fest, ok := a.cal.Festival(y, d.Holiday)
		if !ok {
			return time.Time{}, d.Label, false
		}
		fest = time.Date(fest.Year(), fest.Month(), fest.Day(), 0, 0, 0, 0, now.Location())
		return fest.AddDate(0, 0, -1), fmt.Sprintf("%s（%s%s）前", d.Label, next, md(fest)), true
	}
	l, ok := d.LastDay(now, nil)
	if !ok {
		return time.Time{}, d.Label, false
	}
	last = intoPlanYear(l, now, s.Year)
	if d.Label == md(last) {
		return last, md(last) + "及以前", true
	}
	return last, fmt.Sprintf("%s前（%s及以前）", d.Label, md(last)), true
}

// deadlineList answers "年底前要做完的": the items whose windows close by the
// deadline (or open by it: "6月前开始的"), only those not yet closed today
// unless the question asks for all or the deadline has passed.
func (a *Asker) deadlineList(q question.Query, now time.Time, s scope) Answer {
	loc := now.Location()
	fb := s.fallback()
	today := time.Date(s.Year, now.Month(), now.Day(), 0, 0, 0, 0, loc)
	todayText := fmt.Sprintf("今天（%s）", md(today))
	if fb {
		todayText = fmt.Sprintf("对应今天的%s", md(today))
	}
	ans := Answer{Kind: AnswerList}
	last, name, ok := a.deadlineLast(&q, now, s)
	if !ok {
		ans.Title = fmt.Sprintf("无法确定%s的日期", name)
		ans.Lines = []string{"节假日数据中没有这一年的该节日。可以直接说日期，例如“10月1日前截止的”。"}
		return ans
	}
	start := q.Event == question.EventStart
	verb := "截止"
	if start {
		verb = "开始"
	}
	base := q
	base.Deadline, base.Event, base.Period, base.Periods = question.Deadline{}, question.EventAny, question.Period{}, nil
	items, noWindow, _ := a.filter(&base, now, s, false)
	passed := last.Before(today)
	onlyOpen := !q.Deadline.All && !passed && !start
	var closed int
	keep := func(it *plan.Item) bool {
		w := it.Window
		if !w.Has() {
			w = wholeYear
		}
		d := w.LastDay(s.Year, loc)
		if start {
			d = w.Start(s.Year, loc)
		}
		if d.After(last) {
			return false
		}
		if onlyOpen && d.Before(today) {
			closed++
			return false
		}
		return true
	}
	for _, it := range items {
		if keep(it) {
			ans.Items = append(ans.Items, it)
		}
	}
	for _, it := range noWindow {
		if keep(it) {
			ans.NoWindow = append(ans.NoWindow, it)
		}
	}
	yearText := fmt.Sprintf("%d年", s.Year)
	if fb {
		yearText = ""
	}
	ans.Title = fmt.Sprintf("%s%s%s%s的%s抽查任务（%d项）", s.in(), yearText, name, verb, describe(&base, timeFilter{}), len(ans.Items)+len(ans.NoWindow))
	switch {
	case passed && !q.Deadline.All && !start && len(ans.Items)+len(ans.NoWindow) > 0:
		ans.Lines = append(ans.Lines, fmt.Sprintf("%s已过%s，以下任务均已截止。", todayText, md(last)))
	case onlyOpen && closed > 0:
		ans.Lines = append(ans.Lines, fmt.Sprintf("只列%s尚未截止的；已截止的%d项未列出（问“所有%s前截止的”可看全部）。", todayText, closed, q.Deadline.Label))
	case onlyOpen && len(ans.Items)+len(ans.NoWindow) > 0:
		ans.Lines = append(ans.Lines, fmt.Sprintf("按%s计均未截止。", todayText))
	}
	if len(ans.Items)+len(ans.NoWindow) == 0 {
		ans.Lines = append(ans.Lines, "计划中没有符合条件的任务。")
		// The first windows closing (opening) after the deadline.
		tf := timeFilter{event: question.EventEnd, toDay: last.AddDate(0, 0, 1)}
		if tf.toDay.Before(today) {
			tf.toDay = today
		}
		if start {
			tf.event = question.EventStart
		}
		if next, d := tf.next(items, s.Year, loc); len(next) > 0 {
			ans.Alternatives = next
			ans.AlternativesTitle = fmt.Sprintf("之后最先%s的任务（%s%s）：", verb, md(d), verb)
		} else {
			ans.Examples = []string{"年底前要做完的", "快到期的", "本月截止的"}
		}
	}
	return ans
}
