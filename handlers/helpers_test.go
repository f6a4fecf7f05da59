package handlers

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/plan"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// seedCatalog loads the real 2023 seed plan.
func seedCatalog(tb testing.TB) *plan.Catalog {
	tb.Helper()
	p, err := plan.Load("../seeds/changzhi-2023-plan.txt")
	if err != nil {
		tb.Fatalf("load seed plan: %v", err)
	}
	c, err := plan.NewCatalog(p)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func day(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02", s, shanghai)
	if err != nil {
		tb.Fatal(err)
	}
	return t.Add(9 * time.Hour)
}

// discardLogger is for tests and benchmarks that want no logs.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
