package scheduler

import (
	"context"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
)

// UpcomingDays is how far ahead "提醒计划" looks.
const UpcomingDays = 30

// UpcomingMarkdown answers "提醒计划": the reminders the departments get in the next
// UpcomingDays days, from the plan of now's year (it implements
// handlers.Reminders).
func (r *Reminders) UpcomingMarkdown(ctx context.Context, now time.Time, departments []string) (string, error) {
	p := r.planFor(now)
	if p == nil {
		return "没有已加载的抽查计划。", nil
	}
	rs := reminder.Upcoming(p, r.o.Rules, r.o.Workdays, now, departments, UpcomingDays)
	return reminder.FormatUpcoming(rs, now, UpcomingDays), nil
}

// RecordsMarkdown answers "提醒记录" for admins: what was sent, late, missed or
// failed in the plan year of now.
func (r *Reminders) RecordsMarkdown(ctx context.Context, now time.Time) (string, error) {
	p := r.planFor(now)
	if p == nil {
		return "没有已加载的抽查计划。", nil
	}
	recs, err := r.Records(ctx, p.Year)
	if err != nil {
		return "", err
	}
	if err := r.markUndelivered(ctx, recs); err != nil {
		return "", err
	}
	return reminder.FormatRecords(p.Year, recs, 30), nil
}

// markUndelivered turns records of reminders that the outbox accepted but
// gave up delivering into failed ones, naming how to re-send them.
func (r *Reminders) markUndelivered(ctx context.Context, recs []reminder.Record) error {
	if r.o.Undelivered == nil {
		return nil
	}
	dead, err := r.o.Undelivered(ctx)
	if err != nil {
		return err
	}
	for i, rec := range recs {
		if last, ok := dead[rec.ID]; ok && (rec.Status == reminder.StatusSent || rec.Status == reminder.StatusLate) {
			recs[i].Status = reminder.StatusFailed
			recs[i].Error = "企业微信未送达，已转入发送失败列表（管理员可用 outbox retry 重发）：" + last
		}
	}
	return nil
}

// planFor picks the plan of now's year, else the latest before it, else the
// earliest (as plan.Catalog.Current does).
func (r *Reminders) planFor(now time.Time) *plan.Plan {
	var best *plan.Plan
	y := now.In(r.loc).Year()
	for _, p := range r.plans() {
		if p.Year == y {
			return p
		}
		if p.Year < y && (best == nil || p.Year > best.Year) {
			best = p
		}
	}
	if best == nil {
		for _, p := range r.plans() {
			if best == nil || p.Year < best.Year {
				best = p
			}
		}
	}
	return best
}
