package dialog_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/store/keys"
)

// draftEnv is an env on Redis whose engine keeps drafts for keep, with a
// second flow ("confirm") that never becomes a draft.
func draftEnv(t *testing.T, keep time.Duration) *env {
	t.Helper()
	rdb := redistest.Start(t).Client(t)
	st := store.NewDialogs(rdb, "d:")
	e := newEnv(t, st, "u1")
	noDraft := inspectFlow("confirm", flowTTL, e.finished)
	noDraft.Title, noDraft.NoDraft = "抽取确认", true
	var err error
	e.engine, err = dialog.New(st, 0, inspectFlow(flowName, flowTTL, e.finished), noDraft)
	if err != nil {
		t.Fatal(err)
	}
	if !e.engine.KeepDrafts(keep) {
		t.Fatal("KeepDrafts refused the Redis store")
	}
	e.rdb, e.key = rdb, keys.New("d:").Dialog("u1")
	return e
}

// activeAt is ActiveAt for e's user at e.now plus idle.
func (e *env) activeAt(idle time.Duration) (s, shelved *dialog.State) {
	e.t.Helper()
	s, shelved, err := e.engine.ActiveAt(context.Background(), e.user, e.now.Add(idle))
	if err != nil {
		e.t.Fatalf("ActiveAt: %v", err)
	}
	return s, shelved
}

func TestDraftIdleDialogIsShelvedAndResumed(t *testing.T) {
	ctx := context.Background()
	e := draftEnv(t, 0)
	e.at("note")
	k := keys.New("d:")
	// The running state outlives its TTL by the draft retention, so that
	// it can still be shelved.
	if ttl := e.rdb.PTTL(ctx, e.key).Val(); ttl < flowTTL+dialog.DefaultDraftKeep-5*time.Second {
		t.Fatalf("running state PTTL %v, want its TTL plus 7 days", ttl)
	}
	if s, shelved := e.activeAt(flowTTL); s == nil || shelved != nil {
		t.Fatalf("at exactly the TTL: running %v, shelved %v", s, shelved)
	}
	s, shelved := e.activeAt(flowTTL + time.Second)
	if s != nil || shelved == nil || shelved.Step != "note" {
		t.Fatalf("past the TTL: running %+v, shelved %+v", s, shelved)
	}
	if e.state() != nil {
		t.Fatal("the running state stayed after it was shelved")
	}
	for _, key := range []string{k.DialogDraft("u1", flowName), k.DialogDrafts("u1")} {
		if ttl := e.rdb.PTTL(ctx, key).Val(); ttl > dialog.DefaultDraftKeep || ttl < dialog.DefaultDraftKeep-5*time.Second {
			t.Fatalf("%s PTTL %v, want 7 days", key, ttl)
		}
	}
	drafts, err := e.engine.Drafts(ctx, "u1")
	if err != nil || len(drafts) != 1 || drafts[0].Step != "note" || drafts[0].Get("items") == "" {
		t.Fatalf("Drafts = %+v, %v", drafts, err)
	}

	// Resume at the step it was left, its answers intact; the same
	// message again resumes once.
	e.now = e.now.Add(time.Hour)
	in := e.input("继续")
	rep, ok, err := e.engine.Resume(ctx, in, 1)
	if err != nil || !ok || !strings.Contains(rep.Text, notePrompt) || !strings.Contains(rep.Text, "已恢复草稿“检查登记”") {
		t.Fatalf("Resume = %+v, %v, %v", rep, ok, err)
	}
	st := e.state()
	if st == nil || st.Step != "note" || st.Get("kind") != "site" || st.LastMsg != in.MsgID || st.Version <= drafts[0].Version {
		t.Fatalf("resumed state %+v (draft at version %d)", st, drafts[0].Version)
	}
	v := st.Version
	rep, ok, err = e.engine.Resume(ctx, in, 1)
	if err != nil || !ok || !strings.Contains(rep.Text, notePrompt) {
		t.Fatalf("Resume again = %+v, %v, %v", rep, ok, err)
	}
	if st := e.state(); st.Version != v {
		t.Fatalf("the repeated message moved the dialog: version %d, want %d", st.Version, v)
	}
	if d, _ := e.engine.Drafts(ctx, "u1"); len(d) != 0 {
		t.Fatalf("drafts after resuming: %+v", d)
	}
	if ttl := e.rdb.PTTL(ctx, e.key).Val(); ttl < flowTTL+dialog.DefaultDraftKeep-5*time.Second {
		t.Fatalf("resumed state PTTL %v", ttl)
	}
	// The resumed dialog finishes as usual.
	if rep, _ := e.say("跳过"); !strings.Contains(rep.Text, "已登记") || e.finished.Load() != 1 {
		t.Fatalf("finishing the resumed dialog: %+v", rep)
	}
	if _, ok, err := e.engine.Resume(ctx, e.input("继续"), 1); ok || err != nil {
		t.Fatalf("Resume with no draft = %v, %v", ok, err)
	}
}

func TestDraftNewDialogKeepsDraftAndOrder(t *testing.T) {
	ctx := context.Background()
	e := draftEnv(t, time.Hour)
	e.at("items")
	if _, shelved := e.activeAt(time.Hour); shelved == nil {
		t.Fatal("not shelved")
	}
	if ttl := e.rdb.PTTL(ctx, keys.New("d:").DialogDraft("u1", flowName)).Val(); ttl > time.Hour || ttl < time.Hour-5*time.Second {
		t.Fatalf("draft PTTL %v, want the configured hour", ttl)
	}
	// A new dialog of the same flow leaves the draft alone.
	e.start()
	if d, _ := e.engine.Drafts(ctx, "u1"); len(d) != 1 || d[0].Step != "items" {
		t.Fatalf("drafts after a new dialog: %+v", d)
	}
	if _, ok, _ := e.engine.Resume(ctx, e.input("继续"), 2); ok {
		t.Fatal("Resume of a second draft that does not exist")
	}
	// Resuming replaces the running one.
	if _, ok, err := e.engine.Resume(ctx, e.input("继续"), 1); !ok || err != nil {
		t.Fatalf("Resume = %v, %v", ok, err)
	}
	if st := e.state(); st.Step != "items" {
		t.Fatalf("running %+v, want the draft at items", st)
	}
}

func TestDraftNoDraftFlowIsNeverShelved(t *testing.T) {
	ctx := context.Background()
	e := draftEnv(t, 0)
	if _, err := e.engine.Start(ctx, "confirm", e.input("抽取"), nil); err != nil {
		t.Fatal(err)
	}
	if ttl := e.rdb.PTTL(ctx, e.key).Val(); ttl > flowTTL {
		t.Fatalf("NoDraft state PTTL %v, want its TTL only", ttl)
	}
	if s, shelved := e.activeAt(24 * time.Hour); shelved != nil || s == nil {
		t.Fatalf("NoDraft flow: running %v, shelved %v", s, shelved)
	}
	if d, _ := e.engine.Drafts(ctx, "u1"); len(d) != 0 {
		t.Fatalf("drafts %+v", d)
	}
	// And an engine without KeepDrafts keeps no draft.
	e2 := newEnv(t, store.NewDialogs(e.rdb, "plain:"), "u1")
	e2.start()
	if s, shelved, err := e2.engine.ActiveAt(ctx, "u1", e2.now.Add(24*time.Hour)); s == nil || shelved != nil || err != nil {
		t.Fatalf("without drafts: %v %v %v", s, shelved, err)
	}
	// KeepDrafts needs a DraftStore.
	if e3 := newEnv(t, newMemStore(), "u1"); e3.engine.KeepDrafts(0) {
		t.Fatal("KeepDrafts took a store without drafts")
	}
}

func TestDraftResumedConcurrentlyOnce(t *testing.T) {
	ctx := context.Background()
	e := draftEnv(t, 0)
	e.at("items")
	if _, shelved := e.activeAt(time.Hour); shelved == nil {
		t.Fatal("not shelved")
	}
	drafts, _ := e.engine.Drafts(ctx, "u1")
	in := e.input("继续")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, ok, err := e.engine.Resume(ctx, in, 1)
			if err == nil && !ok {
				err = errors.New("no draft")
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := e.state()
	if st == nil || st.Step != "items" || st.Version != drafts[0].Version+1 || st.LastMsg != in.MsgID {
		t.Fatalf("state after concurrent resumes %+v, draft at version %d", st, drafts[0].Version)
	}
}
