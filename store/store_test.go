package store

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/redisserver"
)

func TestOpenURL(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	s, err := Open(ctx, config.Redis{URL: srv.URL(), Prefix: "choucha:"}, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.server != nil || s.addr != srv.Addr {
		t.Errorf("Managed = %v, Addr = %s", s.server, s.addr)
	}
	if err := s.Client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if ps := s.Client.(*redis.Client).Options().PoolSize; ps != PoolSize || s.Mode != config.RedisSingle {
		t.Errorf("PoolSize = %d, mode %s", ps, s.Mode)
	}
	if err := s.Client.Set(ctx, "choucha:k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// The write went to the configured server, under the prefix, and the
	// connection carries the bot's client name.
	c := srv.Client(t)
	if v, err := c.Get(ctx, "choucha:k").Result(); err != nil || v != "v" {
		t.Errorf("GET choucha:k = %q, %v", v, err)
	}
	list, err := c.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "name="+redisserver.ClientName()+" ") {
		t.Errorf("no client named %s in\n%s", redisserver.ClientName(), list)
	}

	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Client.Ping(ctx).Err(); err == nil {
		t.Error("Ping after Close succeeded")
	}
	// An external server is never shut down by the bot.
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("external server gone after Close: %v", err)
	}
}

func TestOpenURLErrors(t *testing.T) {
	// A port nothing listens on (never 6379).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	cases := []struct {
		name string
		url  string
		want []string
	}{
		{"unparseable", "http://127.0.0.1/0", []string{"redis.url", "http://127.0.0.1/0"}},
		{"unreachable", "redis://:hunter2@" + closed + "/0", []string{"redis.url", closed, "PING failed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(t.Context(), config.Redis{URL: c.url, Prefix: "p:"}, t.TempDir(), nil)
			if err == nil {
				s.Close(t.Context())
				t.Fatal("Open succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestOpenManaged(t *testing.T) {
	base := t.TempDir()
	ctx := t.Context()
	s, err := Open(ctx, config.Redis{Dir: "data/redis", Prefix: "choucha:"}, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := s.server
	if m == nil || !m.Started() || m.Dir() != filepath.Join(base, "data", "redis") || s.addr != m.Addr() {
		t.Fatalf("managed server: %+v", m)
	}
	if err := s.Client.Set(ctx, "choucha:x", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}

	// A second store on the same directory shares the server.
	s2, err := Open(ctx, config.Redis{Dir: filepath.Join(base, "data", "redis"), Prefix: "choucha:"}, "/nonexistent", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s2.server.Started() || s2.addr != s.addr {
		t.Errorf("second store: started=%v addr=%s, want reuse of %s", s2.server.Started(), s2.addr, s.addr)
	}
	if v, err := s2.Client.Get(ctx, "choucha:x").Result(); err != nil || v != "1" {
		t.Errorf("second store reads %q, %v", v, err)
	}
	if err := s2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Client.Ping(ctx).Err(); err != nil {
		t.Fatalf("first store lost Redis when the second closed: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(m.Dir(), "server.json")); !os.IsNotExist(err) {
		t.Errorf("managed server still recorded after the last Close: %v", err)
	}
}
