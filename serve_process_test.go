package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
)

// serveArgsEnv makes the test binary run the program itself with these
// arguments (separated by the unit separator \x1f): a real process the test can SIGKILL.
const serveArgsEnv = "CHOUCHA_TEST_PROCESS_ARGS"

// takeoverEnv sets the process's takeover (a duration) for fault tests.
const takeoverEnv = "CHOUCHA_TEST_TAKEOVER"

func TestMain(m *testing.M) {
	if args := os.Getenv(serveArgsEnv); args != "" {
		if d, err := time.ParseDuration(os.Getenv(takeoverEnv)); err == nil {
			takeover = d
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// serveProcess is `serve` in a process of its own (the test binary run as
// the program); the environment (WECOM_*) is inherited.
type serveProcess struct {
	serveProc // addr and stderr, for the helpers written for in-process serve
	cmd       *exec.Cmd
}

func startServeProcess(t *testing.T, cfg string) *serveProcess {
	t.Helper()
	return startServeProcessEnv(t, cfg, nil)
}

// startServeProcessEnv is startServeProcess with env added to the
// inherited environment (a parallel test cannot t.Setenv) and args
// after serve's own.
func startServeProcessEnv(t *testing.T, cfg string, env []string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{serveProc: serveProc{addr: freeAddr(t), stderr: &syncBuffer{}}}
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	args = append([]string{"serve", "--config", cfg, "--addr", p.addr}, args...)
	p.cmd.Env = append(append(os.Environ(), env...), serveArgsEnv+"="+strings.Join(args, "\x1f"))
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := httpStatus(t, &p.serveProc, "/readyz"); code == 200 {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve process did not become ready:\n%s", p.stderr.String())
		}
	}
}

// kill SIGKILLs the process and waits for it.
func (p *serveProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

var reTaskAnswer = regexp.MustCompile(`任务(\d+) `)

// A serve process spools callbacks while Redis is down and is SIGKILLed
// with them on disk, the last record torn by the kill; the next process
// hands them to Redis at start: every message answered exactly once, each
// user's in the order sent.
func TestServeKilledWithSpoolReplaysAtStart(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "zhangsan"}, {UserID: "lisi"}}})
	setWeComEnv(t, fake)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	cfg := writeConfig(t, srv.URL(), "reminders:\n  enabled: false\noutbox:\n  initial_backoff: 20ms\n  max_backoff: 100ms\n")
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	a := startServeProcess(t, cfg)
	srv.Kill()
	sent := map[string][]string{
		"zhangsan": {"1", "2", "3", "4", "5", "6"},
		"lisi":     {"11", "10", "9", "8", "7"},
	}
	id := 9300
	for i := 0; i < 6; i++ {
		for _, u := range []string{"zhangsan", "lisi"} {
			if i < len(sent[u]) {
				id++
				post(t, &a.serveProc, c, textMsg(fake.CorpID(), u, "任务"+sent[u][i], id))
			}
		}
	}
	if got := scrape(t, &a.serveProc).sum("choucha_wecom_spooled_total"); got != 11 {
		t.Fatalf("spooled %v, want 11\n%s", got, a.stderr.String())
	}
	a.kill()
	// One line for the outage, none per message.
	if log := a.stderr.String(); strings.Count(log, "accepting messages into the local spool") != 1 ||
		strings.Contains(log, "refused for the platform") || strings.Contains(log, "dedupe key") {
		t.Errorf("outage log:\n%s", log)
	}

	// The kill cut an append short: a frame header and part of its payload.
	segs, err := filepath.Glob(filepath.Join(filepath.Dir(cfg), "data", "spool", "0", "*.seg"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no spool segment left by the killed process: %v", err)
	}
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, '{', '"'}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if len(fake.Messages()) != 0 {
		t.Fatalf("answered during the outage: %+v", fake.Messages())
	}

	if err := srv.Revive(); err != nil {
		t.Fatal(err)
	}
	b := startServeProcess(t, cfg)
	if _, err := fake.WaitMessages(11, 20*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, b.stderr.String())
	}
	waitSettled(t, rdb, &b.serveProc)
	got := map[string][]string{}
	for _, m := range fake.Messages() {
		task := reTaskAnswer.FindStringSubmatch(m.Content)
		if task == nil {
			t.Fatalf("answer to %s names no task: %q", m.ToUser, m.Content)
		}
		got[m.ToUser] = append(got[m.ToUser], task[1])
	}
	for u, want := range sent {
		if strings.Join(got[u], " ") != strings.Join(want, " ") {
			t.Errorf("%s: answers to 任务 %v, want %v (each once, in order)", u, got[u], want)
		}
	}
	log := b.stderr.String()
	if !strings.Contains(log, "messages left by a previous process") || !strings.Contains(log, "count=11") ||
		!strings.Contains(log, "torn record") {
		t.Errorf("the start-up log does not report the replay and the torn record:\n%s", log)
	}
	if m := scrape(t, &b.serveProc); m.sum("choucha_wecom_spool_drained_total", "result", "accepted") != 11 ||
		m.sum("choucha_wecom_spool_messages") != 0 {
		t.Errorf("drained %v, left %v", m.sum("choucha_wecom_spool_drained_total"), m.sum("choucha_wecom_spool_messages"))
	}
}

// TestMeasureRedisOutage is a measurement, not a check (it asserts only
// that nothing is lost): a 20-second outage of an external Redis with 300
// callbacks from 30 users paced evenly through a serve process. Run it
// with CHOUCHA_MEASURE=1 go test -run TestMeasureRedisOutage -v .
func TestMeasureRedisOutage(t *testing.T) {
	if os.Getenv("CHOUCHA_MEASURE") == "" {
		t.Skip("a measurement: set CHOUCHA_MEASURE=1")
	}
	var users []fakewecom.User
	for i := 0; i < 30; i++ {
		users = append(users, fakewecom.User{UserID: "u" + strconv.Itoa(i)})
	}
	fake := fakewecom.Start(t, fakewecom.Options{Users: users, PerUserPerMinute: -1})
	setWeComEnv(t, fake)
	srv := redistest.Start(t)
	cfg := writeConfig(t, srv.URL(), "reminders:\n  enabled: false\noutbox:\n  initial_backoff: 20ms\n  max_backoff: 100ms\n  per_user_per_min: 30\n")
	c, _ := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	p := startServeProcess(t, cfg)
	srv.Kill()
	killed := time.Now()
	var lat []time.Duration
	non200 := 0
	for i := 0; i < 300; i++ {
		at := killed.Add(time.Duration(i) * 20 * time.Second / 300)
		time.Sleep(time.Until(at))
		ts := time.Now().Unix()
		body, sig, _ := c.SealCallback([]byte(textMsg(fake.CorpID(), "u"+strconv.Itoa(i%30), "任务"+strconv.Itoa(1+i%11), 70000+i)), "1000002", ts, "n")
		q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(ts, 10)}, "nonce": {"n"}}
		st := time.Now()
		resp, err := http.Post("http://"+p.addr+"/wecom/callback?"+q.Encode(), "text/xml", bytes.NewReader(body))
		lat = append(lat, time.Since(st))
		if err != nil || resp.StatusCode != 200 {
			non200++
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	if err := srv.Revive(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	_, err := fake.WaitMessages(300, 120*time.Second)
	drain := time.Since(back)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if non200 != 0 || err != nil {
		t.Errorf("%d callbacks refused, answers: %v", non200, err)
	}
	t.Logf("outage 20s, 300 callbacks: non-200 %d; callback latency p50 %v p99 %v max %v; all 300 answered %v after Redis returned (err %v); answers %d",
		non200, lat[150], lat[296], lat[299], drain, err, len(fake.Messages()))
}

// The managed redis-server SIGKILLed: callbacks posted while the bot
// restarts it get 200 (spooled if it is not back yet) and are each
// answered once, in order.
func TestServeManagedRedisKilledKeepsAccepting(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "zhangsan"}}})
	setWeComEnv(t, fake)
	cfg := writeConfig(t, "", "  dir: data/redis\nreminders:\n  enabled: false\n")
	dir := filepath.Join(filepath.Dir(cfg), "data", "redis")
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	p := startServe(t, cfg)
	t.Cleanup(func() { _ = syscall.Kill(managedPID(t, dir), syscall.SIGKILL) })
	if err := syscall.Kill(managedPID(t, dir), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	tasks := []string{"3", "1", "2", "5", "4"}
	for i, task := range tasks {
		post(t, p, c, textMsg(fake.CorpID(), "zhangsan", "任务"+task, 9400+i)) // fails the test unless 200
	}
	if _, err := fake.WaitMessages(len(tasks), 20*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, p.stderr.String())
	}
	time.Sleep(300 * time.Millisecond) // room for a second answer
	var got []string
	for _, m := range fake.Messages() {
		if task := reTaskAnswer.FindStringSubmatch(m.Content); task != nil {
			got = append(got, task[1])
		}
	}
	if strings.Join(got, " ") != strings.Join(tasks, " ") {
		t.Fatalf("answers to 任务 %v, want %v (each once, in order)", got, tasks)
	}
	t.Logf("spooled %v of %d", scrape(t, p).sum("choucha_wecom_spooled_total"), len(tasks))
}
