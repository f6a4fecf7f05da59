package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// DrawDeps is what the draw commands need (Deps.Draw).
type DrawDeps struct {
	Directories directory.Store
	Draws       draw.Store
	Audit       audit.Log
	// Sender tells inspectors their assignments (the outbox).
	Sender reply.Sender
	// Params are the draw parameters from config (draw.*, departments.*).
	Params draw.Params
	// ConfirmTTL: a preview waits this long for 确认 (config draw.confirm_timeout).
	ConfirmTTL time.Duration
	// Heads maps a userid to the unit it heads (config department_heads).
	Heads map[string]string
	// Media fetches a file a user sent (the channel's media/get); nil:
	// files are not taken.
	Media MediaFetcher
	// MaxFileBytes bounds an imported file (config directories.max_file_mb).
	MaxFileBytes int64
	// NewSeed makes a draw's seed; default draw.NewSeed (crypto/rand).
	NewSeed func() (draw.Seed, error)
}

// MediaFetcher returns the bytes and file name of a file or image a user
// sent (Request.Media) through the request's channel.
type MediaFetcher func(ctx context.Context, req *Request) (data []byte, name string, err error)

// draws are the admin draw commands, the directories and the
// assignments' views.
type draws struct {
	DrawDeps
	plans   *plan.Catalog
	units   *department.Vocabulary
	dialogs *Dialogs
	log     *slog.Logger
	uploads *planUploads // plan files sent in chat; nil: not taken
}

// Flow names.
const drawFlow = "draw"

// Role names, as the audit log writes them.
const (
	roleAdmin     = "管理员"
	roleHead      = "科室负责人"
	roleInspector = "检查人员"
)

// RoleOf is the audit log's role name of someone running a command from
// the shell: an admin's userid, or shell access alone.
func RoleOf(admin bool) string {
	if admin {
		return roleAdmin
	}
	return "命令行"
}

func (d *draws) role(req *Request) string {
	switch {
	case req.Admin:
		return roleAdmin
	case d.Heads[req.UserID] != "" || req.Leader:
		return roleHead
	}
	return roleInspector
}

// record appends to the audit log; a failure is logged, never shown.
func (d *draws) record(ctx context.Context, req *Request, action, target, outcome, detail string) {
	if d.Audit == nil {
		return
	}
	e := audit.Entry{At: req.Now, User: req.UserID, Role: d.role(req), Channel: req.Channel,
		Action: action, Target: target, Outcome: outcome, Detail: detail}
	if err := d.Audit.Append(ctx, e); err != nil {
		d.log.ErrorContext(ctx, "audit log append failed", "action", action, "user", req.UserID, "err", err)
	}
}

// refuse answers a non-admin politely and audits the refusal.
func (d *draws) refuse(ctx context.Context, req *Request, action string) (reply.Reply, error) {
	d.record(ctx, req, action, strings.TrimSpace(req.Text), audit.Refused, "仅管理员可执行")
	return reply.Text(fmt.Sprintf("抱歉，“%s”仅限管理员使用。如需抽取或导入名录，请联系管理员。", action)), nil
}

// routes are the draw entries of the route table. They come before the
// plan questions: "抽取结果 8" is a command, not a question about 8.
func (d *draws) routes() []Route {
	return []Route{
		{Name: "draw-records", Match: Match{Exact: []string{"抽取记录", "抽签记录", "抽取历史"}}, Handler: d.handleRecords},
		{Name: "draw-result", Match: Match{Prefix: "抽取结果"}, Handler: d.handleResult},
		{Name: "redraw", Match: Match{Prefix: "重新抽取"}, Handler: d.handleRedraw},
		{Name: "draw", Match: Match{Prefix: "抽取"}, Handler: d.handleDraw},
		{Name: "confirm-nothing", Match: Match{Exact: []string{"确认", "确定"}}, Handler: func(context.Context, *Request) (reply.Reply, error) {
			return reply.Text("当前没有待确认的操作（可能已超时取消）。如需抽取，请重新发送“抽取 任务编号”。"), nil
		}},
		{Name: "cancel-nothing", Match: Match{Exact: []string{"取消", "上一步", "跳过"}}, Handler: func(context.Context, *Request) (reply.Reply, error) {
			return reply.Text("当前没有进行中的操作。发送“帮助”查看我能做什么。"), nil
		}},
		{Name: "directories", Match: Match{Exact: []string{"名录", "名录库", "名录信息"}}, Handler: d.handleDirectories},
		{Name: "my-assignments", Match: Match{Exact: []string{"我的任务", "我的抽查任务", "我的检查任务", "我的检查对象"}}, Handler: d.handleMine},
		{Name: "export", Match: Match{Prefix: "导出"}, Handler: d.handleExport},
		{Name: "file-import", Match: Match{Func: func(req *Request, _ *question.Query) bool {
			return req.Kind == KindFile && req.Media != nil
		}}, Handler: d.handleFile},
	}
}

// itemArg resolves what follows a command word ("8", "任务8", "第十五项",
// "15-2") to one plan item, or says why not.
func (d *draws) itemArg(p *plan.Plan, arg, command string) (*plan.Item, string) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return nil, fmt.Sprintf("请在“%s”后写任务编号，例如“%s 8”或“%s 15-2”。", command, command, command)
	}
	q := question.Parse("任务" + strings.TrimPrefix(strings.TrimPrefix(arg, "任务"), "第"))
	if q.Ref == nil {
		return nil, fmt.Sprintf("没看懂“%s”是哪个任务。请写任务编号，例如“%s 8”或“%s 15-2”。", arg, command, command)
	}
	r := *q.Ref
	if r.Index == 0 {
		t, ok := p.Task(r.Serial)
		if !ok {
			return nil, fmt.Sprintf("%d年度计划中没有任务%d（计划中的任务编号：%s）。", p.Year, r.Serial, serials(p))
		}
		if len(t.Items) > 1 {
			ids := make([]string, len(t.Items))
			for i, it := range t.Items {
				ids[i] = "“" + command + " " + it.ID + "”"
			}
			return nil, fmt.Sprintf("任务%d有%d个抽查事项，请分别指定：%s。", r.Serial, len(t.Items), strings.Join(ids, "或"))
		}
		return t.Items[0], ""
	}
	it, ok := p.Item(r.String())
	if !ok {
		return nil, fmt.Sprintf("%d年度计划中没有抽查事项%s。", p.Year, r.String())
	}
	return it, ""
}

func serials(p *plan.Plan) string {
	var s []string
	for _, t := range p.Tasks {
		s = append(s, fmt.Sprint(t.Serial))
	}
	return strings.Join(s, "、")
}

// planNow is the plan a command works on: the one for now's year, else
// the latest loaded, with a note saying so.
func (d *draws) planNow(now time.Time) (*plan.Plan, string, error) {
	if d.plans == nil {
		return nil, "", reply.Errorf("no_plan", "抽查计划尚未加载，请联系管理员。")
	}
	p := d.plans.Current(now)
	if p == nil {
		return nil, "", reply.Errorf("no_plan", "抽查计划尚未加载，请联系管理员。")
	}
	note := ""
	if p.Year != now.Year() {
		note = fmt.Sprintf("注意：尚未导入%d年度抽查计划，以下按已导入的%d年度计划办理。", now.Year(), p.Year)
	}
	return p, note, nil
}

func (d *draws) handleDraw(ctx context.Context, req *Request) (reply.Reply, error) {
	return d.startDraw(ctx, req, strings.TrimPrefix(question.Normalize(req.Text), "抽取"), "", false)
}

func (d *draws) handleRedraw(ctx context.Context, req *Request) (reply.Reply, error) {
	rest := strings.TrimPrefix(question.Normalize(req.Text), "重新抽取")
	arg, reason := rest, ""
	for _, sep := range []string{"原因:", "原因", "理由:", "理由", ",", "，"} {
		if a, r, ok := strings.Cut(rest, sep); ok {
			arg, reason = a, strings.Trim(r, ":： ")
			break
		}
	}
	return d.startDraw(ctx, req, arg, reason, true)
}

// startDraw previews a draw and asks for 确认.
func (d *draws) startDraw(ctx context.Context, req *Request, arg, reason string, redraw bool) (reply.Reply, error) {
	action := "抽取"
	command := "抽取"
	if redraw {
		action, command = "重新抽取", "重新抽取"
	}
	if !req.Admin {
		return d.refuse(ctx, req, action)
	}
	p, note, err := d.planNow(req.Now)
	if err != nil {
		return reply.Reply{}, err
	}
	it, msg := d.itemArg(p, arg, command)
	if it == nil {
		d.record(ctx, req, action, arg, audit.Failed, msg)
		return reply.Text(msg), nil
	}
	target := "任务" + it.ID
	cur, err := d.Draws.Current(ctx, p.Year, it.ID)
	if err != nil {
		return reply.Reply{}, err
	}
	switch {
	case cur != nil && !redraw:
		msg := fmt.Sprintf("%d年度任务%s已于%s由%s抽取（批次 %s）。\n查看结果请发送“抽取结果 %s”；如确需重新抽取，请发送“重新抽取 %s 原因：……”，原抽取记录会保留。",
			p.Year, it.ID, cur.At.In(req.Now.Location()).Format("2006-01-02 15:04"), cur.Operator, cur.ID, it.ID, it.ID)
		d.record(ctx, req, action, target, audit.Refused, "已抽取过")
		return reply.Text(msg), nil
	case redraw && cur == nil:
		return reply.Text(fmt.Sprintf("%d年度任务%s还没有抽取过，请直接发送“抽取 %s”。", p.Year, it.ID, it.ID)), nil
	case redraw && len([]rune(reason)) < 2:
		return reply.Text(fmt.Sprintf("重新抽取需要写明原因，例如“重新抽取 %s 原因：名录更新后补抽”。原因会写入抽取记录。", it.ID)), nil
	}
	in, msg, err := d.input(ctx, it)
	if err != nil || msg != "" {
		return reply.Text(msg), err
	}
	out, err := draw.Preview(in)
	if err != nil {
		d.record(ctx, req, action, target, audit.Failed, err.Error())
		return reply.Text(fmt.Sprintf("无法抽取任务%s：%v", it.ID, err)), nil
	}
	if ferr := out.Err(); ferr != nil {
		d.record(ctx, req, action, target, audit.Failed, ferr.Error())
		return reply.Text(fmt.Sprintf("无法抽取%d年度任务%s，未保存任何内容：\n%v\n请补充检查人员名录后重试。", p.Year, it.ID, ferr)), nil
	}
	data := map[string]string{
		"year": fmt.Sprint(p.Year), "item": it.ID, "entities": in.Entities.Hash, "inspectors": in.Inspectors.Hash,
		"reason": reason,
	}
	if cur != nil {
		data["replaces"] = cur.ID
	}
	preview := previewMarkdown(p, it, out, in, cur, reason, note)
	start, err := d.dialogs.Start(ctx, req, drawFlow, data)
	if err != nil {
		return reply.Reply{}, err
	}
	d.record(ctx, req, action, target, audit.OK, "预览，等待确认")
	return reply.Markdown(preview).Then(start), nil
}

// input builds the draw input for it from the current directories.
func (d *draws) input(ctx context.Context, it *plan.Item) (draw.Input, string, error) {
	ents, err := d.Directories.Entities(ctx)
	if err != nil {
		return draw.Input{}, "", err
	}
	insp, err := d.Directories.Inspectors(ctx)
	if err != nil {
		return draw.Input{}, "", err
	}
	switch {
	case ents == nil && insp == nil:
		return draw.Input{}, "尚未导入检查对象名录和执法检查人员名录。请管理员发送名录文件，或运行 go run . import entities|inspectors 文件。", nil
	case ents == nil:
		return draw.Input{}, "尚未导入检查对象名录。", nil
	case insp == nil:
		return draw.Input{}, "尚未导入执法检查人员名录。", nil
	}
	return draw.Input{Item: it, Entities: ents, Inspectors: insp, Params: d.Params}, "", nil
}

// previewMarkdown shows what a draw will do: per group and risk class,
// candidates and the number drawn, and the inspector pools.
func previewMarkdown(p *plan.Plan, it *plan.Item, out *draw.Outline, in draw.Input, cur *draw.Record, reason, note string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## 抽取预览：%d年度 任务%s %s\n", p.Year, it.ID, itemTitle(it))
	if note != "" {
		fmt.Fprintf(&b, "> %s\n", note)
	}
	fmt.Fprintf(&b, "抽查比例：%s；信用风险要求：%s\n", it.Ratio.Raw, map[bool]string{true: "按风险分类递加比例", false: "统一比例随机抽取"}[out.Differentiated])
	total, cands := 0, 0
	for _, g := range out.Groups {
		total += g.Draw
		cands += g.Candidates
	}
	fmt.Fprintf(&b, "共 %d 户候选（存续/在业且属于本任务），将抽取 **%d** 户，每户 %d 名检查人员。\n", cands, total, in.Params.InspectorsPerEntity)
	for _, g := range out.Groups {
		if g.Candidates == 0 {
			continue
		}
		var cls []string
		for _, c := range g.Classes {
			label := "全部"
			if c.Class != "" || out.Differentiated {
				label = c.Class.Label()
			}
			cls = append(cls, fmt.Sprintf("%s %d/%d", label, c.Draw, c.Candidates))
		}
		extra := ""
		if g.Extra > 0 {
			extra = fmt.Sprintf("，另按最低户数补足 %d 户", g.Extra)
		}
		fmt.Fprintf(&b, "**%s**：抽 %d/%d 户（%s%s）；检查人员 %d 名\n", g.Group, g.Draw, g.Candidates, strings.Join(cls, "，"), extra, g.Inspectors)
	}
	fmt.Fprintf(&b, "<font color=\"comment\">名录：检查对象 %s，检查人员 %s</font>\n", shortHash(in.Entities.Hash), shortHash(in.Inspectors.Hash))
	if cur != nil {
		fmt.Fprintf(&b, "<font color=\"warning\">将替换批次 %s（原记录保留），原因：%s</font>\n", cur.ID, reason)
	}
	return b.String()
}

func shortHash(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}

func itemTitle(it *plan.Item) string {
	name := it.Name()
	if it.Task != nil && len(it.Task.Items) > 1 {
		m, _, _ := strings.Cut(strings.TrimSpace(it.Matter), " ")
		name += "（" + m + "）"
	}
	return name
}

// flow is the draw confirmation: one step, 确认 commits, anything else
// (or the timeout) cancels.
func (d *draws) flow() *dialog.Flow {
	return &dialog.Flow{
		Name: drawFlow, Title: "抽取确认", First: "confirm", TTL: d.ConfirmTTL,
		Cancelled: "已取消本次抽取，没有保存任何内容。",
		// A stale preview must never be confirmed: no draft.
		NoDraft: true,
		Steps: []dialog.Step{{
			Name: "confirm",
			Prompt: func(s *dialog.State) string {
				return fmt.Sprintf("确认执行%s年度任务%s的抽取？回复“确认”执行，回复其他内容取消。", s.Get("year"), s.Get("item"))
			},
			Options: func(*dialog.State) []reply.Option {
				return []reply.Option{{Key: "confirm", Text: "确认抽取"}, {Key: "cancel", Text: "取消"}}
			},
			Free: true,
			Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				yes := slices.Contains(in.Choice, "confirm") ||
					(len(in.Choice) == 0 && slices.Contains([]string{"确认", "确定", "确认抽取", "是", "好", "ok"}, strings.ToLower(strings.TrimSpace(in.Text))))
				if !yes {
					s.Set("cancelled", "1")
				}
				return dialog.Done, nil
			},
		}},
		Finish: d.commit,
		// "取消" never reaches Parse or Finish: audit it here like any
		// other answer that is not 确认.
		OnCancel: func(ctx context.Context, s *dialog.State, in dialog.Input) {
			req := &Request{UserID: in.UserID, Admin: in.Admin, Now: in.Now, Channel: "dialog", Text: in.Text}
			d.record(ctx, req, drawAction(s), "任务"+s.Get("item"), audit.Cancel, "未确认")
		},
	}
}

// drawAction is how the audit log names the draw of s.
func drawAction(s *dialog.State) string {
	if s.Get("replaces") != "" {
		return "重新抽取"
	}
	return "抽取"
}

// commit runs the confirmed draw: the same inputs as the preview, a fresh
// seed, the record saved only if nobody drew the item meanwhile, then the
// inspectors told through the outbox.
func (d *draws) commit(ctx context.Context, s *dialog.State, in dialog.Input) (reply.Reply, error) {
	req := &Request{UserID: in.UserID, Admin: in.Admin, Now: in.Now, Channel: in.Channel, Text: "确认"}
	target := "任务" + s.Get("item")
	action := drawAction(s)
	if s.Get("cancelled") != "" {
		d.record(ctx, req, action, target, audit.Cancel, "未确认")
		return reply.Text("未确认，已取消本次抽取，没有保存任何内容。"), nil
	}
	if !in.Admin {
		return d.refuse(ctx, req, action)
	}
	var year int
	fmt.Sscan(s.Get("year"), &year)
	p, ok := d.plans.ForYear(year)
	if !ok {
		return reply.Text(fmt.Sprintf("%d年度计划已不在加载的计划中，本次抽取已取消。", year)), nil
	}
	it, ok := p.Item(s.Get("item"))
	if !ok {
		return reply.Text("计划中已没有这个抽查事项，本次抽取已取消。"), nil
	}
	din, msg, err := d.input(ctx, it)
	if err != nil || msg != "" {
		return reply.Text(msg), err
	}
	if din.Entities.Hash != s.Get("entities") || din.Inspectors.Hash != s.Get("inspectors") {
		d.record(ctx, req, action, target, audit.Failed, "预览后名录已更新")
		return reply.Text(fmt.Sprintf("预览之后名录已更新，本次抽取已取消、未保存。请重新发送“抽取 %s”查看新的预览。", it.ID)), nil
	}
	newSeed := d.NewSeed
	if newSeed == nil {
		newSeed = draw.NewSeed
	}
	seed, err := newSeed()
	if err != nil {
		return reply.Reply{}, err
	}
	res, err := draw.Draw(din, seed)
	if err != nil {
		d.record(ctx, req, action, target, audit.Failed, err.Error())
		return reply.Text(fmt.Sprintf("抽取失败，未保存任何内容：%v", err)), nil
	}
	rec := draw.NewRecord(draw.NewID(year, it.ID, in.Now, randomHex(2)), in.UserID, in.Now, year, din, seed, res)
	rec.Replaces, rec.Reason = s.Get("replaces"), s.Get("reason")
	if err := d.Draws.Commit(ctx, rec); errors.Is(err, draw.ErrConflict) {
		cur, _ := d.Draws.Current(ctx, year, it.ID)
		if ownCommit(cur, s, in) {
			// This very 确认 was committed by a process that died before
			// answering; its replay finishes the job instead of reporting
			// the admin's own draw as someone else's.
			rec = cur
			d.record(ctx, req, action, target, audit.OK, "批次 "+rec.ID+"（中断后续办），种子 "+rec.Seed.String()+"，结果 "+rec.ResultHash)
			notified, err := d.Draws.Notified(ctx, rec)
			if err == nil && !notified {
				notified = d.notify(ctx, rec, p, it, in.Now) == nil
			}
			return reply.Markdown(d.summary(ctx, rec, p, it, notified)), nil
		}
		who := ""
		if cur != nil {
			who = fmt.Sprintf("（%s 于 %s，批次 %s）", cur.Operator, cur.At.In(in.Now.Location()).Format("15:04:05"), cur.ID)
		}
		d.record(ctx, req, action, target, audit.Refused, "他人已先抽取")
		return reply.Text(fmt.Sprintf("任务%s刚刚已由其他管理员抽取%s，您的这次抽取没有保存。发送“抽取结果 %s”查看。", it.ID, who, it.ID)), nil
	} else if err != nil {
		return reply.Reply{}, err
	}
	d.record(ctx, req, action, target, audit.OK, "批次 "+rec.ID+"，种子 "+rec.Seed.String()+"，结果 "+rec.ResultHash)
	notified := true
	if err := d.notify(ctx, rec, p, it, in.Now); err != nil {
		// The record is saved; NotifyPending (Router.Resume at the next
		// start) sends the rest.
		d.log.ErrorContext(ctx, "draw: telling inspectors failed; will retry", "draw", rec.ID, "err", err)
		notified = false
	}
	return reply.Markdown(d.summary(ctx, rec, p, it, notified)), nil
}

// ownCommit reports whether cur, the item's current draw, was saved by
// the confirmation of this dialog (the same admin, after the preview, from
// the previewed directories, replacing the same draw): the message was
// handled before by a process that stopped before it answered.
func ownCommit(cur *draw.Record, s *dialog.State, in dialog.Input) bool {
	return cur != nil && cur.Operator == in.UserID && !cur.At.Before(s.Started) &&
		cur.Replaces == s.Get("replaces") && cur.EntitiesHash == s.Get("entities") && cur.InspectorsHash == s.Get("inspectors")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// summary is the admin's view of a committed draw; notified says whether
// every inspector's notice was handed to the sender.
func (d *draws) summary(ctx context.Context, rec *draw.Record, p *plan.Plan, it *plan.Item, notified bool) string {
	var b strings.Builder
	n := 0
	for _, g := range rec.Result.Groups {
		n += len(g.Entities)
	}
	fmt.Fprintf(&b, "## 抽取完成：%d年度 任务%s %s\n", rec.Year, it.ID, itemTitle(it))
	if notified {
		fmt.Fprintf(&b, "批次 **%s**，共抽取 %d 户，已逐一向检查人员发出抽查通知（每人一条，列明其检查对象）。\n", rec.ID, n)
	} else {
		fmt.Fprintf(&b, "批次 **%s**，共抽取 %d 户，抽取结果已保存。\n<font color=\"warning\">检查人员的通知未能全部发出，服务重启时会自动补发；如急需，请先发送“抽取结果 %s”查看并转告。</font>\n", rec.ID, n, it.ID)
	}
	for _, g := range rec.Result.Groups {
		if len(g.Entities) > 0 {
			fmt.Fprintf(&b, "%s：%d 户\n", g.Group, len(g.Entities))
		}
	}
	if recs, err := d.Draws.List(ctx, rec.Year); err == nil {
		if ov := overlapsWith(recs, rec); len(ov) > 0 {
			fmt.Fprintf(&b, "\n**以下 %d 户今年还被抽中其他任务，可合并一次检查：**\n", len(ov))
			for i, o := range ov {
				if i == 10 {
					fmt.Fprintf(&b, "……共 %d 户，详见“抽取结果 %s”\n", len(ov), it.ID)
					break
				}
				fmt.Fprintf(&b, "%s（%s）：任务%s\n", o.Name, o.CreditCode, strings.Join(o.Items, "、"))
			}
		}
	}
	fmt.Fprintf(&b, "<font color=\"comment\">种子 %s；结果 %s。任何人可用 go run . draw verify %s 复核。发送“导出 %s”获取公示表。</font>", rec.Seed.String(), shortHash(rec.ResultHash), rec.ID, it.ID)
	return b.String()
}

// overlapsWith lists the entities of rec drawn under other items of the
// year's current draws.
func overlapsWith(all []*draw.Record, rec *draw.Record) []draw.Overlap {
	var out []draw.Overlap
	mine := map[string]bool{}
	for _, g := range rec.Result.Groups {
		for _, e := range g.Entities {
			mine[e.CreditCode] = true
		}
	}
	for _, o := range draw.Overlaps(current(all)) {
		if mine[o.CreditCode] {
			out = append(out, o)
		}
	}
	return out
}

// current keeps each item's latest draw of a year's list (oldest first).
func current(all []*draw.Record) []*draw.Record {
	latest := map[string]*draw.Record{}
	var order []string
	for _, r := range all {
		if _, ok := latest[r.ItemID]; !ok {
			order = append(order, r.ItemID)
		}
		latest[r.ItemID] = r
	}
	out := make([]*draw.Record, 0, len(order))
	for _, id := range order {
		out = append(out, latest[id])
	}
	return out
}
