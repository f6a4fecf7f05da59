package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/store"
)

// The real serve command on Redis Sentinel and on a 3-primary Redis
// Cluster, two replicas each: a callback, WeCom's retry to the other
// replica and a send that fails twice give one answer; an admin's draw
// (a dialog: preview card, 确认 click) is saved once and every assigned
// inspector told once; the reminders of a morning, run by two replicas
// at once, go out once each through the outbox.
func TestServeOnSentinelAndCluster(t *testing.T) {
	for _, topo := range []struct {
		name  string
		start func(t *testing.T) (string, redis.UniversalClient)
	}{
		{"sentinel", func(t *testing.T) (string, redis.UniversalClient) {
			d := redistest.StartSentinel(t)
			return d.URL(), d.Client(t)
		}},
		{"cluster", func(t *testing.T) (string, redis.UniversalClient) {
			c := redistest.StartCluster(t)
			return c.URL(), c.Client(t)
		}},
	} {
		t.Run(topo.name, func(t *testing.T) {
			redisURL, rdb := topo.start(t)
			serveFlows(t, redisURL, rdb)
		})
	}
}

func serveFlows(t *testing.T, redisURL string, rdb redis.UniversalClient) {
	const admin, other = "admin1", "zhangsan"
	fake, c, cfg := seedServeSetupURL(t, redisURL, admin, other, nil, "")
	a := startServe(t, cfg)
	b := startServe(t, cfg)
	ctx := t.Context()
	settle := func() {
		t.Helper()
		if st := waitSettled(t, rdb, a, b); st.Dead != 0 {
			t.Fatalf("outbox dead letters: %+v", st)
		}
	}

	// The channel: callback → dedupe → inbox → answer, through a send
	// that fails twice (HTTP 500, then 42001: the token is dropped, by a
	// script, and fetched again) before WeCom takes it.
	var fails atomic.Int32
	fake.SetRule(fakewecom.EndpointSend, func(int) (fakewecom.Fault, bool) {
		switch fails.Add(1) {
		case 1:
			return fakewecom.Fault{HTTPStatus: 500}, true
		case 2:
			return fakewecom.Fault{ErrCode: 42001}, true
		}
		return fakewecom.Fault{}, false
	})
	tokens := fake.Calls(fakewecom.EndpointToken)
	msg := textMsg(fake.CorpID(), other, "任务7", 5001)
	post(t, a, c, msg)
	post(t, b, c, msg) // WeCom's retry, to the other replica
	got, err := fake.WaitMessages(1, 20*time.Second)
	if err != nil {
		t.Fatalf("no answer: %v\n%s", err, a.stderr.String())
	}
	if got[0].ToUser != other || !strings.Contains(got[0].Content, "7") {
		t.Fatalf("answer %+v", got[0])
	}
	settle()
	fake.ClearFaults()
	if n := len(fake.Messages()); n != 1 {
		t.Fatalf("%d answers to one message: %+v", n, fake.Messages())
	}
	if n := fake.Calls(fakewecom.EndpointToken) - tokens; n != 2 {
		t.Errorf("%d gettoken calls, want 2 (the first token, one after 42001)", n)
	}

	// A draw: the preview and its card, the 确认 click (and WeCom's retry
	// of it), the record, one notice per inspector.
	post(t, a, c, textMsg(fake.CorpID(), admin, "抽取 8", 5002))
	got, err = fake.WaitMessages(3, 20*time.Second)
	if err != nil {
		t.Fatalf("no preview: %v", err)
	}
	card := got[2].Card
	if card == nil || len(card.ButtonList) != 2 {
		t.Fatalf("no card: %+v", got[2])
	}
	click, _ := fake.CardEvent(fakewecom.CardClick{UserID: admin, TaskID: card.TaskID, EventKey: "confirm"})
	post(t, b, c, string(click))
	post(t, a, c, string(click))
	draws := store.NewDraws(rdb, "t:")
	var rec *draw.Record
	waitFor(t, "the draw to be saved", func() bool {
		rec, err = draws.Current(ctx, 2023, "8")
		return err == nil && rec != nil
	})
	settle()
	told := map[string]int{}
	for _, m := range fake.Messages()[3:] {
		told[m.ToUser]++
	}
	for _, g := range rec.Result.Groups {
		for _, d := range g.Entities {
			for _, u := range d.Inspectors {
				if told[u] != 1 {
					t.Errorf("inspector %s told %d times", u, told[u])
				}
			}
		}
	}
	if told[admin] != 1 {
		t.Errorf("admin got %d messages after the click, want the summary", told[admin])
	}
	if recs, err := draws.List(ctx, 2023); err != nil || len(recs) != 1 {
		t.Fatalf("%d draws (%v)", len(recs), err)
	}
	if ok, err := draws.Notified(ctx, rec); err != nil || !ok {
		t.Errorf("draw not marked notified: %v %v", ok, err)
	}

	// Reminders: two replicas run the morning of 2023-06-21 at once; the
	// outbox of the running serves delivers.
	n0 := len(fake.Messages())
	ap, err := loadApp(commonFlags{config: cfg}, slog.LevelWarn, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if ap.cfg.Reminders.Recipients == nil {
		ap.cfg.Reminders.Recipients = map[string]config.Recipient{}
	}
	for _, d := range []string{"计量科", "消保科", "特种设备安全监察科", "市市场监督管理局"} {
		ap.cfg.Reminders.Recipients[d] = config.Recipient{Users: []string{other}}
	}
	rules, cal, err := ap.reminderRules()
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2023, 6, 21, 9, 0, 0, 0, ap.cfg.Location)
	var wg sync.WaitGroup
	results := make([]scheduler.RunResult, 2)
	for i := range results {
		r, err := scheduler.NewReminders(scheduler.RemindersOptions{Redis: rdb, Prefix: "t:", Sender: ob, Plans: ap.plans.Plans(),
			Rules: rules, Workdays: cal, Config: ap.cfg.Reminders, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			res, err := r.RunReminders(ctx, now)
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	sent := 0
	for _, r := range results {
		sent += r.Sent + r.Late
	}
	if sent == 0 {
		t.Fatalf("no reminder sent on %s: %v", now, results)
	}
	settle()
	if n := len(fake.Messages()) - n0; n != sent {
		t.Fatalf("%d reminders delivered, %d sent (%v)", n, sent, results)
	}
	// A later run of either replica sends nothing again.
	r, _ := scheduler.NewReminders(scheduler.RemindersOptions{Redis: rdb, Prefix: "t:", Sender: ob, Plans: ap.plans.Plans(),
		Rules: rules, Workdays: cal, Config: ap.cfg.Reminders, Log: slog.New(slog.DiscardHandler)})
	if res, err := r.RunReminders(ctx, now.Add(time.Hour)); err != nil || res.Sent+res.Late != 0 {
		t.Fatalf("second run: %v %v", res, err)
	}
}

// postUntilAccepted posts a callback as WeCom does, again after a non-200
// answer or a failed connection, until it is accepted; it returns how
// many attempts were refused.
func postUntilAccepted(p *serveProc, c *wecom.Crypto, plain string) (refused int, err error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ts := time.Now().Unix()
		body, sig, err := c.SealCallback([]byte(plain), "1000002", ts, "n1")
		if err != nil {
			return refused, err
		}
		q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(ts, 10)}, "nonce": {"n1"}}
		resp, err := http.Post("http://"+p.addr+"/wecom/callback?"+q.Encode(), "text/xml", bytes.NewReader(body))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return refused, nil
			}
		}
		refused++
		if time.Now().After(deadline) {
			return refused, fmt.Errorf("callback refused %d times over 60s", refused)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// A Sentinel failover under load: the primary is killed (SIGKILL) while
// 40 members each ask a question through two serve replicas; every
// question WeCom got a 200 for is answered exactly once (counted at the
// fake WeCom), and nothing is left in flight.
func TestServeSentinelFailover(t *testing.T) {
	d := redistest.StartSentinel(t)
	rdb := d.Client(t)
	const users = 40
	var us []fakewecom.User
	for i := range users {
		us = append(us, fakewecom.User{UserID: "u" + strconv.Itoa(i), Departments: []int{12}})
	}
	fake := fakewecom.Start(t, fakewecom.Options{Users: us, PerUserPerMinute: -1})
	setWeComEnv(t, fake)
	cfg := writeConfig(t, d.URL(), "wecom:\n  departments: {12: 计量科}\noutbox:\n  initial_backoff: 20ms\n  max_backoff: 200ms\n  max_attempts: 1000\nreminders:\n  enabled: false\n")
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	procs := []*serveProc{startServe(t, cfg), startServe(t, cfg)}

	var refused, switchedAfter atomic.Int64
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for i := range users {
		if i == users/3 {
			// A third of the questions are in; the primary dies while the
			// rest arrive and the first are being answered.
			if _, err := fake.WaitMessages(1, 20*time.Second); err != nil {
				t.Fatal(err)
			}
			old := d.Master.Addr
			d.Master.Stop()
			close(killed)
			go func() {
				start := time.Now()
				for time.Since(start) < time.Minute {
					if a, err := d.MasterAddr(context.Background()); err == nil && a != old {
						switchedAfter.Store(int64(time.Since(start)))
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
		}
		wg.Go(func() {
			n, err := postUntilAccepted(procs[i%2], c, textMsg(fake.CorpID(), "u"+strconv.Itoa(i), "任务7", 6000+i))
			refused.Add(int64(n))
			if err != nil {
				t.Error(err)
			}
		})
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	<-killed
	if _, err := fake.WaitMessages(users, 60*time.Second); err != nil {
		for _, p := range procs {
			t.Log(p.stderr.String())
		}
		t.Fatal(err)
	}
	// Settled: both replicas idle, the outbox empty (nothing leased to be
	// sent again later).
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the outbox to settle", func() bool {
		st, err := ob.Stats(context.Background())
		return err == nil && st.Queued == 0 && st.InFlight == 0 && sumOver(t, procs, "choucha_wecom_queue_depth") == 0
	})
	per := map[string]int{}
	for _, m := range fake.Messages() {
		per[m.ToUser]++
	}
	for i := range users {
		if u := "u" + strconv.Itoa(i); per[u] != 1 {
			t.Errorf("%s got %d answers", u, per[u])
		}
	}
	if len(fake.Messages()) != users {
		t.Errorf("%d messages sent for %d questions", len(fake.Messages()), users)
	}
	addr, err := d.MasterAddr(context.Background())
	if err != nil || addr == d.Master.Addr {
		t.Errorf("no failover: primary %s (%v)", addr, err)
	}
	t.Logf("failover to %s after %v; callbacks refused during it: %d", addr, time.Duration(switchedAfter.Load()).Round(10*time.Millisecond), refused.Load())
}
