// Package httpserver is the bot's HTTP server: /healthz, /readyz and
// /metrics, and the routes channels mount on it (the WeCom callback). It
// runs the channels' background work while serving and drains them on
// shutdown, after the listener has stopped.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// ReadyCheck is one line of /readyz. A failing check makes /readyz answer
// 503 unless Warn is set (then the line is printed, readiness unaffected).
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
	Warn  bool
}

// Mount is something a channel serves: routes, work to run in the
// background while serving, and a drain for shutdown.
type Mount struct {
	Routes map[string]http.Handler // path → handler
	// Background runs while the server serves and must return when ctx ends
	// (the inbox's recovery loop).
	Background func(ctx context.Context)
	// Drain finishes accepted work after the listener stopped (the
	// dispatcher), within ctx.
	Drain func(ctx context.Context) error
}

// Options configures a Server.
type Options struct {
	Addr     string                // listen address; default ":8080"
	Mounts   []Mount               // the channels
	Redis    redis.UniversalClient // PINGed by /readyz; nil: no Redis line
	Registry *prometheus.Registry  // served at /metrics; nil: no /metrics
	// Health, when set, makes /healthz answer 503 with its error: the
	// process cannot recover by itself (e.g. its managed redis-server stays
	// down) and should be restarted. nil: /healthz is "process up".
	Health func() error
	// Config reports whether the loaded config is valid (nil func: valid).
	Config      func() error
	ReadyChecks []ReadyCheck
	// ShutdownTimeout bounds the drain on shutdown. Default 25s.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Server is the bot's HTTP server.
type Server struct {
	o   Options
	mux *http.ServeMux
}

// New builds the server (it does not listen yet). A route of a mount that
// is already taken is an error.
func New(o Options) (*Server, error) {
	if o.Addr == "" {
		o.Addr = ":8080"
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 25 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{o: o, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if o.Health != nil {
			if err := o.Health(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if o.Registry != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry}))
	}
	taken := map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}
	for _, m := range o.Mounts {
		for path, h := range m.Routes {
			if taken[path] {
				return nil, fmt.Errorf("httpserver: route %s is taken", path)
			}
			taken[path] = true
			s.mux.Handle(path, h)
		}
	}
	return s, nil
}

// Handler is the server's routes (for httptest and embedding).
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := make([]ReadyCheck, 0, 2+len(s.o.ReadyChecks))
	if s.o.Redis != nil {
		checks = append(checks, ReadyCheck{Name: "redis", Check: func(ctx context.Context) error {
			return s.o.Redis.Ping(ctx).Err()
		}})
	}
	checks = append(checks, ReadyCheck{Name: "config", Check: func(context.Context) error {
		if s.o.Config == nil {
			return nil
		}
		return s.o.Config()
	}})
	checks = append(checks, s.o.ReadyChecks...)
	var b strings.Builder
	ok := true
	for _, c := range checks {
		if c.Check == nil {
			continue
		}
		err := c.Check(ctx)
		switch {
		case err == nil:
			fmt.Fprintf(&b, "%s: ok\n", c.Name)
		case c.Warn:
			fmt.Fprintf(&b, "%s: warning: %v\n", c.Name, err)
		default:
			ok = false
			fmt.Fprintf(&b, "%s: %v\n", c.Name, err)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(b.String()))
}

// ListenAndServe listens on Addr and serves until ctx ends; then it stops
// accepting, finishes in-flight requests, drains the mounts and returns.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("listen %s (http.addr): %w", s.o.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on an existing listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.o.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.o.Logger.Info("http server listening", "addr", ln.Addr().String())
	bgCtx, stopBackground := context.WithCancel(ctx)
	var bg sync.WaitGroup
	for _, m := range s.o.Mounts {
		if m.Background != nil {
			bg.Go(func() { m.Background(bgCtx) })
		}
	}
	defer func() { stopBackground(); bg.Wait() }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	stopBackground()
	bg.Wait()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	for _, m := range s.o.Mounts {
		if m.Drain != nil {
			if derr := m.Drain(sctx); derr != nil {
				err = errors.Join(err, derr)
			}
		}
	}
	s.o.Logger.Info("http server stopped")
	return err
}
