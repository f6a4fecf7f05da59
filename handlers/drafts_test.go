package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/store/keys"
)

func TestDraftFindingTimesOutAndResumes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "1", "date")
	h.expect("zhang", "3月10日", "methods")
	before, err := store.NewDialogs(h.rdb, "t:").Load(ctx, "zhang")
	if err != nil || before == nil {
		t.Fatal(before, err)
	}

	// Idle past the findings' TTL: the next message is answered by the
	// routes, after a word on where the answers went.
	h.now = h.now.Add(2*time.Hour + time.Minute)
	got := h.expect("zhang", "帮助", "", shelvedNote("填报检查结果"))
	if !strings.HasPrefix(got, shelvedNote("填报检查结果")) || !strings.Contains(got, "抽查助手能回答这些问题") {
		t.Fatalf("reply after the timeout:\n%s", got)
	}
	k := keys.New("t:")
	for _, key := range []string{k.DialogDraft("zhang", findingFlow), k.DialogDrafts("zhang")} {
		if ttl := h.rdb.PTTL(ctx, key).Val(); ttl > dialog.DefaultDraftKeep || ttl < dialog.DefaultDraftKeep-time.Minute {
			t.Fatalf("%s PTTL %v, want 7 days", key, ttl)
		}
	}
	h.expect("zhang", "草稿", "", "1. 填报检查结果，已填2步", "发送“继续”接着填写", "草稿保留7天")

	// 继续: the same step, the answers intact; the message delivered twice
	// resumes once.
	h.now = h.now.Add(24 * time.Hour)
	req := func() *Request { return &Request{Kind: KindText, UserID: "zhang", Text: "继续", MsgID: "resume"} }
	first := h.handle(req())
	if !strings.Contains(first, "已恢复草稿“填报检查结果”") || !strings.Contains(first, "检查方式") || h.step("zhang") != "methods" {
		t.Fatalf("继续 at step %q:\n%s", h.step("zhang"), first)
	}
	resumed, _ := store.NewDialogs(h.rdb, "t:").Load(ctx, "zhang")
	// (The running dialog takes the retry: its prompt again.)
	if second := h.handle(req()); strings.Contains(second, "已恢复") || !strings.Contains(second, "检查方式") {
		t.Fatalf("继续 again:\n%s", second)
	}
	again, _ := store.NewDialogs(h.rdb, "t:").Load(ctx, "zhang")
	if again.Version != resumed.Version || resumed.Version <= before.Version {
		t.Fatalf("versions: before %d, resumed %d, after the repeat %d", before.Version, resumed.Version, again.Version)
	}
	for key, v := range before.Data {
		if again.Get(key) != v {
			t.Fatalf("resumed Data[%s] = %q, want %q", key, again.Get(key), v)
		}
	}
	h.expect("zhang", "草稿", "methods") // the dialog takes it: a step answer
	h.expect("zhang", "取消", "")
	h.expect("zhang", "草稿", "", "您没有草稿")
	h.expect("zhang", "继续", "", "您没有可继续的草稿")
	h.expect("zhang", "继续 2", "", "您没有可继续的草稿")

	// A dialog resumed within its TTL simply goes on.
	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "1", "date")
	h.now = h.now.Add(time.Hour)
	h.expect("zhang", "3月10日", "methods")
}

func TestDraftNewDialogKeepsTheDraft(t *testing.T) {
	h := newHarness(t)
	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "1", "date")
	h.now = h.now.Add(3 * time.Hour)
	// 填报 after the timeout starts afresh and keeps the draft.
	h.expect("zhang", "填报", "entity", "已超时", "请选择要填报的检查对象")
	h.expect("zhang", "取消", "")
	h.expect("zhang", "草稿", "", "1. 填报检查结果，已填1步")
	h.expect("zhang", "继续 1", "date", "已恢复草稿")
}

func TestDraftDrawConfirmationNeverDrafts(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	ctx := context.Background()
	e.say(nil, admin1, "抽取 8")
	key := keys.New(e.prefix).Dialog(admin1)
	if ttl := e.rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > 10*time.Minute {
		t.Fatalf("draw confirmation PTTL %v, want its 10 minutes only", ttl)
	}
	e.clock = e.clock.Add(time.Hour)
	if rep := all(e.say(nil, admin1, "继续")); strings.Contains(rep, "草稿") {
		t.Fatalf("a stale draw preview became a draft:\n%s", rep)
	}
	if rep := all(e.say(nil, admin1, "草稿")); !strings.Contains(rep, "您没有草稿") {
		t.Fatalf("草稿:\n%s", rep)
	}
	if n := e.rdb.Exists(ctx, keys.New(e.prefix).DialogDrafts(admin1)).Val(); n != 0 {
		t.Fatal("a drafts index for the draw confirmation")
	}
	if e.current("8") != nil {
		t.Fatal("the stale preview was drawn")
	}
}

func TestDraftRoutesOnlyWithDrafts(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	for _, keep := range []time.Duration{0, -1} {
		r, err := NewRouter(Deps{Logger: discardLogger, DialogStore: store.NewDialogs(rdb, "t:"), DraftKeep: keep})
		if err != nil {
			t.Fatal(err)
		}
		has := strings.Contains(strings.Join(r.Routes(), " "), "resume")
		if has != (keep == 0) {
			t.Errorf("DraftKeep %v: routes %v", keep, r.Routes())
		}
	}
}
