package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/changzhi-amr/choucha/workday"
)

// Defaults of RemindersOptions.
const (
	DefaultSpec     = "0 9 * * *"
	DefaultLeaseTTL = 2 * time.Minute
	// DefaultClaimTTL outlives a plan year: a claimed reminder is never
	// claimed again while its year can still be run.
	DefaultClaimTTL = 400 * 24 * time.Hour
	// DefaultPendingTTL bounds how long a claim taken just before sending
	// stays if the process dies before confirming it.
	DefaultPendingTTL = 10 * time.Minute
	// DefaultRecordTTL keeps a year's 提醒记录 for two years.
	DefaultRecordTTL = 800 * 24 * time.Hour
)

// RemindersOptions configures the reminder job.
type RemindersOptions struct {
	Redis  redis.UniversalClient
	Prefix string // key prefix (config redis.prefix), e.g. "choucha:"
	Sender reply.Sender
	Plans  []*plan.Plan
	// Catalog, when set, is read at every run instead of Plans: the live
	// catalog, so a plan loaded in chat is reminded of from then on.
	Catalog  *plan.Catalog
	Rules    *reminder.Rules
	Workdays *workday.Calendar
	// Config gives send_from, send_to, catch_up_days and schedule.
	Config config.Reminders
	Log    *slog.Logger
	// Undelivered, if set, lists messages the sender accepted but finally
	// could not deliver (the outbox's dead letters: Message.ID → last
	// error), so 提醒记录 shows such reminders as failed, not sent.
	Undelivered func(ctx context.Context) (map[string]string, error)

	LeaseTTL   time.Duration // default DefaultLeaseTTL
	ClaimTTL   time.Duration // default DefaultClaimTTL
	PendingTTL time.Duration // default DefaultPendingTTL
	RecordTTL  time.Duration // default DefaultRecordTTL
}

// Reminders is the daily reminder job.
type Reminders struct {
	o        RemindersOptions
	from, to int // quiet hours bounds, minutes after midnight: send in [from, to)
	catchUp  int
	loc      *time.Location
	spec     string
}

// NewReminders checks the options; a malformed send_from/send_to or a
// negative catch_up_days is an error naming the config key.
func NewReminders(o RemindersOptions) (*Reminders, error) {
	if o.Redis == nil || o.Sender == nil || o.Rules == nil || o.Workdays == nil {
		return nil, errors.New("scheduler: reminders need Redis, Sender, Rules and Workdays")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.PendingTTL <= 0 {
		o.PendingTTL = DefaultPendingTTL
	}
	if o.ClaimTTL <= 0 {
		o.ClaimTTL = DefaultClaimTTL
	}
	if o.RecordTTL <= 0 {
		o.RecordTTL = DefaultRecordTTL
	}
	r := &Reminders{o: o, loc: o.Rules.Location, spec: o.Config.Spec}
	if r.loc == nil {
		r.loc = o.Workdays.Location()
	}
	if r.spec == "" {
		r.spec = DefaultSpec
	}
	var err error
	if r.from, err = clock("reminders.send_from", o.Config.SendFrom, "08:00"); err != nil {
		return nil, err
	}
	if r.to, err = clock("reminders.send_to", o.Config.SendTo, "20:00"); err != nil {
		return nil, err
	}
	if r.from == r.to {
		return nil, fmt.Errorf("config: reminders.send_from and send_to are both %s: no time left to send", o.Config.SendFrom)
	}
	if o.Config.CatchUpDays < 0 {
		return nil, fmt.Errorf("config: reminders.catch_up_days = %d: must not be negative", o.Config.CatchUpDays)
	}
	r.catchUp = o.Config.CatchUpDays
	for _, p := range r.plans() {
		if p != nil && !o.Workdays.Covers(p.Year) {
			o.Log.Warn("no statutory holiday data for the plan year: reminders follow weekends only", "year", p.Year)
		}
	}
	return r, nil
}

// plans are the plans to remind of now: the catalog's when there is one.
func (r *Reminders) plans() []*plan.Plan {
	if r.o.Catalog != nil {
		return r.o.Catalog.Plans()
	}
	return r.o.Plans
}

func clock(key, v, def string) (int, error) {
	if v == "" {
		v = def
	}
	h, m, ok := strings.Cut(v, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("config: %s = %q: want HH:MM, e.g. 08:00", key, v)
	}
	return hh*60 + mm, nil
}

const pendingPrefix = "pending:"

// Job is the job-table row of the daily run; now is the injected clock.
func (r *Reminders) Job(now func() time.Time) Job {
	return r.job("reminders", func(ctx context.Context) (RunResult, error) { return r.RunReminders(ctx, now()) })
}

// job is a job-table row on the reminders' schedule that logs run's result
// and fails when a send failed.
func (r *Reminders) job(name string, run func(ctx context.Context) (RunResult, error)) Job {
	return Job{Name: name, Spec: r.spec, Run: func(ctx context.Context) error {
		res, err := run(ctx)
		r.o.Log.Info("reminder run", "job", name, "result", res.String())
		if err != nil {
			return err
		}
		if res.Failed > 0 {
			return fmt.Errorf("scheduler: %s: %d reminders failed to send; they are retried next run", name, res.Failed)
		}
		return nil
	}}
}

// RunResult counts what one run did.
type RunResult struct {
	Quiet     bool // outside send hours: nothing done
	DayOff    bool // not a working day: nothing sent
	LeaseBusy bool // another replica is running
	Sent      int  // due today, sent
	Late      int  // due earlier within catch_up_days, sent now (补发)
	Missed    int  // due too long ago, recorded as missed
	Failed    int  // the sender failed; released for the next run
	Unmapped  int  // no recipient configured; recorded
	Skipped   int  // already claimed (by an earlier run or another replica)
}

func (r RunResult) String() string {
	switch {
	case r.Quiet:
		return "quiet hours"
	case r.DayOff:
		return "day off"
	case r.LeaseBusy:
		return "another replica is running"
	}
	return fmt.Sprintf("sent %d, late %d, missed %d, failed %d, unmapped %d, skipped %d",
		r.Sent, r.Late, r.Missed, r.Failed, r.Unmapped, r.Skipped)
}

func (r *Reminders) key(parts ...string) string {
	return keys.New(r.o.Prefix).Reminders() + strings.Join(parts, ":")
}

// inHours reports whether now's wall clock is inside the send hours (a
// from later than to spans midnight).
func (r *Reminders) inHours(now time.Time) bool {
	t := now.In(r.loc)
	m := t.Hour()*60 + t.Minute()
	if r.from < r.to {
		return m >= r.from && m < r.to
	}
	return m >= r.from || m < r.to
}

// RunReminders sends what is due at now. Outside send hours and on days off
// it does nothing (the next run in hours on a working day sends). Otherwise,
// under a Redis lease, for each plan it walks the reminders from the day
// after the last completed run (the plan's whole range on a first run)
// through today:
//   - due today: claimed and sent;
//   - due within catch_up_days working days: claimed and sent marked 补发 (late);
//   - older: claimed and recorded as missed, not sent;
//   - no recipient configured: recorded as unmapped, not claimed (sent late
//     if configured within catch_up_days, then missed).
//
// A claim is SET NX on the reminder's identity; the message's ID is the same
// identity, so the outbox drops a second send too. The claim is taken as
// pending (PendingTTL) and made final (ClaimTTL) together with its record
// once the Sender accepted the message, so a crash in between does not lose
// the reminder: the pending claim expires and a later run sends it (late),
// while the watermark waits for it. When sending fails the
// claim is released (compare-and-delete) and the reminder recorded failed:
// the next run retries it, and the outbox's idempotency makes a retry after
// an ambiguous failure harmless; keeping the claim instead would lose it.
func (r *Reminders) RunReminders(ctx context.Context, now time.Time) (RunResult, error) {
	today := r.o.Workdays.Date(now)
	return r.eachPlan(ctx, now, "lease", func(ctx context.Context, p *plan.Plan, token string, res *RunResult) error {
		return r.runPlan(ctx, p, today, now, token, res)
	})
}

// eachPlan runs run for each plan at now: nothing outside send hours or on
// a day off, else under the Redis lease leaseName (another replica holding
// it: nothing). run's context ends when the lease is lost.
func (r *Reminders) eachPlan(ctx context.Context, now time.Time, leaseName string,
	run func(ctx context.Context, p *plan.Plan, token string, res *RunResult) error) (RunResult, error) {
	var res RunResult
	if !r.inHours(now) {
		res.Quiet = true
		return res, nil
	}
	if !r.o.Workdays.IsWorkday(r.o.Workdays.Date(now)) {
		res.DayOff = true
		return res, nil
	}
	token := newToken()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	l, err := acquire(ctx, r.o.Redis, r.key(leaseName), token, r.o.LeaseTTL, cancel)
	if err != nil {
		return res, err
	}
	if l == nil {
		res.LeaseBusy = true
		return res, nil
	}
	defer func() {
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer rcancel()
		if err := l.release(rctx); err != nil {
			r.o.Log.Warn("reminder lease not released; it expires by itself", "lease", leaseName, "err", err)
		}
	}()
	var errs []error
	for _, p := range r.plans() {
		if p == nil {
			continue
		}
		if err := run(runCtx, p, token, &res); err != nil {
			errs = append(errs, fmt.Errorf("plan %d: %w", p.Year, err))
		}
	}
	return res, errors.Join(errs...)
}

func (r *Reminders) runPlan(ctx context.Context, p *plan.Plan, today, now time.Time, token string, res *RunResult) error {
	doneKey := r.key("done", strconv.Itoa(p.Year))
	from := time.Date(p.Year-1, time.November, 1, 0, 0, 0, 0, r.loc) // earliest a shifted opens-before can fall
	if s, err := r.o.Redis.Get(ctx, doneKey).Result(); err == nil {
		if d, err := time.ParseInLocation(time.DateOnly, s, r.loc); err == nil {
			from = d.AddDate(0, 0, 1)
		}
	} else if !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read %s: %w", doneKey, err)
	}
	if from.After(today) {
		return nil
	}
	// The watermark advances to today unless something must be retried.
	hold := today.AddDate(0, 0, 1)
	keep := func(d time.Time) {
		if d.Before(hold) {
			hold = d
		}
	}
	for _, rm := range reminder.Calendar(p, r.o.Rules, r.o.Workdays, from, today, "") {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("run stopped (lease lost or shutdown): %w", err)
		}
		age := r.o.Workdays.WorkdaysBetween(rm.Date, today)
		claimKey := r.key("claim", rm.ID)
		rec := reminder.NewRecord(rm, now)
		confirm := false // whether record also turns the pending claim final
		switch {
		case age > r.catchUp:
			ok, err := r.claim(ctx, rm, claimKey, string(reminder.StatusMissed), r.o.ClaimTTL, res, keep)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			rec.Status = reminder.StatusMissed
			if !rm.Mapped {
				rec.Error = reminder.NotConfigured
			}
			res.Missed++
		case !rm.Mapped:
			keep(rm.Date)
			rec.Status, rec.Error = reminder.StatusUnmapped, reminder.NotConfigured
			res.Unmapped++
		default:
			// A pending claim expires by itself if this process dies before
			// confirming, so a crash between claim and send loses nothing:
			// a later run sends it (the outbox drops it if it did go out).
			pending := pendingPrefix + token
			ok, err := r.claim(ctx, rm, claimKey, pending, r.o.PendingTTL, res, keep)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			text := rm.Text
			rec.Status = reminder.StatusSent
			if rm.Date.Before(today) {
				text = r.o.Rules.Text(rm, today, r.o.Workdays)
				rec.Status = reminder.StatusLate
			}
			err = r.o.Sender.Send(ctx, reply.Message{ID: rm.ID, To: rm.Recipient, Reply: reply.Markdown(text)})
			if err != nil {
				keep(rm.Date)
				rec.Status, rec.Error = reminder.StatusFailed, err.Error()
				res.Failed++
				r.release(ctx, rm.ID, claimKey, pending, err)
			} else {
				confirm = true
				if rec.Status == reminder.StatusLate {
					res.Late++
				} else {
					res.Sent++
				}
			}
		}
		claim := ""
		if confirm {
			claim = claimKey
		}
		if err := r.record(ctx, rec, claim); err != nil {
			keep(rm.Date)
			return err
		}
	}
	watermark := hold.AddDate(0, 0, -1)
	if !watermark.Before(from) {
		if err := r.o.Redis.Set(ctx, doneKey, watermark.Format(time.DateOnly), r.o.ClaimTTL).Err(); err != nil {
			return fmt.Errorf("write %s: %w", doneKey, err)
		}
	}
	return nil
}

// release gives back the pending claim of a reminder whose send failed
// with err, so the next run retries it.
func (r *Reminders) release(ctx context.Context, id, claimKey, pending string, err error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := releaseScript.Run(rctx, r.o.Redis, []string{claimKey}, pending).Err(); rerr != nil {
		r.o.Log.Warn("reminder claim not released after a failed send; retried once it expires", "id", id, "err", rerr)
	}
	r.o.Log.Warn("reminder send failed; retried next run", "id", id, "err", err)
}

// holdIfPending keeps the watermark before due when the claim is pending:
// someone is sending it right now, or died doing so, and it must be looked
// at again once the pending claim is confirmed or expires.
// claim takes the reminder's claim key with value for ttl. When another run
// holds it, the reminder counts as skipped, and a claim still pending keeps
// the watermark from moving past its date.
func (r *Reminders) claim(ctx context.Context, rm reminder.Reminder, claimKey, value string, ttl time.Duration,
	res *RunResult, keep func(time.Time)) (bool, error) {
	ok, err := r.o.Redis.SetNX(ctx, claimKey, value, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", rm.ID, err)
	}
	if !ok {
		res.Skipped++
		r.holdIfPending(ctx, claimKey, rm.Date, keep)
	}
	return ok, nil
}

func (r *Reminders) holdIfPending(ctx context.Context, claimKey string, due time.Time, keep func(time.Time)) {
	if v, err := r.o.Redis.Get(ctx, claimKey).Result(); err != nil || strings.HasPrefix(v, pendingPrefix) {
		keep(due)
	}
}

// record writes rec; with claimKey it also turns that pending claim into a
// final one, in the same transaction.
func (r *Reminders) record(ctx context.Context, rec reminder.Record, claimKey string) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode record %s: %w", rec.ID, err)
	}
	key := r.key("records", strconv.Itoa(rec.Year))
	pipe := r.o.Redis.TxPipeline()
	pipe.HSet(ctx, key, rec.ID, b)
	pipe.Expire(ctx, key, r.o.RecordTTL)
	if claimKey != "" {
		pipe.Set(ctx, claimKey, string(rec.Status), r.o.ClaimTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("write record %s: %w", rec.ID, err)
	}
	return nil
}

// Records returns the 提醒记录 of plan year year, ordered by due date, item
// and identity. Each reminder has its latest outcome.
func (r *Reminders) Records(ctx context.Context, year int) ([]reminder.Record, error) {
	key := r.key("records", strconv.Itoa(year))
	m, err := r.o.Redis.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("scheduler: read %s: %w", key, err)
	}
	out := make([]reminder.Record, 0, len(m))
	for id, v := range m {
		var rec reminder.Record
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			r.o.Log.Warn("unreadable reminder record skipped", "key", key, "field", id, "err", err)
			continue
		}
		out = append(out, rec)
	}
	reminder.SortRecords(out)
	return out, nil
}

// ReminderOptions are the reminder calendar's options from the config:
// reminders.* and departments.county_bureaus.
func ReminderOptions(cfg *config.Config) reminder.Options {
	rc := make(map[string]reply.Recipient, len(cfg.Reminders.Recipients))
	for name, r := range cfg.Reminders.Recipients {
		rc[name] = r.Recipient()
	}
	return reminder.Options{
		OpenBeforeDays:  cfg.Reminders.OpenBeforeDays,
		CloseBeforeDays: cfg.Reminders.CloseBeforeDays,
		Recipients:      rc,
		CountyBureaus:   cfg.Departments.CountyBureaus,
	}
}
