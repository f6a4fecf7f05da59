package plan

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// Catalog holds the loaded plans, at most one per year. Its plans can be
// replaced while it is read (Replace, done by Live when a plan is loaded
// in chat): readers see the old list or the new one, never a mix, at the
// cost of one atomic load.
type Catalog struct {
	plans atomic.Pointer[[]*Plan] // sorted by year; never changed once stored
}

// NewCatalog builds a catalog; it refuses no plans, a nil plan, and two
// plans for the same year.
func NewCatalog(plans ...*Plan) (*Catalog, error) {
	c := &Catalog{}
	if err := c.Replace(plans...); err != nil {
		return nil, err
	}
	return c, nil
}

// Replace makes plans the catalog's plans, checked as NewCatalog checks
// them; on error the catalog is unchanged.
func (c *Catalog) Replace(plans ...*Plan) error {
	if len(plans) == 0 {
		return errors.New("plan catalog: no plans")
	}
	list := make([]*Plan, 0, len(plans))
	for _, p := range plans {
		if p == nil {
			return errors.New("plan catalog: nil plan")
		}
		i, dup := slices.BinarySearchFunc(list, p.Year, func(q *Plan, y int) int { return q.Year - y })
		if dup {
			return fmt.Errorf("plan catalog: two plans for %d: %s and %s", p.Year, list[i].Source, p.Source)
		}
		list = slices.Insert(list, i, p)
	}
	c.plans.Store(&list)
	return nil
}

// list is the current plans, sorted by year.
func (c *Catalog) list() []*Plan {
	if c == nil {
		return nil
	}
	if p := c.plans.Load(); p != nil {
		return *p
	}
	return nil
}

// ForYear returns the plan for year y.
func (c *Catalog) ForYear(y int) (*Plan, bool) {
	for _, p := range c.list() {
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
	plans := c.list()
	if len(plans) == 0 {
		return nil
	}
	y := now.Year()
	var best *Plan
	for _, p := range plans {
		if p.Year <= y {
			best = p
		}
	}
	if best == nil {
		best = plans[0]
	}
	return best
}

// Plans returns the plans sorted by year (a copy of the list).
func (c *Catalog) Plans() []*Plan {
	return slices.Clone(c.list())
}
