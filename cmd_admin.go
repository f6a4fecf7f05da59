package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/scheduler"
)

// cmdReminders prints the reminder calendar the plans imply, without
// sending anything: choucha reminders --from D --to D [--dept NAME].
func cmdReminders(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var c commonFlags
	var from, to, dept string
	fs := newFlagSet("reminders", stderr)
	c.register(fs)
	fs.StringVar(&from, "from", "", "first day, e.g. 2023-01-01 (default: today)")
	fs.StringVar(&to, "to", "", "last day, e.g. 2023-12-31 (default: 30 days after --from)")
	fs.StringVar(&dept, "dept", "", "only this department or section, e.g. 计量科, 潞州区, 各县区局")
	if rest, err := parseArgs(fs, args); err != nil || len(rest) > 0 {
		return errUsage
	}
	a, err := loadApp(c, slog.LevelWarn, stderr)
	if err != nil {
		return err
	}
	loc := a.cfg.Location
	start := a.now().In(loc)
	start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	if from != "" {
		if start, err = time.ParseInLocation("2006-01-02", from, loc); err != nil {
			return fmt.Errorf("--from %q: want a date like 2023-01-01", from)
		}
	}
	end := start.AddDate(0, 0, 30)
	if to != "" {
		if end, err = time.ParseInLocation("2006-01-02", to, loc); err != nil {
			return fmt.Errorf("--to %q: want a date like 2023-12-31", to)
		}
	}
	if end.Before(start) {
		return fmt.Errorf("--to %s is before --from %s", end.Format("2006-01-02"), start.Format("2006-01-02"))
	}
	deptName := ""
	if dept != "" {
		u, ok := a.units.Resolve(dept)
		if !ok {
			return fmt.Errorf("--dept %q: not a section or county bureau of departments.* in the config (sections: %s; county bureaus: %s; or 市局, 各县区局)",
				dept, strings.Join(a.units.Sections(), ", "), strings.Join(a.units.Counties(), ", "))
		}
		deptName = u.Name
	}
	rules, cal, err := a.reminderRules()
	if err != nil {
		return err
	}
	var all []reminder.Reminder
	for _, p := range a.plans.Plans() {
		if u := reminder.Unmapped(p, scheduler.ReminderOptions(a.cfg)); len(u) > 0 {
			fmt.Fprintf(stderr, "注意：%d年度计划中这些部门未在 reminders.recipients 中配置接收人，它们的提醒不会发送：%s\n",
				p.Year, strings.Join(u, "、"))
		}
		all = append(all, reminder.Calendar(p, rules, cal, start, end, deptName)...)
	}
	return reminder.FormatCalendar(stdout, all)
}

// cmdOutbox lists and re-sends the outbox's dead letters:
// choucha outbox list | retry ID | retry --all, flags anywhere.
func cmdOutbox(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var c commonFlags
	var all bool
	fs := newFlagSet("outbox", stderr)
	c.register(fs)
	fs.BoolVar(&all, "all", false, "with retry: every dead letter")
	words, err := parseArgs(fs, args)
	if err != nil || len(words) == 0 {
		return errUsage
	}
	if all {
		words = append(words, "--all")
	}
	a, err := loadApp(c, slog.LevelWarn, stderr)
	if err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, a.log)
	ob, err := outbox.New(outbox.Options{Redis: st.Client, Prefix: st.Prefix, Config: a.cfg.Outbox, Logger: a.log})
	if err != nil {
		return err
	}
	return ob.RunCommand(ctx, words, stdout)
}
