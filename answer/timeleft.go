package answer

import (
	"fmt"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
)

// This file answers "还剩几天", "多久截止", "哪天结束": each item's exact
// closing date, and the calendar and working days left from today, by
// China's working days as the reminders count them (package workday).
//
// Days are counted only when the plan is the asked year's: its dates are
// real dates, past or future. Against another year's plan (no plan loaded
// for this year) the answer gives that plan's dates, says they are not this
// year's, and counts nothing: a 2023 window does not close in 2026.

// LeftState is where today stands against an item's window.
type LeftState int

const (
	LeftNoWindow   LeftState = iota // the plan gives no window
	LeftOtherYear                   // another year's plan: dates only, nothing counted
	LeftNotStarted                  // before the window opens
	LeftOpen                        // inside the window, closing today or later
	LeftClosed                      // after the window closed
)

// Left is one item's closing date and the time left.
type Left struct {
	Item  *plan.Item
	State LeftState
	// Start and Last are the window's first and last day in the plan's
	// year; zero for LeftNoWindow.
	Start, Last time.Time
	// Days are the calendar days from today to Last (negative: closed that
	// many days ago); Workdays the working days after today up to and
	// including Last. StartDays: calendar days to Start when not started.
	// All zero for LeftNoWindow and LeftOtherYear.
	Days, Workdays, StartDays int
	// LastWorkday is the last working day on or before Last, when Last
	// itself is not one (12月31日 on a Sunday: 12月29日); else zero.
	LastWorkday time.Time
}

// timeLeft answers the time left of items, what naming them ("任务7",
// "“直销”"); missing are task numbers asked that the plan lacks.
func (a *Asker) timeLeft(s scope, items []*plan.Item, what string, missing []string) Answer {
	ans := Answer{Kind: AnswerAttribute, Items: items, Attr: question.AttrTimeLeft}
	switch {
	case len(items) == 1 && s.fallback(): // one item: its number and full name first
		ans.Title = s.in() + "的" + detailTitle(items) + "的截止日期及剩余时间"
	case len(items) == 1:
		ans.Title = detailTitle(items) + "的截止日期及剩余时间"
	default:
		ans.Title = s.in() + what + "的截止日期及剩余时间"
	}
	clock := s.clock
	if clock.IsZero() {
		clock = time.Now()
	}
	loc := clock.Location()
	today := time.Date(clock.Year(), clock.Month(), clock.Day(), 0, 0, 0, 0, loc)
	workdays := map[time.Time]int{} // by closing day: items share few
	for _, it := range items {
		l := Left{Item: it}
		switch {
		case !it.Window.Has():
			l.State = LeftNoWindow
		default:
			l.Start, l.Last = it.Window.Start(s.Year, loc), it.Window.LastDay(s.Year, loc)
			if s.fallback() {
				l.State = LeftOtherYear
				break
			}
			l.Days = int(l.Last.Sub(today).Hours()+12) / 24
			switch {
			case l.Last.Before(today):
				l.State = LeftClosed
			case today.Before(l.Start):
				l.State = LeftNotStarted
				l.StartDays = int(l.Start.Sub(today).Hours()+12) / 24
			default:
				l.State = LeftOpen
			}
			if l.State != LeftClosed {
				w, ok := workdays[l.Last]
				if !ok {
					w = a.cal.WorkdaysBetween(today, l.Last)
					workdays[l.Last] = w
				}
				l.Workdays = w
				if !a.cal.IsWorkday(l.Last) {
					l.LastWorkday = a.cal.PrevWorkday(l.Last)
				}
			}
		}
		ans.Left = append(ans.Left, l)
	}
	if s.fallback() {
		ans.Lines = append(ans.Lines, fmt.Sprintf("以下是%d年度计划的日期，不是今年的；未导入今年的计划，不计算剩余天数。", s.Year))
	} else {
		ans.Lines = append(ans.Lines, fmt.Sprintf("今天是%s（%s）；工作日按国家法定节假日和调休安排计算，不含今天。", md(today), weekdayNames[today.Weekday()]))
	}
	if len(missing) > 0 {
		ans.Lines = append(ans.Lines, fmt.Sprintf("%d年度计划中没有任务%s；计划中的任务序号为%s。", s.Year, strings.Join(missing, "、"), serialRanges(s.Plan)))
	}
	return ans
}

// groupAbove is how many items are listed one line each; more are grouped
// by closing date so that the answer stays one WeCom message.
const groupAbove = 3

// leftLines renders the time left of items: one line each, or grouped by
// closing date under one line saying it.
func leftLines(ls []Left, year int) string {
	var b strings.Builder
	if len(ls) <= groupAbove {
		for _, l := range ls {
			b.WriteString("**" + l.Item.ID + "** " + itemName(l.Item) + "：" + l.line(year) + "\n")
		}
		return b.String()
	}
	var order []string
	groups := map[string][]Left{}
	for _, l := range ls {
		k := l.line(year)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], l)
	}
	for _, k := range order {
		b.WriteString(k + "：\n")
		for _, l := range groups[k] {
			b.WriteString("**" + l.Item.ID + "** " + itemName(l.Item) + "\n")
		}
	}
	return b.String()
}

// line says l's closing date and time left, in the plan's year.
func (l Left) line(year int) string {
	head := ""
	span := fmt.Sprintf("抽查期%s至%s", md(l.Start), md(l.Last))
	lastWork := ""
	if !l.LastWorkday.IsZero() {
		lastWork = fmt.Sprintf("；%s是%s，最后一个工作日为%s（%s）", md(l.Last), weekdayNames[l.Last.Weekday()], md(l.LastWorkday), weekdayNames[l.LastWorkday.Weekday()])
	}
	switch l.State {
	case LeftNoWindow:
		return head + "计划未注明起止时间（全年可查），没有规定截止日期"
	case LeftOtherYear:
		return head + fmt.Sprintf("%d年度计划中%s截止（%s）", year, md(l.Last), span)
	case LeftClosed:
		return head + fmt.Sprintf("**已截止**：%d年%s截止，已过%d天（%s）", year, md(l.Last), -l.Days, span)
	case LeftNotStarted:
		return head + fmt.Sprintf("**尚未开始**（%s开始，还有%d天）；**%s截止**，距截止还有%d天，其中工作日%d天%s", md(l.Start), l.StartDays, md(l.Last), l.Days, l.Workdays, lastWork)
	}
	if l.Days == 0 {
		return head + fmt.Sprintf("**今天（%s）截止**（%s）%s", md(l.Last), span, lastWork)
	}
	return head + fmt.Sprintf("**%s截止**（%s），还剩**%d天**，其中工作日**%d天**（%s）%s", md(l.Last), weekdayNames[l.Last.Weekday()], l.Days, l.Workdays, span, lastWork)
}
