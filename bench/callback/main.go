// Command callback is the load program for the WeCom callback endpoint. It
// starts a private redis-server and a local fake WeCom, serves the real bot
// callback stack (callback → dedupe → dispatcher → handler → outbox →
// message/send) on 127.0.0.1, and drives it with validly signed, encrypted
// text messages from many users at a target rate. It reports accepted
// callbacks/s, callback latency, end-to-end answer latency (POST sent → the
// fake WeCom received the message/send), the single-core crypto floor and a
// bare verify+decrypt handler's throughput for comparison.
//
//	go run ./bench/callback -rate 2000 -duration 10s -users 2000
//
// -scenario limits models WeCom's send limits (limits.go), -scenario
// morning a reminder run while inspectors ask questions (morning.go), and
// -scenario percore compares the accept path on one core with a bare handler and
// go-workwx's (percore.go).
package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/httpserver"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// closedLoopUsers is the number of senders in the closed-loop runs.
const closedLoopUsers = 15000

const (
	token  = "benchToken"
	aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

func main() {
	rate := flag.Int("rate", 2000, "target callbacks per second (open loop)")
	duration := flag.Duration("duration", 10*time.Second, "length of the rated run (at most 60s)")
	users := flag.Int("users", 2000, "number of distinct senders")
	maxRun := flag.Duration("max", 15*time.Second, "length of the closed-loop throughput runs (at most 30s)")
	conc := flag.Int("c", 32, "concurrent clients in the closed-loop runs")
	sender := flag.String("sender", "outbox", "send path: outbox (durable, as served) or direct (message/send inline)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the bot's runs (closed loop and rated) to this file")
	rstats := flag.Bool("redisstats", false, "print the private Redis's per-command CPU (INFO commandstats) for the full-path closed loop")
	fsync := flag.String("appendfsync", "everysec", "the private Redis's appendfsync: everysec (redistest's default) or always (as the managed production server)")
	scenario := flag.String("scenario", "throughput", "throughput (the runs below), morning (reminders while inspectors ask, see morning.go), limits (WeCom's send limits modelled: -rate for -duration, see limits.go), percore (accept path on one core against a bare handler and go-workwx, see percore.go)")
	replicas := flag.Int("replicas", 1, "limits: bot stacks sharing the Redis, callbacks spread over them")
	corp := flag.Int("corp-per-min", 10_000, "limits: the outbox's corp-wide message/send pacing a minute (WeCom's cap is 10,000)")
	drain := flag.Duration("drain", 5*time.Minute, "limits: how long to wait for every answer")
	inspectors := flag.Int("inspectors", 1000, "morning: inspectors asking questions (-rate a second in all)")
	perInspector := flag.Int("questions", 1, "morning: questions each inspector asks")
	recipients := flag.Int("recipients", 200, "morning: reminder recipients, spread over the plan's departments")
	findingsN := flag.Int("findings", 200, "morning: findings reported through the findings dialog meanwhile (0: none)")
	child := flag.String("child", "", "internal (percore): serve this handler (bare, workwx, discard, answer) and print its address")
	childRedis := flag.String("child-redis", "", "internal (percore): Redis address")
	childFake := flag.String("child-fake", "", "internal (percore): fake WeCom URL,corp,secret,agent")
	flag.Parse()
	profile = *cpuprofile
	appendfsync = *fsync
	redisStats = *rstats
	if *child != "" {
		if err := serveChild(*child, *childRedis, *childFake); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	switch *scenario {
	case "limits":
		if *rate <= 0 || *users <= 0 || *replicas <= 0 || *duration <= 0 || *duration > time.Minute || float64(*rate)*duration.Seconds() > 200_000 {
			fmt.Fprintln(os.Stderr, "bounds: 0 < duration ≤ 60s, rate×duration ≤ 200000 messages")
			os.Exit(2)
		}
		if err := limitsRun(fmt.Sprintf("limits %d/s", *rate), *rate, *duration, *users, *replicas, *corp, *drain); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	case "morning":
		if *rate <= 0 || *inspectors <= 0 || *perInspector <= 0 || *inspectors**perInspector > 200_000 {
			fmt.Fprintln(os.Stderr, "bounds: rate, inspectors, questions > 0, inspectors×questions ≤ 200000")
			os.Exit(2)
		}
		if err := morningRun(*inspectors, *perInspector, *recipients, *findingsN, *rate, *drain); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	case "percore":
		if err := perCore(*maxRun, *conc); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *rate <= 0 || *users <= 0 || *duration <= 0 || *duration > time.Minute || *maxRun > 30*time.Second || float64(*rate)*duration.Seconds() > 200_000 {
		fmt.Fprintln(os.Stderr, "bounds: 0 < duration ≤ 60s, max ≤ 30s, rate×duration ≤ 200000 messages")
		os.Exit(2)
	}
	if err := run(*rate, *duration, *users, *maxRun, *conc, *sender); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var (
	profile, appendfsync string
	redisStats           bool
)

func run(rate int, duration time.Duration, users int, maxRun time.Duration, conc int, sender string) error {
	fmt.Printf("machine: %d CPUs, GOMAXPROCS %d, %s; load average %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), loadavg())
	rs, stopRedis, err := startRedis("bench-callback-")
	if err != nil {
		return err
	}
	defer stopRedis()
	fmt.Printf("redis: appendonly yes, appendfsync %s\n", appendfsync)

	fake := fakewecom.New(fakewecom.Options{PerUserPerMinute: -1, Users: benchUsers(users)})
	defer fake.Close()
	crypto, err := wecom.NewCrypto(token, fake.CorpID(), aesKey)
	if err != nil {
		return err
	}

	// 1. Crypto floor.
	for _, std := range []bool{true, false} {
		floor := cryptoFloor(crypto, std)
		how := "encoding/xml"
		if !std {
			how = "bot's parsers"
		}
		fmt.Printf("crypto floor (1 goroutine, %s): verify+decrypt+parse+encrypt reply %.1f µs/msg = %.0f msg/s\n",
			how, floor.Seconds()*1e6, 1/floor.Seconds())
	}

	// 2. Bare verify+decrypt handler, closed loop.
	bare, _, _, _, err := closedLoop(bareHandler(crypto), crypto, maxRun, conc, false, 1_000_000_000, nil)
	if err != nil {
		return err
	}
	fmt.Printf("bare verify+decrypt net/http handler (no Redis, no work): %.0f req/s (closed loop, %d clients, %s)\n", bare, conc, maxRun)

	// 3a. The callback path without the send path (answers discarded), to
	// separate the channel's own cost from the outbox's.
	bare2, err := newStack(rs.Addr, infoOf(fake), crypto, "none")
	if err != nil {
		return err
	}
	if err := bare2.warm(names("c", closedLoopUsers)); err != nil {
		return err
	}
	noSend, noSendN, _, cpu0, err := closedLoop(bare2.handler, crypto, maxRun, conc, true, 1_500_000_000, bare2.rdb)
	if err != nil {
		bare2.close()
		return err
	}
	fmt.Printf("bot callback endpoint, answers discarded (no outbox): %.0f accepted/s = %.0f%% of bare\n", noSend, 100*noSend/bare)
	fmt.Printf("  CPU per accepted callback: %s\n", cpuNow(bare2.rdb).since(cpu0, noSendN))
	bare2.close()

	// 3b. The real stack.
	st, err := newStack(rs.Addr, infoOf(fake), crypto, sender)
	if err != nil {
		return err
	}
	defer st.close()
	if err := st.warm(append(names("c", closedLoopUsers), names("user", users)...)); err != nil {
		return err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	// 4. Open loop at the target rate, with end-to-end latency (first, on
	// a fresh Redis, so the throughput run's backlog cannot skew it).
	if err := rated(st, fake, crypto, rate, duration, users); err != nil {
		return err
	}

	// 5. The whole path at full speed.
	fake.Reset()
	if redisStats {
		st.rdb.ConfigResetStat(context.Background())
	}
	full, accepted, started, cpu1, err := closedLoop(st.handler, crypto, maxRun, conc, true, 2_000_000_000, st.rdb)
	if err != nil {
		return err
	}
	if _, err := fake.WaitMessages(int(accepted), 120*time.Second); err != nil {
		return fmt.Errorf("closed-loop answers: %w", err)
	}
	drained := time.Since(started)
	cpuUse := cpuNow(st.rdb).since(cpu1, accepted)
	fmt.Printf("bot callback endpoint, answers through outbox → message/send: %.0f accepted/s (closed loop, %d clients, %s) = %.0f%% of bare\n",
		full, conc, maxRun, 100*full/bare)
	fmt.Printf("  all %d answers at the fake after %s: %.0f answered/s = %.0f%% of bare\n",
		accepted, drained.Round(time.Millisecond), float64(accepted)/drained.Seconds(), 100*float64(accepted)/drained.Seconds()/bare)
	fmt.Printf("  CPU per answered callback: %s\n", cpuUse)
	if redisStats {
		printCommandStats(st.rdb, accepted)
	}
	if profile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("load average at the end: %s", loadavg())
	return nil
}

// cpuSample is the CPU time used so far by this process (clients, bot,
// fake WeCom) and by the private redis-server, which share the 2 cores.
type cpuSample struct{ self, redis time.Duration }

func cpuNow(rdb redis.UniversalClient) cpuSample {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	s := cpuSample{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		return s
	}
	for _, line := range strings.Split(info, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			s.redis += time.Duration(f * float64(time.Second))
		}
	}
	return s
}

// since formats the CPU used since a, per message (n messages).
func (b cpuSample) since(a cpuSample, n int64) string {
	if n <= 0 {
		return "n/a"
	}
	self := (b.self - a.self) / time.Duration(n)
	rd := (b.redis - a.redis) / time.Duration(n)
	return fmt.Sprintf("%.1f µs (bench process: clients, bot, fake WeCom %.1f µs; redis-server %.1f µs)",
		float64(self+rd)/1e3, float64(self)/1e3, float64(rd)/1e3)
}

// printCommandStats prints Redis's CPU per command kind (scripts included
// in EVALSHA, their commands counted again under their own names), per
// message.
func printCommandStats(rdb redis.UniversalClient, n int64) {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil || n <= 0 {
		return
	}
	type stat struct {
		name        string
		calls, usec float64
	}
	var out []stat
	for _, line := range strings.Split(info, "\r\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		var st stat
		st.name = name
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			f, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "calls":
				st.calls = f
			case "usec":
				st.usec = f
			}
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b stat) int { return int(b.usec - a.usec) })
	fmt.Printf("  redis commands per answered callback (calls, µs):")
	for i, st := range out {
		if i == 12 {
			break
		}
		fmt.Printf(" %s %.2f/%.1fµs", st.name, st.calls/float64(n), st.usec/float64(n))
	}
	fmt.Println()
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown\n"
	}
	return string(b)
}

// cryptoFloor times verify + decrypt + outer and inner parse + sealing a
// passive reply, on one goroutine; with encoding/xml for both parses
// (WECOM.md's reference) or with the bot's parsers (ParseEnvelope,
// ParseIncoming: scanners with an encoding/xml fallback).
func cryptoFloor(c *wecom.Crypto, stdXML bool) time.Duration {
	const n = 20000
	type in struct {
		sig, ts, nonce string
		body           []byte
	}
	ins := make([]in, 256)
	now := time.Now().Unix()
	for i := range ins {
		body, sig, _ := c.SealCallback(textXML(c.CorpID(), "user"+strconv.Itoa(i), "本月有哪些抽查任务", int64(i), now), "1000002", now, "n")
		ins[i] = in{sig, strconv.FormatInt(now, 10), "n", body}
	}
	reply := []byte("<xml><ToUserName>u</ToUserName><FromUserName>c</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>答</Content></xml>")
	start := time.Now()
	for i := 0; i < n; i++ {
		x := ins[i%len(ins)]
		var enc string
		if stdXML {
			var env wecom.Envelope
			if err := xml.Unmarshal(x.body, &env); err != nil {
				panic(err)
			}
			enc = env.Encrypt
		} else {
			var err error
			if enc, err = wecom.ParseEnvelope(x.body); err != nil {
				panic(err)
			}
		}
		plain, err := c.Open(x.sig, x.ts, x.nonce, enc)
		if err != nil {
			panic(err)
		}
		if stdXML {
			var m wecom.Incoming
			err = xml.Unmarshal(plain, &m)
		} else {
			_, err = wecom.ParseIncoming(plain)
		}
		if err != nil {
			panic(err)
		}
		if _, err := c.SealReply(reply, now, "n"); err != nil {
			panic(err)
		}
	}
	return time.Since(start) / n
}

// bareHandler only verifies and decrypts.
func bareHandler(c *wecom.Crypto) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wecom.MaxCallbackBody))
		if err != nil {
			w.WriteHeader(400)
			return
		}
		enc, err := wecom.ParseEnvelope(body) // the bot's envelope scan: the strictest baseline
		if err != nil {
			w.WriteHeader(400)
			return
		}
		q := r.URL.Query()
		if _, err := c.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), enc); err != nil {
			w.WriteHeader(403)
			return
		}
	})
}

func textXML(corp, user, content string, id, created int64) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>"+
		"<MsgId>%d</MsgId><AgentID>1000002</AgentID></xml>", corp, user, created, content, id)
}

// callback is one prepared request.
type callback struct {
	query string
	body  []byte
}

func prepare(c *wecom.Crypto, first, n int64, users int, content func(id int64) string) []callback {
	out := make([]callback, n)
	now := time.Now().Unix()
	nonce := "bench"
	for i := range out {
		id := first + int64(i)
		// users 0 (closed loop): closedLoopUsers senders, so that the
		// per-member pacing (≤25/min) does not hold answers back.
		user := "c" + strconv.FormatInt(id%closedLoopUsers, 10)
		if users > 0 {
			user = "user" + strconv.Itoa(int(id)%users)
		}
		plain := textXML(c.CorpID(), user, content(id), id, now)
		body, sig, err := c.SealCallback(plain, "1000002", now, nonce)
		if err != nil {
			panic(err)
		}
		q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(now, 10)}, "nonce": {nonce}}
		out[i] = callback{query: q.Encode(), body: body}
	}
	return out
}

func client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: time.Second}).DialContext,
	}}
}

// serve serves h on a loopback listener.
func serve(h http.Handler) (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// closedLoop posts as fast as conc clients can for d and returns 200s per
// second, their number, and when the clock started and the CPU used by
// then (rdb: the Redis whose CPU counts too; nil for none).
func closedLoop(h http.Handler, c *wecom.Crypto, d time.Duration, conc int, unique bool, firstID int64, rdb redis.UniversalClient) (float64, int64, time.Time, cpuSample, error) {
	base, stop, err := serve(h)
	if err != nil {
		return 0, 0, time.Time{}, cpuSample{}, err
	}
	defer stop()
	return closedLoopURL(base, c, d, conc, unique, firstID, func() cpuSample {
		if rdb == nil {
			return cpuSample{}
		}
		return cpuNow(rdb)
	})
}

// closedLoopURL is closedLoop against a server at base; cpu samples the
// CPU counted against it when the clock starts.
func closedLoopURL(base string, c *wecom.Crypto, d time.Duration, conc int, unique bool, firstID int64, cpu func() cpuSample) (float64, int64, time.Time, cpuSample, error) {
	// Requests are prepared before the clock starts, with fresh ids (and
	// senders) so dedupe never short-circuits; the bare handler cycles a pool.
	pool := int64(4096)
	if unique {
		pool = int64(d.Seconds() * 15000)
	}
	reqs := prepare(c, firstID, pool, 0, func(int64) string { return "本月有哪些抽查任务" })
	cl := client()
	var ok, bad atomic.Int64
	var next atomic.Int64
	cpu0 := cpu()
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if unique && i >= pool {
					return
				}
				r := reqs[i%pool]
				resp, err := cl.Post(base+"/wecom/callback?"+r.query, "text/xml", bytes.NewReader(r.body))
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if bad.Load() > 0 {
		fmt.Printf("  (%d non-200 answers)\n", bad.Load())
	}
	return float64(ok.Load()) / el.Seconds(), ok.Load(), start, cpu0, nil
}

// rated runs the open-loop test at rate for d.
func rated(st *stack, fake *fakewecom.Server, c *wecom.Crypto, rate int, d time.Duration, users int) error {
	n := int64(float64(rate) * d.Seconds())
	const firstID = 3_000_000_000
	reqs := prepare(c, firstID, n, users, func(id int64) string { return "问" + strconv.FormatInt(id, 10) })
	base, stop, err := serve(st.handler)
	if err != nil {
		return err
	}
	defer stop()
	cl := client()
	sentAt := make([]time.Time, n)
	lat := make([]time.Duration, n)
	status := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := int64(0); i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		wg.Add(1)
		go func(i int64) {
			defer wg.Done()
			sentAt[i] = time.Now()
			lat[i], status[i] = postCallback(cl, base, reqs[i].query, reqs[i].body)
		}(i)
	}
	wg.Wait()
	sendDone := time.Since(start)
	msgs, err := fake.WaitMessages(int(n), 60*time.Second)
	if err != nil {
		return fmt.Errorf("waiting for %d answers at the fake: %w (got %d)", n, err, len(fake.Messages()))
	}
	var accepted int
	var cbLat []time.Duration
	for i := range status {
		if status[i] == 200 {
			accepted++
			cbLat = append(cbLat, lat[i])
		}
	}
	var e2e []time.Duration
	seen := map[int64]bool{}
	for _, m := range msgs {
		id, err := strconv.ParseInt(strings.TrimPrefix(m.Content, "答：问"), 10, 64)
		if err != nil || id < firstID || id >= firstID+n {
			return fmt.Errorf("unexpected answer %q", m.Content)
		}
		if seen[id] {
			return fmt.Errorf("answer %d delivered twice", id)
		}
		seen[id] = true
		e2e = append(e2e, m.At.Sub(sentAt[id-firstID]))
	}
	fmt.Printf("rated run: %d callbacks from %d users at %d/s over %s (sending took %s)\n", n, users, rate, d, sendDone.Round(time.Millisecond))
	fmt.Printf("  accepted: %d (%.0f/s)\n", accepted, float64(accepted)/sendDone.Seconds())
	fmt.Printf("  callback latency: p50 %s  p99 %s  max %s\n", pct(cbLat, 50), pct(cbLat, 99), pct(cbLat, 100))
	fmt.Printf("  end-to-end answer latency (POST → message/send at the fake): p50 %s  p99 %s  max %s  (%d answers)\n",
		pct(e2e, 50), pct(e2e, 99), pct(e2e, 100), len(e2e))
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[min(i, len(s)-1)].Round(10 * time.Microsecond)
}

// stack is the bot's channel as `serve` wires it (wecom.New with the
// address book on), with the fake WeCom as the send target.
type stack struct {
	handler http.Handler
	rdb     redis.UniversalClient
	w       *wecom.Channel
	sender  reply.Sender // the send path (the outbox), for jobs that send on their own
	stop    func()
}

// benchUsers are the senders the fake's address book knows.
func benchUsers(users int) []fakewecom.User {
	var out []fakewecom.User
	for i := 0; i < users; i++ {
		out = append(out, fakewecom.User{UserID: "user" + strconv.Itoa(i), Departments: []int{2 + i%5}})
	}
	for i := 0; i < closedLoopUsers; i++ {
		out = append(out, fakewecom.User{UserID: "c" + strconv.Itoa(i), Departments: []int{2 + i%5}})
	}
	return out
}

var sections = map[int]string{2: "计量科", 3: "市场规范管理科", 4: "食品生产科", 5: "特种设备科", 6: "价格监督检查科"}

// shards and queueSize size the dispatcher (0: its defaults, as served).
var shards, queueSize = 16, 1024

// fakeInfo is where the fake WeCom answers and as whom (it may run in
// another process).
type fakeInfo struct {
	URL, Corp, Secret string
	Agent             int
}

func infoOf(f *fakewecom.Server) fakeInfo {
	return fakeInfo{URL: f.URL, Corp: f.CorpID(), Secret: f.CorpSecret(), Agent: f.AgentID()}
}

func newStack(redisAddr string, fake fakeInfo, c *wecom.Crypto, kind string) (*stack, error) {
	return newStackWith(redisAddr, fake, c, kind, nil)
}

// newStackWith is newStack with h as the handler (nil: an echo of the
// question, "答：" and the text).
func newStackWith(redisAddr string, fake fakeInfo, c *wecom.Crypto, kind string, h handlers.Handler) (*stack, error) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, PoolSize: 64})
	reg := prometheus.NewRegistry()
	metrics := bot.NewMetrics(reg)
	api, err := wecomapi.New(wecomapi.Config{CorpID: fake.Corp, AgentID: fake.Agent, Secret: fake.Secret,
		APIBase: fake.URL, Redis: rdb, Prefix: "bench:", Logger: logger})
	if err != nil {
		return nil, err
	}
	sender, stopSender, err := newSender(kind, api, rdb, fake, metrics, reg, logger)
	if err != nil {
		return nil, err
	}
	echo := func(_ context.Context, req *handlers.Request) (reply.Reply, error) {
		if len(req.Sections) == 0 {
			return reply.Reply{}, fmt.Errorf("no sections for %s", req.UserID)
		}
		return reply.Text("答：" + req.Text), nil
	}
	if h != nil {
		echo = h
	}
	cfg := &config.Config{Redis: config.Redis{Prefix: "bench:"}, WeCom: config.WeCom{Departments: sections}}
	w, err := wecom.New(wecom.Options{Token: token, CorpID: c.CorpID(), AESKey: aesKey, Config: cfg,
		Redis: rdb, Handler: echo, Sender: sender, Users: api, Registry: reg, Metrics: metrics, Logger: logger,
		Shards: shards, QueueSize: queueSize})
	if err != nil {
		return nil, err
	}
	srv, err := httpserver.New(httpserver.Options{Mounts: []httpserver.Mount{w.Mount()}, Redis: rdb, Registry: reg, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &stack{handler: srv.Handler(), rdb: rdb, w: w, sender: sender, stop: stopSender}, nil
}

// warm resolves the users once, as a running bot has them cached.
func (s *stack) warm(users []string) error {
	var wg sync.WaitGroup
	var failed atomic.Int64
	ch := make(chan string)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range ch {
				if len(s.w.AddressBook.Sections(context.Background(), u)) == 0 {
					failed.Add(1)
				}
			}
		}()
	}
	for _, u := range users {
		ch <- u
	}
	close(ch)
	wg.Wait()
	if failed.Load() > 0 {
		return fmt.Errorf("warm-up: %d users without sections", failed.Load())
	}
	return nil
}

func (s *stack) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.w.Dispatcher.Shutdown(ctx)
	s.stop()
	s.rdb.Close()
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// startRedis starts a private redis-server in a temporary directory with
// appendfsync set to the -appendfsync flag; stop stops it and removes the
// directory.
func startRedis(pattern string) (rs *redistest.Server, stop func(), err error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return nil, nil, err
	}
	rs, err = redistest.StartDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	stop = func() { rs.Stop(); os.RemoveAll(dir) }
	c := redis.NewClient(&redis.Options{Addr: rs.Addr})
	err = c.ConfigSet(context.Background(), "appendfsync", appendfsync).Err()
	c.Close()
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("redis: CONFIG SET appendfsync %s: %w", appendfsync, err)
	}
	return rs, stop, nil
}

// postCallback posts one callback to base's callback path and returns how
// long it took and its HTTP status (0 when the request failed).
func postCallback(cl *http.Client, base, query string, body []byte) (time.Duration, int) {
	t0 := time.Now()
	resp, err := cl.Post(base+"/wecom/callback?"+query, "text/xml", bytes.NewReader(body))
	lat := time.Since(t0)
	if err != nil {
		return lat, 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return lat, resp.StatusCode
}
