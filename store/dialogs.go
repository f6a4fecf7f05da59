package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/store/keys"
)

// Dialogs keeps each user's dialog state (package dialog) in one Redis
// hash under keys.Dialog(userid): "v" the version, "s" the state as JSON,
// with the TTL the engine gives (the dialog's TTL, plus the draft retention
// when it may become a draft). Saves and deletes compare the version in a
// script, so two replicas (or a message handled twice) cannot both move a
// dialog. A timed-out dialog is shelved as a draft under
// keys.DialogDraft, indexed by keys.DialogDrafts (see dialog.DraftStore).
type Dialogs struct {
	rdb redis.UniversalClient
	k   keys.Keys
}

// NewDialogs returns the dialog store under prefix.
func NewDialogs(rdb redis.UniversalClient, prefix string) *Dialogs {
	return &Dialogs{rdb: rdb, k: keys.New(prefix)}
}

var _ dialog.Store = (*Dialogs)(nil)

// saveScript: KEYS[1] the dialog hash; ARGV: expected version, new state
// JSON, TTL ms. Returns 1 when saved, 0 when the version differs.
var saveScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

// deleteScript: KEYS[1] the dialog hash; ARGV[1] the expected version.
var deleteScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1`)

// Load returns the user's dialog, or nil.
func (d *Dialogs) Load(ctx context.Context, userID string) (*dialog.State, error) {
	vals, err := d.rdb.HMGet(ctx, d.k.Dialog(userID), "v", "s").Result()
	if err != nil {
		return nil, fmt.Errorf("dialog load: %w", err)
	}
	body, _ := vals[1].(string)
	if body == "" {
		return nil, nil
	}
	var s dialog.State
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		// An unreadable state is dropped rather than blocking the user.
		_ = d.rdb.Del(ctx, d.k.Dialog(userID)).Err()
		return nil, nil
	}
	var v int64
	if vs, _ := vals[0].(string); vs != "" {
		if _, err := fmt.Sscan(vs, &v); err != nil {
			return nil, fmt.Errorf("dialog load: version %q: %w", vs, err)
		}
	}
	s.Version = v
	return &s, nil
}

// Save stores s if the stored version is still s.Version.
func (d *Dialogs) Save(ctx context.Context, userID string, s *dialog.State, ttl time.Duration) error {
	body, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("dialog save: %w", err)
	}
	n, err := saveScript.Run(ctx, d.rdb, []string{d.k.Dialog(userID)}, s.Version, body, ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("dialog save: %w", err)
	}
	if n == 0 {
		return dialog.ErrConflict
	}
	s.Version++
	return nil
}

// Delete removes the user's dialog if it is still at version; else
// dialog.ErrConflict.
func (d *Dialogs) Delete(ctx context.Context, userID string, version int64) error {
	n, err := deleteScript.Run(ctx, d.rdb, []string{d.k.Dialog(userID)}, version).Int()
	if err != nil {
		return fmt.Errorf("dialog delete: %w", err)
	}
	if n == 0 {
		return dialog.ErrConflict
	}
	return nil
}

var _ dialog.DraftStore = (*Dialogs)(nil)

// shelveScript: KEYS the dialog hash, the draft, the drafts index; ARGV:
// expected version, the state JSON, keep ms, now ms, flow. Returns 1 when
// shelved, 0 when the version differs.
var shelveScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v == 0 or v ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[4]) - tonumber(ARGV[3]))
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[1])
return 1`)

// unshelveScript: KEYS the dialog hash, the draft, the drafts index; ARGV:
// expected running version, the draft's version, the state JSON, TTL ms,
// flow. Returns the new version, or 0 when the running version differs or
// the draft is gone.
var unshelveScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local nv = math.max(v, tonumber(ARGV[2])) + 1
redis.call('HSET', KEYS[1], 'v', nv, 's', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[5])
return nv`)

func (d *Dialogs) draftKeys(userID, flow string) []string {
	return []string{d.k.Dialog(userID), d.k.DialogDraft(userID, flow), d.k.DialogDrafts(userID)}
}

// Shelve moves the user's dialog s, still at s.Version, to the draft of its
// flow under keys.DialogDraft, indexed by time in keys.DialogDrafts, both
// kept for keep; else dialog.ErrConflict.
func (d *Dialogs) Shelve(ctx context.Context, userID string, s *dialog.State, keep time.Duration) error {
	body, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("dialog shelve: %w", err)
	}
	n, err := shelveScript.Run(ctx, d.rdb, d.draftKeys(userID, s.Flow), s.Version, body, keep.Milliseconds(), time.Now().UnixMilli(), s.Flow).Int()
	if err != nil {
		return fmt.Errorf("dialog shelve: %w", err)
	}
	if n == 0 {
		return dialog.ErrConflict
	}
	return nil
}

// Drafts returns the user's drafts, the most recently shelved first,
// dropping index entries whose draft has expired.
func (d *Dialogs) Drafts(ctx context.Context, userID string) ([]*dialog.State, error) {
	flows, err := d.rdb.ZRevRange(ctx, d.k.DialogDrafts(userID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("dialog drafts: %w", err)
	}
	if len(flows) == 0 {
		return nil, nil
	}
	ks := make([]string, len(flows))
	for i, f := range flows {
		ks[i] = d.k.DialogDraft(userID, f)
	}
	vals, err := d.rdb.MGet(ctx, ks...).Result()
	if err != nil {
		return nil, fmt.Errorf("dialog drafts: %w", err)
	}
	var out []*dialog.State
	var gone []any
	for i, v := range vals {
		body, _ := v.(string)
		var s dialog.State
		if body == "" || json.Unmarshal([]byte(body), &s) != nil {
			gone = append(gone, flows[i])
			continue
		}
		out = append(out, &s)
	}
	if len(gone) > 0 {
		_ = d.rdb.ZRem(ctx, d.k.DialogDrafts(userID), gone...).Err()
	}
	return out, nil
}

// Unshelve makes draft the user's running dialog if the running one is
// still at version running (0: none) and the draft is still kept; else
// dialog.ErrConflict.
func (d *Dialogs) Unshelve(ctx context.Context, userID string, draft *dialog.State, running int64, ttl time.Duration) error {
	body, err := json.Marshal(draft)
	if err != nil {
		return fmt.Errorf("dialog unshelve: %w", err)
	}
	n, err := unshelveScript.Run(ctx, d.rdb, d.draftKeys(userID, draft.Flow), running, draft.Version, body, ttl.Milliseconds(), draft.Flow).Int64()
	if err != nil {
		return fmt.Errorf("dialog unshelve: %w", err)
	}
	if n == 0 {
		return dialog.ErrConflict
	}
	draft.Version = n
	return nil
}
