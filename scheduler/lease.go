package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Owner-only renewal and release: a replica whose lease expired and was
// taken over must not extend or delete the new owner's lease.
var (
	renewScript   = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`)
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`)
)

// lease is a short Redis lock held while one replica computes and sends.
type lease struct {
	rdb   redis.UniversalClient
	key   string
	token string
	ttl   time.Duration
	stop  chan struct{}
	done  chan struct{}
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// acquire takes the lease or returns nil when another owner holds it. While
// held it is renewed every ttl/3; if renewal finds it lost, lost is cancelled.
func acquire(ctx context.Context, rdb redis.UniversalClient, key, token string, ttl time.Duration, lost context.CancelFunc) (*lease, error) {
	ok, err := rdb.SetNX(ctx, key, token, ttl).Result()
	if err != nil {
		return nil, fmt.Errorf("scheduler: take lease %s: %w", key, err)
	}
	if !ok {
		return nil, nil
	}
	l := &lease{rdb: rdb, key: key, token: token, ttl: ttl, stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew(lost)
	return l, nil
}

func (l *lease) renew(lost context.CancelFunc) {
	defer close(l.done)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
			n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.token, l.ttl.Milliseconds()).Int()
			cancel()
			if err == nil && n == 0 {
				lost() // someone else owns it now: stop working
				return
			}
		}
	}
}

// release stops renewal and deletes the lease if still ours.
func (l *lease) release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	if err := releaseScript.Run(ctx, l.rdb, []string{l.key}, l.token).Err(); err != nil {
		return fmt.Errorf("scheduler: release lease %s: %w", l.key, err)
	}
	return nil
}
