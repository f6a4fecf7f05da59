package draw

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

// Input is what a draw is computed from, besides the seed.
type Input struct {
	Item       *plan.Item
	Entities   *directory.Entities
	Inspectors *directory.Inspectors
	Params     Params
}

// Outline is what a draw of an item will take, known before the seed
// exists: per group and risk class the candidates and how many are drawn,
// and the size of each group's inspector pool. Problems lists what makes
// the draw impossible; it does not depend on the seed, so a failed draw is
// never retried with another seed in the hope of a better one.
type Outline struct {
	ItemID string `json:"item"`
	// Differentiated: the item draws each risk class at its own ratio.
	Differentiated bool          `json:"differentiated"`
	Groups         []GroupCounts `json:"groups"`
	Problems       []Problem     `json:"problems,omitempty"`
}

// Err is nil when the draw can be made, else an *InfeasibleError.
func (p *Outline) Err() error {
	if len(p.Problems) == 0 {
		return nil
	}
	return &InfeasibleError{ItemID: p.ItemID, Problems: p.Problems}
}

// GroupCounts describes one group of a draw: a county or district for items
// started by 各县区局, the city bureau otherwise.
type GroupCounts struct {
	Group string `json:"group"` // county/district name, or 市市场监督管理局
	// Units are the inspector units (所属部门) the group's pool comes from.
	Units      []string     `json:"units"`
	Inspectors int          `json:"inspectors"` // pool size: in Units and able to execute the item
	Candidates int          `json:"candidates"` // active entities in scope
	Classes    []ClassCount `json:"classes"`
	// Extra is how many are drawn beyond the class counts to reach the
	// plan's explicit count (e.g. 10户).
	Extra int `json:"extra"`
	Draw  int `json:"draw"` // total drawn: the sum of the class counts plus Extra
}

// ClassCount is one risk class of a group. For a uniform draw there is one
// ClassCount with an empty Class, standing for all classes.
type ClassCount struct {
	Class      directory.RiskClass `json:"class"`
	Candidates int                 `json:"candidates"`
	Draw       int                 `json:"draw"`
}

// Preview computes the counts and checks feasibility without a seed. The
// error is for unusable input (bad parameters, an item without a ratio, an
// entity of an unknown county, a userid or credit code used twice);
// infeasibility is reported in Outline.Problems.
func Preview(in Input) (*Outline, error) {
	s, err := prepare(in)
	if err != nil {
		return nil, err
	}
	// Draw finds duplicates as equal keys; the preview has no keys.
	seen := make(map[string]int32, len(s.cands))
	for _, c := range s.cands {
		e := &in.Entities.List[c.idx]
		if first, dup := seen[e.CreditCode]; dup {
			return nil, duplicateEntity(e, &in.Entities.List[first])
		}
		seen[e.CreditCode] = c.idx
	}
	return s.outline(), nil
}

// scope is an Input resolved into groups, candidates, quotas and pools.
type scope struct {
	in       Input
	itemID   string
	uniform  bool
	groups   []*group
	cands    []cand // in input order until Draw sorts them by key
	problems []Problem
}

// group is one group of a draw while it is computed.
type group struct {
	counts GroupCounts
	label  string     // how messages name the pool: 沁县局, 计量科
	n      [4]int     // candidates per class (index 0 only for a uniform draw)
	quota  [4]int     // to draw per class
	pool   []poolSlot // sorted by userid
	// avoid maps a credit code to the pool members who must not check it.
	avoid map[string][]int32
}

// cand is one candidate entity: its index in Entities.List, its class
// index (0 for a uniform draw), its group, whether some pool member avoids
// it (set by check) and, in Draw, its key. The key travels with it so that nothing after
// the sort reads the entity list at random.
type cand struct {
	key     entityKey
	idx     int32
	group   int16
	class   int8
	avoided bool
}

// entityKey is a candidate's key, read as four big-endian words so that it
// compares as numbers.
type entityKey [4]uint64

func (k *entityKey) cmp(o *entityKey) int {
	for i := range k {
		if k[i] != o[i] {
			if k[i] < o[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

type poolSlot struct {
	in  *directory.Inspector
	tie uint64 // B: see doc.go
}

func prepare(in Input) (*scope, error) {
	if in.Item == nil || in.Entities == nil || in.Inspectors == nil {
		return nil, errors.New("draw: item, entities and inspectors are required")
	}
	if err := in.Params.Validate(); err != nil {
		return nil, err
	}
	ppm, err := ratioPPM(in.Item)
	if err != nil {
		return nil, err
	}
	s := &scope{in: in, itemID: in.Item.ID, uniform: !in.Item.Risk.Differentiated}
	unitGroup, err := s.makeGroups()
	if err != nil {
		return nil, err
	}
	if err := s.collectCandidates(unitGroup); err != nil {
		return nil, err
	}
	if err := s.collectPools(unitGroup); err != nil {
		return nil, err
	}
	for _, g := range s.groups {
		s.count(g, ppm, in.Item.Ratio.Count)
	}
	s.check()
	return s, nil
}

// makeGroups makes the groups and maps each pool unit to its group.
func (s *scope) makeGroups() (map[string]int, error) {
	unitGroup := map[string]int{}
	if s.perCounty() {
		for i, c := range s.in.Params.Counties {
			s.groups = append(s.groups, &group{counts: GroupCounts{Group: c, Units: []string{c}}, label: c + "局"})
			unitGroup[c] = i
		}
		return unitGroup, nil
	}
	units, label, err := cityUnits(s.in.Item, s.in.Params)
	if err != nil {
		return nil, err
	}
	s.groups = []*group{{counts: GroupCounts{Group: department.City, Units: units}, label: label}}
	for _, u := range units {
		unitGroup[u] = 0
	}
	return unitGroup, nil
}

// perCounty reports whether the item is drawn per county or district.
func (s *scope) perCounty() bool {
	return slices.Contains(s.in.Item.Departments.Initiators, plan.CountyBureaus)
}

// collectCandidates finds the active entities in scope with their group
// (a county's is the one named after it) and class.
func (s *scope) collectCandidates(unitGroup map[string]int) error {
	list := s.in.Entities.List
	if len(list) > math.MaxInt32 {
		return errors.New("draw: too many entities")
	}
	perCounty := s.perCounty()
	s.cands = make([]cand, 0, len(list))
	for i := range list {
		e := &list[i]
		if !e.Active() || !e.InScope(s.itemID) {
			continue
		}
		gi := 0
		if perCounty {
			var ok bool
			if gi, ok = unitGroup[e.District]; !ok {
				return fmt.Errorf("%w：检查对象 %s %s（第%d行）的所属区县「%s」不是已配置的县区", ErrInput, e.CreditCode, e.Name, e.Row, e.District)
			}
		}
		class := 0
		if !s.uniform {
			rc := e.Risk
			if rc == directory.RiskUnclassified {
				rc = s.in.Params.UnclassifiedAs
			}
			if class = classIndex(rc); class < 0 {
				return fmt.Errorf("%w：检查对象 %s %s（第%d行）的信用风险分类「%s」无法识别", ErrInput, e.CreditCode, e.Name, e.Row, e.Risk)
			}
		}
		s.cands = append(s.cands, cand{idx: int32(i), class: int8(class), group: int16(gi)})
		s.groups[gi].n[class]++
	}
	return nil
}

// collectPools puts each inspector of a pool unit who may execute the item
// into its group's pool, in userid order, and indexes their avoidances.
func (s *scope) collectPools(unitGroup map[string]int) error {
	seenUser := map[string]*directory.Inspector{}
	for i := range s.in.Inspectors.List {
		ins := &s.in.Inspectors.List[i]
		gi, ok := unitGroup[ins.Unit]
		if !ok || !ins.CanExecute(s.itemID) {
			continue
		}
		if err := checkUserID(ins); err != nil {
			return err
		}
		if o, dup := seenUser[ins.UserID]; dup {
			return fmt.Errorf("%w：检查人员 %s（第%d行）与 %s（第%d行）的企业微信账号都是 %s", ErrInput, ins.Name, ins.Row, o.Name, o.Row, ins.UserID)
		}
		seenUser[ins.UserID] = ins
		s.groups[gi].pool = append(s.groups[gi].pool, poolSlot{in: ins})
	}
	for _, g := range s.groups {
		slices.SortFunc(g.pool, func(a, b poolSlot) int { return strings.Compare(a.in.UserID, b.in.UserID) })
		g.counts.Inspectors = len(g.pool)
		for j, ps := range g.pool {
			for _, code := range uniqueStrings(ps.in.Avoid) {
				if g.avoid == nil {
					g.avoid = map[string][]int32{}
				}
				g.avoid[code] = append(g.avoid[code], int32(j))
			}
		}
	}
	return nil
}

// count fills the class counts, Extra and Draw of g.
func (s *scope) count(g *group, ppm int64, explicit int) {
	classes := directory.RiskClasses
	if s.uniform {
		classes = []directory.RiskClass{""}
	}
	sum := 0
	for i, rc := range classes {
		mult := int64(100)
		if !s.uniform {
			mult = int64(s.in.Params.Multipliers[i])
		}
		g.quota[i] = quota(g.n[i], ppm, mult)
		sum += g.quota[i]
		g.counts.Candidates += g.n[i]
		g.counts.Classes = append(g.counts.Classes, ClassCount{Class: rc, Candidates: g.n[i], Draw: g.quota[i]})
	}
	if need := min(explicit, g.counts.Candidates); need > sum {
		g.counts.Extra = need - sum
	}
	g.counts.Draw = sum + g.counts.Extra
}

// check records the problems that would stop the draw: a pool smaller than
// each entity needs, or a candidate whom too few of its pool may check.
// Every candidate is checked, drawn or not, so that feasibility does not
// depend on the seed.
func (s *scope) check() {
	need := s.in.Params.InspectorsPerEntity
	perGroup := make([][]Problem, len(s.groups))
	scan := false // whether any group needs its candidates checked
	for gi, g := range s.groups {
		switch {
		case g.counts.Draw == 0:
		case len(g.pool) < need:
			perGroup[gi] = []Problem{{Group: g.counts.Group, Pool: g.label, ItemID: s.itemID, Available: len(g.pool), Needed: need}}
		default:
			scan = scan || len(g.avoid) > 0
		}
	}
	if scan {
		for i := range s.cands {
			c := &s.cands[i]
			g := s.groups[c.group]
			if g.counts.Draw == 0 || len(g.pool) < need || len(g.avoid) == 0 {
				continue
			}
			e := &s.in.Entities.List[c.idx]
			avoiders := len(g.avoid[e.CreditCode])
			c.avoided = avoiders > 0
			if left := len(g.pool) - avoiders; left < need {
				perGroup[c.group] = append(perGroup[c.group], Problem{Group: g.counts.Group, Pool: g.label, ItemID: s.itemID,
					CreditCode: e.CreditCode, Name: e.Name, Available: left, Needed: need})
			}
		}
	}
	for _, ps := range perGroup {
		slices.SortFunc(ps, func(a, b Problem) int { return strings.Compare(a.CreditCode, b.CreditCode) })
		s.problems = append(s.problems, ps...)
	}
}

func (s *scope) outline() *Outline {
	p := &Outline{ItemID: s.itemID, Differentiated: !s.uniform, Problems: s.problems}
	for _, g := range s.groups {
		p.Groups = append(p.Groups, g.counts)
	}
	return p
}

// cityUnits are the units of a city item's pool and how messages name it:
// the lead sections when the plan names any, else every section and the
// bureau itself. Guiding sections (指导) guide; they do not inspect.
func cityUnits(item *plan.Item, p Params) ([]string, string, error) {
	v, err := p.vocabulary()
	if err != nil {
		return nil, "", err
	}
	var leads []string
	for _, sec := range item.Departments.Sections {
		if sec.Role != plan.RoleLead {
			continue
		}
		u, ok := v.Resolve(sec.Name)
		if !ok || u.Kind != department.KindSection {
			return nil, "", fmt.Errorf("%w：任务%s 的牵头科室「%s」不是已配置的科室", ErrInput, item.ID, sec.Name)
		}
		if !slices.Contains(leads, u.Name) {
			leads = append(leads, u.Name)
		}
	}
	if len(leads) > 0 {
		return leads, strings.Join(leads, "、"), nil
	}
	return append(v.Sections(), department.City), department.City + "各科室", nil
}

// ratioPPM is the item's base ratio in millionths (5% = 50000), so that
// quotas are computed with integers: 30% of 10 is exactly 3.
func ratioPPM(item *plan.Item) (int64, error) {
	r := item.Ratio
	ppm := math.Round(r.Percent * 1e4)
	switch {
	case r.Percent < 0 || r.Percent > 100 || math.IsNaN(r.Percent):
		return 0, fmt.Errorf("%w：任务%s 的抽查比例 %v%% 不在 0–100%% 之间", ErrInput, item.ID, r.Percent)
	case math.Abs(ppm/1e4-r.Percent) > 1e-9 || (r.Percent > 0 && ppm == 0):
		return 0, fmt.Errorf("%w：任务%s 的抽查比例 %v%% 精确到 0.0001%% 以内才能抽取", ErrInput, item.ID, r.Percent)
	case r.Count < 0:
		return 0, fmt.Errorf("%w：任务%s 的抽查户数 %d 为负", ErrInput, item.ID, r.Count)
	case ppm == 0 && r.Count == 0:
		return 0, fmt.Errorf("%w：任务%s 没有抽查比例或户数", ErrInput, item.ID)
	}
	return int64(ppm), nil
}

// quota is ceil(n × ppm × mult / 10^8) capped at n: the base ratio in
// millionths times the multiplier in hundredths.
func quota(n int, ppm, mult int64) int {
	r := ppm * mult // at most 10^6 × 10^5
	if r >= 1e8 {
		return n
	}
	return int((int64(n)*r + 1e8 - 1) / 1e8)
}

// checkUserID refuses userids that the result's canonical encoding could not
// keep apart (see Result.Hash).
func checkUserID(ins *directory.Inspector) error {
	if ins.UserID == "" || strings.ContainsAny(ins.UserID, ", \t\r\n\x00") {
		return fmt.Errorf("%w：检查人员 %s（第%d行）的企业微信账号「%s」为空或含有空白、逗号", ErrInput, ins.Name, ins.Row, ins.UserID)
	}
	return nil
}

func duplicateEntity(a, b *directory.Entity) error {
	ra, rb := min(a.Row, b.Row), max(a.Row, b.Row)
	return fmt.Errorf("%w：统一社会信用代码 %s 在检查对象名录中出现了两次（第%d行、第%d行）", ErrInput, a.CreditCode, ra, rb)
}

func uniqueStrings(s []string) []string {
	if len(s) < 2 {
		return s
	}
	u := slices.Clone(s)
	slices.Sort(u)
	return slices.Compact(u)
}
