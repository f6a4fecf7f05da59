package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/store"
)

// consoleFlags are the flags of ask and chat.
type consoleFlags struct {
	commonFlags
	user string
	dept string
}

func (c *consoleFlags) register(fs *flag.FlagSet) {
	c.commonFlags.register(fs)
	fs.StringVar(&c.user, "user", "console", "who asks: a WeCom userid (admins are listed in config.yaml)")
	fs.StringVar(&c.dept, "dept", "", "the asker's plan departments, comma-separated (for 我科室的任务 and 提醒计划), e.g. 计量科")
}

// consoleUser is who the console speaks as: the local operator ("console")
// is an admin; another --user is one if config.yaml lists it.
func (a *app) consoleUser(c consoleFlags) bot.ConsoleUser {
	u := bot.ConsoleUser{ID: c.user, Admin: c.user == "console" || a.isAdmin(c.user)}
	for _, d := range strings.FieldsFunc(c.dept, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if d = strings.TrimSpace(d); d != "" {
			u.Sections = append(u.Sections, d)
		}
	}
	return u
}

// cmdAsk answers one question on stdout: choucha ask [flags] "问题".
func cmdAsk(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var f consoleFlags
	fs := newFlagSet("ask", stderr)
	f.register(fs)
	words, err := parseArgs(fs, args)
	if err != nil {
		return errUsage
	}
	text := strings.TrimSpace(strings.Join(words, " "))
	if text == "" {
		fmt.Fprintln(stderr, `ask needs a question, e.g. choucha ask "本月哪些抽查任务"`)
		return errUsage
	}
	a, err := loadApp(f.commonFlags, slog.LevelWarn, stderr)
	if err != nil {
		return err
	}
	h, st, err := a.consoleHandler(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, a.log)
	fmt.Fprintln(stderr, a.plansLine())
	rep, _ := bot.Ask(ctx, h, text, a.now().In(a.cfg.Location), a.consoleUser(f))
	fmt.Fprintln(stdout, bot.PlainText(rep, false))
	return nil
}

// cmdChat is the interactive console: one message a line, also from a pipe.
func cmdChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f consoleFlags
	fs := newFlagSet("chat", stderr)
	f.register(fs)
	if rest, err := parseArgs(fs, args); err != nil || len(rest) > 0 {
		return errUsage
	}
	a, err := loadApp(f.commonFlags, slog.LevelWarn, stderr)
	if err != nil {
		return err
	}
	return a.runConsole(ctx, f, stdin, stdout, stderr)
}

// runConsole runs the console channel on the same handlers as WeCom. It
// first names the loaded plan years: on stdout, with the banner, when the
// console is interactive; else on stderr, keeping stdout to the answers.
func (a *app) runConsole(ctx context.Context, f consoleFlags, stdin io.Reader, stdout, stderr io.Writer) error {
	h, st, err := a.consoleHandler(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, a.log)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	a.watchPlans(wctx, st)
	interactive := bot.IsTerminal(stdin)
	if interactive {
		fmt.Fprintln(stdout, a.plansLine())
	} else {
		fmt.Fprintln(stderr, a.plansLine())
	}
	return bot.RunConsole(ctx, stdin, stdout, h, bot.ConsoleOptions{
		User: a.consoleUser(f), Now: a.now, Location: a.cfg.Location, Interactive: &interactive,
	})
}

// consoleHandler opens Redis and builds the router for the console. The
// reminder calendar answers 提醒计划/提醒记录, but the console never runs the
// reminder job: claims made there would keep WeCom from sending them later.
func (a *app) consoleHandler(ctx context.Context) (handlers.Handler, *store.Store, error) {
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	rules, cal, err := a.reminderRules()
	if err != nil {
		closeStore(st, a.log)
		return nil, nil, err
	}
	// An outbox only for reading dead letters (nothing is delivered here).
	ob, err := outbox.New(outbox.Options{Redis: st.Client, Prefix: st.Prefix, Config: a.cfg.Outbox, Logger: a.log})
	if err != nil {
		closeStore(st, a.log)
		return nil, nil, err
	}
	rem, err := scheduler.NewReminders(scheduler.RemindersOptions{
		Redis: st.Client, Prefix: st.Prefix, Sender: consoleNoSend{}, Catalog: a.plans,
		Rules: rules, Workdays: cal, Config: a.cfg.Reminders, Log: a.log, Undelivered: undelivered(ob),
	})
	if err != nil {
		closeStore(st, a.log)
		return nil, nil, err
	}
	if err := a.seedDirectories(ctx, st); err != nil {
		closeStore(st, a.log)
		return nil, nil, err
	}
	// Inspectors' notices wait in the outbox until a WeCom serve delivers them.
	r, err := a.router(rem, st, ob, localMedia)
	if err != nil {
		closeStore(st, a.log)
		return nil, nil, err
	}
	if err := r.Resume(ctx, a.now()); err != nil {
		a.log.Warn("resuming interrupted notices", "err", err)
	}
	return r.Handle, st, nil
}

// localMedia is the console's media: "/文件 PATH" names a local file.
func localMedia(_ context.Context, req *handlers.Request) ([]byte, string, error) {
	path, ok := strings.CutPrefix(req.Media.ID, bot.LocalMediaPrefix)
	if !ok {
		return nil, "", fmt.Errorf("console: media %q is not a local file", req.Media.ID)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	return data, filepath.Base(path), nil
}

// consoleNoSend is the console's Sender: the console never sends reminders.
type consoleNoSend struct{}

func (consoleNoSend) Send(context.Context, reply.Message) error {
	return errors.New("console channel: messages are not sent from the console")
}
