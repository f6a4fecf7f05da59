package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/store/keys"
)

// Audit is the audit log in Redis: a list of entry JSON, appended, kept.
type Audit struct {
	rdb redis.UniversalClient
	k   keys.Keys
}

// NewAudit returns the audit log under prefix.
func NewAudit(rdb redis.UniversalClient, prefix string) *Audit {
	return &Audit{rdb: rdb, k: keys.New(prefix)}
}

var _ audit.Log = (*Audit)(nil)

// Append adds e.
func (a *Audit) Append(ctx context.Context, e audit.Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := a.rdb.RPush(ctx, a.k.AuditLog(), b).Err(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// All lists every entry, oldest first.
func (a *Audit) All(ctx context.Context) ([]audit.Entry, error) {
	raw, err := a.rdb.LRange(ctx, a.k.AuditLog(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	out := make([]audit.Entry, 0, len(raw))
	for _, r := range raw {
		var e audit.Entry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("audit: entry %q: %w", r, err)
		}
		out = append(out, e)
	}
	return out, nil
}
