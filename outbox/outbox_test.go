package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// waitLimit only bounds how long a broken test hangs; nothing asserts speed.
const waitLimit = 20 * time.Second

type env struct {
	t     *testing.T
	fake  *fakewecom.Server
	redis *redistest.Server
}

func newEnv(t *testing.T, fo fakewecom.Options) *env {
	return &env{t: t, fake: fakewecom.Start(t, fo), redis: redistest.Start(t)}
}

func (e *env) client(rdb redis.UniversalClient) *wecomapi.Client {
	c, err := wecomapi.New(wecomapi.Config{
		CorpID: e.fake.CorpID(), AgentID: e.fake.AgentID(), Secret: e.fake.CorpSecret(),
		APIBase: e.fake.URL, Redis: rdb, Prefix: "t:", Timeout: 300 * time.Millisecond,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// outbox builds an Outbox on its own Redis connection, fast test timings.
func (e *env) outbox(mod func(*outbox.Options)) *outbox.Outbox {
	e.t.Helper()
	rdb := e.redis.Client(e.t)
	o := outbox.Options{
		Redis:     rdb,
		Prefix:    "t:",
		Deliverer: e.client(rdb),
		Config: config.Outbox{
			Workers: 4, MaxAttempts: 5,
			InitialBackoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		},
		PollInterval: 5 * time.Millisecond,
		ReapInterval: 20 * time.Millisecond,
	}
	if mod != nil {
		mod(&o)
	}
	ob, err := outbox.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return ob
}

// run runs ob until the test ends (or stop is called) and checks Run returns.
func run(t *testing.T, ob *outbox.Outbox) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitLimit):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// expectOnce waits for want messages and checks each content arrived exactly once.
func expectOnce(t *testing.T, fake *fakewecom.Server, contents []string) []fakewecom.Message {
	t.Helper()
	msgs, err := fake.WaitMessages(len(contents), waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.Content]++
	}
	for _, c := range contents {
		if seen[c] != 1 {
			t.Errorf("%q delivered %d times, want 1", c, seen[c])
		}
	}
	if len(msgs) != len(contents) {
		t.Errorf("fake received %d messages, want %d", len(msgs), len(contents))
	}
	return msgs
}

func send(t *testing.T, ob *outbox.Outbox, id, user, text string) {
	t.Helper()
	err := ob.Send(context.Background(), reply.Message{ID: id, To: reply.Recipient{Users: []string{user}}, Reply: reply.Text(text)})
	if err != nil {
		t.Fatal(err)
	}
}

func stats(t *testing.T, ob *outbox.Outbox) outbox.Stats {
	s, err := ob.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLongAnswerSplitInOrder(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ob := e.outbox(nil)
	run(t, ob)
	var b strings.Builder
	for i := range 110 { // three parts: within wecomapi.MaxParts
		fmt.Fprintf(&b, "第%03d行：计量器具抽查任务说明\n", i)
	}
	long := b.String()
	if err := ob.Send(context.Background(), reply.Message{ID: "long", To: reply.Recipient{Users: []string{"u1"}}, Reply: reply.Markdown(long)}); err != nil {
		t.Fatal(err)
	}
	parts := wecomapi.Split(long, wecomapi.MaxContentBytes)
	if len(parts) < 3 {
		t.Fatalf("test text should need several parts, got %d", len(parts))
	}
	msgs, err := e.fake.WaitMessages(len(parts), waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		if len(m.Content) > wecomapi.MaxContentBytes || m.MsgType != "markdown" || m.ToUser != "u1" {
			t.Errorf("part: %d bytes, type %s, to %s", len(m.Content), m.MsgType, m.ToUser)
		}
		got = append(got, m.Content)
	}
	if strings.Join(got, "\n")+"\n" != long {
		t.Error("parts are not the answer in order")
	}
	waitFor(t, "empty queue", func() bool { return stats(t, ob).Pending() == 0 })
}

// No answer takes more than MaxParts (default 3) message/send calls: the
// rest is cut and the last part says so.
func TestLongAnswerCapped(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ob := e.outbox(nil)
	run(t, ob)
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "第%03d行：计量器具抽查任务说明\n", i)
	}
	if err := ob.Send(context.Background(), reply.Message{ID: "long", To: reply.User("u1"), Reply: reply.Markdown(b.String())}); err != nil {
		t.Fatal(err)
	}
	msgs, err := e.fake.WaitMessages(3, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "empty queue", func() bool { return stats(t, ob).Pending() == 0 })
	msgs = e.fake.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d message/send calls for one answer, want 3", len(msgs))
	}
	if !strings.HasPrefix(msgs[0].Content, "第000行") || !strings.HasSuffix(msgs[2].Content, "内容过长，已截断）") {
		t.Errorf("first part %.30q, last part ends %q", msgs[0].Content, msgs[2].Content[len(msgs[2].Content)-60:])
	}
}

func TestDuplicateIDSentOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	a, b := e.outbox(nil), e.outbox(nil)
	for _, ob := range []*outbox.Outbox{a, b, a} { // the same ID from two replicas
		send(t, ob, "reminder:2023:task4-1:open:7:u1", "u1", "计量科：任务4-1 将于7天后开始")
	}
	send(t, a, "", "u1", "no id 1") // empty IDs are never duplicates
	send(t, a, "", "u1", "no id 1")
	run(t, a)
	run(t, b)
	msgs, err := e.fake.WaitMessages(3, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[0].Content != "计量科：任务4-1 将于7天后开始" || msgs[1].Content != "no id 1" {
		t.Errorf("got %+v", msgs)
	}
	// After delivery the ID is still remembered.
	send(t, b, "reminder:2023:task4-1:open:7:u1", "u1", "计量科：任务4-1 将于7天后开始")
	waitFor(t, "empty queue", func() bool { return stats(t, a).Pending() == 0 })
	if n := len(e.fake.Messages()); n != 3 {
		t.Errorf("re-send after delivery: %d messages", n)
	}
}

func TestRateLimitStormDeliversExactlyOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	// 45009 and 45033 answer two of every three calls.
	e.fake.SetRule(fakewecom.EndpointSend, func(n int) (fakewecom.Fault, bool) {
		switch n % 3 {
		case 1:
			return fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit}, true
		case 2:
			return fakewecom.Fault{ErrCode: fakewecom.CodeConcurrencyLimit}, true
		}
		return fakewecom.Fault{}, false
	})
	reg := prometheus.NewRegistry()
	obs := &observer{}
	ob := e.outbox(func(o *outbox.Options) {
		o.Config.MaxAttempts = 2 // rate limits must not count as attempts
		o.Registerer = reg
		o.Observer = obs
	})
	run(t, ob)
	var want []string
	for i := range 60 {
		c := fmt.Sprintf("消息%02d", i)
		want = append(want, c)
		send(t, ob, fmt.Sprintf("m%d", i), fmt.Sprintf("user%d", i%7), c)
	}
	expectOnce(t, e.fake, want)
	waitFor(t, "empty queue", func() bool { return stats(t, ob).Pending() == 0 })
	if s := stats(t, ob); s.Dead != 0 {
		t.Errorf("%d dead letters", s.Dead)
	}
	if e.fake.FaultsServed(fakewecom.EndpointSend) < 60 {
		t.Errorf("only %d faults served", e.fake.FaultsServed(fakewecom.EndpointSend))
	}
	if got := counterValue(t, reg, "choucha_outbox_send_errors_total", "45009"); got < 30 {
		t.Errorf("45009 errors counted %v", got)
	}
	if got := obs.sent.Load(); got != 60 {
		t.Errorf("observer saw %d sent", got)
	}
	if obs.errs.Load() < 60 {
		t.Errorf("observer saw %d errors", obs.errs.Load())
	}
}

type observer struct{ sent, errs atomic.Int64 }

func (o *observer) Sent()         { o.sent.Add(1) }
func (o *observer) SendError(int) { o.errs.Add(1) }

func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{%s} not found", name, label)
	return 0
}

func TestTransientFailuresRetried(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	e.fake.InjectFaults(fakewecom.EndpointSend,
		fakewecom.Fault{HTTPStatus: 500},
		fakewecom.Fault{HTTPStatus: 502},
		fakewecom.Fault{Delay: 5 * time.Second}, // longer than the client's 300ms timeout
		fakewecom.Fault{ErrCode: fakewecom.CodeBusy},
	)
	ob := e.outbox(func(o *outbox.Options) { o.Config.Workers = 1 })
	run(t, ob)
	send(t, ob, "a", "u1", "第一条")
	send(t, ob, "b", "u1", "第二条")
	expectOnce(t, e.fake, []string{"第一条", "第二条"})
	if n := e.fake.FaultsServed(fakewecom.EndpointSend); n != 4 {
		t.Errorf("faults served %d, want 4", n)
	}
	waitFor(t, "empty queue", func() bool { return stats(t, ob).Pending() == 0 })
	if s := stats(t, ob); s.Dead != 0 {
		t.Errorf("dead %d", s.Dead)
	}
}

func TestTokenExpiryIsTransparent(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ob := e.outbox(nil)
	run(t, ob)
	send(t, ob, "1", "u1", "before")
	expectOnce(t, e.fake, []string{"before"})
	e.fake.ExpireTokens() // 42001 for the cached token
	e.fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{ErrCode: fakewecom.CodeInvalidToken})
	send(t, ob, "2", "u1", "after")
	expectOnce(t, e.fake, []string{"before", "after"})
	if s := stats(t, ob); s.Dead != 0 {
		t.Errorf("dead %d", s.Dead)
	}
}

// An expiry followed by 42001 for a while (here 2 s) to many concurrent
// sends on two replicas: the token is refreshed once for the expiry, shared
// by every worker of both replicas, not once per failed send.
func TestTokenStormRefreshesOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	mod := func(o *outbox.Options) {
		o.Config.Workers = 16
		o.Config.MaxAttempts = 1000
		o.Config.InitialBackoff = 20 * time.Millisecond
		o.Config.MaxBackoff = 200 * time.Millisecond
	}
	obs := []*outbox.Outbox{e.outbox(mod), e.outbox(mod)}
	for _, ob := range obs {
		run(t, ob)
	}
	send(t, obs[0], "warm", "u0", "warm")
	expectOnce(t, e.fake, []string{"warm"})
	before := e.fake.Calls(fakewecom.EndpointToken)

	e.fake.ExpireTokens()
	until := time.Now().Add(2 * time.Second)
	e.fake.SetRule(fakewecom.EndpointSend, func(int) (fakewecom.Fault, bool) {
		return fakewecom.Fault{ErrCode: fakewecom.CodeTokenExpired}, time.Now().Before(until)
	})
	const n = 200
	want := []string{"warm"}
	for i := range n {
		id := strconv.Itoa(i)
		send(t, obs[i%2], id, "u"+id, "msg "+id)
		want = append(want, "msg "+id)
	}
	expectOnce(t, e.fake, want)
	calls := e.fake.Calls(fakewecom.EndpointToken) - before
	t.Logf("2 s of 42001 to %d sends on 2 replicas × 16 workers: %d gettoken calls, %d faulted message/send calls",
		n, calls, e.fake.FaultsServed(fakewecom.EndpointSend))
	if calls > 2 {
		t.Errorf("%d gettoken calls for one expiry, want at most 2", calls)
	}
}

func TestDeadLetterListAndRetry(t *testing.T) {
	e := newEnv(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "u1"}}})
	ob := e.outbox(func(o *outbox.Options) { o.Config.MaxAttempts = 3 })
	// Permanent: 45002 once; retryable: HTTP 500 on every try of "flaky".
	e.fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{ErrCode: fakewecom.CodeContentTooLong})
	stop := run(t, ob)
	send(t, ob, "perm", "u1", "太长")
	waitFor(t, "first dead letter", func() bool { return stats(t, ob).Dead == 1 })
	e.fake.SetRule(fakewecom.EndpointSend, func(int) (fakewecom.Fault, bool) { return fakewecom.Fault{HTTPStatus: 500}, true })
	send(t, ob, "flaky", "u1", "总是失败")
	waitFor(t, "second dead letter", func() bool { return stats(t, ob).Dead == 2 })
	stop()

	dead, err := ob.DeadLetters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 || dead[0].ID != "perm" || dead[0].LastCode != 45002 || dead[0].Attempts != 0 ||
		!strings.Contains(dead[0].LastError, "45002") {
		t.Errorf("dead[0] = %+v", dead[0])
	}
	if dead[1].ID != "flaky" || dead[1].Attempts != 3 || !strings.Contains(dead[1].LastError, "500") {
		t.Errorf("dead[1] = %+v", dead[1])
	}
	var out bytes.Buffer
	if err := ob.RunCommand(context.Background(), []string{"list"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"发送失败 2 条", "ID：perm", "ID：flaky", "45002", "成员 u1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list output lacks %q:\n%s", want, out.String())
		}
	}
	if err := ob.RunCommand(context.Background(), []string{"retry", "nope"}, &out); err == nil {
		t.Error("retry of an unknown id must fail")
	}

	e.fake.ClearFaults()
	if len(e.fake.Messages()) != 0 {
		t.Fatal("nothing should have been delivered yet")
	}
	run(t, ob)
	if err := ob.Retry(context.Background(), "perm"); err != nil {
		t.Fatal(err)
	}
	expectOnce(t, e.fake, []string{"太长"})
	out.Reset()
	if err := ob.RunCommand(context.Background(), []string{"retry", "--all"}, &out); err != nil || !strings.Contains(out.String(), "1 条") {
		t.Fatalf("retry --all: %v %q", err, out.String())
	}
	expectOnce(t, e.fake, []string{"太长", "总是失败"})
	waitFor(t, "no dead letters", func() bool { return stats(t, ob).Dead == 0 && stats(t, ob).Pending() == 0 })
}

// secretErrDeliverer fails every delivery permanently with an error that
// quotes credentials, as a WeCom errmsg or a proxy's error might.
type secretErrDeliverer struct{}

func (secretErrDeliverer) Parts(r reply.Reply) []reply.Reply { return wecomapi.Parts(r) }

func (secretErrDeliverer) Deliver(context.Context, reply.Recipient, reply.Reply) error {
	return permanentErr("proxy said: access_token=TOKEN1abc via https://admin:hunter2@proxy.example/send?key=KEY3ghi")
}

type permanentErr string

func (e permanentErr) Error() string { return string(e) }
func (permanentErr) Retryable() bool { return false }

// Dead letters and the outbox's log keep no credentials from errors.
func TestDeadLetterErrorRedacted(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	var logs bytes.Buffer
	var mu sync.Mutex
	ob := e.outbox(func(o *outbox.Options) {
		o.Deliverer = secretErrDeliverer{}
		o.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return logs.Write(p)
		}), nil))
	})
	run(t, ob)
	send(t, ob, "s", "u1", "x")
	waitFor(t, "dead letter", func() bool { return stats(t, ob).Dead == 1 })
	dead, err := ob.DeadLetters(context.Background())
	if err != nil || len(dead) != 1 {
		t.Fatal(dead, err)
	}
	var out bytes.Buffer
	if err := ob.RunCommand(context.Background(), []string{"list"}, &out); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range []string{"TOKEN1abc", "hunter2", "KEY3ghi"} {
		for what, text := range map[string]string{"dead letter": dead[0].LastError, "outbox list": out.String(), "log": logs.String()} {
			if strings.Contains(text, s) {
				t.Errorf("%s keeps %q: %s", what, s, text)
			}
		}
	}
	if !strings.Contains(dead[0].LastError, "proxy said") {
		t.Errorf("LastError %q", dead[0].LastError)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestRestartDeliversPendingOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ctx := context.Background()
	// Every write reaches the disk before the server is killed.
	if err := e.redis.Client(t).ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	first := e.outbox(nil)
	var want []string
	for i := range 20 {
		c := fmt.Sprintf("pending %d", i)
		want = append(want, c)
		send(t, first, fmt.Sprintf("p%d", i), fmt.Sprintf("u%d", i), c)
	}
	// Restart redis-server on the same directory, then a new Outbox.
	srv, err := e.redis.Restart()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	e.redis = srv
	second := e.outbox(nil)
	if s := stats(t, second); s.Pending() != 20 {
		t.Fatalf("after restart %d pending, want 20", s.Pending())
	}
	stop := run(t, second)
	expectOnce(t, e.fake, want)
	waitFor(t, "empty queue", func() bool { return stats(t, second).Pending() == 0 })
	stop()
	// A third process (new Outbox) finds nothing more to send, and the IDs
	// are still claimed.
	third := e.outbox(nil)
	send(t, third, "p0", "u0", "pending 0")
	run(t, third)
	send(t, third, "marker", "u0", "marker")
	expectOnce(t, e.fake, append(want, "marker"))
}

// blockingDeliverer models a worker that dies mid-delivery: it never
// returns until released, and then fails.
type blockingDeliverer struct {
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (b *blockingDeliverer) Parts(r reply.Reply) []reply.Reply { return wecomapi.Parts(r) }

func (b *blockingDeliverer) Deliver(ctx context.Context, _ reply.Recipient, _ reply.Reply) error {
	b.once.Do(func() { close(b.started) })
	<-b.release
	return errors.New("worker died")
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCrashedWorkerLeaseExpires(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	clk := &clock{t: time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC)}
	stuck := &blockingDeliverer{started: make(chan struct{}), release: make(chan struct{})}
	crashed := e.outbox(func(o *outbox.Options) {
		o.Deliverer = stuck
		o.Config.Workers = 1
		o.QueueClock = clk.Now
		o.LeaseTTL = time.Minute
	})
	send(t, crashed, "lease", "u1", "只发一次")
	crashCtx, crash := context.WithCancel(context.Background())
	crashDone := make(chan error, 1)
	go func() { crashDone <- crashed.Run(crashCtx) }()
	<-stuck.started
	if s := stats(t, crashed); s.InFlight != 1 {
		t.Fatalf("in flight %d", s.InFlight)
	}
	healthy := e.outbox(func(o *outbox.Options) { o.QueueClock = clk.Now; o.LeaseTTL = time.Minute })
	run(t, healthy)
	clk.Add(61 * time.Second) // the stuck worker's lease runs out
	expectOnce(t, e.fake, []string{"只发一次"})
	crash()
	close(stuck.release) // the "dead" worker comes back: its release must not re-queue
	if err := <-crashDone; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "empty queue", func() bool { s := stats(t, healthy); return s.Pending() == 0 })
	send(t, healthy, "after", "u1", "after")
	expectOnce(t, e.fake, []string{"只发一次", "after"})
}

func TestReplicasDeliverEachOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	a, b := e.outbox(nil), e.outbox(nil)
	run(t, a)
	run(t, b)
	var want []string
	var wg sync.WaitGroup
	for i := range 200 {
		c := fmt.Sprintf("answer %03d", i)
		want = append(want, c)
		wg.Add(2)
		for _, ob := range []*outbox.Outbox{a, b} { // both replicas try to send every message
			go func() {
				defer wg.Done()
				send(t, ob, fmt.Sprintf("msg-%d", i), fmt.Sprintf("user%d", i%20), c)
			}()
		}
	}
	wg.Wait()
	expectOnce(t, e.fake, want)
	if e.fake.Dropped() != 0 {
		t.Errorf("%d messages over WeCom's per-member limit", e.fake.Dropped())
	}
}

func TestPacingPerMember(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	clk := &clock{t: time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC)}
	ob := e.outbox(func(o *outbox.Options) {
		o.QueueClock = clk.Now
		o.Config.PerUserPerMin = 3
		o.Config.CorpPerMin = 100
	})
	run(t, ob)
	for i := range 5 {
		send(t, ob, fmt.Sprintf("a%d", i), "busy", fmt.Sprintf("busy %d", i))
	}
	send(t, ob, "b0", "calm", "calm 0")
	send(t, ob, "b1", "calm", "calm 1")
	if _, err := e.fake.WaitMessages(5, waitLimit); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the paced lane", func() bool { s := stats(t, ob); return s.Scheduled == 1 && s.Queued == 2 && s.InFlight == 0 })
	busy := 0
	for _, m := range e.fake.Messages() {
		if m.ToUser == "busy" {
			busy++
		}
	}
	if busy != 3 || len(e.fake.Messages()) != 5 {
		t.Fatalf("within one minute: %d to busy, %d in all", busy, len(e.fake.Messages()))
	}
	clk.Add(61 * time.Second)
	msgs, err := e.fake.WaitMessages(7, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 7 {
		t.Errorf("%d messages", len(msgs))
	}
	// Messages to one member keep their order through pacing.
	var order []string
	for _, m := range msgs {
		if m.ToUser == "busy" {
			order = append(order, m.Content)
		}
	}
	if strings.Join(order, ",") != "busy 0,busy 1,busy 2,busy 3,busy 4" {
		t.Errorf("busy order %v", order)
	}
}

func TestSendRejectsNoRecipientAndIgnoresEmpty(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ob := e.outbox(nil)
	ctx := context.Background()
	if err := ob.Send(ctx, reply.Message{ID: "x", Reply: reply.Text("hi")}); !errors.Is(err, outbox.ErrNoRecipient) {
		t.Errorf("no recipient: %v", err)
	}
	if err := ob.Send(ctx, reply.Message{ID: "y", To: reply.Recipient{Users: []string{"u"}}, Reply: reply.Text("")}); err != nil {
		t.Errorf("empty reply: %v", err)
	}
	if s := stats(t, ob); s.Pending() != 0 {
		t.Errorf("pending %d", s.Pending())
	}
	if _, err := outbox.New(outbox.Options{Redis: e.redis.Client(t), Config: config.Outbox{PerUserPerMin: 31}}); err == nil ||
		!strings.Contains(err.Error(), "per_user_per_min") {
		t.Errorf("limit above 30: %v", err)
	}
}

// gatedDeliverer holds the first delivery until released, then delivers.
type gatedDeliverer struct {
	next    outbox.Deliverer
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (g *gatedDeliverer) Parts(r reply.Reply) []reply.Reply { return g.next.Parts(r) }

func (g *gatedDeliverer) Deliver(ctx context.Context, to reply.Recipient, part reply.Reply) error {
	g.once.Do(func() {
		close(g.started)
		<-g.release
	})
	return g.next.Deliver(ctx, to, part)
}

func TestGracefulStopFinishesInFlightAndKeepsPending(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	rdb := e.redis.Client(t)
	gate := &gatedDeliverer{next: e.client(rdb), started: make(chan struct{}), release: make(chan struct{})}
	first := e.outbox(func(o *outbox.Options) { o.Deliverer = gate; o.Config.Workers = 1 })
	for i := range 5 {
		send(t, first, fmt.Sprintf("g%d", i), "u1", fmt.Sprintf("第%d条", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	<-gate.started
	cancel() // stop while a delivery is in flight
	close(gate.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	msgs := e.fake.Messages()
	if len(msgs) != 1 || msgs[0].Content != "第0条" {
		t.Fatalf("in-flight delivery not finished: %+v", msgs)
	}
	if s := stats(t, first); s.Pending() != 4 || s.InFlight != 0 {
		t.Fatalf("after stop: %+v", s)
	}
	run(t, e.outbox(nil))
	got := expectOnce(t, e.fake, []string{"第0条", "第1条", "第2条", "第3条", "第4条"})
	for i, m := range got {
		if m.Content != fmt.Sprintf("第%d条", i) {
			t.Errorf("order: %d is %q", i, m.Content)
		}
	}
}

func TestWebhookAndGroupRecipients(t *testing.T) {
	e := newEnv(t, fakewecom.Options{WebhookKeys: []string{"robot-1"}})
	ob := e.outbox(nil)
	run(t, ob)
	ctx := context.Background()
	if err := ob.Send(ctx, reply.Message{ID: "w", To: reply.Recipient{Webhook: "robot-1"}, Reply: reply.Markdown("## 各县区局：任务13 年内完成")}); err != nil {
		t.Fatal(err)
	}
	if err := ob.Send(ctx, reply.Message{ID: "d", To: reply.Recipient{Users: []string{"a", "b"}, Departments: []int{3}, Tags: []int{7}}, Reply: reply.Text("部门通知")}); err != nil {
		t.Fatal(err)
	}
	msgs := expectOnce(t, e.fake, []string{"## 各县区局：任务13 年内完成", "部门通知"})
	for _, m := range msgs {
		switch m.Content {
		case "部门通知":
			if m.ToUser != "a|b" || m.ToParty != "3" || m.ToTag != "7" || m.MsgType != "text" {
				t.Errorf("group message %+v", m)
			}
		default:
			if m.Endpoint != fakewecom.EndpointWebhook || m.WebhookKey != "robot-1" || m.MsgType != "markdown" {
				t.Errorf("webhook message %+v", m)
			}
		}
	}
	// The robot key is a secret: it never appears in Redis key names.
	keys, err := e.redis.Client(t).Keys(ctx, "*robot-1*").Result()
	if err != nil || len(keys) != 0 {
		t.Errorf("keys naming the webhook key: %v %v", keys, err)
	}
}

func TestBrokenEntriesDoNotBlockTheirRecipient(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ob := e.outbox(nil)
	ctx := context.Background()
	for i := range 3 {
		send(t, ob, fmt.Sprintf("c%d", i), "u1", fmt.Sprintf("第%d条", i))
	}
	rdb := e.redis.Client(t)
	if err := rdb.Set(ctx, "t:{outbox}:msg:c0", "{not json", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, "t:{outbox}:msg:c1").Err(); err != nil {
		t.Fatal(err)
	}
	run(t, ob)
	expectOnce(t, e.fake, []string{"第2条"})
	waitFor(t, "settled queue", func() bool { s := stats(t, ob); return s.Pending() == 0 && s.Dead == 1 })
	dead, err := ob.DeadLetters(ctx)
	if err != nil || len(dead) != 1 || dead[0].ID != "c0" || !strings.Contains(dead[0].LastError, "unreadable") {
		t.Errorf("dead letters %+v %v", dead, err)
	}
	if n := rdb.HLen(ctx, "t:{outbox}:lanes").Val(); n != 0 {
		t.Errorf("%d lane records left", n)
	}
}

// Concurrent Sends share pipelines (group commit): duplicates within one
// batch are still ignored and every Send is queued when it returns.
func TestConcurrentSendsGroupedExactlyOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ob := e.outbox(func(o *outbox.Options) { o.Config.Workers = 8 })
	const senders, perSender = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*senders*perSender)
	for g := range 2 * senders { // two goroutines send each ID
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := g % senders
			for i := range perSender {
				id := fmt.Sprintf("m%d-%d", s, i)
				if g >= senders { // the second sender of an ID goes backwards
					id = fmt.Sprintf("m%d-%d", s, perSender-1-i)
				}
				errs <- ob.Send(context.Background(), reply.Message{ID: id,
					To: reply.Recipient{Users: []string{fmt.Sprintf("u%d", s)}}, Reply: reply.Text(id)})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s := stats(t, ob); s.Pending() != senders*perSender {
		t.Fatalf("queued %d, want %d (every Send is durable when it returns)", s.Pending(), senders*perSender)
	}
	run(t, ob)
	var want []string
	for s := range senders {
		for i := range perSender {
			want = append(want, fmt.Sprintf("m%d-%d", s, i))
		}
	}
	msgs := expectOnce(t, e.fake, want)
	waitFor(t, "empty queue", func() bool { s := stats(t, ob); return s.Pending() == 0 && s.InFlight == 0 })
	if n := len(e.fake.Messages()); n != len(msgs) {
		t.Errorf("%d messages after the queue emptied, want %d", n, len(msgs))
	}
}
