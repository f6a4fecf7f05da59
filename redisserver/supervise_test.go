package redisserver

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// waitBack waits until s runs a redis-server other than dead that answers.
func waitBack(t *testing.T, s *Server, dead int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if pid := s.PID(); pid != dead && isRedisProcess(pid) {
			c := redis.NewClient(&redis.Options{Addr: s.Addr()})
			err := c.Ping(t.Context()).Err()
			c.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server not restarted after pid %d was killed (now pid %d)", dead, s.PID())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// closeLast closes the last user of the server and checks it stopped.
func closeLast(t *testing.T, s *Server) {
	t.Helper()
	pid := s.PID()
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if isRedisProcess(pid) {
		t.Error("server still running after the last Close")
	}
}

func kill(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// SIGKILL the server its process started: it is restarted on the same
// address, and every acknowledged write (appendfsync always) is there.
func TestSupervisorRestartsKilledServer(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	ctx := t.Context()
	s := ensure(t, dir)
	addr := s.Addr()
	c := client(t, s, ClientName())
	for i := range 100 {
		if err := c.Set(ctx, "k"+itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 2 {
		dead := s.PID()
		kill(t, dead)
		waitBack(t, s, dead)
		if s.Addr() != addr || !s.Started() {
			t.Fatalf("round %d: restarted at %s (was %s), started %v", round, s.Addr(), addr, s.Started())
		}
		// The same client reconnects by itself; nothing acknowledged is lost.
		for i := range 100 {
			if got, err := c.Get(ctx, "k"+itoa(i)).Int(); err != nil || got != i {
				t.Fatalf("round %d: k%d = %d, %v", round, i, got, err)
			}
		}
		if err := s.Health(); err != nil {
			t.Fatal(err)
		}
	}
	closeLast(t, s)
}

// The process that started the server is gone (killed); then the server
// is killed too: the other bot process restarts it and becomes its starter.
func TestSupervisorTakeoverWhenStarterIsGone(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	ctx := t.Context()
	starter := startBotProcess(t, dir)
	me := ensure(t, dir)
	if me.Started() {
		t.Fatal("reused server counted as started here")
	}
	if err := client(t, me, ClientName()).Set(ctx, "kept", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := starter.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = starter.cmd.Wait()
	kill(t, starter.pid)
	waitBack(t, me, starter.pid)
	if !me.Started() {
		t.Error("the process that restarted the server does not own it")
	}
	if got, err := client(t, me, ClientName()).Get(ctx, "kept").Result(); err != nil || got != "yes" {
		t.Fatalf("after takeover: %q, %v", got, err)
	}
	closeLast(t, me)
}

// Two processes see the server die together (here: two Servers of this
// process, the starter and a user): one new server, adopted by the other.
func TestSupervisorsAgreeOnOneServer(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	a, b := ensure(t, dir), ensure(t, dir)
	dead := a.PID()
	kill(t, dead)
	waitBack(t, a, dead)
	waitBack(t, b, dead)
	if a.PID() != b.PID() || a.Addr() != b.Addr() {
		t.Fatalf("two servers: %s pid %d and %s pid %d", a.Addr(), a.PID(), b.Addr(), b.PID())
	}
	_ = b.Close(t.Context())
	_ = a.Close(t.Context())
}

// Health fails only when the server stays down longer than UnhealthyAfter
// because it cannot be restarted; once a restart works, it is healthy again.
func TestHealthFailsOnlyWhenRestartsFail(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	s := ensure(t, dir)
	s.SetUnhealthyAfter(500 * time.Millisecond)
	// Break restarts: the binary that restarts it exits at once.
	s.mu.Lock()
	bin := s.bin
	s.bin = "/bin/false"
	s.mu.Unlock()
	dead := s.PID()
	kill(t, dead)
	time.Sleep(200 * time.Millisecond)
	if err := s.Health(); err != nil {
		t.Fatalf("unhealthy before the threshold: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Health() == nil {
		if time.Now().After(deadline) {
			t.Fatal("Health stayed nil with the server down and restarts failing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Health(); !strings.Contains(err.Error(), "restarts failing") {
		t.Errorf("Health = %v", err)
	}
	s.mu.Lock()
	s.bin = bin
	s.mu.Unlock()
	waitBack(t, s, dead)
	// The supervisor records the recovery just after the new server answers.
	recovered := time.Now().Add(5 * time.Second)
	for s.Health() != nil && time.Now().Before(recovered) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Health(); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
