package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/redisserver"
)

// Retries while a Sentinel or Cluster fails over (when the URL sets no
// max_retries): go-redis retries a command refused or cut off by a
// primary going away (connection errors, READONLY, NOREPLICAS, CLUSTERDOWN,
// TRYAGAIN) with backoff between
// failoverMinBackoff and failoverMaxBackoff, so a failover of a few
// seconds is a pause rather than a burst of errors: an answer delivered
// to WeCom is then still marked done instead of being sent again after
// its lease.
const (
	failoverRetries    = 20
	failoverMinBackoff = 50 * time.Millisecond
	failoverMaxBackoff = time.Second
)

// dialURL connects s to the deployment rawURL names and checks it.
func (s *Store) dialURL(ctx context.Context, rawURL string) error {
	redacted := config.RedactURL(rawURL)
	u, err := config.ParseRedisURL(rawURL)
	if err != nil {
		return fmt.Errorf("redis.url %s: %w", redacted, err)
	}
	name := redisserver.ClientName()
	s.Mode = u.Mode
	switch u.Mode {
	case config.RedisSentinel:
		o := u.Failover
		o.ClientName = name
		if o.PoolSize == 0 {
			o.PoolSize = PoolSize
		}
		if o.MaxRetries == 0 {
			o.MaxRetries, o.MinRetryBackoff, o.MaxRetryBackoff = failoverRetries, failoverMinBackoff, failoverMaxBackoff
		}
		s.addr = strings.Join(o.SentinelAddrs, ",") + "/" + o.MasterName
		s.Client = redis.NewFailoverClient(o)
	case config.RedisCluster:
		s.Client = newCluster(u.Cluster, name)
		s.addr = strings.Join(u.Cluster.Addrs, ",")
	default:
		o := u.Single
		o.ClientName = name
		if o.PoolSize == 0 {
			o.PoolSize = PoolSize
		}
		s.addr = o.Addr
		s.Client = redis.NewClient(o)
	}

	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	fail := func(err error) error {
		_ = s.Client.Close()
		return fmt.Errorf("redis.url %s: %w", redacted, err)
	}
	if err := s.Client.Ping(pctx).Err(); err != nil {
		if strings.Contains(err.Error(), "SELECT is not allowed in cluster mode") {
			return fail(fmt.Errorf("%s is a Redis Cluster node, and Redis Cluster has only database 0", s.addr))
		}
		return fail(fmt.Errorf("PING failed: %w (is the server running and reachable?)", err))
	}
	if u.Mode != config.RedisSingle {
		return nil
	}
	// A one-server URL may name a Sentinel or a Cluster node by mistake
	// or for short: the first cannot store anything, the second only its
	// own slots.
	info, err := s.Client.Info(pctx, "server").Result()
	if err != nil {
		return fail(fmt.Errorf("INFO failed: %w", err))
	}
	if infoField(info, "redis_mode") == "sentinel" {
		return fail(fmt.Errorf("%s is a Sentinel: name the primary with ?master_name=NAME (SENTINEL MASTERS lists the names), e.g. redis://%s/0?master_name=mymaster", s.addr, s.addr))
	}
	if infoField(info, "redis_mode") != "cluster" {
		return nil
	}
	o := u.Single
	if o.DB != 0 {
		return fail(fmt.Errorf("%s is a Redis Cluster node, and Redis Cluster has only database 0", s.addr))
	}
	_ = s.Client.Close()
	s.Mode = config.RedisCluster
	s.Client = newCluster(&redis.ClusterOptions{
		Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		MaxRetries: o.MaxRetries, PoolSize: o.PoolSize,
	}, name)
	if err := s.Client.Ping(pctx).Err(); err != nil {
		return fail(fmt.Errorf("PING the Cluster failed: %w", err))
	}
	return nil
}

func newCluster(o *redis.ClusterOptions, name string) *redis.ClusterClient {
	o.ClientName = name
	if o.PoolSize == 0 {
		o.PoolSize = PoolSize
	}
	if o.MaxRetries == 0 {
		o.MaxRetries, o.MinRetryBackoff, o.MaxRetryBackoff = failoverRetries, failoverMinBackoff, failoverMaxBackoff
	}
	return redis.NewClusterClient(o)
}

// infoField is one "name:value" line of an INFO reply.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}
