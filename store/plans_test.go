package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/plan/plantest"
	"github.com/changzhi-amr/choucha/store/keys"
)

// seedPlanFile is the seed plan's bytes and the same plan as 2026's.
func seedPlanFile(t *testing.T) (seed, next []byte) {
	t.Helper()
	b, err := os.ReadFile(plantest.SeedPath(t))
	if err != nil {
		t.Fatal(err)
	}
	return b, []byte(strings.ReplaceAll(strings.ReplaceAll(string(b), "2023年度", "2026年度"), "拍卖活动检查", "拍卖活动专项检查"))
}

// A staged file waits with a TTL and is kept for good once committed;
// a commit needs its file and the year's upload it previewed against.
func TestPlansStageCommit(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	st := NewPlans(rdb, "p:")
	k := keys.New("p:")
	_, data := seedPlanFile(t)
	hash := plan.Hash(data)
	fileKey := k.PlanFile(strings.TrimPrefix(hash, "sha256:"))
	at := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	up := plan.Upload{Year: 2026, File: "2026.txt", Hash: hash, By: "admin1", At: at}

	if err := st.Commit(ctx, up, ""); !errors.Is(err, plan.ErrExpired) {
		t.Fatalf("commit of an unstaged file: %v", err)
	}
	if err := st.Stage(ctx, hash, data, time.Hour); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(ctx, fileKey).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("staged TTL %v", ttl)
	}
	if err := st.Commit(ctx, up, "sha256:other"); !errors.Is(err, plan.ErrConflict) {
		t.Fatalf("commit against a wrong previous upload: %v", err)
	}
	if v, _ := st.Version(ctx); v != 0 {
		t.Fatalf("version %d after refused commits", v)
	}
	if err := st.Commit(ctx, up, ""); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(ctx, fileKey).Val(); ttl != -1 {
		t.Errorf("loaded file TTL %v, want none", ttl)
	}
	// Staging the loaded file again (a second preview) keeps it for good.
	if err := st.Stage(ctx, hash, data, time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(ctx, fileKey).Val(); ttl != -1 {
		t.Errorf("re-staged loaded file TTL %v, want none", ttl)
	}
	ups, v, err := st.Uploads(ctx)
	if err != nil || v != 1 || len(ups) != 1 || ups[0] != up {
		t.Fatalf("uploads %+v version %d: %v", ups, v, err)
	}
	got, err := st.File(ctx, hash)
	if err != nil || string(got) != string(data) {
		t.Fatalf("file back: %d bytes, %v", len(got), err)
	}
	hist, err := st.History(ctx, 10)
	if err != nil || len(hist) != 1 || hist[0] != up {
		t.Fatalf("history %+v: %v", hist, err)
	}
	// Every key of the plans shares one hash tag.
	for _, key := range []string{k.PlanCurrent(), fileKey, k.PlanVersion(), k.PlanHistory()} {
		if !strings.Contains(key, "{plan}") {
			t.Errorf("key %s has no {plan} tag", key)
		}
	}
}

// Two replicas: a plan committed through one reaches the other's catalog
// through the notification, and a configured plan of the same year is
// overridden by an upload.
func TestLivePlansAcrossReplicas(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seed, next := seedPlanFile(t)
	newReplica := func() *plan.Live {
		p, err := plan.ParseFile("seed.txt", seed)
		if err != nil {
			t.Fatal(err)
		}
		cat, err := plan.NewCatalog(p)
		if err != nil {
			t.Fatal(err)
		}
		l, err := plan.NewLive(cat, NewPlans(rdb, "p:"), plan.Entry{Plan: p, File: "seed.txt", Hash: plan.Hash(seed)})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := newReplica(), newReplica()
	// b hears of loads only through the notification: its poll is hourly.
	go b.Watch(ctx, time.Hour, NewPlans(rdb, "p:").Changes(ctx), nil)

	load := func(l *plan.Live, name string, data []byte, prev string) {
		t.Helper()
		p, err := plan.ParseFile(name, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Stage(ctx, plan.Hash(data), data, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(ctx, plan.Upload{Year: p.Year, File: name, Hash: plan.Hash(data), By: "admin1", At: time.Now()}, prev); err != nil {
			t.Fatal(err)
		}
		if err := l.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The subscription must be in place before the first load is
	// published: wait until redis counts the subscriber.
	waitUntil(t, "subscriber", func() bool {
		n, _ := rdb.PubSubNumSub(ctx, keys.New("p:").PlanChanged()).Result()
		return n[keys.New("p:").PlanChanged()] == 1
	})
	load(a, "2026.txt", next, "")
	if p, ok := a.Catalog().ForYear(2026); !ok || p.Source != "2026.txt" {
		t.Fatalf("a: 2026 = %v, %v", p, ok)
	}
	waitUntil(t, "b has 2026", func() bool { _, ok := b.Catalog().ForYear(2026); return ok })
	if got := len(b.Catalog().Plans()); got != 2 {
		t.Errorf("b has %d plans", got)
	}

	// An upload for 2023 overrides the configured file on both.
	renamed := []byte(strings.ReplaceAll(string(seed), "拍卖活动检查", "拍卖活动检查（新）"))
	load(a, "2023新.txt", renamed, "")
	waitUntil(t, "b has the new 2023", func() bool {
		p, _ := b.Catalog().ForYear(2023)
		it, ok := p.Item("8")
		return ok && it.Name() == "拍卖活动检查（新）"
	})
	e, _ := b.Entry(2023)
	if e.Upload == nil || e.Upload.File != "2023新.txt" || e.Hash != plan.Hash(renamed) {
		t.Errorf("b's 2023 entry %+v", e)
	}
}

// A stored upload that no longer parses is left out with an error; the
// configured plan of its year stays in effect.
func TestLiveRefreshSkipsBrokenUpload(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	seed, _ := seedPlanFile(t)
	p, err := plan.ParseFile("seed.txt", seed)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := plan.NewCatalog(p)
	st := NewPlans(rdb, "p:")
	l, err := plan.NewLive(cat, st, plan.Entry{Plan: p, File: "seed.txt", Hash: plan.Hash(seed)})
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte("序号\t抽查任务名称\n1\t\n")
	if err := st.Stage(ctx, plan.Hash(junk), junk, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, plan.Upload{Year: 2023, File: "junk.txt", Hash: plan.Hash(junk)}, ""); err != nil {
		t.Fatal(err)
	}
	if err := l.Refresh(ctx); err == nil || !strings.Contains(err.Error(), "uploaded plan 2023") {
		t.Fatalf("refresh: %v", err)
	}
	if got, ok := cat.ForYear(2023); !ok || got != p {
		t.Errorf("2023 is %v, want the configured plan", got)
	}
}

// waitUntil polls cond until it holds; it fails after 10 s (a hang, not a
// timing assertion).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkLiveRefreshUnchanged is a replica's periodic check when no
// plan was loaded: one GET of the version.
func BenchmarkLiveRefreshUnchanged(b *testing.B) {
	rdb := redistest.Start(b).Client(b)
	ctx := context.Background()
	seed, err := os.ReadFile(plantest.SeedPath(b))
	if err != nil {
		b.Fatal(err)
	}
	p, err := plan.ParseFile("seed.txt", seed)
	if err != nil {
		b.Fatal(err)
	}
	cat, _ := plan.NewCatalog(p)
	l, err := plan.NewLive(cat, NewPlans(rdb, "p:"), plan.Entry{Plan: p, File: "seed.txt", Hash: plan.Hash(seed)})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := l.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCatalogCurrent is what a question pays for the live catalog:
// one atomic load and a scan of the years.
func BenchmarkCatalogCurrent(b *testing.B) {
	cat := plantest.Seed(b)
	now := time.Date(2026, 3, 15, 9, 0, 0, 0, plantest.Shanghai)
	for b.Loop() {
		if cat.Current(now) == nil {
			b.Fatal("no plan")
		}
	}
}
