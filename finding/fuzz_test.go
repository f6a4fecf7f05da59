package finding

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParseDate: any text at any today gives either a real calendar date
// at midnight in today's zone, which reads back the same from its other
// written forms, or a *DateError with a short Chinese message.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"今天", "昨天", "前天", "3月5日", "３月５号", "2023-03-05", "2023/3/5", "2023年3月5日", "20230305",
		"3.5", "2月30日", "2024-02-29", "13月1日", "0000-01-01", "9999年12月31日", " 3 月 5 日 ", "明天", "", "😀"} {
		f.Add(s, int64(1678845600)) // 2023-03-15 10:00 Shanghai
	}
	f.Add("2月29日", int64(1709164800)) // 2024-02-29
	f.Add("昨天", int64(1704067200))    // 2024-01-01 08:00 Shanghai: yesterday is last year
	f.Fuzz(func(t *testing.T, text string, unix int64) {
		if unix < -1<<40 || unix > 1<<40 {
			return // beyond any plausible clock
		}
		today := time.Unix(unix, 0).In(loc)
		got, err := ParseDate(text, today)
		if err != nil {
			var de *DateError
			if !errors.As(err, &de) || de.Message == "" || len(de.Message) > 200 || !strings.ContainsAny(de.Message, "日月") {
				t.Fatalf("ParseDate(%q) error %T %q", text, err, err)
			}
			return
		}
		if got.Location() != today.Location() || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("ParseDate(%q) = %v, not midnight in %v", text, got, today.Location())
		}
		if got.Year() < 0 || got.Year() > 9999 {
			t.Fatalf("ParseDate(%q) = %v", text, got)
		}
		forms := []string{got.Format("2006-01-02"), got.Format("2006/1/2"), DateLabel(got), got.Format("20060102"), "  " + got.Format("2006.1.2") + "  "}
		if got.Year() == today.Year() {
			forms = append(forms, got.Format("1月2日"), got.Format("1.2"), got.Format("1-2号"))
		}
		for _, s := range forms {
			again, err := ParseDate(s, today)
			if err != nil || !again.Equal(got) {
				t.Fatalf("ParseDate(%q) = %v, but its form %q reads as %v, %v", text, got, s, again, err)
			}
		}
	})
}
