package answer

import (
	"slices"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
)

// rankPair is two items of the seed plan that share a word, and a
// question naming something only the first has.
type rankPair struct {
	specific, broad *plan.Item
	shared, query   string
}

// genericWords say nothing about what a task checks; a pair sharing only
// these shares no word that matters.
var genericWords = []string{"双随机抽查", "监督检查", "检查", "抽查", "企业", "全市", "所有", "情况", "活动", "的", "监督",
	"是否", "制度", "本辖区", "辖区", "单位", "管理", "人员", "要求", "规定", "有效", "合规性", "及其它", "其它", "经营"}

func generic(s string) bool {
	for _, g := range genericWords {
		s = strings.ReplaceAll(s, g, "")
	}
	return len([]rune(s)) < 2
}

// longestCommon is the longest common substring of a and b.
func longestCommon(a, b []rune) string {
	best, end := 0, 0
	prev := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
				if cur[j] > best {
					best, end = cur[j], i
				}
			}
		}
		prev = cur
	}
	return string(a[end-best : end])
}

// rankPairs derives the ranking cases from the plan itself: for every two
// items A and B of different tasks, every phrase of A's name, scope or
// matter (split at punctuation and numbering) that shares a word with B
// (at least two characters, not only generic words) but does not occur in
// B, even leaving out 的. Items of one task share its name, so their
// phrases can name both; TestRankExamples checks those.
func rankPairs(p *plan.Plan) []rankPair {
	text := func(it *plan.Item) string { return plan.Fold(it.Name() + "\n" + it.Matter + "\n" + it.Scope) }
	phrases := func(it *plan.Item) []string {
		var out []string
		for _, f := range []string{it.Name(), it.Scope, it.Matter} {
			out = append(out, strings.FieldsFunc(plan.Fold(f), func(r rune) bool {
				return strings.ContainsRune("、，,；;：:（）()《》。. \n0123456789", r)
			})...)
		}
		return out
	}
	var out []rankPair
	seen := map[string]bool{}
	for _, a := range p.Items() {
		for _, b := range p.Items() {
			if a.Task == b.Task {
				continue
			}
			tb := text(b)
			for _, ph := range phrases(a) {
				shared := longestCommon([]rune(ph), []rune(tb))
				if len([]rune(shared)) < 2 || generic(shared) || strings.Contains(strings.ReplaceAll(tb, "的", ""), strings.ReplaceAll(ph, "的", "")) {
					continue
				}
				// B's name says it is about the shared word while A only
				// mentions it in its 抽查事项 ("检测人员" in 17's long list of
				// requirements, 检验检测 in 5's name): B is not the broader one.
				if strings.Contains(plan.Fold(b.Name()), shared) && !strings.Contains(plan.Fold(a.Name()+a.Scope), shared) {
					continue
				}
				if key := a.ID + "|" + b.ID + "|" + ph; !seen[key] {
					seen[key] = true
					out = append(out, rankPair{specific: a, broad: b, shared: shared, query: ph})
				}
			}
		}
	}
	return out
}

// first is what an answer gives first: its items, or its details.
func first(ans Answer) []string {
	return slices.Concat(ans.IDs(), ans.NoWindowIDs(), ans.DetailIDs())
}

// For each pair of seed-plan items that share a word, a question naming
// what only one of them has answers that one first, and the other comes
// after it (其他相关任务) or not at all.
func TestRankSpecificFirst(t *testing.T) {
	cat := seedCatalog(t)
	p := cat.Plans()[0]
	a := New(Options{Plans: cat})
	now := day(t, "2023-03-15")
	pairs := rankPairs(p)
	if len(pairs) < 100 {
		t.Fatalf("only %d pairs derived from the seed plan", len(pairs))
	}
	checked := 0
	for _, c := range pairs {
		q := question.Parse(c.query)
		// A phrase the parser reads partly as something else ("登记事项检查":
		// 事项 asks for the matter) is not a question naming an object.
		if q.Intent != question.List || q.HasFilter() && q.Period.Kind != question.PeriodNone || len(q.Departments) > 0 {
			continue
		}
		checked++
		ans, err := a.Answer(q, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := first(ans)
		if !slices.Contains(got, c.specific.ID) || slices.Contains(got, c.broad.ID) {
			t.Errorf("%q (shared with %s: %q): first %v, related %v; want %s first and %s after or absent",
				c.query, c.broad.ID, c.shared, got, ans.RelatedIDs(), c.specific.ID, c.broad.ID)
		}
	}
	t.Logf("%d of %d derived pairs checked", checked, len(pairs))
}

// The examples, items of one task, and attribute questions, which
// answer for the best-matching item only: first the items answered first,
// best first (those without a window after those with one).
func TestRankExamples(t *testing.T) {
	a := New(Options{Plans: seedCatalog(t)})
	now := day(t, "2023-03-15")
	for _, c := range []struct {
		q              string
		first, related []string
	}{
		{"特种设备生产许可证", []string{"17"}, nil},
		{"生产许可证", []string{"15-2", "17", "15-1"}, nil},
		{"工业产品生产许可", []string{"15-2", "15-1"}, []string{"17"}},
		{"食品相关产品", []string{"15-1"}, nil},
		{"食品相关产品生产许可证", []string{"15-1"}, []string{"17"}},
		{"工业产品生产许可资格", []string{"15-2", "15-1"}, []string{"17"}},
		{"国有粮食购销企业", []string{"1"}, nil},
		{"广告经营者", []string{"13"}, nil},
		{"广告发布", []string{"11", "13"}, nil},
		{"广告", []string{"11", "13"}, nil},
		{"3c认证", []string{"7"}, nil},
		{"自愿性认证", []string{"6"}, nil},
		{"认证", []string{"6", "7"}, nil},
		{"特种设备生产许可证的比例", []string{"17"}, nil},
		{"广告经营者什么时候查", []string{"13"}, nil},
		{"食品相关产品谁发起", []string{"15-1"}, nil},
		// Words the plan does not have match nothing, not a near word.
		{"医疗器械", nil, nil},
		{"农产品", nil, nil},
	} {
		ans, err := a.Answer(question.Parse(c.q), now, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := first(ans)
		if !slices.Equal(got, c.first) || !slices.Equal(ans.RelatedIDs(), c.related) {
			t.Errorf("%q: first %v related %v, want %v then %v\n%s", c.q, got, ans.RelatedIDs(), c.first, c.related, ans.Markdown())
		}
	}
}
