package wecom_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/httpserver"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/spool"
	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/changzhi-amr/choucha/wecomapi"
)

const (
	e2eToken  = "e2eToken"
	e2eAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// replica is one `serve` process: WeCom channel + outbox, sharing Redis.
type replica struct {
	w       *wecom.Channel
	ob      *outbox.Outbox
	metrics *bot.Metrics
	reg     *prometheus.Registry
	srv     *httptest.Server
	handled atomic.Int64
	stop    func()
}

// replicaOpts vary a replica: a handler in front of the standard one (it
// answers when it returns ok) and the clock.
type replicaOpts struct {
	before func(ctx context.Context, req *handlers.Request) (reply.Reply, bool, error)
	now    func() time.Time
	// crash: stop without draining, as a killed process (the outbox
	// workers stop too).
	crash bool
	// spool: a spool directory (the replica opens it, MaxBytes spoolMax)
	// and wecom.spool_busy_after.
	spool     string
	spoolMax  int64
	busyAfter time.Duration
	// shards, queueSize tune the dispatcher (0: defaults).
	shards, queueSize int
	// redisClock: now is only the replica's wall clock; the inbox's leases
	// run on Redis's clock as in production, with a 2 s grace period.
	redisClock bool
}

func startReplica(t *testing.T, rdb *redis.Client, fake *fakewecom.Server) *replica {
	t.Helper()
	return startReplicaWith(t, rdb, fake, replicaOpts{})
}

func startReplicaWith(t *testing.T, rdb *redis.Client, fake *fakewecom.Server, o replicaOpts) *replica {
	t.Helper()
	if o.now == nil {
		o.now = time.Now
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := wecomapi.New(wecomapi.Config{CorpID: fake.CorpID(), AgentID: fake.AgentID(), Secret: fake.CorpSecret(),
		APIBase: fake.URL, Redis: rdb, Prefix: "e2e:", Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	metrics := bot.NewMetrics(reg)
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "e2e:", Deliverer: client, Observer: metrics,
		Registerer: reg, Logger: logger, PollInterval: 10 * time.Millisecond,
		Config: config.Outbox{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{metrics: metrics, ob: ob, reg: reg}
	var sp *spool.Spool
	if o.spool != "" {
		if sp, err = spool.Open(spool.Options{Dir: o.spool, MaxBytes: o.spoolMax}); err != nil {
			t.Fatal(err)
		}
	}
	h := func(ctx context.Context, req *handlers.Request) (reply.Reply, error) {
		r.handled.Add(1)
		if o.before != nil {
			if rep, ok, err := o.before(ctx, req); ok {
				return rep, err
			}
		}
		if req.Kind == handlers.KindEvent && req.Event == handlers.EventEnter {
			return reply.Markdown("欢迎使用抽查助手"), nil
		}
		return reply.Markdown(strings.Join(req.Sections, "、") + "：" + req.Text), nil
	}
	cfg := &config.Config{
		Redis: config.Redis{Prefix: "e2e:"},
		WeCom: config.WeCom{Departments: map[int]string{2: "计量科", 3: "市场规范管理科"}, SpoolBusyAfter: o.busyAfter},
	}
	inbox := bot.InboxOptions{Now: o.now} // the simulated clock runs the inbox's leases too
	if o.redisClock {
		inbox = bot.InboxOptions{Grace: 2 * time.Second}
	}
	r.w, err = wecom.New(wecom.Options{Token: e2eToken, CorpID: fake.CorpID(), AESKey: e2eAESKey, Config: cfg,
		Redis: rdb, Handler: h, Sender: ob, Users: client, Registry: reg, Metrics: metrics, Logger: logger, Now: o.now,
		Spool: sp, Shards: o.shards, QueueSize: o.queueSize, Inbox: inbox})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpserver.New(httpserver.Options{Mounts: []httpserver.Mount{r.w.Mount()}, Redis: rdb, Registry: reg, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(srv.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		wg.Go(func() { r.w.Intake.RunSpool(ctx) }) // the Mount's background, without the inbox's recovery
		_ = ob.Run(ctx)
		wg.Wait()
	}()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			r.srv.Close()
			sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer scancel()
			if o.crash {
				scancel()
			}
			if err := r.w.Dispatcher.Shutdown(sctx); err != nil && !o.crash {
				t.Error(err)
			}
			cancel()
			<-done
			if sp != nil {
				sp.Close()
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// callback posts an encrypted callback the way WeCom does.
func callback(t *testing.T, base string, c *wecom.Crypto, plain string) int {
	t.Helper()
	code, _ := postFull(t, base, c, plain)
	return code
}

func text(corp, user, content string, msgID int) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>"+
		"<MsgId>%d</MsgId><AgentID>1000002</AgentID></xml>", corp, user, time.Now().Unix(), content, msgID)
}

func TestEndToEnd(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{
		{UserID: "zhangsan", Name: "张三", Departments: []int{2, 7}, IsLeaderInDept: []int{0, 1}},
		{UserID: "lisi", Name: "李四", Departments: []int{3}},
	}})
	r := startReplica(t, rdb, fake)
	c := r.w.Crypto

	msg := text(fake.CorpID(), "zhangsan", "本月有哪些任务", 7001)
	if code := callback(t, r.srv.URL, c, msg); code != 200 {
		t.Fatalf("callback: %d", code)
	}
	msgs, err := fake.WaitMessages(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].ToUser != "zhangsan" || msgs[0].MsgType != "markdown" || msgs[0].Content != "计量科：本月有哪些任务" {
		t.Fatalf("fake received %+v", msgs)
	}
	// WeCom's retries of the same message: accepted, not answered again.
	for i := 0; i < 2; i++ {
		if code := callback(t, r.srv.URL, c, msg); code != 200 {
			t.Fatalf("retry: %d", code)
		}
	}
	// A second user, then an enter_agent event.
	callback(t, r.srv.URL, c, text(fake.CorpID(), "lisi", "快到期的", 7002))
	callback(t, r.srv.URL, c, fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>lisi</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>event</MsgType><Event>enter_agent</Event><EventKey></EventKey><AgentID>1000002</AgentID></xml>", fake.CorpID(), time.Now().Unix()))
	msgs, err = fake.WaitMessages(3, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r.stop() // drain: everything accepted has been handled
	if n := r.handled.Load(); n != 3 {
		t.Fatalf("handler ran %d times, want 3 (retries must not reach it)", n)
	}
	msgs = fake.Messages()
	if len(msgs) != 3 {
		t.Fatalf("fake received %d messages, want 3: %+v", len(msgs), msgs)
	}
	got := map[string]bool{}
	for _, m := range msgs[1:] {
		got[m.ToUser+"|"+m.Content] = true
	}
	if !got["lisi|市场规范管理科：快到期的"] || !got["lisi|欢迎使用抽查助手"] {
		t.Fatalf("answers %+v", msgs)
	}
	if fake.Calls(fakewecom.EndpointUser) != 2 {
		t.Fatalf("user/get called %d times, want 2 (cached per user)", fake.Calls(fakewecom.EndpointUser))
	}
}

func TestEndToEndTwoReplicasAnswerOnce(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{})
	a := startReplica(t, rdb, fake)
	b := startReplica(t, rdb, fake)
	c := a.w.Crypto
	const n = 10
	for i := 0; i < n; i++ {
		msg := text(fake.CorpID(), "user"+strconv.Itoa(i%3), "问题"+strconv.Itoa(i), 8000+i)
		var wg sync.WaitGroup
		for _, r := range []*replica{a, b, a, b} { // WeCom retrying against either replica
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := callback(t, r.srv.URL, c, msg); code != 200 {
					t.Errorf("callback: %d", code)
				}
			}()
		}
		wg.Wait()
	}
	if _, err := fake.WaitMessages(n, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	a.stop()
	b.stop()
	if h := a.handled.Load() + b.handled.Load(); h != n {
		t.Fatalf("handled %d times across replicas, want %d", h, n)
	}
	msgs := fake.Messages()
	if len(msgs) != n {
		t.Fatalf("fake received %d messages, want %d", len(msgs), n)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.Content] {
			t.Fatalf("answered twice: %q", m.Content)
		}
		seen[m.Content] = true
	}
}

// Faults on the way out: the answer still arrives exactly once; a failing
// address book costs the sections, never the answer.
func TestEndToEndFaults(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "zhangsan", Departments: []int{2}}}})
	r := startReplica(t, rdb, fake)
	fake.InjectFaults(fakewecom.EndpointUser, fakewecom.Fault{HTTPStatus: 500})
	fake.InjectFaults(fakewecom.EndpointSend,
		fakewecom.Fault{ErrCode: 42001}, fakewecom.Fault{HTTPStatus: 500}, fakewecom.Fault{ErrCode: -1})
	if code := callback(t, r.srv.URL, r.w.Crypto, text(fake.CorpID(), "zhangsan", "本月任务", 9001)); code != 200 {
		t.Fatalf("callback: %d", code)
	}
	msgs, err := fake.WaitMessages(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r.stop()
	if len(fake.Messages()) != 1 || msgs[0].Content != "：本月任务" {
		t.Fatalf("fake received %+v (want one answer without sections: user/get failed)", fake.Messages())
	}
	if fake.FaultsServed(fakewecom.EndpointSend) != 3 {
		t.Fatalf("send faults served %d, want 3", fake.FaultsServed(fakewecom.EndpointSend))
	}
}

// A replica is killed while handling a message; a second replica on the
// same Redis answers it once, after the grace period.
func TestEndToEndCrashRecovery(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "zhangsan", Departments: []int{2}}}})
	stuck, started := make(chan struct{}), make(chan struct{}, 1)
	a := startReplicaWith(t, rdb, fake, replicaOpts{crash: true,
		before: func(context.Context, *handlers.Request) (reply.Reply, bool, error) {
			started <- struct{}{}
			<-stuck // ignores its context, like a process that is simply gone
			return reply.Reply{}, true, nil
		}})
	t.Cleanup(func() { close(stuck) })
	msg := text(fake.CorpID(), "zhangsan", "本月有哪些任务", 9501)
	if code := callback(t, a.srv.URL, a.w.Crypto, msg); code != 200 {
		t.Fatalf("callback: %d", code)
	}
	<-started
	a.stop() // killed: no drain, its outbox workers gone

	var skew atomic.Int64 // the new replica's clock, moved past the grace period
	b := startReplicaWith(t, rdb, fake, replicaOpts{now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	ctx := context.Background()
	if n, err := b.w.Inbox.Recover(ctx, b.w.Dispatcher); err != nil || n != 0 {
		t.Fatalf("recovered %d (%v) within the grace period", n, err)
	}
	skew.Store(int64(b.w.Inbox.Grace() + time.Second))
	if n, err := b.w.Inbox.Recover(ctx, b.w.Dispatcher); err != nil || n != 1 {
		t.Fatalf("recovered %d (%v), want 1", n, err)
	}
	// WeCom's retry reaches the new replica: a duplicate.
	skew.Store(0)
	if code := callback(t, b.srv.URL, b.w.Crypto, msg); code != 200 {
		t.Fatalf("retry: %d", code)
	}
	msgs, err := fake.WaitMessages(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b.stop()
	if len(fake.Messages()) != 1 || msgs[0].ToUser != "zhangsan" || msgs[0].Content != "计量科：本月有哪些任务" {
		t.Fatalf("fake received %+v, want one answer", fake.Messages())
	}
	if n, err := b.w.Inbox.Len(ctx); err != nil || n != 0 {
		t.Fatalf("inbox holds %d (%v) after the answer", n, err)
	}
}

// A replica answers (the outbox has the answer) and dies before removing
// the message from the inbox: the recovery runs the handler again, and the
// outbox, idempotent by Message.ID, sends nothing twice.
func TestEndToEndRecoveryOfAnsweredMessage(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "zhangsan", Departments: []int{2}}}})
	ctx := context.Background()
	var entry redis.Z
	var payload string
	a := startReplicaWith(t, rdb, fake, replicaOpts{before: func(context.Context, *handlers.Request) (reply.Reply, bool, error) {
		// Remember the inbox entry as it is before the answer.
		entry = rdb.ZRangeWithScores(ctx, keys.New("e2e:").Inbox(), 0, 0).Val()[0]
		payload = rdb.Get(ctx, keys.New("e2e:").Seen(entry.Member.(string))).Val()
		return reply.Reply{}, false, nil
	}})
	if code := callback(t, a.srv.URL, a.w.Crypto, text(fake.CorpID(), "zhangsan", "本月有哪些任务", 9601)); code != 200 {
		t.Fatalf("callback: %d", code)
	}
	if _, err := fake.WaitMessages(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	a.stop()
	if n, _ := a.w.Inbox.Len(ctx); n != 0 {
		t.Fatalf("inbox %d after the answer", n)
	}
	// The removal never happened.
	rdb.ZAdd(ctx, keys.New("e2e:").Inbox(), entry)
	rdb.SetArgs(ctx, keys.New("e2e:").Seen(entry.Member.(string)), payload, redis.SetArgs{KeepTTL: true})

	b := startReplicaWith(t, rdb, fake, replicaOpts{now: func() time.Time { return time.Now().Add(2 * time.Minute) }})
	if n, err := b.w.Inbox.Recover(ctx, b.w.Dispatcher); err != nil || n != 1 {
		t.Fatalf("recovered %d (%v), want 1", n, err)
	}
	b.stop() // drained: the handler ran and its answer went to the outbox
	if b.handled.Load() != 1 {
		t.Fatalf("recovered message handled %d times", b.handled.Load())
	}
	if st, err := b.ob.Stats(ctx); err != nil || st.Pending() != 0 {
		t.Fatalf("outbox %+v %v: the second answer was queued", st, err)
	}
	if n := len(fake.Messages()); n != 1 {
		t.Fatalf("fake received %d messages, want 1", n)
	}
	if n, _ := b.w.Inbox.Len(ctx); n != 0 {
		t.Fatalf("inbox %d after recovery", n)
	}
}
