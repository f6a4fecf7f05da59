package question

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/changzhi-amr/choucha/department"
)

// sep replaces consumed phrases so that neighbours do not join into new words.
const sep = "|"

// cn is a Chinese numeral (一 … 九十九).
const cn = `[零一二两三四五六七八九十]+`

// refElem is one task number in a list: 7, 第7项, 任务15-2, 任务七.
const refElem = `(?:任务|序号|第|编号)?(?:(\d+)(?:-(\d+))?|(?:任务|序号|第|编号)(` + cn + `))(?:项|号|个|条)?(?:任务)?`

var (
	reMonthRange = regexp.MustCompile(`(\d{1,2}|十[一二]?|[一二三四五六七八九])月?(?:份)?(?:到|至|-|~)(\d{1,2}|十[一二]?|[一二三四五六七八九])月份?`)
	reMonth      = regexp.MustCompile(`(\d{1,2}|十[一二]?|[一二三四五六七八九])月份?`)
	reQuarter    = regexp.MustCompile(`(?:第([一二三四1-4])个?季度|([一二三四1-4])季度|q([1-4]))`)
	reItemRef    = regexp.MustCompile(`(?:任务|序号|第)?(\d+)-(\d+)(?:项|号)?(?:任务)?`)
	reTaskRef    = regexp.MustCompile(`(?:任务|序号|第|编号)(\d+|` + cn + `)(?:项|号|个|条)?(?:任务)?`)
	reTaskNo     = regexp.MustCompile(`(\d+|` + cn + `)号(?:任务)?`)
	reOnlyNumber = regexp.MustCompile(`^(\d+)$`)
	// reRefList is two or more task numbers: "任务7和任务8", "7、8、9",
	// "任务7,8", "15-2和16"; reRefElem reads each of them.
	reRefList = regexp.MustCompile(refElem + `(?:(?:和|与|及|跟|、|,|/)` + refElem + `)+`)
	reRefElem = regexp.MustCompile(refElem)
	reYear    = regexp.MustCompile(`((?:19|20)\d\d)年度?`)
)

// synonymIndex lists every trigger with its synonym, longest trigger first.
var synonymIndex = func() []struct {
	trigger string
	syn     int
} {
	var idx []struct {
		trigger string
		syn     int
	}
	for i, s := range Synonyms {
		for _, t := range s.Triggers {
			idx = append(idx, struct {
				trigger string
				syn     int
			}{t, i})
		}
	}
	slices.SortStableFunc(idx, func(a, b struct {
		trigger string
		syn     int
	}) int {
		return utf8.RuneCountInString(b.trigger) - utf8.RuneCountInString(a.trigger)
	})
	return idx
}()

// scanner holds the text not yet consumed.
type scanner struct{ s string }

// take consumes the first occurrence of w. A word that begins or ends with
// a Latin letter or digit ("3c", "ccc") only counts where it is not part of a
// longer run of them, so pasted codes or noise do not read as subjects.
func (sc *scanner) take(w string) bool {
	from := 0
	for {
		j := strings.Index(sc.s[from:], w)
		if j < 0 {
			return false
		}
		i := from + j
		end := i + len(w)
		if (i > 0 && asciiAlnum(w[0]) && asciiAlnum(sc.s[i-1])) ||
			(end < len(sc.s) && asciiAlnum(w[len(w)-1]) && asciiAlnum(sc.s[end])) {
			from = i + 1
			continue
		}
		sc.s = sc.s[:i] + sep + sc.s[end:]
		return true
	}
}

func asciiAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// takeAny consumes every word of ws that occurs, reporting whether any did.
func (sc *scanner) takeAny(ws []string) bool {
	found := false
	for _, w := range ws {
		for sc.take(w) {
			found = true
		}
	}
	return found
}

// takeRe consumes the first match of re and returns its submatches.
func (sc *scanner) takeRe(re *regexp.Regexp) []string {
	loc := re.FindStringSubmatchIndex(sc.s)
	if loc == nil {
		return nil
	}
	m := make([]string, len(loc)/2)
	for i := range m {
		if loc[2*i] >= 0 {
			m[i] = sc.s[loc[2*i]:loc[2*i+1]]
		}
	}
	sc.s = sc.s[:loc[0]] + sep + sc.s[loc[1]:]
	return m
}

// Parser understands messages with one department vocabulary. It is
// immutable and safe for concurrent use.
type Parser struct {
	depts []deptGroup // in the order they are taken
	lex   *lexicon    // known words, for correcting typos (typo.go)
}

// deptGroup is the words that name one of the plan's departments.
type deptGroup struct {
	canonical string   // a section, CityBureau or CountyBureaus
	words     []string // longest first
}

// NewParser builds a parser whose departments come from v: sections (and
// their aliases) first, then the county bureaus (each county's name stands
// for 各县区局, whose items are each county's own), then the city bureau.
func NewParser(v *department.Vocabulary) *Parser {
	p := &Parser{}
	index := map[string]int{}
	add := func(canonical, word string) {
		i, ok := index[canonical]
		if !ok {
			i = len(p.depts)
			index[canonical] = i
			p.depts = append(p.depts, deptGroup{canonical: canonical})
		}
		p.depts[i].words = append(p.depts[i].words, Normalize(word))
	}
	words := v.Words() // longest first
	for _, s := range v.Sections() {
		index[s] = len(p.depts)
		p.depts = append(p.depts, deptGroup{canonical: s})
	}
	for _, kind := range []department.Kind{department.KindSection, department.KindCounty, department.KindAllCounties, department.KindCity} {
		for _, w := range words {
			if w.Unit.Kind != kind {
				continue
			}
			switch kind {
			case department.KindSection:
				add(w.Unit.Name, w.Text)
			case department.KindCity:
				add(CityBureau, w.Text)
			default:
				add(CountyBureaus, w.Text)
			}
		}
	}
	lists := baseLexicon()
	for _, d := range p.depts {
		lists = append(lists, d.words)
	}
	p.lex = newLexicon(lists...)
	return p
}

// defaultParser parses with 长治's vocabulary (department.Default).
var defaultParser = sync.OnceValue(func() *Parser { return NewParser(department.Default()) })

// Parse understands one message with the default vocabulary (tests and
// tools; the bot uses a Parser built from config).
func Parse(text string) Query { return defaultParser().Parse(text) }

// Parse understands one message. It never fails: a message it cannot read
// has Intent Unknown (and maybe a Rest the answerer can try as a subject).
func (p *Parser) Parse(text string) Query {
	q := Query{Text: text, Norm: p.lex.correct(Normalize(text))}
	n := q.Norm
	if n == "" {
		return q
	}
	if slices.Contains(HelpWords, n) || isHelp(text) {
		q.Intent = Help
		return q
	}
	for _, w := range helpContains {
		if strings.Contains(n, w) {
			q.Intent = Help
			return q
		}
	}
	sc := &scanner{s: n}
	mine := sc.takeAny(mineWords)

	// Ratio filters first: "比例30%以上" must not leave a bare "比例" attribute.
	if sc.takeAny([]string{"全部抽查任务", "所有抽查任务"}) {
		q.Period.Kind = PeriodYear
	}
	if sc.takeAny(ratioAllWords) {
		q.Ratio = RatioFilter{Op: RatioEq, Percent: 100}
	}
	parseRatio(sc, &q) // ratio.go: several values, 百分之五, 最高/最低
	ratioRange(&q, n)  // kinds.go: "高于10%低于50%"
	parseFloor(sc, &q)

	// Departments before subjects ("特种设备科" is a section, "特种设备" a subject)
	// and before attributes ("哪个科" is not 计量科).
	for _, d := range p.depts {
		if sc.takeAny(d.words) && !slices.Contains(q.Departments, d.canonical) {
			q.Departments = append(q.Departments, d.canonical)
		}
	}

	parseKinds(sc, &q) // kinds.go: counts, plan status, 去年, 第1项到第3项

	// No-window and risk filters before attributes ("没有时间" is not "时间",
	// "递加比例" is not "比例", "风险要求" is not "要求").
	if sc.takeAny(noWindowWords) {
		q.NoWindow = true
	}
	riskAttr := false
	switch {
	case sc.takeAny(riskUniformWords):
		q.Risk = RiskUniform
		sc.takeAny(riskDiffWords)
	case sc.takeAny(riskAttrWords):
		riskAttr = true
	case sc.takeAny(riskDiffWords):
		q.Risk = RiskDifferentiated
	}

	// Periods.
	if m := sc.takeRe(reYear); m != nil {
		q.Year, _ = strconv.Atoi(m[1])
	}
	parseDates(sc, &q) // dates.go: days, deadlines, time left, lists of months or quarters
	if m := sc.takeRe(reMonthRange); m != nil {
		a, b := monthNumber(m[1]), monthNumber(m[2])
		if a >= 1 && b <= 12 && a <= b {
			q.Period = Period{Kind: PeriodMonths, Month: a, ToMonth: b}
		}
	}
	if sc.takeAny(restWords) {
		q.Period = Period{Kind: PeriodRest}
	}
	for _, w := range weekWords {
		if sc.takeAny(w.Words) {
			q.Period = Period{Kind: PeriodWeek, Offset: w.Offset}
		}
	}
	for _, w := range monthRelWords {
		if sc.takeAny(w.Words) {
			q.Period = Period{Kind: PeriodMonth, Offset: w.Offset}
		}
	}
	for _, w := range quarterRelWords {
		if sc.takeAny(w.Words) {
			q.Period = Period{Kind: PeriodQuarter, Offset: w.Offset}
		}
	}
	if m := sc.takeRe(reQuarter); m != nil {
		q.Period = Period{Kind: PeriodQuarter, Quarter: monthNumber(m[1] + m[2] + m[3])}
	}
	for _, w := range halfWords {
		if sc.takeAny(w.Words) {
			q.Period = Period{Kind: PeriodHalf, Half: w.Half}
		}
	}
	if m := sc.takeRe(reMonth); m != nil {
		if mo := monthNumber(m[1]); mo >= 1 && mo <= 12 {
			q.Period = Period{Kind: PeriodMonth, Month: mo}
		}
	}
	if sc.takeAny(nowWords) && q.Period.Kind == PeriodNone {
		q.Period = Period{Kind: PeriodNow}
	}
	if sc.takeAny(yearWords) && q.Period.Kind == PeriodNone {
		q.Period = Period{Kind: PeriodYear}
	}
	if q.Year != 0 && q.Period.Kind == PeriodNone {
		q.Period = Period{Kind: PeriodYear}
	}

	// Task numbers (after months and quarters: "7月", "第二季度" are not tasks).
	if m := sc.takeRe(reRefList); m != nil {
		for _, e := range reRefElem.FindAllStringSubmatch(m[0], -1) {
			r := Ref{Serial: number(e[1] + e[3])}
			r.Index, _ = strconv.Atoi(e[2])
			if r.Serial > 0 && !slices.Contains(q.Refs, r) {
				q.Refs = append(q.Refs, r)
			}
		}
		if len(q.Refs) > 0 {
			q.Ref = &q.Refs[0]
		}
	} else if m := sc.takeRe(reItemRef); m != nil {
		s, _ := strconv.Atoi(m[1])
		i, _ := strconv.Atoi(m[2])
		q.Ref = &Ref{Serial: s, Index: i}
	} else if m := sc.takeRe(reTaskRef); m != nil {
		q.Ref = &Ref{Serial: number(m[1])}
	} else if m := sc.takeRe(reTaskNo); m != nil {
		q.Ref = &Ref{Serial: number(m[1])}
	} else if m := reOnlyNumber.FindStringSubmatch(sc.s); m != nil {
		q.Ref = &Ref{Serial: number(m[1])}
		sc.s = sep
	}

	if q.Ref != nil && len(q.Refs) == 0 {
		q.Refs = []Ref{*q.Ref}
	}

	// Attributes, before window events ("什么时候开始" asks for the window).
	for _, a := range attrWords {
		if sc.takeAny(a.Words) && q.Attr == AttrNone {
			q.Attr = a.Attr
		}
	}
	if sc.takeAny(weakDeptAttr) && q.Attr == AttrNone && len(q.Departments) == 0 {
		q.Attr = AttrDept
	}
	if riskAttr && q.Attr == AttrNone {
		q.Attr = AttrRisk
	}
	// "任务7按风险分类吗" asks about task 7's rule, not for a list.
	if q.Ref != nil && q.Risk != RiskAny && q.Attr == AttrNone {
		q.Attr, q.Risk = AttrRisk, RiskAny
	}

	// Window events.
	switch {
	case sc.takeAny(closingSoonWords):
		q.Event = EventClosingSoon
	case sc.takeAny(openingSoonWords):
		q.Event = EventOpeningSoon
	default:
		soon := sc.takeAny(soonWords)
		st, en := sc.takeAny(startWords), sc.takeAny(endWords)
		switch {
		case st && en:
			q.Event = EventStartOrEnd
		case st && soon:
			q.Event = EventOpeningSoon
		case st:
			q.Event = EventStart
		case en && soon:
			q.Event = EventClosingSoon
		case en:
			q.Event = EventEnd
		}
	}
	if q.Attr == AttrWindow {
		q.Event = EventAny
	}

	// What is left names the subject: kept whole (Phrases) before the
	// synonym triggers split it.
	q.Phrases = words(sc.s)

	// Subjects, longest trigger first.
	for _, t := range synonymIndex {
		if sc.take(t.trigger) {
			for sc.take(t.trigger) {
			}
			s := Subject{Label: Synonyms[t.syn].Label, Said: t.trigger, Terms: Synonyms[t.syn].Terms}
			if !slices.ContainsFunc(q.Subjects, func(x Subject) bool { return x.Label == s.Label }) {
				q.Subjects = append(q.Subjects, s)
			}
		}
	}

	q.Subjects = dropGeneric(q.Subjects)

	listAll := sc.takeAny(listAllWords)
	q.Words = words(sc.s)
	q.Rest = rest(q.Words)
	q.decide(mine, listAll)
	q.afterDecide()
	return q
}

// decide sets the intent from what was recognised.
func (q *Query) decide(mine, listAll bool) {
	switch {
	case mine:
		q.Intent = Mine
	case q.Ref != nil && q.Attr != AttrNone:
		q.Intent = Attribute
	case q.Ref != nil:
		q.Intent = TaskByRef
	case q.Attr != AttrNone && len(q.Subjects) > 0:
		q.Intent = Attribute
	case q.Attr == AttrRisk && len(q.Departments) > 0:
		q.Intent = Attribute // "特设科的信用风险要求"
	case q.HasFilter():
		q.Intent = List
	case listAll || q.Count || q.PlanStatus:
		q.Intent = List
		q.Period = Period{Kind: PeriodYear}
	default:
		q.Intent = Unknown
	}
	// A window event without a period is about the current month ("开始的"),
	// except the soon-events, which count days from now.
	if q.Intent == List && q.Period.Kind == PeriodNone {
		switch q.Event {
		case EventStart, EventEnd, EventStartOrEnd:
			q.Period = Period{Kind: PeriodMonth}
		}
	}
}

// WithSubject returns q with s added as a subject and the intent decided
// again; the answerer uses it when Rest turns out to occur in the plan.
func (q Query) WithSubject(s Subject) Query {
	q.Subjects = append(slices.Clone(q.Subjects), s)
	q.Rest = ""
	q.Words = slices.DeleteFunc(slices.Clone(q.Words), func(w string) bool { return w == s.Said })
	if q.Intent == Unknown || q.Intent == List {
		q.Intent = Unknown
		q.decide(false, false)
	}
	return q
}

// dropGeneric removes a subject made redundant by a more specific one
// ("3C认证": 强制性产品认证 makes 认证 redundant; "保健食品" does 食品).
func dropGeneric(subjects []Subject) []Subject {
	if len(subjects) < 2 {
		return subjects
	}
	covers := func(specific, generic Subject) bool {
		for _, t := range specific.Terms {
			if !slices.ContainsFunc(generic.Terms, func(g string) bool { return strings.Contains(t, g) }) {
				return false
			}
		}
		return true
	}
	var out []Subject
	for i, g := range subjects {
		redundant := false
		for j, s := range subjects {
			if i != j && covers(s, g) && !covers(g, s) {
				redundant = true
			}
		}
		if !redundant {
			out = append(out, g)
		}
	}
	return out
}

// rest is the longest of the words (the first of equally long ones).
func rest(words []string) string {
	best := ""
	for _, w := range words {
		if utf8.RuneCountInString(w) > utf8.RuneCountInString(best) {
			best = w
		}
	}
	return best
}

// monthNumber reads "7", "07", "七", "十二"; 0 if it cannot.
func monthNumber(s string) int { return number(s) }

// number reads an Arabic or Chinese numeral below 100; 0 if it cannot.
func number(s string) int {
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	digit := func(r rune) int {
		i := strings.IndexRune("零一二三四五六七八九", r)
		if i < 0 {
			return -1
		}
		return i / 3 // each rune is 3 bytes
	}
	rs := []rune(strings.ReplaceAll(s, "两", "二"))
	switch {
	case len(rs) == 1 && rs[0] == '十':
		return 10
	case len(rs) == 1:
		if d := digit(rs[0]); d >= 0 {
			return d
		}
	case len(rs) == 2 && rs[0] == '十':
		if d := digit(rs[1]); d > 0 {
			return 10 + d
		}
	case len(rs) == 2 && rs[1] == '十':
		if d := digit(rs[0]); d > 0 {
			return 10 * d
		}
	case len(rs) == 3 && rs[1] == '十':
		d1, d2 := digit(rs[0]), digit(rs[2])
		if d1 > 0 && d2 > 0 {
			return 10*d1 + d2
		}
	}
	return 0
}
