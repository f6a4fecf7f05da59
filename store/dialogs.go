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
// with the dialog's TTL. Saves and deletes compare the version in a script,
// so two replicas (or a message handled twice) cannot both move a dialog.
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
