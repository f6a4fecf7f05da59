package bot

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisClock is Redis's clock (TIME) read from Go without a round trip per
// reading: it asks Redis at most once per Resync and in between adds the
// time passed on this process's monotonic clock. Every replica sharing a
// Redis reads the same clock through it, whatever its own wall clock says
// (minutes or hours of skew, an NTP step): the inbox's leases and accept
// times are on it, so a replica ahead of the others never takes a message
// another replica is still handling for an orphan, and one behind never
// leaves an orphan unrecovered. The error is half a round trip plus the
// drift of two crystals over Resync.
//
// Until Redis has answered once it reads this process's own clock.
type RedisClock struct {
	rdb    redis.UniversalClient
	resync time.Duration

	mu    sync.Mutex
	base  time.Time // Redis's time at the last answer
	at    time.Time // this process's time then (monotonic reading)
	tried time.Time // the last attempt (monotonic reading)
}

// NewRedisClock returns Redis's clock, resynchronised every resync
// (default 10s).
func NewRedisClock(rdb redis.UniversalClient, resync time.Duration) *RedisClock {
	if resync <= 0 {
		resync = 10 * time.Second
	}
	return &RedisClock{rdb: rdb, resync: resync}
}

// Now is Redis's current time.
func (c *RedisClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tried.IsZero() || time.Since(c.tried) >= c.resync {
		c.tried = time.Now()
		c.sync()
	}
	if c.base.IsZero() {
		return time.Now()
	}
	return c.base.Add(time.Since(c.at))
}

// sync asks Redis for its time; on failure the last reading stands.
func (c *RedisClock) sync() {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	rt, err := c.rdb.Time(ctx).Result()
	if err != nil {
		return
	}
	t1 := time.Now()
	c.base, c.at = rt.Add(t1.Sub(t0)/2), t1
}
