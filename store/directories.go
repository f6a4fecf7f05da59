package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/store/keys"
)

// Directories keeps the two directories' current snapshots (see
// directory.Store): keys.Directory(kind) holds the snapshot, and one
// MULTI/EXEC replaces it and records the import, so a reader sees the old
// snapshot or the new one and the history never names a snapshot that is
// not there.
type Directories struct {
	rdb redis.UniversalClient
	k   keys.Keys
}

// NewDirectories returns the directory store under prefix.
func NewDirectories(rdb redis.UniversalClient, prefix string) *Directories {
	return &Directories{rdb: rdb, k: keys.New(prefix)}
}

var _ directory.Store = (*Directories)(nil)

// maxImports is how much import history is kept.
const maxImports = 100

func (d *Directories) save(ctx context.Context, kind string, snapshot any, meta directory.Meta) error {
	body, err := packJSON(snapshot)
	if err != nil {
		return fmt.Errorf("directory save: %w", err)
	}
	rec, err := json.Marshal(directory.Import{Kind: kind, Meta: meta})
	if err != nil {
		return fmt.Errorf("directory save: %w", err)
	}
	_, err = d.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, d.k.Directory(kind), body, 0)
		p.Set(ctx, d.k.DirectorySnapshot(kind, meta.Hash), body, 0)
		p.LPush(ctx, d.k.DirectoryImports(), rec)
		p.LTrim(ctx, d.k.DirectoryImports(), 0, maxImports-1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("directory save %s: %w", kind, err)
	}
	return nil
}

// SaveEntities replaces the 检查对象名录.
func (d *Directories) SaveEntities(ctx context.Context, e *directory.Entities) error {
	return d.save(ctx, directory.KindEntities, e, e.Meta)
}

// SaveInspectors replaces the 执法检查人员名录.
func (d *Directories) SaveInspectors(ctx context.Context, in *directory.Inspectors) error {
	return d.save(ctx, directory.KindInspectors, in, in.Meta)
}

func (d *Directories) load(ctx context.Context, key, kind string, v any) (bool, error) {
	b, err := d.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("directory load %s: %w", kind, err)
	}
	if err := unpackJSON(b, v); err != nil {
		return false, fmt.Errorf("directory load %s: %w", kind, err)
	}
	return true, nil
}

// Entities returns the current 检查对象名录, or nil.
func (d *Directories) Entities(ctx context.Context) (*directory.Entities, error) {
	var e directory.Entities
	ok, err := d.load(ctx, d.k.Directory(directory.KindEntities), directory.KindEntities, &e)
	if !ok {
		return nil, err
	}
	return &e, nil
}

// Inspectors returns the current 执法检查人员名录, or nil.
func (d *Directories) Inspectors(ctx context.Context) (*directory.Inspectors, error) {
	var in directory.Inspectors
	ok, err := d.load(ctx, d.k.Directory(directory.KindInspectors), directory.KindInspectors, &in)
	if !ok {
		return nil, err
	}
	return &in, nil
}

// Imports lists the latest n imports, newest first.
func (d *Directories) Imports(ctx context.Context, n int) ([]directory.Import, error) {
	raw, err := d.rdb.LRange(ctx, d.k.DirectoryImports(), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("directory imports: %w", err)
	}
	out := make([]directory.Import, 0, len(raw))
	for _, r := range raw {
		var im directory.Import
		if json.Unmarshal([]byte(r), &im) == nil {
			out = append(out, im)
		}
	}
	return out, nil
}

// EntitiesByHash returns the 检查对象名录 snapshot with hash, or nil.
func (d *Directories) EntitiesByHash(ctx context.Context, hash string) (*directory.Entities, error) {
	var e directory.Entities
	ok, err := d.load(ctx, d.k.DirectorySnapshot(directory.KindEntities, hash), directory.KindEntities, &e)
	if !ok {
		return nil, err
	}
	return &e, nil
}

// InspectorsByHash returns the 执法检查人员名录 snapshot with hash, or nil.
func (d *Directories) InspectorsByHash(ctx context.Context, hash string) (*directory.Inspectors, error) {
	var in directory.Inspectors
	ok, err := d.load(ctx, d.k.DirectorySnapshot(directory.KindInspectors, hash), directory.KindInspectors, &in)
	if !ok {
		return nil, err
	}
	return &in, nil
}
