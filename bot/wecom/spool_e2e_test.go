package wecom_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
)

// handledLog records, per user, the texts the handler saw, in order.
type handledLog struct {
	mu     sync.Mutex
	byUser map[string][]string
}

func (l *handledLog) before(_ context.Context, req *handlers.Request) (reply.Reply, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byUser == nil {
		l.byUser = map[string][]string{}
	}
	l.byUser[req.UserID] = append(l.byUser[req.UserID], req.Text)
	return reply.Reply{}, false, nil
}

func (l *handledLog) get(user string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.byUser[user]...)
}

// postFull posts an encrypted callback and returns the status and body.
func postFull(t *testing.T, base string, c *wecom.Crypto, plain string) (int, []byte) {
	t.Helper()
	ts := time.Now().Unix()
	body, sig, err := c.SealCallback([]byte(plain), "1000002", ts, "sp")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(ts, 10)}, "nonce": {"sp"}}
	resp, err := http.Post(base+"/wecom/callback?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// metricSum adds up the samples of a metric in reg whose labels include
// every pair in labels ("k", "v", ...).
func metricSum(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	samples:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue samples
				}
			}
			switch {
			case m.Counter != nil:
				total += m.Counter.GetValue()
			case m.Gauge != nil:
				total += m.Gauge.GetValue()
			}
		}
	}
	return total
}

// outboxSettled waits until r's outbox has recorded every delivery: a
// Redis killed between a delivery and its record would leave the lease for
// the outbox's own recovery, which is not what these tests are about.
func outboxSettled(t *testing.T, r *replica) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st, err := r.ob.Stats(context.Background())
		if err == nil && st.Pending() == 0 && st.InFlight == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not settled: %+v %v", st, err)
		}
	}
}

// waitDrained waits until r has left spooling mode: its spool is empty.
func waitDrained(t *testing.T, r *replica) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); r.w.Intake.Spooling(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("still spooling after 10s")
		}
	}
}

// answersByUser is what the fake WeCom delivered, per user, in order.
func answersByUser(fake *fakewecom.Server) map[string][]string {
	got := map[string][]string{}
	for _, m := range fake.Messages() {
		got[m.ToUser] = append(got[m.ToUser], m.Content)
	}
	return got
}

// Redis is SIGKILLed; callbacks keep getting 200 (spooled on disk), WeCom's
// retries among them too; when Redis is back every message is answered
// exactly once, each user's in the order sent, and the spool is empty.
func TestSpoolRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{})
	log := &handledLog{}
	r := startReplicaWith(t, rdb, fake, replicaOpts{spool: t.TempDir(), before: log.before})
	c := r.w.Crypto
	users := []string{"zhangsan", "lisi", "wangwu"}
	want := map[string][]string{}
	msg := func(i int) string {
		return text(fake.CorpID(), users[i%len(users)], "问题"+strconv.Itoa(i), 20000+i)
	}

	if code := callback(t, r.srv.URL, c, msg(0)); code != 200 {
		t.Fatalf("before the outage: %d", code)
	}
	want[users[0]] = append(want[users[0]], "：问题0")
	if _, err := fake.WaitMessages(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	outboxSettled(t, r)

	srv.Kill()
	const n = 40
	for i := 1; i <= n; i++ {
		if code := callback(t, r.srv.URL, c, msg(i)); code != 200 {
			t.Fatalf("message %d during the outage: %d", i, code)
		}
		u := users[i%len(users)]
		want[u] = append(want[u], "：问题"+strconv.Itoa(i))
		if i%10 == 0 {
			// WeCom retrying one spooled message, and one answered before.
			for _, again := range []int{i - 3, 0} {
				if code := callback(t, r.srv.URL, c, msg(again)); code != 200 {
					t.Fatalf("retry of %d during the outage: %d", again, code)
				}
			}
		}
	}
	if got := metricSum(t, r.reg, "choucha_wecom_spooled_total"); got != n+8 {
		t.Fatalf("spooled %v, want %d", got, n+8)
	}
	if got := metricSum(t, r.reg, "choucha_wecom_spool_messages"); got != n+8 {
		t.Fatalf("spool holds %v messages, want %d", got, n+8)
	}
	if metricSum(t, r.reg, "choucha_wecom_spool_bytes") <= 0 {
		t.Fatal("spool bytes 0 with messages spooled")
	}
	if !r.w.Intake.Spooling() {
		t.Fatal("not spooling during the outage")
	}

	if err := srv.Revive(); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.WaitMessages(n+1, 20*time.Second); err != nil {
		t.Fatalf("%v; answered %q; handled %q %q %q; drained %v, queue %v", err, answersByUser(fake), log.get(users[0]), log.get(users[1]), log.get(users[2]),
			metricSum(t, r.reg, "choucha_wecom_spool_drained_total"), metricSum(t, r.reg, "choucha_wecom_queue_depth"))
	}
	waitDrained(t, r) // the last duplicates may still be in the spool
	r.stop()          // drained: every accepted message handled
	got := answersByUser(fake)
	for _, u := range users {
		if fmt.Sprint(got[u]) != fmt.Sprint(want[u]) {
			t.Errorf("%s was answered %q, want %q (each once, in order)", u, got[u], want[u])
		}
		if h := log.get(u); len(h) != len(want[u]) {
			t.Errorf("%s: handler ran %d times, want %d", u, len(h), len(want[u]))
		}
	}
	if got := metricSum(t, r.reg, "choucha_wecom_spool_drained_total", "result", "accepted"); got != n {
		t.Errorf("drained accepted %v, want %d", got, n)
	}
	if got := metricSum(t, r.reg, "choucha_wecom_spool_drained_total", "result", "duplicate"); got != 8 {
		t.Errorf("drained duplicates %v, want 8", got)
	}
	if got := metricSum(t, r.reg, "choucha_wecom_spool_messages"); got != 0 {
		t.Errorf("spool holds %v after draining", got)
	}
	if got := metricSum(t, r.reg, "choucha_wecom_spool_bytes"); got != 0 {
		t.Errorf("spool files %v bytes after draining", got)
	}
	if r.w.Intake.Spooling() {
		t.Error("still spooling after the spool drained")
	}
}

// Redis comes back while spooled messages are still being handed over (the
// dispatcher is full: one shard of one slot, its worker held): a new
// message is spooled behind them rather than overtaking them, and each
// user's messages are answered in the order sent.
func TestSpoolKeepsOrderWhileDraining(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{})
	held, release := make(chan struct{}, 1), make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	log := &handledLog{}
	r := startReplicaWith(t, rdb, fake, replicaOpts{spool: t.TempDir(), shards: 1, queueSize: 1,
		before: func(ctx context.Context, req *handlers.Request) (reply.Reply, bool, error) {
			if req.Text == "a1" {
				held <- struct{}{}
				<-release
			}
			return log.before(ctx, req)
		}})
	c := r.w.Crypto
	srv.Kill()
	for i, m := range []string{
		text(fake.CorpID(), "u1", "a1", 30001),
		text(fake.CorpID(), "u1", "a2", 30002),
		text(fake.CorpID(), "u2", "b1", 30003),
		text(fake.CorpID(), "u2", "b2", 30004),
	} {
		if code := callback(t, r.srv.URL, c, m); code != 200 {
			t.Fatalf("message %d during the outage: %d", i, code)
		}
	}
	if err := srv.Revive(); err != nil {
		t.Fatal(err)
	}
	<-held // a1 in the handler, a2 in the one queue slot, b1 waiting in the spool
	if !r.w.Intake.Spooling() {
		t.Fatal("spool drained while the dispatcher is full")
	}
	// Sent directly, these would find the dispatcher full (503): a 200
	// means they were spooled behind the others.
	for i, m := range []string{
		text(fake.CorpID(), "u1", "a3", 30005),
		text(fake.CorpID(), "u2", "b3", 30006),
	} {
		if code := callback(t, r.srv.URL, c, m); code != 200 {
			t.Fatalf("new message %d while draining: %d", i, code)
		}
	}
	releaseOnce.Do(func() { close(release) })
	if _, err := fake.WaitMessages(6, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	r.stop()
	got := answersByUser(fake)
	if fmt.Sprint(got["u1"]) != "[：a1 ：a2 ：a3]" || fmt.Sprint(got["u2"]) != "[：b1 ：b2 ：b3]" {
		t.Fatalf("answers %q", got)
	}
	if got := metricSum(t, r.reg, "choucha_wecom_spooled_total"); got != 6 {
		t.Fatalf("spooled %v, want 6", got)
	}
}

// A full spool refuses with 503 (WeCom retries later); what it took is
// answered once Redis is back, and WeCom's retries of the refused ones then
// go straight to Redis.
func TestSpoolFull(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{})
	r := startReplicaWith(t, rdb, fake, replicaOpts{spool: t.TempDir(), spoolMax: 1500})
	c := r.w.Crypto
	srv.Kill()
	msg := func(i int) string { return text(fake.CorpID(), "zhangsan", "问题"+strconv.Itoa(i), 40000+i) }
	var refused []int
	for i := 0; i < 10; i++ {
		switch code := callback(t, r.srv.URL, c, msg(i)); {
		case code == 200 && len(refused) == 0:
		case code == 503:
			refused = append(refused, i)
		default:
			t.Fatalf("message %d: %d after %d refused", i, code, len(refused))
		}
	}
	taken := 10 - len(refused)
	if taken == 0 || len(refused) == 0 {
		t.Fatalf("%d spooled, %d refused: want both", taken, len(refused))
	}
	if got := metricSum(t, r.reg, "choucha_wecom_callbacks_rejected_total", "reason", wecom.ReasonSpoolFull); got != float64(len(refused)) {
		t.Fatalf("spool_full rejections %v, want %d", got, len(refused))
	}
	if b := metricSum(t, r.reg, "choucha_wecom_spool_bytes"); b > 1500 {
		t.Fatalf("spool uses %v bytes, over its 1500", b)
	}
	if err := srv.Revive(); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.WaitMessages(taken, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, r)
	for _, i := range refused { // WeCom's retries
		if code := callback(t, r.srv.URL, c, msg(i)); code != 200 {
			t.Fatalf("retry of %d after the outage: %d", i, code)
		}
	}
	if _, err := fake.WaitMessages(10, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	r.stop()
	var want []string
	for i := 0; i < 10; i++ {
		want = append(want, "：问题"+strconv.Itoa(i))
	}
	if got := answersByUser(fake)["zhangsan"]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("answers %q, want %q", got, want)
	}
}

// In an outage that has lasted spool_busy_after, a user's message gets the
// encrypted passive reply 系统繁忙，稍后为您答复 once; events and a quick
// outage's first messages get the empty 200. The real answers follow.
func TestSpoolBusyReply(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{})
	var skew atomic.Int64
	r := startReplicaWith(t, rdb, fake, replicaOpts{spool: t.TempDir(), busyAfter: 5 * time.Second,
		now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	c := r.w.Crypto
	srv.Kill()
	enter := fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>lisi</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>event</MsgType><Event>enter_agent</Event><EventKey></EventKey><AgentID>1000002</AgentID></xml>", fake.CorpID(), time.Now().Unix())
	steps := []struct {
		plain string
		busy  bool
		later time.Duration // clock moved forward after this step
	}{
		{text(fake.CorpID(), "zhangsan", "x1", 50001), false, 6 * time.Second}, // the outage just began
		{text(fake.CorpID(), "zhangsan", "x2", 50002), true, 0},
		{text(fake.CorpID(), "zhangsan", "x3", 50003), false, 0}, // told already
		{enter, false, 0}, // an event
		{text(fake.CorpID(), "lisi", "y1", 50004), true, 0},
	}
	for i, s := range steps {
		code, body := postFull(t, r.srv.URL, c, s.plain)
		if code != 200 {
			t.Fatalf("step %d: %d", i, code)
		}
		if !s.busy {
			if len(body) != 0 {
				t.Fatalf("step %d: body %q, want an empty 200", i, body)
			}
		} else {
			var env struct{ Encrypt, MsgSignature, TimeStamp, Nonce string }
			if err := xml.Unmarshal(body, &env); err != nil {
				t.Fatalf("step %d: reply %q: %v", i, body, err)
			}
			plain, err := c.Open(env.MsgSignature, env.TimeStamp, env.Nonce, env.Encrypt)
			if err != nil {
				t.Fatalf("step %d: reply does not open: %v", i, err)
			}
			var m struct{ ToUserName, FromUserName, MsgType, Content string }
			if err := xml.Unmarshal(plain, &m); err != nil {
				t.Fatal(err)
			}
			user := "zhangsan"
			if strings.Contains(s.plain, "lisi") {
				user = "lisi"
			}
			if m.Content != wecom.BusyText || m.MsgType != "text" || m.ToUserName != user || m.FromUserName != fake.CorpID() {
				t.Fatalf("step %d: passive reply %+v", i, m)
			}
		}
		skew.Add(int64(s.later))
	}
	if err := srv.Revive(); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.WaitMessages(5, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	r.stop()
	got := answersByUser(fake)
	if fmt.Sprint(got["zhangsan"]) != "[：x1 ：x2 ：x3]" || fmt.Sprint(got["lisi"]) != "[欢迎使用抽查助手 ：y1]" {
		t.Fatalf("answers %q", got)
	}
}
