package plan

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Catalog holds the loaded plans, at most one per year.
type Catalog struct {
	plans []*Plan // sorted by year
}

// NewCatalog builds a catalog; it refuses no plans, a nil plan, and two
// plans for the same year.
func NewCatalog(plans ...*Plan) (*Catalog, error) {
	if len(plans) == 0 {
		return nil, errors.New("plan catalog: no plans")
	}
	c := &Catalog{plans: make([]*Plan, 0, len(plans))}
	for _, p := range plans {
		if p == nil {
			return nil, errors.New("plan catalog: nil plan")
		}
		if o, dup := c.ForYear(p.Year); dup {
			return nil, fmt.Errorf("plan catalog: two plans for %d: %s and %s", p.Year, o.Source, p.Source)
		}
		i, _ := slices.BinarySearchFunc(c.plans, p.Year, func(q *Plan, y int) int { return q.Year - y })
		c.plans = slices.Insert(c.plans, i, p)
	}
	return c, nil
}

// ForYear returns the plan for year y.
func (c *Catalog) ForYear(y int) (*Plan, bool) {
	for _, p := range c.plans {
		if p.Year == y {
			return p, true
		}
	}
	return nil, false
}

// Current returns the plan to answer from at now: the plan of now's year
// (now.Year() in now's location, so pass Asia/Shanghai time), else the
// latest plan before it, else the earliest plan. Compare the result's Year
// with now's to tell users which year's plan an answer is based on.
func (c *Catalog) Current(now time.Time) *Plan {
	if c == nil || len(c.plans) == 0 {
		return nil
	}
	y := now.Year()
	var best *Plan
	for _, p := range c.plans {
		if p.Year <= y {
			best = p
		}
	}
	if best == nil {
		best = c.plans[0]
	}
	return best
}

// Plans returns the plans sorted by year (a copy of the list).
func (c *Catalog) Plans() []*Plan {
	return slices.Clone(c.plans)
}
