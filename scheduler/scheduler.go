// Package scheduler runs the bot's periodic jobs with robfig/cron in the
// bot's zone (Asia/Shanghai), and holds the daily reminder job: it decides
// which reminders are due, claims each one in Redis so it goes out exactly
// once across restarts and replicas, sends it through a reply.Sender and keeps
// the year's 提醒记录 for admins.
//
// Jobs are one table of {Name, Spec, Run}; each is wrapped with
// SkipIfStillRunning and Recover. What a job decides is testable without
// cron: RunReminders takes the time as an argument.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one row of the job table.
type Job struct {
	Name string // unique, for logs
	Spec string // standard 5-field cron spec or a descriptor (@daily, @every 1h)
	Run  func(ctx context.Context) error
}

// Scheduler runs a job table.
type Scheduler struct {
	cron   *cron.Cron
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	ids    map[string]cron.EntryID
}

// New checks the table (a spec that does not parse or a duplicate name is an
// error naming the job) and registers it; Start starts it.
func New(loc *time.Location, log *slog.Logger, jobs []Job) (*Scheduler, error) {
	if loc == nil {
		return nil, errors.New("scheduler: no time zone")
	}
	if log == nil {
		log = slog.Default()
	}
	cl := cronLogger{log}
	// SkipIfStillRunning outside Recover: a panic is recovered inside, so
	// the skip token is always given back and the job runs next time.
	c := cron.New(cron.WithLocation(loc), cron.WithLogger(cl),
		cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)))
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{cron: c, log: log, ctx: ctx, cancel: cancel, ids: map[string]cron.EntryID{}}
	for i, j := range jobs {
		if j.Name == "" || j.Run == nil {
			cancel()
			return nil, fmt.Errorf("scheduler: job %d: name and run function are required", i)
		}
		if _, dup := s.ids[j.Name]; dup {
			cancel()
			return nil, fmt.Errorf("scheduler: job %q registered twice", j.Name)
		}
		id, err := c.AddJob(j.Spec, s.wrap(j))
		if err != nil {
			cancel()
			return nil, fmt.Errorf("scheduler: job %q: schedule %q: %w", j.Name, j.Spec, err)
		}
		s.ids[j.Name] = id
	}
	return s, nil
}

func (s *Scheduler) wrap(j Job) cron.Job {
	return cron.FuncJob(func() {
		start := time.Now()
		if err := j.Run(s.ctx); err != nil {
			s.log.Error("scheduled job failed", "job", j.Name, "err", err, "took", time.Since(start))
			return
		}
		s.log.Info("scheduled job done", "job", j.Name, "took", time.Since(start))
	})
}

// Start starts running the jobs in the background.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling and waits for running jobs until ctx ends; then the
// jobs' context is cancelled and ctx's error returned.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	select {
	case <-done.Done():
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		return fmt.Errorf("scheduler: stop: jobs still running: %w", ctx.Err())
	}
}

// Next is when job name runs next (zero before Start or for an unknown name).
func (s *Scheduler) Next(name string) time.Time {
	id, ok := s.ids[name]
	if !ok {
		return time.Time{}
	}
	return s.cron.Entry(id).Next
}

// RunNow runs job name once through its wrappers (skip-if-running, recover),
// synchronously; false for an unknown name.
func (s *Scheduler) RunNow(name string) bool {
	id, ok := s.ids[name]
	if !ok {
		return false
	}
	s.cron.Entry(id).WrappedJob.Run()
	return true
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" { // SkipIfStillRunning: worth seeing
		c.l.Warn("cron: skipped a run, the previous one is still running", kv...)
		return
	}
	c.l.Debug("cron: "+msg, kv...)
}
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}
