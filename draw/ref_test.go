package draw

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

// This file re-implements the algorithm from the package comment alone,
// the slow and obvious way, as an auditor would: the tests require Draw to
// agree with it. Counts use exact rationals from the ratio as written.

func refHash(seed Seed, parts ...string) [32]byte {
	b := append([]byte(nil), seed[:]...)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return sha256.Sum256(b)
}

// refCount is min(n, ⌈n × percent/100 × mult/100⌉) in exact arithmetic.
func refCount(n int, percent string, mult int) int {
	if percent == "" {
		return 0
	}
	x, _ := new(big.Rat).SetString(percent)
	x.Mul(x, big.NewRat(int64(n)*int64(mult), 100*100))
	q := new(big.Int).Quo(x.Num(), x.Denom())
	if new(big.Rat).SetInt(q).Cmp(x) != 0 {
		q.Add(q, big.NewInt(1))
	}
	return min(n, int(q.Int64()))
}

type refGroup struct {
	name   string
	units  []string
	cands  []*directory.Entity
	counts GroupCounts
	drawn  []*directory.Entity
	extra  map[string]bool
}

// refDraw is the reference draw; ok is false when the reference finds the
// draw infeasible.
func refDraw(w world, seed Seed) (res *Result, ok bool) {
	in := w.in
	item, p := in.Item, in.Params
	var groups []*refGroup
	if slices.Contains(item.Departments.Initiators, plan.CountyBureaus) {
		for _, c := range p.Counties {
			groups = append(groups, &refGroup{name: c, units: []string{c}})
		}
	} else {
		v, _ := department.New(p.Sections, p.Counties)
		var units []string
		for _, s := range item.Departments.Sections {
			if u, _ := v.Resolve(s.Name); s.Role == plan.RoleLead && !slices.Contains(units, u.Name) {
				units = append(units, u.Name)
			}
		}
		if units == nil {
			units = append(v.Sections(), department.City)
		}
		groups = []*refGroup{{name: department.City, units: units}}
	}
	classOf := func(e *directory.Entity) directory.RiskClass {
		if !item.Risk.Differentiated {
			return ""
		}
		if e.Risk == "" {
			return p.UnclassifiedAs
		}
		return e.Risk
	}
	key := func(e *directory.Entity) []byte {
		k := refHash(seed, "entity", item.ID, e.CreditCode)
		return k[:]
	}
	byKey := func(a, b *directory.Entity) int { return bytes.Compare(key(a), key(b)) }
	for i := range in.Entities.List {
		e := &in.Entities.List[i]
		if !e.Active() || !e.InScope(item.ID) {
			continue
		}
		for _, g := range groups {
			if len(groups) == 1 || g.name == e.District {
				g.cands = append(g.cands, e)
			}
		}
	}
	res = &Result{ItemID: item.ID}
	need := p.InspectorsPerEntity
	for _, g := range groups {
		classes := directory.RiskClasses
		if !item.Risk.Differentiated {
			classes = []directory.RiskClass{""}
		}
		g.counts = GroupCounts{Group: g.name, Units: g.units, Candidates: len(g.cands)}
		var rest []*directory.Entity
		sum := 0
		for ci, c := range classes {
			var cl []*directory.Entity
			for _, e := range g.cands {
				if classOf(e) == c {
					cl = append(cl, e)
				}
			}
			mult := 100
			if item.Risk.Differentiated {
				mult = p.Multipliers[ci]
			}
			k := refCount(len(cl), w.percent, mult)
			slices.SortFunc(cl, byKey)
			g.drawn = append(g.drawn, cl[:k]...)
			rest = append(rest, cl[k:]...)
			sum += k
			g.counts.Classes = append(g.counts.Classes, ClassCount{Class: c, Candidates: len(cl), Draw: k})
		}
		if c := min(item.Ratio.Count, len(g.cands)); c > sum {
			g.counts.Extra = c - sum
			slices.SortFunc(rest, byKey)
			g.extra = map[string]bool{}
			for _, e := range rest[:g.counts.Extra] {
				g.extra[e.CreditCode] = true
			}
			g.drawn = append(g.drawn, rest[:g.counts.Extra]...)
		}
		g.counts.Draw = len(g.drawn)
		slices.SortFunc(g.drawn, byKey)

		// Pool, in userid order.
		var pool []*directory.Inspector
		for i := range in.Inspectors.List {
			x := &in.Inspectors.List[i]
			if slices.Contains(g.units, x.Unit) && x.CanExecute(item.ID) {
				pool = append(pool, x)
			}
		}
		slices.SortFunc(pool, func(a, b *directory.Inspector) int { return strings.Compare(a.UserID, b.UserID) })
		g.counts.Inspectors = len(pool)
		if g.counts.Draw > 0 {
			for _, e := range g.cands {
				free := 0
				for _, x := range pool {
					if !x.Avoids(e.CreditCode) {
						free++
					}
				}
				if free < need {
					return nil, false
				}
			}
		}
		asg, _ := refAssign(seed, item.ID, pool, g.drawn, need, true)
		out := Group{GroupCounts: g.counts, Entities: []Drawn{}}
		for k, e := range g.drawn {
			d := Drawn{CreditCode: e.CreditCode, Name: e.Name, District: e.District, Class: classOf(e), Extra: g.extra[e.CreditCode]}
			for _, i := range asg[k] {
				d.Inspectors = append(d.Inspectors, pool[i].UserID)
			}
			out.Entities = append(out.Entities, d)
		}
		res.Groups = append(res.Groups, out)
	}
	return res, true
}

// refAssign is the greedy pass and (if rebalancing) the rebalancing, by
// brute force; it returns pool indices per entity and the loads.
func refAssign(seed Seed, itemID string, pool []*directory.Inspector, drawn []*directory.Entity, need int, rebalancing bool) ([][]int, []int) {
	B := make([]uint64, len(pool))
	for i, x := range pool {
		h := refHash(seed, "inspector", itemID, x.UserID)
		B[i] = binary.BigEndian.Uint64(h[:8])
	}
	load := make([]int, len(pool))
	asg := make([][]int, len(drawn))
	holds := func(k, i int) bool { return slices.Contains(asg[k], i) }
	for k, e := range drawn {
		key := refHash(seed, "entity", itemID, e.CreditCode)
		stream := key[:]
		for t := 1; len(stream) < 8+8*need; t++ {
			h := sha256.Sum256(append(key[:], strconv.Itoa(t)...))
			stream = append(stream, h[:]...)
		}
		for j := range need {
			a := binary.BigEndian.Uint64(stream[8+8*j:])
			best := -1
			for i, x := range pool { // pool is in userid order: the first best wins ties
				if x.Avoids(e.CreditCode) || holds(k, i) {
					continue
				}
				if best < 0 || load[i] < load[best] || load[i] == load[best] && a^B[i] < a^B[best] {
					best = i
				}
			}
			asg[k] = append(asg[k], best)
		}
		for _, i := range asg[k] {
			load[i]++
		}
	}
	for rebalancing {
		levels := slices.Compact(slices.Sorted(slices.Values(load)))
		moved := false
		for li := len(levels) - 1; li >= 0 && !moved && len(levels) > 0 && levels[li] >= levels[0]+2; li-- {
			l := levels[li]
			parent := make([][2]int, len(pool)) // (inspector, entity)
			seen := make([]bool, len(pool))
			var queue []int
			for i := range pool {
				parent[i] = [2]int{-1, -1}
				if load[i] == l {
					queue = append(queue, i)
					seen[i] = true
				}
			}
			end := -1
		bfs:
			for q := 0; q < len(queue); q++ {
				u := queue[q]
				for k := range drawn {
					if !holds(k, u) {
						continue
					}
					for w := range pool {
						if seen[w] || pool[w].Avoids(drawn[k].CreditCode) || holds(k, w) {
							continue
						}
						seen[w], parent[w] = true, [2]int{u, k}
						if load[w] <= l-2 {
							end = w
							break bfs
						}
						queue = append(queue, w)
					}
				}
			}
			if end < 0 {
				continue
			}
			for w := end; parent[w][0] >= 0; {
				u, k := parent[w][0], parent[w][1]
				asg[k][slices.Index(asg[k], u)] = w
				load[u]--
				load[w]++
				w = u
			}
			moved = true
		}
		if !moved {
			break
		}
	}
	return asg, load
}

// refResultHash is Result.Hash from the package comment's description.
func refResultHash(r *Result) string {
	text := "choucha-draw/1\nitem\t" + r.ItemID + "\n"
	for _, g := range r.Groups {
		text += "group\t" + g.Group + "\n"
		for _, d := range g.Entities {
			text += "entity\t" + d.CreditCode + "\t" + string(d.Class) + "\t" + strings.Join(d.Inspectors, ",") + "\n"
		}
	}
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(text)))
}
