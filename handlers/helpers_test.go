package handlers

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/plan/plantest"
)

var shanghai = plantest.Shanghai

// seedCatalog loads the real 2023 seed plan.
func seedCatalog(tb testing.TB) *plan.Catalog { return plantest.Seed(tb) }

func day(tb testing.TB, s string) time.Time { return plantest.Day(tb, s) }

// discardLogger is for tests and benchmarks that want no logs.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
