package plan

import "testing"

func seedItem(t *testing.T, p *Plan, id string) *Item {
	t.Helper()
	it, ok := p.Item(id)
	if !ok {
		t.Fatalf("no item %s", id)
	}
	return it
}

func TestDepartmentText(t *testing.T) {
	p := loadSeed(t)
	for _, tc := range []struct {
		item, county, want string
	}{
		{"1", "潞州区", "潞州区市场监督管理局（计量科指导）"}, // 各地组织发起/计量科指导
		{"9", "沁县", "沁县市场监督管理局（消保科指导）"},   // 各县区局发起/消保科指导
		{"13", "武乡县", "武乡县市场监督管理局"},       // 各县、区市场监管局
		{"17", "市市场监督管理局", "市市场监督管理局（特种设备安全监察科牵头）"},
		{"2", "市市场监督管理局", "市市场监督管理局（计量科牵头）"},
		{"11", "市市场监督管理局", "市市场监督管理局"}, // 市市场监管局 市市场监管局
		{"1", "", "各县区局（计量科指导）"},
	} {
		if got := seedItem(t, p, tc.item).Departments.Text(tc.county); got != tc.want {
			t.Errorf("item %s in %s: %q, want %q", tc.item, tc.county, got, tc.want)
		}
	}
	two := Departments{Initiators: []string{CityBureau, CountyBureaus}, Sections: []Section{{Name: "计量科", Role: RoleLead}, {Name: "消保科", Role: RoleGuide}}}
	if got, want := two.Text("沁县"), "市市场监督管理局、沁县市场监督管理局（计量科牵头、消保科指导）"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got := (Departments{Raw: "某部门"}).Text("沁县"); got != "某部门" {
		t.Errorf("raw: %q", got)
	}
}
