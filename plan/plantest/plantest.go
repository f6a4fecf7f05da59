// Package plantest gives tests the real 2023 seed plan and dates in the
// bot's zone, so every package's tests read the same plan the same way.
package plantest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/plan"
)

// Shanghai is the bot's default zone.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// SeedPath is the seed plan's path, found from the working directory up to
// the module root.
func SeedPath(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "seeds", "changzhi-2023-plan.txt")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("plantest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Seed loads the real 2023 seed plan into a catalog.
func Seed(tb testing.TB) *plan.Catalog {
	tb.Helper()
	p, err := plan.Load(SeedPath(tb))
	if err != nil {
		tb.Fatalf("load seed plan: %v", err)
	}
	c, err := plan.NewCatalog(p)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Day is 09:00 of the date s (2006-01-02) in Asia/Shanghai.
func Day(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02", s, Shanghai)
	if err != nil {
		tb.Fatal(err)
	}
	return t.Add(9 * time.Hour)
}
