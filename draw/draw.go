package draw

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/changzhi-amr/choucha/directory"
)

// Result is the outcome of one draw: per group the drawn entities in draw
// order with their inspectors.
type Result struct {
	ItemID string  `json:"item"`
	Groups []Group `json:"groups"`
}

// Group is one group's counts and its drawn entities in draw order (by key).
type Group struct {
	GroupCounts
	Entities []Drawn `json:"entities"`
}

// Drawn is one drawn entity.
type Drawn struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	District   string `json:"district"`
	// Class is the risk class the entity was drawn in (unclassified ones in
	// Params.UnclassifiedAs); empty for a uniform draw, where classes play
	// no part. Risk classes are for admins only.
	Class directory.RiskClass `json:"class"`
	// Extra: drawn beyond the class counts, to reach the plan's explicit count.
	Extra bool `json:"extra,omitempty"`
	// Inspectors are the userids in the order they were assigned.
	Inspectors []string `json:"inspectors"`
}

// Draw makes the draw for in with seed. It fails with an *InfeasibleError
// exactly when Preview reports problems, and with ErrInput for unusable
// input; it never returns part of a result.
func Draw(in Input, seed Seed) (*Result, error) {
	s, err := prepare(in)
	if err != nil {
		return nil, err
	}
	s.fillKeys(seed)
	if err := s.sortByKey(); err != nil {
		return nil, err // a duplicate, which Preview reports too
	}
	if err := s.outline().Err(); err != nil {
		return nil, err
	}
	picks := s.pick()

	// Groups have disjoint pools, so they are assigned independently.
	res := &Result{ItemID: s.itemID, Groups: make([]Group, len(s.groups))}
	errs := make([]error, len(s.groups))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for gi := range s.groups {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res.Groups[gi], errs[gi] = s.drawGroup(s.groups[gi], picks[gi], seed)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// sortByKey puts the candidates in key order and refuses a credit code that
// occurs twice (its keys are equal). Keys are uniform, so a counting sort on
// their top 16 bits leaves buckets of a few candidates to sort.
func (s *scope) sortByKey() error {
	cmp := func(a, b cand) int { return a.key.cmp(&b.key) }
	if len(s.cands) < 1<<12 {
		slices.SortFunc(s.cands, cmp)
	} else {
		const shift = 64 - 16
		start := make([]int, 1<<16+1)
		for i := range s.cands {
			start[s.cands[i].key[0]>>shift+1]++
		}
		for b := 1; b < len(start); b++ {
			start[b] += start[b-1]
		}
		sorted := make([]cand, len(s.cands))
		next := slices.Clone(start[:1<<16])
		for i := range s.cands {
			b := s.cands[i].key[0] >> shift
			sorted[next[b]] = s.cands[i]
			next[b]++
		}
		for b := range 1 << 16 {
			if bucket := sorted[start[b]:start[b+1]]; len(bucket) > 1 {
				slices.SortFunc(bucket, cmp)
			}
		}
		s.cands = sorted
	}
	list := s.in.Entities.List
	for i := 1; i < len(s.cands); i++ {
		if s.cands[i-1].key == s.cands[i].key {
			return duplicateEntity(&list[s.cands[i-1].idx], &list[s.cands[i].idx])
		}
	}
	return nil
}

// pick is one drawn entity while its group is assigned.
type pick struct {
	key     *entityKey
	idx     int32 // in Entities.List
	extra   bool  // drawn to reach the explicit count
	avoided bool  // some pool member avoids it
}

// pick takes, in each group, the smallest keys of each class up to its
// count, then the extra from the smallest keys left; it returns each
// group's drawn entities in key order. The candidates are in key order.
func (s *scope) pick() [][]pick {
	const (
		byQuota = 1
		byExtra = 2
	)
	taken := make([]byte, len(s.cands))
	got := make([][4]int, len(s.groups))
	extraLeft := make([]int, len(s.groups))
	anyExtra := false
	for gi, g := range s.groups {
		extraLeft[gi] = g.counts.Extra
		anyExtra = anyExtra || g.counts.Extra > 0
	}
	for i, c := range s.cands {
		if got[c.group][c.class] < s.groups[c.group].quota[c.class] {
			got[c.group][c.class]++
			taken[i] = byQuota
		}
	}
	if anyExtra {
		for i, c := range s.cands {
			if taken[i] == 0 && extraLeft[c.group] > 0 {
				extraLeft[c.group]--
				taken[i] = byExtra
			}
		}
	}
	picks := make([][]pick, len(s.groups))
	for gi, g := range s.groups {
		picks[gi] = make([]pick, 0, g.counts.Draw)
	}
	for i := range s.cands {
		if c := &s.cands[i]; taken[i] != 0 {
			picks[c.group] = append(picks[c.group], pick{key: &c.key, idx: c.idx, extra: taken[i] == byExtra, avoided: c.avoided})
		}
	}
	return picks
}

// drawGroup assigns the inspectors of one group and builds its result.
func (s *scope) drawGroup(g *group, picks []pick, seed Seed) (Group, error) {
	out := Group{GroupCounts: g.counts, Entities: make([]Drawn, len(picks))}
	if len(picks) == 0 {
		return out, nil
	}
	asg, err := s.assign(g, picks, seed)
	if err != nil {
		return out, err
	}
	n := s.in.Params.InspectorsPerEntity
	users := make([]string, len(asg))
	for j, p := range asg {
		users[j] = g.pool[p].in.UserID
	}
	list := s.in.Entities.List
	for k, p := range picks {
		e := &list[p.idx]
		d := &out.Entities[k]
		d.CreditCode, d.Name, d.District, d.Extra = e.CreditCode, e.Name, e.District, p.extra
		d.Inspectors = users[k*n : (k+1)*n : (k+1)*n]
		if !s.uniform {
			d.Class = e.Risk
			if d.Class == directory.RiskUnclassified {
				d.Class = s.in.Params.UnclassifiedAs
			}
		}
	}
	return out, nil
}

// fillKeys computes every candidate's key, on all CPUs.
func (s *scope) fillKeys(seed Seed) {
	list := s.in.Entities.List
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(s.cands) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(s.cands); lo += chunk {
		part := s.cands[lo:min(lo+chunk, len(s.cands))]
		wg.Go(func() {
			h := newKeyHasher(seed, "entity", s.itemID)
			for i := range part {
				sum := h.sum(list[part[i].idx].CreditCode)
				for w := range part[i].key {
					part[i].key[w] = binary.BigEndian.Uint64(sum[8*w:])
				}
			}
		})
	}
	wg.Wait()
}

// keyHasher computes SHA-256(seed ‖ tag ‖ 0 ‖ itemID ‖ 0 ‖ text) reusing
// one buffer.
type keyHasher struct {
	buf    []byte
	prefix int
}

func newKeyHasher(seed Seed, tag, itemID string) *keyHasher {
	buf := make([]byte, 0, 128)
	buf = append(buf, seed[:]...)
	buf = append(buf, tag...)
	buf = append(buf, 0)
	buf = append(buf, itemID...)
	buf = append(buf, 0)
	return &keyHasher{buf: buf, prefix: len(buf)}
}

func (h *keyHasher) sum(text string) [32]byte {
	h.buf = append(h.buf[:h.prefix], text...)
	return sha256.Sum256(h.buf)
}

// Hash is "sha256:<hex>" of the canonical text of r given in the package
// comment: the item, each group's name and each drawn entity's credit code,
// class and userids, in order. Names and counts are left out: they follow
// from the snapshot.
func (r *Result) Hash() string {
	h := sha256.New()
	r.encode(h)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func (r *Result) encode(h hash.Hash) {
	w := bufio.NewWriter(h)
	fmt.Fprintf(w, "%s\nitem\t%s\n", Algorithm, r.ItemID)
	for _, g := range r.Groups {
		fmt.Fprintf(w, "group\t%s\n", g.Group)
		for _, d := range g.Entities {
			fmt.Fprintf(w, "entity\t%s\t%s\t%s\n", d.CreditCode, d.Class, strings.Join(d.Inspectors, ","))
		}
	}
	w.Flush() // writes to a hash cannot fail
}
