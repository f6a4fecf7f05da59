package retrieve

import (
	"slices"
	"testing"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/plan/plantest"
)

func seedIndex(t *testing.T) (*Index, *plan.Plan) {
	t.Helper()
	p := plantest.Seed(t).Plans()[0]
	return New(p), p
}

func hitIDs(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Item.ID)
	}
	return out
}

func itemIDs(items []*plan.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestRank(t *testing.T) {
	ix, _ := seedIndex(t)
	for _, c := range []struct {
		name           string
		units          []Unit
		first, related []string
	}{
		// Both words found: 17 holds both, 15-x one of them.
		{"two units", []Unit{{Said: "特种设备"}, {Said: "生产许可证"}}, []string{"17"}, []string{"15-2", "15-1"}},
		// A synonym term must occur whole: 眼镜店 is not in the plan, 眼镜制配 is.
		{"term", []Unit{{Said: "眼镜店", Terms: []string{"眼镜制配"}}}, []string{"1"}, nil},
		// Less than half of the typed words' bigrams (by IDF): no match.
		{"coverage", []Unit{{Said: "医疗器械"}}, nil, nil},
		{"unknown", []Unit{{Said: "牙膏"}}, nil, nil},
		// A one-character term is matched by its character.
		{"one character", []Unit{{Said: "醋", Terms: []string{"醋"}}}, []string{"4"}, nil},
		// Equal matches are answered together, in plan order on equal scores.
		{"equal", []Unit{{Said: "个体工商户"}}, []string{"8", "9", "10", "13"}, []string{"11"}},
		{"none", nil, nil, nil},
	} {
		first, related := Split(ix.Rank(c.units, nil))
		if !slices.Equal(itemIDs(first), c.first) || !slices.Equal(itemIDs(related), c.related) {
			t.Errorf("%s: first %v related %v, want %v then %v", c.name, itemIDs(first), itemIDs(related), c.first, c.related)
		}
	}
}

// Rank scores only the items it is given, and the cut-offs are relative
// to the best of those.
func TestRankAmong(t *testing.T) {
	ix, p := seedIndex(t)
	var among []*plan.Item
	for _, it := range p.Items() {
		if it.ID == "15-1" || it.ID == "15-2" || it.ID == "8" {
			among = append(among, it)
		}
	}
	hits := ix.Rank([]Unit{{Said: "特种设备"}, {Said: "生产许可证"}}, among)
	if got := hitIDs(hits); !slices.Equal(got, []string{"15-2", "15-1"}) {
		t.Errorf("hits %v, want 15-2 15-1", got)
	}
	if first, _ := Split(hits); len(first) != 2 {
		t.Errorf("first %v, want both", itemIDs(first))
	}
}

func TestMatches(t *testing.T) {
	ix, _ := seedIndex(t)
	for said, want := range map[string]bool{"个体工商户": true, "发布": true, "医疗器械": false, "天气": false, "": false, "!!": false} {
		if got := ix.Matches(Unit{Said: said}); got != want {
			t.Errorf("Matches(%q) = %v, want %v", said, got, want)
		}
	}
}

func TestSplitCutOffs(t *testing.T) {
	it := func(id string) *plan.Item { return &plan.Item{ID: id} }
	hits := []Hit{{it("a"), 10}, {it("b"), 7.5}, {it("c"), 7.4}, {it("d"), 3.5}, {it("e"), 3.4}}
	first, related := Split(hits)
	if got := itemIDs(first); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("first %v, want a b (score ≥ %.2f × best)", got, First)
	}
	if got := itemIDs(related); !slices.Equal(got, []string{"c", "d"}) {
		t.Errorf("related %v, want c d (score ≥ %.2f × best)", got, Related)
	}
}

// A plan with no items, or items with empty fields, ranks nothing and
// never fails.
func TestEmpty(t *testing.T) {
	for _, p := range []*plan.Plan{
		{},
		{Tasks: []*plan.Task{{Serial: 1, Items: []*plan.Item{{ID: "1"}}}}},
	} {
		ix := New(p)
		if hits := ix.Rank([]Unit{{Said: "广告"}, {Said: "", Terms: []string{"", "醋"}}}, nil); len(hits) != 0 {
			t.Errorf("hits %v in a plan without text", hitIDs(hits))
		}
		if ix.Matches(Unit{Said: "广告"}) {
			t.Error("matches in a plan without text")
		}
	}
}
