package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// fanoutPlan is a plan whose windows all open in March, each item initiated
// by 各县区局, with depts county bureaus mapped to one member each: items ×
// depts "opens" reminders fall on 2023-03-01, ten per member (under WeCom's
// per-member limit, so pacing per member is not what is measured).
func fanoutPlan(items, depts int) (*plan.Plan, config.Reminders, reminder.Options) {
	p := &plan.Plan{Title: "扇出基准计划", Year: 2023}
	for i := range items {
		t := &plan.Task{Serial: i + 1, Name: fmt.Sprintf("扇出任务%d", i+1)}
		t.Items = []*plan.Item{{
			ID: fmt.Sprint(i + 1), Serial: i + 1, Index: 1, Task: t, Matter: "基准抽查事项",
			Window:      plan.Window{StartMonth: 3, EndMonth: 12, Raw: "3月-12月"},
			Departments: plan.Departments{Initiators: []string{plan.CountyBureaus}},
		}}
		p.Tasks = append(p.Tasks, t)
	}
	cfg := config.Reminders{CatchUpDays: 3, Recipients: map[string]config.Recipient{}}
	var counties []string
	for i := range depts {
		name := fmt.Sprintf("县区局%04d", i+1)
		counties = append(counties, name)
		cfg.Recipients[name] = config.Recipient{Users: []string{fmt.Sprintf("head%04d", i+1)}}
	}
	return p, cfg, remindertest.OptionsOf(cfg, counties)
}

// BenchmarkReminderFanout10k is the daily job on a day with 10,000
// reminders (10 items opening × 1,000 departments): RunReminders claims and
// hands each to the outbox, whose workers deliver through the WeCom client
// to the fake WeCom while one message/send call in five answers 45009. Every
// reminder must arrive exactly once. Reported: msgs/s from the start of the
// run to the last delivery, the run's own time (claim, enqueue, record),
// the 45009s served, and, separately, the daily computation
// (reminder.Calendar for one busy day of a 500-item, 200-department plan;
// target under 100 ms). Corp-wide pacing is raised to 1,000,000/min: at the
// default 9,000/min the outbox holds a 10k fan-out to 150 msgs/s by design.
//
//	go test ./scheduler -run '^$' -bench ReminderFanout10k -benchtime 1x
func BenchmarkReminderFanout10k(b *testing.B) {
	for _, workers := range []int{4, 16} {
		for _, every := range []int{5, 1 << 30} {
			name := fmt.Sprintf("workers=%d/45009=1in%d", workers, every)
			if every == 1<<30 {
				name = fmt.Sprintf("workers=%d/45009=none", workers)
			}
			b.Run(name, func(b *testing.B) { benchFanout(b, workers, every) })
		}
	}
}

func benchFanout(b *testing.B, workers, faultEvery int) {
	const items, depts = 10, 1000
	const n = items * depts
	p, cfg, opts := fanoutPlan(items, depts)
	all, err := reminder.NewRules(opts, zone)
	if err != nil {
		b.Fatal(err)
	}
	// Only the "opens" row, so the first run (which walks from the previous
	// November) has exactly today's 10,000 to send and no missed ones to record.
	rules := *all
	rules.Rules = nil
	for _, r := range all.Rules {
		if r.Kind == reminder.Opens {
			rules.Rules = append(rules.Rules, r)
		}
	}
	day := civil("2023-03-01")
	if got := len(reminder.Calendar(p, &rules, workdays, day, day, "")); got != n {
		b.Fatalf("the plan has %d reminders on %s, want %d", got, day.Format(time.DateOnly), n)
	}

	// The daily computation, for the plan size.
	big, bigCfg := remindertest.Generated(2023, 500, 200)
	bigRules, err := reminder.NewRules(bigCfg, zone)
	if err != nil {
		b.Fatal(err)
	}

	fake := fakewecom.Start(b, fakewecom.Options{})
	srv := redistest.Start(b)
	rdb := srv.Client(b)
	client, err := wecomapi.New(wecomapi.Config{
		CorpID: fake.CorpID(), AgentID: fake.AgentID(), Secret: fake.CorpSecret(),
		APIBase: fake.URL, Redis: rdb, Prefix: "fan:", Logger: silent,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	now := day.Add(9 * time.Hour)
	var total, runTime, calTime time.Duration
	calRuns, calLen, faults := 0, 0, 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fake.Reset()
		fake.SetRule(fakewecom.EndpointSend, func(call int) (fakewecom.Fault, bool) {
			return fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit}, call%faultEvery == 0
		})
		prefix := fmt.Sprintf("fan%d:", i)
		ob, err := outbox.New(outbox.Options{
			Redis: rdb, Prefix: prefix, Deliverer: client, Logger: silent,
			Config: config.Outbox{
				Workers: workers, MaxAttempts: 8,
				InitialBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
				PerUserPerMin: 25, CorpPerMin: 1_000_000,
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		job, err := scheduler.NewReminders(scheduler.RemindersOptions{
			Redis: rdb, Prefix: prefix, Sender: ob, Plans: []*plan.Plan{p},
			Rules: &rules, Workdays: workdays, Config: cfg, Log: silent,
		})
		if err != nil {
			b.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- ob.Run(runCtx) }()
		b.StartTimer()

		start := time.Now()
		res, err := job.RunReminders(ctx, now)
		ran := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		msgs, err := fake.WaitMessages(n, 5*time.Minute)
		finished := time.Now()

		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		for {
			s, err := ob.Stats(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if s.Dead != 0 {
				b.Fatalf("%d dead letters", s.Dead)
			}
			if s.Queued == 0 && s.InFlight == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		msgs = fake.Messages()
		seen := make(map[string]int, n)
		for _, m := range msgs {
			seen[m.ToUser+"\n"+m.Content]++
		}
		if res.Sent != n || len(msgs) != n || len(seen) != n || fake.Dropped() != 0 {
			b.Fatalf("run %s; fake: %d messages, %d distinct, %d dropped; want %d exactly once", res, len(msgs), len(seen), fake.Dropped(), n)
		}
		faults += fake.FaultsServed(fakewecom.EndpointSend)
		total += finished.Sub(start)
		runTime += ran.Sub(start)

		// Daily computation, timed on its own (not in ns/op).
		for range 20 {
			t0 := time.Now()
			calLen = len(reminder.Calendar(big, bigRules, workdays, day, day, ""))
			calTime += time.Since(t0)
			calRuns++
		}
		b.StartTimer()
	}
	iters := float64(b.N)
	b.ReportMetric(float64(n)*iters/total.Seconds(), "msgs/s")
	b.ReportMetric(runTime.Seconds()/iters, "run-s")
	b.ReportMetric(float64(faults)/iters, "45009s/op")
	b.ReportMetric(float64(calTime.Microseconds())/1000/float64(calRuns), "calendar-ms")
	b.ReportMetric(float64(calLen), "calendar-reminders")
}
