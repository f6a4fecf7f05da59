package redisserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/redis/go-redis/v9"
)

// helperDirEnv makes the test binary act as another bot process: it ensures
// the server in that directory, connects like the store does, prints
// "READY addr pid started", and closes everything when stdin ends.
const helperDirEnv = "REDISSERVER_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		os.Exit(helperProcess(dir))
	}
	os.Exit(m.Run())
}

func helperProcess(dir string) int {
	ctx := context.Background()
	s, err := Ensure(ctx, dir, nil)
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), ClientName: ClientName()})
	if err := c.Ping(ctx).Err(); err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	fmt.Printf("READY %s %d %v\n", s.Addr(), s.PID(), s.Started())
	_, _ = io.Copy(io.Discard, os.Stdin)
	c.Close()
	if err := s.Close(ctx); err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	fmt.Println("CLOSED")
	return 0
}

// botProcess is another bot process using the managed server in dir.
type botProcess struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	out     *bufio.Scanner
	addr    string
	pid     int // the redis-server's pid
	started bool
}

func startBotProcess(t *testing.T, dir string) *botProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	p := &botProcess{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	if !p.out.Scan() {
		t.Fatalf("bot process said nothing: %v", p.out.Err())
	}
	var started string
	if _, err := fmt.Sscanf(p.out.Text(), "READY %s %d %s", &p.addr, &p.pid, &started); err != nil {
		t.Fatalf("bot process: %q", p.out.Text())
	}
	p.started = started == "true"
	return p
}

// stop closes the process's stdin (its signal to Close) and waits for it.
func (p *botProcess) stop(t *testing.T) {
	t.Helper()
	p.stdin.Close()
	var lines []string
	for p.out.Scan() {
		lines = append(lines, p.out.Text())
	}
	if err := p.cmd.Wait(); err != nil || len(lines) == 0 || lines[len(lines)-1] != "CLOSED" {
		t.Fatalf("bot process Close: %v, output %q", err, lines)
	}
}

func TestTwoBotProcesses(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	ctx := t.Context()

	other := startBotProcess(t, dir)
	if !other.started {
		t.Fatal("the first process did not start a server")
	}
	me := ensure(t, dir)
	if me.Started() || me.Addr() != other.addr || me.PID() != other.pid {
		t.Fatalf("this process did not reuse the other's server: %+v, other %+v", me, other)
	}
	// This process closes first: the other still uses the server.
	if err := me.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !isRedisProcess(other.pid) {
		t.Fatal("server stopped while the other bot process uses it")
	}
	// The other process, now the last one, stops it.
	other.stop(t)
	if isRedisProcess(other.pid) {
		t.Error("server still running after the last bot process closed")
	}
}

func TestServerOutlivesKilledStarter(t *testing.T) {
	dir := t.TempDir()
	cleanupDir(t, dir)
	ctx := t.Context()

	starter := startBotProcess(t, dir)
	if err := starter.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = starter.cmd.Wait()
	if !isRedisProcess(starter.pid) {
		t.Fatal("redis-server died with the process that started it")
	}

	s := ensure(t, dir)
	if s.Started() || s.PID() != starter.pid {
		t.Fatalf("did not reuse the orphaned server: %+v", s)
	}
	waitGone(t, s, fmt.Sprintf("choucha-%d", starter.cmd.Process.Pid))
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if isRedisProcess(starter.pid) {
		t.Error("server still running after the last bot process closed")
	}
}
