package redisserver

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func ensure(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := Ensure(t.Context(), dir, nil)
	if err != nil {
		t.Fatalf("Ensure(%s): %v", dir, err)
	}
	return s
}

// cleanupDir kills whatever is still running in dir at the end of a test.
func cleanupDir(t *testing.T, dir string) {
	t.Cleanup(func() {
		st, _ := readState(dir)
		if st != nil && isRedisProcess(st.PID) {
			p, _ := os.FindProcess(st.PID)
			_ = p.Kill()
		}
	})
}

func client(t *testing.T, s *Server, name string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), ClientName: name})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestEnsureStartsAndCloseStops(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "redis")
	cleanupDir(t, dir)
	s := ensure(t, dir)
	if !s.Started() || s.PID() <= 0 || !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("server = %+v", s)
	}
	if s.URL() != "redis://"+s.Addr()+"/0" {
		t.Errorf("URL = %s", s.URL())
	}
	if _, err := redis.ParseURL(s.URL()); err != nil {
		t.Errorf("URL does not parse: %v", err)
	}
	ctx := t.Context()
	c := client(t, s, ClientName())
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// The server persists append-only into dir and records itself there.
	cfg, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if cfg["appendonly"] != "yes" || cfg["appendfsync"] != "always" || cfg["save"] != "" || cfg["dir"] != dir || cfg["bind"] != "127.0.0.1" {
		t.Errorf("server config: appendonly=%q appendfsync=%q save=%q dir=%q bind=%q",
			cfg["appendonly"], cfg["appendfsync"], cfg["save"], cfg["dir"], cfg["bind"])
	}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil || st.Addr != s.Addr() || st.PID != s.PID() {
		t.Errorf("state file %s: %+v, %v", data, st, err)
	}
	for _, f := range []string{lockFile, logFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	c.Close() // the bot closes its clients before the server

	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if isRedisProcess(s.PID()) {
		t.Errorf("redis-server pid %d still running after the last Close", s.PID())
	}
	if _, err := os.Stat(filepath.Join(dir, stateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left after shutdown: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestEnsureReusesAndDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	ctx := t.Context()
	first := ensure(t, dir)
	second := ensure(t, dir)
	if second.Started() {
		t.Error("second Ensure started a new server instead of reusing")
	}
	if second.Addr() != first.Addr() || second.PID() != first.PID() {
		t.Fatalf("second Ensure: %s pid %d, first %s pid %d", second.Addr(), second.PID(), first.Addr(), first.PID())
	}
	if err := client(t, second, ClientName()).Set(ctx, "survives", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}

	// The second user closes first: the server stays for the first.
	if err := second.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !isRedisProcess(first.PID()) {
		t.Fatal("server stopped although the first Server still uses it")
	}
	if err := client(t, first, ClientName()).Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// Last one out: the server stops, its AOF stays.
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if isRedisProcess(first.PID()) {
		t.Fatal("server still running after the last Close")
	}

	third := ensure(t, dir)
	defer third.Close(ctx)
	if !third.Started() || third.PID() == first.PID() {
		t.Fatalf("third Ensure did not start a new server: %+v", third)
	}
	got, err := client(t, third, ClientName()).Get(ctx, "survives").Result()
	if err != nil || got != "yes" {
		t.Errorf("after restart: %q, %v (AOF lost?)", got, err)
	}
}

func TestCloseLeavesServerForOtherBotProcess(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	ctx := t.Context()
	s := ensure(t, dir)
	// A client named like another bot process (pid 1 is never us).
	other := client(t, s, "choucha-1")
	if err := other.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// A client of another program is not a bot process; it does not matter
	// here, but it must not confuse the count either.
	plain := client(t, s, "redis-cli")
	if err := plain.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}

	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !isRedisProcess(s.PID()) {
		t.Fatal("Close stopped the server while another bot process was connected")
	}
	if err := other.Set(ctx, "still", "here", 0).Err(); err != nil {
		t.Fatalf("other bot process lost its Redis: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err != nil {
		t.Errorf("state file removed while the server runs: %v", err)
	}

	// The other process, once alone, reuses and then stops it.
	other.Close()
	waitGone(t, s, "choucha-1")
	again := ensure(t, dir)
	if again.Started() || again.PID() != s.PID() {
		t.Fatalf("did not reuse the running server: %+v", again)
	}
	if err := again.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if isRedisProcess(s.PID()) {
		t.Error("server still running after the last bot process closed")
	}
}

// waitGone waits until the server has noticed that every client whose name
// starts with name disconnected.
func waitGone(t *testing.T, s *Server, name string) {
	t.Helper()
	admin := client(t, s, "")
	for i := 0; ; i++ {
		list, err := admin.ClientList(t.Context()).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(list, "name="+name) {
			return
		}
		if i == 500 {
			t.Fatalf("client %s still connected", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEnsureStaleState(t *testing.T) {
	ctx := t.Context()
	// A pid that is certainly dead: a finished child of ours.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid

	// Another redis-server (not ours) now answers on the recorded address.
	foreign := redistest.Start(t)

	// A live redis-server that is not the recorded one (after a reboot the
	// recorded pid can be the system Redis's): its pid with our old address.
	foreignPID, err := serverPID(ctx, foreign.Client(t))
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		state string
	}{
		{"pid of another redis-server", `{"addr":"127.0.0.1:1","pid":` + itoa(foreignPID) + `}`},
		{"dead pid", `{"addr":"127.0.0.1:1","pid":` + itoa(dead) + `}`},
		{"pid of another process", `{"addr":"127.0.0.1:1","pid":` + itoa(os.Getpid()) + `}`},
		{"foreign server on the address", `{"addr":"` + foreign.Addr + `","pid":` + itoa(dead) + `}`},
		{"garbage", `{not json`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cleanupDir(t, dir)
			if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(c.state), 0o640); err != nil {
				t.Fatal(err)
			}
			s := ensure(t, dir)
			defer s.Close(ctx)
			if !s.Started() || s.Addr() == foreign.Addr {
				t.Fatalf("stale state reused: %+v", s)
			}
			st, err := readState(dir)
			if err != nil || st.PID != s.PID() {
				t.Errorf("state not rewritten: %+v, %v", st, err)
			}
		})
	}
	// The foreign server was never touched.
	if err := foreign.Client(t).Ping(ctx).Err(); err != nil {
		t.Errorf("foreign server: %v", err)
	}
}

func TestEnsureMissingBinary(t *testing.T) {
	t.Setenv("PATH", "")
	_, err := Ensure(t.Context(), t.TempDir(), nil)
	if err == nil {
		t.Fatal("Ensure without redis-server in PATH succeeded")
	}
	if !errors.Is(err, ErrNoRedisServer) {
		t.Errorf("error does not wrap ErrNoRedisServer: %v", err)
	}
	for _, w := range []string{"apt-get install -y redis-server", "redis-server", "安装", "Debian"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func TestEnsureConcurrent(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const n = 4
	servers := make(chan *Server, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := Ensure(ctx, dir, nil)
			if err != nil {
				errs <- err
				return
			}
			servers <- s
		}()
	}
	var got []*Server
	for range n {
		select {
		case s := <-servers:
			got = append(got, s)
		case err := <-errs:
			t.Fatal(err)
		}
	}
	started := 0
	for _, s := range got {
		if s.Started() {
			started++
		}
		if s.PID() != got[0].PID() {
			t.Errorf("two servers for one dir: %d and %d", s.PID(), got[0].PID())
		}
	}
	if started != 1 {
		t.Errorf("%d processes started a server, want 1", started)
	}
	for i, s := range got {
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if running := isRedisProcess(s.PID()); running != (i < n-1) {
			t.Errorf("after Close %d of %d: running = %v", i+1, n, running)
		}
	}
}

func TestClientName(t *testing.T) {
	if ClientName() != "choucha-"+itoa(os.Getpid()) {
		t.Errorf("ClientName = %q", ClientName())
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
