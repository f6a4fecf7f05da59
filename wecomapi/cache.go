package wecomapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"

	"github.com/changzhi-amr/choucha/store/keys"
)

// RedisCache adapts a go-redis v9 client to the silenceper SDK's
// cache.Cache (and cache.ContextCache), so the access token is shared by
// every replica. Keys get Prefix in front. Values are stored as strings:
// a string or []byte as is, anything else JSON-encoded; Get returns a
// string, or an untyped nil on a miss (the SDK type-asserts a string).
type RedisCache struct {
	rdb    redis.UniversalClient
	prefix string
	// timeout bounds the calls made without a context (the SDK's interface).
	timeout time.Duration
}

var (
	_ cache.Cache        = (*RedisCache)(nil)
	_ cache.ContextCache = (*RedisCache)(nil)
)

// minCacheTTL guards against the SDK computing a non-positive TTL
// (expires_in-1500 for a short-lived token), which Redis would treat as
// "keep forever".
const minCacheTTL = 30 * time.Second

// NewRedisCache returns a cache over rdb with keys prefixed by prefix.
func NewRedisCache(rdb redis.UniversalClient, prefix string) *RedisCache {
	return &RedisCache{rdb: rdb, prefix: prefix, timeout: 3 * time.Second}
}

// Key is the Redis key for a cache key.
func (c *RedisCache) Key(key string) string { return c.prefix + key }

// RefreshedKey is the Redis key holding when the token under cache key key
// was last refreshed, on the token's Cluster slot (dropRejectedScript uses
// both).
func (c *RedisCache) RefreshedKey(key string) string { return keys.SameSlot(c.Key(key), ":refreshed") }

func (c *RedisCache) bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.timeout)
}

// Get returns the value as a string, or nil when missing or unreadable.
func (c *RedisCache) Get(key string) any {
	ctx, cancel := c.bg()
	defer cancel()
	return c.GetContext(ctx, key)
}

// GetContext is Get with a context.
func (c *RedisCache) GetContext(ctx context.Context, key string) any {
	v, err := c.rdb.Get(ctx, c.Key(key)).Result()
	if err != nil {
		return nil // miss or Redis error: the SDK then fetches a fresh value
	}
	return v
}

// Set stores val for timeout (at least 30s; the SDK passes expires_in-1500).
func (c *RedisCache) Set(key string, val any, timeout time.Duration) error {
	ctx, cancel := c.bg()
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// SetContext is Set with a context.
func (c *RedisCache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	var s string
	switch v := val.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("wecomapi cache: encode %q: %w", key, err)
		}
		s = string(b)
	}
	if timeout < minCacheTTL {
		timeout = minCacheTTL
	}
	if err := c.rdb.Set(ctx, c.Key(key), s, timeout).Err(); err != nil {
		return fmt.Errorf("wecomapi cache: set %q: %w", key, err)
	}
	return nil
}

// IsExist reports whether key is present.
func (c *RedisCache) IsExist(key string) bool {
	ctx, cancel := c.bg()
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// IsExistContext is IsExist with a context.
func (c *RedisCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, c.Key(key)).Result()
	return err == nil && n > 0
}

// Delete removes key.
func (c *RedisCache) Delete(key string) error {
	ctx, cancel := c.bg()
	defer cancel()
	return c.DeleteContext(ctx, key)
}

// DeleteContext is Delete with a context.
func (c *RedisCache) DeleteContext(ctx context.Context, key string) error {
	if err := c.rdb.Del(ctx, c.Key(key)).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("wecomapi cache: delete %q: %w", key, err)
	}
	return nil
}

// TryLock sets key to val for ttl unless key exists (SET NX PX) and
// reports whether it did.
func (c *RedisCache) TryLock(ctx context.Context, key, val string, ttl time.Duration) (bool, error) {
	ok, err := c.rdb.SetNX(ctx, c.Key(key), val, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("wecomapi cache: lock %q: %w", key, err)
	}
	return ok, nil
}

// compareAndDelete deletes key only while it still holds val, so a replica
// dropping a stale token never deletes the fresh one another just stored.
var compareAndDelete = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// DeleteIfEqual removes key when its value is val.
func (c *RedisCache) DeleteIfEqual(ctx context.Context, key, val string) error {
	if err := compareAndDelete.Run(ctx, c.rdb, []string{c.Key(key)}, val).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("wecomapi cache: delete %q: %w", key, err)
	}
	return nil
}

// What dropRejected found.
const (
	rejectedReplaced = iota // another token is cached, or none: use or fetch it
	rejectedRecent          // the rejected token was refreshed lately: keep it
	rejectedDropped         // dropped, refresh marked: the caller fetches
)

// dropRejectedScript decides, atomically across replicas, what a rejected
// token (ARGV[1]) calls for. KEYS[1] is the token, KEYS[2] the mark of the
// last refresh (its time, unix ms, for people reading Redis), ARGV[2] now,
// ARGV[3] the refresh interval in ms. "Refreshed lately" is the mark's
// existence, its TTL counted down by Redis: comparing the stored time with
// the caller's clock let a replica whose clock ran ahead refetch at once.
var dropRejectedScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 1
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 2`)

// dropRejected runs dropRejectedScript for token key key, rejected value
// tok, at now with refresh interval every.
func (c *RedisCache) dropRejected(ctx context.Context, key, tok string, now time.Time, every time.Duration) (int, error) {
	n, err := dropRejectedScript.Run(ctx, c.rdb, []string{c.Key(key), c.RefreshedKey(key)},
		tok, now.UnixMilli(), every.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("wecomapi cache: drop %q: %w", key, err)
	}
	return n, nil
}
