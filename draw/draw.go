package draw

import (
	"bufio"
	"bytes"
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
	if err := s.outline().Err(); err != nil {
		return nil, err
	}
	list := in.Entities.List
	s.fillKeys(seed)
	slices.SortFunc(s.cands, func(a, b cand) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		// Equal first 8 bytes: compare whole keys (practically never).
		ka, kb := entityKey(seed, s.itemID, list[a.idx].CreditCode), entityKey(seed, s.itemID, list[b.idx].CreditCode)
		return bytes.Compare(ka[:], kb[:])
	})
	for i := 1; i < len(s.cands); i++ {
		a, b := &list[s.cands[i-1].idx], &list[s.cands[i].idx]
		if s.cands[i-1].key == s.cands[i].key && a.CreditCode == b.CreditCode {
			return nil, duplicateEntity(a, b)
		}
	}

	// The class counts take the smallest keys of each class, then Extra
	// the smallest keys left in the group.
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
	drawn := make([][]int32, len(s.groups)) // entity indices in key order
	extra := make([][]bool, len(s.groups))
	for gi, g := range s.groups {
		drawn[gi] = make([]int32, 0, g.counts.Draw)
		extra[gi] = make([]bool, 0, g.counts.Draw)
	}
	for i, c := range s.cands {
		if taken[i] != 0 {
			drawn[c.group] = append(drawn[c.group], c.idx)
			extra[c.group] = append(extra[c.group], taken[i] == byExtra)
		}
	}

	// Groups have disjoint pools, so they are assigned independently.
	asg := make([][]int32, len(s.groups))
	errs := make([]error, len(s.groups))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for gi, g := range s.groups {
		if len(drawn[gi]) == 0 {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			asg[gi], errs[gi] = s.assign(g, drawn[gi], seed)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	n := in.Params.InspectorsPerEntity
	res := &Result{ItemID: s.itemID, Groups: make([]Group, len(s.groups))}
	for gi, g := range s.groups {
		out := Group{GroupCounts: g.counts, Entities: make([]Drawn, len(drawn[gi]))}
		users := make([]string, len(asg[gi]))
		for j, p := range asg[gi] {
			users[j] = g.pool[p].in.UserID
		}
		for k, ei := range drawn[gi] {
			e := &list[ei]
			d := Drawn{CreditCode: e.CreditCode, Name: e.Name, District: e.District, Extra: extra[gi][k],
				Inspectors: users[k*n : (k+1)*n : (k+1)*n]}
			if !s.uniform {
				d.Class = e.Risk
				if d.Class == directory.RiskUnclassified {
					d.Class = in.Params.UnclassifiedAs
				}
			}
			out.Entities[k] = d
		}
		res.Groups[gi] = out
	}
	return res, nil
}

// fillKeys computes the first 8 bytes of every candidate's key, on all CPUs.
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
				part[i].key = binary.BigEndian.Uint64(sum[:8])
			}
		})
	}
	wg.Wait()
}

// keyHasher computes SHA-256(seed ‖ tag ‖ 0 ‖ itemID ‖ 0 ‖ parts joined by 0)
// reusing one buffer.
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

func (h *keyHasher) sum(parts ...string) [32]byte {
	b := h.buf[:h.prefix]
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	h.buf = b
	return sha256.Sum256(b)
}

// entityKey is a candidate's whole sort key.
func entityKey(seed Seed, itemID, code string) [32]byte {
	return newKeyHasher(seed, "entity", itemID).sum(code)
}

// Hash is "sha256:<hex>" of the canonical encoding of r, UTF-8 lines each
// ended by "\n", fields separated by a tab:
//
//	choucha-draw/1
//	item	<item id>
//	group	<group name>                      (one per group, in order)
//	entity	<credit code>	<class>	<userid>,<userid>   (its drawn entities in order)
//
// <class> is empty for a uniform draw; userids are in assignment order.
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
