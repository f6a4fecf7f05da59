package answer

// The question corpus: testdata/corpus.txt holds inspectors' questions as
// they really type them, each with the items a careful reader of the plan
// would answer and the facts the answer must state. TestCorpus answers every
// one through question.Parse and Asker.Answer (the path TestAnswers takes)
// and fails unless every case passes; CORPUS_REPORT=1 prints the score per
// kind and the failing cases without failing, CORPUS_KIND=deadline runs only
// the cases of one kind. The file's header documents its columns.

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/wecomapi"
)

const corpusFile = "testdata/corpus.txt"

// corpusCase is one line of the corpus.
type corpusCase struct {
	line     int
	kinds    []string
	now      string // 2006-01-02
	sections []string
	q        string
	answers  []AnswerKind // any of these; nil: any kind
	items    []string     // required ids
	also     []string     // ids that may appear too
	need     []string     // of also: ids that must appear
	after    bool         // also ids must come after every required id
	want     []matcher
	not      []matcher
}

// matcher is a required or forbidden piece of the answer's markdown.
type matcher struct {
	src   string
	first bool // only the answer's first line
	re    *regexp.Regexp
	sub   string
}

func (m matcher) match(md string) bool {
	if m.first {
		md, _, _ = strings.Cut(md, "\n")
	}
	if m.re != nil {
		return m.re.MatchString(md)
	}
	return strings.Contains(md, m.sub)
}

var knownAnswerKinds = []AnswerKind{AnswerList, AnswerDetail, AnswerAttribute, AnswerNotFound, AnswerHelp, AnswerUnknown, AnswerUnknownDept}

// loadCorpus reads and checks the corpus file.
func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	f, err := os.Open(corpusFile)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sets := map[string][]string{}
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, ids, ok := strings.Cut(line, " "); strings.HasPrefix(line, "=") && ok {
			set, err := expandIDs(ids, sets)
			if err != nil {
				tb.Fatalf("%s:%d: %v", corpusFile, n, err)
			}
			sets[name[1:]] = set
			continue
		}
		c, err := parseCorpusLine(line, sets)
		if err != nil {
			tb.Fatalf("%s:%d: %v", corpusFile, n, err)
		}
		c.line = n
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return cases
}

// expandIDs splits a column of ids, replacing $name by the set's ids.
func expandIDs(s string, sets map[string][]string) ([]string, error) {
	var out []string
	for _, f := range strings.Fields(s) {
		switch {
		case f == "-":
		case strings.HasPrefix(f, "$"):
			ids, ok := sets[f[1:]]
			if !ok {
				return nil, fmt.Errorf("unknown set %s", f)
			}
			out = append(out, ids...)
		default:
			out = append(out, f)
		}
	}
	return out, nil
}

func parseCorpusLine(line string, sets map[string][]string) (corpusCase, error) {
	fields := strings.Split(line, " | ")
	if len(fields) < 4 || len(fields) > 8 {
		return corpusCase{}, fmt.Errorf("%d columns, want 4 to 8 separated by \" | \"", len(fields))
	}
	for len(fields) < 8 {
		fields = append(fields, "")
	}
	for i := range fields {
		if fields[i] = strings.TrimSpace(fields[i]); fields[i] == "-" {
			fields[i] = ""
		}
	}
	var c corpusCase
	for k := range strings.SplitSeq(fields[0], ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.kinds = append(c.kinds, k)
		}
	}
	if len(c.kinds) == 0 {
		return c, fmt.Errorf("no kind tag")
	}
	now, secs, _ := strings.Cut(fields[1], "@")
	c.now = strings.TrimSpace(now)
	if c.now == "" {
		c.now = "2023-03-15"
	}
	if _, err := time.Parse("2006-01-02", c.now); err != nil {
		return c, fmt.Errorf("now %q: %v", c.now, err)
	}
	for s := range strings.SplitSeq(secs, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.sections = append(c.sections, s)
		}
	}
	c.q = fields[2]
	if c.q == "" {
		return c, fmt.Errorf("empty question")
	}
	if fields[3] != "*" {
		for k := range strings.SplitSeq(fields[3], "/") {
			ak := AnswerKind(strings.TrimSpace(k))
			if !slices.Contains(knownAnswerKinds, ak) {
				return c, fmt.Errorf("answer kind %q, want one of %v (or several separated by /, or *)", ak, knownAnswerKinds)
			}
			c.answers = append(c.answers, ak)
		}
	}
	var err error
	if c.items, err = expandIDs(fields[4], sets); err != nil {
		return c, err
	}
	also := fields[5]
	if rest, ok := strings.CutPrefix(also, ">"); ok {
		c.after, also = true, rest
	}
	ids, err := expandIDs(also, sets)
	if err != nil {
		return c, err
	}
	for _, id := range ids {
		if need, ok := strings.CutPrefix(id, "+"); ok {
			c.need = append(c.need, need)
			id = need
		}
		c.also = append(c.also, id)
	}
	if c.want, err = matchers(fields[6]); err != nil {
		return c, err
	}
	if c.not, err = matchers(fields[7]); err != nil {
		return c, err
	}
	return c, nil
}

func matchers(s string) ([]matcher, error) {
	var out []matcher
	for p := range strings.SplitSeq(s, ";") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		m := matcher{src: p}
		if rest, ok := strings.CutPrefix(p, "^"); ok {
			m.first, p = true, rest
		}
		if rest, ok := strings.CutPrefix(p, "re:"); ok {
			re, err := regexp.Compile(rest)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", m.src, err)
			}
			m.re = re
		} else {
			m.sub = p
		}
		out = append(out, m)
	}
	return out, nil
}

// reBoldID finds an item id as list and detail lines render it: **7**, 【15-2】.
var reBoldID = regexp.MustCompile(`\*\*(\d{1,2}(?:-\d)?)\*\*|【(\d{1,2}(?:-\d)?)】`)

// idPosition is where the markdown first names item id: **7**, 【7】,
// "**7 ", "## 7 ", or 任务7 / 第7项 / 序号7 not followed by another digit or
// "-digit"; -1 when it does not.
func idPosition(md, id string) int {
	best := -1
	for _, pat := range []string{"**" + id + "**", "【" + id + "】", "**" + id + " ", "## " + id + " ", "任务" + id, "第" + id + "项", "序号" + id} {
		for from := 0; ; {
			i := strings.Index(md[from:], pat)
			if i < 0 {
				break
			}
			i += from
			end := i + len(pat)
			if next := md[end:]; len(next) > 0 && (next[0] >= '0' && next[0] <= '9' || len(next) > 1 && next[0] == '-' && next[1] >= '0' && next[1] <= '9') {
				from = end
				continue
			}
			if best < 0 || i < best {
				best = i
			}
			break
		}
	}
	return best
}

// answerIDs are the items an answer presents, in the order the markdown
// shows them: the Answer's item lists, and every item shown as a list or
// detail line (**7**, 【7】) however the answer keeps it — for example broad
// matches under "其他相关任务".
func answerIDs(ans *Answer, md string) []string {
	var got []string
	add := func(id string) {
		if !slices.Contains(got, id) {
			got = append(got, id)
		}
	}
	for _, id := range slices.Concat(ans.IDs(), ans.NoWindowIDs(), ans.DetailIDs(), ans.AlternativeIDs()) {
		add(id)
	}
	for _, m := range reBoldID.FindAllStringSubmatch(md, -1) {
		add(m[1] + m[2])
	}
	pos := map[string]int{}
	for _, id := range got {
		p := idPosition(md, id)
		if p < 0 {
			p = len(md)
		}
		pos[id] = p
	}
	slices.SortStableFunc(got, func(a, b string) int { return pos[a] - pos[b] })
	return got
}

// checkCorpusCase returns what is wrong with the answer to c (nil: passes).
func checkCorpusCase(c corpusCase, ans *Answer, md string, p *plan.Plan) []string {
	var errs []string
	if c.answers != nil && !slices.Contains(c.answers, ans.Kind) {
		errs = append(errs, fmt.Sprintf("answer kind %s, want %v", ans.Kind, c.answers))
	}
	got := answerIDs(ans, md)
	var missing, extra, needless []string
	for _, id := range c.items {
		if !slices.Contains(got, id) {
			missing = append(missing, id)
		}
	}
	for _, id := range c.need {
		if !slices.Contains(got, id) {
			needless = append(needless, id)
		}
	}
	for _, id := range got {
		if !slices.Contains(c.items, id) && !slices.Contains(c.also, id) {
			extra = append(extra, id)
		}
		if idPosition(md, id) < 0 {
			errs = append(errs, "item "+id+" is not shown")
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Sprintf("missing items %v", missing))
	}
	if len(needless) > 0 {
		errs = append(errs, fmt.Sprintf("missing further items %v", needless))
	}
	if len(extra) > 0 {
		errs = append(errs, fmt.Sprintf("unexpected items %v", extra))
	}
	if c.after {
		lastReq, firstAlso := -1, len(got)
		for i, id := range got {
			if slices.Contains(c.items, id) {
				lastReq = i
			} else if slices.Contains(c.also, id) && i < firstAlso {
				firstAlso = i
			}
		}
		if firstAlso < lastReq {
			errs = append(errs, fmt.Sprintf("broader item %s comes before the specific ones %v (order %v)", got[firstAlso], c.items, got))
		}
	}
	noPlanAsked := false
	for _, m := range c.want {
		if !m.match(md) {
			errs = append(errs, fmt.Sprintf("lacks %q", m.src))
		}
		noPlanAsked = noPlanAsked || strings.Contains(m.src, "尚未导入")
	}
	for _, m := range c.not {
		if m.match(md) {
			errs = append(errs, fmt.Sprintf("has %q", m.src))
		}
	}
	// Never claim a plan is missing unless the case expects it.
	if !noPlanAsked && strings.Contains(md, "尚未导入") {
		errs = append(errs, "says a plan is not loaded")
	}
	// The answer fits one WeCom message, unless it details several items
	// (the channel then splits it on line boundaries).
	if len(md) > wecomapi.MaxContentBytes && len(ans.DetailIDs()) < 2 {
		errs = append(errs, fmt.Sprintf("answer is %d bytes, more than one WeCom message (%d)", len(md), wecomapi.MaxContentBytes))
	}
	// A single-item answer names the item's number and full name at once:
	// in its heading or the lines just after it (a line saying what today is
	// may come first).
	if (ans.Kind == AnswerDetail || ans.Kind == AnswerAttribute) && len(got) == 1 && p != nil {
		if it, ok := p.Item(got[0]); ok {
			head := md
			if strings.HasPrefix(head, "**尚未导入") {
				_, head, _ = strings.Cut(head, "\n")
			}
			lines := strings.SplitN(head, "\n", 4)
			head = strings.Join(lines[:min(3, len(lines))], "\n")
			if !strings.Contains(head, it.ID) || !strings.Contains(head, it.Name()) {
				errs = append(errs, fmt.Sprintf("does not name item %s and its full name %q in its first three lines", it.ID, it.Name()))
			}
		}
	}
	return errs
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 300 {
		t.Errorf("the corpus has %d cases, want at least 300", len(cases))
	}
	if kind := os.Getenv("CORPUS_KIND"); kind != "" {
		cases = slices.DeleteFunc(cases, func(c corpusCase) bool { return !slices.Contains(c.kinds, kind) })
	}
	cat := seedCatalog(t)
	p, _ := cat.ForYear(2023)
	a := New(Options{Plans: cat})
	type score struct{ pass, total int }
	scores := map[string]*score{}
	var failed []string
	failedKinds := map[string][]string{}
	seen := map[string]int{}
	for _, c := range cases {
		key := c.q + "@" + c.now + "@" + strings.Join(c.sections, ",")
		if prev, dup := seen[key]; dup {
			t.Errorf("%s:%d: same question, date and asker as line %d", corpusFile, c.line, prev)
		}
		seen[key] = c.line
		for _, id := range slices.Concat(c.items, c.also) {
			if _, ok := p.Item(id); !ok {
				t.Errorf("%s:%d: the 2023 plan has no item %s", corpusFile, c.line, id)
			}
		}
		ans, err := a.Answer(question.Parse(c.q), day(t, c.now), c.sections)
		var errs []string
		md := ""
		if err != nil {
			errs = []string{"error: " + err.Error()}
		} else {
			md = ans.Markdown()
			errs = checkCorpusCase(c, &ans, md, p)
		}
		for _, k := range c.kinds {
			if scores[k] == nil {
				scores[k] = &score{}
			}
			scores[k].total++
			if len(errs) == 0 {
				scores[k].pass++
			} else {
				failedKinds[k] = append(failedKinds[k], c.q)
			}
		}
		if len(errs) > 0 {
			failed = append(failed, fmt.Sprintf("%s:%d [%s] %q @%s:\n  %s\n    %s", corpusFile, c.line, strings.Join(c.kinds, ","), c.q, c.now,
				strings.Join(errs, "\n  "), strings.ReplaceAll(md, "\n", "\n    ")))
		}
	}
	kinds := make([]string, 0, len(scores))
	for k := range scores {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var b strings.Builder
	passed := len(cases) - len(failed)
	fmt.Fprintf(&b, "corpus: %d/%d cases pass (%.1f%%)\n", passed, len(cases), 100*float64(passed)/float64(max(1, len(cases))))
	for _, k := range kinds {
		s := scores[k]
		fmt.Fprintf(&b, "  %-16s %3d/%3d\n", k, s.pass, s.total)
	}
	t.Log(b.String())
	report := os.Getenv("CORPUS_REPORT") != ""
	for _, f := range failed {
		if report {
			t.Log(f)
		} else {
			t.Error(f)
		}
	}
	if report && len(failed) > 0 {
		var fb strings.Builder
		for _, k := range kinds {
			if qs := failedKinds[k]; len(qs) > 0 {
				fmt.Fprintf(&fb, "  %s: %s\n", k, strings.Join(qs, " / "))
			}
		}
		t.Logf("failing cases by kind:\n%s", fb.String())
	}
}

// TestCorpusChecker: the checks themselves catch what they are for.
func TestCorpusChecker(t *testing.T) {
	sets := map[string][]string{"two": {"7", "8"}}
	c, err := parseCorpusLine("ratio,typo | 2023-09-10@计量科 | 比列 | attribute/detail | $two | > 6 +9 | ^first;re:(3|4)\\d%;x | y", sets)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.kinds, []string{"ratio", "typo"}) || c.now != "2023-09-10" || !slices.Equal(c.sections, []string{"计量科"}) ||
		!slices.Equal(c.items, []string{"7", "8"}) || !slices.Equal(c.also, []string{"6", "9"}) || !slices.Equal(c.need, []string{"9"}) || !c.after ||
		len(c.want) != 3 || !c.want[0].first || c.want[1].re == nil || len(c.not) != 1 || len(c.answers) != 2 {
		t.Fatalf("parsed %+v", c)
	}
	for _, bad := range []string{"- | 2023-01-01 | q | list | -", "t | 2023-13-01 | q | list | -", "t | - | q | lists | -", "t | - | q | list | $nope", "t | - | q | list | - | - | - | re:("} {
		if _, err := parseCorpusLine(bad, sets); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
	if got := idPosition("任务15-2 x **7** 任务1", "1"); got != len("任务15-2 x **7** ") {
		t.Errorf("idPosition of 1 = %d", got)
	}
	ans := &Answer{Kind: AnswerList}
	md := "## t\n**17** a\n其他相关任务：\n**15-1** b"
	if got := answerIDs(ans, md); !slices.Equal(got, []string{"17", "15-1"}) {
		t.Errorf("ids = %v", got)
	}
	// The specific item first: broad ones after it pass, before it fail.
	spec, err := parseCorpusLine("s | - | q | list | 17 | > 15-1", sets)
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkCorpusCase(spec, ans, md, nil); len(errs) > 0 {
		t.Errorf("specific first: %v", errs)
	}
	if errs := checkCorpusCase(spec, ans, "**15-1** b\n**17** a", nil); len(errs) != 1 || !strings.Contains(errs[0], "before") {
		t.Errorf("broad first: %v", errs)
	}
	if errs := checkCorpusCase(spec, ans, "**17** a\n**16** c", nil); len(errs) != 1 || !strings.Contains(errs[0], "unexpected items [16]") {
		t.Errorf("extra item: %v", errs)
	}
	if errs := checkCorpusCase(spec, ans, "**尚未导入2026年度抽查计划。**\n**17** a", nil); len(errs) != 1 || !strings.Contains(errs[0], "not loaded") {
		t.Errorf("unexpected notice: %v", errs)
	}
}

// BenchmarkCorpus answers the whole corpus: parse, answer and render each
// question, reporting the mean time per question.
func BenchmarkCorpus(b *testing.B) {
	cases := loadCorpus(b)
	a := New(Options{Plans: seedCatalog(b)})
	type prepared struct {
		q        string
		now      time.Time
		sections []string
	}
	ps := make([]prepared, len(cases))
	for i, c := range cases {
		ps[i] = prepared{c.q, day(b, c.now), c.sections}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, p := range ps {
			ans, err := a.Answer(question.Parse(p.q), p.now, p.sections)
			if err != nil {
				b.Fatal(err)
			}
			_ = ans.Markdown()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/question")
}
