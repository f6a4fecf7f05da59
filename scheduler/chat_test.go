package scheduler_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// A reminder the outbox accepted but WeCom finally refused is shown as
// failed in 提醒记录, with how to re-send it, not as sent.
func TestRecordsShowUndeliveredReminders(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{})
	// 81013: no valid recipient — permanent, so the message becomes a dead letter.
	fake.SetRule(fakewecom.EndpointSend, func(int) (fakewecom.Fault, bool) {
		return fakewecom.Fault{ErrCode: 81013}, true
	})
	api, err := wecomapi.New(wecomapi.Config{CorpID: fake.CorpID(), AgentID: fake.AgentID(), Secret: fake.CorpSecret(),
		APIBase: fake.URL, Redis: rdb, Prefix: "t:", Logger: silent})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:", Deliverer: api, Logger: silent,
		PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := remindertest.Config()
	rules, err := reminder.NewRules(remindertest.OptionsOf(cfg, remindertest.CountyBureaus), zone)
	if err != nil {
		t.Fatal(err)
	}
	rem, err := scheduler.NewReminders(scheduler.RemindersOptions{
		Redis: rdb, Prefix: "t:", Sender: ob, Plans: []*plan.Plan{remindertest.Seed2023()}, Rules: rules,
		Workdays: workdays, Config: cfg, Log: silent,
		Undelivered: func(ctx context.Context) (map[string]string, error) {
			dead, err := ob.DeadLetters(ctx)
			m := map[string]string{}
			for _, d := range dead {
				m[d.ID] = d.LastError
			}
			return m, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Task 16 (7月-9月) opens on Mon 2023-07-03. On this first run earlier
	// reminders are recorded as missed; only that day's are sent.
	day := time.Date(2023, 7, 3, 9, 0, 0, 0, zone)
	res, err := rem.RunReminders(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = ob.Run(runCtx) }()
	deadline := time.Now().Add(drainLimit)
	for {
		st, err := ob.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued == 0 && st.InFlight == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done

	md, err := rem.RecordsMarkdown(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent == 0 {
		t.Fatalf("nothing was due on %s: %+v", day, res)
	}
	if !strings.Contains(md, "企业微信未送达") || !strings.Contains(md, "outbox retry") {
		t.Fatalf("records do not show the undelivered reminders:\n%s", md)
	}
	if strings.Contains(md, "已发送 "+strconv.Itoa(res.Sent)) {
		t.Fatalf("undelivered reminders still counted as sent:\n%s", md)
	}
}
