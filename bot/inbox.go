package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/redis/go-redis/v9"
)

// The inbox makes an accepted message durable until it is answered. The
// callback's dedupe SET NX stores the decrypted message as the dedupe key's
// value, and the same pipeline adds its id to the inbox index (one round
// trip, group-committed with the other callbacks in flight, no script on
// the hot path); the dispatcher marks it answered once the answer is in the
// outbox or the message needs none. An entry left behind by a replica that died (or
// by this process before a crash) is found by Recover once it is older than
// the grace period, claimed atomically and dispatched again. The outbox is
// idempotent by Message.ID ("answer:"+DedupeID), so dispatching a message
// that was in fact answered sends nothing twice.
//
// Redis layout (package store/keys): Seen(id), the dedupe key (TTL
// DedupeTTL): "<accepted unix ms>\n<message JSON>" while unanswered, "1"
// after; Inbox, a sorted set: id → lease time (unix ms), the accept time at
// first, moved forward by each claim and by the holder's lease renewals;
// InboxClaims, a hash: id → times recovered.
//
// The index entry is added with ZADD NX whether or not the SET NX won, so a
// WeCom retry arriving after the answer re-adds it: the callback sees
// that (SET NX lost, ZADD added) and removes it again; should that fail,
// recovery finds the dedupe key saying "1" and drops it. The claim script touches several
// keys; they share the {wecom} hash tag, so it runs on Redis Cluster too.

// InboxOptions configures an Inbox.
type InboxOptions struct {
	Redis  redis.UniversalClient // required
	Prefix string                // Redis key prefix, e.g. "choucha:"
	// Grace: an entry whose lease is older than this is taken for orphaned
	// and recovered. Default 60s. The holder renews its leases every
	// Interval, so Grace only has to exceed Interval plus Redis hiccups, not
	// the handler timeout; keep it above the handler timeout all the same.
	Grace time.Duration
	// Interval between recovery passes. Default 30s; at most Grace/2.
	Interval time.Duration
	// MaxAge: an entry accepted longer ago than this is dropped with a
	// warning instead of answered. Default 23h; keep it below the dedupe
	// TTL (24h), after which the message itself is gone (also dropped with
	// a warning, without the user's name).
	MaxAge time.Duration
	// LateAfter: a recovered answer to a message accepted longer ago than
	// this starts with a note that it is late (and a recovered enter_agent
	// that old gets no welcome). Default 5m.
	LateAfter time.Duration
	// MaxClaims: a message recovered this many times without being answered
	// (it keeps failing or crashing its handler) is dropped. Default 5.
	MaxClaims int
	// Legacy reads entries stored by an earlier version in a channel's own
	// encoding (the WeCom channel's plaintext XML); nil: such entries are
	// dropped as unparsable.
	Legacy func(body []byte) (*Message, error)
	// RecoverBatch is how many entries one recovery scan reads. Default 100.
	RecoverBatch int
	Metrics      *Metrics
	Logger       *slog.Logger
	// Now is the clock of the inbox's leases and accept times, which every
	// replica sharing the Redis must agree on. Default: Redis's clock
	// (NewRedisClock), so differences between the replicas' own clocks do
	// not matter; tests inject one clock for all their replicas.
	Now func() time.Time
}

// Inbox is the durable record of accepted, unanswered messages.
type Inbox struct {
	o            InboxOptions
	seenPrefix   string // dedupe keys: seenPrefix + id
	zkey, ckey   string
	mu           sync.Mutex
	live         map[string]time.Time // held by this process → last lease time
	recoverMu    sync.Mutex           // one Recover pass at a time
	recoverBatch int
	claimScript  *redis.Script
}

// answeredMark replaces the payload in the dedupe key once answered.
const answeredMark = "1"

// claimScript: take an entry whose lease is at or before the cutoff by
// moving its lease to now. KEYS: zset, claims, the dedupe key. ARGV: id,
// cutoff ms, now ms. Returns nil (not due, or taken by another replica),
// "answered", "gone" (the dedupe key expired), or {payload, claims}.
const claimScript = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s or tonumber(s) > tonumber(ARGV[2]) then return nil end
local p = redis.call('GET', KEYS[3])
if not p or p == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  if p then return 'answered' end
  return 'gone'
end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return {p, n}`

// NewInbox builds an inbox. Run (or Server.Serve) runs its recovery loop.
func NewInbox(o InboxOptions) (*Inbox, error) {
	if o.Redis == nil {
		return nil, errors.New("bot: InboxOptions.Redis is nil")
	}
	if o.Grace <= 0 {
		o.Grace = time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	o.Interval = min(o.Interval, o.Grace/2)
	if o.MaxAge <= 0 {
		o.MaxAge = 23 * time.Hour
	}
	if o.MaxAge <= o.Grace {
		return nil, fmt.Errorf("bot: inbox MaxAge (%s) must exceed Grace (%s)", o.MaxAge, o.Grace)
	}
	if o.LateAfter <= 0 {
		o.LateAfter = 5 * time.Minute
	}
	if o.MaxClaims <= 0 {
		o.MaxClaims = 5
	}
	if o.RecoverBatch <= 0 {
		o.RecoverBatch = 100
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = NewRedisClock(o.Redis, 0).Now
	}
	k := keys.New(o.Prefix)
	return &Inbox{o: o, seenPrefix: k.SeenPrefix(), zkey: k.Inbox(), ckey: k.InboxClaims(),
		live: map[string]time.Time{}, recoverBatch: o.RecoverBatch, claimScript: redis.NewScript(claimScript)}, nil
}

// now reads the inbox's clock (see InboxOptions.Now).
func (in *Inbox) now() time.Time { return in.o.Now() }

// Grace is the configured grace period.
func (in *Inbox) Grace() time.Duration { return in.o.Grace }

// Len is the number of unanswered messages recorded.
func (in *Inbox) Len(ctx context.Context) (int64, error) {
	n, err := in.o.Redis.ZCard(ctx, in.zkey).Result()
	if err != nil {
		return 0, fmt.Errorf("inbox: %w", err)
	}
	return n, nil
}

// inboxPayload is what the inbox keeps of a message: the accept time and
// the message as JSON.
func inboxPayload(at time.Time, m *Message) ([]byte, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("inbox: encode message %s: %w", m.ID, err)
	}
	b := make([]byte, 0, 14+len(body))
	b = strconv.AppendInt(b, at.UnixMilli(), 10)
	b = append(b, '\n')
	return append(b, body...), nil
}

// decode reads a stored message: JSON, or the form an earlier version
// stored (a channel's own encoding, read by InboxOptions.Legacy).
func (in *Inbox) decode(body []byte) (*Message, error) {
	if len(body) > 0 && body[0] == '{' {
		var m Message
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		if m.ID == "" || m.Request.UserID == "" {
			return nil, errors.New("inbox entry without id or user")
		}
		return &m, nil
	}
	if in.o.Legacy != nil {
		return in.o.Legacy(body)
	}
	return nil, errors.New("inbox entry is not a message")
}

func parseInboxPayload(p string) (time.Time, []byte, error) {
	i := strings.IndexByte(p, '\n')
	if i < 0 || i > 20 {
		return time.Time{}, nil, errors.New("inbox entry without accept time")
	}
	ms, err := strconv.ParseInt(p[:i], 10, 64)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("inbox entry accept time: %w", err)
	}
	return time.UnixMilli(ms), []byte(p[i+1:]), nil
}

// queueAccept adds one message's accept to a pipeline: the dedupe SET NX
// carrying the message, and its index entry.
func (in *Inbox) queueAccept(ctx context.Context, p redis.Pipeliner, seenKey string, ttl time.Duration, id string, payload []byte) (*redis.BoolCmd, *redis.IntCmd) {
	now := in.o.Now()
	set := p.SetNX(ctx, seenKey, payload, ttl)
	add := p.ZAddNX(ctx, in.zkey, redis.Z{Score: float64(now.UnixMilli()), Member: id})
	return set, add
}

// unindex removes the index entry a duplicate of an answered message
// re-added (see queueAccept).
func (in *Inbox) unindex(ctx context.Context, id string) error {
	return in.o.Redis.ZRem(ctx, in.zkey, id).Err()
}

// track marks id as held by this process (queued or being handled): its
// lease is renewed and Recover leaves it alone.
func (in *Inbox) track(id string) {
	in.mu.Lock()
	in.live[id] = in.o.Now()
	in.mu.Unlock()
}

// untrack ends this process's hold on id (answered or given up).
func (in *Inbox) untrack(id string) {
	in.mu.Lock()
	delete(in.live, id)
	in.mu.Unlock()
}

func (in *Inbox) holds(id string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	_, ok := in.live[id]
	return ok
}

// remove marks messages answered: the dedupe keys keep only "1" (and their
// TTL), then the index entries go. In that order, a crash half-way leaves
// at worst an index entry that recovery drops.
func (in *Inbox) remove(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = id
	}
	_, err := in.o.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.SetArgs(ctx, in.seenPrefix+id, answeredMark, redis.SetArgs{Mode: "XX", KeepTTL: true})
		}
		p.ZRem(ctx, in.zkey, members...)
		p.HDel(ctx, in.ckey, ids...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("inbox remove: %w", err)
	}
	return nil
}

// release undoes an accept: the dedupe key and the inbox entry go, so
// WeCom's retry is accepted afresh.
func (in *Inbox) release(ctx context.Context, seenKey, id string) error {
	_, err := in.o.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, seenKey)
		p.ZRem(ctx, in.zkey, id)
		p.HDel(ctx, in.ckey, id)
		return nil
	})
	return err
}

// renew moves the lease of every message this process holds that was not
// renewed for a third of the grace period to now, so no other replica
// recovers a message that is only waiting in a long queue.
func (in *Inbox) renew(ctx context.Context, now time.Time) error {
	in.mu.Lock()
	var ids []string
	for id, t := range in.live {
		if now.Sub(t) >= in.o.Grace/3 {
			ids = append(ids, id)
			in.live[id] = now
		}
	}
	in.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	zs := make([]redis.Z, len(ids))
	for i, id := range ids {
		zs[i] = redis.Z{Score: float64(now.UnixMilli()), Member: id}
	}
	// XX: an entry removed meanwhile is not brought back.
	if err := in.o.Redis.ZAddXX(ctx, in.zkey, zs...).Err(); err != nil {
		return fmt.Errorf("inbox lease renewal: %w", err)
	}
	return nil
}

// Run recovers orphaned messages into e at once and then every Interval
// until ctx ends. Errors are logged; Redis being away only delays recovery.
func (in *Inbox) Run(ctx context.Context, e Enqueuer) {
	t := time.NewTicker(in.o.Interval)
	defer t.Stop()
	for {
		if n, err := in.Recover(ctx, e); err != nil && ctx.Err() == nil {
			in.o.Logger.Warn("inbox: recovery pass failed", "recovered", n, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Recover runs one recovery pass: it renews this process's leases, then
// claims every entry whose lease is older than Grace and dispatches it to
// e again (dropping, with a log line, entries older than MaxAge or claimed
// MaxClaims times). It returns how many messages it dispatched. It stops
// early, leaving the rest for a later pass, when e is full or closed.
func (in *Inbox) Recover(ctx context.Context, e Enqueuer) (int, error) {
	in.recoverMu.Lock()
	defer in.recoverMu.Unlock()
	now := in.o.Now()
	err := in.renew(ctx, now)
	cutoff := now.Add(-in.o.Grace).UnixMilli()
	recovered, skipped := 0, 0
	for {
		ids, rerr := in.o.Redis.ZRangeByScore(ctx, in.zkey, &redis.ZRangeBy{
			Min: "-inf", Max: strconv.FormatInt(cutoff, 10), Offset: int64(skipped), Count: int64(in.recoverBatch),
		}).Result()
		if rerr != nil {
			return recovered, errors.Join(err, fmt.Errorf("inbox scan: %w", rerr))
		}
		for _, id := range ids {
			if in.holds(id) {
				skipped++ // ours, its renewal failed: not an orphan
				continue
			}
			res, cerr := in.recoverOne(ctx, e, id, cutoff, now)
			if cerr != nil {
				return recovered, errors.Join(err, cerr)
			}
			switch res {
			case recoveredOne:
				recovered++
			case recoveryStop:
				return recovered, err // dispatcher full or closed: later
			}
		}
		if len(ids) < in.recoverBatch {
			break
		}
	}
	if n, zerr := in.o.Redis.ZCard(ctx, in.zkey).Result(); zerr == nil {
		in.o.Metrics.InboxSize.Set(float64(n))
	}
	return recovered, err
}

type recovery int

const (
	recoveredOne recovery = iota // claimed and dispatched
	recoverySkip                 // taken by another, answered meanwhile, or dropped
	recoveryStop                 // the dispatcher would not take it: stop the pass
)

// recoverOne claims id and dispatches it.
func (in *Inbox) recoverOne(ctx context.Context, e Enqueuer, id string, cutoff int64, now time.Time) (recovery, error) {
	v, err := in.claimScript.Run(ctx, in.o.Redis, []string{in.zkey, in.ckey, in.seenPrefix + id}, id, cutoff, now.UnixMilli()).Result()
	if errors.Is(err, redis.Nil) {
		return recoverySkip, nil // taken by another replica meanwhile
	}
	if err != nil {
		return recoveryStop, fmt.Errorf("inbox claim %s: %w", id, err)
	}
	log := in.o.Logger.With("id", id)
	res, ok := v.([]any)
	if !ok || len(res) != 2 {
		if v == "gone" {
			in.o.Metrics.Inbox.WithLabelValues("expired").Inc()
			log.Warn("inbox: unanswered message expired before it could be recovered")
		}
		return recoverySkip, nil // "answered": a WeCom retry after the answer
	}
	payload, _ := res[0].(string)
	claims, _ := res[1].(int64)
	drop := func(result, msg string, level slog.Level, attrs ...any) (recovery, error) {
		in.o.Metrics.Inbox.WithLabelValues(result).Inc()
		log.Log(ctx, level, msg, attrs...)
		if err := in.remove(ctx, id); err != nil {
			return recoveryStop, err
		}
		return recoverySkip, nil
	}
	at, plain, perr := parseInboxPayload(payload)
	if perr != nil {
		return drop("unparsable", "inbox: dropping an unreadable entry", slog.LevelError, "err", perr)
	}
	m, perr := in.decode(plain)
	if perr != nil {
		return drop("unparsable", "inbox: dropping an unparsable message", slog.LevelError, "err", perr)
	}
	log = log.With("userid", m.UserID(), "type", m.Type, "accepted", at.Format(time.RFC3339))
	if age := now.Sub(at); age > in.o.MaxAge {
		// A day-old question is not answered silently late: the answers are
		// relative to today ("本月", "快到期的") and the user has asked again
		// or moved on. The log line lets an admin follow up by hand.
		return drop("expired", "inbox: unanswered message older than the inbox max age dropped", slog.LevelWarn, "age", age.Round(time.Second))
	}
	if int(claims) > in.o.MaxClaims {
		return drop("abandoned", "inbox: message dropped after repeated failed recoveries", slog.LevelError, "claims", claims-1)
	}
	m.recovered, m.acceptedAt = true, at
	if err := e.Enqueue(m); err != nil {
		// Not an attempt: give the claim back (the lease stays at now, so
		// the entry is retried after another grace period).
		_ = in.o.Redis.HIncrBy(ctx, in.ckey, id, -1).Err()
		return recoveryStop, nil
	}
	in.o.Metrics.Inbox.WithLabelValues("recovered").Inc()
	log.Info("inbox: recovered an unanswered message", "claims", claims)
	return recoveredOne, nil
}
