package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// RedisMode is the kind of deployment redis.url names.
type RedisMode string

// The deployments redis.url can name.
const (
	RedisSingle   RedisMode = "single"   // one server (or a primary with replicas the bot ignores)
	RedisSentinel RedisMode = "sentinel" // a primary found through Redis Sentinel
	RedisCluster  RedisMode = "cluster"  // Redis Cluster
)

// RedisURLForms lists the accepted forms of redis.url, for error messages.
const RedisURLForms = "redis://[:password@]host:port/db (one server), " +
	"redis://sentinel1:26379/db?master_name=NAME&addr=sentinel2:26379&addr=sentinel3:26379 (Sentinel), " +
	"redis://node1:7000?addr=node2:7001&addr=node3:7002 (Cluster)"

// RedisURL is a parsed redis.url: the mode and the go-redis options of
// that mode (exactly one of Single, Failover, Cluster is set).
type RedisURL struct {
	Mode     RedisMode
	Single   *redis.Options
	Failover *redis.FailoverOptions
	Cluster  *redis.ClusterOptions
}

// ParseRedisURL parses redis.url in go-redis's own URL conventions:
//
//   - one server: redis://[[user]:password@]host:port[/db][?options],
//     rediss:// for TLS, unix:///path/to/redis.sock?db=N (redis.ParseURL);
//   - Sentinel: the URL of one Sentinel with master_name=NAME and the
//     other Sentinels as addr=host:port (redis.ParseFailoverURL). The
//     user and password before @ are the Sentinels'; the primary's are the
//     username= and password= options;
//   - Cluster: the URL of one node with the others as addr=host:port and
//     no master_name (redis.ParseClusterURL); only database 0. A
//     one-server URL that turns out to name a Cluster node is switched to
//     Cluster when connecting (store.Open).
//
// Errors say what is wrong without repeating the URL (it may hold a
// password); see RedactURL.
func ParseRedisURL(s string) (*RedisURL, error) {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL, password and all
		}
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
	case "redis-sentinel", "sentinel", "redis+sentinel":
		return nil, fmt.Errorf("scheme %q: name Sentinel as redis://sentinel1:26379/db?master_name=NAME&addr=sentinel2:26379", u.Scheme)
	case "redis-cluster", "redis+cluster":
		return nil, fmt.Errorf("scheme %q: name a Cluster as redis://node1:7000?addr=node2:7001&addr=node3:7002", u.Scheme)
	default:
		return nil, fmt.Errorf("scheme %q is not redis, rediss or unix", u.Scheme)
	}
	if u.Scheme != "unix" && u.Host == "" {
		return nil, errors.New("no host:port after redis://")
	}
	if strings.Contains(u.Host, ",") {
		return nil, errors.New("several hosts separated by commas: put one in the host part and each other one in an addr=host:port option")
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		if u.Scheme == "unix" {
			return nil, errors.New("Sentinel needs redis:// or rediss:// addresses, not unix")
		}
		if strings.TrimSpace(q.Get("master_name")) == "" {
			return nil, errors.New("master_name is empty (the name the Sentinels know the primary by, e.g. mymaster)")
		}
		o, err := redis.ParseFailoverURL(s)
		if err != nil {
			return nil, cleanRedisErr(err)
		}
		return &RedisURL{Mode: RedisSentinel, Failover: o}, nil
	case q.Has("addr"):
		if u.Scheme == "unix" {
			return nil, errors.New("Cluster needs redis:// or rediss:// addresses, not unix")
		}
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return nil, fmt.Errorf("database %q: Redis Cluster has only database 0", p)
		}
		c := *u
		c.Path = ""
		o, err := redis.ParseClusterURL(c.String())
		if err != nil {
			return nil, cleanRedisErr(err)
		}
		return &RedisURL{Mode: RedisCluster, Cluster: o}, nil
	}
	o, err := redis.ParseURL(s)
	if err != nil {
		return nil, cleanRedisErr(err)
	}
	return &RedisURL{Mode: RedisSingle, Single: o}, nil
}

// cleanRedisErr drops go-redis's "redis: " prefix.
func cleanRedisErr(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "redis: "))
}
