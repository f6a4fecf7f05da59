package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/store/keys"
)

// Plans keeps the plan files admins load in chat (see plan.Store): each
// file gzipped under its hash, staged with a TTL while its preview waits
// for 确认, kept for good once loaded; one script makes a staged file its
// year's plan, records the load and raises the version every replica
// polls, and the pub/sub channel tells them at once.
type Plans struct {
	rdb redis.UniversalClient
	k   keys.Keys
}

// NewPlans returns the plan store under prefix.
func NewPlans(rdb redis.UniversalClient, prefix string) *Plans {
	return &Plans{rdb: rdb, k: keys.New(prefix)}
}

var _ plan.Store = (*Plans)(nil)

// maxPlanHistory is how many plan loads the history keeps.
const maxPlanHistory = 100

// fileKey is the key of a file by its "sha256:<hex>" hash.
func (p *Plans) fileKey(hash string) string {
	return p.k.PlanFile(strings.TrimPrefix(hash, "sha256:"))
}

// planStageScript keeps a file for at least ARGV[2] seconds; a file without a
// TTL (already loaded) is left as it is.
var planStageScript = redis.NewScript(`
local ttl = redis.call('TTL', KEYS[1])
if ttl == -1 then return 0 end
if ttl < tonumber(ARGV[2]) then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 1
`)

// Stage keeps data under hash for at least ttl.
func (p *Plans) Stage(ctx context.Context, hash string, data []byte, ttl time.Duration) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return fmt.Errorf("plan stage: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("plan stage: %w", err)
	}
	secs := max(int64(ttl/time.Second), 1)
	if err := planStageScript.Run(ctx, p.rdb, []string{p.fileKey(hash)}, buf.Bytes(), secs).Err(); err != nil {
		return fmt.Errorf("plan stage: %w", err)
	}
	return nil
}

// planCommitScript: KEYS current, file, version, history; ARGV year, upload
// JSON, the hash the year's upload must still have ("" none). Returns the
// new version, -1 when the file is gone, -2 when the year changed.
var planCommitScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local have = ''
if cur then have = cjson.decode(cur)['hash'] or '' end
if have ~= ARGV[3] then return -2 end
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[4], ARGV[2])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[4]) - 1)
return redis.call('INCR', KEYS[3])
`)

// Commit makes the staged file u.Hash the plan of u.Year if the year's
// upload is still prev, then tells the replicas.
func (p *Plans) Commit(ctx context.Context, u plan.Upload, prev string) error {
	rec, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("plan commit: %w", err)
	}
	keys := []string{p.k.PlanCurrent(), p.fileKey(u.Hash), p.k.PlanVersion(), p.k.PlanHistory()}
	n, err := planCommitScript.Run(ctx, p.rdb, keys, strconv.Itoa(u.Year), rec, prev, maxPlanHistory).Int64()
	switch {
	case err != nil:
		return fmt.Errorf("plan commit: %w", err)
	case n == -1:
		return plan.ErrExpired
	case n == -2:
		return plan.ErrConflict
	}
	// The version is what replicas rely on; the message only hurries them.
	_ = p.rdb.Publish(ctx, p.k.PlanChanged(), n).Err()
	return nil
}

// Version is the counter every load raises (0 before the first).
func (p *Plans) Version(ctx context.Context) (int64, error) {
	v, err := p.rdb.Get(ctx, p.k.PlanVersion()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("plan version: %w", err)
	}
	return v, nil
}

// Uploads returns every year's current upload, by year, and the version
// read in the same transaction.
func (p *Plans) Uploads(ctx context.Context) ([]plan.Upload, int64, error) {
	var ver *redis.StringCmd
	var all *redis.MapStringStringCmd
	_, err := p.rdb.TxPipelined(ctx, func(pp redis.Pipeliner) error {
		ver = pp.Get(ctx, p.k.PlanVersion())
		all = pp.HGetAll(ctx, p.k.PlanCurrent())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("plan uploads: %w", err)
	}
	v, err := ver.Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("plan uploads: %w", err)
	}
	out := make([]plan.Upload, 0, len(all.Val()))
	for year, raw := range all.Val() {
		var u plan.Upload
		if err := json.Unmarshal([]byte(raw), &u); err != nil {
			return nil, 0, fmt.Errorf("plan uploads: year %s: %w", year, err)
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b plan.Upload) int { return a.Year - b.Year })
	return out, v, nil
}

// History lists the latest n plan loads, newest first.
func (p *Plans) History(ctx context.Context, n int) ([]plan.Upload, error) {
	raw, err := p.rdb.LRange(ctx, p.k.PlanHistory(), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("plan history: %w", err)
	}
	out := make([]plan.Upload, 0, len(raw))
	for _, r := range raw {
		var u plan.Upload
		if json.Unmarshal([]byte(r), &u) == nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// File returns a kept file's bytes, or nil.
func (p *Plans) File(ctx context.Context, hash string) ([]byte, error) {
	b, err := p.rdb.Get(ctx, p.fileKey(hash)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("plan file: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w", hash, err)
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w", hash, err)
	}
	return data, nil
}

// Changes delivers a value whenever a plan is loaded (on any replica)
// until ctx ends; a missed message is caught by polling Version. The
// channel is closed when ctx ends.
func (p *Plans) Changes(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	sub := p.rdb.Subscribe(ctx, p.k.PlanChanged())
	go func() {
		defer close(out)
		defer sub.Close()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				select {
				case out <- struct{}{}:
				default: // a refresh is already due
				}
			}
		}
	}()
	return out
}
