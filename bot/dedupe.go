package bot

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// dedupe remembers accepted message ids in Redis with SET NX + TTL, shared
// by every replica. Concurrent callers are grouped: while one pipeline is in
// flight, the next callers queue up and the first of them sends all their
// SETs in one pipeline (group commit). Alone, a caller pays one round trip
// as before; under load the syscalls per message fall with the batch size.
type dedupe struct {
	rdb redis.UniversalClient
	ttl time.Duration

	mu       sync.Mutex
	pending  []*dedupeReq
	flushing bool
}

type dedupeReq struct {
	key  string
	done chan dedupeRes // buffered 1
}

type dedupeRes struct {
	fresh bool
	err   error
	lead  bool // no result yet: the receiver flushes the next batch
}

// maxDedupeBatch bounds one pipeline.
const maxDedupeBatch = 128

// SetNX reports whether key was not yet set (and sets it with the TTL).
// ctx bounds the round trip; it should not be a request's context (see
// Callback.accept).
func (d *dedupe) SetNX(ctx context.Context, key string) (bool, error) {
	r := &dedupeReq{key: key, done: make(chan dedupeRes, 1)}
	d.mu.Lock()
	d.pending = append(d.pending, r)
	if d.flushing {
		d.mu.Unlock()
		res := <-r.done
		if !res.lead {
			return res.fresh, res.err
		}
		d.mu.Lock()
	}
	d.flushing = true
	n := min(len(d.pending), maxDedupeBatch)
	batch := d.pending[:n:n]
	d.pending = d.pending[n:]
	d.mu.Unlock()

	d.flush(ctx, batch)

	// Hand the next batch to its first waiter, so no caller flushes for
	// others more than once.
	d.mu.Lock()
	if len(d.pending) > 0 {
		d.pending[0].done <- dedupeRes{lead: true}
	} else {
		d.flushing = false
		d.pending = nil
	}
	d.mu.Unlock()
	res := <-r.done
	return res.fresh, res.err
}

func (d *dedupe) flush(ctx context.Context, batch []*dedupeReq) {
	if len(batch) == 1 {
		fresh, err := d.rdb.SetNX(ctx, batch[0].key, "1", d.ttl).Result()
		batch[0].done <- dedupeRes{fresh: fresh, err: err}
		return
	}
	pipe := d.rdb.Pipeline()
	cmds := make([]*redis.BoolCmd, len(batch))
	for i, r := range batch {
		cmds[i] = pipe.SetNX(ctx, r.key, "1", d.ttl)
	}
	_, _ = pipe.Exec(ctx) // errors are per command
	for i, r := range batch {
		fresh, err := cmds[i].Result()
		r.done <- dedupeRes{fresh: fresh, err: err}
	}
}
