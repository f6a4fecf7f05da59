package draw

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDrawProperties draws many random directories and checks every rule
// against the inputs, and the whole result against the reference
// implementation of the package comment.
func TestDrawProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	iterations := 3000
	if testing.Short() {
		iterations = 300
	}
	var drawn, infeasible int
	for it := range iterations {
		w := genWorld(r, genOpts{maxEntities: 120, maxInspectors: 30, avoidance: it%2 == 0})
		seed := seedFrom(r)
		res, err := Draw(w.in, seed)
		ref, refOK := refDraw(w, seed)
		prev, perr := Preview(w.in)
		if perr != nil {
			t.Fatalf("iteration %d: preview: %v", it, perr)
		}
		if err != nil {
			var ie *InfeasibleError
			if !errors.As(err, &ie) {
				t.Fatalf("iteration %d: %v", it, err)
			}
			if res != nil || refOK {
				t.Fatalf("iteration %d: infeasible draw: result %v, reference feasible %v", it, res != nil, refOK)
			}
			if !slices.Equal(ie.Problems, prev.Problems) {
				t.Fatalf("iteration %d: draw problems %v, preview %v", it, ie.Problems, prev.Problems)
			}
			checkProblems(t, w.in, ie.Problems)
			infeasible++
			continue
		}
		drawn++
		if !refOK {
			t.Fatalf("iteration %d: reference finds the draw infeasible", it)
		}
		if got, want := mustJSON(t, res), mustJSON(t, ref); got != want {
			t.Fatalf("iteration %d: draw differs from the reference\n got %s\nwant %s", it, got, want)
		}
		if got, want := res.Hash(), refResultHash(ref); got != want {
			t.Fatalf("iteration %d: hash %s, the documented text gives %s", it, got, want)
		}
		if prev.Err() != nil {
			t.Fatalf("iteration %d: preview has problems %v but the draw succeeded", it, prev.Problems)
		}
		for gi, g := range res.Groups {
			if mustJSON(t, g.GroupCounts) != mustJSON(t, prev.Groups[gi]) {
				t.Fatalf("iteration %d: group %s counts %+v, preview %+v", it, g.Group, g.GroupCounts, prev.Groups[gi])
			}
		}
		checkRules(t, w, res)

		// Order of the input does not matter; the seed does.
		again, err := Draw(shuffled(r, w.in), seed)
		if err != nil {
			t.Fatal(err)
		}
		if again.Hash() != res.Hash() || mustJSON(t, again) != mustJSON(t, res) {
			t.Fatalf("iteration %d: shuffled input gives another draw", it)
		}
	}
	t.Logf("%d draws, %d infeasible", drawn, infeasible)
	if drawn < iterations/4 || infeasible < iterations/20 {
		t.Fatalf("generator covers too little: %d draws, %d infeasible", drawn, infeasible)
	}
}

// checkRules checks res against the rules directly, without the reference.
func checkRules(t *testing.T, w world, res *Result) {
	t.Helper()
	in := w.in
	item, p := in.Item, in.Params
	perCounty := slices.Contains(item.Departments.Initiators, plan.CountyBureaus)
	byCode := map[string]*directory.Entity{}
	for i := range in.Entities.List {
		byCode[in.Entities.List[i].CreditCode] = &in.Entities.List[i]
	}
	byUser := map[string]*directory.Inspector{}
	for i := range in.Inspectors.List {
		byUser[in.Inspectors.List[i].UserID] = &in.Inspectors.List[i]
	}
	seen := map[string]bool{}
	for _, g := range res.Groups {
		// Counts follow the formula: per class by ratio, extra only up to the explicit count.
		sum := 0
		for ci, c := range g.Classes {
			mult := 100
			if item.Risk.Differentiated {
				mult = p.Multipliers[ci]
			}
			if want := refCount(c.Candidates, w.percent, mult); c.Draw != want {
				t.Fatalf("group %s class %q: draws %d of %d, want %d", g.Group, c.Class, c.Draw, c.Candidates, want)
			}
			sum += c.Draw
		}
		if want := max(0, min(item.Ratio.Count, g.Candidates)-sum); g.Extra != want || g.Draw != sum+want || len(g.Entities) != g.Draw {
			t.Fatalf("group %s: extra %d draw %d entities %d, want extra %d", g.Group, g.Extra, g.Draw, len(g.Entities), want)
		}
		if item.Ratio.Percent == 100 && g.Draw != g.Candidates {
			t.Fatalf("group %s: 100%% item draws %d of %d", g.Group, g.Draw, g.Candidates)
		}
		perClass := map[directory.RiskClass]int{}
		loads := map[string]int{}
		var pool []string
		for _, x := range in.Inspectors.List {
			if slices.Contains(g.Units, x.Unit) && x.CanExecute(item.ID) {
				pool = append(pool, x.UserID)
				loads[x.UserID] = 0
			}
		}
		avoidance := false
		for _, d := range g.Entities {
			e := byCode[d.CreditCode]
			if e == nil || !e.Active() || !e.InScope(item.ID) || seen[d.CreditCode] {
				t.Fatalf("drawn %s: not an active candidate of item %s, or drawn twice", d.CreditCode, item.ID)
			}
			seen[d.CreditCode] = true
			if perCounty && e.District != g.Group {
				t.Fatalf("drawn %s of %s in group %s", d.CreditCode, e.District, g.Group)
			}
			if !d.Extra {
				perClass[d.Class]++
			}
			if len(d.Inspectors) != p.InspectorsPerEntity {
				t.Fatalf("drawn %s has %d inspectors, want %d", d.CreditCode, len(d.Inspectors), p.InspectorsPerEntity)
			}
			for j, u := range d.Inspectors {
				x := byUser[u]
				switch {
				case x == nil || !x.CanExecute(item.ID):
					t.Fatalf("drawn %s: inspector %s may not execute item %s", d.CreditCode, u, item.ID)
				case perCounty && x.Unit != e.District:
					t.Fatalf("drawn %s of %s: inspector %s of %s", d.CreditCode, e.District, u, x.Unit)
				case !slices.Contains(g.Units, x.Unit):
					t.Fatalf("drawn %s: inspector %s of %s, not of %v", d.CreditCode, u, x.Unit, g.Units)
				case x.Avoids(d.CreditCode):
					t.Fatalf("drawn %s: inspector %s must avoid it", d.CreditCode, u)
				case slices.Contains(d.Inspectors[:j], u):
					t.Fatalf("drawn %s: inspector %s twice", d.CreditCode, u)
				}
				loads[u]++
			}
			for _, u := range pool {
				avoidance = avoidance || byUser[u].Avoids(d.CreditCode)
			}
		}
		for _, c := range g.Classes {
			if perClass[c.Class] != c.Draw {
				t.Fatalf("group %s class %q: %d drawn by ratio, counts say %d", g.Group, c.Class, perClass[c.Class], c.Draw)
			}
		}
		if len(g.Entities) > 0 && !avoidance {
			lo, hi := len(g.Entities), 0
			for _, l := range loads {
				lo, hi = min(lo, l), max(hi, l)
			}
			if hi-lo > 1 {
				t.Fatalf("group %s without avoidance: loads from %d to %d", g.Group, lo, hi)
			}
		}
	}
	// Nothing drawn outside the groups, and every candidate is in a group.
	for i := range in.Entities.List {
		e := &in.Entities.List[i]
		if e.Active() && e.InScope(item.ID) && perCounty && !slices.Contains(p.Counties, e.District) {
			t.Fatalf("candidate %s of %s has no group", e.CreditCode, e.District)
		}
	}
}

// checkProblems checks the reported problems against the inputs.
func checkProblems(t *testing.T, in Input, ps []Problem) {
	t.Helper()
	if len(ps) == 0 {
		t.Fatal("infeasible without problems")
	}
	for _, p := range ps {
		if p.Available >= p.Needed || p.Needed != in.Params.InspectorsPerEntity || p.ItemID != in.Item.ID {
			t.Fatalf("problem %+v", p)
		}
		var pool []*directory.Inspector
		for i := range in.Inspectors.List {
			x := &in.Inspectors.List[i]
			if !x.CanExecute(in.Item.ID) {
				continue
			}
			if x.Unit == p.Group || p.Group == department.City && (x.Unit == department.City || slices.ContainsFunc(in.Params.Sections, func(s department.Section) bool { return s.Name == x.Unit })) {
				if p.CreditCode == "" || !x.Avoids(p.CreditCode) {
					pool = append(pool, x)
				}
			}
		}
		// A city item with a lead section has a smaller pool than all sections.
		if len(pool) < p.Available {
			t.Fatalf("problem %+v: only %d inspectors qualify", p, len(pool))
		}
	}
}

// TestDrawSeedMatters: other seeds give other draws.
func TestDrawSeedMatters(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	w := genWorld(r, genOpts{maxEntities: 0})
	w.in.Item.Departments = plan.Departments{Initiators: []string{plan.CityBureau}}
	w.in.Item.Ratio = plan.Ratio{Percent: 10}
	w.in.Params.InspectorsPerEntity = 2
	for i := range 200 {
		w.in.Entities.List = append(w.in.Entities.List, directory.Entity{CreditCode: creditCode(i), Items: []string{w.in.Item.ID}, Status: directory.StatusExisting, District: w.in.Params.Counties[0]})
	}
	w.in.Inspectors.List = nil
	for i := range 10 {
		w.in.Inspectors.List = append(w.in.Inspectors.List, directory.Inspector{UserID: string(rune('a' + i)), Unit: "计量科", AllItems: true})
	}
	hashes := map[string]bool{}
	draws := map[string]bool{}
	for range 100 {
		res, err := Draw(w.in, seedFrom(r))
		if err != nil {
			t.Fatal(err)
		}
		hashes[res.Hash()] = true
		var codes []string
		for _, d := range res.Groups[0].Entities {
			codes = append(codes, d.CreditCode)
		}
		slices.Sort(codes)
		draws[mustJSON(t, codes)] = true
	}
	if len(hashes) != 100 || len(draws) != 100 {
		t.Fatalf("100 seeds: %d results, %d distinct entity sets", len(hashes), len(draws))
	}
}

func TestQuota(t *testing.T) {
	for _, c := range []struct {
		percent float64
		mult    int64
		n, want int
	}{
		{30, 100, 10, 3}, // exactly, not 4
		{7, 100, 100, 7}, // 7.000000000000001 in floating point
		{0.3, 100, 1000, 3},
		{33.3, 100, 1000, 333},
		{5, 100, 1, 1},
		{5, 100, 0, 0},
		{0.5, 100, 201, 2},
		{100, 100, 17, 17},
		{30, 300, 10, 9},
		{30, 400, 10, 10}, // capped at the class
		{1, 150, 100, 2},  // 1.5 rounded up
		{2, 150, 100, 3},
	} {
		ppm, err := ratioPPM(&plan.Item{ID: "1", Ratio: plan.Ratio{Percent: c.percent}})
		if err != nil {
			t.Fatal(err)
		}
		if got := quota(c.n, ppm, c.mult); got != c.want {
			t.Errorf("%v%% ×%d of %d = %d, want %d", c.percent, c.mult, c.n, got, c.want)
		}
	}
}

// TestBalanceAgainstFlow: wherever some assignment has loads within one of
// each other, the draw finds one, however the avoidances fall.
func TestBalanceAgainstFlow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	iterations := 4000
	if testing.Short() {
		iterations = 400
	}
	balanced, greedyFailed := 0, 0
	for range iterations {
		pool := 2 + r.IntN(6)
		need := 2 + r.IntN(min(pool-1, 2))
		nEnt := 1 + r.IntN(12)
		in := Input{
			Item:       &plan.Item{ID: "8", Ratio: plan.Ratio{Percent: 100}, Departments: plan.Departments{Initiators: []string{plan.CityBureau}}},
			Entities:   &directory.Entities{},
			Inspectors: &directory.Inspectors{},
			Params:     DefaultParams(),
		}
		in.Params.InspectorsPerEntity = need
		for i := range nEnt {
			in.Entities.List = append(in.Entities.List, directory.Entity{CreditCode: creditCode(i), Items: []string{"8"}, Status: directory.StatusExisting})
		}
		for _, i := range r.Perm(pool) { // not in userid order
			x := directory.Inspector{UserID: string(rune('a' + i)), Unit: "消保科", AllItems: true}
			for e := range nEnt {
				if r.IntN(3) == 0 {
					x.Avoid = append(x.Avoid, creditCode(e))
				}
			}
			in.Inspectors.List = append(in.Inspectors.List, x)
		}
		seed := seedFrom(r)
		res, err := Draw(in, seed)
		if err != nil {
			var ie *InfeasibleError
			if !errors.As(err, &ie) {
				t.Fatal(err)
			}
			continue
		}
		if ref, _ := refDraw(world{in: in, percent: "100"}, seed); mustJSON(t, ref) != mustJSON(t, res) {
			t.Fatalf("draw differs from the reference\n got %s\nwant %s", mustJSON(t, res), mustJSON(t, ref))
		}
		loads := map[string]int{}
		for _, x := range in.Inspectors.List {
			loads[x.UserID] = 0
		}
		for _, d := range res.Groups[0].Entities {
			for _, u := range d.Inspectors {
				loads[u]++
			}
		}
		lo, hi := nEnt, 0
		for _, l := range loads {
			lo, hi = min(lo, l), max(hi, l)
		}
		if balancePossible(in, need) {
			balanced++
			if hi-lo > 1 {
				t.Fatalf("a balanced assignment exists but loads go from %d to %d: %s", lo, hi, mustJSON(t, in.Inspectors.List))
			}
			if greedyOnlySpread(in, res, seed) > 1 {
				greedyFailed++
			}
		}
	}
	t.Logf("%d balanceable cases, %d that the greedy pass alone left unbalanced", balanced, greedyFailed)
	if balanced < iterations/10 || greedyFailed == 0 {
		t.Fatalf("generator covers too little: %d balanceable, %d needing rebalancing", balanced, greedyFailed)
	}
}

// greedyOnlySpread is max − min of the loads the greedy pass alone gives
// (the reference without rebalancing).
func greedyOnlySpread(in Input, res *Result, seed Seed) int {
	var drawn []*directory.Entity
	for _, d := range res.Groups[0].Entities {
		for i := range in.Entities.List {
			if in.Entities.List[i].CreditCode == d.CreditCode {
				drawn = append(drawn, &in.Entities.List[i])
			}
		}
	}
	var pool []*directory.Inspector
	for i := range in.Inspectors.List {
		pool = append(pool, &in.Inspectors.List[i])
	}
	slices.SortFunc(pool, func(a, b *directory.Inspector) int { return strings.Compare(a.UserID, b.UserID) })
	_, load := refAssign(seed, in.Item.ID, pool, drawn, in.Params.InspectorsPerEntity, false)
	return slices.Max(load) - slices.Min(load)
}

// balancePossible reports whether some assignment of need distinct,
// non-avoiding inspectors per entity has all loads within one of each
// other: a flow with lower bounds ⌊T/P⌋ and upper bounds ⌈T/P⌉.
func balancePossible(in Input, need int) bool {
	ents, pool := in.Entities.List, in.Inspectors.List
	total := len(ents) * need
	lo, hi := total/len(pool), (total+len(pool)-1)/len(pool)
	// Nodes: 0 S, 1 T, entities, inspectors, then S', T'.
	ne, np := len(ents), len(pool)
	S, T, S2, T2 := 0, 1, 2+ne+np, 3+ne+np
	f := newFlow(4 + ne + np)
	lower := 0
	addLower := func(u, v, l, c int) { // edge with lower bound l, capacity c
		f.add(u, v, c-l)
		if l > 0 {
			f.add(S2, v, l)
			f.add(u, T2, l)
			lower += l
		}
	}
	for e := range ents {
		addLower(S, 2+e, need, need)
		for i, x := range pool {
			if !x.Avoids(ents[e].CreditCode) {
				f.add(2+e, 2+ne+i, 1)
			}
		}
	}
	for i := range pool {
		addLower(2+ne+i, T, lo, hi)
	}
	f.add(T, S, total)
	return f.max(S2, T2) == lower
}

type flow struct{ cap [][]int }

func newFlow(n int) *flow {
	f := &flow{cap: make([][]int, n)}
	for i := range f.cap {
		f.cap[i] = make([]int, n)
	}
	return f
}

func (f *flow) add(u, v, c int) { f.cap[u][v] += c }

// max is Edmonds–Karp on the adjacency matrix.
func (f *flow) max(s, t int) int {
	total := 0
	for {
		prev := make([]int, len(f.cap))
		for i := range prev {
			prev[i] = -1
		}
		prev[s] = s
		queue := []int{s}
		for len(queue) > 0 && prev[t] < 0 {
			u := queue[0]
			queue = queue[1:]
			for v, c := range f.cap[u] {
				if c > 0 && prev[v] < 0 {
					prev[v] = u
					queue = append(queue, v)
				}
			}
		}
		if prev[t] < 0 {
			return total
		}
		push := 1 << 30
		for v := t; v != s; v = prev[v] {
			push = min(push, f.cap[prev[v]][v])
		}
		for v := t; v != s; v = prev[v] {
			f.cap[prev[v]][v] -= push
			f.cap[v][prev[v]] += push
		}
		total += push
	}
}
