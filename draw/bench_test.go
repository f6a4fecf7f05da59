package draw

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

// bigInput is 1,000,000 active entities, all in scope of the item, spread
// over the 12 counties and the four classes (and some unclassified), and
// 5,000 inspectors who may execute it, some with an avoidance. perCounty
// chooses an item started by 各县区局 (12 pools of about 417) or a city
// item (one pool of 5,000).
func bigInput(perCounty bool) Input {
	const entities, inspectors = 1_000_000, 5_000
	r := rand.New(rand.NewPCG(9, 10))
	counties := department.DefaultCounties
	item := &plan.Item{ID: "9", Ratio: plan.Ratio{Percent: 30}, Risk: plan.Risk{Differentiated: true},
		Departments: plan.Departments{Initiators: []string{plan.CityBureau}}}
	if perCounty {
		item.Departments.Initiators = []string{plan.CountyBureaus}
	}
	items := []string{"9"} // shared: the entities only read it
	risks := []directory.RiskClass{"A", "B", "C", "D", ""}
	ents := &directory.Entities{Meta: directory.Meta{Hash: "sha256:bench-entities"}, List: make([]directory.Entity, entities)}
	for i := range ents.List {
		ents.List[i] = directory.Entity{CreditCode: creditCode(i), Name: fmt.Sprintf("企业%d", i), Items: items,
			District: counties[r.IntN(len(counties))], Risk: risks[r.IntN(len(risks))], Status: directory.StatusExisting, Row: i + 2}
	}
	insp := &directory.Inspectors{Meta: directory.Meta{Hash: "sha256:bench-inspectors"}, List: make([]directory.Inspector, inspectors)}
	units := []string{"计量科", "消保科", "特种设备安全监察科", department.City}
	for i := range insp.List {
		unit := counties[i%len(counties)]
		if !perCounty {
			unit = units[i%len(units)]
		}
		x := directory.Inspector{Name: fmt.Sprintf("检查员%d", i), UserID: fmt.Sprintf("user%05d", i), Unit: unit, AllItems: true}
		if i%10 == 0 {
			x.Avoid = []string{creditCode(r.IntN(entities)), creditCode(r.IntN(entities))}
		}
		insp.List[i] = x
	}
	return Input{Item: item, Entities: ents, Inspectors: insp, Params: DefaultParams()}
}

// BenchmarkDraw1M is a whole draw: 1,000,000 candidates of an item started
// by 各县区局 at 30% with the default multipliers (about 560,000 drawn) and
// 5,000 inspectors in 12 county pools, two per entity.
func BenchmarkDraw1M(b *testing.B) {
	benchDraw(b, bigInput(true))
}

// BenchmarkDraw1MCity is the same for a city item: one pool of 5,000.
func BenchmarkDraw1MCity(b *testing.B) {
	benchDraw(b, bigInput(false))
}

func benchDraw(b *testing.B, in Input) {
	b.ReportAllocs()
	drawn := 0
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		res, err := Draw(in, Seed{byte(i)})
		if err != nil {
			b.Fatal(err)
		}
		drawn = 0
		for _, g := range res.Groups {
			drawn += len(g.Entities)
		}
	}
	b.ReportMetric(float64(drawn), "drawn/op")
	// CPU time per draw on all cores: the wall time depends on what else runs.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}
