package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/store/keys"
)

// Findings keeps the check results (see finding.Store). A finding is one
// hash ("v" its version, "s" its JSON) written together with its indexes by
// one script that first compares the version, so a finding is never half
// saved and of two writers at once one wins and the other is told. All
// keys of a year share the hash tag {finding:<year>}.
type Findings struct {
	rdb redis.UniversalClient
	k   keys.Keys
}

// NewFindings returns the findings store under prefix.
func NewFindings(rdb redis.UniversalClient, prefix string) *Findings {
	return &Findings{rdb: rdb, k: keys.New(prefix)}
}

var _ finding.Store = (*Findings)(nil)

// saveFindingScript: KEYS record, item zset, all zset, user zsets...; ARGV
// expected version, new version, JSON, member id, score ms. 1 saved, 0
// conflict. An index keeps a finding's first score (ZADD NX).
var saveFindingScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3])
for i = 2, #KEYS do redis.call('ZADD', KEYS[i], 'NX', ARGV[5], ARGV[4]) end
return 1`)

// Save stores f and its indexes if the stored version is f.Version.
func (s *Findings) Save(ctx context.Context, f *finding.Finding) error {
	old := f.Version
	f.Version = old + 1
	body, err := json.Marshal(f)
	if err != nil {
		f.Version = old
		return fmt.Errorf("finding save: %w", err)
	}
	ks := []string{s.k.FindingRecord(f.Year, f.ID), s.k.FindingItem(f.Year, f.ItemID), s.k.FindingAll(f.Year)}
	for _, u := range append([]string{f.Reporter}, f.CoInspectors...) {
		ks = append(ks, s.k.FindingUser(f.Year, strings.ToLower(u)))
	}
	n, err := saveFindingScript.Run(ctx, s.rdb, ks, old, f.Version, body, f.ID, f.FirstReportedAt.UnixMilli()).Int()
	if err != nil {
		f.Version = old
		return fmt.Errorf("finding save %s: %w", f.ID, err)
	}
	if n == 0 {
		f.Version = old
		return finding.ErrConflict
	}
	return nil
}

func (s *Findings) get(ctx context.Context, year int, id string) (*finding.Finding, error) {
	vals, err := s.rdb.HMGet(ctx, s.k.FindingRecord(year, id), "v", "s").Result()
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w", id, err)
	}
	body, _ := vals[1].(string)
	if body == "" {
		return nil, nil
	}
	var f finding.Finding
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		return nil, fmt.Errorf("finding %s: %w", id, err)
	}
	return &f, nil
}

// Get returns the finding of an entity under an item of year, or nil.
func (s *Findings) Get(ctx context.Context, year int, item, creditCode string) (*finding.Finding, error) {
	return s.get(ctx, year, finding.ID(year, item, creditCode))
}

func (s *Findings) list(ctx context.Context, year int, index string) ([]*finding.Finding, error) {
	ids, err := s.rdb.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("finding list: %w", err)
	}
	out := make([]*finding.Finding, 0, len(ids))
	for _, id := range ids {
		f, err := s.get(ctx, year, id)
		if err != nil {
			return nil, err
		}
		if f != nil {
			out = append(out, f)
		}
	}
	return out, nil
}

// ListByItem returns an item's findings of year, oldest first.
func (s *Findings) ListByItem(ctx context.Context, year int, item string) ([]*finding.Finding, error) {
	return s.list(ctx, year, s.k.FindingItem(year, item))
}

// ListByUser returns the findings of year userid reported or co-signs.
func (s *Findings) ListByUser(ctx context.Context, year int, userid string) ([]*finding.Finding, error) {
	return s.list(ctx, year, s.k.FindingUser(year, strings.ToLower(userid)))
}

// MarkPublished marks the findings ids of year published (已公示) at at and
// returns how many were not marked before; a finding marked earlier keeps
// its first time.
func (s *Findings) MarkPublished(ctx context.Context, year int, ids []string, at time.Time) (int, error) {
	n := 0
	for _, id := range ids {
		ok, err := s.rdb.HSetNX(ctx, s.k.FindingPublished(year), id, at.UTC().Format(time.RFC3339)).Result()
		if err != nil {
			return n, fmt.Errorf("finding mark published %s: %w", id, err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Published returns the ids of year's findings marked published, with when.
func (s *Findings) Published(ctx context.Context, year int) (map[string]time.Time, error) {
	m, err := s.rdb.HGetAll(ctx, s.k.FindingPublished(year)).Result()
	if err != nil {
		return nil, fmt.Errorf("finding published: %w", err)
	}
	out := make(map[string]time.Time, len(m))
	for id, v := range m {
		t, _ := time.Parse(time.RFC3339, v)
		out[id] = t
	}
	return out, nil
}
