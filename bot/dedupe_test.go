package bot

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store/keys"
)

func TestDedupeGroupsConcurrentCallers(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	d := &dedupe{rdb: rdb, ttl: time.Hour}
	const keys, copies = 300, 4
	var fresh [keys]atomic.Int32
	var wg sync.WaitGroup
	for c := 0; c < copies; c++ {
		for k := 0; k < keys; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := d.SetNX(context.Background(), "k"+strconv.Itoa(k))
				if err != nil {
					t.Error(err)
				}
				if ok {
					fresh[k].Add(1)
				}
			}()
		}
	}
	wg.Wait()
	for k := range fresh {
		if n := fresh[k].Load(); n != 1 {
			t.Fatalf("key %d reported fresh %d times, want 1", k, n)
		}
	}
	if ttl := rdb.TTL(context.Background(), "k7").Val(); ttl <= 0 {
		t.Fatalf("dedupe key without TTL: %v", ttl)
	}
	if d.flushing || len(d.pending) != 0 {
		t.Fatalf("batcher left busy: flushing=%v pending=%d", d.flushing, len(d.pending))
	}
}

// With an inbox, the grouped SET NX also records each fresh message, and
// nothing for a duplicate.
func TestDedupeAcceptRecordsInbox(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	in, err := NewInbox(InboxOptions{Redis: rdb, Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	d := &dedupe{rdb: rdb, ttl: time.Hour, inbox: in}
	kk := keys.New("t:")
	ctx := context.Background()
	for round := 0; round < 2; round++ {
		const keys, copies = 200, 3
		var fresh [keys]atomic.Int32
		var wg sync.WaitGroup
		for c := 0; c < copies; c++ {
			for k := 0; k < keys; k++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := "msg:" + strconv.Itoa(round*1000+k)
					payload, err := inboxPayload(time.UnixMilli(1), &Message{ID: id, Request: handlers.Request{UserID: "u", Text: id}})
					if err != nil {
						t.Error(err)
					}
					ok, err := d.Accept(ctx, kk.Seen(id), id, payload)
					if err != nil {
						t.Error(err)
					}
					if ok {
						fresh[k].Add(1)
					}
				}()
			}
		}
		wg.Wait()
		for k := range fresh {
			if n := fresh[k].Load(); n != 1 {
				t.Fatalf("round %d key %d fresh %d times", round, k, n)
			}
		}
		if n := rdb.ZCard(ctx, kk.Inbox()).Val(); n != int64((round+1)*keys) {
			t.Fatalf("round %d: inbox has %d entries", round, n)
		}
	}
	// Duplicates within one batch.
	var batch []*dedupeReq
	for _, id := range []string{"msg:a", "msg:b", "msg:a"} {
		batch = append(batch, &dedupeReq{key: kk.Seen(id), id: id, plain: []byte("1\n{}"), done: make(chan dedupeRes, 1)})
	}
	d.flush(ctx, batch)
	for i, want := range []bool{true, true, false} {
		if r := <-batch[i].done; r.err != nil || r.fresh != want {
			t.Fatalf("batch %d: %+v, want fresh=%v", i, r, want)
		}
	}
	p := rdb.Get(ctx, kk.Seen("msg:1007")).Val()
	_, body, err := parseInboxPayload(p)
	if err != nil {
		t.Fatalf("payload %q: %v", p, err)
	}
	if m, err := in.decode(body); err != nil || m.Request.Text != "msg:1007" {
		t.Fatalf("payload %q: %+v %v", p, m, err)
	}
}
