// Package redisserver runs the bot's own redis-server when config.yaml names
// no Redis URL: one server per data directory, bound to 127.0.0.1 on a free
// port, with append-only persistence in that directory. A second bot process
// using the same directory shares the running server; the last bot process
// to close shuts it down, keeping the AOF for the next start.
//
// Bot processes identify their connections with CLIENT SETNAME choucha-<pid>
// (see ClientName), which is how a closing process sees whether others still
// use the server.
//
// Every process using the server supervises it: when the redis-server
// process dies, the process that started it restarts it at once, on the
// same port, from its AOF (appendfsync always: every acknowledged write is
// there); another bot process that reused it waits a second and then, if
// the server is still down (its starter is gone too), restarts it itself and
// becomes its starter. Restarts are decided under the data directory's lock,
// so processes that notice together start one server and the others adopt
// it. Failed restarts are retried with backoff (up to 5 s); Health reports an
// error once the server has been down longer than SetUnhealthyAfter's
// duration (default 30 s).
package redisserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultDir is the data directory used when Ensure gets an empty one.
const DefaultDir = "data/redis"

const (
	stateFile = "server.json"
	lockFile  = "lock"
	logFile   = "redis.log"
	// startTimeout bounds how long a starting (or loading) server may take
	// to answer PING.
	startTimeout = 15 * time.Second
	namePrefix   = "choucha-"
)

// ErrNoRedisServer is returned (wrapped) when redis-server is not installed.
var ErrNoRedisServer = errors.New("redis-server not found in PATH")

// ClientName is the connection name every Redis client of this bot process
// should set (redis.Options.ClientName), so that a closing process can tell
// whether other bot processes still use a managed server.
func ClientName() string { return namePrefix + strconv.Itoa(os.Getpid()) }

// Server is a managed redis-server, started by this process or shared with
// another bot process.
type Server struct {
	dir string
	log *slog.Logger

	// mu guards what a restart changes, read by Addr, PID, Started and
	// Health while the supervisor runs.
	mu             sync.Mutex
	bin            string // redis-server, for restarts
	addr           string
	pid            int
	started        bool      // this process started it
	downSince      time.Time // zero while the server is up
	lastErr        error     // the last failed restart
	unhealthyAfter time.Duration

	stopSupervisor chan struct{}
	supervisorDone chan struct{}

	// presence is a connection named choucha-<pid>-<n> held open from Ensure
	// to Close, so other processes see this one as a user of the server.
	presence     *redis.Client
	presenceName string
	presenceID   int64

	exited chan struct{} // closed when the child exits (started only)

	closeOnce sync.Once
	closeErr  error
}

// state is what the data directory records about its running server.
type state struct {
	Addr      string    `json:"addr"`
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
}

var presenceSeq atomic.Int64

// Ensure returns the managed Redis for dir (DefaultDir when empty; created if
// needed): the server recorded there when it is alive and answers PING, or a
// new redis-server started as a child of this process. The decision is made
// under an flock on dir/lock so concurrent processes agree on one server.
func Ensure(ctx context.Context, dir string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w: 抽查助手需要 Redis 保存状态，请安装 Debian 软件包 redis-server（apt-get install -y redis-server），"+
			"或在 config.yaml 的 redis.url 中填写已有的 Redis。 "+
			"The bot needs Redis: install the Debian package redis-server (apt-get install -y redis-server), "+
			"or set redis.url in config.yaml to an existing server", ErrNoRedisServer)
	}
	if dir == "" {
		dir = DefaultDir
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("redis data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("redis data dir: %w", err)
	}
	unlock, err := lock(ctx, filepath.Join(dir, lockFile))
	if err != nil {
		return nil, err
	}
	defer unlock()

	s := &Server{dir: dir, bin: bin, log: log, unhealthyAfter: DefaultUnhealthyAfter}
	st, err := readState(dir)
	if err != nil {
		log.Warn("ignoring unreadable redis state file", "dir", dir, "err", err)
	}
	if st != nil {
		ok, err := s.reuse(ctx, st)
		if err != nil {
			return nil, err
		}
		if !ok {
			log.Info("redis state file is stale, starting a new server", "dir", dir, "recorded_addr", st.Addr, "recorded_pid", st.PID)
			_ = os.Remove(filepath.Join(dir, stateFile))
		}
	}
	if s.addr == "" {
		if err := s.start(ctx, bin); err != nil {
			return nil, err
		}
	}
	if err := s.register(ctx); err != nil {
		if s.started {
			_ = s.shutdown(context.WithoutCancel(ctx))
		}
		return nil, err
	}
	s.stopSupervisor, s.supervisorDone = make(chan struct{}), make(chan struct{})
	go s.supervise()
	return s, nil
}

// reuse adopts the recorded server if it is the live process recorded there.
// It reports false for a stale record (dead pid, or another process now on
// the address).
func (s *Server) reuse(ctx context.Context, st *state) (bool, error) {
	if st.PID <= 0 || st.Addr == "" || !isRedisProcess(st.PID) || !listensOn(st.PID, st.Addr) {
		return false, nil
	}
	// The recorded process lives: it may still be loading its AOF, so wait
	// for it rather than start a second server on the same files.
	c := redis.NewClient(&redis.Options{Addr: st.Addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for {
		pid, err := serverPID(ctx, c)
		if err == nil {
			if pid != st.PID {
				return false, nil // our server died and another took its port
			}
			s.mu.Lock()
			s.addr, s.pid, s.started, s.exited = st.Addr, st.PID, false, nil
			s.mu.Unlock()
			s.log.Info("reusing running redis-server", "addr", st.Addr, "pid", st.PID, "dir", s.dir)
			return true, nil
		}
		lastErr = err
		if !isRedisProcess(st.PID) {
			return false, nil
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("redis-server pid %d recorded in %s is running but does not answer on %s: %w (stop it or remove %s)",
				st.PID, filepath.Join(s.dir, stateFile), st.Addr, lastErr, filepath.Join(s.dir, stateFile))
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return false, err
		}
	}
}

// start launches redis-server on a free port and waits for it to answer.
func (s *Server) start(ctx context.Context, bin string) error {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		err = s.startOn(ctx, bin, port)
		if err == nil {
			return nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return lastErr
}

func (s *Server) startOn(ctx context.Context, bin string, port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin,
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--dir", s.dir,
		"--appendonly", "yes",
		// Every write is on disk before Redis answers: an accepted message,
		// a dedupe mark or a reminder claim survives a crash of the machine.
		// Redis groups the fsyncs of one event-loop pass, and the bot's
		// write rate is low, so the cost is small.
		"--appendfsync", "always",
		"--save", "",
		"--daemonize", "no",
		"--logfile", filepath.Join(s.dir, logFile),
	)
	// Its own process group: Ctrl-C in the terminal of the process that
	// started it must not kill a server other bot processes still use.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		pid, err := serverPID(ctx, c)
		if err == nil && pid == cmd.Process.Pid {
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited at start on %s; its log %s says:\n%s",
				addr, filepath.Join(s.dir, logFile), tail(filepath.Join(s.dir, logFile)))
		default:
		}
		if err == nil { // someone else answers on that port
			err = fmt.Errorf("another server answers on %s", addr)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = cmd.Process.Kill()
			<-exited
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("redis-server on %s did not answer PING within %v: %w; log %s:\n%s",
				addr, startTimeout, err, filepath.Join(s.dir, logFile), tail(filepath.Join(s.dir, logFile)))
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := writeState(s.dir, &state{Addr: addr, PID: cmd.Process.Pid, StartedAt: time.Now().UTC()}); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return err
	}
	s.mu.Lock()
	s.addr, s.pid, s.started, s.exited = addr, cmd.Process.Pid, true, exited
	s.mu.Unlock()
	s.log.Info("started redis-server", "addr", addr, "pid", cmd.Process.Pid, "dir", s.dir)
	return nil
}

// DefaultUnhealthyAfter is how long the server may be down (restarts
// failing) before Health reports it.
const DefaultUnhealthyAfter = 30 * time.Second

const (
	// takeoverDelay is how long a process that did not start the server
	// waits, once it sees the server dead, before restarting it itself: the
	// starter, if alive, restarts it first and the others adopt its server.
	takeoverDelay  = time.Second
	superviseEvery = 250 * time.Millisecond
	restartBackoff = 100 * time.Millisecond
	maxBackoff     = 5 * time.Second
)

// SetUnhealthyAfter sets how long the server may be down before Health
// reports an error (default DefaultUnhealthyAfter).
func (s *Server) SetUnhealthyAfter(d time.Duration) {
	if d > 0 {
		s.mu.Lock()
		s.unhealthyAfter = d
		s.mu.Unlock()
	}
}

// Health is nil unless the server has been down, with restarts failing,
// for longer than UnhealthyAfter: then the process cannot do its work and
// should be restarted (for /healthz).
func (s *Server) Health() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.downSince.IsZero() {
		return nil
	}
	if d := time.Since(s.downSince); d > s.unhealthyAfter {
		return fmt.Errorf("managed redis-server (%s) down for %s, restarts failing: %v",
			s.dir, d.Round(time.Second), s.lastErr)
	}
	return nil
}

// supervise watches the server until Close and restarts it when it dies.
func (s *Server) supervise() {
	defer close(s.supervisorDone)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stopSupervisor
		cancel()
	}()
	backoff := restartBackoff
	attempts := 0
	for {
		s.mu.Lock()
		pid, started, exited := s.pid, s.started, s.exited
		s.mu.Unlock()
		t := time.NewTimer(superviseEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-exited: // nil unless this process started it
			t.Stop()
		case <-t.C:
		}
		if isRedisProcess(pid) {
			continue
		}
		s.mu.Lock()
		if s.downSince.IsZero() {
			s.downSince = time.Now()
			s.log.Warn("managed redis-server died", "pid", pid, "addr", s.addr, "dir", s.dir, "started_here", started)
		}
		s.mu.Unlock()
		if !started && attempts == 0 {
			// Give its starter the first go; then take over.
			if sleep(ctx, takeoverDelay) != nil {
				return
			}
		}
		attempts++
		err := s.restart(ctx, pid)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		if err == nil {
			s.log.Warn("managed redis-server is back", "addr", s.addr, "pid", s.pid, "started_here", s.started,
				"down_for", time.Since(s.downSince).Round(time.Millisecond), "attempts", attempts)
			s.downSince, s.lastErr = time.Time{}, nil
			backoff, attempts = restartBackoff, 0
		} else {
			s.lastErr = err
			s.log.Warn("managed redis-server restart failed; retrying", "dir", s.dir, "attempt", attempts, "retry_in", backoff, "err", err)
		}
		s.mu.Unlock()
		if err != nil {
			if sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(backoff*2, maxBackoff)
		}
	}
}

// restart, under the directory lock, adopts the server another process has
// started in place of dead (recorded in the state file), or starts one
// (on the old port when it is free) and records it.
func (s *Server) restart(ctx context.Context, dead int) error {
	unlock, err := lock(ctx, filepath.Join(s.dir, lockFile))
	if err != nil {
		return err
	}
	defer unlock()
	st, err := readState(s.dir)
	if err != nil {
		s.log.Warn("ignoring unreadable redis state file", "dir", s.dir, "err", err)
	}
	adopted := false
	if st != nil && st.PID != dead {
		if adopted, err = s.reuse(ctx, st); err != nil {
			return err
		}
	}
	if !adopted {
		s.mu.Lock()
		old, bin := s.addr, s.bin
		s.mu.Unlock()
		_, portStr, _ := net.SplitHostPort(old)
		port, _ := strconv.Atoi(portStr)
		if err := s.startOn(ctx, bin, port); err != nil {
			s.log.Info("restarting redis-server on its old port failed; trying another", "addr", old, "err", err)
			if err := s.start(ctx, bin); err != nil {
				return err
			}
		}
	}
	// A presence connection on the new server (best effort: this process's
	// store clients, named choucha-<pid>, also show it as a user).
	_ = s.presence.Close()
	if err := s.register(ctx); err != nil {
		s.log.Warn("managed redis-server: presence connection failed", "err", err)
	}
	return nil
}

// register opens the presence connection.
func (s *Server) register(ctx context.Context) error {
	s.presenceName = fmt.Sprintf("%s-%d", ClientName(), presenceSeq.Add(1))
	s.presence = redis.NewClient(&redis.Options{
		Addr:            s.addr,
		ClientName:      s.presenceName,
		PoolSize:        1,
		MaxIdleConns:    1,
		ConnMaxIdleTime: -1,
		ConnMaxLifetime: -1,
	})
	id, err := s.presence.ClientID(ctx).Result()
	if err != nil {
		_ = s.presence.Close()
		return fmt.Errorf("connect to managed redis-server %s: %w", s.addr, err)
	}
	s.presenceID = id
	return nil
}

// Addr is the server's host:port. A restart keeps it when the old port is
// free; clients should dial Addr anew (see store.Open's dialer).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is the server's redis:// URL (database 0).
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// PID is the redis-server's process id.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pid
}

// Started reports whether this process started the server (rather than
// reusing one another bot process started), or restarted it.
func (s *Server) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// Dir is the server's data directory (absolute).
func (s *Server) Dir() string { return s.dir }

// Close releases this process's use of the server. When no other bot process
// (a client named choucha-<other pid>) and no other Server of this process is
// connected, it shuts the server down with SHUTDOWN (the AOF is kept) and
// waits for it to exit; otherwise it leaves the server running for them.
// Close the bot's own clients first. Calling Close again returns the first
// result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Server) close(ctx context.Context) error {
	// No restart of a server that is being shut down.
	close(s.stopSupervisor)
	<-s.supervisorDone
	unlock, err := lock(ctx, filepath.Join(s.dir, lockFile))
	if err != nil {
		_ = s.presence.Close()
		return err
	}
	defer unlock()

	admin := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer admin.Close()
	// Kill the presence connection server-side so that it is gone from
	// CLIENT LIST at once (a closed socket is noticed only later), for the
	// next process that closes as well as for us.
	_ = admin.ClientKillByFilter(ctx, "ID", strconv.FormatInt(s.presenceID, 10)).Err()
	_ = s.presence.Close()
	if pid, err := serverPID(ctx, admin); err != nil || pid != s.pid {
		// Already gone (or replaced): nothing to shut down.
		s.log.Info("managed redis-server already stopped", "addr", s.addr, "pid", s.pid)
		return nil
	}
	others, err := otherUsers(ctx, admin, s.presenceName)
	if err != nil {
		return fmt.Errorf("managed redis-server %s: list clients: %w", s.addr, err)
	}
	if len(others) > 0 {
		s.log.Info("leaving redis-server running for other bot processes", "addr", s.addr, "pid", s.pid, "clients", others)
		return nil
	}
	return s.shutdown(ctx)
}

// shutdown stops the server with SHUTDOWN and waits for it to exit.
func (s *Server) shutdown(ctx context.Context) error {
	admin := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer admin.Close()
	// SHUTDOWN closes the connection: an error reply is what counts.
	err := admin.Shutdown(ctx).Err()
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return fmt.Errorf("managed redis-server %s: SHUTDOWN: %w", s.addr, err)
	}
	if err := s.waitExit(ctx); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(s.dir, stateFile))
	s.log.Info("stopped redis-server", "addr", s.addr, "pid", s.pid)
	return nil
}

func (s *Server) waitExit(ctx context.Context) error {
	if s.exited != nil {
		select {
		case <-s.exited:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("managed redis-server pid %d did not exit: %w", s.pid, ctx.Err())
		}
	}
	for isRedisProcess(s.pid) {
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("managed redis-server pid %d did not exit: %w", s.pid, err)
		}
	}
	return nil
}

// otherUsers lists the names of connected bot clients other than this
// process's own store clients (choucha-<pid>) and the given presence.
func otherUsers(ctx context.Context, c *redis.Client, ownPresence string) ([]string, error) {
	list, err := c.ClientList(ctx).Result()
	if err != nil {
		return nil, err
	}
	own := ClientName()
	var out []string
	for _, line := range strings.Split(list, "\n") {
		for _, f := range strings.Fields(line) {
			name, ok := strings.CutPrefix(f, "name=")
			if !ok {
				continue
			}
			if strings.HasPrefix(name, namePrefix) && name != own && name != ownPresence {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// serverPID asks the server at c for its process id (INFO server).
func serverPID(ctx context.Context, c *redis.Client) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, errors.New("INFO server has no process_id")
}

// isRedisProcess reports whether pid is a live redis-server process (not a
// zombie, not an unrelated process that got the pid later).
func isRedisProcess(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) // no /proc: trust kill(0)
	}
	// stat is "pid (comm) S ...": a zombie has state Z.
	s := string(stat)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open || close+2 >= len(s) {
		return false
	}
	comm, st := s[open+1:close], s[close+2]
	return st != 'Z' && st != 'X' && strings.HasPrefix(comm, "redis-server")
}

// listensOn reports whether process pid's title names addr: redis-server
// sets its title to "redis-server 127.0.0.1:PORT" at start, before loading
// data. After a reboot the recorded pid may belong to another redis-server
// (such as the system one), which must not be taken for ours.
func listensOn(pid int, addr string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true // no /proc: the PING and process_id checks decide
	}
	return strings.Contains(string(cmdline), addr)
}

func readState(dir string) (*state, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	return &st, nil
}

func writeState(dir string, st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o640); err != nil {
		return fmt.Errorf("write redis state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("write redis state: %w", err)
	}
	return nil
}

// lock takes an exclusive flock on path, waiting until ctx ends.
func lock(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("redis lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("redis lock %s: %w", path, err)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("redis lock %s: %w", path, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail is the end of a log file, for error messages.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return string(data)
}
