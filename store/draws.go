package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/store/keys"
)

// Draws keeps the draw records (see draw.Store). A record is saved with
// its indexes by one script that first checks the item's current draw is
// the one the record replaces, so of two admins drawing one item at once,
// one wins and the other is told; all keys of a year share a hash tag.
type Draws struct {
	rdb redis.UniversalClient
	k   keys.Keys
}

// NewDraws returns the draw store under prefix.
func NewDraws(rdb redis.UniversalClient, prefix string) *Draws {
	return &Draws{rdb: rdb, k: keys.New(prefix)}
}

var _ draw.Store = (*Draws)(nil)

// commitScript: KEYS record, item list, year zset; ARGV id, body, ms,
// expected current id ("" for none). 1 saved, 0 conflict.
var commitScript = redis.NewScript(`
local cur = redis.call('LINDEX', KEYS[2], 0) or ''
if cur ~= ARGV[4] then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1`)

// Commit saves rec as its item's current draw if the current one is
// rec.Replaces.
func (d *Draws) Commit(ctx context.Context, rec *draw.Record) error {
	body, err := packJSON(rec)
	if err != nil {
		return fmt.Errorf("draw commit: %w", err)
	}
	keys := []string{d.k.DrawRecord(rec.Year, rec.ID), d.k.DrawItem(rec.Year, rec.ItemID), d.k.DrawAll(rec.Year)}
	n, err := commitScript.Run(ctx, d.rdb, keys, rec.ID, body, rec.At.UnixMilli(), rec.Replaces).Int()
	if err != nil {
		return fmt.Errorf("draw commit %s: %w", rec.ID, err)
	}
	if n == 0 {
		return draw.ErrConflict
	}
	return nil
}

func (d *Draws) get(ctx context.Context, year int, id string) (*draw.Record, error) {
	b, err := d.rdb.Get(ctx, d.k.DrawRecord(year, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("draw %s: %w", id, err)
	}
	var rec draw.Record
	if err := unpackJSON(b, &rec); err != nil {
		return nil, fmt.Errorf("draw %s: %w", id, err)
	}
	return &rec, nil
}

// Get returns the draw with id, or nil.
func (d *Draws) Get(ctx context.Context, id string) (*draw.Record, error) {
	y := draw.YearOfID(id)
	if y == 0 {
		return nil, nil
	}
	return d.get(ctx, y, id)
}

// Current returns the item's current draw of year, or nil.
func (d *Draws) Current(ctx context.Context, year int, item string) (*draw.Record, error) {
	id, err := d.rdb.LIndex(ctx, d.k.DrawItem(year, item), 0).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("draw current %d/%s: %w", year, item, err)
	}
	return d.get(ctx, year, id)
}

// List returns every draw of year, oldest first.
func (d *Draws) List(ctx context.Context, year int) ([]*draw.Record, error) {
	ids, err := d.rdb.ZRange(ctx, d.k.DrawAll(year), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("draw list %d: %w", year, err)
	}
	out := make([]*draw.Record, 0, len(ids))
	for _, id := range ids {
		rec, err := d.get(ctx, year, id)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			out = append(out, rec)
		}
	}
	return out, nil
}

// MarkNotified records that rec's inspectors were told.
func (d *Draws) MarkNotified(ctx context.Context, rec *draw.Record) error {
	return d.rdb.SAdd(ctx, d.k.DrawNotified(rec.Year), rec.ID).Err()
}

// Notified reports whether rec's inspectors were told.
func (d *Draws) Notified(ctx context.Context, rec *draw.Record) (bool, error) {
	return d.rdb.SIsMember(ctx, d.k.DrawNotified(rec.Year), rec.ID).Result()
}
