// Package redistest starts a private redis-server for tests: on a free
// loopback port, in a temporary directory, stopped when the test ends. It
// never touches a server it did not start.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running private redis-server.
type Server struct {
	Addr   string
	Dir    string
	cmd    *exec.Cmd
	exited <-chan struct{} // closed when the process has exited
}

// Start starts a private redis-server for tb and registers its shutdown.
// It fails the test (never skips) with instructions when none can be started.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := StartDir(tb.TempDir())
	if err != nil {
		tb.Fatalf("cannot start a private redis-server for tests: %v\n"+
			"install it with `apt-get install -y redis-server` (or run `make test`, which installs it)", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartDir starts redis-server with its files in dir on a free port.
// Append-only persistence is on so tests can restart it on the same data.
func StartDir(dir string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found in PATH: %w", err)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := startOn(bin, dir, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// Restart starts a new server process on the same directory (and data).
func (s *Server) Restart() (*Server, error) {
	s.Stop()
	return StartDir(s.Dir)
}

func startOn(bin, dir string, port int, extra ...string) (*Server, error) {
	args := append([]string{
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--dir", dir,
		"--save", "",
		"--appendonly", "yes",
		"--daemonize", "no",
		"--logfile", filepath.Join(dir, "redis.log"),
	}, extra...)
	return startProcess(bin, dir, port, args...)
}

// startProcess runs bin with args (a server or Sentinel logging to
// dir/redis.log) and waits until it answers PING on port.
func startProcess(bin, dir string, port int, args ...string) (*Server, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s := &Server{Addr: addr, Dir: dir, cmd: cmd}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.exited = exited
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	// The answer must come from this process: when another test process
	// took the port first, our server fails to bind and exits while the
	// other one answers PING (two tests then shared one server).
	pid := "process_id:" + strconv.Itoa(cmd.Process.Pid) + "\r\n"
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		info, err := c.Info(ctx, "server").Result()
		cancel()
		if err == nil {
			if strings.Contains(info, pid) {
				return s, nil
			}
			break // another process's server
		}
		select {
		case <-exited:
			deadline = time.Now()
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Stop()
	log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
	return nil, fmt.Errorf("redis-server on %s did not answer PING within 5s; log:\n%s", addr, log)
}

// Client returns a new client for the server, closed at test end.
func (s *Server) Client(tb testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	tb.Cleanup(func() { c.Close() })
	return c
}

// URL is the redis:// URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
