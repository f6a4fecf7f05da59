package scheduler

import (
	"context"
	"fmt"
	"testing"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store/keys"
)

type nopSender struct{}

func (nopSender) Send(context.Context, reply.Message) error { return nil }

// BenchmarkRunReminders is one busy day's run (2023-03-01) for a plan of 500
// items and 200 departments: compute, claim, send (no-op sender), record.
func BenchmarkRunReminders(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client(b)
	ctx := context.Background()
	p, opts := remindertest.Generated(2023, 500, 200)
	cfg := config.Reminders{CatchUpDays: 3}
	rules, err := reminder.NewRules(opts, loc)
	if err != nil {
		b.Fatal(err)
	}
	now := at(day("2023-03-01"), 9)
	var res RunResult
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		prefix := fmt.Sprintf("bench%d:", i)
		rdb.Set(ctx, keys.New(prefix).Reminders()+"done:2023", "2023-02-28", 0)
		r, err := NewReminders(RemindersOptions{Redis: rdb, Prefix: prefix, Sender: nopSender{}, Plans: []*plan.Plan{p},
			Rules: rules, Workdays: cal, Config: cfg, Log: quietLog})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if res, err = r.RunReminders(ctx, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Sent), "reminders/run")
}
