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
	Client *redis.Client
	// Prefix starts every key (config redis.prefix, e.g. "choucha:").
	Prefix string

	server *redisserver.Server // nil when redis.url names the server
	addr   string
}

// Open connects to Redis as configured. With cfg.URL set it connects there
// and checks it with PING. Otherwise it ensures the managed redis-server in
// cfg.Dir (relative to baseDir unless absolute). Every client is named with
// redisserver.ClientName so the managed server knows which bot processes use
// it.
func Open(ctx context.Context, cfg config.Redis, baseDir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{Prefix: cfg.Prefix}
	var opts *redis.Options
	if cfg.URL != "" {
		o, err := redis.ParseURL(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("redis.url %s: %w", config.RedactURL(cfg.URL), err)
		}
		opts = o
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
		opts = &redis.Options{Addr: srv.Addr(), Dialer: followServer(srv)}
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = PoolSize
	}
	opts.ClientName = redisserver.ClientName()
	s.Client = redis.NewClient(opts)
	s.addr = opts.Addr

	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Client.Ping(pctx).Err(); err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		if cfg.URL != "" {
			return nil, fmt.Errorf("redis.url %s: PING failed: %w (is the server running and reachable?)", config.RedactURL(cfg.URL), err)
		}
		return nil, fmt.Errorf("managed redis-server %s: PING failed: %w", opts.Addr, err)
	}
	if s.server != nil {
		log.Info("redis ready", "mode", "managed", "addr", s.addr, "dir", s.server.Dir(), "started", s.server.Started())
	} else {
		log.Info("redis ready", "mode", "url", "url", config.RedactURL(cfg.URL))
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
