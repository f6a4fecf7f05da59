// Package workday is China's working-day calendar: weekends, statutory
// holidays (法定节假日) and make-up workdays (调休上班), from the data of
// github.com/6tail/lunar-go (HolidayUtil), which follows the annual notices of
// the General Office of the State Council (国务院办公厅关于…部分节假日安排的通知).
//
// A Calendar is immutable after New and safe for concurrent use. Dates are
// civil dates: a time.Time is read as its year, month and day in the
// Calendar's location; results are midnight in that location.
package workday

import (
	"fmt"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// Day is a date the holiday data names: a day off or a make-up workday.
type Day struct {
	Name   string // holiday name, e.g. 春节, 国庆中秋
	Work   bool   // true: a make-up workday (调休上班) on a weekend
	Target string // the holiday it belongs to, YYYY-MM-DD
}

// Calendar answers working-day questions.
type Calendar struct {
	loc   *time.Location
	days  map[int]Day // key yyyymmdd
	years map[int]bool
}

// firstYear and lastYear bound the years read from the library's data; years
// without any entry in the data are not covered (see Covers).
const (
	firstYear = 2001
	lastYear  = 2100
)

// Location is Asia/Shanghai, or a fixed UTC+8 zone named CST when the zone
// database is missing (China has had no daylight saving time since 1991).
func Location() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// New builds the calendar from the library's holiday data. loc nil means
// Location().
func New(loc *time.Location) *Calendar {
	if loc == nil {
		loc = Location()
	}
	c := &Calendar{loc: loc, days: make(map[int]Day, 1024), years: make(map[int]bool)}
	for y := firstYear; y <= lastYear; y++ {
		l := HolidayUtil.GetHolidaysByYear(y)
		for e := l.Front(); e != nil; e = e.Next() {
			h, ok := e.Value.(*HolidayUtil.Holiday)
			if !ok || h == nil {
				continue
			}
			var yy, mm, dd int
			if _, err := fmt.Sscanf(h.GetDay(), "%d-%d-%d", &yy, &mm, &dd); err != nil || yy != y {
				continue
			}
			c.days[key(yy, time.Month(mm), dd)] = Day{Name: h.GetName(), Work: h.IsWork(), Target: h.GetTarget()}
			c.years[y] = true
		}
	}
	return c
}

func key(y int, m time.Month, d int) int { return y*10000 + int(m)*100 + d }

// Location is the calendar's zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Covers reports whether the holiday data includes year. For an uncovered
// year the calendar only knows weekends, so callers should warn.
func (c *Calendar) Covers(year int) bool { return c.years[year] }

// Check returns an error naming year when the data does not cover it.
func (c *Calendar) Check(year int) error {
	if !c.Covers(year) {
		return fmt.Errorf("workday: no statutory holiday data for %d (lunar-go HolidayUtil); only weekends are known", year)
	}
	return nil
}

// Date is midnight of t's civil date, read in the calendar's location.
func (c *Calendar) Date(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// Info returns what the holiday data says about t's date, if anything.
func (c *Calendar) Info(t time.Time) (Day, bool) {
	y, m, d := t.In(c.loc).Date()
	day, ok := c.days[key(y, m, d)]
	return day, ok
}

// IsWorkday reports whether t's date is a working day: Monday to Friday
// unless a statutory holiday, or a weekend make-up workday.
func (c *Calendar) IsWorkday(t time.Time) bool {
	t = t.In(c.loc)
	y, m, d := t.Date()
	if day, ok := c.days[key(y, m, d)]; ok {
		return day.Work
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// NextWorkday is the first working day on or after t's date.
func (c *Calendar) NextWorkday(t time.Time) time.Time {
	d := c.Date(t)
	for !c.IsWorkday(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// PrevWorkday is the last working day on or before t's date.
func (c *Calendar) PrevWorkday(t time.Time) time.Time {
	d := c.Date(t)
	for !c.IsWorkday(d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// FirstWorkdayOfMonth is the first working day of month m of year y.
func (c *Calendar) FirstWorkdayOfMonth(y int, m time.Month) time.Time {
	return c.NextWorkday(time.Date(y, m, 1, 0, 0, 0, 0, c.loc))
}

// AddWorkdays is the n-th working day after t's date (n > 0) or before it
// (n < 0); t's own date is not counted. n == 0 returns t's date unchanged.
// "Within 20 working days of the check" ends on AddWorkdays(check, 20).
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	d := c.Date(t)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// WorkdaysBetween counts the working days in (from, to]: the days after
// from's date up to and including to's date; negative when to is before from.
func (c *Calendar) WorkdaysBetween(from, to time.Time) int {
	a, b := c.Date(from), c.Date(to)
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return sign * n
}
