package outbox_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// childEnv makes the test binary act as a bot process running only the
// outbox: "<redis addr> <fake URL> <corp id> <secret> <agent id>". It
// prints READY and delivers until it is killed.
const childEnv = "OUTBOX_TEST_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(childProcess(v))
	}
	os.Exit(m.Run())
}

// childLease is the child's lease: the survivor resends its messages once
// it has run out (on Redis's clock).
const childLease = 4 * time.Second

func childProcess(v string) int {
	f := strings.Fields(v)
	if len(f) != 5 {
		fmt.Println("ERR bad", childEnv)
		return 2
	}
	agent, _ := strconv.Atoi(f[4])
	rdb := redis.NewClient(&redis.Options{Addr: f[0]})
	api, err := wecomapi.New(wecomapi.Config{CorpID: f[2], Secret: f[3], AgentID: agent, APIBase: f[1],
		Redis: rdb, Prefix: "t:", Timeout: childLease / 2})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:", Deliverer: api,
		Config:       config.Outbox{Workers: 4, MaxAttempts: 5, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		PollInterval: 5 * time.Millisecond, LeaseTTL: childLease, DeliverTimeout: childLease / 2})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	fmt.Println("READY")
	_ = ob.Run(context.Background()) // until SIGKILL
	return 0
}

// A bot process SIGKILLed while all four of its outbox workers are inside
// message/send, after WeCom delivered each message and before it answered:
// another process takes the leases over and resends, and each message
// reaches its user exactly once (before, this was 4 duplicates per kill).
func TestKilledProcessMidSendDeliversOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	// Every send delivers and then hangs until the caller is gone.
	e.fake.SetRule(fakewecom.EndpointSend, func(int) (fakewecom.Fault, bool) {
		return fakewecom.Fault{Deliver: true, Delay: time.Hour}, true
	})
	queue := e.outbox(nil) // enqueues only
	want := map[string]int{}
	for i := range 4 {
		text := fmt.Sprintf("第%d条答复", i)
		send(t, queue, fmt.Sprintf("answer:%d", i), fmt.Sprintf("user%d", i), text)
		want[text] = 1
	}
	send(t, queue, "answer:later", "user0", "排在后面的答复") // waits behind user0's first
	want["排在后面的答复"] = 1

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %s %s %d", childEnv,
		e.redis.Addr, e.fake.URL, e.fake.CorpID(), e.fake.CorpSecret(), e.fake.AgentID()))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if sc := bufio.NewScanner(out); !sc.Scan() || sc.Text() != "READY" {
		t.Fatalf("child process: %q %v", sc.Text(), sc.Err())
	}
	waitFor(t, "four deliveries in flight", func() bool { return len(e.fake.Delivered()) == 4 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if s := stats(t, queue); s.Pending() != 5 || s.InFlight == 0 {
		t.Fatalf("after the kill: %+v, want all five pending, leases left behind", s)
	}

	e.fake.SetRule(fakewecom.EndpointSend, nil) // WeCom answers again
	survivor := e.outbox(nil)
	run(t, survivor)
	waitFor(t, "the survivor to drain the queue", func() bool {
		s := stats(t, survivor)
		return s.Pending() == 0 && s.Dead == 0
	})
	got := delivered(e.fake)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reached the users:\n%v\nwant each once:\n%v", got, want)
	}
	dups := 0
	for _, m := range e.fake.Messages() {
		if m.Duplicate {
			dups++
		}
	}
	if dups != 4 {
		t.Errorf("%d resends suppressed by the duplicate check, want 4 (one per killed worker)", dups)
	}
}

// Redis dies while a send is slow: WeCom delivers, the worker cannot record
// it, and the lease runs out once Redis is back (same port, same AOF). The
// resend is the same request, so the user still has one copy.
func TestRedisDropDuringSlowSendDeliversOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	rdb := e.redis.Client(t)
	ctx := context.Background()
	if err := rdb.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	slow := make(chan struct{})
	e.fake.SetRule(fakewecom.EndpointSend, func(n int) (fakewecom.Fault, bool) {
		if n == 1 {
			close(slow)
			return fakewecom.Fault{Delay: 200 * time.Millisecond}, true // slow, then delivered and ok
		}
		return fakewecom.Fault{}, false
	})
	unrecorded := &logWatch{msg: "outbox: delivered but could not mark done", seen: make(chan struct{})}
	ob := e.outbox(func(o *outbox.Options) {
		o.QueueClock = clk.Now
		o.Config.Workers = 1
		o.Logger = slog.New(unrecorded)
	})
	send(t, ob, "answer:1", "zhangsan", "慢慢发出的答复")
	run(t, ob)
	<-slow // the send is on its way
	e.redis.Stop()
	<-unrecorded.seen // WeCom answered ok; the worker could not record it
	// Same port, same data: the clients reconnect by themselves.
	port := e.redis.Addr[strings.LastIndexByte(e.redis.Addr, ':')+1:]
	srv := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--dir", e.redis.Dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _, _ = srv.Process.Wait() })
	waitFor(t, "Redis back", func() bool { return rdb.Ping(ctx).Err() == nil })
	clk.Add(2 * time.Minute) // the lease runs out
	waitFor(t, "the queue to drain", func() bool {
		s, err := ob.Stats(ctx)
		return err == nil && s.Pending() == 0
	})
	if got := delivered(e.fake); len(got) != 1 || got["慢慢发出的答复"] != 1 {
		t.Fatalf("reached the user: %v, want the answer once", got)
	}
	if n := len(e.fake.Messages()); n < 2 {
		t.Errorf("%d sends: the answer was not sent again after Redis came back", n)
	}
}

// logWatch is a slog handler that closes seen at the first record whose
// message starts with msg.
type logWatch struct {
	msg  string
	once sync.Once
	seen chan struct{}
}

func (w *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, w.msg) {
		w.once.Do(func() { close(w.seen) })
	}
	return nil
}
func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *logWatch) WithGroup(string) slog.Handler      { return w }
