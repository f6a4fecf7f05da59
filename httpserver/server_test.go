package httpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/changzhi-amr/choucha/internal/redistest"
)

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServerEndpointsAndShutdown(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	reg := prometheus.NewRegistry()
	sent := prometheus.NewCounter(prometheus.CounterOpts{Name: "choucha_test_sent_total", Help: "test"})
	reg.MustRegister(sent)
	sent.Inc()
	var background, drained atomic.Int32
	bgStopped := make(chan struct{})
	mount := Mount{
		Routes: map[string]http.Handler{"/channel": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("channel"))
		})},
		Background: func(ctx context.Context) {
			background.Add(1)
			<-ctx.Done()
			close(bgStopped)
		},
		Drain: func(ctx context.Context) error {
			select {
			case <-bgStopped: // the background work stops before the drain
			default:
				t.Error("drained while the background work still ran")
			}
			drained.Add(1)
			return nil
		},
	}
	configErr, healthErr := error(nil), error(nil)
	s, err := New(Options{Redis: rdb, Registry: reg, Mounts: []Mount{mount}, Logger: quietLogger(),
		Config: func() error { return configErr },
		Health: func() error { return healthErr },
		ReadyChecks: []ReadyCheck{
			{Name: "departments", Warn: true, Check: func(context.Context) error { return errors.New("未映射的部门：99") }},
		}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz %d %q", code, body)
	}
	healthErr = errors.New("managed redis-server down for 31s, restarts failing")
	if code, body := get(t, base+"/healthz"); code != 503 || !strings.Contains(body, "restarts failing") {
		t.Fatalf("/healthz when unhealthy %d %q", code, body)
	}
	healthErr = nil
	code, body := get(t, base+"/readyz")
	if code != 200 || body != "redis: ok\nconfig: ok\ndepartments: warning: 未映射的部门：99\n" {
		t.Fatalf("/readyz %d %q", code, body)
	}
	configErr = errors.New("plans[0]: file not found")
	if code, body = get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "config: plans[0]: file not found") {
		t.Fatalf("/readyz with bad config %d %q", code, body)
	}
	if _, body = get(t, base+"/metrics"); !strings.Contains(body, "choucha_test_sent_total 1") {
		t.Errorf("/metrics lacks the registry's counter:\n%s", body)
	}
	if code, body := get(t, base+"/channel"); code != 200 || body != "channel" {
		t.Errorf("mounted route: %d %q", code, body)
	}
	if code, _ := get(t, base+"/wecom/callback"); code != 404 {
		t.Errorf("unmounted route: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after ctx was cancelled")
	}
	if background.Load() != 1 || drained.Load() != 1 {
		t.Fatalf("background ran %d times, drain %d times; want 1 and 1", background.Load(), drained.Load())
	}
}

func TestServerRefusesTakenRoutes(t *testing.T) {
	h := http.NotFoundHandler()
	for _, mounts := range [][]Mount{
		{{Routes: map[string]http.Handler{"/healthz": h}}},
		{{Routes: map[string]http.Handler{"/cb": h}}, {Routes: map[string]http.Handler{"/cb": h}}},
	} {
		if _, err := New(Options{Mounts: mounts}); err == nil {
			t.Errorf("mounts %v accepted", mounts)
		}
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
