package finding

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	dateYMD = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$`)
	dateMD  = regexp.MustCompile(`^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$`)
	date8   = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
)

// DateError is a date ParseDate cannot use, explained in Chinese.
// Unreadable: the text is no date at all (rather than an impossible one).
type DateError struct {
	Message    string
	Unreadable bool
}

func (e *DateError) Error() string { return e.Message }

// ParseDate reads a check date as people type it — "今天", "昨天", "前天",
// "3月5日", "3月5号", "3.5", "3/5", "2023-03-05", "2023年3月5日",
// "20230305" — relative to today (its year and location). The error is a
// Chinese explanation, e.g. for 2月30日.
func ParseDate(text string, today time.Time) (time.Time, error) {
	s := strings.TrimSpace(foldWidth(text))
	y, m, d := today.Date()
	base := time.Date(y, m, d, 0, 0, 0, 0, today.Location())
	switch s {
	case "今天", "今日", "当天":
		return base, nil
	case "昨天", "昨日":
		return base.AddDate(0, 0, -1), nil
	case "前天":
		return base.AddDate(0, 0, -2), nil
	}
	var ys, ms, ds string
	if g := dateYMD.FindStringSubmatch(s); g != nil {
		ys, ms, ds = g[1], g[2], g[3]
	} else if g := date8.FindStringSubmatch(s); g != nil {
		ys, ms, ds = g[1], g[2], g[3]
	} else if g := dateMD.FindStringSubmatch(s); g != nil {
		ys, ms, ds = strconv.Itoa(y), g[1], g[2]
	} else {
		return time.Time{}, &DateError{Unreadable: true, Message: fmt.Sprintf("没看懂日期“%s”。请回复如“今天”“昨天”“3月5日”“2023-03-05”", clip(text, 20))}
	}
	yy, _ := strconv.Atoi(ys)
	mm, _ := strconv.Atoi(ms)
	dd, _ := strconv.Atoi(ds)
	if mm < 1 || mm > 12 {
		return time.Time{}, &DateError{Message: fmt.Sprintf("没有%d月，请检查月份", mm)}
	}
	last := time.Date(yy, time.Month(mm)+1, 0, 0, 0, 0, 0, today.Location()).Day()
	if dd < 1 || dd > last {
		return time.Time{}, &DateError{Message: fmt.Sprintf("%d年%d月只有%d天，没有%d日，请检查日期", yy, mm, last, dd)}
	}
	return time.Date(yy, time.Month(mm), dd, 0, 0, 0, 0, today.Location()), nil
}

// foldWidth turns full-width digits and punctuation into ASCII.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '－':
			return '-'
		case r == '／':
			return '/'
		case r == '．', r == '。':
			return '.'
		case r == '　':
			return ' '
		}
		return r
	}, s)
}

// clip shortens s to n runes for quoting back to the user.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// DateLabel is the display form of a date: 2023年3月5日.
func DateLabel(t time.Time) string {
	if t.IsZero() {
		return "未填写"
	}
	return t.Format("2006年1月2日")
}
