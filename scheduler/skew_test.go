package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
)

// Three replicas whose clocks differ by hours (10:00, 13:30 and 08:30 on
// the same day) walk the 2023 plan year on one Redis: every reminder goes
// out exactly once. The daily lease and the reminder claims are SET NX
// with a TTL that Redis itself counts down, and a claim's identity does
// not depend on the clock that took it, so no replica's clock decides
// whether another's claim still stands.
func TestRemindersOnceDespiteClockSkew(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	offsets := map[string]time.Duration{"ahead": 13*time.Hour + 30*time.Minute, "on time": 10 * time.Hour, "behind": 8*time.Hour + 30*time.Minute}
	runners := map[string]*Reminders{}
	for name := range offsets {
		runners[name] = newRunner(t, rdb, listSender{rdb, name}, remindertest.Config())
	}
	for d := day("2023-01-01"); !d.After(day("2024-01-10")); d = d.AddDate(0, 0, 1) {
		for _, name := range []string{"ahead", "on time", "behind"} {
			if _, err := runners[name].RunReminders(ctx, d.Add(offsets[name])); err != nil {
				t.Fatal(err)
			}
		}
	}
	assertSentOnce(t, rdb)
}

// One process whose clock jumps: each working day it runs at 10:00, then
// its clock leaps a day ahead and runs, then falls back to an hour behind
// the first run (09:00) and runs, then 11:00; every few days an hour-back
// step also crosses the end of the sending window (20:30, then 19:30). No
// reminder is sent twice and none is lost: claims are keyed by the
// reminder's identity (item, rule, day, department), not by when the
// clock said it ran.
func TestRemindersOnceDespiteClockJumps(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	r := newRunner(t, rdb, listSender{rdb, "jumpy"}, remindertest.Config())
	for d := day("2023-01-01"); !d.After(day("2024-01-10")); d = d.AddDate(0, 0, 1) {
		steps := []time.Duration{10 * time.Hour, 24*time.Hour + 10*time.Hour, 9 * time.Hour, 11 * time.Hour}
		if d.YearDay()%3 == 0 {
			steps = append(steps, 20*time.Hour+30*time.Minute, 19*time.Hour+30*time.Minute)
		}
		for _, off := range steps {
			if _, err := r.RunReminders(ctx, d.Add(off)); err != nil {
				t.Fatal(err)
			}
		}
	}
	assertSentOnce(t, rdb)
}

// assertSentOnce checks the listSender's record: every reminder of the
// 2023 walk sent exactly once.
func assertSentOnce(t *testing.T, rdb *redis.Client) {
	t.Helper()
	list, err := rdb.LRange(context.Background(), "test:sent", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range list {
		id, _, _ := strings.Cut(e, "|")
		seen[id]++
	}
	want := expected2023()
	for _, w := range want {
		if seen[w.id] != 1 {
			t.Errorf("%s sent %d times", w.id, seen[w.id])
		}
	}
	if len(list) != len(want) {
		t.Errorf("%d sends, want %d", len(list), len(want))
	}
}
