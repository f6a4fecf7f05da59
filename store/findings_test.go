package store

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store/keys"
)

func newFinding(item, code, reporter string, co ...string) *finding.Finding {
	at := time.Date(2023, 3, 6, 10, 0, 0, 0, time.UTC)
	return &finding.Finding{
		ID: finding.ID(2023, item, code), Year: 2023, ItemID: item, DrawID: "d", CreditCode: code,
		EntityName: "对象" + code, Reporter: reporter, CoInspectors: co,
		Content: finding.Content{CheckDate: at.Truncate(24 * time.Hour), Methods: []string{"实地检查"},
			Result: finding.Result{Category: 1}, FollowUp: finding.NoAction},
		State: finding.Pending, FirstReportedAt: at, ReportedAt: at,
	}
}

func TestFindingsSaveGetList(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	s := NewFindings(rdb, "t:")

	f := newFinding("8", "91140403MAG928PQ9Q", "Alice", "bob")
	if err := s.Save(ctx, f); err != nil || f.Version != 1 {
		t.Fatalf("save: %v, version %d", err, f.Version)
	}
	// A second writer that read nothing (version 0) loses.
	g := newFinding("8", "91140403MAG928PQ9Q", "bob", "alice")
	if err := s.Save(ctx, g); !errors.Is(err, finding.ErrConflict) || g.Version != 0 {
		t.Fatalf("conflicting save: %v, version %d", err, g.Version)
	}
	got, err := s.Get(ctx, 2023, "8", "91140403mag928pq9q")
	if err != nil || got == nil || got.Reporter != "Alice" || got.Version != 1 || !got.CheckDate.Equal(f.CheckDate) {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if none, err := s.Get(ctx, 2023, "9", "91140403MAG928PQ9Q"); none != nil || err != nil {
		t.Fatalf("get missing = %+v, %v", none, err)
	}
	// An edit at the read version succeeds and keeps the index order.
	got.Remarks = "复查"
	if err := s.Save(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("update: %v", err)
	}
	if err := s.Save(ctx, f); !errors.Is(err, finding.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	h := newFinding("8", "911404052725320905", "carol", "alice")
	h.FirstReportedAt = h.FirstReportedAt.Add(time.Hour)
	if err := s.Save(ctx, h); err != nil {
		t.Fatal(err)
	}
	ids := func(fs []*finding.Finding, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			out = append(out, f.CreditCode)
		}
		return strings.Join(out, ",")
	}
	if got := ids(s.ListByItem(ctx, 2023, "8")); got != "91140403MAG928PQ9Q,911404052725320905" {
		t.Errorf("by item = %s", got)
	}
	if got := ids(s.ListByUser(ctx, 2023, "ALICE")); got != "91140403MAG928PQ9Q,911404052725320905" {
		t.Errorf("by alice = %s", got)
	}
	if got := ids(s.ListByUser(ctx, 2023, "bob")); got != "91140403MAG928PQ9Q" {
		t.Errorf("by bob = %s", got)
	}
	if got := ids(s.ListByUser(ctx, 2024, "bob")); got != "" {
		t.Errorf("2024 = %s", got)
	}
	// Every key carries the year's hash tag.
	k := keys.New("t:")
	all, err := rdb.Keys(ctx, "t:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range all {
		if !strings.HasPrefix(key, "t:{finding:2023}:") {
			t.Errorf("key %s lacks the year's hash tag", key)
		}
	}
	if !slices.Contains(all, k.FindingAll(2023)) {
		t.Errorf("no %s in %v", k.FindingAll(2023), all)
	}
}

// Many writers at one version: exactly one wins, the record is whole.
func TestFindingsConcurrentSave(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	s := NewFindings(srv.Client(t), "t:")
	var wg sync.WaitGroup
	wins := make(chan string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := newFinding("1", "91140404MAUW8PJLR8", "u"+string(rune('a'+i)), "z")
			if err := s.Save(ctx, f); err == nil {
				wins <- f.Reporter
			} else if !errors.Is(err, finding.ErrConflict) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	var won []string
	for w := range wins {
		won = append(won, w)
	}
	got, err := s.Get(ctx, 2023, "1", "91140404MAUW8PJLR8")
	if len(won) != 1 || err != nil || got == nil || got.Reporter != won[0] || got.Version != 1 {
		t.Fatalf("winners %v, stored %+v, %v", won, got, err)
	}
	n, _ := srv.Client(t).ZCard(ctx, keys.New("t:").FindingItem(2023, "1")).Result()
	if n != 1 {
		t.Fatalf("item index has %d entries", n)
	}
}

func TestFindingsPublished(t *testing.T) {
	srv := redistest.Start(t)
	s := NewFindings(srv.Client(t), "t:")
	ctx := t.Context()
	at := time.Date(2023, 9, 1, 2, 0, 0, 0, time.UTC)
	if n, err := s.MarkPublished(ctx, 2023, []string{"a", "b"}, at); err != nil || n != 2 {
		t.Fatalf("mark: %d, %v", n, err)
	}
	if n, err := s.MarkPublished(ctx, 2023, []string{"b", "c"}, at.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("mark again: %d, %v", n, err)
	}
	m, err := s.Published(ctx, 2023)
	if err != nil || len(m) != 3 || !m["b"].Equal(at) {
		t.Fatalf("published: %v, %v", m, err)
	}
}
