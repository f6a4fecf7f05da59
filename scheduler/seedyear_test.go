package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/wecomapi"
	"github.com/changzhi-amr/choucha/workday"
)

var (
	zone     = workday.Location()
	workdays = workday.New(zone)
	silent   = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// drainLimit only bounds how long a broken test hangs; nothing asserts speed.
const drainLimit = 20 * time.Second

func civil(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, zone)
	if err != nil {
		panic(err)
	}
	return t
}

// simClock is the simulated wall clock shared by the outboxes and the fake
// WeCom: the simulated instant last set plus the real time elapsed since,
// so backoff and pacing windows still pass while a simulated run lasts.
type simClock struct {
	mu   sync.Mutex
	base time.Time
	set  time.Time
}

func (c *simClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.base.IsZero() && t.Before(c.base.Add(time.Since(c.set))) {
		panic(fmt.Sprintf("simulated clock set backwards to %s", t))
	}
	c.base, c.set = t, time.Now()
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.set))
}

// seedItem is one task item of seeds/changzhi-2023-plan.txt as read by eye
// from the file (not through the importer): window months (0: none) and who
// hears about it, in the plan's order.
type seedItem struct {
	id         string
	start, end int
	depts      []string
}

func seedItems() []seedItem {
	city := plan.CityBureau
	counties := config.DefaultCountyBureaus
	with := func(extra ...string) []string { return append(slices.Clone(counties), extra...) }
	return []seedItem{
		{"1", 2, 12, with("计量科")}, // 各地组织发起/计量科指导
		{"2", 0, 0, []string{city, "计量科"}},
		{"3", 0, 0, with("计量科")},
		{"4", 3, 12, []string{city}},
		{"5", 3, 12, []string{city}},
		{"6", 3, 12, []string{city}},
		{"7", 3, 12, []string{city}},
		{"8", 3, 11, []string{city}},
		{"9", 3, 11, with("消保科")}, // 各县区局发起/消保科指导
		{"10", 3, 11, with("消保科")},
		{"11", 7, 10, []string{city}},
		{"13", 0, 0, with()}, // 各县、区市场监管局
		{"14", 6, 11, []string{city}},
		{"15-1", 5, 11, []string{city}},
		{"15-2", 5, 11, []string{city}}, // "市市场监管局 市市场监管局" collapses
		{"16", 7, 9, []string{city}},
		{"17", 3, 12, []string{city, "特种设备安全监察科"}},
	}
}

// seedRecipients maps every department of the seed plan to its own WeCom
// recipients: several users, a department id, a tag id, a group robot, and
// for the counties users, one with a department id too, one a tag.
func seedRecipients() map[string]config.Recipient {
	rc := map[string]config.Recipient{
		plan.CityBureau: {Users: []string{"city-head", "city-office"}},
		"计量科":           {Departments: []int{11}},
		"消保科":           {Tags: []int{21}},
		"特种设备安全监察科":     {Webhook: "robot-tezhong-key"},
	}
	for i, c := range config.DefaultCountyBureaus {
		r := config.Recipient{Users: []string{fmt.Sprintf("county%02d-head", i+1)}}
		switch i {
		case 0:
			r.Departments = []int{101}
		case 11:
			r = config.Recipient{Tags: []int{112}}
		}
		rc[c] = r
	}
	return rc
}

// addressOf is how a message to r shows in the fake WeCom.
func addressOf(r config.Recipient) string {
	if r.Webhook != "" {
		return "webhook:" + r.Webhook
	}
	ints := func(v []int) string {
		s := make([]string, len(v))
		for i, n := range v {
			s[i] = strconv.Itoa(n)
		}
		return strings.Join(s, "|")
	}
	return "touser=" + strings.Join(r.Users, "|") + " toparty=" + ints(r.Departments) + " totag=" + ints(r.Tags)
}

func addressOfMessage(m fakewecom.Message) string {
	if m.Endpoint == fakewecom.EndpointWebhook {
		return "webhook:" + m.WebhookKey
	}
	return "touser=" + m.ToUser + " toparty=" + m.ToParty + " totag=" + m.ToTag
}

// want is one reminder the seed plan implies, computed from the rules as the
// issue states them.
type want struct {
	id    string
	item  string
	kind  reminder.Kind
	label string
	dept  string
	due   time.Time
	text  string // a fragment the message must contain
}

// expectedSeedYear lists every reminder of the 2023 seed plan: for an item
// with a window, 7 days before the 1st of the start month (moved to the
// working day before), the first working day of the start month, 30, 7 and
// 1 days before the last day of the end month (working day before) and the
// first working day after it; for 2, 3 and 13 (no window) the first working
// day of 2023 and 30 days before 12-31 (working day before).
func expectedSeedYear() []want {
	var out []want
	days := func(a, b time.Time) int { return int(b.Sub(a).Round(time.Hour).Hours() / 24) }
	for _, it := range seedItems() {
		add := func(kind reminder.Kind, label string, off int, due time.Time, text string) {
			for _, d := range it.depts {
				out = append(out, want{
					id:   fmt.Sprintf("2023/%s/%s/%d/%s", it.id, kind, off, d),
					item: it.id, kind: kind, label: label, dept: d, due: due, text: text,
				})
			}
		}
		if it.start == 0 {
			add(reminder.YearStart, "年度开始", 0, workdays.NextWorkday(civil("2023-01-01")), "须在 2023 年内完成")
			due := workdays.PrevWorkday(civil("2023-12-01"))
			add(reminder.YearEndBefore, "年内完成", 30, due, fmt.Sprintf("还有 **%d** 天", days(due, civil("2023-12-31"))))
			continue
		}
		first := time.Date(2023, time.Month(it.start), 1, 0, 0, 0, 0, zone)
		last := time.Date(2023, time.Month(it.end)+1, 0, 0, 0, 0, 0, zone)
		due := workdays.PrevWorkday(first.AddDate(0, 0, -7))
		add(reminder.OpensBefore, "即将开始", 7, due, fmt.Sprintf("距抽查开始还有 **%d** 天", days(due, first)))
		due = workdays.NextWorkday(first)
		add(reminder.Opens, "已开始", 0, due, fmt.Sprintf("%s 截止，还有 **%d** 天", last.Format(time.DateOnly), days(due, last)))
		for _, n := range []int{30, 7, 1} {
			due := workdays.PrevWorkday(last.AddDate(0, 0, -n))
			add(reminder.ClosesBefore, "即将截止", n, due, fmt.Sprintf("距抽查截止还有 **%d** 天", days(due, last)))
		}
		add(reminder.Closed, "已截止", 0, workdays.NextWorkday(last.AddDate(0, 0, 1)), "抽查时间已于 "+last.Format(time.DateOnly)+" 截止")
	}
	return out
}

// replica is one bot process: its Redis connection, WeCom client, outbox
// (running) and reminder job.
type replica struct {
	name string
	ob   *outbox.Outbox
	job  *scheduler.Reminders
	stop func()
}

type seedEnv struct {
	t     *testing.T
	clock *simClock
	fake  *fakewecom.Server
	plan  *plan.Plan
	cfg   config.Reminders
	rules *reminder.Rules
}

// start builds a replica on the Redis at srv and runs its outbox until stop.
func (e *seedEnv) start(name string, srv *redistest.Server) *replica {
	t := e.t
	t.Helper()
	rdb := srv.Client(t)
	client, err := wecomapi.New(wecomapi.Config{
		CorpID: e.fake.CorpID(), AgentID: e.fake.AgentID(), Secret: e.fake.CorpSecret(),
		APIBase: e.fake.URL, Redis: rdb, Prefix: "seed:", Timeout: 2 * time.Second, Logger: silent,
		Now: e.clock.Now,
		// The "refreshed lately" mark lives in Redis's real time while the
		// simulated year passes in seconds: each simulated expiry may refetch.
		TokenRefreshEvery: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(outbox.Options{
		Redis: rdb, Prefix: "seed:", Deliverer: client, Logger: silent,
		Config: config.Outbox{
			Workers: 4, MaxAttempts: 20,
			InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
			PerUserPerMin: 25, CorpPerMin: 9000,
		},
		PollInterval: 2 * time.Millisecond,
		ReapInterval: 50 * time.Millisecond,
		Now:          e.clock.Now,
		QueueClock:   e.clock.Now, // pacing windows follow the simulated year
	})
	if err != nil {
		t.Fatal(err)
	}
	job, err := scheduler.NewReminders(scheduler.RemindersOptions{
		Redis: rdb, Prefix: "seed:", Sender: ob, Plans: []*plan.Plan{e.plan},
		Rules: e.rules, Workdays: workdays, Config: e.cfg, Log: silent,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%s: outbox Run: %v", name, err)
				}
			case <-time.After(drainLimit):
				t.Errorf("%s: outbox Run did not return after cancel", name)
			}
		})
	}
	t.Cleanup(stop)
	return &replica{name: name, ob: ob, job: job, stop: stop}
}

// drain waits until the outbox has nothing queued or in flight. When all
// that is left waits for its time (pacing: a member's 25 a minute, kept
// after an ambiguous 500; backoff) and nothing is in flight, the simulated
// minute passes: a real member's messages would go out a minute later, and
// the year must not wait for it in real time. (Never with deliveries in
// flight: moving past their leases would fake a stalled worker.)
func drain(t *testing.T, ob *outbox.Outbox, clock *simClock, when time.Time) {
	t.Helper()
	deadline := time.Now().Add(drainLimit)
	waiting := 0
	for {
		s, err := ob.Stats(context.Background())
		if err != nil {
			t.Fatalf("%s: outbox stats: %v", when, err)
		}
		if s.Dead != 0 {
			dl, _ := ob.DeadLetters(context.Background())
			t.Fatalf("%s: %d dead letters: %+v", when, s.Dead, dl)
		}
		if s.Queued == 0 && s.InFlight == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: outbox not drained after %s: %+v", when, drainLimit, s)
		}
		if s.InFlight == 0 {
			if waiting++; waiting == 100 { // 200 ms with nothing going out
				clock.Set(clock.Now().Add(time.Minute))
				waiting = 0
			}
		} else {
			waiting = 0
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// arrival is a message the fake accepted and the simulated run it came in.
type arrival struct {
	msg  fakewecom.Message
	day  time.Time
	hour int
}

// TestSeedYearThroughOutbox walks the real 2023 seed plan day by day from
// 2022-12-01 to 2024-01-15, running the reminder job at 07:00, 09:00 and
// 21:00 through the real outbox and WeCom client to the fake WeCom, with
// every department mapped. On the way: a 45009 storm (2 of 3 calls,
// 02-15..03-09: the busy days 02-22 and 03-01), HTTP 500s (every other call,
// 11-20..12-07: the busiest day 12-01), a redis-server restart on the same
// data with new processes (07-12), from 09-01 a second replica running the
// same schedule at the same time (and both again a minute later), and on
// 12-01 a process restart right after the run with messages still queued,
// followed by another run the same day. Every reminder must reach its
// department's recipients exactly once, at the 09:00 run of the working
// day it is due. The outboxes and the fake share a simulated clock, so
// WeCom's per-member minute (Dropped) is per simulated day.
func TestSeedYearThroughOutbox(t *testing.T) {
	p, err := plan.Load("../seeds/changzhi-2023-plan.txt")
	if err != nil {
		t.Fatal(err)
	}
	if p.Year != 2023 {
		t.Fatalf("plan year %d", p.Year)
	}
	recipients := seedRecipients()
	cfg := config.Reminders{
		Enabled: true, Spec: "0 9 * * *", SendFrom: "08:00", SendTo: "20:00",
		OpenBeforeDays: []int{7}, CloseBeforeDays: []int{30, 7, 1}, CatchUpDays: 3,
		Recipients: recipients,
	}
	opts := remindertest.OptionsOf(cfg, config.DefaultCountyBureaus)
	if u := reminder.Unmapped(p, opts); len(u) != 0 {
		t.Fatalf("unmapped departments: %v", u)
	}
	rules, err := reminder.NewRules(opts, zone)
	if err != nil {
		t.Fatal(err)
	}
	clock := &simClock{}
	clock.Set(time.Date(2022, 12, 1, 0, 0, 0, 0, zone))
	fake := fakewecom.Start(t, fakewecom.Options{
		WebhookKeys: []string{"robot-tezhong-key"},
		Now:         clock.Now,
	})
	env := &seedEnv{t: t, clock: clock, fake: fake, plan: p, cfg: cfg, rules: rules}

	srv := redistest.Start(t)
	a := env.start("a", srv)
	var b *replica
	ctx := context.Background()

	var arrivals []arrival
	seen := 0
	collect := func(d time.Time, hour int) {
		msgs := fake.Messages()
		for _, m := range msgs[seen:] {
			arrivals = append(arrivals, arrival{m, d, hour})
		}
		seen = len(msgs)
	}
	storm := func(ep fakewecom.Endpoint, every int, f fakewecom.Fault) {
		fake.SetRule(ep, func(n int) (fakewecom.Fault, bool) { return f, n%every != 0 })
	}
	faultsBefore := 0
	stormFaults := func() int {
		return fake.FaultsServed(fakewecom.EndpointSend) + fake.FaultsServed(fakewecom.EndpointWebhook)
	}
	http500 := fakewecom.Fault{HTTPStatus: 500}
	freq := fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit}

	restartedSameDay := false
	for d := civil("2022-12-01"); !d.After(civil("2024-01-15")); d = d.AddDate(0, 0, 1) {
		switch d.Format(time.DateOnly) {
		case "2023-02-15": // 45009 storm: 2 of every 3 calls, both endpoints
			storm(fakewecom.EndpointSend, 3, freq)
			storm(fakewecom.EndpointWebhook, 3, freq)
		case "2023-03-10":
			fake.ClearFaults()
			if n := stormFaults(); n < 100 {
				t.Fatalf("the 45009 storm answered only %d calls", n)
			}
			faultsBefore = stormFaults()
		case "2023-07-12": // redis-server restart between days: new processes, same data
			a.stop()
			next, err := srv.Restart()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(next.Stop)
			srv = next
			a = env.start("a-after-redis-restart", srv)
		case "2023-09-01":
			b = env.start("b", srv)
		case "2023-11-20": // HTTP 500 on every other call
			storm(fakewecom.EndpointSend, 2, http500)
			storm(fakewecom.EndpointWebhook, 2, http500)
		case "2023-12-08":
			fake.ClearFaults()
			if n := stormFaults() - faultsBefore; n < 50 {
				t.Fatalf("the HTTP 500 stretch answered only %d calls", n)
			}
		}
		for _, h := range []int{7, 9, 21} {
			now := d.Add(time.Duration(h) * time.Hour)
			clock.Set(now)
			var results []scheduler.RunResult
			if h == 9 && b != nil {
				var mu sync.Mutex
				var wg sync.WaitGroup
				for _, r := range []*replica{a, b} {
					wg.Go(func() {
						res, err := r.job.RunReminders(ctx, now)
						if err != nil {
							t.Errorf("%s %s: %v", r.name, now, err)
						}
						mu.Lock()
						results = append(results, res)
						mu.Unlock()
					})
				}
				wg.Wait()
				if d.Equal(civil("2023-12-01")) && !restartedSameDay {
					// Restart the process right after the run, messages still
					// queued: a new Reminders and Outbox on the same Redis, run
					// again the same day.
					restartedSameDay = true
					a.stop()
					if s, err := a.ob.Stats(ctx); err == nil {
						t.Logf("restart on %s with %d messages still queued", d.Format(time.DateOnly), s.Queued)
					}
					a = env.start("a-restarted", srv)
					// The clock does not jump here: replica b may be delivering.
					res, err := a.job.RunReminders(ctx, clock.Now())
					if err != nil {
						t.Fatal(err)
					}
					if res.Sent != 0 {
						t.Errorf("restart on %s sent %d again: %s", d.Format(time.DateOnly), res.Sent, res)
					}
				}
				// A minute later, as a replica whose cron fires late: the
				// lease is free, and nothing is left to send. (Drained
				// first: moving the simulated clock past the outbox's
				// leases with deliveries in flight would fake a stalled
				// worker, whose message the outbox rightly sends again.)
				drain(t, a.ob, clock, now)
				late := now.Add(time.Minute)
				if c := clock.Now(); c.Before(late) {
					clock.Set(late)
				} else { // drain let the simulated minutes pass already
					late = c
				}
				for _, r := range []*replica{b, a} {
					res, err := r.job.RunReminders(ctx, late)
					if err != nil {
						t.Fatalf("%s %s: %v", r.name, late, err)
					}
					if res.Sent+res.Late+res.Missed != 0 {
						t.Errorf("%s %s: second run of the day did something: %s", r.name, late, res)
					}
				}
			} else {
				res, err := a.job.RunReminders(ctx, now)
				if err != nil {
					t.Fatalf("%s: %v", now, err)
				}
				results = append(results, res)
			}
			for _, res := range results {
				if h != 9 && !res.Quiet {
					t.Errorf("%s: run outside send hours not quiet: %s", now, res)
				}
				if h == 9 && !workdays.IsWorkday(d) && !res.DayOff {
					t.Errorf("%s: run on a day off did something: %s", now, res)
				}
				if res.Late+res.Missed+res.Failed+res.Unmapped != 0 {
					t.Errorf("%s: %s", now, res)
				}
			}
			drain(t, a.ob, clock, now)
			collect(d, h)
		}
	}
	if !restartedSameDay {
		t.Fatal("the same-day restart never happened")
	}

	t.Logf("%d messages arrived; faults answered: message/send %d of %d calls, webhook/send %d of %d calls",
		len(arrivals), fake.FaultsServed(fakewecom.EndpointSend), fake.Calls(fakewecom.EndpointSend),
		fake.FaultsServed(fakewecom.EndpointWebhook), fake.Calls(fakewecom.EndpointWebhook))

	// What arrived, against what the plan implies.
	wants := expectedSeedYear()
	if len(wants) != 360 {
		t.Fatalf("expected %d reminders, the plan implies 360 (51 department-items with a window × 6 + 27 without × 2)", len(wants))
	}
	ids := map[string]bool{}
	for _, w := range wants {
		if ids[w.id] {
			t.Fatalf("identity %s expected twice", w.id)
		}
		ids[w.id] = true
	}
	if fake.Dropped() != 0 {
		t.Errorf("WeCom would have dropped %d messages (per-member limit)", fake.Dropped())
	}
	if len(arrivals) != len(ids) {
		t.Errorf("the fake received %d messages, want one per identity: %d", len(arrivals), len(ids))
	}
	used := make([]bool, len(arrivals))
	for _, w := range wants {
		addr := addressOf(recipients[w.dept])
		var match []int
		for i, a := range arrivals {
			c := a.msg.Content
			if addressOfMessage(a.msg) == addr && a.day.Equal(w.due) &&
				strings.HasPrefix(c, "**抽查提醒｜"+w.label+"**\n") &&
				strings.Contains(c, "> 任务："+w.item+" ") &&
				strings.Contains(c, "> 接收单位："+w.dept+"（") &&
				strings.Contains(c, w.text) {
				match = append(match, i)
			}
		}
		if len(match) == 0 {
			t.Errorf("%s (due %s to %s) never arrived", w.id, w.due.Format(time.DateOnly), addr)
			continue
		}
		// Two identities may have the same text (offsets moved onto one
		// day): each needs its own message.
		free := -1
		for _, i := range match {
			if !used[i] {
				free = i
				break
			}
		}
		if free < 0 {
			t.Errorf("%s: only %d message(s) for it and its twins", w.id, len(match))
			continue
		}
		used[free] = true
	}
	for i, a := range arrivals {
		if !used[i] {
			t.Errorf("unexpected message on %s %02d:00 to %s:\n%s", a.day.Format(time.DateOnly), a.hour, addressOfMessage(a.msg), a.msg.Content)
		}
		if a.hour != 9 || !workdays.IsWorkday(a.day) {
			t.Errorf("message delivered during the %02d:00 run of %s (%s, working day %v)", a.hour, a.day.Format(time.DateOnly), reminder.Weekday(a.day), workdays.IsWorkday(a.day))
		}
		if strings.Contains(a.msg.Content, "补发") {
			t.Errorf("late mark on a message sent on time:\n%s", a.msg.Content)
		}
		if a.msg.MsgType != "markdown" {
			t.Errorf("message type %q", a.msg.MsgType)
		}
	}

	// The 提醒记录 agree: every identity sent on its day, nothing else.
	recs, err := a.job.Records(ctx, 2023)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(wants) {
		t.Errorf("%d records, want %d", len(recs), len(wants))
	}
	due := map[string]string{}
	for _, w := range wants {
		due[w.id] = w.due.Format(time.DateOnly)
	}
	for _, r := range recs {
		if r.Status != reminder.StatusSent || due[r.ID] != r.Due {
			t.Errorf("record %s: %s due %s (want sent, due %s) %s", r.ID, r.Status, r.Due, due[r.ID], r.Error)
		}
	}
}

// TestSeedYearExpectations pins dates of the independent expectation that
// depend on the 2023 holiday notice, so a wrong calendar cannot make the
// expectation and the engine agree by accident.
func TestSeedYearExpectations(t *testing.T) {
	byID := map[string]string{}
	for _, w := range expectedSeedYear() {
		byID[w.id] = w.due.Format(time.DateOnly)
	}
	for id, date := range map[string]string{
		// 01-01 Sunday, 01-02 New Year holiday.
		"2023/2/year-start/0/计量科": "2023-01-03",
		// 01-25 is in the Spring Festival holiday (01-21..01-27): the Friday before.
		"2023/1/opens-before/7/潞州区": "2023-01-20",
		// 02-01 is a Wednesday.
		"2023/1/opens/0/计量科": "2023-02-01",
		// 09-29 Mid-Autumn/National Day holiday (09-29..10-06): the 28th.
		"2023/16/closes-before/1/市市场监督管理局": "2023-09-28",
		// First working day after 09-30 is Saturday 10-07, a make-up workday.
		"2023/16/closed/0/市市场监督管理局": "2023-10-07",
		// 12-01 is a Friday.
		"2023/13/year-end-before/30/沁源县": "2023-12-01",
		// 2024-01-01 New Year holiday.
		"2023/17/closed/0/特种设备安全监察科": "2024-01-02",
		// 06-22..06-24 Dragon Boat; 06-25 (Sunday) a make-up workday: 07-01 - 7 = 06-24 → 06-21.
		"2023/11/opens-before/7/市市场监督管理局": "2023-06-21",
	} {
		if got, ok := byID[id]; !ok || got != date {
			t.Errorf("%s: expected on %q, want %s", id, got, date)
		}
	}
}
