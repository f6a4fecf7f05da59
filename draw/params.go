package draw

import (
	"errors"
	"fmt"
	"slices"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
)

// Params is everything besides the item, the two directories and the seed
// that decides a draw. It is recorded with every draw, so a re-run never
// depends on today's configuration.
type Params struct {
	// Multipliers scale the base ratio for risk classes A, B, C and D, in
	// hundredths (100 = ×1, 150 = ×1.5). They are used only for items whose
	// plan asks for risk-differentiated draws. They must not decrease and A
	// must be at least 100, so that no class, and hence the whole item,
	// is drawn below the plan's ratio.
	Multipliers [4]int `json:"multipliers"`
	// UnclassifiedAs is the class entities without a risk class are drawn in.
	UnclassifiedAs directory.RiskClass `json:"unclassified_as"`
	// InspectorsPerEntity is how many distinct inspectors each drawn entity
	// gets: at least two (行政处罚法 第42条).
	InspectorsPerEntity int `json:"inspectors_per_entity"`
	// Counties are the county and district bureaus in configured order:
	// the groups of items started by 各县区局.
	Counties []string `json:"counties"`
	// Sections are the city bureau's sections with their other names: they
	// resolve the plan's lead sections and form the pool of city items.
	Sections []department.Section `json:"sections"`
}

// maxMultiplier bounds the multipliers (×1000) so that the integer
// arithmetic of quotas cannot overflow.
const maxMultiplier = 100000

// clone copies p's lists, so that a record does not share them with the
// caller's configuration.
func (p Params) clone() Params {
	c := p
	c.Counties = slices.Clone(p.Counties)
	c.Sections = make([]department.Section, len(p.Sections))
	for i, s := range p.Sections {
		c.Sections[i] = department.Section{Name: s.Name, Aliases: slices.Clone(s.Aliases)}
	}
	return c
}

// DefaultParams are ×1, ×1.5, ×2 and ×3 for classes A to D (the plan's ratio
// is class A's, and a high-risk entity is three times as likely to be drawn
// as a low-risk one), unclassified entities drawn as class B (一般风险),
// two inspectors per entity, and 长治市's units.
func DefaultParams() Params {
	return Params{
		Multipliers:         [4]int{100, 150, 200, 300},
		UnclassifiedAs:      directory.RiskB,
		InspectorsPerEntity: 2,
		Counties:            department.DefaultCounties,
		Sections:            department.DefaultSections,
	}.clone()
}

// Validate reports every problem with p at once.
func (p Params) Validate() error {
	var errs []error
	if p.Multipliers[0] < 100 {
		errs = append(errs, fmt.Errorf("draw params: multiplier of class A is %d, below 100 (×1): the draw would fall below the plan's ratio", p.Multipliers[0]))
	}
	for i, m := range p.Multipliers {
		if m > maxMultiplier {
			errs = append(errs, fmt.Errorf("draw params: multiplier of class %s is %d, above %d", directory.RiskClasses[i], m, maxMultiplier))
		}
		if i > 0 && m < p.Multipliers[i-1] {
			errs = append(errs, fmt.Errorf("draw params: multipliers must not decrease with risk: class %s has %d, class %s %d",
				directory.RiskClasses[i], m, directory.RiskClasses[i-1], p.Multipliers[i-1]))
		}
	}
	if classIndex(p.UnclassifiedAs) < 0 {
		errs = append(errs, fmt.Errorf("draw params: unclassified_as is %q, want one of A, B, C, D", p.UnclassifiedAs))
	}
	if p.InspectorsPerEntity < 2 {
		errs = append(errs, fmt.Errorf("draw params: inspectors_per_entity is %d, want at least 2 (行政处罚法 第42条)", p.InspectorsPerEntity))
	}
	if len(p.Counties) == 0 {
		errs = append(errs, errors.New("draw params: no counties"))
	}
	for i, c := range p.Counties {
		if slices.Contains(p.Counties[:i], c) {
			errs = append(errs, fmt.Errorf("draw params: county %q listed twice", c))
		}
	}
	if _, err := p.vocabulary(); err != nil {
		errs = append(errs, fmt.Errorf("draw params: %w", err))
	}
	return errors.Join(errs...)
}

// vocabulary resolves the plan's section names with p's units.
func (p Params) vocabulary() (*department.Vocabulary, error) {
	return department.New(p.Sections, p.Counties)
}

// classIndex is 0..3 for A..D and -1 otherwise.
func classIndex(c directory.RiskClass) int {
	for i, rc := range directory.RiskClasses {
		if c == rc {
			return i
		}
	}
	return -1
}
