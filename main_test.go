package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
)

// seedPlan is the absolute path of the seed plan.
func seedPlan(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("seeds/changzhi-2023-plan.txt")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeConfig writes a config.yaml in a temp dir using the private Redis at
// redisURL and the seed plan, plus extra YAML.
func writeConfig(t *testing.T, redisURL, extra string) string {
	t.Helper()
	dir := t.TempDir()
	body := fmt.Sprintf("plans: [%q]\nredis:\n  url: %q\n  prefix: \"t:\"\n%s", seedPlan(t), redisURL, extra)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb syncBuffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// listed returns the task/item ids an answer lists as "**id** ".
// listed returns the item ids of a list answer, as WeCom markdown or as
// the console prints it ("7 对强制性产品认证活动的双随机抽查｜10%｜…").
func listed(answer string) []string {
	var ids []string
	for _, line := range strings.Split(bot.PlainText(reply.Markdown(answer), false), "\n") {
		if m := reListLine.FindStringSubmatch(line); m != nil {
			ids = append(ids, m[1])
		}
	}
	return ids
}

var reListLine = regexp.MustCompile(`^(\d+(?:-\d+)?) [^｜]+｜`)

func TestAskCommand(t *testing.T) {
	cfg := writeConfig(t, redistest.Start(t).URL(), "")
	tests := []struct {
		args  []string
		ids   string // ids listed, in order
		has   []string
		first string // the answer's first line, if given
	}{
		{[]string{"--now", "2023-03-15", "本月哪些抽查任务"}, "1 4 5 6 7 8 9 10 17 2 3 13", []string{"2023年3月", "未注明起止时间"}, ""},
		// No 2026 plan: that comes first, then the 2023 plan's November.
		{[]string{"--now", "2026-11-15", "本月哪些抽查任务"}, "1 4 5 6 7 8 9 10 14 15-1 15-2 17 2 3 13", []string{"\n2023年度计划中11月在抽查期内的抽查任务（12项）\n"}, "尚未导入2026年度抽查计划。以下依据2023年度计划，仅供参考。"},
		// flags after the question, full-width digits, and a plan of another year
		{[]string{"任务１５－２", "--now", "2024-05-01T10:00"}, "", []string{"任务15-2 ", "工业产品生产许可资格检查", "依据2023年度计划"}, "尚未导入2024年度抽查计划。以下依据2023年度计划，仅供参考。"},
		{[]string{"--now", "2023-03-15", "任务12"}, "", []string{"没有任务12"}, ""},
		{[]string{"--now", "2023-07-01T09:00", "--dept", "计量科", "我科室的任务"}, "1 2 3", nil, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := runCmd(t, "", append([]string{"ask", "--config", cfg}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			if got := strings.Join(listed(out), " "); got != tt.ids {
				t.Errorf("listed %q, want %q\n%s", got, tt.ids, out)
			}
			for _, s := range tt.has {
				if !strings.Contains(out, s) {
					t.Errorf("answer lacks %q:\n%s", s, out)
				}
			}
			if first, _, _ := strings.Cut(out, "\n"); tt.first != "" && first != tt.first {
				t.Errorf("first line %q, want %q", first, tt.first)
			}
			if tt.first == "" && strings.Contains(out, "尚未导入") {
				t.Errorf("answer says no plan is loaded:\n%s", out)
			}
			// The loaded plan years, on stderr only.
			if !strings.Contains(errOut, "已加载抽查计划：2023年度（16个任务，17项）") || strings.Contains(out, "已加载") {
				t.Errorf("stderr should name the loaded plans: %q", errOut)
			}
		})
	}
}

func TestAskErrors(t *testing.T) {
	srv := redistest.Start(t)
	badPlan := filepath.Join(t.TempDir(), "bad-plan.txt")
	seed, err := os.ReadFile(seedPlan(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badPlan, bytes.Replace(seed, []byte("3月-11月"), []byte("13月-2月"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	badPlanCfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(badPlanCfg, []byte(fmt.Sprintf("plans: [%q]\nredis: {url: %q}\n", badPlan, srv.URL())), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"no question", []string{"ask", "--config", writeConfig(t, srv.URL(), "")}, 2, []string{"ask needs a question"}},
		{"unknown key", []string{"ask", "--config", writeConfig(t, srv.URL(), "answers: {closing_soon: 3}\n"), "帮助"}, 1, []string{"config.yaml", "closing_soon"}},
		{"bad value", []string{"ask", "--config", writeConfig(t, srv.URL(), "answers: {closing_soon_days: -1}\n"), "帮助"}, 1, []string{"answers.closing_soon_days"}},
		{"bad plan", []string{"ask", "--config", badPlanCfg, "帮助"}, 1, []string{"bad-plan.txt:", "抽查检查起止时间", "13月-2月"}},
		{"bad now", []string{"ask", "--config", writeConfig(t, srv.URL(), ""), "--now", "昨天", "帮助"}, 1, []string{"--now"}},
		{"unknown command", []string{"fly"}, 2, []string{"unknown command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCmd(t, "", tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			for _, s := range tt.want {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
}

func TestChatFromPipe(t *testing.T) {
	cfg := writeConfig(t, redistest.Start(t).URL(), "")
	out, errOut, code := runCmd(t, "任务7\n\n拍卖抽多少\n退出\n任务8\n", "chat", "--config", cfg, "--now", "2023-03-15")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "对强制性产品认证活动的双随机抽查") || !strings.Contains(out, "30%/一年一次") {
		t.Fatalf("answers missing:\n%s", out)
	}
	// Not interactive: the loaded plans are named on stderr, not among the
	// answers.
	if !strings.Contains(errOut, "已加载抽查计划：2023年度（16个任务，17项）\n") || strings.Contains(out, "已加载") {
		t.Errorf("loaded plans: stderr %q", errOut)
	}
	noMarkup(t, out)
	if strings.Contains(out, "8 拍卖活动检查｜") && strings.Count(out, "拍卖") > 3 {
		t.Fatalf("a message after 退出 was answered:\n%s", out)
	}
}

// noMarkup fails when console output shows WeCom markup.
func noMarkup(t *testing.T, out string) {
	t.Helper()
	for _, m := range []string{"**", "<font", "## ", "\n> "} {
		if strings.Contains(out, m) {
			t.Errorf("console output shows markup %q:\n%s", m, out)
		}
	}
}

// Serve without credentials is the console on the same handlers.
func TestServeWithoutCredentialsIsConsole(t *testing.T) {
	for _, k := range []string{"WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY", "WECOM_API_BASE"} {
		t.Setenv(k, "")
	}
	cfg := writeConfig(t, redistest.Start(t).URL(), "")
	out, errOut, code := runCmd(t, "本月哪些抽查任务\n", "serve", "--config", cfg, "--now", "2023-03-15")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := strings.Join(listed(out), " "); got != "1 4 5 6 7 8 9 10 17 2 3 13" {
		t.Fatalf("listed %q:\n%s", got, out)
	}
	noMarkup(t, out)
	if !strings.Contains(errOut, "控制台模式") {
		t.Fatalf("stderr should say console mode: %s", errOut)
	}
	if !strings.Contains(errOut, "已加载抽查计划：2023年度（16个任务，17项）") {
		t.Fatalf("stderr should name the loaded plans: %s", errOut)
	}
}

func TestRemindersCommand(t *testing.T) {
	cfg := writeConfig(t, "", "reminders:\n  recipients:\n    计量科: {users: [jlk-head]}\n")
	out, errOut, code := runCmd(t, "", "reminders", "--config", cfg, "--from", "2023-01-01", "--to", "2023-12-31", "--dept", "计量科")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Task 1 (2月-12月, 计量科指导) opens on Wed 2023-02-01; the 7-days-before
	// notice falls in the Spring Festival holiday and moves to Fri 01-20.
	for _, s := range []string{"2023-02-01 周三  1 已开始", "2023-01-20 周五", "jlk-head", "2023-12-01 周五  1 即将截止（提前30天）"} {
		if !strings.Contains(out, s) {
			t.Errorf("calendar lacks %q", s)
		}
	}
	if strings.Contains(out, "消保科") {
		t.Errorf("--dept 计量科 shows another department")
	}
	if !strings.Contains(errOut, "潞州区") {
		t.Errorf("unmapped departments should be warned about: %s", errOut)
	}
}

const (
	testToken  = "serveToken"
	testAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// serveProc is one `serve` process (run in-process, as main would).
type serveProc struct {
	addr   string
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startServe(t *testing.T, cfg string) *serveProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &serveProc{addr: freeAddr(t), cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	go func() {
		p.done <- run(ctx, []string{"serve", "--config", cfg, "--addr", p.addr}, strings.NewReader(""), &syncBuffer{}, p.stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready: %v\n%s", err, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *serveProc) stop(t *testing.T) {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case code := <-p.done:
		if code != 0 {
			t.Errorf("serve exited %d:\n%s", code, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve did not stop")
	}
}

func post(t *testing.T, p *serveProc, c *wecom.Crypto, plain string) {
	t.Helper()
	ts := time.Now().Unix()
	body, sig, err := c.SealCallback([]byte(plain), "1000002", ts, "n1")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(ts, 10)}, "nonce": {"n1"}}
	resp, err := http.Post("http://"+p.addr+"/wecom/callback?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("callback answered %d", resp.StatusCode)
	}
}

// setWeComEnv points the WeCom channel at the fake, for this test.
func setWeComEnv(t *testing.T, fake *fakewecom.Server) {
	t.Helper()
	t.Setenv("WECOM_CORP_ID", fake.CorpID())
	t.Setenv("WECOM_AGENT_ID", strconv.Itoa(fake.AgentID()))
	t.Setenv("WECOM_SECRET", fake.CorpSecret())
	t.Setenv("WECOM_TOKEN", testToken)
	t.Setenv("WECOM_AES_KEY", testAESKey)
	t.Setenv("WECOM_API_BASE", fake.URL)
}

func textMsg(corp, user, content string, id int) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>"+
		"<MsgId>%d</MsgId><AgentID>1000002</AgentID></xml>", corp, user, time.Now().Unix(), content, id)
}

// promText is one scrape of a serve process's /metrics (text format).
type promText string

func scrape(t *testing.T, p *serveProc) promText {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return promText(body)
}

// sum adds up the samples of metric name whose labels include every
// pair in labels ("k", "v", ...); a metric with no samples is 0.
func (m promText) sum(name string, labels ...string) float64 {
	var total float64
	for _, line := range strings.Split(string(m), "\n") {
		sp := strings.LastIndexByte(line, ' ')
		if line == "" || line[0] == '#' || sp < 0 {
			continue
		}
		series, value := line[:sp], line[sp+1:]
		if n, _, _ := strings.Cut(series, "{"); n != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && strings.Contains(series, labels[i]+"="+strconv.Quote(labels[i+1]))
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil && match {
			total += v
		}
	}
	return total
}

// sumOver adds up promText.sum over one scrape of each process.
func sumOver(t *testing.T, procs []*serveProc, name string, labels ...string) float64 {
	t.Helper()
	var total float64
	for _, p := range procs {
		total += scrape(t, p).sum(name, labels...)
	}
	return total
}

// waitSettled waits until the serve processes have handled every message
// they accepted (their dispatch queues are empty: each answer is in the
// outbox) and the outbox in Redis has delivered everything queued (nothing
// pending or in flight), so every message they are going to send has
// reached the fake. Call it after the callbacks were answered: their
// messages are counted in the queue depth before the 200.
func waitSettled(t *testing.T, rdb redis.UniversalClient, procs ...*serveProc) outbox.Stats {
	t.Helper()
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:"}) // writeConfig's prefix
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		depth := sumOver(t, procs, "choucha_wecom_queue_depth")
		st, err := ob.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if depth == 0 && st.Queued == 0 && st.InFlight == 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled after 10s: %v messages being handled, outbox %+v", depth, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeWeCom runs the real serve command against the local fake WeCom:
// an encrypted callback gets exactly one answer from the real handlers;
// WeCom's retries and a second replica on the same Redis add none; a
// message pending in the outbox when serve stops is delivered once after a
// restart; secrets never reach the log. "None" and "once" are counted only
// once the processes have settled (waitSettled), so a late extra answer is
// seen, not raced.
func TestServeWeCom(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{
		{UserID: "zhangsan", Name: "张三", Departments: []int{12}},
	}})
	setWeComEnv(t, fake)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	cfg := writeConfig(t, srv.URL(), `wecom:
  departments: {12: 计量科}
outbox:
  initial_backoff: 20ms
  max_backoff: 100ms
  max_attempts: 100
reminders:
  enabled: false
`)
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	a := startServe(t, cfg)
	b := startServe(t, cfg)

	msg := textMsg(fake.CorpID(), "zhangsan", "我科室的任务", 9001)
	post(t, a, c, msg)
	got, err := fake.WaitMessages(1, 10*time.Second)
	if err != nil {
		t.Fatalf("no answer: %v\n%s", err, a.stderr.String())
	}
	m := got[0]
	if m.ToUser != "zhangsan" || m.MsgType != "markdown" || !strings.Contains(m.Content, "计量科") {
		t.Fatalf("answer %+v", m)
	}
	if ids := strings.Join(listed(m.Content), " "); !strings.HasPrefix(ids, "1 ") || !strings.Contains(ids, "2") || !strings.Contains(ids, "3") {
		t.Fatalf("计量科 tasks listed %q:\n%s", ids, m.Content)
	}
	// WeCom retries the same callback, to either replica.
	post(t, a, c, msg)
	post(t, b, c, msg)
	// A different message to the second replica is answered by it.
	post(t, b, c, textMsg(fake.CorpID(), "zhangsan", "任务7", 9002))
	if _, err := fake.WaitMessages(2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The callbacks are answered after the intake decided: each replica
	// took one message as new and dropped one retry as a duplicate.
	for name, p := range map[string]*serveProc{"a": a, "b": b} {
		m := scrape(t, p)
		if in, hits := m.sum("choucha_wecom_messages_in_total"), m.sum("choucha_wecom_dedupe_hits_total"); in != 1 || hits != 1 {
			t.Fatalf("replica %s accepted %v messages and dropped %v retries, want 1 and 1", name, in, hits)
		}
	}
	// Once both have handled all they accepted and the outbox is empty,
	// every answer they will send has reached the fake.
	if st := waitSettled(t, rdb, a, b); st.Dead != 0 {
		t.Fatalf("outbox dead letters: %+v", st)
	}
	procs := []*serveProc{a, b}
	if n, queued := sumOver(t, procs, "choucha_wecom_answers_total"), sumOver(t, procs, "choucha_wecom_answers_total", "result", "queued"); n != 2 || queued != 2 {
		t.Fatalf("%v messages handled, %v answers queued, want 2 and 2", n, queued)
	}
	if n, sent, calls := len(fake.Messages()), sumOver(t, procs, "choucha_wecom_sent_total"), fake.Calls(fakewecom.EndpointSend); n != 2 || sent != 2 || calls != 2 {
		t.Fatalf("fake received %d messages in %d calls (%v counted sent), want 2: %+v", n, calls, sent, fake.Messages())
	}

	// WeCom is down (HTTP 500): the answer waits in the outbox; stop both.
	fake.SetRule(fakewecom.EndpointSend, func(int) (fakewecom.Fault, bool) {
		return fakewecom.Fault{HTTPStatus: 500}, true
	})
	post(t, a, c, textMsg(fake.CorpID(), "zhangsan", "拍卖抽多少", 9003))
	deadline := time.Now().Add(10 * time.Second)
	for fake.FaultsServed(fakewecom.EndpointSend) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the answer was never attempted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.stop(t)
	b.stop(t)
	if n := len(fake.Messages()); n != 2 {
		t.Fatalf("fake received %d messages while failing", n)
	}
	callsBefore := fake.Calls(fakewecom.EndpointSend)
	fake.ClearFaults()
	r := startServe(t, cfg)
	got, err = fake.WaitMessages(3, 10*time.Second)
	if err != nil {
		t.Fatalf("pending answer not delivered after restart: %v", err)
	}
	if !strings.Contains(got[2].Content, "30%") {
		t.Fatalf("delivered %q", got[2].Content)
	}
	if st := waitSettled(t, rdb, r); st.Dead != 0 {
		t.Fatalf("outbox dead letters: %+v", st)
	}
	if n, sent, calls := len(fake.Messages()), scrape(t, r).sum("choucha_wecom_sent_total"), fake.Calls(fakewecom.EndpointSend)-callsBefore; n != 3 || sent != 1 || calls != 1 {
		t.Fatalf("fake received %d messages, want 3; the restarted serve made %d send calls (%v counted sent), want 1", n, calls, sent)
	}
	for _, secret := range []string{fake.CorpSecret(), testAESKey, testToken} {
		for _, p := range []*serveProc{a, b, r} {
			if strings.Contains(p.stderr.String(), secret) {
				t.Fatalf("a secret reached the log:\n%s", p.stderr.String())
			}
		}
	}
}

// A 10,000-character message gets a short answer: the fallback quotes an
// excerpt of the input, never all of it.
func TestServeLongMessageShortAnswer(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "u0"}, {UserID: "u1"}, {UserID: "u2"}}})
	setWeComEnv(t, fake)
	cfg := writeConfig(t, redistest.Start(t).URL(), "reminders:\n  enabled: false\n")
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	p := startServe(t, cfg)
	for i, long := range []string{strings.Repeat("x", 10000), strings.Repeat("天气怎么样", 2000), strings.Repeat("比例多少 天气 ", 1250)} {
		n0 := len(fake.Messages())
		post(t, p, c, textMsg(fake.CorpID(), "u"+strconv.Itoa(i), long, 9100+i))
		if _, err := fake.WaitMessages(n0+1, 10*time.Second); err != nil {
			t.Fatalf("no answer: %v\n%s", err, p.stderr.String())
		}
		time.Sleep(500 * time.Millisecond) // room for further parts
		msgs := fake.Messages()[n0:]
		t.Logf("%d-rune message: %d message/send call(s), %d bytes: %.160q", len([]rune(long)), len(msgs), len(msgs[0].Content), msgs[0].Content)
		if len(msgs) != 1 || len(msgs[0].Content) > 1024 {
			t.Errorf("%d-rune message answered with %d message/send calls, first of %d bytes, want one short one", len([]rune(long)), len(msgs), len(msgs[0].Content))
		}
	}
}

// go-redis's own log lines (a failed dial) reach the command's slog log,
// not a bare line on the process's stderr.
func TestRedisClientLogsThroughSlog(t *testing.T) {
	srv := redistest.Start(t)
	cfg := writeConfig(t, srv.URL(), "")
	srv.Stop()
	_, errOut, code := runCmd(t, "", "outbox", "--config", cfg, "list")
	if code != 1 || !strings.Contains(errOut, `msg="redis client"`) || !strings.Contains(errOut, "failed to dial") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

// Flags work in any position, before or after the subcommand's words, for
// every command. The working directory has no config.yaml: a --config that
// is ignored fails the command.
func TestFlagsInAnyPosition(t *testing.T) {
	cfg := writeConfig(t, redistest.Start(t).URL(), "reminders:\n  recipients:\n    计量科: {users: [jlk-head]}\n")
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		want string // in stdout
	}{
		{[]string{"outbox", "list", "--config", cfg}, "发送失败 0 条"},
		{[]string{"outbox", "--config", cfg, "list"}, "发送失败 0 条"},
		{[]string{"outbox", "retry", "--all", "--config", cfg}, "已重新排队 0 条"},
		{[]string{"outbox", "retry", "--config", cfg, "--all"}, "已重新排队 0 条"},
		{[]string{"outbox", "--all", "retry", "--config=" + cfg}, "已重新排队 0 条"},
		{[]string{"ask", "帮助", "--config", cfg}, "抽查助手能回答这些问题"},
		{[]string{"ask", "--now", "2023-03-15", "本月", "任务", "--config", cfg}, "2023年3月"},
		{[]string{"reminders", "--from", "2023-01-01", "--to", "2023-02-01", "--config", cfg, "--dept", "计量科"}, "jlk-head"},
		{[]string{"ask", "--config", cfg, "--", "-帮助"}, ""}, // after "--" a word, even with a leading '-'
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := runCmd(t, "", tt.args...)
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
			}
		})
	}
	out, errOut, code := runCmd(t, "帮助\n", "chat", "--config", cfg)
	if code != 0 || !strings.Contains(out, "抽查助手能回答这些问题") {
		t.Fatalf("chat: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	// A word where none is taken, and an unknown flag anywhere, are usage errors.
	for _, args := range [][]string{
		{"reminders", "--config", cfg, "extra"},
		{"chat", "extra", "--config", cfg},
		{"serve", "--config", cfg, "extra"},
		{"outbox", "list", "--config", cfg, "--bogus"},
		{"ask", "帮助", "--bogus", "--config", cfg},
	} {
		if _, errOut, code := runCmd(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage); stderr %s", args, code, errOut)
		}
	}
}

// managedPID is the pid recorded for the managed redis-server in dir.
func managedPID(t *testing.T, dir string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return st.PID
}

func httpStatus(t *testing.T, p *serveProc, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serve with its own redis-server: SIGKILLed, the server is restarted and
// nothing acknowledged is lost (appendfsync always: an answered message's
// dedupe key is still there), /healthz staying 200; when it cannot be
// restarted (a corrupt AOF), /healthz answers 503 after
// redis.unhealthy_after.
func TestServeRestartsManagedRedis(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "zhangsan"}}})
	setWeComEnv(t, fake)
	cfg := writeConfig(t, "", "  dir: data/redis\n  unhealthy_after: 2s\nreminders:\n  enabled: false\n")
	dir := filepath.Join(filepath.Dir(cfg), "data", "redis")
	t.Cleanup(func() { // whatever is left running
		if data, err := os.ReadFile(filepath.Join(dir, "server.json")); err == nil {
			var st struct{ PID int }
			if json.Unmarshal(data, &st) == nil && st.PID > 0 {
				_ = syscall.Kill(st.PID, syscall.SIGKILL)
			}
		}
	})
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	p := startServe(t, cfg)
	first := textMsg(fake.CorpID(), "zhangsan", "任务7", 9201)
	post(t, p, c, first)
	if _, err := fake.WaitMessages(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	dead := managedPID(t, dir)
	if err := syscall.Kill(dead, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if code, body := httpStatus(t, p, "/healthz"); code != 200 {
			t.Fatalf("/healthz %d %q while the server is being restarted", code, body)
		}
		if pid := managedPID(t, dir); pid != dead {
			if code, _ := httpStatus(t, p, "/readyz"); code == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server not restarted:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// WeCom retries the answered message: its dedupe key survived the kill.
	post(t, p, c, first)
	post(t, p, c, textMsg(fake.CorpID(), "zhangsan", "拍卖抽多少", 9202))
	if _, err := fake.WaitMessages(2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.Messages()); n != 2 {
		t.Fatalf("%d answers, want 2 (the retry of an answered message was answered again: state lost?)", n)
	}

	// A corrupt AOF: the server cannot come back.
	aofs, err := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	if err != nil || len(aofs) == 0 {
		t.Fatalf("no AOF in %s: %v", dir, err)
	}
	f, err := os.OpenFile(aofs[len(aofs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("garbage\n")
	f.Close()
	if err := syscall.Kill(managedPID(t, dir), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		code, body := httpStatus(t, p, "/healthz")
		if code == 503 {
			if !strings.Contains(body, "redis-server") {
				t.Errorf("/healthz body %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still %d with the server down for good", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
