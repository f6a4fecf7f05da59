package plan

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPlanLookups(t *testing.T) {
	p := loadSeed(t)
	items := []struct {
		id     string
		want   string // item ID found, "" for none
		matter string
	}{
		{"7", "7", "强制性产品认证活动及结果的合规性、有效性的检查"},
		{"15-1", "15-1", "食品相关产品质量安全监管检查"},
		{"15-2", "15-2", "工业产品生产许可资格检查 工业产品生产许可证获证企业条件检查"},
		{"１５－２", "15-2", ""},
		{" 15 - 2 ", "15-2", ""},
		{"7-1", "7", ""},
		{"15", "", ""}, // two items: use Task
		{"12", "", ""}, // no task 12 in the plan
		{"15-3", "", ""},
		{"15-0", "", ""},
		{"7-2", "", ""},
		{"0", "", ""},
		{"-1", "", ""},
		{"", "", ""},
		{"abc", "", ""},
		{"15-", "", ""},
		{"15-+1", "", ""},
	}
	for _, tt := range items {
		it, ok := p.Item(tt.id)
		if ok != (tt.want != "") || ok && it.ID != tt.want || tt.matter != "" && it.Matter != tt.matter {
			t.Errorf("Item(%q) = %+v, %v; want %q", tt.id, it, ok, tt.want)
		}
	}
	if task, ok := p.Task(15); !ok || len(task.Items) != 2 || task.Name != "工业产品生产许可证产品生产企业检查" {
		t.Errorf("Task(15) = %+v, %v", task, ok)
	}
	if _, ok := p.Task(12); ok {
		t.Error("Task(12) found")
	}
	if got := p.Items(); len(got) != 17 || got[13].ID != "15-1" || got[14].Name() != "工业产品生产许可证产品生产企业检查" {
		t.Errorf("Items() = %d items", len(got))
	}
}

func TestCatalog(t *testing.T) {
	seed := loadSeed(t)
	mk := func(year int) *Plan {
		text := strings.Replace(seedText(t), "2023年度", "", -1)
		text = strings.Replace(text, "## 长治市市场监督管理局", "## 长治市市场监督管理局"+strconv.Itoa(year)+"年度", -1)
		p, err := Parse(strconv.Itoa(year)+".txt", strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p2021, p2025 := mk(2021), mk(2025)
	c, err := NewCatalog(p2025, seed, p2021)
	if err != nil {
		t.Fatal(err)
	}
	var years []int
	for _, p := range c.Plans() {
		years = append(years, p.Year)
	}
	if len(years) != 3 || years[0] != 2021 || years[1] != 2023 || years[2] != 2025 {
		t.Errorf("Plans() years = %v", years)
	}
	if p, ok := c.ForYear(2023); !ok || p != seed {
		t.Error("ForYear(2023)")
	}
	if _, ok := c.ForYear(2024); ok {
		t.Error("ForYear(2024) found")
	}
	sh := time.FixedZone("CST", 8*3600)
	for _, tt := range []struct {
		now  time.Time
		want int
	}{
		{time.Date(2023, 3, 15, 9, 0, 0, 0, sh), 2023},
		{time.Date(2024, 6, 1, 0, 0, 0, 0, sh), 2023}, // latest before
		{time.Date(2030, 1, 1, 0, 0, 0, 0, sh), 2025},
		{time.Date(2019, 1, 1, 0, 0, 0, 0, sh), 2021}, // earliest
		// the year is the one of now's location: 2022-12-31 23:00 UTC is 2023 in Shanghai
		{time.Date(2022, 12, 31, 23, 0, 0, 0, time.UTC), 2021},
		{time.Date(2022, 12, 31, 23, 0, 0, 0, time.UTC).In(sh), 2023},
	} {
		if got := c.Current(tt.now); got.Year != tt.want {
			t.Errorf("Current(%v) = %d, want %d", tt.now, got.Year, tt.want)
		}
	}
	if _, err := NewCatalog(seed, mk(2023)); err == nil || !strings.Contains(err.Error(), "two plans for 2023") {
		t.Errorf("duplicate year: %v", err)
	}
	if _, err := NewCatalog(); err == nil {
		t.Error("empty catalog: no error")
	}
	if _, err := NewCatalog(seed, nil); err == nil {
		t.Error("nil plan: no error")
	}
}

func TestLoadCatalogAndExtensions(t *testing.T) {
	c, err := LoadCatalog(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Current(time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC)); p == nil || p.Year != 2023 {
		t.Errorf("Current = %+v", p)
	}
	for _, path := range []string{"plan.xls", "plan.pdf"} {
		if _, err := Load(path); err == nil {
			t.Errorf("Load(%s): no error", path)
		}
	}
	if _, err := Load("no-such-plan.txt"); err == nil || !strings.Contains(err.Error(), "no-such-plan.txt") {
		t.Errorf("missing file: %v", err)
	}
}
