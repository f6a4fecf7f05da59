package bot

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// dedupe remembers accepted message ids in Redis with SET NX + TTL, shared
// by every replica; with an inbox, the key's value is the message and the
// same pipeline indexes it (see Inbox). Concurrent callers are grouped: while one pipeline is in
// flight, the next callers queue up and the first of them sends all their
// SETs in one pipeline (group commit). Alone, a caller pays one round trip
// as before; under load the syscalls per message fall with the batch size.
type dedupe struct {
	rdb   redis.UniversalClient
	ttl   time.Duration
	inbox *Inbox // nil: SET NX only

	mu       sync.Mutex
	pending  []*dedupeReq
	flushing bool
}

type dedupeReq struct {
	key   string
	id    string         // dedupe id (inbox field)
	plain []byte         // decrypted message (inbox payload)
	done  chan dedupeRes // buffered 1
}

type dedupeRes struct {
	fresh bool
	err   error
	lead  bool // no result yet: the receiver flushes the next batch
	// readded: a duplicate (fresh false) whose inbox index entry was absent
	// and has been added again: its message was answered already.
	readded bool
}

// maxDedupeBatch bounds one pipeline.
const maxDedupeBatch = 128

// SetNX reports whether key was not yet set (and sets it with the TTL).
// ctx bounds the round trip; it should not be a request's context (see
// Callback.accept).
func (d *dedupe) SetNX(ctx context.Context, key string) (bool, error) {
	res := d.accept(ctx, key, "", nil)
	return res.fresh, res.err
}

// Accept is SetNX that, with an inbox, also records the message (id, plain)
// in the inbox, in the same round trip.
func (d *dedupe) Accept(ctx context.Context, key, id string, plain []byte) (bool, error) {
	res := d.accept(ctx, key, id, plain)
	return res.fresh, res.err
}

func (d *dedupe) accept(ctx context.Context, key, id string, plain []byte) dedupeRes {
	r := &dedupeReq{key: key, id: id, plain: plain, done: make(chan dedupeRes, 1)}
	d.mu.Lock()
	d.pending = append(d.pending, r)
	if d.flushing {
		d.mu.Unlock()
		res := <-r.done
		if !res.lead {
			return res
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
	return <-r.done
}

func (d *dedupe) flush(ctx context.Context, batch []*dedupeReq) {
	if d.inbox == nil {
		d.flushSetNX(ctx, batch)
		return
	}
	in := d.inbox
	sets := make([]*redis.BoolCmd, len(batch))
	adds := make([]*redis.IntCmd, len(batch))
	_, _ = d.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range batch {
			sets[i], adds[i] = in.queueAccept(ctx, p, r.key, d.ttl, r.id, r.plain)
		}
		return nil
	}) // errors are per command
	for i, r := range batch {
		fresh, err := sets[i].Result()
		if err == nil {
			// The message is only durable with its index entry.
			err = adds[i].Err()
		}
		r.done <- dedupeRes{fresh: fresh, err: err, readded: !fresh && adds[i].Val() == 1}
	}
}

func (d *dedupe) flushSetNX(ctx context.Context, batch []*dedupeReq) {
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
