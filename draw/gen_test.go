package draw

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

// world is one randomly generated draw input.
type world struct {
	in      Input
	percent string // the ratio as the plan writes it, for the exact oracle
}

// ratios are plan ratios as written; "" means only an explicit count.
var ratios = []string{"", "0.5", "1", "2", "5", "7", "10", "20", "30", "33.3", "100"}

var itemIDs = []string{"1", "8", "9", "15-2"}

// creditCode makes a valid 统一社会信用代码 from a number.
func creditCode(n int) string {
	first := fmt.Sprintf("91140%012d", n)
	d, _ := directory.CreditCheckDigit(first)
	return first + string(d)
}

type genOpts struct {
	maxEntities, maxInspectors int
	avoidance                  bool // inspectors may have 回避对象
}

func genWorld(r *rand.Rand, o genOpts) world {
	p := DefaultParams()
	// A few counties, in a random configured order.
	counties := slices.Clone(department.DefaultCounties)
	r.Shuffle(len(counties), func(i, j int) { counties[i], counties[j] = counties[j], counties[i] })
	p.Counties = counties[:1+r.IntN(4)]
	m := 100
	for i := range p.Multipliers {
		p.Multipliers[i] = m
		m += []int{0, 25, 50, 100, 300}[r.IntN(5)]
	}
	p.UnclassifiedAs = directory.RiskClasses[r.IntN(4)]
	p.InspectorsPerEntity = []int{2, 2, 2, 2, 3, 4, 5}[r.IntN(7)]

	id := itemIDs[r.IntN(len(itemIDs))]
	pct := ratios[r.IntN(len(ratios))]
	item := &plan.Item{ID: id}
	if pct != "" {
		f, _ := new(big.Rat).SetString(pct)
		item.Ratio.Percent, _ = f.Float64()
	}
	if pct == "" || r.IntN(4) == 0 {
		item.Ratio.Count = 1 + r.IntN(15)
	}
	item.Risk.Differentiated = r.IntN(2) == 0
	switch r.IntN(4) {
	case 0:
		item.Departments = plan.Departments{Initiators: []string{plan.CountyBureaus}, Sections: []plan.Section{{Name: "消保科", Role: plan.RoleGuide}}}
	case 1:
		item.Departments = plan.Departments{Initiators: []string{plan.CountyBureaus}}
	case 2: // a lead section, written as an alias half the time
		item.Departments = plan.Departments{Initiators: []string{plan.CityBureau},
			Sections: []plan.Section{{Name: []string{"特种设备安全监察科", "特设科"}[r.IntN(2)], Role: plan.RoleLead}, {Name: "计量科", Role: plan.RoleGuide}}}
	default:
		item.Departments = plan.Departments{Initiators: []string{plan.CityBureau}}
	}

	statuses := []directory.Status{directory.StatusExisting, directory.StatusOperating, directory.StatusExisting, directory.StatusOperating, directory.StatusCancelled, directory.StatusRevoked, directory.StatusWithdrawn, directory.StatusMovedOut}
	risks := []directory.RiskClass{directory.RiskA, directory.RiskB, directory.RiskC, directory.RiskD, directory.RiskUnclassified}
	ents := &directory.Entities{Meta: directory.Meta{Hash: fmt.Sprintf("sha256:ents%d", r.Uint64())}}
	n := r.IntN(o.maxEntities + 1)
	for i := range n {
		var items []string
		for _, it := range itemIDs {
			if it == id && r.IntN(10) < 7 || it != id && r.IntN(3) == 0 {
				items = append(items, it)
			}
		}
		ents.List = append(ents.List, directory.Entity{
			CreditCode: creditCode(r.IntN(1e9)*1000 + i), // unique
			Name:       fmt.Sprintf("企业%d", i),
			Items:      items,
			District:   p.Counties[r.IntN(len(p.Counties))],
			Risk:       risks[r.IntN(len(risks))],
			Status:     statuses[r.IntN(len(statuses))],
			Row:        i + 2,
		})
	}

	units := append(slices.Clone(p.Counties), department.City, "计量科", "消保科", "特种设备安全监察科")
	insp := &directory.Inspectors{Meta: directory.Meta{Hash: fmt.Sprintf("sha256:insp%d", r.Uint64())}}
	m = r.IntN(o.maxInspectors + 1)
	for i := range m {
		in := directory.Inspector{Name: fmt.Sprintf("检查员%d", i), UserID: fmt.Sprintf("u%03d%03d", r.IntN(1000), i), Unit: units[r.IntN(len(units))], Row: i + 2}
		if r.IntN(3) == 0 {
			in.AllItems = true
		} else {
			for _, it := range itemIDs {
				if r.IntN(3) > 0 {
					in.Items = append(in.Items, it)
				}
			}
		}
		if o.avoidance && len(ents.List) > 0 && r.IntN(3) == 0 {
			for range 1 + r.IntN(6) {
				in.Avoid = append(in.Avoid, ents.List[r.IntN(len(ents.List))].CreditCode)
			}
		}
		insp.List = append(insp.List, in)
	}
	return world{in: Input{Item: item, Entities: ents, Inspectors: insp, Params: p}, percent: pct}
}

// shuffled is w with every list in another order: entities, inspectors,
// their items and avoidances.
func shuffled(r *rand.Rand, in Input) Input {
	ents := &directory.Entities{Meta: in.Entities.Meta, List: slices.Clone(in.Entities.List)}
	r.Shuffle(len(ents.List), func(i, j int) { ents.List[i], ents.List[j] = ents.List[j], ents.List[i] })
	for i := range ents.List {
		e := &ents.List[i]
		e.Items = slices.Clone(e.Items)
		r.Shuffle(len(e.Items), func(i, j int) { e.Items[i], e.Items[j] = e.Items[j], e.Items[i] })
	}
	insp := &directory.Inspectors{Meta: in.Inspectors.Meta, List: slices.Clone(in.Inspectors.List)}
	r.Shuffle(len(insp.List), func(i, j int) { insp.List[i], insp.List[j] = insp.List[j], insp.List[i] })
	for i := range insp.List {
		x := &insp.List[i]
		x.Items, x.Avoid = slices.Clone(x.Items), slices.Clone(x.Avoid)
		r.Shuffle(len(x.Items), func(i, j int) { x.Items[i], x.Items[j] = x.Items[j], x.Items[i] })
		r.Shuffle(len(x.Avoid), func(i, j int) { x.Avoid[i], x.Avoid[j] = x.Avoid[j], x.Avoid[i] })
	}
	return Input{Item: in.Item, Entities: ents, Inspectors: insp, Params: in.Params}
}

func seedFrom(r *rand.Rand) Seed {
	var s Seed
	for i := range s {
		s[i] = byte(r.Uint32())
	}
	return s
}
