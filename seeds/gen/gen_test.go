package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

// The committed files sit in seeds/, one level up from this package.
const seedsDir = ".."

// TestCommittedFilesAreFresh regenerates with the default seed and wants the
// committed files byte for byte, so they never drift from the generator.
func TestCommittedFilesAreFresh(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir, defaultSeed); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{entitiesFile, inspectorsFile} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(seedsDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("seeds/%s differs from a fresh run: run `go run ./seeds/gen` from the repository root and commit the result", f)
		}
	}
}

func TestOtherSeedDiffers(t *testing.T) {
	a, _ := generate(defaultSeed)
	b, _ := generate(defaultSeed + 1)
	if slices.EqualFunc(a, b, slices.Equal) {
		t.Error("-seed does not change the output")
	}
}

// readCSV reads a committed file as Excel's "CSV UTF-8" and checks its header.
func readCSV(t *testing.T, name string, header []string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(seedsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	b, ok := bytes.CutPrefix(b, []byte("\ufeff"))
	if !ok {
		t.Errorf("%s: no UTF-8 byte-order mark", name)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		t.Fatalf("%s: header %q, want %q", name, rows[0], header)
	}
	return rows[1:]
}

func loadPlan(t *testing.T) *plan.Plan {
	t.Helper()
	f, err := os.Open(filepath.Join(seedsDir, "changzhi-2023-plan.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := plan.Parse(f.Name(), f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// vocabulary knows the default units plus the sections the generator adds.
func vocabulary(t *testing.T) *department.Vocabulary {
	t.Helper()
	secs := slices.Clone(department.DefaultSections)
	for _, s := range sections {
		if !slices.ContainsFunc(secs, func(d department.Section) bool { return d.Name == s.name }) {
			secs = append(secs, department.Section{Name: s.name})
		}
	}
	v, err := department.New(secs, department.DefaultCounties)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// readEntities reads seeds/entities.csv, checking each row's fields.
func readEntities(t *testing.T, p *plan.Plan) []directory.Entity {
	t.Helper()
	risks := map[string]directory.RiskClass{"": directory.RiskUnclassified}
	for _, c := range directory.RiskClasses {
		risks[string(c)], risks[c.Label()] = c, c
	}
	areas := []string{cityCode}
	for _, c := range counties {
		areas = append(areas, c.code)
	}
	seen := map[string]int{}
	var out []directory.Entity
	for i, r := range readCSV(t, entitiesFile, entityHeader) {
		row := i + 2
		e := directory.Entity{CreditCode: r[0], Name: r[1], Items: strings.Split(r[2], ";"), District: r[3],
			Risk: risks[r[4]], Status: directory.Status(r[5]), Address: r[6], Phone: r[7], Industry: r[8], Row: row}
		if !directory.ValidCreditCode(e.CreditCode) || !slices.Contains([]string{"91", "92"}, e.CreditCode[:2]) ||
			!slices.Contains(areas, e.CreditCode[2:8]) {
			t.Errorf("row %d: credit code %s", row, e.CreditCode)
		}
		for _, key := range []string{"code " + e.CreditCode, "name " + e.Name} {
			if prev := seen[key]; prev != 0 {
				t.Errorf("row %d: %s repeats row %d", row, key, prev)
			}
			seen[key] = row
		}
		for j, it := range e.Items {
			if _, ok := p.Item(it); !ok || slices.Contains(e.Items[:j], it) {
				t.Errorf("row %d: 抽查任务 %q", row, r[2])
			}
		}
		if _, ok := risks[r[4]]; !ok {
			t.Errorf("row %d: 信用风险分类 %q", row, r[4])
		}
		if !slices.Contains(department.DefaultCounties, e.District) || e.Name == "" || e.Address == "" || e.Industry == "" {
			t.Errorf("row %d: %q", row, r)
		}
		switch e.Status {
		case directory.StatusExisting, directory.StatusOperating, directory.StatusCancelled,
			directory.StatusRevoked, directory.StatusWithdrawn, directory.StatusMovedOut:
		default:
			t.Errorf("row %d: 登记状态 %q", row, e.Status)
		}
		out = append(out, e)
	}
	return out
}

// readInspectors reads seeds/inspectors.csv; Unit is the canonical unit.
func readInspectors(t *testing.T, p *plan.Plan, v *department.Vocabulary, codes map[string]*directory.Entity) ([]directory.Inspector, map[string]department.Kind) {
	t.Helper()
	var (
		out       []directory.Inspector
		kinds     = map[string]department.Kind{}
		seen      = map[string]int{}
		spellings = map[string]bool{}
		userid    = regexp.MustCompile(`^[a-z]+[0-9]{2}$`)
		badge     = regexp.MustCompile(`^1404[0-9]{7}$`)
		mobile    = regexp.MustCompile(`^1[358][0-9]{9}$`)
	)
	for i, r := range readCSV(t, inspectorsFile, inspectorHeader) {
		row := i + 2
		in := directory.Inspector{Name: r[0], UserID: r[1], BadgeNo: r[2], AllItems: r[4] == "全部", Specialty: r[6], Mobile: r[7], Row: row}
		u, ok := v.Resolve(r[3])
		if !ok || (u.Kind != department.KindSection && u.Kind != department.KindCounty) {
			t.Errorf("row %d: 所属部门 %q", row, r[3])
		}
		in.Unit, kinds[u.Name] = u.Name, u.Kind
		if u.Kind == department.KindCounty {
			spellings[strings.TrimPrefix(r[3], u.Name)] = true
		}
		if !userid.MatchString(in.UserID) || !badge.MatchString(in.BadgeNo) || !mobile.MatchString(in.Mobile) || in.Name == "" || in.Specialty == "" {
			t.Errorf("row %d: %q", row, r)
		}
		for _, key := range []string{"userid " + in.UserID, "badge " + in.BadgeNo, "mobile " + in.Mobile} {
			if prev := seen[key]; prev != 0 {
				t.Errorf("row %d: %s repeats row %d", row, key, prev)
			}
			seen[key] = row
		}
		if !in.AllItems {
			in.Items = strings.Split(r[4], ";")
			for j, it := range in.Items {
				if _, ok := p.Item(it); !ok || slices.Contains(in.Items[:j], it) {
					t.Errorf("row %d: 可执行任务 %q", row, r[4])
				}
			}
		}
		if r[5] != "" {
			in.Avoid = strings.Split(r[5], ";")
		}
		for _, c := range in.Avoid {
			if e := codes[c]; e == nil || (u.Kind == department.KindCounty && e.District != u.Name) {
				t.Errorf("row %d: 回避对象 %s is no entity of %s", row, c, u.Name)
			}
		}
		out = append(out, in)
	}
	if len(spellings) != 3 {
		t.Errorf("county bureaus written %d ways, want 3 (潞州区, 潞州区局, 潞州区市场监督管理局)", len(spellings))
	}
	return out, kinds
}

// within checks that n of total is a share in [lo, hi].
func within(t *testing.T, what string, n, total int, lo, hi float64) {
	t.Helper()
	if f := float64(n) / float64(total); f < lo || f > hi {
		t.Errorf("%s: %d of %d (%.1f%%), want %.0f%%–%.0f%%", what, n, total, 100*f, 100*lo, 100*hi)
	}
}

func TestEntities(t *testing.T) {
	p := loadPlan(t)
	ents := readEntities(t, p)
	if len(ents) < 2000 {
		t.Errorf("%d entities, want at least 2000", len(ents))
	}
	perItem := map[string]int{}       // active entities per item
	perItemCounty := map[string]int{} // active entities per item and county
	perCounty := map[string]int{}
	perRisk := map[directory.RiskClass]int{}
	var multi, inactive, labels int
	for _, e := range ents {
		perCounty[e.District]++
		perRisk[e.Risk]++
		if len(e.Items) > 1 {
			multi++
		}
		if !e.Active() {
			inactive++
			continue
		}
		for _, it := range e.Items {
			perItem[it]++
			perItemCounty[it+" "+e.District]++
		}
	}
	for _, r := range readCSV(t, entitiesFile, entityHeader) {
		if strings.HasSuffix(r[4], "风险") {
			labels++
		}
	}
	for _, it := range p.Items() {
		if perItem[it.ID] == 0 {
			t.Errorf("item %s: no active entity", it.ID)
		}
		if slices.Contains(it.Departments.Initiators, plan.CountyBureaus) {
			for _, c := range department.DefaultCounties {
				if perItemCounty[it.ID+" "+c] == 0 {
					t.Errorf("item %s (drawn by each county bureau): no active entity in %s", it.ID, c)
				}
			}
		}
	}
	if n := perItem["14"]; n > 10 {
		t.Errorf("item 14: %d 建筑钢筋 producers, want few", n)
	}
	for _, c := range department.DefaultCounties {
		if perCounty[c] == 0 {
			t.Errorf("no entity in %s", c)
		}
	}
	if multi == 0 {
		t.Error("no entity falls under two items")
	}
	classified := len(ents) - perRisk[directory.RiskUnclassified]
	within(t, "unclassified", perRisk[directory.RiskUnclassified], len(ents), 0.01, 0.06)
	within(t, "class A", perRisk[directory.RiskA], classified, 0.55, 0.65)
	within(t, "class B", perRisk[directory.RiskB], classified, 0.23, 0.33)
	within(t, "class C", perRisk[directory.RiskC], classified, 0.07, 0.13)
	within(t, "class D", perRisk[directory.RiskD], classified, 0.005, 0.04)
	within(t, "classes written 低风险…", labels, classified, 0.1, 0.4)
	within(t, "inactive", inactive, len(ents), 0.005, 0.04)
}

// TestFeasibility wants every item drawable: each bureau that starts the
// item (every county bureau for 各县区局; the city sections for the city
// bureau, with the lead section itself) has three officers who may execute
// it, and every active entity in scope keeps two of them after 回避.
func TestFeasibility(t *testing.T) {
	p := loadPlan(t)
	ents := readEntities(t, p)
	codes := map[string]*directory.Entity{}
	for i := range ents {
		codes[ents[i].CreditCode] = &ents[i]
	}
	insps, kinds := readInspectors(t, p, vocabulary(t), codes)
	if len(insps) < 60 {
		t.Errorf("%d inspectors, want at least 60", len(insps))
	}
	for _, c := range department.DefaultCounties {
		if kinds[c] != department.KindCounty {
			t.Errorf("no inspector of %s", c)
		}
	}
	for _, name := range []string{"计量科", "消保科", "特种设备安全监察科"} {
		if kinds[name] != department.KindSection {
			t.Errorf("no inspector of %s", name)
		}
	}
	// pool returns the officers of the bureau starting item it for an entity in district.
	pool := func(it *plan.Item, district string) []directory.Inspector {
		var out []directory.Inspector
		for _, in := range insps {
			city := kinds[in.Unit] == department.KindSection && slices.Contains(it.Departments.Initiators, plan.CityBureau)
			county := in.Unit == district && slices.Contains(it.Departments.Initiators, plan.CountyBureaus)
			if (city || county) && in.CanExecute(it.ID) {
				out = append(out, in)
			}
		}
		return out
	}
	for _, it := range p.Items() {
		if len(it.Departments.Initiators) == 0 {
			t.Errorf("item %s: plan names no initiator", it.ID)
		}
		for _, s := range it.Departments.Sections {
			if s.Role != "牵头" {
				continue
			}
			n := 0
			for _, in := range pool(it, "") {
				if in.Unit == s.Name {
					n++
				}
			}
			if n < 3 {
				t.Errorf("item %s: lead section %s has %d officers who may execute it, want 3", it.ID, s.Name, n)
			}
		}
		for _, c := range department.DefaultCounties {
			if n := len(pool(it, c)); n < 3 {
				t.Errorf("item %s, %s: %d officers of the initiating bureau may execute it, want 3", it.ID, c, n)
			}
		}
	}
	for _, e := range ents {
		if !e.Active() {
			continue
		}
		for _, id := range e.Items {
			it, _ := p.Item(id)
			n := 0
			for _, in := range pool(it, e.District) {
				if !in.Avoids(e.CreditCode) {
					n++
				}
			}
			if n < 2 {
				t.Errorf("row %d %s, item %s: %d officers left after 回避, want 2", e.Row, e.Name, id, n)
			}
		}
	}
}
