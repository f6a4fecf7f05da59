package question

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file reads the time slots that need more than a month: single days
// (今天, 明天, 本周五, 3月16日, 15号), deadlines ("年底前", "国庆前",
// "3月中旬前", "6月前", "月底前"), time-left questions ("还剩几天", "哪天截止")
// and lists of months or quarters ("2月和3月", "第二季度和第三季度"). It runs
// before the month and task-number rules, so that none of these is misread
// as a month or a task.

// DeadlineKind is how a deadline names its date.
type DeadlineKind int

const (
	DeadlineNone    DeadlineKind = iota
	DeadlineDate                 // on or before Month-Day (Day 0: the month's last day; Month 0: now's month + MonthOffset)
	DeadlineBefore               // before Month-Day: 6月前 is before June 1, 3月中旬前 before March 11
	DeadlineDay                  // on or before the day Day names (本周五前, 明天前)
	DeadlineHoliday              // before the festival Holiday of the plan's year (国庆前: before October 1)
	DeadlineQuarter              // by the end of quarter Month (0: now's quarter + MonthOffset quarters)
)

// Deadline is a date by which windows must close ("年底前要做完的").
type Deadline struct {
	Kind        DeadlineKind
	Month       int
	MonthOffset int
	Day         int
	DayOf       Period // DeadlineDay: a PeriodDay
	Holiday     string // DeadlineHoliday: 元旦节 春节 清明节 劳动节 端午节 中秋节 国庆节 (workday's names)
	// Label is the deadline as asked, normalised for titles: 年底, 国庆节,
	// 3月中旬, 6月, 月底.
	Label string
	// All: the question asks for every window closing by then, closed ones
	// too ("今年所有年底前截止的"); otherwise only those still open.
	All bool
}

// Festival finds the date of a named festival in a year (workday.Calendar.Festival).
type Festival func(year int, name string) (time.Time, bool)

// LastDay is the last closing day the deadline allows, asked at now: a
// window closing on or before it meets the deadline. ok is false when it
// names no valid date (a festival the data lacks, 2月30日).
func (d Deadline) LastDay(now time.Time, festival Festival) (last time.Time, ok bool) {
	loc := now.Location()
	y := now.Year()
	switch d.Kind {
	case DeadlineDate, DeadlineBefore:
		m := d.Month
		if m == 0 {
			t := time.Date(y, now.Month()+time.Month(d.MonthOffset), 1, 0, 0, 0, 0, loc)
			y, m = t.Year(), int(t.Month())
		}
		if d.Kind == DeadlineBefore {
			return time.Date(y, time.Month(m), max(d.Day, 1)-1, 0, 0, 0, 0, loc), true
		}
		if d.Day == 0 {
			return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, loc), true
		}
		t := time.Date(y, time.Month(m), d.Day, 0, 0, 0, 0, loc)
		return t, t.Day() == d.Day
	case DeadlineDay:
		return d.DayOf.Date(now), true
	case DeadlineQuarter:
		qn := d.Month
		if qn == 0 {
			qn = (int(now.Month())-1)/3 + 1 + d.MonthOffset
		}
		return time.Date(y, time.Month(3*qn)+1, 0, 0, 0, 0, 0, loc), true
	case DeadlineHoliday:
		if festival == nil {
			return time.Time{}, false
		}
		f, ok := festival(y, d.Holiday)
		if !ok {
			return time.Time{}, false
		}
		return time.Date(f.Year(), f.Month(), f.Day()-1, 0, 0, 0, 0, loc), true
	}
	return time.Time{}, false
}

// Date resolves a PeriodDay against now: midnight of the day in now's zone.
func (p Period) Date(now time.Time) time.Time {
	y, m, d := now.Date()
	loc := now.Location()
	switch {
	case p.Weekday != 0:
		from, _ := p.Week(now)
		return from.AddDate(0, 0, p.Weekday-1)
	case p.Day != 0:
		if p.Month != 0 {
			m = time.Month(p.Month)
		}
		return time.Date(y, m, p.Day, 0, 0, 0, 0, loc)
	}
	return time.Date(y, m, d+p.Offset, 0, 0, 0, 0, loc)
}

// Numerals as the date rules read them.
const (
	monthNum = `(\d{1,2}|十[一二]?|[一二三四五六七八九])`
	dayNum   = `(\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])`
	beforeW  = `(?:之前|以前|前|为止)`
	listSep  = `(?:和|与|及|跟|或|、|,|/)`
)

var (
	reISODate = regexp.MustCompile(`((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})[日号]?`)
	// Deadlines.
	reDeadlineHoliday = regexp.MustCompile(`(?:今年|本年)?的?(国庆节?|十一|五一|劳动节|春节|过年|元旦节?|清明节?|端午节?|中秋节?)(?:假期|长假|放假|小长假)?` + beforeW)
	reDeadlineYearEnd = regexp.MustCompile(`(到|截至|截止到|截止至)?(?:今年|本年度?|年度)?(?:年底|年末|年终|12月底|十二月底|12月末|十二月末)(` + beforeW + `)?`)
	reDeadlineYearIn  = regexp.MustCompile(`(?:今年|本年度?)(?:之内|内)|年内`)
	reDeadlineMonthE  = regexp.MustCompile(`(到|截至|截止到|截止至)?(本|这个|这|当|下个|下|` + monthNum[1:len(monthNum)-1] + `)?月份?(?:底|末)(` + beforeW + `)?`)
	reDeadlinePart    = regexp.MustCompile(monthNum + `月份?(上旬|中旬|下旬|初|中)` + beforeW)
	reDeadlinePartNow = regexp.MustCompile(`(?:本月|这个月|这月)?(上旬|中旬|下旬|月初|月中)` + beforeW)
	reDeadlineQuarter = regexp.MustCompile(`(本|这个|这|当|下个|下|第?[一二三四1-4]个?)?(?:季度|季)(?:末|底|结束)` + beforeW)
	reDeadlineHalf    = regexp.MustCompile(`(?:年中|上半年(?:末|底|结束)?)` + beforeW)
	// reSoon is "10天内到期的", "一周内开始的", "两个月内截止".
	reSoon          = regexp.MustCompile(`(\d+|[一二两三四五六七八九十]+)个?(天|日|周|星期|礼拜|月)(?:之内|以内|内)`)
	reDeadlineDate  = regexp.MustCompile(monthNum + `月` + dayNum + `[日号]` + beforeW)
	reDeadlineMonth = regexp.MustCompile(monthNum + `月份?` + beforeW)
	// Lists of months and quarters.
	reMonthList   = regexp.MustCompile(monthNum + `(?:月份?)?(?:` + listSep + monthNum + `(?:月份?)?)*` + listSep + monthNum + `月份?`)
	reMonthPair   = regexp.MustCompile(`([一二三四五六七八九])([二三四五六七八九十])月份?`)
	reMonthInList = regexp.MustCompile(monthNum + `(?:月份?)?`)
	// A bare Arabic digit never starts a quarter list: "任务1和第二季度".
	quarterElem   = `(?:第[一二三四1-4]个?(?:季度)?|[一二三四]个?(?:季度)?|[1-4]个?季度|q[1-4])`
	reQuarterList = regexp.MustCompile(`(?:` + quarterElem + listSep + `)+(?:第?[一二三四1-4]个?季度|q[1-4])`)
	reQuarterIn   = regexp.MustCompile(`([一二三四1-4])`)
	// Days.
	reDate    = regexp.MustCompile(monthNum + `月` + dayNum + `[日号]`)
	reWeekday = regexp.MustCompile(`(下下个?|下个|下|上个|上|本|这个|这)?(?:周|星期|礼拜)([一二三四五六日天1-7])`)
	reRelDay  = regexp.MustCompile(`大后天|后天|明天|明日|今天|今日|昨天|昨日|前天`)
	// A day of this month ("15号"), only where the words after it make it a
	// date rather than a task number ("7号任务").
	reMonthDay = regexp.MustCompile(`(本月|这个月|这月)?` + dayNum + `[日号]`)
	reBeforeAt = regexp.MustCompile(`^\|?` + beforeW)
)

// dayFollowers are words after "15号" that make it a date.
var dayFollowers = []string{"开始", "截止", "结束", "到期", "启动", "开启", "之前", "以前", "前", "有", "那天", "当天", "这天", "当日"}

// timeLeftWords ask how long an item has left ("还剩几天").
var timeLeftWords = []string{
	"还剩多少个工作日", "还剩几个工作日", "还有多少个工作日", "还有几个工作日", "剩多少个工作日", "剩几个工作日", "多少个工作日", "几个工作日",
	"还剩多长时间", "还剩多少时间", "还剩多少天", "还剩几天", "还剩多久", "剩下多少天", "剩下几天", "剩多少天", "剩几天",
	"还有多长时间", "还有多少时间", "还有多少天", "还有几天", "还有多久", "多长时间截止", "多长时间结束",
	"多久截止", "多久结束", "多久到期", "几天后截止", "几天截止", "几天到期", "几天结束",
	"截止到哪天", "截止到什么时候", "截止到几号", "哪一天截止", "哪一天结束", "哪天截止", "哪天结束", "哪天到期", "哪日截止",
	"几月几号截止", "几月几日截止", "几号截止", "几号结束", "几号到期",
	"什么时候截止", "什么时候结束", "什么时候到期", "啥时候截止", "啥时候结束", "啥时候到期", "何时截止", "何时结束", "何时到期",
	"到什么时候", "到哪天", "最后期限", "最后一天", "截止日期", "截止时间", "结束日期", "结束时间", "到期时间", "到期日",
	"距离截止", "距截止", "离截止", "剩余时间", "剩余天数", "倒计时",
	"多会儿截止", "多会儿结束", "多会截止", "多会结束", "最晚什么时候", "最迟什么时候", "最晚哪天", "最迟哪天", "最晚几号", "最迟几号", "几时截止", "几时结束", "截止到几月几号",
}

// allWords make a deadline question include windows already closed.
var allWords = []string{"所有", "全部", "包括已", "包含已", "含已", "一共", "总共", "已经截止", "已截止", "已经结束", "已结束"}

var quarterLabel = []string{"", "第一季度", "第二季度", "第三季度", "第四季度"}

// parseSoon reads "10天内到期的", "一周内开始的": the soon-events with their
// own number of days. Without 开始/截止 after it, "N天内" is left alone.
func parseSoon(sc *scanner, q *Query) {
	m, loc := sc.find(reSoon)
	if m == nil {
		return
	}
	after := sc.s[loc[1]:]
	var ev Event
	switch {
	case hasAnyPrefix(after, "的截止", "截止", "到期", "结束", "要截止", "要到期", "要结束"):
		ev = EventClosingSoon
	case hasAnyPrefix(after, "的开始", "开始", "启动", "要开始"):
		ev = EventOpeningSoon
	default:
		return
	}
	n := number(m[1])
	switch m[2] {
	case "周", "星期", "礼拜":
		n *= 7
	case "月":
		n *= 30
	}
	if n <= 0 || n > 366 {
		return
	}
	sc.cut(loc[0], loc[1])
	for _, w := range []string{"的截止", "截止", "到期", "结束", "的开始", "开始", "启动"} {
		if strings.HasPrefix(sc.s[loc[0]+len(sep):], w) {
			sc.s = sc.s[:loc[0]+len(sep)] + sep + sc.s[loc[0]+len(sep)+len(w):]
			break
		}
	}
	q.Event, q.SoonDays = ev, n
}

// deadlineFillers are words around a deadline that add nothing ("必须结束").
var deadlineFillers = []string{"必须要", "必须", "需要", "得要", "要做完", "做完", "要完成", "完成", "干完", "搞完", "查完", "做好", "结束掉"}

// festivals maps what people say to the names in the holiday data.
var festivals = map[string]string{
	"国庆": "国庆节", "国庆节": "国庆节", "十一": "国庆节", "五一": "劳动节", "劳动节": "劳动节",
	"春节": "春节", "过年": "春节", "元旦": "元旦节", "元旦节": "元旦节", "清明": "清明节", "清明节": "清明节",
	"端午": "端午节", "端午节": "端午节", "中秋": "中秋节", "中秋节": "中秋节",
}

// find returns the first match of re in the unconsumed text with its
// submatches, without consuming it; loc is nil when none.
func (sc *scanner) find(re *regexp.Regexp) (m []string, loc []int) {
	loc = re.FindStringSubmatchIndex(sc.s)
	if loc == nil {
		return nil, nil
	}
	m = make([]string, len(loc)/2)
	for i := range m {
		if loc[2*i] >= 0 {
			m[i] = sc.s[loc[2*i]:loc[2*i+1]]
		}
	}
	return m, loc
}

// cut consumes sc.s[i:j].
func (sc *scanner) cut(i, j int) { sc.s = sc.s[:i] + sep + sc.s[j:] }

// parseDates reads the slots of this file into q; it runs after the year
// and before months, weeks and task numbers.
func parseDates(sc *scanner, q *Query) {
	if sc.takeAny(timeLeftWords) {
		q.Attr = AttrTimeLeft
	}
	if !strings.ContainsAny(sc.s, "-/.") {
		// no ISO date
	} else if m := sc.takeRe(reISODate); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, d := number(m[2]), number(m[3])
		if validDay(mo, d) {
			if q.Year == 0 {
				q.Year = y
			}
			q.Period = Period{Kind: PeriodDay, Month: mo, Day: d}
		}
	}
	// Each rule needs a character most questions lack: regular expressions
	// are the parser's main cost.
	if strings.Contains(sc.s, "内") {
		parseSoon(sc, q)
	}
	if strings.ContainsAny(sc.s, "前底末止内") {
		parseDeadline(sc, q)
		if q.Deadline.Kind != DeadlineNone {
			sc.takeAny(deadlineFillers)
		}
	}
	if strings.ContainsAny(sc.s, "和与及跟或、,/月季") {
		parseLists(sc, q)
	}
	if strings.ContainsAny(sc.s, "天日号周期拜") {
		parseDays(sc, q)
	}
}

func validDay(m, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= time.Date(2024, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseDeadline reads "年底前", "国庆前", "3月中旬前", "6月前", "月底前",
// "6月30日前".
func parseDeadline(sc *scanner, q *Query) {
	all := slices.ContainsFunc(allWords, func(w string) bool { return strings.Contains(q.Norm, w) })
	set := func(d Deadline) {
		if q.Deadline.Kind == DeadlineNone {
			d.All = all
			q.Deadline = d
		}
	}
	if m := sc.takeRe(reDeadlineHoliday); m != nil {
		set(Deadline{Kind: DeadlineHoliday, Holiday: festivals[m[1]], Label: festivals[m[1]]})
	}
	if m, loc := sc.find(reDeadlineYearEnd); m != nil && (m[1] != "" || m[2] != "") {
		sc.cut(loc[0], loc[1])
		set(Deadline{Kind: DeadlineDate, Month: 12, Label: "年底"})
	} else if m != nil && !strings.Contains(m[0], "月") {
		// "年底截止的": December, as "12月截止的".
		sc.cut(loc[0], loc[1])
		q.Period = Period{Kind: PeriodMonth, Month: 12}
	} else if sc.takeRe(reDeadlineYearIn) != nil {
		set(Deadline{Kind: DeadlineDate, Month: 12, Label: "年底"})
	}
	if m, loc := sc.find(reDeadlineMonthE); m != nil && (m[1] != "" || m[3] != "") {
		d := Deadline{Kind: DeadlineDate, Label: "月底"}
		switch m[2] {
		case "", "本", "这个", "这", "当":
			d.Label = "本月底"
		case "下个", "下":
			d.MonthOffset, d.Label = 1, "下月底"
		default:
			d.Month = number(m[2])
			d.Label = strconv.Itoa(d.Month) + "月底"
		}
		if d.Month <= 12 {
			sc.cut(loc[0], loc[1])
			set(d)
		}
	}
	if m, loc := sc.find(reDeadlinePart); m != nil {
		if mo := number(m[1]); mo >= 1 && mo <= 12 {
			sc.cut(loc[0], loc[1])
			day := map[string]int{"上旬": 1, "初": 1, "中旬": 11, "中": 11, "下旬": 21}[m[2]]
			label := m[2]
			if label == "中" {
				label = "中旬"
			}
			set(Deadline{Kind: DeadlineBefore, Month: mo, Day: day, Label: strconv.Itoa(mo) + "月" + label})
		}
	}
	if m := sc.takeRe(reDeadlineQuarter); m != nil {
		d := Deadline{Kind: DeadlineQuarter, Label: "本季度末"}
		switch m[1] {
		case "", "本", "这个", "这", "当":
		case "下个", "下":
			d.MonthOffset, d.Label = 1, "下季度末"
		default:
			d.Month = number(strings.Trim(m[1], "第个"))
			d.Label = quarterLabel[d.Month] + "末"
		}
		if d.Month <= 4 {
			set(d)
		}
	}
	if sc.takeRe(reDeadlineHalf) != nil {
		set(Deadline{Kind: DeadlineDate, Month: 6, Label: "上半年末"})
	}
	if m := sc.takeRe(reDeadlinePartNow); m != nil {
		day := map[string]int{"上旬": 1, "月初": 1, "中旬": 11, "月中": 11, "下旬": 21}[m[1]]
		label := map[string]string{"月初": "上旬", "月中": "中旬"}[m[1]]
		if label == "" {
			label = m[1]
		}
		set(Deadline{Kind: DeadlineBefore, Day: day, Label: "本月" + label})
	}
	if m, loc := sc.find(reDeadlineDate); m != nil {
		if mo, d := number(m[1]), number(m[2]); validDay(mo, d) {
			sc.cut(loc[0], loc[1])
			set(Deadline{Kind: DeadlineDate, Month: mo, Day: d, Label: strconv.Itoa(mo) + "月" + strconv.Itoa(d) + "日"})
		}
	}
	if m, loc := sc.find(reDeadlineMonth); m != nil {
		if mo := number(m[1]); mo >= 1 && mo <= 12 {
			sc.cut(loc[0], loc[1])
			set(Deadline{Kind: DeadlineBefore, Month: mo, Day: 1, Label: strconv.Itoa(mo) + "月"})
		}
	}
}

// parseLists reads "2月和3月", "2、3月", "第二季度和第三季度", "二、三季度":
// every value goes into q.Periods, none is left to be read as a task.
func parseLists(sc *scanner, q *Query) {
	var ps []Period
	if m, loc := sc.find(reMonthList); m != nil {
		var ms []Period
		for _, e := range reMonthInList.FindAllStringSubmatch(m[0], -1) {
			mo := number(e[1])
			if mo < 1 || mo > 12 {
				ms = nil
				break
			}
			if p := (Period{Kind: PeriodMonth, Month: mo}); !slices.Contains(ms, p) {
				ms = append(ms, p)
			}
		}
		if len(ms) > 0 {
			sc.cut(loc[0], loc[1])
			ps = append(ps, ms...)
		}
	}
	if m, loc := sc.find(reMonthPair); m != nil && len(ps) == 0 && number(m[2]) == number(m[1])+1 &&
		!strings.HasPrefix(sc.s[loc[0]:], "十") {
		// "三四月份": March and April.
		sc.cut(loc[0], loc[1])
		ps = append(ps, Period{Kind: PeriodMonth, Month: number(m[1])}, Period{Kind: PeriodMonth, Month: number(m[2])})
	}
	if m := sc.takeRe(reQuarterList); m != nil {
		for _, e := range reQuarterIn.FindAllString(m[0], -1) {
			if p := (Period{Kind: PeriodQuarter, Quarter: number(e)}); !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
	}
	if len(ps) == 0 {
		return
	}
	q.Period = ps[0]
	if len(ps) > 1 {
		q.Periods = ps
	}
}

// parseDays reads one day: 3月16日, 本周五, 下周一, 明天, 15号 (with a date
// word after it). A day directly followed by 前 is a deadline instead.
func parseDays(sc *scanner, q *Query) {
	var p Period
	var loc []int
	if m, l := sc.find(reDate); m != nil {
		if mo, d := number(m[1]), number(m[2]); validDay(mo, d) {
			p, loc = Period{Kind: PeriodDay, Month: mo, Day: d}, l
		}
	}
	if loc == nil {
		// "这周一共" is 这周 + 一共, not Monday.
		if m, l := sc.find(reWeekday); m != nil && !(m[2] == "一" && hasAnyPrefix(sc.s[l[1]:], "共", "起", "下", "些", "样", "直", "般")) {
			wd := map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7,
				"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7}[m[2]]
			off := map[string]int{"下下": 2, "下下个": 2, "下个": 1, "下": 1, "上个": -1, "上": -1}[m[1]]
			p, loc = Period{Kind: PeriodDay, Weekday: wd, Offset: off}, l
		}
	}
	if loc == nil {
		if l := reRelDay.FindStringIndex(sc.s); l != nil {
			off := map[string]int{"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2}[sc.s[l[0]:l[1]]]
			p, loc = Period{Kind: PeriodDay, Offset: off}, l
		}
	}
	if loc == nil {
		if m, l := sc.find(reMonthDay); m != nil {
			d := number(m[2])
			if d >= 1 && d <= 31 && (m[1] != "" || hasAnyPrefix(sc.s[l[1]:], dayFollowers...)) {
				p, loc = Period{Kind: PeriodDay, Day: d}, l
			}
		}
	}
	if loc == nil {
		return
	}
	end := loc[1]
	if b := reBeforeAt.FindStringIndex(sc.s[end:]); b != nil && q.Deadline.Kind == DeadlineNone {
		sc.cut(loc[0], end+b[1])
		q.Deadline = Deadline{Kind: DeadlineDay, DayOf: p, Label: dayLabel(p),
			All: slices.ContainsFunc(allWords, func(w string) bool { return strings.Contains(q.Norm, w) })}
		return
	}
	sc.cut(loc[0], end)
	q.Period = p
}

func hasAnyPrefix(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// DayLabel names a PeriodDay as asked: 明天, 本周五, 下周一, 3月16日, 15日.
func DayLabel(p Period) string { return dayLabel(p) }

func dayLabel(p Period) string {
	switch {
	case p.Weekday != 0:
		pre := map[int]string{-1: "上", 0: "本", 1: "下", 2: "下下"}[p.Offset]
		return pre + "周" + string([]rune("一二三四五六日")[p.Weekday-1])
	case p.Day != 0 && p.Month != 0:
		return strconv.Itoa(p.Month) + "月" + strconv.Itoa(p.Day) + "日"
	case p.Day != 0:
		return "本月" + strconv.Itoa(p.Day) + "日"
	}
	switch p.Offset {
	case 0:
		return "今天"
	case 1:
		return "明天"
	case 2:
		return "后天"
	case 3:
		return "大后天"
	case -1:
		return "昨天"
	case -2:
		return "前天"
	}
	return ""
}

// afterDecide adjusts the intent for the slots of this file.
func (q *Query) afterDecide() {
	// A deadline replaces the period: "国庆前必须结束的" is not about this
	// month. Only "开始" changes what it compares ("6月前开始的").
	if q.Deadline.Kind != DeadlineNone {
		q.Period, q.Periods = Period{}, nil
		if q.Event != EventStart {
			q.Event = EventAny
		}
	}
	if q.Attr == AttrTimeLeft {
		// "还剩几天" alone: the items in progress now. A list keeps its
		// event: "本月截止的还剩几天".
		if q.Intent == Unknown && q.Rest == "" {
			q.Intent = List
			q.Period = Period{Kind: PeriodNow}
		}
	}
	// "今天天气怎么样": a day and nothing else understood is not a question
	// about the plan.
	if q.Intent == List && q.Period.Kind == PeriodDay && q.Rest != "" && q.Event == EventAny &&
		len(q.Departments) == 0 && len(q.Subjects) == 0 && !q.NoWindow && q.Risk == RiskAny &&
		q.Ratio.Op == RatioNone && q.Extreme == ExtremeNone && q.Attr != AttrTimeLeft {
		q.Intent = Unknown
	}
}
