package workday

import (
	"time"

	"github.com/6tail/lunar-go/calendar"
)

// Festival is the date of a statutory festival in year, named as the
// holiday data names it: 元旦节, 春节, 清明节, 劳动节, 端午节, 中秋节 or 国庆节.
// Where the data covers the year it is the data's own date for the
// festival (the Target its days off belong to); otherwise it is computed:
// fixed dates for 元旦节, 劳动节 and 国庆节, the lunar calendar for 春节
// (正月初一), 端午节 (五月初五) and 中秋节 (八月十五), the solar term for 清明节.
// ok is false for any other name.
func (c *Calendar) Festival(year int, name string) (time.Time, bool) {
	if c.years[year] {
		for m := time.January; m <= time.December; m++ {
			for d := 1; d <= 31; d++ {
				day, ok := c.days[key(year, m, d)]
				if !ok || day.Name != name || day.Work {
					continue
				}
				if t, err := time.ParseInLocation(time.DateOnly, day.Target, c.loc); err == nil && t.Year() == year {
					return t, true
				}
			}
		}
	}
	date := func(y, m, d int) (time.Time, bool) { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, c.loc), true }
	lunar := func(m, d int) (time.Time, bool) {
		s := calendar.NewLunarFromYmd(year, m, d).GetSolar()
		return date(s.GetYear(), s.GetMonth(), s.GetDay())
	}
	switch name {
	case "元旦节":
		return date(year, 1, 1)
	case "劳动节":
		return date(year, 5, 1)
	case "国庆节":
		return date(year, 10, 1)
	case "春节":
		return lunar(1, 1)
	case "端午节":
		return lunar(5, 5)
	case "中秋节":
		return lunar(8, 15)
	case "清明节":
		if s, ok := calendar.NewSolarFromYmd(year, 4, 15).GetLunar().GetJieQiTable()["清明"]; ok && s.GetYear() == year {
			return date(s.GetYear(), s.GetMonth(), s.GetDay())
		}
	}
	return time.Time{}, false
}
