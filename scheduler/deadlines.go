package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reply"
)

// DeadlineSource is what the deadline job reads of a plan year: findings,
// draws and the findings marked published (已公示).
type DeadlineSource struct {
	Findings  finding.Store
	Draws     draw.Store
	Published func(ctx context.Context, year int) (map[string]time.Time, error)
	Options   reminder.DeadlineOptions
}

// DeadlinesJob is the job-table row of the daily deadline run (same
// schedule as the reminders).
func (r *Reminders) DeadlinesJob(now func() time.Time, src DeadlineSource) Job {
	return r.job("deadlines", func(ctx context.Context) (RunResult, error) { return r.RunDeadlines(ctx, now(), src) })
}

// RunDeadlines sends the deadline reminders (reminder.Deadlines) due at now:
// in send hours on working days, under its own lease, each identity claimed
// once in Redis (pending while sending, final with its record) and sent
// with the identity as message id, like RunReminders. A reminder stays due
// on every day of its range, so a day the job did not run is made up by the
// next and a failed send is retried.
func (r *Reminders) RunDeadlines(ctx context.Context, now time.Time, src DeadlineSource) (RunResult, error) {
	if src.Findings == nil || src.Draws == nil {
		return RunResult{}, errors.New("scheduler: deadlines need Findings and Draws")
	}
	return r.eachPlan(ctx, now, "deadlines-lease", func(ctx context.Context, p *plan.Plan, token string, res *RunResult) error {
		return r.runDeadlines(ctx, p, now, token, src, res)
	})
}

func (r *Reminders) deadlineState(ctx context.Context, p *plan.Plan, src DeadlineSource) (reminder.DeadlineState, error) {
	st := reminder.DeadlineState{Plan: p, Findings: map[string][]*finding.Finding{}, Published: map[string]bool{}}
	var err error
	if st.Draws, err = src.Draws.List(ctx, p.Year); err != nil {
		return st, err
	}
	for _, it := range p.Items() {
		if st.Findings[it.ID], err = src.Findings.ListByItem(ctx, p.Year, it.ID); err != nil {
			return st, err
		}
	}
	if src.Published != nil {
		pub, err := src.Published(ctx, p.Year)
		if err != nil {
			return st, err
		}
		for id := range pub {
			st.Published[id] = true
		}
	}
	return st, nil
}

func (r *Reminders) runDeadlines(ctx context.Context, p *plan.Plan, now time.Time, token string, src DeadlineSource, res *RunResult) error {
	st, err := r.deadlineState(ctx, p, src)
	if err != nil {
		return err
	}
	keep := func(time.Time) {} // no watermark: a deadline reminder is due on every day of its range
	for _, rm := range reminder.Deadlines(st, r.o.Rules, r.o.Workdays, now, src.Options) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("run stopped (lease lost or shutdown): %w", err)
		}
		rec := reminder.NewRecord(rm, now)
		claimKey := r.key("claim", rm.ID)
		if !rm.Mapped {
			if n, err := r.o.Redis.Exists(ctx, claimKey).Result(); err != nil || n > 0 {
				continue
			}
			rec.Status, rec.Error = reminder.StatusUnmapped, reminder.NotConfigured
			res.Unmapped++
			if err := r.record(ctx, rec, ""); err != nil {
				return err
			}
			continue
		}
		pending := pendingPrefix + token
		ok, err := r.claim(ctx, rm, claimKey, pending, r.o.PendingTTL, res, keep)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		rec.Status = reminder.StatusSent
		claim := claimKey
		if err := r.o.Sender.Send(ctx, reply.Message{ID: rm.ID, To: rm.Recipient, Reply: reply.Markdown(rm.Text)}); err != nil {
			rec.Status, rec.Error, claim = reminder.StatusFailed, err.Error(), ""
			res.Failed++
			r.release(ctx, rm.ID, claimKey, pending, err)
		} else {
			res.Sent++
		}
		if err := r.record(ctx, rec, claim); err != nil {
			return err
		}
	}
	return nil
}
