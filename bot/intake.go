package bot

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/store/keys"
)

// ErrUnavailable is returned by Intake.Accept when Redis could not record
// the message: the channel should make the platform retry (WeCom: 503).
var ErrUnavailable = errors.New("bot: message store unavailable")

// IntakeOptions configures an Intake.
type IntakeOptions struct {
	Redis  redis.UniversalClient // required: dedupe store shared by replicas
	Prefix string                // Redis key prefix, e.g. "choucha:"
	// Dispatcher takes accepted messages (required).
	Dispatcher Enqueuer
	// Inbox, when set, records each accepted message durably in the same
	// round trip as its dedupe key. The Dispatcher must use the same Inbox.
	Inbox *Inbox
	// DedupeTTL: how long an accepted message id is remembered. Default 24h.
	DedupeTTL time.Duration
	// Spool, when set, keeps messages on local disk while Redis is away
	// (AcceptOrSpool, RunSpool; see spool.go).
	Spool   *SpoolOptions
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time
}

// Intake is where every channel hands over what it received: the message is
// deduplicated across the platform's retries and across replicas, recorded
// in the inbox, and queued for its user's dispatcher shard.
type Intake struct {
	o     IntakeOptions
	k     keys.Keys
	seen  *dedupe
	logs  *LogLimiter
	spool *spooler // nil without IntakeOptions.Spool
}

// NewIntake builds an intake.
func NewIntake(o IntakeOptions) (*Intake, error) {
	switch {
	case o.Redis == nil:
		return nil, errors.New("bot: IntakeOptions.Redis is nil")
	case o.Dispatcher == nil:
		return nil, errors.New("bot: IntakeOptions.Dispatcher is nil")
	}
	if o.DedupeTTL <= 0 {
		o.DedupeTTL = 24 * time.Hour
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	in := &Intake{o: o, k: keys.New(o.Prefix), seen: &dedupe{rdb: o.Redis, ttl: o.DedupeTTL, inbox: o.Inbox},
		logs: NewLogLimiter(10*time.Second, o.Now)}
	if o.Spool != nil {
		var err error
		if in.spool, err = newSpooler(in, *o.Spool); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// Accept takes one message. fresh is false for a duplicate (a retry of a
// message already accepted), which needs no further action. The errors
// mean "not accepted, let the platform retry": ErrUnavailable (Redis),
// ErrQueueFull (the user's shard is full), ErrClosed (shutting down).
func (in *Intake) Accept(ctx context.Context, m *Message) (fresh bool, err error) {
	return in.accept(ctx, m, in.now(), false)
}

// accept is Accept of a message received at at. spooled: a failure refuses
// nothing, the message is (or goes) to the spool, so it is not logged here.
func (in *Intake) accept(ctx context.Context, m *Message, at time.Time, spooled bool) (fresh bool, err error) {
	var payload []byte
	if in.o.Inbox != nil {
		// at is on the inbox's clock (Redis's, see Intake.now), shared by
		// the replica that may recover the message.
		if payload, err = inboxPayload(at, m); err != nil {
			return false, err
		}
	}
	key := in.k.Seen(m.ID)
	// Not the caller's context: a client hanging up must not leave a key
	// set that we believe unset.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	res := in.seen.accept(rctx, key, m.ID, payload)
	if res.err != nil {
		if !redisNotSent(res.err) {
			// The SET may have landed before Redis stopped answering:
			// release it so the retry counts.
			in.release(ctx, key, m, true, spooled)
		}
		return false, errors.Join(ErrUnavailable, res.err)
	}
	if !res.fresh {
		in.o.Metrics.DedupeHits.Inc()
		if res.readded && !(spooled && in.o.Inbox.unanswered(rctx, key)) {
			// A retry of an answered message put its inbox entry back.
			// (A spooled message whose earlier failed accept stored it
			// keeps the entry: recovery answers it.)
			if err := in.o.Inbox.unindex(rctx, m.ID); err != nil {
				in.o.Logger.Debug("inbox: stale entry left for recovery to drop", "id", m.ID, "err", err)
			}
		}
		return false, nil
	}
	if err := in.o.Dispatcher.Enqueue(m); err != nil {
		// Release the key so the platform's retry is not taken for a duplicate.
		in.release(ctx, key, m, false, false)
		return false, err
	}
	in.o.Metrics.MessagesIn.WithLabelValues(m.Type).Inc()
	return true, nil
}

// release deletes a dedupe key and the inbox entry, best effort. After a
// failed accept (afterFailure) whether the key was stored is unknown, and
// with Redis down the release fails too: one line per period says so
// (none when quiet: the message was spooled, nothing was refused).
func (in *Intake) release(ctx context.Context, key string, m *Message, afterFailure, quiet bool) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	var err error
	if in.o.Inbox != nil {
		err = in.o.Inbox.release(dctx, key, m.ID)
	} else {
		err = in.o.Redis.Del(dctx, key).Err()
	}
	if err == nil || quiet {
		return
	}
	if !afterFailure {
		in.o.Logger.Error("dedupe key not released; a platform retry of this message will be ignored until it expires",
			"id", m.ID, "dedupe_ttl", in.o.DedupeTTL, "err", err)
		return
	}
	if ok, suppressed := in.logs.Allow("dedupe_release"); ok {
		attrs := []any{"id", m.ID, "dedupe_ttl", in.o.DedupeTTL, "err", err}
		if suppressed > 0 {
			attrs = append(attrs, "suppressed", suppressed)
		}
		in.o.Logger.Warn("redis unavailable: the message was refused for the platform to retry; its dedupe key could not be "+
			"released in case the failed accept stored it (if it did, retries are taken for duplicates until it expires)", attrs...)
	}
}

// redisNotSent reports whether err proves a command never reached Redis
// (no connection could be made), so nothing was stored.
func redisNotSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed)
}
