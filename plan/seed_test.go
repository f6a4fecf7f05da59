package plan

import (
	"path/filepath"
	"testing"
)

var seedPath = filepath.Join("..", "seeds", "changzhi-2023-plan.txt")

func loadSeed(t testing.TB) *Plan {
	t.Helper()
	p, err := Load(seedPath)
	if err != nil {
		t.Fatalf("Load(%s): %v", seedPath, err)
	}
	return p
}

func TestLoadSeedShape(t *testing.T) {
	p := loadSeed(t)
	if p.Year != 2023 || p.Bureau != "长治市市场监督管理局" {
		t.Fatalf("year/bureau = %d/%q", p.Year, p.Bureau)
	}
	var ids []string
	for _, it := range p.Items() {
		ids = append(ids, it.ID)
	}
	want := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "13", "14", "15-1", "15-2", "16", "17"}
	if len(ids) != len(want) {
		t.Fatalf("items %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("items %v, want %v", ids, want)
		}
	}
}
