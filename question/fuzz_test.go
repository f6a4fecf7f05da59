package question

import (
	"testing"
	"time"
)

// FuzzPeriod: the time period of any question resolves, at any date, to
// months inside one year (a relative one around that date); an absolute
// period does not move with the date; a week is the Monday-to-Monday week
// holding today (or the next one).
func FuzzPeriod(f *testing.F) {
	const march2023 = int64(1678845600) // 2023-03-15 10:00 Shanghai
	for _, s := range []string{"本月", "这个月", "下个月", "上个月", "7月", "七月", "十二月", "７月到９月", "7-9月", "第二季度", "本季度", "下季度",
		"上半年", "下半年", "今年剩下的", "正在进行的", "这周", "下周", "本周截止的", "全年", "快到期的", "2024年3月", "十三月", "0月", "12月到1月"} {
		f.Add(s, march2023)
	}
	f.Add("下个月", int64(1703980800)) // 2023-12-31 08:00: next month is next year
	f.Add("上个月", int64(1672531200)) // 2023-01-01 08:00
	f.Add("下季度", int64(1696089600)) // 2023-10-01
	f.Add("这周", int64(1704038400))  // 2024-01-01 00:00 Shanghai, a Monday
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string, unix int64) {
		if unix < 0 || unix > 1<<34 { // 1970 … 2514
			return
		}
		now := time.Unix(unix, 0).In(loc)
		p := Parse(text).Period
		year, from, to, ok := p.Months(now)
		if ok {
			if from < 1 || to > 12 || from > to {
				t.Fatalf("%q at %s: %+v → %d-%d", text, now, p, from, to)
			}
			if d := year - now.Year(); d < -1 || d > 1 {
				t.Fatalf("%q at %s: year %d", text, now, year)
			}
			m := int(now.Month())
			switch {
			case p.Kind == PeriodMonth && p.Month == 0 && p.Offset == 0, p.Kind == PeriodNow:
				if year != now.Year() || from != m || to != m {
					t.Fatalf("%q at %s: this month resolved to %d %d-%d", text, now, year, from, to)
				}
			case p.Kind == PeriodRest:
				if from != m || to != 12 {
					t.Fatalf("%q at %s: rest of year %d-%d", text, now, from, to)
				}
			case !p.Relative() && p.Quarter != 0 || !p.Relative() && p.Kind != PeriodQuarter:
				// An absolute period names the same months in any month of the year.
				other := time.Date(now.Year(), time.Month(m%12+1), 1, 12, 0, 0, 0, loc)
				if y2, f2, t2, _ := p.Months(other); y2 != year || f2 != from || t2 != to {
					t.Fatalf("%q: absolute period %+v moved: %d-%d at %s, %d-%d at %s", text, p, from, to, now, f2, t2, other)
				}
			}
		}
		if p.Kind == PeriodWeek {
			start, end := p.Week(now)
			if start.Weekday() != time.Monday || !end.Equal(start.AddDate(0, 0, 7)) || start.Hour() != 0 {
				t.Fatalf("%q at %s: week %s – %s", text, now, start, end)
			}
			if lead := start.Sub(now); p.Offset == 0 && (now.Before(start) || !now.Before(end)) || p.Offset == 1 && (lead <= 0 || lead > 7*24*time.Hour) {
				t.Fatalf("%q (offset %d) at %s: week %s – %s", text, p.Offset, now, start, end)
			}
		}
	})
}
