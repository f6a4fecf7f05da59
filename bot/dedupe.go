package bot

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// dedupe remembers accepted message ids in Redis with SET NX + TTL, shared
// by every replica; with an inbox, the same script records the message in
// it when the key was free (see Inbox). Concurrent callers are grouped: while one pipeline is in
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
}

// maxDedupeBatch bounds one pipeline.
const maxDedupeBatch = 128

// SetNX reports whether key was not yet set (and sets it with the TTL).
// ctx bounds the round trip; it should not be a request's context (see
// Callback.accept).
func (d *dedupe) SetNX(ctx context.Context, key string) (bool, error) {
	return d.Accept(ctx, key, "", nil)
}

// Accept is SetNX that, with an inbox, also records the message (id, plain)
// in the inbox when key was free, atomically.
func (d *dedupe) Accept(ctx context.Context, key, id string, plain []byte) (bool, error) {
	r := &dedupeReq{key: key, id: id, plain: plain, done: make(chan dedupeRes, 1)}
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
	if d.inbox == nil {
		d.flushSetNX(ctx, batch)
		return
	}
	in := d.inbox
	if len(batch) == 1 {
		keys, args := in.acceptArgs(batch[0].key, d.ttl, batch[0].id, batch[0].plain)
		n, err := in.accept.Run(ctx, d.rdb, keys, args...).Int()
		batch[0].done <- dedupeRes{fresh: n == 1, err: err}
		return
	}
	cmds := make([]*redis.Cmd, len(batch))
	_, _ = d.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range batch {
			keys, args := in.acceptArgs(r.key, d.ttl, r.id, r.plain)
			cmds[i] = in.accept.EvalSha(ctx, p, keys, args...)
		}
		return nil
	}) // errors are per command
	var again []int
	for i, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		// The script cache is empty (a fresh or restarted Redis): send the
		// source, which also caches it. NOSCRIPT means nothing ran.
		_, _ = d.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range again {
				keys, args := in.acceptArgs(batch[i].key, d.ttl, batch[i].id, batch[i].plain)
				cmds[i] = in.accept.Eval(ctx, p, keys, args...)
			}
			return nil
		})
	}
	for i, r := range batch {
		n, err := cmds[i].Int()
		r.done <- dedupeRes{fresh: n == 1, err: err}
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
