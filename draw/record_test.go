package draw

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

// feasibleWorld generates worlds until one draws at least one entity.
func feasibleWorld(t *testing.T, r *rand.Rand) (world, Seed, *Result) {
	t.Helper()
	for range 1000 {
		w := genWorld(r, genOpts{maxEntities: 80, maxInspectors: 30, avoidance: true})
		seed := seedFrom(r)
		res, err := Draw(w.in, seed)
		if err == nil && slices.ContainsFunc(res.Groups, func(g Group) bool { return len(g.Entities) > 0 }) {
			return w, seed, res
		}
	}
	t.Fatal("no feasible world")
	return world{}, Seed{}, nil
}

func TestRecordRoundTripAndVerify(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	shanghai := time.FixedZone("CST", 8*3600)
	seedless := 0
	for range 50 {
		w, seed, res := feasibleWorld(t, r)
		rec := NewRecord("d1", "admin1", time.Date(2023, 3, 1, 9, 30, 0, 0, shanghai), 2023, w.in, seed, res)
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var back Record
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !back.At.Equal(rec.At) {
			t.Fatalf("at %v, want %v", back.At, rec.At)
		}
		back.At = rec.At
		if !reflect.DeepEqual(&back, rec) {
			t.Fatalf("record does not round-trip:\n%s\n%s", mustJSON(t, &back), b)
		}
		if !strings.Contains(string(b), `"seed":"`+seed.String()+`"`) {
			t.Fatalf("seed not stored as hex: %s", b)
		}
		if err := Verify(&back, w.in.Item, w.in.Entities, shuffled(r, w.in).Inspectors); err != nil {
			t.Fatalf("verify: %v", err)
		}
		checkTampering(t, r, w, &back, &seedless)
	}
	t.Logf("%d of 50 draws did not depend on the seed", seedless)
	if seedless > 10 {
		t.Fatalf("%d of 50 draws did not depend on the seed", seedless)
	}
}

// checkTampering changes one thing at a time and expects Verify to notice.
func checkTampering(t *testing.T, r *rand.Rand, w world, rec *Record, seedless *int) {
	t.Helper()
	clone := func() *Record {
		var c Record
		b, _ := json.Marshal(rec)
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	firstDrawn := func(c *Record) *Drawn {
		for gi := range c.Result.Groups {
			if len(c.Result.Groups[gi].Entities) > 0 {
				return &c.Result.Groups[gi].Entities[0]
			}
		}
		return nil
	}
	item, ents, insp := w.in.Item, w.in.Entities, w.in.Inspectors
	cases := []struct {
		name   string
		change func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors)
	}{
		{"seed", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			c.Seed[r.IntN(32)] ^= 1 << r.IntN(8)
			return item, ents, insp
		}},
		{"inspector, hash kept", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			d := firstDrawn(c)
			d.Inspectors[0] = "someone-else"
			return item, ents, insp
		}},
		{"inspector, hash recomputed", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			d := firstDrawn(c)
			d.Inspectors[0] = "someone-else"
			c.ResultHash = c.Result.Hash()
			return item, ents, insp
		}},
		{"entity dropped, hash recomputed", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			for gi := range c.Result.Groups {
				if g := &c.Result.Groups[gi]; len(g.Entities) > 0 {
					g.Entities = g.Entities[1:]
					break
				}
			}
			c.ResultHash = c.Result.Hash()
			return item, ents, insp
		}},
		{"name", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			firstDrawn(c).Name += "（改）"
			return item, ents, insp
		}},
		{"entities snapshot hash", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			c.EntitiesHash = "sha256:0000"
			return item, ents, insp
		}},
		{"inspectors snapshot hash", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			other := *insp
			other.Hash = "sha256:1111"
			return item, ents, &other
		}},
		{"params", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			c.Params.InspectorsPerEntity++
			return item, ents, insp
		}},
		{"algorithm", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			c.Algorithm = "choucha-draw/0"
			return item, ents, insp
		}},
		{"item", func(c *Record) (*plan.Item, *directory.Entities, *directory.Inspectors) {
			other := *item
			other.ID = "99"
			return &other, ents, insp
		}},
	}
	for _, tc := range cases {
		c := clone()
		i, e, s := tc.change(c)
		if tc.name == "seed" {
			// A draw that takes everyone with a pool of exactly the
			// inspectors needed has the same result under every seed.
			if res, err := Draw(w.in, c.Seed); err == nil && res.Hash() == rec.ResultHash {
				*seedless++
				continue
			}
		}
		err := Verify(c, i, e, s)
		if !errors.Is(err, ErrMismatch) {
			t.Fatalf("tampered %s: Verify says %v", tc.name, err)
		}
	}
}

func TestOverlaps(t *testing.T) {
	rec := func(item string, codes ...string) *Record {
		g := Group{}
		for _, c := range codes {
			g.Entities = append(g.Entities, Drawn{CreditCode: c, Name: "名" + c})
		}
		return &Record{ItemID: item, Result: &Result{ItemID: item, Groups: []Group{g}}}
	}
	got := Overlaps([]*Record{
		rec("8", "C", "A", "B"),
		rec("9", "B", "D"),
		rec("8", "A"), // the same item again counts once
		rec("15-2", "A", "E"),
		nil,
	})
	want := []Overlap{
		{CreditCode: "A", Name: "名A", Items: []string{"8", "15-2"}},
		{CreditCode: "B", Name: "名B", Items: []string{"8", "9"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("overlaps %+v, want %+v", got, want)
	}
	if Overlaps(nil) != nil {
		t.Fatal("overlaps of nothing")
	}
}

func TestSeed(t *testing.T) {
	a, err := NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSeed()
	if a == b || a == (Seed{}) {
		t.Fatal("seeds are not random")
	}
	back, err := ParseSeed(a.String())
	if err != nil || back != a || len(a.String()) != 64 {
		t.Fatalf("parse %s: %v %v", a, back, err)
	}
	for _, bad := range []string{"", "00", strings.Repeat("g", 64), strings.Repeat("0", 66)} {
		if _, err := ParseSeed(bad); err == nil {
			t.Errorf("ParseSeed(%q) accepted", bad)
		}
	}
}
