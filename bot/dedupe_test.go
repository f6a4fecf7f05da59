package bot

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/internal/redistest"
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
