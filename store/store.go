// Package store is the bot's Redis connection: to the server named by
// redis.url, or to the bot's own managed redis-server (package redisserver)
// when none is named. Feature stores (dialogs, dedupe, outbox, reminders)
// build on Store's client and key prefix.
package store

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/redisserver"
)

// PoolSize is the connection pool size: the callback path does one or two
// round trips per message from many goroutines.
const PoolSize = 64

// Store is a Redis client with the bot's key prefix.
type Store struct {
	// Client is a *redis.Client for one server or Sentinel, a
	// *redis.ClusterClient for Redis Cluster.
	Client redis.UniversalClient
	// Prefix starts every key (config redis.prefix, e.g. "choucha:").
	Prefix string
	// Mode is the deployment connected to (config.RedisSingle for the
	// managed server).
	Mode config.RedisMode

	server *redisserver.Server // nil when redis.url names the server
	addr   string
}

// Open connects to Redis as configured. With cfg.URL set it connects to
// the server, Sentinel-managed primary or Cluster it names (see
// config.ParseRedisURL) and checks it with PING; a one-server URL naming a
// Cluster node connects to the Cluster. Otherwise it ensures the managed
// redis-server in cfg.Dir (relative to baseDir unless absolute). Every
// client is named with redisserver.ClientName so the managed server knows
// which bot processes use it. Then it moves keys left under an earlier
// version's names (MigrateKeys).
func Open(ctx context.Context, cfg config.Redis, baseDir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{Prefix: cfg.Prefix, Mode: config.RedisSingle}
	if cfg.URL != "" {
		if err := s.dialURL(ctx, cfg.URL); err != nil {
			return nil, err
		}
	} else {
		dir := cfg.Dir
		if dir == "" {
			dir = redisserver.DefaultDir
		}
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(baseDir, dir)
		}
		srv, err := redisserver.Ensure(ctx, dir, log)
		if err != nil {
			return nil, err
		}
		srv.SetUnhealthyAfter(cfg.UnhealthyAfter)
		s.server = srv
		s.addr = srv.Addr()
		s.Client = redis.NewClient(&redis.Options{Addr: srv.Addr(), Dialer: followServer(srv),
			PoolSize: PoolSize, ClientName: redisserver.ClientName()})
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s.Client.Ping(pctx).Err(); err != nil {
			_ = s.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("managed redis-server %s: PING failed: %w", s.addr, err)
		}
	}
	if _, err := MigrateKeys(ctx, s.Client, s.Prefix, log); err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if s.server != nil {
		log.Info("redis ready", "mode", "managed", "addr", s.addr, "dir", s.server.Dir(), "started", s.server.Started())
	} else {
		log.Info("redis ready", "mode", string(s.Mode), "url", config.RedactURL(cfg.URL))
	}
	return s, nil
}

// followServer dials the managed server where it is now: a restart (see
// redisserver) keeps its port when it can, and moves it when it cannot.
func followServer(srv *redisserver.Server) func(ctx context.Context, network, _ string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 5 * time.Minute}
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, srv.Addr())
	}
}

// Health is nil unless the managed redis-server has been down, restarts
// failing, longer than redis.unhealthy_after (for /healthz). With
// redis.url it is always nil: the bot cannot restart that server.
func (s *Store) Health() error {
	if s.server == nil {
		return nil
	}
	return s.server.Health()
}

// Close closes the client, then releases the managed server (which shuts it
// down when no other bot process uses it).
func (s *Store) Close(ctx context.Context) error {
	var err error
	if s.Client != nil {
		if cerr := s.Client.Close(); cerr != nil {
			err = fmt.Errorf("close redis client: %w", cerr)
		}
	}
	if s.server != nil {
		if serr := s.server.Close(ctx); serr != nil && err == nil {
			err = serr
		}
	}
	return err
}
