package scheduler

import (
	"context"
	"testing"

	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
)

// With a Catalog the reminder job reads the plans at every run: a plan
// loaded in chat after start is reminded of from the next run on.
func TestRemindersFollowTheLiveCatalog(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	seed := remindertest.Seed2023()
	cat, err := plan.NewCatalog(seed)
	if err != nil {
		t.Fatal(err)
	}
	cfg := remindertest.Config()
	rules, err := reminder.NewRules(remindertest.OptionsOf(cfg, remindertest.CountyBureaus), loc)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReminders(RemindersOptions{
		Redis: rdb, Prefix: "live:", Sender: newSender(), Catalog: cat,
		Rules: rules, Workdays: cal, Config: cfg, Log: quietLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := at(day("2026-03-16"), 10)
	records := func() int {
		t.Helper()
		recs, err := r.Records(ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	if _, err := r.RunReminders(ctx, now); err != nil {
		t.Fatal(err)
	}
	if n := records(); n != 0 {
		t.Fatalf("%d reminders of 2026 with no 2026 plan", n)
	}

	next := *seed
	next.Year = 2026
	if err := cat.Replace(seed, &next); err != nil {
		t.Fatal(err)
	}
	res, err := r.RunReminders(ctx, now.Add(1))
	if err != nil {
		t.Fatal(err)
	}
	if n := records(); n == 0 {
		t.Fatalf("no reminders of the 2026 plan loaded after start (run: %s)", res)
	}
}
