package store

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

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/store/keys"
)

// Migrated counts what MigrateKeys moved.
type Migrated struct {
	Inbox     int // unanswered inbound messages (index entry and message)
	Seen      int // other inbound dedupe keys (answered messages)
	Outbox    int // pending outgoing messages, moved to the end of their lanes
	Dead      int // dead letters
	OutboxIDs int // outbox idempotency claims
	Reminders int // reminder claims, records, watermarks
}

func (m Migrated) total() int {
	return m.Inbox + m.Seen + m.Outbox + m.Dead + m.OutboxIDs + m.Reminders
}

// keysVersion is the layout MigrateKeys brings Redis to (keys.KeysVersion):
// 2 is the hash-tagged inbound and outbox keys.
const keysVersion = "2"

// legacy are the key names of versions before the hash tags (layout 1).
type legacy struct{ seen, inbox, claims, outbox, reminders string }

func legacyKeys(prefix string) legacy {
	return legacy{seen: prefix + "wecom:seen:", inbox: prefix + "wecom:inbox", claims: prefix + "wecom:inbox:claims",
		outbox: prefix + "outbox:", reminders: prefix + "reminders:"}
}

// MigrateKeys moves what an earlier version left under the untagged names
// of the inbound keys (wecom:seen:<id>, wecom:inbox, wecom:inbox:claims),
// the outbox (outbox:*) and the reminders (reminders:*) to their
// hash-tagged names (package store/keys), so messages accepted or queued
// before an upgrade are still recovered and delivered, once, and no
// reminder is sent twice:
//
//   - the inbox index and its claim counts are merged into the new ones
//     (an entry already there is kept), after the messages they index;
//   - every other dedupe key keeps its value and TTL, so a WeCom retry of a
//     message answered just before the upgrade is still recognised;
//   - each pending outgoing message is appended to its recipient's lane
//     (first in line when the lane is empty), dead letters stay dead
//     letters, and the idempotency claims keep their TTL; leases are
//     dropped (the old workers are gone), so a message being delivered at
//     the upgrade is delivered again, as after any crash;
//   - reminder claims, records, watermarks and the lease keep their values
//     and TTLs;
//   - pacing windows and the rate-limit pause are left to expire.
//
// It is safe to run again and on every start: after a full pass it records
// layout 2 in keys.KeysVersion and later starts only check that no old
// index reappeared (an old-version replica still running); if one did, it
// migrates again. Stop old-version replicas before starting new ones:
// what an old replica writes after the last new start stays under the old
// names until the next start.
func MigrateKeys(ctx context.Context, rdb redis.UniversalClient, prefix string, log *slog.Logger) (Migrated, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var m Migrated
	old := legacyKeys(prefix)
	k := keys.New(prefix)
	probe := []string{old.inbox, old.claims, old.outbox + "lanes", old.outbox + "dead", old.outbox + "ready"}
	pipe := rdb.Pipeline()
	ver := pipe.Get(ctx, k.KeysVersion())
	exists := make([]*redis.IntCmd, len(probe))
	for i, key := range probe {
		exists[i] = pipe.Exists(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return m, fmt.Errorf("redis key migration: %w", err)
	}
	stale := false
	for _, e := range exists {
		stale = stale || e.Val() > 0
	}
	if ver.Val() == keysVersion && !stale {
		return m, nil
	}
	// One process migrates at a time: two replicas starting together
	// would otherwise both append a message one of them already moved,
	// and delivered meanwhile.
	unlock, err := migrationLock(ctx, rdb, k.KeysVersion()+":lock")
	if err != nil {
		return m, fmt.Errorf("redis key migration: %w", err)
	}
	defer unlock()
	mg := migration{rdb: rdb, old: old, k: k, now: time.Now()}
	err = errors.Join(mg.inbox(ctx, &m), mg.outbox(ctx, &m), mg.reminders(ctx, &m))
	if err == nil {
		err = rdb.Set(ctx, k.KeysVersion(), keysVersion, 0).Err()
	}
	if m.total() > 0 {
		log.Info("redis: moved keys of an earlier version to their hash-tagged names",
			"inbox", m.Inbox, "seen", m.Seen, "outbox", m.Outbox, "dead", m.Dead, "outbox_ids", m.OutboxIDs, "reminders", m.Reminders)
	}
	if err != nil {
		return m, fmt.Errorf("redis key migration (safe to retry: start again): %w", err)
	}
	return m, nil
}

// unlockScript deletes the lock only while it is still ours.
var unlockScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

// migrationLock takes the migration lock, waiting while another process
// holds it (a lock left by a process that died expires after 5 minutes).
func migrationLock(ctx context.Context, rdb redis.UniversalClient, key string) (func(), error) {
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	for {
		ok, err := rdb.SetNX(ctx, key, token, 5*time.Minute).Result()
		if err != nil {
			return nil, err
		}
		if ok {
			return func() { _ = unlockScript.Run(context.WithoutCancel(ctx), rdb, []string{key}, token).Err() }, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type migration struct {
	rdb redis.UniversalClient
	old legacy
	k   keys.Keys
	now time.Time
}

// inbox moves the unanswered messages (their dedupe keys first, then the
// index and claims), then every other dedupe key.
func (mg *migration) inbox(ctx context.Context, m *Migrated) error {
	entries, err := mg.rdb.ZRangeWithScores(ctx, mg.old.inbox, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("read %s: %w", mg.old.inbox, err)
	}
	claims, err := mg.rdb.HGetAll(ctx, mg.old.claims).Result()
	if err != nil {
		return fmt.Errorf("read %s: %w", mg.old.claims, err)
	}
	if len(entries) > 0 || len(claims) > 0 {
		moves := make([][2]string, len(entries))
		for i, z := range entries {
			id, _ := z.Member.(string)
			moves[i] = [2]string{mg.old.seen + id, mg.k.Seen(id)}
		}
		if _, err := moveStrings(ctx, mg.rdb, moves); err != nil {
			return err
		}
		pipe := mg.rdb.TxPipeline() // one slot: {wecom}
		if len(entries) > 0 {
			pipe.ZAddNX(ctx, mg.k.Inbox(), entries...)
		}
		for id, n := range claims {
			pipe.HSetNX(ctx, mg.k.InboxClaims(), id, n)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("write the inbox: %w", err)
		}
		if err := delEach(ctx, mg.rdb, mg.old.inbox, mg.old.claims); err != nil {
			return err
		}
		m.Inbox += len(entries)
	}
	n, err := mg.moveScanned(ctx, mg.old.seen, mg.k.SeenPrefix())
	m.Seen += n
	return err
}

// moveScanned moves every string key under oldPrefix to newPrefix.
func (mg *migration) moveScanned(ctx context.Context, oldPrefix, newPrefix string) (int, error) {
	var mu sync.Mutex
	total := 0
	err := scanKeys(ctx, mg.rdb, globEscape(oldPrefix)+"*", func(ctx context.Context, batch []string) error {
		moves := make([][2]string, len(batch))
		for i, key := range batch {
			moves[i] = [2]string{key, newPrefix + strings.TrimPrefix(key, oldPrefix)}
		}
		n, err := moveStrings(ctx, mg.rdb, moves)
		mu.Lock()
		total += n
		mu.Unlock()
		return err
	})
	return total, err
}

// appendLaneScript appends pending messages to a lane of the tagged
// outbox, as the outbox's enqueue does: the body is stored unless a
// message with that id is there already, the lanes hash names the lane,
// and the lane's head is ready (due now) when the lane was empty.
// KEYS: lane, ready, lanes. ARGV: now ms, msg key prefix, then id, body
// pairs. Returns how many were appended.
var appendLaneScript = redis.NewScript(`
local was = redis.call('LLEN', KEYS[1])
local n = 0
for i = 3, #ARGV, 2 do
  if redis.call('SET', ARGV[2] .. ARGV[i], ARGV[i + 1], 'NX') then
    redis.call('RPUSH', KEYS[1], ARGV[i])
    redis.call('HSET', KEYS[3], ARGV[i], KEYS[1])
    n = n + 1
  end
end
if was == 0 and n > 0 then
  redis.call('ZADD', KEYS[2], ARGV[1], redis.call('LINDEX', KEYS[1], 0))
end
return n`)

// appendToLane appends the layout-1 messages ids (those whose body is
// still there) to newLane and deletes their old bodies.
func (mg *migration) appendToLane(ctx context.Context, newLane string, ids []string, m *Migrated) error {
	op, np := mg.old.outbox, mg.k.Outbox()
	args := []any{mg.now.UnixMilli(), np + "msg:"}
	var oldMsgs []string
	for _, id := range ids {
		body, err := mg.rdb.Get(ctx, op+"msg:"+id).Result()
		if errors.Is(err, redis.Nil) {
			continue // vanished: the outbox drops such entries too
		}
		if err != nil {
			return fmt.Errorf("read %smsg:%s: %w", op, id, err)
		}
		args = append(args, id, body)
		oldMsgs = append(oldMsgs, op+"msg:"+id)
	}
	if len(oldMsgs) == 0 {
		return nil
	}
	n, err := appendLaneScript.Run(ctx, mg.rdb, []string{newLane, np + "ready", np + "lanes"}, args...).Int()
	if err != nil {
		return fmt.Errorf("append to %s: %w", newLane, err)
	}
	m.Outbox += n
	return delEach(ctx, mg.rdb, oldMsgs...)
}

// outbox moves the pending messages lane by lane, then the dead letters
// and the idempotency claims, then drops the old queue indexes.
func (mg *migration) outbox(ctx context.Context, m *Migrated) error {
	op, np := mg.old.outbox, mg.k.Outbox()
	lanes, err := mg.rdb.HGetAll(ctx, op+"lanes").Result()
	if err != nil {
		return fmt.Errorf("read %slanes: %w", op, err)
	}
	// Every lane: those the lanes hash names and any other left behind.
	laneKeys := map[string]bool{}
	for _, l := range lanes {
		if strings.HasPrefix(l, op+"lane:") {
			laneKeys[l] = true
		}
	}
	var mu sync.Mutex
	if err := scanKeys(ctx, mg.rdb, globEscape(op+"lane:")+"*", func(_ context.Context, batch []string) error {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range batch {
			laneKeys[l] = true
		}
		return nil
	}); err != nil {
		return err
	}
	moved := map[string]bool{}
	for lane := range laneKeys {
		ids, err := mg.rdb.LRange(ctx, lane, 0, -1).Result()
		if err != nil {
			return fmt.Errorf("read %s: %w", lane, err)
		}
		if err := mg.appendToLane(ctx, np+strings.TrimPrefix(lane, op), ids, m); err != nil {
			return err
		}
		if err := delEach(ctx, mg.rdb, lane); err != nil {
			return err
		}
		for _, id := range ids {
			moved[id] = true
		}
	}
	// Queued or leased entries in no lane: to the lane their body names.
	for _, idx := range []string{op + "ready", op + "lease"} {
		ids, err := mg.rdb.ZRange(ctx, idx, 0, -1).Result()
		if err != nil {
			return fmt.Errorf("read %s: %w", idx, err)
		}
		for _, id := range ids {
			if moved[id] {
				continue
			}
			moved[id] = true
			var e struct {
				Lane string `json:"lane"`
			}
			body, err := mg.rdb.Get(ctx, op+"msg:"+id).Result()
			if err == nil && json.Unmarshal([]byte(body), &e) == nil {
				if err := mg.appendToLane(ctx, np+"lane:"+e.Lane, []string{id}, m); err != nil {
					return err
				}
			}
		}
	}

	dead, err := mg.rdb.ZRangeWithScores(ctx, op+"dead", 0, -1).Result()
	if err != nil {
		return fmt.Errorf("read %sdead: %w", op, err)
	}
	if len(dead) > 0 {
		moves := make([][2]string, len(dead))
		for i, z := range dead {
			id, _ := z.Member.(string)
			moves[i] = [2]string{op + "msg:" + id, np + "msg:" + id}
		}
		if _, err := moveStrings(ctx, mg.rdb, moves); err != nil {
			return err
		}
		if err := mg.rdb.ZAddNX(ctx, np+"dead", dead...).Err(); err != nil {
			return fmt.Errorf("write %sdead: %w", np, err)
		}
		m.Dead += len(dead)
	}

	n, err := mg.moveScanned(ctx, op+"id:", np+"id:")
	m.OutboxIDs += n
	if err != nil {
		return err
	}
	return delEach(ctx, mg.rdb, op+"lanes", op+"ready", op+"lease", op+"owner", op+"dead")
}

// reminders moves every reminder key, whatever its type.
func (mg *migration) reminders(ctx context.Context, m *Migrated) error {
	var mu sync.Mutex
	op, np := mg.old.reminders, mg.k.Reminders()
	return scanKeys(ctx, mg.rdb, globEscape(op)+"*", func(ctx context.Context, batch []string) error {
		moves := make([][2]string, len(batch))
		for i, key := range batch {
			moves[i] = [2]string{key, np + strings.TrimPrefix(key, op)}
		}
		n, err := moveDumped(ctx, mg.rdb, moves)
		mu.Lock()
		m.Reminders += n
		mu.Unlock()
		return err
	})
}

// moveDumped moves keys of any type old → new (DUMP, RESTORE with the
// remaining TTL); a new key already there is kept. It returns how many
// old keys existed.
func moveDumped(ctx context.Context, rdb redis.UniversalClient, moves [][2]string) (int, error) {
	pipe := rdb.Pipeline()
	dumps := make([]*redis.StringCmd, len(moves))
	ttls := make([]*redis.DurationCmd, len(moves))
	for i, mv := range moves {
		dumps[i] = pipe.Dump(ctx, mv[0])
		ttls[i] = pipe.PTTL(ctx, mv[0])
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("read keys to move: %w", err)
	}
	pipe = rdb.Pipeline()
	var olds []string
	var restores []*redis.StatusCmd
	for i, mv := range moves {
		v, err := dumps[i].Result()
		ttl := ttls[i].Val()
		if err != nil || ttl == -2*time.Nanosecond || (ttl >= 0 && ttl < time.Millisecond) {
			continue // gone or expiring
		}
		if ttl < 0 {
			ttl = 0 // no expiry
		}
		restores = append(restores, pipe.Restore(ctx, mv[1], ttl, v))
		olds = append(olds, mv[0])
	}
	if len(olds) == 0 {
		return 0, nil
	}
	_, _ = pipe.Exec(ctx) // errors are per command
	for _, r := range restores {
		if err := r.Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYKEY") {
			return 0, fmt.Errorf("write moved keys: %w", err)
		}
	}
	return len(olds), delEach(ctx, rdb, olds...)
}

// moveStrings moves string keys old → new keeping value and TTL; a new
// key already there is kept. It returns how many old keys existed.
func moveStrings(ctx context.Context, rdb redis.UniversalClient, moves [][2]string) (int, error) {
	if len(moves) == 0 {
		return 0, nil
	}
	pipe := rdb.Pipeline()
	vals := make([]*redis.StringCmd, len(moves))
	ttls := make([]*redis.DurationCmd, len(moves))
	for i, mv := range moves {
		vals[i] = pipe.Get(ctx, mv[0])
		ttls[i] = pipe.PTTL(ctx, mv[0])
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("read keys to move: %w", err)
	}
	pipe = rdb.Pipeline()
	var olds []string
	for i, mv := range moves {
		v, err := vals[i].Result()
		if err != nil {
			continue // gone meanwhile
		}
		ttl := ttls[i].Val()
		if ttl == -2*time.Nanosecond || (ttl >= 0 && ttl < time.Millisecond) {
			continue // expired between the reads
		}
		if ttl < 0 {
			ttl = 0 // no expiry
		}
		pipe.SetNX(ctx, mv[1], v, ttl)
		olds = append(olds, mv[0])
	}
	if len(olds) == 0 {
		return 0, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("write moved keys: %w", err)
	}
	return len(olds), delEach(ctx, rdb, olds...)
}

// delEach deletes keys one command each (keys of several Cluster slots).
func delEach(ctx context.Context, rdb redis.UniversalClient, ks ...string) error {
	if len(ks) == 0 {
		return nil
	}
	pipe := rdb.Pipeline()
	for _, key := range ks {
		pipe.Del(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("delete moved keys: %w", err)
	}
	return nil
}

// scanKeys calls fn with batches of the keys matching match: on every
// primary of a Cluster, else on the one server.
func scanKeys(ctx context.Context, rdb redis.UniversalClient, match string, fn func(context.Context, []string) error) error {
	scan := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			batch, next, err := c.Scan(ctx, cursor, match, 1000).Result()
			if err != nil {
				return fmt.Errorf("scan %s: %w", match, err)
			}
			if len(batch) > 0 {
				if err := fn(ctx, batch); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, rdb)
}

// globEscape quotes the glob characters of s for SCAN MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
