package scheduler

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
	"github.com/changzhi-amr/choucha/reply"
)

// listSender appends every Send to a Redis list without any deduplication,
// so a reminder sent by both processes shows up twice.
type listSender struct {
	rdb     *redis.Client
	replica string
}

func (s listSender) Send(ctx context.Context, m reply.Message) error {
	return s.rdb.RPush(ctx, "test:sent", m.ID+"|"+s.replica).Err()
}

const helperEnv = "SCHEDULER_REPLICA_HELPER"

// TestTwoProcesses walks the 2023 plan year with two OS processes on one
// Redis, in lockstep (both run at 09:00 each day, then wait for each other),
// and checks every expected reminder was sent exactly once overall.
func TestTwoProcesses(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("helper")
	}
	srv := redistest.Start(t)
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+srv.Addr, "REPLICA=r"+fmt.Sprint(i))
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("replica %d: %v\n%s", i, err, outs[i])
		}
	}
	rdb := srv.Client(t)
	list, err := rdb.LRange(context.Background(), "test:sent", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	by := map[string]int{}
	for _, e := range list {
		id, replica, _ := strings.Cut(e, "|")
		seen[id]++
		by[replica]++
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
	t.Logf("sends by replica: %v", by)
}

// TestReplicaHelper is one replica process of TestTwoProcesses.
func TestReplicaHelper(t *testing.T) {
	addr := os.Getenv(helperEnv)
	if addr == "" {
		t.Skip("only run as a child of TestTwoProcesses")
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	r := newRunner(t, rdb, listSender{rdb, os.Getenv("REPLICA")}, remindertest.Config())
	for d := day("2023-01-01"); !d.After(day("2024-01-10")); d = d.AddDate(0, 0, 1) {
		if _, err := r.RunReminders(ctx, at(d, 9)); err != nil {
			t.Fatal(err)
		}
		// Barrier: wait until both replicas finished this day.
		key := "test:barrier:" + d.Format(time.DateOnly)
		if err := rdb.Incr(ctx, key).Err(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			n, err := rdb.Get(ctx, key).Int()
			if err != nil {
				t.Fatal(err)
			}
			if n >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other replica did not finish %s", key)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
