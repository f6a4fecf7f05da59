package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/store/keys"
)

func TestDialogsShelveAndUnshelve(t *testing.T) {
	d, rdb := newDialogs(t)
	ctx := context.Background()
	k := keys.New("p:")
	s := sampleState()
	if err := d.Save(ctx, "u1", s, time.Hour); err != nil {
		t.Fatal(err)
	}
	stale := *s
	stale.Version--
	if err := d.Shelve(ctx, "u1", &stale, time.Hour); !errors.Is(err, dialog.ErrConflict) {
		t.Fatalf("Shelve at a stale version: %v", err)
	}
	if err := d.Shelve(ctx, "u1", s, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := d.Shelve(ctx, "u1", s, time.Hour); !errors.Is(err, dialog.ErrConflict) {
		t.Fatalf("Shelve of nothing: %v", err)
	}
	if n := rdb.Exists(ctx, k.Dialog("u1")).Val(); n != 0 {
		t.Fatal("the running state stayed")
	}
	drafts, err := d.Drafts(ctx, "u1")
	if err != nil || len(drafts) != 1 || drafts[0].Step != s.Step || drafts[0].Get("备注") != "现场😀" || drafts[0].Version != s.Version {
		t.Fatalf("Drafts = %+v, %v", drafts, err)
	}

	// A running dialog at another version than said: refused.
	other := &dialog.State{Flow: "other", Step: "x"}
	if err := d.Save(ctx, "u1", other, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := d.Unshelve(ctx, "u1", drafts[0], 0, time.Hour); !errors.Is(err, dialog.ErrConflict) {
		t.Fatalf("Unshelve over a moved dialog: %v", err)
	}
	if err := d.Unshelve(ctx, "u1", drafts[0], other.Version, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, _ := d.Load(ctx, "u1")
	if got.Flow != s.Flow || got.Version != drafts[0].Version || got.Version != s.Version+1 {
		t.Fatalf("running %+v after Unshelve (draft version %d)", got, drafts[0].Version)
	}
	if err := d.Unshelve(ctx, "u1", drafts[0], got.Version, time.Hour); !errors.Is(err, dialog.ErrConflict) {
		t.Fatalf("Unshelve of a draft gone: %v", err)
	}
	if n := rdb.ZCard(ctx, k.DialogDrafts("u1")).Val(); n != 0 {
		t.Fatalf("index holds %d after Unshelve", n)
	}

	// An index entry whose draft expired is dropped.
	rdb.ZAdd(ctx, k.DialogDrafts("u1"), redis.Z{Score: 1, Member: "gone"})
	if drafts, err := d.Drafts(ctx, "u1"); err != nil || len(drafts) != 0 {
		t.Fatalf("Drafts = %+v, %v", drafts, err)
	}
	if n := rdb.ZCard(ctx, k.DialogDrafts("u1")).Val(); n != 0 {
		t.Fatal("the stale index entry stayed")
	}
}
