package store

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store/keys"
)

func newDialogs(t *testing.T) (*Dialogs, *redis.Client) {
	t.Helper()
	rdb := redistest.Start(t).Client(t)
	return NewDialogs(rdb, "p:"), rdb
}

func sampleState() *dialog.State {
	at := time.Date(2023, 3, 15, 9, 30, 0, 123e6, time.FixedZone("CST", 8*3600))
	return &dialog.State{Flow: "inspect", Step: "items", Data: map[string]string{"kind": "site", "备注": "现场😀"},
		Trail: []string{"kind"}, LastMsg: "msg:42", Started: at, Updated: at.Add(time.Minute)}
}

func TestDialogsRoundTrip(t *testing.T) {
	d, rdb := newDialogs(t)
	ctx := context.Background()
	if s, err := d.Load(ctx, "u1"); s != nil || err != nil {
		t.Fatalf("Load of nothing = %+v, %v", s, err)
	}
	s := sampleState()
	if err := d.Save(ctx, "u1", s, time.Hour); err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 {
		t.Fatalf("Version after the first save %d, want 1", s.Version)
	}
	got, err := d.Load(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Started.Equal(s.Started) || !got.Updated.Equal(s.Updated) {
		t.Fatalf("times %v %v, want %v %v", got.Started, got.Updated, s.Started, s.Updated)
	}
	got.Started, got.Updated = s.Started, s.Updated
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("Load = %+v, want %+v", got, s)
	}
	// One hash under the prefix and the user's hash tag: the version and
	// the state's JSON.
	key := keys.New("p:").Dialog("u1")
	if key != "p:dialog:{u1}" {
		t.Fatalf("key %q", key)
	}
	h := rdb.HGetAll(ctx, key).Val()
	var js dialog.State
	if h["v"] != "1" || json.Unmarshal([]byte(h["s"]), &js) != nil || js.Step != "items" || len(h) != 2 {
		t.Fatalf("hash %v", h)
	}
	if keys := rdb.Keys(ctx, "*").Val(); len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
	// Users do not see each other's dialogs, nor other prefixes.
	if s, _ := d.Load(ctx, "u2"); s != nil {
		t.Fatalf("u2 sees %+v", s)
	}
	if s, _ := NewDialogs(rdb, "q:").Load(ctx, "u1"); s != nil {
		t.Fatalf("another prefix sees %+v", s)
	}
}

func TestDialogsCompareAndSet(t *testing.T) {
	d, _ := newDialogs(t)
	ctx := context.Background()
	s := sampleState()
	if err := d.Save(ctx, "u1", s, time.Hour); err != nil {
		t.Fatal(err)
	}
	// A second "first" save (version 0) and a save at a stale version fail.
	fresh := sampleState()
	if err := d.Save(ctx, "u1", fresh, time.Hour); !errors.Is(err, dialog.ErrConflict) || fresh.Version != 0 {
		t.Fatalf("save over an existing state at version 0: %v (version %d)", err, fresh.Version)
	}
	a, _ := d.Load(ctx, "u1")
	b, _ := d.Load(ctx, "u1")
	a.Step = "note"
	if err := d.Save(ctx, "u1", a, time.Hour); err != nil || a.Version != 2 {
		t.Fatalf("save at the current version: %v (version %d)", err, a.Version)
	}
	b.Step = "kind"
	if err := d.Save(ctx, "u1", b, time.Hour); !errors.Is(err, dialog.ErrConflict) || b.Version != 1 {
		t.Fatalf("save at a stale version: %v (version %d)", err, b.Version)
	}
	if got, _ := d.Load(ctx, "u1"); got.Step != "note" || got.Version != 2 {
		t.Fatalf("stored %+v", got)
	}

	// Deletes compare too: a stale version leaves the state alone.
	if err := d.Delete(ctx, "u1", 1); !errors.Is(err, dialog.ErrConflict) {
		t.Fatalf("delete at a stale version: %v", err)
	}
	if got, _ := d.Load(ctx, "u1"); got == nil {
		t.Fatal("a delete at a stale version removed the state")
	}
	if err := d.Delete(ctx, "u1", 2); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Load(ctx, "u1"); got != nil {
		t.Fatalf("state after delete %+v", got)
	}
	// Deleting what is gone: nothing to delete at that version.
	if err := d.Delete(ctx, "u1", 2); !errors.Is(err, dialog.ErrConflict) {
		t.Fatalf("second delete: %v", err)
	}
	// After a delete a new dialog starts from version 0.
	s = sampleState()
	if err := d.Save(ctx, "u1", s, time.Hour); err != nil || s.Version != 1 {
		t.Fatalf("save after delete: %v (version %d)", err, s.Version)
	}
}

func TestDialogsConcurrentSavesOneWins(t *testing.T) {
	d, _ := newDialogs(t)
	ctx := context.Background()
	if err := d.Save(ctx, "u1", sampleState(), time.Hour); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 10; round++ {
		const n = 16
		states := make([]*dialog.State, n)
		for i := range states {
			states[i], _ = d.Load(ctx, "u1")
			states[i].LastMsg = string(rune('a' + i))
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range states {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				errs[i] = d.Save(ctx, "u1", states[i], time.Hour)
			}()
		}
		close(gate)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner < 0:
				winner = i
			case err == nil:
				t.Fatalf("round %d: saves %d and %d both succeeded", round, winner, i)
			case !errors.Is(err, dialog.ErrConflict):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no save succeeded", round)
		}
		got, _ := d.Load(ctx, "u1")
		if got.LastMsg != states[winner].LastMsg || got.Version != int64(round+2) {
			t.Fatalf("round %d: stored %+v, want the winner %d", round, got, winner)
		}
	}
}

func TestDialogsTTL(t *testing.T) {
	d, rdb := newDialogs(t)
	ctx := context.Background()
	key := keys.New("p:").Dialog("u1")
	s := sampleState()
	if err := d.Save(ctx, "u1", s, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl > 10*time.Minute || ttl < 10*time.Minute-5*time.Second {
		t.Fatalf("PTTL %v, want about 10m", ttl)
	}
	// Every save sets the TTL it is given.
	rdb.PExpire(ctx, key, time.Minute)
	if err := d.Save(ctx, "u1", s, 20*time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl > 20*time.Minute || ttl < 20*time.Minute-5*time.Second {
		t.Fatalf("PTTL %v after a save, want about 20m", ttl)
	}
	// A refused save leaves the TTL alone.
	stale := sampleState()
	if err := d.Save(ctx, "u1", stale, time.Hour); !errors.Is(err, dialog.ErrConflict) {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl > 20*time.Minute {
		t.Fatalf("PTTL %v after a refused save", ttl)
	}
	// The state expires.
	if err := d.Save(ctx, "u1", s, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	if got, err := d.Load(ctx, "u1"); got != nil || err != nil {
		t.Fatalf("Load after expiry = %+v, %v", got, err)
	}
}

func TestDialogsUnreadableStateIsDropped(t *testing.T) {
	d, rdb := newDialogs(t)
	ctx := context.Background()
	key := keys.New("p:").Dialog("u1")
	rdb.HSet(ctx, key, "v", "3", "s", "{not json")
	if got, err := d.Load(ctx, "u1"); got != nil || err != nil {
		t.Fatalf("Load of garbage = %+v, %v", got, err)
	}
	if rdb.Exists(ctx, key).Val() != 0 {
		t.Fatal("the unreadable state was kept")
	}
	// A state saved next starts afresh.
	s := sampleState()
	if err := d.Save(ctx, "u1", s, time.Hour); err != nil || s.Version != 1 {
		t.Fatalf("save after the garbage: %v (version %d)", err, s.Version)
	}
}
