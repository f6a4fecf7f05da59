package plan

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/changzhi-amr/choucha/department"
)

// notMonthRange is the Chinese reason of a window that is not a month range.
const notMonthRange = "不是月份区间（应如“3月-12月”）"

// ParseRatio parses the 抽查比例及频次 cell: "不低于5%/一年一次",
// "10%/一年一次", "5% (10户)/一年一次", full-width ％（）／ as well. The
// percentage must be in (0, 100]; the frequency, when given, must mean at
// least one check a year ("一年两次", "半年一次", "每季度一次").
func ParseRatio(raw string) (Ratio, error) {
	r := Ratio{Raw: raw}
	s := Fold(raw)
	if s == "" {
		return r, errorf("为空", "empty")
	}
	for _, p := range []string{"不低于", "不少于", "至少", "最低", ">=", "≥"} {
		if strings.HasPrefix(s, p) {
			r.Floor = true
			s = s[len(p):]
			break
		}
	}
	num, rest := leadingNumber(s)
	if num == "" {
		return r, errorf("不是抽查比例（应为百分比，如“不低于5%/一年一次”）", `not a ratio (expected a percentage such as "不低于5%%/一年一次")`)
	}
	if strings.HasPrefix(rest, "%") {
		p, err := strconv.ParseFloat(num, 64)
		if err != nil || p <= 0 || p > 100 {
			return r, errorf("比例 "+num+"% 超出范围（应大于0且不超过100%）", "percentage %s%% out of range (0, 100]", num)
		}
		r.Percent = p
		s = rest[1:]
		// optional explicit count: "(10户)" or "10户"
		if c, unit, rest, ok := parseCount(s); ok {
			r.Count, r.CountUnit, s = c, unit, rest
		}
	} else if c, unit, rest2, ok := parseCount(s); ok {
		r.Count, r.CountUnit, s = c, unit, rest2
	} else {
		return r, errorf("不是抽查比例："+num+" 后面没有“%”或“户”等单位", `not a ratio: %q is not followed by "%%" or a unit such as "户"`, num)
	}
	s = strings.TrimLeft(s, "/,;:、，；")
	if s == "" {
		return r, nil
	}
	per, err := parseFrequency(s)
	if err != nil {
		return r, err
	}
	r.Frequency, r.PerYear = s, per
	return r, nil
}

// leadingNumber splits a decimal number ("5", "0.5") off the front of s.
func leadingNumber(s string) (num, rest string) {
	i, dot := 0, false
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' && !dot && i > 0) {
		if s[i] == '.' {
			dot = true
		}
		i++
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	return s[:i], s[i:]
}

var countUnits = []string{"家次", "户次", "批次", "户", "家", "个", "批", "件", "台", "套", "份", "人"}

// parseCount reads "(10户)" or "10户" from the front of a folded string.
func parseCount(s string) (n int, unit, rest string, ok bool) {
	paren := strings.HasPrefix(s, "(")
	t := s
	if paren {
		t = t[1:]
	}
	num, t := leadingNumber(t)
	if num == "" || strings.Contains(num, ".") || len(num) > 9 {
		return 0, "", s, false
	}
	for _, u := range countUnits {
		if strings.HasPrefix(t, u) {
			unit = u
			t = t[len(u):]
			break
		}
	}
	if unit == "" {
		return 0, "", s, false
	}
	if paren {
		if !strings.HasPrefix(t, ")") {
			return 0, "", s, false
		}
		t = t[1:]
	}
	n, _ = strconv.Atoi(num)
	if n <= 0 {
		return 0, "", s, false
	}
	return n, unit, t, true
}

// parseFrequency turns a folded frequency such as "一年一次", "每年2次",
// "半年一次", "每季度一次", "一年两次" into checks per year.
func parseFrequency(s string) (int, error) {
	t := strings.TrimPrefix(s, "每")
	months := 0
	switch {
	case strings.HasPrefix(t, "半年"):
		months, t = 6, t[len("半年"):]
	default:
		n, rest := leadingCount(t)
		if n == 0 {
			n = 1
		}
		switch {
		case strings.HasPrefix(rest, "年度"):
			months, t = 12*n, rest[len("年度"):]
		case strings.HasPrefix(rest, "年"):
			months, t = 12*n, rest[len("年"):]
		case strings.HasPrefix(rest, "季度"):
			months, t = 3*n, rest[len("季度"):]
		case strings.HasPrefix(rest, "季"):
			months, t = 3*n, rest[len("季"):]
		case strings.HasPrefix(rest, "个月"):
			months, t = n, rest[len("个月"):]
		case strings.HasPrefix(rest, "月"):
			months, t = n, rest[len("月"):]
		}
	}
	if months == 0 {
		return 0, errorf("无法识别的频次“"+s+"”（应如一年一次、一年两次、半年一次）", "unknown frequency %q (expected e.g. 一年一次, 一年两次, 半年一次)", s)
	}
	t = strings.TrimPrefix(t, "内")
	times, rest := leadingCount(t)
	if times == 0 || rest != "次" {
		return 0, errorf("无法识别的频次“"+s+"”（应如一年一次、一年两次、半年一次）", "unknown frequency %q (expected e.g. 一年一次, 一年两次, 半年一次)", s)
	}
	if times*12%months != 0 || times*12/months < 1 {
		return 0, errorf("频次“"+s+"”折算不成每年整数次", "frequency %q is not a whole number of checks a year", s)
	}
	return times * 12 / months, nil
}

// leadingCount reads a small count written in digits or Chinese numerals
// (一 .. 九十九, 两) from the front of s; 0 when there is none.
func leadingCount(s string) (int, string) {
	if num, rest := leadingNumber(s); num != "" {
		if strings.Contains(num, ".") || len(num) > 4 {
			return 0, s
		}
		n, _ := strconv.Atoi(num)
		return n, rest
	}
	n, i, tens := 0, 0, false
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		d := chineseDigit(r)
		switch {
		case d > 0:
			n += d
		case r == '十' && !tens:
			tens = true
			if n == 0 {
				n = 1
			}
			n *= 10
		default:
			return n, s[i:]
		}
		i += size
	}
	return n, s[i:]
}

func chineseDigit(r rune) int {
	switch r {
	case '一':
		return 1
	case '二', '两':
		return 2
	case '三':
		return 3
	case '四':
		return 4
	case '五':
		return 5
	case '六':
		return 6
	case '七':
		return 7
	case '八':
		return 8
	case '九':
		return 9
	}
	return 0
}

// ParseRisk reads the 智慧监管(信用风险分类)要求 cell. The raw text is kept
// (even when truncated, as task 14's "…较高风险、"); the draw is
// risk-differentiated when the text speaks of risk classes or of raising
// the ratio (递加, 加大, 风险分类 …). An empty cell means a uniform draw.
func ParseRisk(raw string) Risk {
	r := Risk{Raw: raw}
	s := Fold(raw)
	switch s {
	case "", "无", "/", "-", "--", "不适用", "无要求", "不区分":
		return r
	}
	if containsAny(s, "不区分", "不分风险", "无需区分", "不按风险") {
		return r
	}
	r.Differentiated = containsAny(s, "风险", "递加", "递增", "加大", "提高抽查比例")
	return r
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// ParseWindow reads the 抽查检查起止时间 cell: "2月-12月", "2-12月",
// "2月至12月", "3月份—11月份", "三月-十二月", "7月", "全年". An empty cell
// gives no window.
func ParseWindow(raw string) (Window, error) {
	w := Window{Raw: raw}
	s := Fold(raw)
	if s == "" {
		return w, nil
	}
	switch s {
	case "全年", "全年度", "全年内", "全年度内", "年内":
		w.StartMonth, w.EndMonth = 1, 12
		return w, nil
	}
	start, rest, err := leadingMonth(s)
	if err != nil {
		return w, err
	}
	hasMonth := strings.HasPrefix(rest, "月")
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "月"), "份")
	if rest == "" {
		if !hasMonth {
			return w, errorf(notMonthRange, `not a month range (expected e.g. "3月-12月")`)
		}
		w.StartMonth, w.EndMonth = start, start
		return w, nil
	}
	sep := ""
	for _, p := range []string{"-", "~", "至", "到"} {
		if strings.HasPrefix(rest, p) {
			sep = p
			break
		}
	}
	if sep == "" {
		return w, errorf(notMonthRange, `not a month range (expected e.g. "3月-12月")`)
	}
	rest = strings.TrimLeft(rest[len(sep):], "-~")
	var end int
	switch rest {
	case "年底", "年末", "年终", "12月底", "12月末":
		end = 12
	default:
		end, rest, err = leadingMonth(rest)
		if err != nil {
			return w, err
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "月"), "份")
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "底"), "末")
		if rest != "" {
			return w, errorf(notMonthRange, `not a month range (expected e.g. "3月-12月")`)
		}
	}
	if start > end {
		return w, errorf(fmt.Sprintf("开始月份 %d 晚于结束月份 %d", start, end), "start month %d is after end month %d", start, end)
	}
	w.StartMonth, w.EndMonth = start, end
	return w, nil
}

// leadingMonth reads a month number (digits or Chinese numerals) and checks
// its range.
func leadingMonth(s string) (int, string, error) {
	if num, rest := leadingNumber(s); num != "" {
		if strings.Contains(num, ".") {
			return 0, s, errorf("月份 "+num+" 不是整数", "month %q is not a whole number", num)
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 12 {
			return 0, s, errorf("月份 "+num+" 超出范围（应为1–12）", "month %s out of range", num)
		}
		return n, rest, nil
	}
	n, rest := leadingCount(s)
	if n == 0 {
		return 0, s, errorf(notMonthRange, `not a month range (expected e.g. "3月-12月")`)
	}
	if n > 12 {
		return 0, s, errorf(fmt.Sprintf("月份 %d 超出范围（应为1–12）", n), "month %d out of range", n)
	}
	return n, rest, nil
}

// ParseDepartments reads the 发起部门 cell: initiators and the sections that
// lead (牵头) or guide (指导), separated by "/" or spaces, e.g.
// "各地组织发起/计量科指导" or "市市场监管局 市市场监管局". Bureau names are
// normalised (CityBureau, CountyBureaus); other names are kept as written.
func ParseDepartments(raw string) (Departments, error) {
	d := Departments{Raw: raw}
	parts := strings.FieldsFunc(raw, func(r rune) bool {
		switch r {
		case '/', '／', '\\', '|', ',', '，', ';', '；', '\u3000':
			return true
		}
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0'
	})
	// A role written apart ("计量科 牵头") belongs to the name before it.
	joined := parts[:0:0]
	for _, part := range parts {
		if name, role := splitRole(part); Fold(name) == "" && role != "" && len(joined) > 0 {
			if prev, prevRole := splitRole(joined[len(joined)-1]); Fold(prev) != "" && prevRole == "" {
				joined[len(joined)-1] += part
				continue
			}
		}
		joined = append(joined, part)
	}
	for _, part := range joined {
		name, role := splitRole(part)
		if Fold(name) == "" {
			if role == "" {
				continue
			}
			return d, errorf("“"+role+"”前面没有部门名称", "%q without a department name", role)
		}
		if canon := canonicalBureau(name); canon != "" {
			d.Initiators = appendUnique(d.Initiators, canon)
			continue
		}
		if role == RoleLead || role == RoleGuide {
			s := Section{Name: name, Role: role}
			dup := false
			for _, o := range d.Sections {
				dup = dup || o == s
			}
			if !dup {
				d.Sections = append(d.Sections, s)
			}
			continue
		}
		d.Initiators = appendUnique(d.Initiators, name)
	}
	if len(d.Initiators) == 0 && len(d.Sections) == 0 {
		return d, errorf("为空", "empty")
	}
	return d, nil
}

// Section roles.
const (
	RoleLead  = "牵头"
	RoleGuide = "指导"
)

// splitRole cuts a role suffix (组织发起, 发起, 牵头, 指导) off a department
// part; the name is returned as written, trimmed.
func splitRole(part string) (name, role string) {
	name = strings.TrimSpace(part)
	for _, suf := range []struct{ text, role string }{
		{"组织发起", "发起"}, {"负责发起", "发起"}, {"发起", "发起"},
		{"牵头负责", RoleLead}, {"牵头", RoleLead}, {"负责", RoleLead},
		{"指导", RoleGuide},
	} {
		if strings.HasSuffix(name, suf.text) {
			return strings.TrimSpace(strings.TrimSuffix(name, suf.text)), suf.role
		}
	}
	return name, ""
}

// canonicalBureau maps the ways the plan names the city bureau and the
// county/district bureaus to CityBureau and CountyBureaus; "" otherwise.
// The spellings are the department vocabulary's (department.Bureau).
func canonicalBureau(name string) string {
	u, ok := department.Bureau(Fold(name))
	if !ok {
		return ""
	}
	return u.Name
}

func appendUnique(list []string, s string) []string {
	for _, o := range list {
		if o == s {
			return list
		}
	}
	return append(list, s)
}
