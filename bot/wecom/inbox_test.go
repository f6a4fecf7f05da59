package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store/keys"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// inboxState is what Redis holds for the inbox under the "t:" prefix:
// index entries, dedupe keys still holding a message, claim counts.
func inboxState(t *testing.T, rdb *redis.Client) (zset, payloads, claims int64) {
	t.Helper()
	ctx := context.Background()
	for _, k := range rdb.Keys(ctx, keys.New("t:").Seen("*")).Val() {
		if v := rdb.Get(ctx, k).Val(); v != "1" {
			payloads++
		}
	}
	return rdb.ZCard(ctx, keys.New("t:").Inbox()).Val(), payloads, rdb.HLen(ctx, keys.New("t:").InboxClaims()).Val()
}

func assertInboxEmpty(t *testing.T, rdb *redis.Client) {
	t.Helper()
	if z, p, c := inboxState(t, rdb); z+p+c != 0 {
		t.Fatalf("inbox not empty after every message was answered: %d entries, %d payloads, %d claim counts", z, p, c)
	}
}

// crashedReplica accepts msgs on a replica whose only worker hangs in the
// handler, and then stops it without draining (its shutdown context is
// already cancelled), as a process killed mid-way: nothing gets answered
// and every message stays in the inbox. The hung handler is let go at the
// end of the test.
func crashedReplica(t *testing.T, rdb *redis.Client, now time.Time, msgs ...[]byte) *stack {
	t.Helper()
	hang := make(chan struct{})
	started := make(chan struct{}, len(msgs))
	h := func(context.Context, *handlers.Request) (reply.Reply, error) {
		started <- struct{}{}
		<-hang
		return reply.Reply{}, nil
	}
	s := newStack(t, stackOpts{rdb: rdb, now: now, h: h, disp: func(o *bot.DispatcherOptions) { o.Shards = 1 }})
	t.Cleanup(func() { close(hang) }) // runs before the stack's own drain
	for i, m := range msgs {
		if code := post(t, s.srv.URL, s.crypto, m, now.Unix()); code != 200 {
			t.Fatalf("message %d: %d", i, code)
		}
		if i == 0 {
			<-started // the worker is stuck in the handler; the rest queue
		}
	}
	crash, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.disp.Shutdown(crash); err == nil {
		t.Fatal("a drain with a cancelled context reported success")
	}
	if z, p, _ := inboxState(t, rdb); z != int64(len(msgs)) || p != int64(len(msgs)) {
		t.Fatalf("inbox after the crash: %d entries, %d payloads, want %d", z, p, len(msgs))
	}
	return s
}

func recoverNow(t *testing.T, s *stack) int {
	t.Helper()
	n, err := s.inbox.Recover(context.Background(), s.disp)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInboxHoldsMessageUntilAnswered(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	rec := &recorder{}
	h := func(ctx context.Context, req *handlers.Request) (reply.Reply, error) {
		if req.Text == "慢" {
			started <- struct{}{}
			<-release
		}
		return rec.handle(ctx, req)
	}
	s := newStack(t, stackOpts{h: h})
	now := s.now.Unix()
	plain := textXML("zhangsan", "慢", "301", now)
	post(t, s.srv.URL, s.crypto, plain, now)
	<-started
	ctx := context.Background()
	got, err := s.rdb.Get(ctx, keys.New("t:").Seen("msg:301")).Result()
	if err != nil {
		t.Fatal(err)
	}
	at, body, _ := strings.Cut(got, "\n")
	var m bot.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil || at != strconv.FormatInt(s.now.UnixMilli(), 10) ||
		m.ID != "msg:301" || m.Request.Text != "慢" || m.Request.UserID != "zhangsan" {
		t.Fatalf("inbox payload: at %v body %q err %v", at, body, err)
	}
	if score := s.rdb.ZScore(ctx, keys.New("t:").Inbox(), "msg:301").Val(); score != float64(s.now.UnixMilli()) {
		t.Fatalf("inbox score %v, want the accept time %d", score, s.now.UnixMilli())
	}
	// The owner is busy with it: recovery, even long after, leaves it be.
	s.clock.Advance(10 * time.Minute)
	if n := recoverNow(t, s); n != 0 {
		t.Fatalf("recovered %d messages this process holds", n)
	}
	close(release)
	// Messages of every kind, answered or needing no answer, leave the
	// inbox; so do events that are only acknowledged.
	for i, m := range [][]byte{
		textXML("lisi", "本月任务", "302", now),
		[]byte("<xml><ToUserName>" + vecCorpID + "</ToUserName><FromUserName>lisi</FromUserName><CreateTime>" + strconv.FormatInt(now, 10) +
			"</CreateTime><MsgType>link</MsgType><Url>http://x</Url><MsgId>303</MsgId></xml>"), // no answer
		eventXML("lisi", EventEnterAgent, "", now),
		eventXML("lisi", "LOCATION", "", now),
	} {
		if code := post(t, s.srv.URL, s.crypto, m, now); code != 200 {
			t.Fatalf("message %d: %d", i, code)
		}
	}
	s.drain(t)
	if n := len(s.sent.All()); n != 3 {
		t.Fatalf("sent %d answers, want 3", n)
	}
	assertInboxEmpty(t, s.rdb)
}

// A replica dies with one message in its handler and one queued; a new
// replica on the same Redis answers both, exactly once, after the grace
// period; WeCom's retries stay duplicates.
func TestInboxCrashRecovery(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	t0 := time.Unix(1409659813, 0)
	first, second := textXML("zhangsan", "本月任务", "501", t0.Unix()), textXML("zhangsan", "快到期的", "502", t0.Unix())
	a := crashedReplica(t, rdb, t0, first, second)
	if n := len(a.sent.All()); n != 0 {
		t.Fatalf("the crashed replica answered %d", n)
	}

	b := newStack(t, stackOpts{rdb: rdb, now: t0})
	if n := recoverNow(t, b); n != 0 {
		t.Fatalf("recovered %d within the grace period (the owner may still be at it)", n)
	}
	b.clock.Advance(b.inbox.Grace() + time.Second)
	if n := recoverNow(t, b); n != 2 {
		t.Fatalf("recovered %d, want 2", n)
	}
	if n := recoverNow(t, b); n != 0 {
		t.Fatalf("a second pass recovered %d more", n)
	}
	// WeCom retrying the first message at the new replica: a duplicate.
	if code := post(t, b.srv.URL, b.crypto, first, t0.Unix()); code != 200 {
		t.Fatalf("retry: %d", code)
	}
	b.drain(t)
	sent := b.sent.All()
	if len(sent) != 2 || sent[0].ID != "answer:msg:501" || sent[0].Reply.Text != "答：本月任务" ||
		sent[1].ID != "answer:msg:502" || sent[1].Reply.Text != "答：快到期的" || sent[0].To.Users[0] != "zhangsan" {
		t.Fatalf("new replica sent %+v", sent)
	}
	if got := metricValue(b.metrics.DedupeHits); got != 1 {
		t.Fatalf("dedupe hits %v, want 1", got)
	}
	if got := metricValue(b.metrics.Inbox.WithLabelValues("recovered")); got != 2 {
		t.Fatalf("recovered metric %v", got)
	}
	assertInboxEmpty(t, rdb)
}

// Two replicas recovering the same orphans at once answer each once.
func TestInboxTwoRecoverersAnswerOnce(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	t0 := time.Unix(1409659813, 0)
	const n = 30
	var msgs [][]byte
	for i := 0; i < n; i++ {
		msgs = append(msgs, textXML("u"+strconv.Itoa(i%4), "问题"+strconv.Itoa(i), strconv.Itoa(600+i), t0.Unix()))
	}
	crashedReplica(t, rdb, t0, msgs...)
	pages := func(o *bot.InboxOptions) { o.RecoverBatch = 7 } // several pages each
	b := newStack(t, stackOpts{rdb: rdb, now: t0.Add(2 * time.Minute), inboxO: pages})
	c := newStack(t, stackOpts{rdb: rdb, now: t0.Add(2 * time.Minute), inboxO: pages})
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, s := range []*stack{b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.inbox.Recover(context.Background(), s.disp)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != n {
		t.Fatalf("recovered %d + %d, want %d in all", counts[0], counts[1], n)
	}
	b.drain(t)
	c.drain(t)
	seen := map[string]int{}
	for _, m := range append(b.sent.All(), c.sent.All()...) {
		seen[m.ID]++
	}
	if len(seen) != n {
		t.Fatalf("%d distinct answers, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("%s answered %d times", id, k)
		}
	}
	assertInboxEmpty(t, rdb)
}

// A replica holding a message past the grace period (a long queue) renews
// its lease, so another replica does not take it.
func TestInboxLeaseRenewal(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	h := func(ctx context.Context, req *handlers.Request) (reply.Reply, error) {
		started <- struct{}{}
		<-release
		return reply.Text("答：" + req.Text), nil
	}
	a := newStack(t, stackOpts{rdb: rdb, h: h, disp: func(o *bot.DispatcherOptions) { o.Shards = 1 }})
	t0 := a.now
	post(t, a.srv.URL, a.crypto, textXML("u", "1", "701", t0.Unix()), t0.Unix())
	<-started
	post(t, a.srv.URL, a.crypto, textXML("u", "2", "702", t0.Unix()), t0.Unix())
	a.clock.Advance(30 * time.Second)
	if n := recoverNow(t, a); n != 0 { // renews: 30s ≥ Grace/3
		t.Fatalf("owner recovered %d of its own", n)
	}
	b := newStack(t, stackOpts{rdb: rdb, now: t0.Add(70 * time.Second)}) // 70s after accept, 40s after renewal
	if n := recoverNow(t, b); n != 0 {
		t.Fatalf("another replica took %d messages whose owner renewed their lease", n)
	}
	close(release)
	a.drain(t)
	if n := len(a.sent.All()); n != 2 {
		t.Fatalf("owner answered %d, want 2", n)
	}
	b.drain(t)
	if n := len(b.sent.All()); n != 0 {
		t.Fatalf("other replica answered %d", n)
	}
	assertInboxEmpty(t, rdb)
}

// How late a recovered message is decides its fate: answered, answered with
// a note, or dropped with a log line.
func TestInboxRecoveryAge(t *testing.T) {
	tests := []struct {
		name   string
		after  time.Duration
		msg    func(now int64) []byte
		answer string // "" = no answer
		result string // inbox recovery metric label
	}{
		{"within the late threshold", 2 * time.Minute, func(n int64) []byte { return textXML("u", "本月任务", "801", n) }, "答：本月任务", "recovered"},
		{"late: a note first", 40 * time.Minute, func(n int64) []byte { return textXML("u", "本月任务", "802", n) },
			"（抱歉回复晚了，以下是对您 9月2日 20:10 所发消息的回复。）\n\n答：本月任务", "recovered"},
		{"late welcome: none", 40 * time.Minute, func(n int64) []byte { return eventXML("u", EventEnterAgent, "", n) }, "", "recovered"},
		{"over the max age: dropped", 25 * time.Hour, func(n int64) []byte { return textXML("u", "本月任务", "803", n) }, "", "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb := redistest.Start(t).Client(t)
			t0 := time.Unix(1409659813, 0) // 2014-09-02 20:10:13 +08:00
			crashedReplica(t, rdb, t0, tt.msg(t0.Unix()))
			b := newStack(t, stackOpts{rdb: rdb, now: t0.Add(tt.after), disp: func(o *bot.DispatcherOptions) { o.Location = shanghai(t) }})
			n := recoverNow(t, b)
			b.drain(t)
			if got := metricValue(b.metrics.Inbox.WithLabelValues(tt.result)); got != 1 {
				t.Fatalf("inbox_recovery_total{result=%s} = %v, want 1", tt.result, got)
			}
			if tt.result == "recovered" && n != 1 {
				t.Fatalf("recovered %d", n)
			}
			sent := b.sent.All()
			switch {
			case tt.answer == "" && len(sent) != 0:
				t.Fatalf("answered %+v, want none", sent)
			case tt.answer != "" && (len(sent) != 1 || sent[0].Reply.Text != tt.answer):
				t.Fatalf("answered %+v, want %q", sent, tt.answer)
			}
			assertInboxEmpty(t, rdb)
		})
	}
}

// A message that keeps failing is given up after MaxClaims recoveries.
func TestInboxGivesUpAfterMaxClaims(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	t0 := time.Unix(1409659813, 0)
	crashedReplica(t, rdb, t0, textXML("u", "毒", "901", t0.Unix()))
	b := newStack(t, stackOpts{rdb: rdb, now: t0.Add(2 * time.Minute)})
	// As if recovered MaxClaims times already, each attempt dying.
	rdb.HSet(context.Background(), keys.New("t:").InboxClaims(), "msg:901", 5) // the default MaxClaims
	if n := recoverNow(t, b); n != 0 {
		t.Fatalf("dispatched %d", n)
	}
	b.drain(t)
	if got := metricValue(b.metrics.Inbox.WithLabelValues("abandoned")); got != 1 || len(b.sent.All()) != 0 {
		t.Fatalf("abandoned %v, sent %d", got, len(b.sent.All()))
	}
	assertInboxEmpty(t, rdb)
}

type failingSender struct{}

func (failingSender) Send(context.Context, reply.Message) error {
	return errors.New("outbox unreachable")
}

// An answer the outbox would not take leaves the message in the inbox; the
// next recovery answers it.
func TestInboxKeepsMessageWhenSendFails(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	a := newStack(t, stackOpts{rdb: rdb, sender: failingSender{}, disp: func(o *bot.DispatcherOptions) { o.HandlerTimeout = time.Millisecond }})
	t0 := a.now
	post(t, a.srv.URL, a.crypto, textXML("u", "本月任务", "1001", t0.Unix()), t0.Unix())
	a.drain(t)
	if got := metricValue(a.metrics.Answers.WithLabelValues("send_error")); got != 1 {
		t.Fatalf("send_error %v", got)
	}
	if z, _, _ := inboxState(t, rdb); z != 1 {
		t.Fatalf("inbox holds %d after a failed send, want 1", z)
	}
	b := newStack(t, stackOpts{rdb: rdb, now: t0.Add(2 * time.Minute)})
	if n := recoverNow(t, b); n != 1 {
		t.Fatalf("recovered %d", n)
	}
	b.drain(t)
	if sent := b.sent.All(); len(sent) != 1 || sent[0].ID != "answer:msg:1001" {
		t.Fatalf("sent %+v", sent)
	}
	assertInboxEmpty(t, rdb)
}

// A drain that times out leaves the message being handled and the queued
// ones for the next replica instead of answering them in a hurry (with an
// error message for the interrupted one).
func TestInboxDrainTimeoutLeavesQueued(t *testing.T) {
	started := make(chan struct{}, 1)
	h := func(ctx context.Context, _ *handlers.Request) (reply.Reply, error) {
		started <- struct{}{}
		<-ctx.Done()
		return reply.Reply{}, ctx.Err()
	}
	s := newStack(t, stackOpts{h: h, disp: func(o *bot.DispatcherOptions) { o.Shards = 1 }})
	now := s.now.Unix()
	post(t, s.srv.URL, s.crypto, textXML("u", "1", "1101", now), now)
	<-started
	post(t, s.srv.URL, s.crypto, textXML("u", "2", "1102", now), now)
	timedOut, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.disp.Shutdown(timedOut); err == nil {
		t.Fatal("drain with a cancelled context reported success")
	}
	s.drain(t) // waits for the workers to finish
	if got := metricValue(s.metrics.Answers.WithLabelValues("left_for_recovery")); got != 2 {
		t.Fatalf("left_for_recovery %v, want 2", got)
	}
	if sent := s.sent.All(); len(sent) != 0 {
		t.Fatalf("answered during a timed-out drain: %+v", sent)
	}
	if z, p, _ := inboxState(t, s.rdb); z != 2 || p != 2 {
		t.Fatalf("inbox %d/%d, want both messages", z, p)
	}
}

// Index entries whose message is answered (a retry re-added it and the
// callback could not remove it) or gone (the dedupe key expired) are
// dropped by recovery, the second with a log line and the expired metric.
func TestInboxRecoveryDropsStaleIndexEntries(t *testing.T) {
	s := newStack(t, stackOpts{})
	ctx := context.Background()
	old := float64(s.now.Add(-time.Hour).UnixMilli())
	s.rdb.Set(ctx, keys.New("t:").Seen("msg:answered"), "1", time.Hour)
	s.rdb.ZAdd(ctx, keys.New("t:").Inbox(), redis.Z{Score: old, Member: "msg:answered"}, redis.Z{Score: old, Member: "msg:gone"})
	if n := recoverNow(t, s); n != 0 {
		t.Fatalf("dispatched %d", n)
	}
	s.drain(t)
	if len(s.sent.All()) != 0 {
		t.Fatalf("answered %+v", s.sent.All())
	}
	if got := metricValue(s.metrics.Inbox.WithLabelValues("expired")); got != 1 {
		t.Fatalf("expired %v, want 1 (the gone one)", got)
	}
	assertInboxEmpty(t, s.rdb)
}

// A WeCom retry arriving after the answer does not leave an inbox entry.
func TestInboxRetryAfterAnswer(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	a := newStack(t, stackOpts{rdb: rdb})
	now := a.now.Unix()
	msg := textXML("u", "本月任务", "1201", now)
	post(t, a.srv.URL, a.crypto, msg, now)
	a.drain(t) // answered and marked
	if v := rdb.Get(context.Background(), keys.New("t:").Seen("msg:1201")).Val(); v != "1" {
		t.Fatalf("dedupe key after the answer holds %q, want the answered mark", v)
	}
	b := newStack(t, stackOpts{rdb: rdb})
	if code := post(t, b.srv.URL, b.crypto, msg, now); code != 200 {
		t.Fatalf("retry: %d", code)
	}
	b.drain(t)
	if len(b.sent.All()) != 0 || metricValue(b.metrics.DedupeHits) != 1 {
		t.Fatalf("retry answered %d, dedupe hits %v", len(b.sent.All()), metricValue(b.metrics.DedupeHits))
	}
	assertInboxEmpty(t, rdb)
	if ttl := rdb.TTL(context.Background(), keys.New("t:").Seen("msg:1201")).Val(); ttl <= 23*time.Hour {
		t.Fatalf("answered mark lost the dedupe TTL: %v", ttl)
	}
}
