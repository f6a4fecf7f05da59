package workday

import (
	"testing"
	"time"
)

// notices transcribes the State Council General Office notices
// (国办发明电〔2022〕16号 for 2023, 〔2023〕7号 for 2024, 〔2024〕12号 for 2025,
// and the notice of 2025-11-04 for 2026): the days off in ranges and the
// weekend make-up workdays.
var notices = []struct {
	year   int
	off    [][2]string // inclusive ranges
	workOn []string    // make-up workdays (weekends)
}{
	{2023, [][2]string{
		{"2023-01-01", "2023-01-02"}, // 元旦 (2022-12-31..2023-01-02)
		{"2023-01-21", "2023-01-27"}, // 春节
		{"2023-04-05", "2023-04-05"}, // 清明
		{"2023-04-29", "2023-05-03"}, // 劳动节
		{"2023-06-22", "2023-06-24"}, // 端午
		{"2023-09-29", "2023-10-06"}, // 中秋、国庆
	}, []string{"2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08"}},
	{2024, [][2]string{
		{"2024-01-01", "2024-01-01"},
		{"2024-02-10", "2024-02-17"},
		{"2024-04-04", "2024-04-06"},
		{"2024-05-01", "2024-05-05"},
		{"2024-06-10", "2024-06-10"},
		{"2024-09-15", "2024-09-17"},
		{"2024-10-01", "2024-10-07"},
	}, []string{"2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12"}},
	{2025, [][2]string{
		{"2025-01-01", "2025-01-01"},
		{"2025-01-28", "2025-02-04"},
		{"2025-04-04", "2025-04-06"},
		{"2025-05-01", "2025-05-05"},
		{"2025-05-31", "2025-06-02"},
		{"2025-10-01", "2025-10-08"},
	}, []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"}},
	{2026, [][2]string{
		{"2026-01-01", "2026-01-03"},
		{"2026-02-15", "2026-02-23"},
		{"2026-04-04", "2026-04-06"},
		{"2026-05-01", "2026-05-05"},
		{"2026-06-19", "2026-06-21"},
		{"2026-09-25", "2026-09-27"},
		{"2026-10-01", "2026-10-07"},
	}, []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}},
}

func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, s, Location())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestNotices checks every day of 2023-2026 against the notices: a day is a
// workday iff it is a listed make-up workday, or a Mon-Fri not in an off range.
func TestNotices(t *testing.T) {
	c := New(nil)
	for _, n := range notices {
		if !c.Covers(n.year) {
			t.Errorf("Covers(%d) = false", n.year)
		}
		off := map[string]bool{}
		for _, r := range n.off {
			for d := day(t, r[0]); !d.After(day(t, r[1])); d = d.AddDate(0, 0, 1) {
				off[d.Format(time.DateOnly)] = true
			}
		}
		work := map[string]bool{}
		for _, s := range n.workOn {
			work[s] = true
			if wd := day(t, s).Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Errorf("make-up workday %s is a %s", s, wd)
			}
		}
		for d := time.Date(n.year, 1, 1, 0, 0, 0, 0, Location()); d.Year() == n.year; d = d.AddDate(0, 0, 1) {
			s := d.Format(time.DateOnly)
			wd := d.Weekday()
			want := work[s] || (!off[s] && wd != time.Saturday && wd != time.Sunday)
			if got := c.IsWorkday(d); got != want {
				t.Errorf("IsWorkday(%s %s) = %v, want %v", s, wd, got, want)
			}
		}
	}
}

func TestKnownDates(t *testing.T) {
	c := New(nil)
	for _, tc := range []struct {
		date string
		work bool
	}{
		{"2023-01-28", true}, {"2023-01-29", true}, // Sat, Sun make-up
		{"2023-01-23", false}, {"2023-01-27", false}, // Spring Festival
		{"2023-10-02", false}, {"2023-10-06", false},
		{"2023-10-07", true}, {"2023-10-08", true},
		{"2023-06-23", false}, // Fri in 端午
		{"2023-06-25", true},
		{"2024-02-04", true}, {"2024-02-18", true},
		{"2025-01-26", true},
		{"2025-10-01", false}, {"2025-10-08", false},
		{"2026-01-02", false}, {"2026-01-04", true},
		{"2026-02-16", false}, {"2026-02-14", true}, {"2026-02-28", true},
		{"2023-03-04", false}, // ordinary Saturday
		{"2023-03-06", true},  // ordinary Monday
	} {
		if got := c.IsWorkday(day(t, tc.date)); got != tc.work {
			t.Errorf("IsWorkday(%s) = %v, want %v", tc.date, got, tc.work)
		}
	}
	if d, ok := c.Info(day(t, "2023-10-07")); !ok || !d.Work || d.Target != "2023-10-01" {
		t.Errorf("Info(2023-10-07) = %+v, %v", d, ok)
	}
}

func TestNavigation(t *testing.T) {
	c := New(nil)
	for _, tc := range []struct {
		name string
		got  time.Time
		want string
	}{
		{"next from holiday", c.NextWorkday(day(t, "2023-09-29")), "2023-10-07"},
		{"next on workday", c.NextWorkday(day(t, "2023-10-09")), "2023-10-09"},
		{"next from late evening", c.NextWorkday(day(t, "2023-06-24").Add(23 * time.Hour)), "2023-06-25"},
		{"prev from holiday", c.PrevWorkday(day(t, "2023-06-24")), "2023-06-21"},
		{"prev on workday", c.PrevWorkday(day(t, "2023-01-29")), "2023-01-29"},
		{"prev over weekend", c.PrevWorkday(day(t, "2023-09-24")), "2023-09-22"},
		{"first of Jan 2023", c.FirstWorkdayOfMonth(2023, time.January), "2023-01-03"},
		{"first of Feb 2023", c.FirstWorkdayOfMonth(2023, time.February), "2023-02-01"},
		{"first of Oct 2023", c.FirstWorkdayOfMonth(2023, time.October), "2023-10-07"},
		{"first of Jan 2024", c.FirstWorkdayOfMonth(2024, time.January), "2024-01-02"},
		{"first of Oct 2025", c.FirstWorkdayOfMonth(2025, time.October), "2025-10-09"},
		{"add 0", c.AddWorkdays(day(t, "2023-10-01"), 0), "2023-10-01"},
		{"add 1 over holiday", c.AddWorkdays(day(t, "2023-09-28"), 1), "2023-10-07"},
		{"add 20", c.AddWorkdays(day(t, "2023-09-20"), 20), "2023-10-24"},
		{"add -1", c.AddWorkdays(day(t, "2023-10-07"), -1), "2023-09-28"},
		{"add 5 over weekend", c.AddWorkdays(day(t, "2023-03-03"), 5), "2023-03-10"},
	} {
		if s := tc.got.Format(time.DateOnly); s != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, s, tc.want)
		}
		if tc.got.Location() != c.Location() {
			t.Errorf("%s: location %v", tc.name, tc.got.Location())
		}
	}
	// 2023-09-20 .. 2023-10-24: 20 working days after the 20th.
	if n := c.WorkdaysBetween(day(t, "2023-09-20"), day(t, "2023-10-24")); n != 20 {
		t.Errorf("WorkdaysBetween = %d, want 20", n)
	}
	if n := c.WorkdaysBetween(day(t, "2023-10-24"), day(t, "2023-09-20")); n != -20 {
		t.Errorf("WorkdaysBetween reversed = %d, want -20", n)
	}
}

func TestCoversAndZone(t *testing.T) {
	c := New(nil)
	for y := 2023; y <= 2026; y++ {
		if err := c.Check(y); err != nil {
			t.Error(err)
		}
	}
	if c.Covers(2099) || c.Check(2099) == nil {
		t.Error("2099 reported as covered")
	}
	// 2023-10-06 23:30 UTC is 2023-10-07 07:30 in Shanghai: a workday there.
	utc := time.Date(2023, 10, 6, 23, 30, 0, 0, time.UTC)
	if !c.IsWorkday(utc) {
		t.Error("IsWorkday did not read the date in Asia/Shanghai")
	}
}

func BenchmarkIsWorkday(b *testing.B) {
	c := New(nil)
	d := time.Date(2023, 1, 1, 0, 0, 0, 0, c.Location())
	for i := 0; b.Loop(); i++ {
		c.IsWorkday(d.AddDate(0, 0, i%365))
	}
}
