package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/outbox"
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
	reply, _ := bot.Ask(ctx, h, text, a.now().In(a.cfg.Location), a.consoleUser(f))
	fmt.Fprintln(stdout, strings.TrimRight(reply.Text, "\n"))
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
	return a.runConsole(ctx, f, stdin, stdout)
}

// runConsole runs the console channel on the same handlers as WeCom.
func (a *app) runConsole(ctx context.Context, f consoleFlags, stdin io.Reader, stdout io.Writer) error {
	h, st, err := a.consoleHandler(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, a.log)
	return bot.RunConsole(ctx, stdin, stdout, h, bot.ConsoleOptions{
		User: a.consoleUser(f), Now: a.now, Location: a.cfg.Location,
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
		Redis: st.Client, Prefix: st.Prefix, Sender: consoleNoSend{}, Plans: a.plans.Plans(),
		Rules: rules, Workdays: cal, Config: a.cfg.Reminders, Log: a.log, Undelivered: undelivered(ob),
	})
	if err != nil {
		closeStore(st, a.log)
		return nil, nil, err
	}
	r, err := a.router(rem)
	if err != nil {
		closeStore(st, a.log)
		return nil, nil, err
	}
	return r.Handle, st, nil
}

// consoleNoSend is the console's Sender: the console never sends reminders.
type consoleNoSend struct{}

func (consoleNoSend) Send(context.Context, bot.Message) error {
	return errors.New("console channel: messages are not sent from the console")
}
