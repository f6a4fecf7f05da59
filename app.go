package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/workday"
)

// app is what every subcommand starts from: the config and the loaded plans.
// Redis and the channels are opened by the commands that need them.
type app struct {
	cfg   *config.Config
	log   *slog.Logger
	plans *plan.Catalog
	now   func() time.Time
}

// commonFlags are the flags every subcommand takes.
type commonFlags struct {
	config string
	now    string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "config.yaml", "config file")
	fs.StringVar(&c.now, "now", "", "fixed clock, e.g. 2023-03-15 or 2023-03-15T09:00 (the bot's time zone)")
}

// newFlagSet is a flag set that reports errors to stderr and returns them
// (never exits the process).
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseArgs parses flags anywhere among the arguments (so both
// `ask --now D "问题"` and `ask "问题" --now D`, `outbox list --config F`
// and `outbox --config F list` work) and returns the other words in order.
// Every command parses its arguments with it. After "--" everything is a
// word.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// loadApp loads the config and every plan it names. A bad config or plan
// file is an error naming the file, line and key or field.
func loadApp(c commonFlags, logLevel slog.Level, stderr io.Writer) (*app, error) {
	cfg, err := config.Load(c.config)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel}))
	// go-redis's own lines (one per failed dial while Redis is down) go
	// through slog too, limited to one per kind per 10 s.
	redis.SetLogger(bot.NewRedisLogger(log, 10*time.Second))
	plans, err := plan.LoadCatalog(cfg.Plans...)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	a := &app{cfg: cfg, log: log, plans: plans, now: time.Now}
	if c.now != "" {
		t, err := parseNow(c.now, cfg.Location)
		if err != nil {
			return nil, err
		}
		a.now = func() time.Time { return t }
	}
	return a, nil
}

// parseNow reads the --now flag in the bot's zone.
func parseNow(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), loc); err == nil {
			if layout == "2006-01-02" {
				t = t.Add(9 * time.Hour) // a date alone means that day's morning
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--now %q: want a date like 2023-03-15 or 2023-03-15T09:00", s)
}

// openStore connects to Redis: the configured URL, or the bot's own managed
// redis-server under redis.dir.
func (a *app) openStore(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, a.cfg.Redis, a.cfg.Dir, a.log)
}

// reminderRules builds the reminder rules from the config.
func (a *app) reminderRules() (*reminder.Rules, *workday.Calendar, error) {
	rules, err := reminder.NewRules(a.cfg.Reminders, a.cfg.Location)
	if err != nil {
		return nil, nil, err
	}
	cal := workday.New(a.cfg.Location)
	for _, p := range a.plans.Plans() {
		if err := cal.Check(p.Year); err != nil {
			a.log.Warn("working-day calendar does not cover the plan year; reminders fall back to weekdays", "year", p.Year, "err", err)
		}
	}
	return rules, cal, nil
}

// router builds the one handler table over the loaded plans.
func (a *app) router(rem handlers.Reminders) (*handlers.Router, error) {
	return handlers.NewRouter(handlers.Deps{
		Plans:           a.plans,
		ClosingSoonDays: a.cfg.Answers.ClosingSoonDays,
		Logger:          a.log,
		Reminders:       rem,
	})
}

// closeStore closes the store with a bounded wait.
func closeStore(s *store.Store, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("closing Redis", "err", err)
	}
}

// isAdmin reports whether userid is listed in admins.
func (a *app) isAdmin(userid string) bool {
	for _, u := range a.cfg.Admins {
		if u == userid {
			return true
		}
	}
	return false
}

// undelivered lists the outbox's dead letters (Message.ID → last error), so
// 提醒记录 shows reminders WeCom never received as failed.
func undelivered(ob *outbox.Outbox) func(context.Context) (map[string]string, error) {
	return func(ctx context.Context) (map[string]string, error) {
		dead, err := ob.DeadLetters(ctx)
		if err != nil {
			return nil, err
		}
		m := make(map[string]string, len(dead))
		for _, d := range dead {
			m[d.ID] = d.LastError
		}
		return m, nil
	}
}
