package outbox

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/reply"
)

func TestBackoffGrowsCapsAndJitters(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled here
	defer rdb.Close()
	for _, tc := range []struct {
		rnd      float64
		attempt  int
		min, max time.Duration
	}{
		{0, 1, 500 * time.Millisecond, 500 * time.Millisecond},
		{0.999999, 1, 999 * time.Millisecond, time.Second},
		{0, 3, 2 * time.Second, 2 * time.Second},
		{0.5, 4, 6 * time.Second, 6 * time.Second},
		{0, 20, 5 * time.Second, 5 * time.Second}, // capped at MaxBackoff 10s, half fixed
		{0.999999, 20, 9999 * time.Millisecond, 10 * time.Second},
	} {
		ob, err := New(Options{Redis: rdb, Rand: func() float64 { return tc.rnd },
			Config: config.Outbox{InitialBackoff: time.Second, MaxBackoff: 10 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		if d := ob.backoff(tc.attempt); d < tc.min || d > tc.max {
			t.Errorf("backoff(%d) with rand %v = %v, want in [%v, %v]", tc.attempt, tc.rnd, d, tc.min, tc.max)
		}
	}
}

func TestLanesAndSubjects(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	ob, err := New(Options{Redis: rdb, Prefix: "p:"})
	if err != nil {
		t.Fatal(err)
	}
	if l := laneOf(reply.Recipient{Users: []string{"zhangsan"}}); l != "u:zhangsan" {
		t.Errorf("single-user lane %q", l)
	}
	a := laneOf(reply.Recipient{Users: []string{"a", "b"}, Departments: []int{3}})
	b := laneOf(reply.Recipient{Users: []string{"a", "b"}, Departments: []int{4}})
	if a == b {
		t.Error("different recipient sets share a lane")
	}
	keys, limits := ob.subjects(reply.Recipient{Users: []string{"a"}, Departments: []int{3}, Tags: []int{9}})
	want := []string{"p:{outbox}:rate:u:a", "p:{outbox}:rate:p:3", "p:{outbox}:rate:t:9", "p:{outbox}:rate:corp"}
	if len(keys) != len(want) {
		t.Fatalf("subjects %v", keys)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Errorf("subject %d = %q, want %q", i, keys[i], want[i])
		}
	}
	if limits[0] != 25 || limits[3] != 9000 {
		t.Errorf("limits %v", limits)
	}
	wk, wl := ob.subjects(reply.Recipient{Webhook: "secret-key"})
	if len(wk) != 1 || wl[0] != 18 {
		t.Errorf("webhook subjects %v %v", wk, wl)
	}
}
