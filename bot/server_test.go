package bot

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
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
	m := NewMetrics(reg)
	m.SendError(45009)
	m.SendError(-2)
	m.Sent()
	disp, err := NewDispatcher(DispatcherOptions{Handler: (&recorder{}).handle, Sender: &recordingSender{}, Metrics: m, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	configErr, healthErr := error(nil), error(nil)
	s := NewServer(ServerOptions{Redis: rdb, Registry: reg, Dispatcher: disp, Logger: quietLogger(),
		Config: func() error { return configErr },
		Health: func() error { return healthErr },
		ReadyChecks: []ReadyCheck{
			{Name: "departments", Warn: true, Check: func(context.Context) error { return errors.New("未映射的部门：99") }},
		}})
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
	code, body = get(t, base+"/metrics")
	for _, want := range []string{`choucha_wecom_send_errors_total{errcode="45009"} 1`, `choucha_wecom_send_errors_total{errcode="http"} 1`,
		"choucha_wecom_sent_total 1", "choucha_wecom_queue_depth 0"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := get(t, base+"/wecom/callback"); code != 404 {
		t.Errorf("callback route without a Callback: %d", code)
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
	if err := disp.Enqueue(&Incoming{FromUserName: "u"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("dispatcher still accepting after shutdown: %v", err)
	}
}
