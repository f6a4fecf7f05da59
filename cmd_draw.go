package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/export"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/store"
)

// cliUser is who runs a command: --user, else the OS user, as "cli:<name>"
// in records.
func cliUser(flag string) string {
	if flag != "" {
		return flag
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

// cmdImport imports a directory file: choucha import entities|inspectors FILE.
func cmdImport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var c commonFlags
	var who string
	fs := newFlagSet("import", stderr)
	c.register(fs)
	fs.StringVar(&who, "user", "", "who imports (recorded; default the OS user)")
	rest, err := parseArgs(fs, args)
	if err != nil || len(rest) != 2 {
		return errUsage
	}
	kind := map[string]string{"entities": directory.KindEntities, "inspectors": directory.KindInspectors,
		"检查对象": directory.KindEntities, "检查人员": directory.KindInspectors}[rest[0]]
	if kind == "" {
		fmt.Fprintf(stderr, "import: %q is not entities or inspectors\n", rest[0])
		return errUsage
	}
	a, err := loadApp(c, slog.LevelWarn, stderr)
	if err != nil {
		return err
	}
	path := rest[1]
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if max := int64(a.cfg.Directories.MaxFileMB) << 20; st.Size() > max {
		return fmt.Errorf("%s: %.1f MB is over directories.max_file_mb (%d MB); nothing imported", path, float64(st.Size())/(1<<20), a.cfg.Directories.MaxFileMB)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore(s, a.log)
	by := cliUser(who)
	log := store.NewAudit(s.Client, s.Prefix)
	entry := audit.Entry{At: a.now(), User: by, Role: handlers.RoleOf(a.isAdmin(by)), Channel: "cli",
		Action: "导入" + directory.KindLabel(kind), Target: filepath.Base(path)}
	l, err := directory.Load(ctx, store.NewDirectories(s.Client, s.Prefix), kind, filepath.Base(path), data, a.importOptions(), by, a.now())
	if err != nil {
		entry.Outcome, entry.Detail = audit.Failed, firstLine(err.Error())
		_ = log.Append(ctx, entry)
		var ie *directory.ImportError
		if errors.As(err, &ie) {
			return fmt.Errorf("名录未导入，原有名录保持不变：\n%s", ie.Error())
		}
		return err
	}
	entry.Outcome, entry.Detail = audit.OK, fmt.Sprintf("%d 行，%s", l.Meta.Rows, l.Meta.Hash)
	if err := log.Append(ctx, entry); err != nil {
		return err
	}
	fmt.Fprintln(stdout, handlers.LoadedSummary(l))
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// cmdDraw runs the draw commands:
//
//	choucha draw --task 8 --user ADMIN [--yes] [--year 2023] [--reason TEXT]
//	choucha draw list [--year 2023]
//	choucha draw verify DRAW_ID
func cmdDraw(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c commonFlags
	var task, who, reason string
	var yes bool
	var year int
	fs := newFlagSet("draw", stderr)
	c.register(fs)
	fs.StringVar(&task, "task", "", "plan item to draw, e.g. 8 or 15-2")
	fs.StringVar(&who, "user", "", "the admin who draws (a userid listed under admins)")
	fs.BoolVar(&yes, "yes", false, "confirm without asking")
	fs.IntVar(&year, "year", 0, "plan year: needed with --yes when it is not the current year; list: the year")
	fs.StringVar(&reason, "reason", "", "re-draw an item that was drawn, for this reason")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return errUsage
	}
	a, err := loadApp(c, slog.LevelWarn, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 1 && rest[0] == "list":
		return a.drawList(ctx, year, stdout)
	case len(rest) == 2 && rest[0] == "verify":
		return a.drawVerify(ctx, rest[1], stdout)
	case len(rest) > 0 || task == "":
		return errUsage
	}
	if who == "" || !a.isAdmin(who) {
		return fmt.Errorf("--user %q is not listed under admins in %s: only admins draw", who, c.config)
	}
	now := a.now().In(a.cfg.Location)
	h, st, err := a.consoleHandler(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, a.log)
	// After the store is open: the plans loaded in chat count too.
	if p := a.plans.Current(now); p != nil && p.Year != now.Year() && yes && year != p.Year {
		return fmt.Errorf("the loaded plan is %d's but today is in %d: confirm with --year %d", p.Year, now.Year(), p.Year)
	}
	user := bot.ConsoleUser{ID: who, Admin: true}
	cmd := "抽取 " + task
	if reason != "" {
		cmd = "重新抽取 " + task + " 原因：" + reason
	}
	rep, _ := bot.Ask(ctx, h, cmd, now, user)
	fmt.Fprintln(stdout, bot.PlainText(rep, false))
	if !strings.Contains(rep.Text, "抽取预览") {
		return errors.New("nothing drawn")
	}
	answer := "确认"
	if !yes {
		fmt.Fprint(stdout, "输入“确认”执行抽取，其他内容取消：")
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		answer = strings.TrimSpace(line)
	}
	rep, _ = bot.Ask(ctx, h, answer, now, user)
	fmt.Fprintln(stdout, bot.PlainText(rep, false))
	if !strings.Contains(rep.Text, "抽取完成") {
		return errors.New("nothing drawn")
	}
	return nil
}

// drawList prints every draw of the loaded plans' years (or one year).
func (a *app) drawList(ctx context.Context, year int, stdout io.Writer) error {
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, a.log)
	draws := store.NewDraws(st.Client, st.Prefix)
	n := 0
	for _, p := range a.plans.Plans() {
		if year != 0 && p.Year != year {
			continue
		}
		recs, err := draws.List(ctx, p.Year)
		if err != nil {
			return err
		}
		for _, r := range recs {
			count := 0
			for _, g := range r.Result.Groups {
				count += len(g.Entities)
			}
			extra := ""
			if r.Replaces != "" {
				extra = "  replaces " + r.Replaces + " (" + r.Reason + ")"
			}
			fmt.Fprintf(stdout, "%s  %d  item %-5s  %4d entities  %s  by %s  result %s%s\n", r.ID, r.Year, r.ItemID, count,
				r.At.In(a.cfg.Location).Format("2006-01-02 15:04:05"), r.Operator, r.ResultHash, extra)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(stdout, "no draws yet")
	}
	return nil
}

// drawVerify re-runs a draw from its record and the snapshots it used, and
// fails unless the result is identical.
func (a *app) drawVerify(ctx context.Context, id string, stdout io.Writer) error {
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, a.log)
	rec, err := store.NewDraws(st.Client, st.Prefix).Get(ctx, id)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("no draw %q (see choucha draw list)", id)
	}
	p, ok := a.plans.ForYear(rec.Year)
	if !ok {
		return fmt.Errorf("draw %s is of %d's plan, which is not loaded (plans in %s)", id, rec.Year, "config")
	}
	it, ok := p.Item(rec.ItemID)
	if !ok {
		return fmt.Errorf("draw %s: item %s is not in the loaded %d plan", id, rec.ItemID, rec.Year)
	}
	dirs := store.NewDirectories(st.Client, st.Prefix)
	ents, err := dirs.EntitiesByHash(ctx, rec.EntitiesHash)
	if err != nil {
		return err
	}
	insp, err := dirs.InspectorsByHash(ctx, rec.InspectorsHash)
	if err != nil {
		return err
	}
	if ents == nil || insp == nil {
		return fmt.Errorf("draw %s: the directory snapshots it used (%s, %s) are not in Redis", id, rec.EntitiesHash, rec.InspectorsHash)
	}
	if err := draw.Verify(rec, it, ents, insp); err != nil {
		fmt.Fprintf(stdout, "MISMATCH %s: %v\n", id, err)
		return fmt.Errorf("draw %s does not reproduce", id)
	}
	fmt.Fprintf(stdout, "OK %s: re-run with seed %s over entities %s and inspectors %s gives %s (%s)\n",
		id, rec.Seed.String(), rec.EntitiesHash, rec.InspectorsHash, rec.ResultHash, draw.Algorithm)
	return nil
}

// cmdExport writes a draw, or the check results of an item, for
// publication or internal use:
//
//	choucha export draw --task 8 --format xlsx|csv -o FILE [--layout publication|internal] [--year 2023]
//	choucha export findings --task 8 --format xlsx|csv -o FILE [--layout publication|internal] [--year 2023]
func cmdExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var c commonFlags
	var task, format, out, layout string
	var year int
	fs := newFlagSet("export", stderr)
	c.register(fs)
	fs.StringVar(&task, "task", "", "plan item, e.g. 8 or 15-2")
	fs.StringVar(&format, "format", "xlsx", "xlsx or csv")
	fs.StringVar(&out, "o", "", "output file")
	fs.StringVar(&layout, "layout", "publication", "publication (公示: no risk class, no inspectors) or internal")
	fs.IntVar(&year, "year", 0, "plan year (default: the plan of today, or --now)")
	rest, err := parseArgs(fs, args)
	if err != nil || len(rest) != 1 || (rest[0] != "draw" && rest[0] != "findings") || task == "" || out == "" {
		return errUsage
	}
	f, err := export.ParseFormat(format)
	if err != nil {
		return err
	}
	lay, ok := map[string]export.Layout{"publication": export.Publication, "公示": export.Publication, "internal": export.Internal, "内部": export.Internal}[layout]
	if !ok {
		return fmt.Errorf("--layout %q: want publication or internal", layout)
	}
	a, err := loadApp(c, slog.LevelWarn, stderr)
	if err != nil {
		return err
	}
	// The store first: it brings in the plans loaded in chat.
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st, a.log)
	p := a.plans.Current(a.now())
	if year != 0 {
		var ok bool
		if p, ok = a.plans.ForYear(year); !ok {
			return fmt.Errorf("--year %d: no plan of that year is loaded", year)
		}
	}
	if p == nil {
		return errors.New("no plan loaded")
	}
	it, ok := p.Item(task)
	if !ok {
		return fmt.Errorf("--task %s: the %d plan has no such item", task, p.Year)
	}
	if rest[0] == "findings" {
		t, err := handlers.FindingsExport(ctx, store.NewDirectories(st.Client, st.Prefix), store.NewDraws(st.Client, st.Prefix),
			store.NewFindings(st.Client, st.Prefix), p.Year, it, lay)
		if err != nil {
			return err
		}
		if err := writeFile(out, func(w io.Writer) error { return export.Write(w, f, t) }); err != nil {
			return err
		}
		_ = store.NewAudit(st.Client, st.Prefix).Append(ctx, audit.Entry{At: a.now(), User: cliUser(""), Role: handlers.RoleOf(false),
			Channel: "cli", Action: "导出结果", Target: "任务" + it.ID, Outcome: audit.OK, Detail: fmt.Sprintf("%s %d 条 → %s", lay, len(t.Rows), out)})
		fmt.Fprintf(stdout, "wrote %s: %d findings (%s layout)\n", out, len(t.Rows), layout)
		return nil
	}
	rec, err := store.NewDraws(st.Client, st.Prefix).Current(ctx, p.Year, it.ID)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("item %s of %d has not been drawn", it.ID, p.Year)
	}
	t, err := handlers.DrawExport(ctx, store.NewDirectories(st.Client, st.Prefix), rec, it, lay)
	if err != nil {
		return err
	}
	if err := writeFile(out, func(w io.Writer) error { return export.Write(w, f, t) }); err != nil {
		return err
	}
	_ = store.NewAudit(st.Client, st.Prefix).Append(ctx, audit.Entry{At: a.now(), User: cliUser(""), Role: handlers.RoleOf(false),
		Channel: "cli", Action: "导出", Target: "任务" + it.ID, Outcome: audit.OK, Detail: lay.String() + " " + rec.ID + " → " + out})
	fmt.Fprintf(stdout, "wrote %s: %d rows (%s layout, draw %s)\n", out, len(t.Rows), layout, rec.ID)
	return nil
}

// cmdAudit exports the audit log: choucha audit export [-o FILE] [--format csv|xlsx].
func cmdAudit(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var c commonFlags
	var format, out string
	fs := newFlagSet("audit", stderr)
	c.register(fs)
	fs.StringVar(&format, "format", "csv", "csv or xlsx")
	fs.StringVar(&out, "o", "", "output file (default: standard output, csv only)")
	rest, err := parseArgs(fs, args)
	if err != nil || len(rest) != 1 || rest[0] != "export" {
		return errUsage
	}
	f, err := export.ParseFormat(format)
	if err != nil {
		return err
	}
	if out == "" && f != export.CSV {
		return errors.New("-o FILE is needed for xlsx")
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
	entries, err := store.NewAudit(st.Client, st.Prefix).All(ctx)
	if err != nil {
		return err
	}
	t := export.AuditTable(entries)
	if out == "" {
		return export.Write(stdout, f, t)
	}
	if err := writeFile(out, func(w io.Writer) error { return export.Write(w, f, t) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d entries\n", out, len(entries))
	return nil
}

// writeFile writes path through a temporary file renamed into place, so a
// failed write leaves no half file.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
