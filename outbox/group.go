package outbox

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// group runs the outbox's scripts with group commit: while maxFlights
// pipelines are in flight, concurrent callers (Send, the workers' steps)
// queue up, and the first of them sends all their EVALSHAs in the next
// pipeline (more than one in flight keeps Redis busy while a batch's
// answers are read).
// Each script is still atomic on its own and each caller gets its own
// answer after Redis has executed (and, with appendfsync always, synced)
// it; alone, a caller pays one round trip as before, under load the round
// trips and syscalls per message fall with the batch size.
type group struct {
	rdb redis.UniversalClient

	mu      sync.Mutex
	pending []*groupCall
	flights int // pipelines in flight
}

type groupCall struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	done   chan bool // buffered 1; true: cmd is set, false: lead the next batch
}

// maxGroupBatch bounds one pipeline.
const maxGroupBatch = 128

// maxFlights bounds the pipelines in flight at once.
const maxFlights = 2

// run runs script like script.Run, batched with concurrent callers. The
// round trip is not cancelled with ctx (its values are kept): a caller's
// answer must not be lost because another caller gave up.
func (g *group) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	c := &groupCall{script: script, keys: keys, args: args, done: make(chan bool, 1)}
	g.mu.Lock()
	if g.flights >= maxFlights {
		g.pending = append(g.pending, c)
		g.mu.Unlock()
		if <-c.done {
			return c.cmd
		}
		// Taken off pending to lead the next batch, in a flight handed over.
		g.mu.Lock()
	} else {
		g.flights++ // pending is empty: waiters queue only when every flight is taken
	}
	n := min(len(g.pending), maxGroupBatch-1)
	batch := make([]*groupCall, 0, n+1)
	batch = append(append(batch, c), g.pending[:n]...)
	g.pending = g.pending[n:]
	g.mu.Unlock()

	g.flush(context.WithoutCancel(ctx), batch)

	// Hand this flight to the first waiter, so no caller flushes for
	// others more than once.
	g.mu.Lock()
	if len(g.pending) > 0 {
		next := g.pending[0]
		g.pending = g.pending[1:]
		next.done <- false
	} else {
		g.flights--
		g.pending = nil
	}
	g.mu.Unlock()
	<-c.done
	return c.cmd
}

func (g *group) flush(ctx context.Context, batch []*groupCall) {
	if len(batch) == 1 {
		c := batch[0]
		c.cmd = c.script.Run(ctx, g.rdb, c.keys, c.args...)
		c.done <- true
		return
	}
	pipe := g.rdb.Pipeline()
	for _, c := range batch {
		c.cmd = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // errors are per command
	for _, c := range batch {
		if redis.HasErrorPrefix(c.cmd.Err(), "NOSCRIPT") { // script cache flushed: load it
			c.cmd = c.script.Run(ctx, g.rdb, c.keys, c.args...)
		}
		c.done <- true
	}
}
