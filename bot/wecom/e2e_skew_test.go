package wecom_test

import (
	"context"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
)

// Replicas whose clocks differ by hours share one inbox without answering
// twice or leaving a message behind: the inbox's leases run on Redis's
// clock. Before, a replica more than the 60 s grace period ahead took a
// message another replica was still handling for an orphan and answered it
// again, and one behind waited for its clock to catch up before recovering
// a real orphan.
func TestEndToEndClockSkewBetweenReplicas(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{
		{UserID: "zhangsan", Departments: []int{2}}, {UserID: "lisi", Departments: []int{2}}}})
	skewed := func(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }
	ctx := context.Background()

	release, started := make(chan struct{}), make(chan struct{}, 1)
	a := startReplicaWith(t, rdb, fake, replicaOpts{redisClock: true,
		before: func(_ context.Context, req *handlers.Request) (reply.Reply, bool, error) {
			if req.Text == "慢问题" {
				started <- struct{}{}
				<-release
			}
			return reply.Reply{}, false, nil
		}})
	ahead := startReplicaWith(t, rdb, fake, replicaOpts{redisClock: true, now: skewed(3 * time.Hour)})
	if code := callback(t, a.srv.URL, a.w.Crypto, text(fake.CorpID(), "zhangsan", "慢问题", 9701)); code != 200 {
		t.Fatalf("callback: %d", code)
	}
	<-started // a is handling it
	if n, err := ahead.w.Inbox.Recover(ctx, ahead.w.Dispatcher); err != nil || n != 0 {
		t.Fatalf("the replica 3 h ahead recovered %d (%v) messages another replica is handling", n, err)
	}
	close(release)
	if _, err := fake.WaitMessages(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// c dies with a message accepted; the survivor's clock is 3 h behind.
	hang, hung := make(chan struct{}), make(chan struct{}, 1)
	c := startReplicaWith(t, rdb, fake, replicaOpts{redisClock: true, crash: true,
		before: func(context.Context, *handlers.Request) (reply.Reply, bool, error) {
			hung <- struct{}{}
			<-hang
			return reply.Reply{}, true, nil
		}})
	t.Cleanup(func() { close(hang) })
	if code := callback(t, c.srv.URL, c.w.Crypto, text(fake.CorpID(), "lisi", "孤儿问题", 9702)); code != 200 {
		t.Fatalf("callback: %d", code)
	}
	<-hung
	c.stop()
	behind := startReplicaWith(t, rdb, fake, replicaOpts{redisClock: true, now: skewed(-3 * time.Hour)})
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := behind.w.Inbox.Recover(ctx, behind.w.Dispatcher)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica 3 h behind never recovered the orphan")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := fake.WaitMessages(2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	a.stop()
	ahead.stop()
	behind.stop()
	got := map[string]int{}
	for _, m := range fake.Delivered() {
		got[m.ToUser+" "+m.Content]++
	}
	if len(got) != 2 || got["zhangsan 计量科：慢问题"] != 1 || got["lisi 计量科：孤儿问题"] != 1 {
		t.Fatalf("reached the users: %v, want each answer once", got)
	}
}
