package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// The untagged names of layout 1, as an earlier version wrote them.
const oldOutbox = "t:outbox:"

// downgradeOutbox renames every tagged outbox key to its layout-1 name,
// lane records included: what the earlier version, the same outbox code
// under "outbox:", left in Redis.
func downgradeOutbox(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := t.Context()
	np := keys.New("t:").Outbox()
	ks, err := rdb.Keys(ctx, "t:{outbox}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if err := rdb.Rename(ctx, k, oldOutbox+strings.TrimPrefix(k, np)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	lanes := rdb.HGetAll(ctx, oldOutbox+"lanes").Val()
	for id, l := range lanes {
		rdb.HSet(ctx, oldOutbox+"lanes", id, oldOutbox+strings.TrimPrefix(l, np))
	}
}

type recorder struct {
	mu   sync.Mutex
	msgs []*bot.Message
}

func (r *recorder) Enqueue(m *bot.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

// An upgrade with messages in flight: an unanswered inbound message, a
// WeCom retry of an answered one, answers pending in the outbox (one
// recipient also has a new message queued by an upgraded replica), a
// dead letter and the idempotency claims. After MigrateKeys the inbox
// recovers the message, the retry is still a duplicate, every pending
// answer is delivered once, the dead letter is listed, and a re-sent
// answer is still ignored. A second run moves nothing.
func TestMigrateKeys(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	fake := fakewecom.Start(t, fakewecom.Options{PerUserPerMinute: -1})
	api, err := wecomapi.New(wecomapi.Config{CorpID: fake.CorpID(), AgentID: fake.AgentID(), Secret: fake.CorpSecret(),
		APIBase: fake.URL, Redis: rdb, Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	newOutbox := func() *outbox.Outbox {
		ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:", Deliverer: api,
			Config:       config.Outbox{Workers: 2, MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
			PollInterval: 5 * time.Millisecond, ReapInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return ob
	}
	send := func(ob *outbox.Outbox, id, user, text string) {
		t.Helper()
		if err := ob.Send(ctx, reply.Message{ID: id, To: reply.Recipient{Users: []string{user}}, Reply: reply.Text(text)}); err != nil {
			t.Fatal(err)
		}
	}

	// The earlier version's outbox: two answers to u1, one to u2, and a
	// dead letter to u3 (moved to the dead set by hand).
	ob := newOutbox()
	send(ob, "a1", "u1", "旧1")
	send(ob, "a2", "u1", "旧2")
	send(ob, "b1", "u2", "旧3")
	send(ob, "d1", "u3", "死信")
	send(ob, "e1", "u4", "无队列")
	np := keys.New("t:").Outbox()
	rdb.ZRem(ctx, np+"ready", "d1")
	rdb.Del(ctx, np+"lane:u:u3")
	rdb.HDel(ctx, np+"lanes", "d1")
	rdb.ZAdd(ctx, np+"dead", redis.Z{Score: 1, Member: "d1"})
	downgradeOutbox(t, rdb)
	rdb.Del(ctx, oldOutbox+"lane:u:u4") // an entry queued in no lane
	rdb.HDel(ctx, oldOutbox+"lanes", "e1")
	// Its inbox: one unanswered message accepted two minutes ago, claimed
	// once, and the dedupe key of one answered.
	accepted := time.Now().Add(-2 * time.Minute)
	m := &bot.Message{ID: "msg:7001", Type: "text", Request: handlers.Request{Channel: "wecom", UserID: "u1", Kind: handlers.KindText, Text: "任务7", MsgID: "msg:7001"}}
	body, _ := json.Marshal(m)
	rdb.Set(ctx, "t:wecom:seen:msg:7001", strconv.FormatInt(accepted.UnixMilli(), 10)+"\n"+string(body), 24*time.Hour)
	rdb.ZAdd(ctx, "t:wecom:inbox", redis.Z{Score: float64(accepted.UnixMilli()), Member: "msg:7001"})
	rdb.HSet(ctx, "t:wecom:inbox:claims", "msg:7001", 1)
	rdb.Set(ctx, "t:wecom:seen:msg:7000", "1", time.Hour)

	// Its reminders: a claim, the records, the watermark.
	rdb.Set(ctx, "t:reminders:claim:2023/8/opens-before/7/计量科", "sent", 400*24*time.Hour)
	rdb.HSet(ctx, "t:reminders:records:2023", "2023/8/opens-before/7/计量科", `{"status":"sent"}`)
	rdb.Set(ctx, "t:reminders:done:2023", "2023-06-20", 0)

	// An upgraded replica already queued an answer to u1.
	send(ob, "n1", "u1", "新1")

	got, err := store.MigrateKeys(ctx, rdb, "t:", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Migrated{Inbox: 1, Seen: 1, Outbox: 4, Dead: 1, OutboxIDs: 5, Reminders: 3}); got != want {
		t.Fatalf("moved %+v, want %+v", got, want)
	}
	if left := rdb.Keys(ctx, "t:outbox:*").Val(); len(left) != 0 {
		t.Errorf("old outbox keys left: %v", left)
	}
	if left := rdb.Keys(ctx, "t:wecom:*").Val(); len(left) != 0 {
		t.Errorf("old inbound keys left: %v", left)
	}
	k := keys.New("t:")
	rk := k.Reminders()
	if ttl := rdb.TTL(ctx, rk+"claim:2023/8/opens-before/7/计量科").Val(); ttl < 399*24*time.Hour ||
		rdb.HGet(ctx, rk+"records:2023", "2023/8/opens-before/7/计量科").Val() != `{"status":"sent"}` ||
		rdb.Get(ctx, rk+"done:2023").Val() != "2023-06-20" || rdb.Exists(ctx, "t:reminders:records:2023").Val() != 0 {
		t.Errorf("reminder keys after the migration: claim TTL %v, %v", ttl, rdb.Keys(ctx, "t:*reminders*").Val())
	}
	if ttl := rdb.TTL(ctx, k.Seen("msg:7000")).Val(); rdb.Get(ctx, k.Seen("msg:7000")).Val() != "1" || ttl <= 0 || ttl > time.Hour {
		t.Errorf("answered dedupe key: %q, TTL %v", rdb.Get(ctx, k.Seen("msg:7000")).Val(), ttl)
	}
	// u1's lane: the new answer first, then the old ones in their order.
	if lane := rdb.LRange(ctx, np+"lane:u:u1", 0, -1).Val(); !slices.Equal(lane, []string{"n1", "a1", "a2"}) {
		t.Errorf("u1's lane %v", lane)
	}

	// The inbox recovers the unanswered message as it was.
	in, err := bot.NewInbox(bot.InboxOptions{Redis: rdb, Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	var rec recorder
	if n, err := in.Recover(ctx, &rec); err != nil || n != 1 || rec.msgs[0].ID != "msg:7001" || rec.msgs[0].Request.Text != "任务7" {
		t.Fatalf("recovered %d (%v): %+v", n, err, rec.msgs)
	}
	if c := rdb.HGet(ctx, k.InboxClaims(), "msg:7001").Val(); c != "2" {
		t.Errorf("claims %q, want 2 (one before the upgrade, one now)", c)
	}

	// Every pending answer is delivered once, in order per recipient; the
	// re-sent answer a1 is ignored (its claim moved too).
	send(ob, "a1", "u1", "旧1 again")
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = newOutbox().Run(runCtx) }()
	msgs, err := fake.WaitMessages(5, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for st, _ := ob.Stats(ctx); st.Pending() > 0 && time.Now().Before(deadline); st, _ = ob.Stats(ctx) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	var u1 []string
	all := map[string]int{}
	for _, m := range fake.Messages() {
		all[m.Content]++
		if m.ToUser == "u1" {
			u1 = append(u1, m.Content)
		}
	}
	if len(fake.Messages()) != 5 || all["旧3"] != 1 || all["无队列"] != 1 || !slices.Equal(u1, []string{"新1", "旧1", "旧2"}) {
		t.Fatalf("delivered %+v", msgs)
	}
	dead, err := ob.DeadLetters(ctx)
	if err != nil || len(dead) != 1 || dead[0].ID != "d1" {
		t.Fatalf("dead letters %+v %v", dead, err)
	}

	if again, err := store.MigrateKeys(ctx, rdb, "t:", nil); err != nil || again != (store.Migrated{}) {
		t.Fatalf("second run moved %+v (%v)", again, err)
	}
}

// Two replicas starting together migrate once between them.
func TestMigrateKeysConcurrently(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := ob.Send(ctx, reply.Message{ID: "m" + strconv.Itoa(i), To: reply.Recipient{Users: []string{"u1"}}, Reply: reply.Text("x")}); err != nil {
			t.Fatal(err)
		}
	}
	downgradeOutbox(t, rdb)
	var wg sync.WaitGroup
	moved := make([]store.Migrated, 4)
	for i := range moved {
		wg.Go(func() {
			m, err := store.MigrateKeys(ctx, rdb, "t:", nil)
			if err != nil {
				t.Error(err)
			}
			moved[i] = m
		})
	}
	wg.Wait()
	total := 0
	for _, m := range moved {
		total += m.Outbox
	}
	lane := rdb.LRange(ctx, keys.New("t:").Outbox()+"lane:u:u1", 0, -1).Val()
	if total != 50 || len(lane) != 50 {
		t.Fatalf("moved %d, lane of %d (%v)", total, len(lane), moved)
	}
}
