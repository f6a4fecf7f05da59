package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store/keys"
)

// An upgrade across the key renaming (hash tags): Redis holds what the
// earlier version left under the old names — a question accepted but not
// yet answered, the dedupe key of one answered, an answer waiting in the
// outbox. The new serve moves them at start: the question is answered
// once, the waiting answer delivered once, and WeCom's retries of both
// questions get nothing more.
func TestServeUpgradeMovesInFlightKeys(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "zhangsan", Departments: []int{12}}}})
	setWeComEnv(t, fake)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	cfg := writeConfig(t, srv.URL(), "wecom:\n  departments: {12: 计量科}\nreminders:\n  enabled: false\n")
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}

	// The old outbox (the same code under "t:outbox:"): one answer queued.
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.Send(ctx, reply.Message{ID: "answer:msg:9700", To: reply.Recipient{Users: []string{"zhangsan"}}, Reply: reply.Text("升级前的答复")}); err != nil {
		t.Fatal(err)
	}
	np := keys.New("t:").Outbox()
	for _, k := range rdb.Keys(ctx, "t:{outbox}:*").Val() {
		rdb.Rename(ctx, k, "t:outbox:"+strings.TrimPrefix(k, np))
	}
	for id, l := range rdb.HGetAll(ctx, "t:outbox:lanes").Val() {
		rdb.HSet(ctx, "t:outbox:lanes", id, "t:outbox:"+strings.TrimPrefix(l, np))
	}
	// The old inbox: 任务7 accepted two minutes ago, unanswered; 9702 answered.
	asked := textMsg(fake.CorpID(), "zhangsan", "任务7", 9701)
	in, err := wecom.ParseIncoming([]byte(asked))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(in.Message())
	at := time.Now().Add(-2 * time.Minute).UnixMilli()
	rdb.Set(ctx, "t:wecom:seen:msg:9701", strconv.FormatInt(at, 10)+"\n"+string(body), 24*time.Hour)
	rdb.ZAdd(ctx, "t:wecom:inbox", redis.Z{Score: float64(at), Member: "msg:9701"})
	rdb.Set(ctx, "t:wecom:seen:msg:9702", "1", 24*time.Hour)

	p := startServe(t, cfg)
	got, err := fake.WaitMessages(2, 20*time.Second)
	if err != nil {
		t.Fatalf("after the upgrade: %v\n%s", err, p.stderr.String())
	}
	post(t, p, c, asked)
	post(t, p, c, textMsg(fake.CorpID(), "zhangsan", "拍卖抽多少", 9702))
	if st := waitSettled(t, rdb, p); st.Dead != 0 {
		t.Fatalf("dead letters %+v", st)
	}
	got = fake.Messages()
	var old, answer int
	for _, m := range got {
		switch {
		case m.Content == "升级前的答复":
			old++
		case strings.Contains(m.Content, "7"):
			answer++
		}
	}
	if len(got) != 2 || old != 1 || answer != 1 {
		t.Fatalf("delivered %+v", got)
	}
	if left := rdb.Keys(ctx, "t:outbox:*").Val(); len(left) != 0 {
		t.Errorf("old keys left: %v", left)
	}
}
