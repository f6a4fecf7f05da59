package draw

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

func loadPlanItem(t *testing.T, id string) *plan.Item {
	t.Helper()
	p, err := plan.Load("../seeds/changzhi-2023-plan.txt")
	if err != nil {
		t.Fatal(err)
	}
	it, ok := p.Item(id)
	if !ok {
		t.Fatalf("no item %s", id)
	}
	return it
}

// entitiesOf makes n active entities of item in district, classes cycling
// through A, B, C, D and unclassified.
func entitiesOf(item string, district string, n, from int) []directory.Entity {
	classes := []directory.RiskClass{"A", "B", "C", "D", ""}
	var out []directory.Entity
	for i := range n {
		out = append(out, directory.Entity{CreditCode: creditCode(from + i), Name: fmt.Sprintf("%s企业%d", district, i),
			Items: []string{item}, District: district, Risk: classes[i%5], Status: directory.StatusExisting, Row: from + i + 2})
	}
	return out
}

func inspectorsOf(unit string, n int, items ...string) []directory.Inspector {
	var out []directory.Inspector
	for i := range n {
		out = append(out, directory.Inspector{Name: fmt.Sprintf("%s%d", unit, i), UserID: fmt.Sprintf("%s-%d", unit, i), Unit: unit, Items: items, AllItems: len(items) == 0})
	}
	return out
}

// The 2023 plan's own items: counts, groups and pools.
func TestPreview2023Plan(t *testing.T) {
	t.Run("item 9: per county, 消保科 only guides", func(t *testing.T) {
		ents := append(entitiesOf("9", "潞州区", 10, 0), entitiesOf("9", "沁县", 3, 100)...)
		insp := append(inspectorsOf("潞州区", 3, "9"), inspectorsOf("沁县", 1, "9")...)
		insp = append(insp, inspectorsOf("沁县", 2, "8")...) // may not execute 9
		insp = append(insp, inspectorsOf("消保科", 5)...)     // guides, does not inspect
		in := Input{Item: loadPlanItem(t, "9"), Entities: &directory.Entities{List: ents}, Inspectors: &directory.Inspectors{List: insp}, Params: DefaultParams()}
		o, err := Preview(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Groups) != 12 || o.Groups[0].Group != "潞州区" {
			t.Fatalf("groups %+v", o.Groups)
		}
		// 30% with ×1, ×1.5, ×2, ×3 of 2A, 4B (2 + 2 unclassified), 2C, 2D: 1, 2, 2, 2.
		lz := o.Groups[0]
		if lz.Candidates != 10 || lz.Draw != 7 || lz.Inspectors != 3 || fmt.Sprint(lz.Classes) != "[{A 2 1} {B 4 2} {C 2 2} {D 2 2}]" {
			t.Fatalf("潞州区 %+v", lz)
		}
		want := "任务9 无法抽取：沁县局 可执行任务9 的检查人员只有1名（至少需要2名）"
		if err := o.Err(); err == nil || err.Error() != want {
			t.Fatalf("err %v, want %s", err, want)
		}
		res, err := Draw(in, Seed{1})
		var ie *InfeasibleError
		if res != nil || !errors.As(err, &ie) || err.Error() != want {
			t.Fatalf("draw: %v, %v", res, err)
		}
	})
	t.Run("item 4: 5% (10户) is a minimum", func(t *testing.T) {
		item := loadPlanItem(t, "4")
		ents := entitiesOf("4", "潞州区", 60, 0)
		in := Input{Item: item, Entities: &directory.Entities{List: ents}, Inspectors: &directory.Inspectors{List: inspectorsOf("计量科", 4)}, Params: DefaultParams()}
		res, err := Draw(in, Seed{2})
		if err != nil {
			t.Fatal(err)
		}
		g := res.Groups[0]
		// 12 A, 24 B (with the unclassified), 12 C, 12 D:
		// ⌈0.6⌉ + ⌈1.8⌉ + ⌈1.2⌉ + ⌈1.8⌉ = 1 + 2 + 2 + 2 = 7, so 3 extra.
		if g.Group != "市市场监督管理局" || g.Draw != 10 || g.Extra != 3 || len(g.Entities) != 10 {
			t.Fatalf("group %+v", g.GroupCounts)
		}
		var want []string
		for _, s := range department.DefaultSections {
			want = append(want, s.Name)
		}
		want = append(want, department.City)
		if !slices.Equal(g.Units, want) { // every section and the bureau itself: no lead section named
			t.Fatalf("units %v, want %v", g.Units, want)
		}
	})
	t.Run("item 17: the lead section's pool", func(t *testing.T) {
		item := loadPlanItem(t, "17")
		in := Input{Item: item, Entities: &directory.Entities{List: entitiesOf("17", "潞州区", 5, 0)},
			Inspectors: &directory.Inspectors{List: inspectorsOf("计量科", 4)}, Params: DefaultParams()}
		_, err := Draw(in, Seed{3})
		if want := "任务17 无法抽取：特种设备安全监察科 可执行任务17 的检查人员只有0名（至少需要2名）"; err == nil || err.Error() != want {
			t.Fatalf("err %v, want %s", err, want)
		}
	})
	t.Run("item 15-2: uniform, 30% of 10 is 3", func(t *testing.T) {
		in := Input{Item: loadPlanItem(t, "15-2"), Entities: &directory.Entities{List: entitiesOf("15-2", "沁源县", 10, 0)},
			Inspectors: &directory.Inspectors{List: inspectorsOf("消保科", 2)}, Params: DefaultParams()}
		res, err := Draw(in, Seed{4})
		if err != nil {
			t.Fatal(err)
		}
		g := res.Groups[0]
		if g.Draw != 3 || fmt.Sprint(g.Classes) != "[{ 10 3}]" || g.Entities[0].Class != "" {
			t.Fatalf("group %+v", g)
		}
	})
}

func TestAvoidanceProblem(t *testing.T) {
	item := &plan.Item{ID: "8", Ratio: plan.Ratio{Percent: 30}, Departments: plan.Departments{Initiators: []string{plan.CityBureau}}}
	ents := entitiesOf("8", "潞州区", 10, 0)
	ents[7].Name = "某某公司"
	insp := inspectorsOf("消保科", 3, "8")
	insp[0].Avoid = []string{ents[7].CreditCode}
	insp[2].Avoid = []string{ents[7].CreditCode, ents[7].CreditCode, ents[3].CreditCode}
	in := Input{Item: item, Entities: &directory.Entities{List: ents}, Inspectors: &directory.Inspectors{List: insp}, Params: DefaultParams()}
	res, err := Draw(in, Seed{})
	want := "任务8 无法抽取：" + ents[7].CreditCode + " 某某公司：回避后可执行任务8的检查人员只有1名（至少需要2名）"
	if res != nil || err == nil || err.Error() != want {
		t.Fatalf("got %v, %v\nwant %s", res, err, want)
	}
	// Many problems: the message lists ten and the count.
	avoidAll := func() {
		for i := range insp {
			insp[i].Avoid = nil
			for _, e := range in.Entities.List {
				insp[i].Avoid = append(insp[i].Avoid, e.CreditCode)
			}
		}
		insp[0].Avoid = nil
	}
	avoidAll()
	_, err = Draw(in, Seed{})
	var ie *InfeasibleError
	if !errors.As(err, &ie) || len(ie.Problems) != 10 || strings.Contains(err.Error(), "……") {
		t.Fatalf("%v", err)
	}
	in.Entities.List = append(in.Entities.List, entitiesOf("8", "潞州区", 1, 50)...)
	avoidAll()
	if _, err = Draw(in, Seed{}); err == nil || !strings.HasSuffix(err.Error(), "……共11项") {
		t.Fatalf("%v", err)
	}
}

func TestInputErrors(t *testing.T) {
	base := func() Input {
		return Input{
			Item:       &plan.Item{ID: "9", Ratio: plan.Ratio{Percent: 30}, Departments: plan.Departments{Initiators: []string{plan.CountyBureaus}}},
			Entities:   &directory.Entities{List: entitiesOf("9", "潞州区", 5, 0)},
			Inspectors: &directory.Inspectors{List: inspectorsOf("潞州区", 3)},
			Params:     DefaultParams(),
		}
	}
	for _, c := range []struct {
		name   string
		change func(in *Input)
		want   string
	}{
		{"duplicate credit code", func(in *Input) {
			in.Entities.List[3].CreditCode = in.Entities.List[1].CreditCode
		}, "在检查对象名录中出现了两次（第3行、第5行）"},
		{"unknown district", func(in *Input) { in.Entities.List[2].District = "长治县" }, "所属区县「长治县」不是已配置的县区"},
		{"unknown lead", func(in *Input) {
			in.Item.Departments = plan.Departments{Initiators: []string{plan.CityBureau}, Sections: []plan.Section{{Name: "法规科", Role: plan.RoleLead}}}
		}, "任务9 的牵头科室「法规科」不是已配置的科室"},
		{"userid twice", func(in *Input) { in.Inspectors.List[2].UserID = in.Inspectors.List[0].UserID }, "的企业微信账号都是 潞州区-0"},
		{"userid with a comma", func(in *Input) { in.Inspectors.List[1].UserID = "a,b" }, "企业微信账号「a,b」为空或含有空白、逗号"},
		{"no ratio", func(in *Input) { in.Item.Ratio = plan.Ratio{} }, "任务9 没有抽查比例或户数"},
		{"inexact ratio", func(in *Input) { in.Item.Ratio.Percent = 1.23456789 }, "精确到 0.0001% 以内"},
		{"bad params", func(in *Input) { in.Params.InspectorsPerEntity = 1 }, "inspectors_per_entity is 1, want at least 2"},
	} {
		in := base()
		c.change(&in)
		_, derr := Draw(in, Seed{})
		_, perr := Preview(in)
		for _, err := range []error{derr, perr} {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want …%s…", c.name, err, c.want)
			}
		}
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.Multipliers = [4]int{90, 150, 120, 200000}
	p.UnclassifiedAs = "E"
	p.InspectorsPerEntity = 0
	p.Counties = append(p.Counties, "沁县")
	err := p.Validate()
	for _, want := range []string{"class A is 90", "class C has 120, class B 150", "class D is 200000", `unclassified_as is "E"`, "inspectors_per_entity is 0", `county "沁县" listed twice`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: want …%s…", err, want)
		}
	}
}
