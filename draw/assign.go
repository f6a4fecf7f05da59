package draw

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
	"strconv"
)

// assign gives each of g's drawn entities (in draw order)
// InspectorsPerEntity distinct inspectors of g's pool: the greedy pass and
// then the rebalancing of doc.go. It returns pool indices,
// InspectorsPerEntity per entity.
func (s *scope) assign(g *group, drawn []pick, seed Seed) ([]int32, error) {
	n := s.in.Params.InspectorsPerEntity
	list := s.in.Entities.List
	ih := newKeyHasher(seed, "inspector", s.itemID)
	for i := range g.pool {
		sum := ih.sum(g.pool[i].in.UserID)
		g.pool[i].tie = binary.BigEndian.Uint64(sum[:8])
	}
	t := newTieTrie(g.pool)
	load := make([]int32, len(g.pool))
	asg := make([]int32, len(drawn)*n)
	var a []uint64
	for k, c := range drawn {
		var avoid []int32
		if c.avoided { // spares reading the entity and a map lookup for nearly every one
			avoid = g.avoid[list[c.idx].CreditCode]
		}
		for _, i := range avoid {
			t.set(i, excluded)
		}
		a = slotValues(c.key, n, a[:0])
		chosen := asg[k*n : (k+1)*n]
		for j := range chosen {
			i := t.min(a[j])
			if i < 0 {
				return nil, errors.New("draw: pool exhausted") // check() rules this out
			}
			chosen[j] = i
			t.set(i, excluded)
		}
		for _, i := range chosen {
			load[i]++
			t.set(i, load[i])
		}
		for _, i := range avoid {
			t.set(i, load[i])
		}
	}
	if lo, hi := minMax(load); hi-lo > 1 {
		codes := make([]string, len(drawn))
		for k, c := range drawn {
			codes[k] = list[c.idx].CreditCode
		}
		rebalance(load, asg, n, codes, g.avoid)
	}
	return asg, nil
}

// slotValues appends A_0..A_{n-1} for the entity with key k: the words of
// the stream k[8:32] ‖ H(k ‖ "1") ‖ H(k ‖ "2") ‖ … (see doc.go).
func slotValues(k *entityKey, n int, a []uint64) []uint64 {
	a = append(a, k[1:min(n+1, 4)]...)
	if n > 3 {
		var buf [32 + 20]byte
		for w := range k {
			binary.BigEndian.PutUint64(buf[8*w:], k[w])
		}
		for t := 1; len(a) < n; t++ {
			sum := sha256.Sum256(strconv.AppendInt(buf[:32], int64(t), 10))
			for w := 0; w < 4 && len(a) < n; w++ {
				a = append(a, binary.BigEndian.Uint64(sum[8*w:]))
			}
		}
	}
	return a
}

// excluded is the value of an inspector who may not take the current entity.
const excluded = math.MaxInt32

// tieTrie finds, among a pool's inspectors, the one with the least value
// (its load, or excluded) and among those the least A XOR B, ties by pool
// order, in O(depth): a binary trie over the B values, path-compressed,
// whose nodes hold the least value below them.
type tieTrie struct {
	nodes []trieNode
	leaf  []int32 // pool index -> its leaf
}

type trieNode struct {
	left, right, parent int32 // left < 0 for a leaf
	who                 int32 // leaf: pool index
	bit                 int8  // split bit from the top (0..63); -1: equal B values, prefer left
	min                 int32 // least value of the leaves below
}

func newTieTrie(pool []poolSlot) *tieTrie {
	order := make([]int32, len(pool))
	for i := range order {
		order[i] = int32(i)
	}
	// Pool indices are in userid order, so this is (B, userid) order.
	slices.SortFunc(order, func(a, b int32) int {
		if pool[a].tie != pool[b].tie {
			if pool[a].tie < pool[b].tie {
				return -1
			}
			return 1
		}
		return int(a - b)
	})
	t := &tieTrie{nodes: make([]trieNode, 0, 2*len(pool)), leaf: make([]int32, len(pool))}
	t.build(pool, order, -1)
	return t
}

func (t *tieTrie) build(pool []poolSlot, order []int32, parent int32) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, trieNode{left: -1, right: -1, parent: parent})
	if len(order) == 1 {
		t.nodes[id].who = order[0]
		t.leaf[order[0]] = id
		return id
	}
	lo, hi := pool[order[0]].tie, pool[order[len(order)-1]].tie
	bit, mid := int8(-1), len(order)/2
	if x := lo ^ hi; x != 0 {
		b := bits.LeadingZeros64(x)
		bit = int8(b)
		mask := uint64(1) << (63 - b)
		mid, _ = slices.BinarySearchFunc(order, true, func(i int32, _ bool) int {
			if pool[i].tie&mask != 0 {
				return 1
			}
			return -1
		})
	}
	l := t.build(pool, order[:mid], id)
	r := t.build(pool, order[mid:], id)
	t.nodes[id].left, t.nodes[id].right, t.nodes[id].bit = l, r, bit
	t.nodes[id].min = min(t.nodes[l].min, t.nodes[r].min)
	return id
}

// set changes inspector i's value.
func (t *tieTrie) set(i int32, v int32) {
	n := t.leaf[i]
	t.nodes[n].min = v
	for p := t.nodes[n].parent; p >= 0; p = t.nodes[p].parent {
		m := min(t.nodes[t.nodes[p].left].min, t.nodes[t.nodes[p].right].min)
		if t.nodes[p].min == m {
			return
		}
		t.nodes[p].min = m
	}
}

// min is the inspector with the least (value, A XOR B, pool index), or -1
// when every one is excluded.
func (t *tieTrie) min(a uint64) int32 {
	n := int32(0)
	if t.nodes[n].min == excluded {
		return -1
	}
	for t.nodes[n].left >= 0 {
		nd := &t.nodes[n]
		first, second := nd.left, nd.right
		if nd.bit >= 0 && a>>(63-uint(nd.bit))&1 == 1 {
			first, second = second, first
		}
		if t.nodes[first].min == nd.min {
			n = first
		} else {
			n = second
		}
	}
	return t.nodes[n].who
}

func minMax(v []int32) (lo, hi int32) {
	if len(v) == 0 {
		return 0, 0
	}
	return slices.Min(v), slices.Max(v)
}

// rebalance moves assignments along chains until no inspector u can hand
// one entity, through a chain of inspectors each taking over an entity of
// the one before, to an inspector w with load(w) ≤ load(u) − 2 (see doc.go
// for the search order). Such an assignment has the least sum of squared
// loads, so max − min ≤ 1 whenever any assignment achieves it.
func rebalance(load []int32, asg []int32, n int, codes []string, avoid map[string][]int32) {
	p := len(load)
	held := make([][]int32, p) // inspector -> entity positions, ascending
	for k := range codes {
		for _, i := range asg[k*n : (k+1)*n] {
			held[i] = append(held[i], int32(k))
		}
	}
	fromU := make([]int32, p) // BFS parent: the inspector that handed over
	fromK := make([]int32, p) // and the entity it handed over
	var queue, unvisited []int32
	eligible := func(w int32, k int32) bool {
		return !slices.Contains(asg[int(k)*n:int(k+1)*n], w) && !slices.Contains(avoid[codes[k]], w)
	}
	// search looks for a chain from the inspectors with load l to one with
	// load ≤ l−2 and returns its end, or -1.
	search := func(l int32) int32 {
		queue, unvisited = queue[:0], unvisited[:0]
		for i := range p {
			fromU[i] = -1
			if load[i] == l {
				queue = append(queue, int32(i))
			} else {
				unvisited = append(unvisited, int32(i))
			}
		}
		for q := 0; q < len(queue) && len(unvisited) > 0; q++ {
			u := queue[q]
			for _, k := range held[u] {
				keep := unvisited[:0]
				for _, w := range unvisited {
					if !eligible(w, k) {
						keep = append(keep, w)
						continue
					}
					fromU[w], fromK[w] = u, k
					if load[w] <= l-2 {
						return w
					}
					queue = append(queue, w)
				}
				unvisited = keep
				if len(unvisited) == 0 {
					break
				}
			}
		}
		return -1
	}
	for {
		levels := slices.Clone(load)
		slices.Sort(levels)
		levels = slices.Compact(levels)
		end := int32(-1)
		for li := len(levels) - 1; li >= 0 && end < 0 && levels[li] >= levels[0]+2; li-- {
			end = search(levels[li])
		}
		if end < 0 {
			return
		}
		for w := end; fromU[w] >= 0; {
			u, k := fromU[w], fromK[w]
			row := asg[int(k)*n : int(k+1)*n]
			row[slices.Index(row, u)] = w
			held[u] = slices.Delete(held[u], slices.Index(held[u], k), slices.Index(held[u], k)+1)
			at, _ := slices.BinarySearch(held[w], k)
			held[w] = slices.Insert(held[w], at, k)
			load[u]--
			load[w]++
			w = u
		}
	}
}
