package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/workday"
)

// app is what every subcommand starts from: the config and the loaded plans.
// Redis and the channels are opened by the commands that need them.
type app struct {
	cfg   *config.Config
	log   *slog.Logger
	plans *plan.Catalog
	// planFiles are the configured plan files; live (set by openStore)
	// keeps plans equal to them plus the plans loaded in chat.
	planFiles []plan.Entry
	live      *plan.Live
	units     *department.Vocabulary // config departments.*
	now       func() time.Time
	tally     *handlers.Tally // serve: the periodic "messages handled" summary; nil elsewhere
	fixedNow  bool            // --now: now is a fixed time, not the clock
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
	files, err := loadPlanFiles(cfg.Plans)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	plans, err := plan.NewCatalog(planList(files)...)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	units, err := cfg.Departments.Vocabulary()
	if err != nil {
		return nil, fmt.Errorf("%s: departments: %w", c.config, err)
	}
	a := &app{cfg: cfg, log: log, plans: plans, planFiles: files, units: units, now: time.Now}
	if c.now != "" {
		t, err := parseNow(c.now, cfg.Location)
		if err != nil {
			return nil, err
		}
		a.now = func() time.Time { return t }
		a.fixedNow = true
	}
	return a, nil
}

// plansLine is the start-up line naming the loaded plan years:
// "已加载抽查计划：2023年度（16个任务，17项）": tasks are the plan's numbered
// rows, items what is checked (task 15 has two). When no plan is loaded for the clock's
// year it says so, and that answers about that year come from another
// year's plan and say so (package answer).
func (a *app) plansLine() string {
	var years []string
	for _, p := range a.plans.Plans() {
		by := ""
		if a.live != nil {
			if e, ok := a.live.Entry(p.Year); ok && e.Upload != nil && e.Plan == p {
				by = "，" + e.Upload.By + " 在聊天中导入"
			}
		}
		years = append(years, fmt.Sprintf("%d年度（%d个任务，%d项%s）", p.Year, len(p.Tasks), len(p.Items()), by))
	}
	line := "已加载抽查计划：" + strings.Join(years, "、")
	now := a.now().In(a.cfg.Location)
	if _, ok := a.plans.ForYear(now.Year()); ok {
		return line
	}
	p := a.plans.Current(now)
	if p == nil {
		return line
	}
	at := time.Date(p.Year, now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	return line + fmt.Sprintf("。尚未导入%d年度计划：有关%d年的回答会先说明这一点，再依据%d年度计划作答（仅供参考）；按%d年的日期提问可加 --now %s",
		now.Year(), now.Year(), p.Year, p.Year, at.Format("2006-01-02"))
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
// redis-server under redis.dir. It makes the plans live: a.plans then
// holds the plans loaded in chat too (watchPlans keeps it so).
func (a *app) openStore(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, a.cfg.Redis, a.cfg.Dir, a.log)
	if err != nil {
		return nil, err
	}
	if a.live, err = plan.NewLive(a.plans, store.NewPlans(st.Client, st.Prefix), a.planFiles...); err != nil {
		closeStore(st, a.log)
		return nil, err
	}
	if err := a.live.Refresh(ctx); err != nil {
		a.log.Warn("plans loaded in chat: some are not in effect", "err", err)
	}
	return st, nil
}

// planCheckEvery is how often a replica checks for plans loaded on
// another one when it missed the notification.
const planCheckEvery = 5 * time.Second

// watchPlans keeps a.plans up to date with plans loaded on any replica
// until ctx ends.
func (a *app) watchPlans(ctx context.Context, st *store.Store) {
	go a.live.Watch(ctx, planCheckEvery, store.NewPlans(st.Client, st.Prefix).Changes(ctx), a.log)
}

// loadPlanFiles loads the configured plan files, with their hashes.
func loadPlanFiles(paths []string) ([]plan.Entry, error) {
	var out []plan.Entry
	for _, path := range paths {
		p, err := plan.Load(path)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, plan.Entry{Plan: p, File: path, Hash: plan.Hash(data)})
	}
	return out, nil
}

func planList(entries []plan.Entry) []*plan.Plan {
	out := make([]*plan.Plan, len(entries))
	for i, e := range entries {
		out[i] = e.Plan
	}
	return out
}

// reminderRules builds the reminder rules from the config.
func (a *app) reminderRules() (*reminder.Rules, *workday.Calendar, error) {
	rules, err := reminder.NewRules(scheduler.ReminderOptions(a.cfg), a.cfg.Location)
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

// router builds the one handler table over the loaded plans, with the
// dialogs, directories and draws in st and sender for the messages the
// handlers send on their own (inspectors' assignments).
func (a *app) router(rem handlers.Reminders, st *store.Store, sender reply.Sender, media handlers.MediaFetcher) (*handlers.Router, error) {
	return handlers.NewRouter(handlers.Deps{
		Plans:           a.plans,
		Live:            a.live,
		ClosingSoonDays: a.cfg.Answers.ClosingSoonDays,
		Units:           a.units,
		Logger:          a.log,
		Tally:           a.tally,
		Reminders:       rem,
		DialogStore:     store.NewDialogs(st.Client, st.Prefix),
		DialogTTL:       a.cfg.Dialogs.TTL,
		DraftKeep:       draftKeep(a.cfg.Dialogs.DraftDays),
		Draw: &handlers.DrawDeps{
			Directories:  store.NewDirectories(st.Client, st.Prefix),
			Draws:        store.NewDraws(st.Client, st.Prefix),
			Audit:        store.NewAudit(st.Client, st.Prefix),
			Sender:       sender,
			Params:       a.drawParams(),
			ConfirmTTL:   a.cfg.Draw.ConfirmTimeout,
			Heads:        a.cfg.DepartmentHeads,
			Media:        media,
			MaxFileBytes: int64(a.cfg.Directories.MaxFileMB) << 20,
		},
		Findings: &handlers.FindingDeps{
			Findings:    store.NewFindings(st.Client, st.Prefix),
			Calendar:    workday.New(a.cfg.Location),
			PublishDays: a.cfg.Findings.PublishWorkdays,
			EditDays:    editDays(a.cfg.Findings.EditDays),
			DialogTTL:   a.cfg.Findings.DialogTTL,
			Photos:      finding.PhotoDir{Dir: a.path(a.cfg.Findings.MediaDir), MaxBytes: int64(a.cfg.Findings.MaxPhotoMB) << 20},
		},
	})
}

// drawParams are the draw parameters from config.
func (a *app) drawParams() draw.Params {
	p := draw.DefaultParams()
	for i, c := range []string{"A", "B", "C", "D"} {
		p.Multipliers[i] = int(math.Round(a.cfg.Draw.RiskMultipliers[c] * 100))
	}
	p.UnclassifiedAs = directory.RiskClass(a.cfg.Draw.UnclassifiedAs)
	p.InspectorsPerEntity = a.cfg.Draw.InspectorsPerEntity
	p.Counties = a.units.Counties()
	p.Sections = a.units.SectionList()
	return p
}

// importOptions check a directory file against the config and the plan of
// now's year.
func (a *app) importOptions() directory.Options {
	o := directory.Options{Units: a.units, MaxBytes: int64(a.cfg.Directories.MaxFileMB) << 20}
	if p := a.plans.Current(a.now()); p != nil {
		o.KnownItem = func(id string) bool { _, ok := p.Item(id); return ok }
	}
	return o
}

// seedDirectories imports the configured directory files when Redis has no
// snapshot yet, so a new installation can draw at once.
func (a *app) seedDirectories(ctx context.Context, st *store.Store) error {
	dirs := store.NewDirectories(st.Client, st.Prefix)
	for _, f := range []struct{ kind, path string }{
		{directory.KindEntities, a.cfg.Directories.Entities},
		{directory.KindInspectors, a.cfg.Directories.Inspectors},
	} {
		if f.path == "" {
			continue
		}
		var have bool
		if f.kind == directory.KindEntities {
			e, err := dirs.Entities(ctx)
			if err != nil {
				return err
			}
			have = e != nil
		} else {
			in, err := dirs.Inspectors(ctx)
			if err != nil {
				return err
			}
			have = in != nil
		}
		if have {
			continue
		}
		data, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("directories.%s: %w", f.kind, err)
		}
		l, err := directory.Load(ctx, dirs, f.kind, filepath.Base(f.path), data, a.importOptions(), "config", a.now())
		if err != nil {
			return fmt.Errorf("directories.%s %s: %w", f.kind, f.path, err)
		}
		a.log.Info("directory imported from config", "kind", f.kind, "file", f.path, "rows", l.Meta.Rows)
	}
	return nil
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

// path is p relative to the config file's directory unless absolute.
func (a *app) path(p string) string {
	if filepath.IsAbs(p) || a.cfg.Dir == "" {
		return p
	}
	return filepath.Join(a.cfg.Dir, p)
}

// editDays maps findings.edit_days to FindingDeps.EditDays, where 0 means
// the default and a negative number never.
func editDays(days int) int {
	if days == 0 {
		return -1
	}
	return days
}

// draftKeep is dialogs.draft_days as handlers.Deps.DraftKeep: 0 days
// keeps no drafts.
func draftKeep(days int) time.Duration {
	if days <= 0 {
		return -1
	}
	return time.Duration(days) * 24 * time.Hour
}
