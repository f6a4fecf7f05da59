package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/changzhi-amr/choucha/workday"
)

var (
	loc = workday.Location()
	cal = workday.New(loc)
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func at(d time.Time, hour int) time.Time { return d.Add(time.Duration(hour) * time.Hour) }

// sent is one delivered message as the recording sender saw it.
type sent struct {
	msg reply.Message
	on  string // simulated date it went out
}

// recSender records sends and, like the outbox, treats a second Send with a
// delivered ID as a no-op; calls counts every Send so a test can tell that
// the scheduler itself did not send twice.
type recSender struct {
	mu    sync.Mutex
	now   time.Time
	calls map[string]int
	sends []sent
	fail  func(reply.Message) error
}

func newSender() *recSender { return &recSender{calls: map[string]int{}} }

func (s *recSender) Send(ctx context.Context, m reply.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[m.ID]++
	if s.fail != nil {
		if err := s.fail(m); err != nil {
			return err
		}
	}
	for _, x := range s.sends {
		if x.msg.ID == m.ID {
			return nil
		}
	}
	s.sends = append(s.sends, sent{m, s.now.Format(time.DateOnly)})
	return nil
}

func (s *recSender) setNow(t time.Time) {
	s.mu.Lock()
	s.now = t
	s.mu.Unlock()
}

func (s *recSender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sends)
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func newRunner(t testing.TB, rdb redis.UniversalClient, snd reply.Sender, cfg config.Reminders) *Reminders {
	t.Helper()
	rules, err := reminder.NewRules(remindertest.OptionsOf(cfg, remindertest.CountyBureaus), loc)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReminders(RemindersOptions{
		Redis: rdb, Prefix: "test:", Sender: snd, Plans: []*plan.Plan{remindertest.Seed2023()},
		Rules: rules, Workdays: cal, Config: cfg, Log: quietLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// expectation is one reminder the plan implies, computed here from the
// rules as documented, independently of package reminder.
type expectation struct {
	id, date, dept string
}

func expected2023() []expectation {
	city := plan.CityBureau
	items := []struct {
		id         string
		start, end int
		depts      []string
	}{
		{"1", 2, 12, append(slices.Clone(remindertest.CountyBureaus), "计量科")},
		{"2", 0, 0, []string{city, "计量科"}},
		{"4", 3, 12, []string{city}},
		{"11", 7, 10, []string{city}},
		{"15-1", 5, 11, []string{city}},
		{"15-2", 5, 11, []string{city}},
		{"16", 7, 9, []string{city}},
		{"17", 3, 12, []string{city, "特种设备安全监察科"}},
	}
	var out []expectation
	add := func(id string, kind string, off int, d time.Time, depts []string) {
		for _, dep := range depts {
			out = append(out, expectation{fmt.Sprintf("2023/%s/%s/%d/%s", id, kind, off, dep), d.Format(time.DateOnly), dep})
		}
	}
	for _, it := range items {
		if it.start == 0 {
			add(it.id, "year-start", 0, cal.NextWorkday(day("2023-01-01")), it.depts)
			add(it.id, "year-end-before", 30, cal.PrevWorkday(day("2023-12-01")), it.depts)
			continue
		}
		first := time.Date(2023, time.Month(it.start), 1, 0, 0, 0, 0, loc)
		end := time.Date(2023, time.Month(it.end)+1, 1, 0, 0, 0, 0, loc) // day after the window
		add(it.id, "opens-before", 7, cal.PrevWorkday(first.AddDate(0, 0, -7)), it.depts)
		add(it.id, "opens", 0, cal.NextWorkday(first), it.depts)
		for _, n := range []int{30, 7, 1} {
			add(it.id, "closes-before", n, cal.PrevWorkday(end.AddDate(0, 0, -1-n)), it.depts)
		}
		add(it.id, "closed", 0, cal.NextWorkday(end), it.depts)
	}
	return out
}

// TestYearWalk runs the job at 07:00, 09:00 and 21:00 every day from
// 2023-01-01 to 2024-01-15 against the 2023 subset: a restart on 07-01, a
// second replica from 09-01 (run concurrently at 09:00, and again at 10:00
// with the run watermark deleted so only the claims stand in the way).
func TestYearWalk(t *testing.T) {
	srv := redistest.Start(t)
	snd := newSender()
	cfg := remindertest.Config()
	a := newRunner(t, srv.Client(t), snd, cfg)
	var b *Reminders
	ctx := context.Background()
	admin := srv.Client(t)
	for d := day("2023-01-01"); !d.After(day("2024-01-15")); d = d.AddDate(0, 0, 1) {
		switch d.Format(time.DateOnly) {
		case "2023-07-01":
			a = newRunner(t, srv.Client(t), snd, cfg) // restart: new process state, same Redis
		case "2023-09-01":
			b = newRunner(t, srv.Client(t), snd, cfg)
		}
		for _, h := range []int{7, 9, 10, 21} {
			now := at(d, h)
			snd.setNow(now)
			before := snd.count()
			switch {
			case h == 9 && b != nil:
				var wg sync.WaitGroup
				for _, r := range []*Reminders{a, b} {
					wg.Go(func() {
						if _, err := r.RunReminders(ctx, now); err != nil {
							t.Errorf("%s: %v", now, err)
						}
					})
				}
				wg.Wait()
			case h == 10:
				if b == nil {
					continue
				}
				if err := admin.Del(ctx, keys.New("test:").Reminders()+"done:2023").Err(); err != nil {
					t.Fatal(err)
				}
				res, err := b.RunReminders(ctx, now)
				if err != nil {
					t.Fatal(err)
				}
				if res.Sent+res.Late+res.Missed+res.Failed != 0 {
					t.Fatalf("%s: replica without watermark did something: %s", now, res)
				}
			default:
				res, err := a.RunReminders(ctx, now)
				if err != nil {
					t.Fatal(err)
				}
				if h != 9 && !res.Quiet {
					t.Errorf("%s: run outside send hours not quiet: %s", now, res)
				}
			}
			if h != 9 && snd.count() != before {
				t.Errorf("%s: %d messages sent outside 09:00", now, snd.count()-before)
			}
		}
	}

	want := expected2023()
	if len(want) != 124 {
		t.Fatalf("expected list has %d entries, want 124", len(want))
	}
	got := map[string]sent{}
	for _, s := range snd.sends {
		got[s.msg.ID] = s
	}
	for id, n := range snd.calls {
		if n != 1 {
			t.Errorf("%s: Send called %d times", id, n)
		}
	}
	if len(snd.sends) != len(want) {
		t.Errorf("%d messages sent, want %d", len(snd.sends), len(want))
	}
	for _, w := range want {
		s, ok := got[w.id]
		if !ok {
			t.Errorf("%s (due %s) never sent", w.id, w.date)
			continue
		}
		if s.on != w.date {
			t.Errorf("%s sent on %s, want %s", w.id, s.on, w.date)
		}
		if !cal.IsWorkday(day(s.on)) {
			t.Errorf("%s sent on a day off %s", w.id, s.on)
		}
		if !slices.Equal(s.msg.To.Users, []string{"u-" + w.dept}) {
			t.Errorf("%s sent to %+v", w.id, s.msg.To)
		}
		if s.msg.Reply.Kind != reply.KindMarkdown || !strings.Contains(s.msg.Reply.Text, "抽查提醒") || strings.Contains(s.msg.Reply.Text, "补发") {
			t.Errorf("%s text:\n%s", w.id, s.msg.Reply.Text)
		}
	}
	recs, err := a.Records(ctx, 2023)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) {
		t.Errorf("%d records, want %d", len(recs), len(want))
	}
	for _, r := range recs {
		if r.Status != reminder.StatusSent {
			t.Errorf("record %s: %s %s", r.ID, r.Status, r.Error)
		}
	}
	if !sort.SliceIsSorted(recs, func(i, j int) bool { return recs[i].Due < recs[j].Due }) {
		t.Error("records not ordered by due date")
	}
}

// walk runs the job at 09:00 on each date given.
func walk(t *testing.T, r *Reminders, snd *recSender, dates ...string) []RunResult {
	t.Helper()
	var out []RunResult
	for _, s := range dates {
		now := at(day(s), 9)
		snd.setNow(now)
		res, err := r.RunReminders(context.Background(), now)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		out = append(out, res)
	}
	return out
}

func recordOf(t *testing.T, r *Reminders, id string) reminder.Record {
	t.Helper()
	recs, err := r.Records(context.Background(), 2023)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if rec.ID == id {
			return rec
		}
	}
	t.Fatalf("no record for %s in %v", id, recs)
	return reminder.Record{}
}

const due0831 = "2023/16/closes-before/30/市市场监督管理局" // due Thu 2023-08-31

func TestCatchUp(t *testing.T) {
	t.Run("two days down: late", func(t *testing.T) {
		srv := redistest.Start(t)
		snd := newSender()
		r := newRunner(t, srv.Client(t), snd, remindertest.Config())
		walk(t, r, snd, "2023-08-30")
		// Down on Thu 08-31 and Fri 09-01; back Mon 09-04 (2 working days late).
		res := walk(t, r, snd, "2023-09-04")[0]
		if res.Late != 1 || res.Sent != 0 || res.Missed != 0 {
			t.Fatalf("result %s", res)
		}
		if len(snd.sends) != 1 || snd.sends[0].msg.ID != due0831 || snd.sends[0].on != "2023-09-04" {
			t.Fatalf("sends %+v", snd.sends)
		}
		text := snd.sends[0].msg.Reply.Text
		if !strings.Contains(text, "【补发】本提醒原定 2023-08-31 发送") || !strings.Contains(text, "还有 **26** 天") {
			t.Errorf("late text:\n%s", text)
		}
		if rec := recordOf(t, r, due0831); rec.Status != reminder.StatusLate || rec.Due != "2023-08-31" {
			t.Errorf("record %+v", rec)
		}
	})
	t.Run("ten days down: missed", func(t *testing.T) {
		srv := redistest.Start(t)
		snd := newSender()
		r := newRunner(t, srv.Client(t), snd, remindertest.Config())
		walk(t, r, snd, "2023-08-30")
		res := walk(t, r, snd, "2023-09-14")[0] // 10 working days after 08-31
		if res.Missed != 1 || res.Late+res.Sent != 0 || len(snd.sends) != 0 {
			t.Fatalf("result %s, sends %d", res, len(snd.sends))
		}
		if rec := recordOf(t, r, due0831); rec.Status != reminder.StatusMissed {
			t.Errorf("record %+v", rec)
		}
		// Missed stays missed: later runs neither send nor re-record it.
		walk(t, r, snd, "2023-09-15", "2023-09-18")
		if len(snd.sends) != 0 {
			t.Errorf("missed reminder sent later")
		}
		md := reminder.FormatRecords(2023, mustRecords(t, r), 0)
		if !strings.Contains(md, "需关注") || !strings.Contains(md, "2023-08-31 任务16 即将截止（提前30天）｜市市场监督管理局｜错过") {
			t.Errorf("reminder.FormatRecords:\n%s", md)
		}
	})
	t.Run("first start mid-year", func(t *testing.T) {
		srv := redistest.Start(t)
		snd := newSender()
		r := newRunner(t, srv.Client(t), snd, remindertest.Config())
		res := walk(t, r, snd, "2023-09-04")[0]
		var wantMissed int
		for _, e := range expected2023() {
			if cal.WorkdaysBetween(day(e.date), day("2023-09-04")) > 3 {
				wantMissed++
			}
		}
		if res.Missed != wantMissed || res.Late != 1 || len(snd.sends) != 1 {
			t.Errorf("result %s, want %d missed and 1 late", res, wantMissed)
		}
	})
}

func mustRecords(t *testing.T, r *Reminders) []reminder.Record {
	t.Helper()
	recs, err := r.Records(context.Background(), 2023)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestFailedSendIsRetried(t *testing.T) {
	errDown := errors.New("wecom: 45009 api freq out of limit")
	t.Run("same day", func(t *testing.T) {
		srv := redistest.Start(t)
		rdb := srv.Client(t)
		snd := newSender()
		r := newRunner(t, rdb, snd, remindertest.Config())
		walk(t, r, snd, "2023-08-30")
		snd.fail = func(reply.Message) error { return errDown }
		res := walk(t, r, snd, "2023-08-31")[0]
		if res.Failed != 1 || len(snd.sends) != 0 {
			t.Fatalf("result %s", res)
		}
		rec := recordOf(t, r, due0831)
		if rec.Status != reminder.StatusFailed || !strings.Contains(rec.Error, "45009") {
			t.Errorf("record %+v", rec)
		}
		if n, _ := rdb.Exists(context.Background(), "test:{reminders}:claim:"+due0831).Result(); n != 0 { // released
			t.Error("claim kept after a failed send")
		}
		job := r.Job(func() time.Time { return at(day("2023-08-31"), 9) })
		if err := job.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "1 reminders failed") {
			t.Errorf("job error = %v", err)
		}
		snd.fail = nil
		now := at(day("2023-08-31"), 15)
		snd.setNow(now)
		res, err := r.RunReminders(context.Background(), now)
		if err != nil || res.Sent != 1 {
			t.Fatalf("retry: %s, %v", res, err)
		}
		if rec := recordOf(t, r, due0831); rec.Status != reminder.StatusSent || rec.Error != "" {
			t.Errorf("record after retry %+v", rec)
		}
		if snd.calls[due0831] != 3 || len(snd.sends) != 1 {
			t.Errorf("calls %d, sends %d", snd.calls[due0831], len(snd.sends))
		}
	})
	t.Run("next day", func(t *testing.T) {
		srv := redistest.Start(t)
		snd := newSender()
		r := newRunner(t, srv.Client(t), snd, remindertest.Config())
		walk(t, r, snd, "2023-08-30")
		snd.fail = func(reply.Message) error { return errDown }
		walk(t, r, snd, "2023-08-31")
		snd.fail = nil
		res := walk(t, r, snd, "2023-09-01", "2023-09-04")
		if res[0].Late != 1 || res[1].Late+res[1].Sent != 0 || len(snd.sends) != 1 || snd.sends[0].on != "2023-09-01" {
			t.Fatalf("results %v, sends %+v", res, snd.sends)
		}
		if rec := recordOf(t, r, due0831); rec.Status != reminder.StatusLate {
			t.Errorf("record %+v", rec)
		}
	})
}

func TestUnmappedIsRecordedNotDropped(t *testing.T) {
	srv := redistest.Start(t)
	snd := newSender()
	r := newRunner(t, srv.Client(t), snd, remindertest.Config("沁源县"))
	res := walk(t, r, snd, "2023-01-20")[0]
	if res.Unmapped != 1 || res.Sent != 13-1 {
		t.Fatalf("result %s", res)
	}
	id := "2023/1/opens-before/7/沁源县"
	if rec := recordOf(t, r, id); rec.Status != reminder.StatusUnmapped || rec.Error != reminder.NotConfigured {
		t.Errorf("record %+v", rec)
	}
	// Still unmapped later: recorded again, then missed once out of catch-up.
	walk(t, r, snd, "2023-01-30", "2023-01-31", "2023-02-01")
	if rec := recordOf(t, r, id); rec.Status != reminder.StatusMissed || rec.Error != reminder.NotConfigured {
		t.Errorf("record %+v", rec)
	}
	for _, s := range snd.sends {
		if strings.HasSuffix(s.msg.ID, "沁源县") {
			t.Errorf("sent to unmapped 沁源县: %s", s.msg.ID)
		}
	}
	md := reminder.FormatRecords(2023, mustRecords(t, r), 5)
	if !strings.Contains(md, "2023-01-20 任务1 即将开始（提前7天）｜沁源县｜错过") || !strings.Contains(md, "已发送 ") {
		t.Errorf("reminder.FormatRecords:\n%s", md)
	}
}

func TestLease(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	snd := newSender()
	r := newRunner(t, rdb, snd, remindertest.Config())
	if err := rdb.Set(ctx, "test:{reminders}:lease", "someone-else", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	res := walk(t, r, snd, "2023-08-31")[0]
	if !res.LeaseBusy || len(snd.sends) != 0 {
		t.Fatalf("with the lease held elsewhere: %s", res)
	}
	if v, _ := rdb.Get(ctx, "test:{reminders}:lease").Result(); v != "someone-else" {
		t.Fatalf("foreign lease touched: %q", v)
	}
	rdb.Del(ctx, "test:{reminders}:lease")
	if res := walk(t, r, snd, "2023-08-31")[0]; res.Sent != 1 {
		t.Fatalf("after release: %s", res)
	}
	if n, _ := rdb.Exists(ctx, "test:{reminders}:lease").Result(); n != 0 {
		t.Error("lease not released after the run")
	}

	// Only the owner releases or renews.
	_, cancel := context.WithCancel(ctx)
	defer cancel()
	l, err := acquire(ctx, rdb, "test:lease2", "mine", 300*time.Millisecond, cancel)
	if err != nil || l == nil {
		t.Fatalf("acquire: %v %v", l, err)
	}
	if again, err := acquire(ctx, rdb, "test:lease2", "other", time.Minute, cancel); err != nil || again != nil {
		t.Fatalf("second acquire succeeded: %v %v", again, err)
	}
	rdb.Set(ctx, "test:lease2", "taken-over", time.Minute)
	if err := l.release(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := rdb.Get(ctx, "test:lease2").Result(); v != "taken-over" {
		t.Errorf("release deleted another owner's lease: %q", v)
	}
	if ok, _ := renewScript.Run(ctx, rdb, []string{"test:lease2"}, "mine", 1000).Int(); ok != 0 {
		t.Error("renewed another owner's lease")
	}
}

// TestLostLeaseStopsRun: a lease another owner took over cancels the run
// at the next renewal, and releasing it then leaves the new owner's lease.
func TestLostLeaseStopsRun(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := acquire(ctx, rdb, "test:lease3", "mine", 90*time.Millisecond, cancel)
	if err != nil || l == nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "test:lease3", "thief", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done(): // renewal noticed the takeover and cancelled the run
	case <-time.After(10 * time.Second):
		t.Fatal("lease taken over, but its renewal (every 30ms) did not cancel the run within 10s")
	}
	if err := l.release(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Releasing a lost lease leaves the new owner's alone.
	if owner, err := rdb.Get(context.Background(), "test:lease3").Result(); err != nil || owner != "thief" {
		t.Fatalf("after release the lease holds %q (%v), want the new owner's %q", owner, err, "thief")
	}
}

func TestQuietHoursAndDaysOff(t *testing.T) {
	srv := redistest.Start(t)
	snd := newSender()
	cfg := remindertest.Config()
	r := newRunner(t, srv.Client(t), snd, cfg)
	for _, tc := range []struct {
		now   time.Time
		quiet bool
		off   bool
	}{
		{day("2023-08-31").Add(7*time.Hour + 59*time.Minute), true, false},
		{day("2023-08-31").Add(20 * time.Hour), true, false},
		{day("2023-09-02").Add(9 * time.Hour), false, true},  // Saturday
		{day("2023-10-02").Add(9 * time.Hour), false, true},  // national day
		{day("2023-10-07").Add(9 * time.Hour), false, false}, // make-up workday
	} {
		res, err := r.RunReminders(context.Background(), tc.now)
		if err != nil || res.Quiet != tc.quiet || res.DayOff != tc.off {
			t.Errorf("%s: %s, %v", tc.now, res, err)
		}
	}
	cfg.SendFrom, cfg.SendTo = "22:00", "06:00" // spans midnight
	r = newRunner(t, srv.Client(t), snd, cfg)
	if !r.inHours(day("2023-08-31").Add(23*time.Hour)) || r.inHours(day("2023-08-31").Add(12*time.Hour)) || !r.inHours(day("2023-08-31").Add(5*time.Hour)) {
		t.Error("overnight send hours")
	}
}

func TestOptionErrors(t *testing.T) {
	srv := redistest.Start(t)
	rules, _ := reminder.NewRules(remindertest.Options(), loc)
	for _, tc := range []struct {
		mod  func(*config.Reminders)
		want string
	}{
		{func(c *config.Reminders) { c.SendFrom = "8点" }, "reminders.send_from"},
		{func(c *config.Reminders) { c.SendTo = "25:00" }, "reminders.send_to"},
		{func(c *config.Reminders) { c.SendFrom, c.SendTo = "09:00", "09:00" }, "no time left"},
		{func(c *config.Reminders) { c.CatchUpDays = -1 }, "reminders.catch_up_days"},
	} {
		cfg := remindertest.Config()
		tc.mod(&cfg)
		_, err := NewReminders(RemindersOptions{Redis: srv.Client(t), Sender: newSender(), Rules: rules, Workdays: cal, Config: cfg, Log: quietLog})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want error with %q, got %v", tc.want, err)
		}
	}
	if _, err := NewReminders(RemindersOptions{}); err == nil {
		t.Error("empty options accepted")
	}
}

// TestCrashAfterClaim: a process that claimed a reminder and died before
// sending leaves a pending claim; runs skip it while it lives and do not
// move past it, and once it expires the reminder goes out late.
func TestCrashAfterClaim(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	snd := newSender()
	r := newRunner(t, rdb, snd, remindertest.Config())
	walk(t, r, snd, "2023-08-30")
	claim := "test:{reminders}:claim:" + due0831
	rdb.Set(ctx, claim, "pending:dead-process", 10*time.Minute)
	if res := walk(t, r, snd, "2023-08-31")[0]; res.Skipped != 1 || len(snd.sends) != 0 {
		t.Fatalf("with a pending claim: %s", res)
	}
	if v, _ := rdb.Get(ctx, keys.New("test:").Reminders()+"done:2023").Result(); v != "2023-08-30" {
		t.Errorf("watermark moved past a pending claim: %s", v)
	}
	rdb.Del(ctx, claim) // the pending claim expired
	if res := walk(t, r, snd, "2023-09-01")[0]; res.Late != 1 || len(snd.sends) != 1 {
		t.Fatalf("after expiry: %s", res)
	}
	if v, _ := rdb.Get(ctx, claim).Result(); v != string(reminder.StatusLate) {
		t.Errorf("claim after send = %q", v)
	}
	if ttl, _ := rdb.TTL(ctx, claim).Result(); ttl < 300*24*time.Hour {
		t.Errorf("final claim TTL %v", ttl)
	}
	if v, _ := rdb.Get(ctx, keys.New("test:").Reminders()+"done:2023").Result(); v != "2023-09-01" {
		t.Errorf("watermark = %s", v)
	}
}
