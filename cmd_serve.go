package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/httpserver"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/spool"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// takeover, when non-zero (set only by the fault tests, which SIGKILL
// serve), replaces the minute that work left by a dead process waits
// before another process takes it over: the inbox's grace, the outbox's
// lease (its delivery timeout half of it) and the reminder job's lease and
// pending claims.
var takeover time.Duration

// cmdServe runs the bot: the WeCom channel when WECOM_* credentials are set,
// else the console channel on the terminal with the same handlers.
func cmdServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f consoleFlags
	var addr string
	fs := newFlagSet("serve", stderr)
	f.register(fs)
	fs.StringVar(&addr, "addr", "", "listen address HOST:PORT (overrides http.addr)")
	if rest, err := parseArgs(fs, args); err != nil || len(rest) > 0 {
		return errUsage
	}
	env, err := config.WeComFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if !env.Configured() {
		level = slog.LevelWarn // the console is for people: keep the terminal readable
	}
	a, err := loadApp(f.commonFlags, level, stderr)
	if err != nil {
		return err
	}
	if addr != "" {
		a.cfg.HTTP.Addr = addr
	}
	if !env.Configured() {
		fmt.Fprintln(stderr, "未设置企业微信凭据（WECOM_CORP_ID 等环境变量），以控制台模式运行。")
		return a.runConsole(ctx, f, stdin, stdout, stderr)
	}
	return a.serveWeCom(ctx, env)
}

// openSpool opens the local spool of callbacks (wecom.spool_dir); nil when
// it is off.
func (a *app) openSpool() (*spool.Spool, error) {
	if a.cfg.WeCom.SpoolDir == "" {
		return nil, nil
	}
	sp, err := spool.Open(spool.Options{Dir: a.path(a.cfg.WeCom.SpoolDir), MaxBytes: int64(a.cfg.WeCom.SpoolMaxMB) << 20})
	if err != nil {
		return nil, fmt.Errorf("wecom.spool_dir: %w", err)
	}
	return sp, nil
}

// serveWeCom runs the WeCom channel, the outbox workers and the scheduler
// until ctx ends, then shuts down gracefully: the listener stops, in-flight
// messages are answered, pending outbox entries stay for the next start.
func (a *app) serveWeCom(ctx context.Context, env config.WeComEnv) error {
	log := a.log
	log.Info("starting", "wecom", env, "addr", a.cfg.HTTP.Addr, "callback", a.cfg.HTTP.CallbackPath)
	if a.fixedNow {
		log.Warn("--now fixes the clock of answers and reminders: reminders due on that day are sent to the configured recipients", "now", a.now().Format(time.DateTime))
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, log)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := bot.NewMetrics(reg)

	api, err := wecomapi.New(wecomapi.Config{
		CorpID: env.CorpID, AgentID: env.AgentID, Secret: env.Secret.Reveal(), APIBase: env.APIBase,
		Redis: st.Client, Prefix: st.Prefix, Logger: log,
	})
	if err != nil {
		return err
	}
	ob, err := outbox.New(outbox.Options{
		Redis: st.Client, Prefix: st.Prefix, Deliverer: api, Config: a.cfg.Outbox,
		Registerer: reg, Observer: metrics, Logger: log, LeaseTTL: takeover, DeliverTimeout: takeover / 2,
	})
	if err != nil {
		return err
	}

	rules, cal, err := a.reminderRules()
	if err != nil {
		return err
	}
	rem, err := scheduler.NewReminders(scheduler.RemindersOptions{
		Redis: st.Client, Prefix: st.Prefix, Sender: ob, Catalog: a.plans,
		Rules: rules, Workdays: cal, Config: a.cfg.Reminders, Log: log, Undelivered: undelivered(ob),
		LeaseTTL: takeover, PendingTTL: takeover,
	})
	if err != nil {
		return err
	}
	var unmapped []string
	for _, p := range a.plans.Plans() {
		unmapped = append(unmapped, reminder.Unmapped(p, scheduler.ReminderOptions(a.cfg))...)
	}
	if len(unmapped) > 0 {
		log.Warn("reminders: departments without recipients in reminders.recipients; their reminders are recorded, not sent", "departments", strings.Join(unmapped, ","))
	}

	if err := a.seedDirectories(ctx, st); err != nil {
		return err
	}
	media := func(ctx context.Context, req *handlers.Request) ([]byte, string, error) {
		data, _, err := api.GetMedia(ctx, req.Media.ID)
		return data, req.Media.FileName, err
	}
	a.tally = &handlers.Tally{}
	router, err := a.router(rem, st, ob, media)
	if err != nil {
		return err
	}
	if err := router.Resume(ctx, time.Now()); err != nil {
		log.Warn("resuming interrupted notices", "err", err)
	}
	sp, err := a.openSpool()
	if err != nil {
		return err
	}
	if sp != nil {
		defer sp.Close()
	}
	w, err := wecom.New(wecom.Options{
		Token: env.Token.Reveal(), CorpID: env.CorpID, AESKey: env.AESKey.Reveal(),
		Config: a.cfg, Redis: st.Client, Handler: router.Handle, Sender: ob, Users: api,
		Registry: reg, Metrics: metrics, Logger: log, Spool: sp, Inbox: bot.InboxOptions{Grace: takeover},
	})
	if err != nil {
		return err
	}
	srv, err := httpserver.New(httpserver.Options{
		Addr: a.cfg.HTTP.Addr, Mounts: []httpserver.Mount{w.Mount()}, Redis: st.Client, Registry: reg, Logger: log,
		Health: st.Health,
		ReadyChecks: []httpserver.ReadyCheck{{
			Name: "reminder recipients", Warn: true,
			Check: func(context.Context) error {
				if len(unmapped) == 0 {
					return nil
				}
				return fmt.Errorf("未配置接收人的部门: %s", strings.Join(unmapped, "、"))
			},
		}},
	})
	if err != nil {
		return err
	}

	var jobs []scheduler.Job
	if a.cfg.Reminders.Enabled {
		findings := store.NewFindings(st.Client, st.Prefix)
		// a.now: --now fixes the reminders' clock too.
		jobs = append(jobs, rem.Job(a.now), rem.DeadlinesJob(a.now, scheduler.DeadlineSource{
			Findings: findings, Draws: store.NewDraws(st.Client, st.Prefix), Published: findings.Published,
			Options: reminder.DeadlineOptions{
				PublishBefore: a.cfg.Reminders.PublishBeforeWorkdays,
				InspectBefore: a.cfg.Reminders.InspectBeforeWorkdays,
			},
		}))
	}
	sched, err := scheduler.New(a.cfg.Location, log, jobs)
	if err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := ob.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			errs <- fmt.Errorf("outbox: %w", err)
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		if err := srv.ListenAndServe(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			errs <- fmt.Errorf("http: %w", err)
			cancel()
		}
	}()
	a.watchPlans(runCtx, st)
	tallied := make(chan struct{}) // the last summary is logged before serve returns
	go func() { a.tally.Run(runCtx, log, time.Minute); close(tallied) }()
	sched.Start()
	log.Info("ready", "addr", a.cfg.HTTP.Addr, "plans", a.plansLine())
	<-runCtx.Done()
	log.Info("shutting down")
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer stopCancel()
	if err := sched.Stop(stopCtx); err != nil {
		log.Warn("scheduler stop", "err", err)
	}
	cancel()
	wg.Wait()
	<-tallied
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(ch <-chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}
