package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reply"
)

// planUploads loads the plan files admins send in chat: a summary to check,
// 确认, then the live catalog (plan.Live) every replica answers from.
type planUploads struct {
	d    *draws // audit, admin roles, media, dialogs
	live *plan.Live
}

// Flow name and audit action of a plan load.
const (
	planFlow   = "plan"
	planAction = "导入抽查计划"
)

// planStageSlack keeps a staged file a little longer than its preview
// waits for 确认 (draw.confirm_timeout, at least an hour counted here).
const planStageSlack = 10 * time.Minute

// routes are the plan commands of the route table.
func (u *planUploads) routes() []Route {
	return []Route{
		{Name: "plan-list", Match: Match{Exact: []string{"计划列表", "已加载计划", "已导入计划", "计划导入记录"}}, Handler: u.handleList},
	}
}

// handleFile previews a plan file an admin sent (handleFile has checked
// the role and fetched it) and asks for 确认.
func (u *planUploads) handleFile(ctx context.Context, req *Request, name string, data []byte) (reply.Reply, error) {
	p, err := plan.ParseFile(name, data)
	var pe *plan.ParseError
	if errors.As(err, &pe) {
		u.d.record(ctx, req, planAction, name, audit.Failed, pe.Error())
		return reply.Text("抽查计划未导入，已加载的计划保持不变。请修改后重新发送：\n" + pe.Chinese()), nil
	}
	if err != nil {
		return reply.Reply{}, err
	}
	hash := plan.Hash(data)
	cur, had := u.live.Entry(p.Year)
	if had && cur.Hash == hash {
		u.d.record(ctx, req, planAction, name, audit.Refused, "与已加载的计划相同 "+hash)
		return reply.Text(fmt.Sprintf("%s 与已加载的%d年度计划（%s）内容完全相同，无需重新导入。", name, p.Year, origin(cur, req.Now.Location()))), nil
	}
	prev := ""
	if had && cur.Upload != nil {
		prev = cur.Upload.Hash
	}
	if err := u.live.Stage(ctx, hash, data, max(u.d.ConfirmTTL, time.Hour)+planStageSlack); err != nil {
		return reply.Reply{}, err
	}
	data2 := map[string]string{"year": strconv.Itoa(p.Year), "file": name, "hash": hash, "prev": prev}
	start, err := u.d.dialogs.Start(ctx, req, planFlow, data2)
	if err != nil {
		return reply.Reply{}, err
	}
	u.d.record(ctx, req, planAction, name, audit.OK, fmt.Sprintf("预览 %d年度，%s，等待确认", p.Year, hash))
	var old *plan.Entry
	if had {
		old = &cur
	}
	return reply.Markdown(planSummary(p, name, hash, old, req.Now)).Then(start), nil
}

// planSummary is the Chinese preview of a plan file: its year, tasks and
// items, windows, items without a window, what looks odd, and the plan it
// replaces (old; nil for a new year).
func planSummary(p *plan.Plan, file, hash string, old *plan.Entry, now time.Time) string {
	var b strings.Builder
	items := p.Items()
	fmt.Fprintf(&b, "## 抽查计划预览：%d年度\n", p.Year)
	fmt.Fprintf(&b, "文件 %s，指纹 %s\n", file, shortHash(hash))
	if p.Title != "" {
		fmt.Fprintf(&b, "标题：%s\n", p.Title)
	}
	fmt.Fprintf(&b, "共 **%d** 项编号任务、**%d** 个抽查事项", len(p.Tasks), len(items))
	var multi []string
	for _, t := range p.Tasks {
		if len(t.Items) > 1 {
			multi = append(multi, fmt.Sprintf("任务%d有%d个", t.Serial, len(t.Items)))
		}
	}
	if len(multi) > 0 {
		fmt.Fprintf(&b, "（%s）", strings.Join(multi, "，"))
	}
	b.WriteString("\n**抽查时间**\n")
	type window struct {
		w   plan.Window
		ids []string
	}
	var windows []*window
	var none []string
	for _, it := range items {
		if !it.Window.Has() {
			none = append(none, it.ID)
			continue
		}
		i := slices.IndexFunc(windows, func(w *window) bool {
			return w.w.StartMonth == it.Window.StartMonth && w.w.EndMonth == it.Window.EndMonth
		})
		if i < 0 {
			windows = append(windows, &window{w: it.Window})
			i = len(windows) - 1
		}
		windows[i].ids = append(windows[i].ids, it.ID)
	}
	slices.SortStableFunc(windows, func(a, b *window) int {
		if a.w.StartMonth != b.w.StartMonth {
			return a.w.StartMonth - b.w.StartMonth
		}
		return a.w.EndMonth - b.w.EndMonth
	})
	for _, w := range windows {
		fmt.Fprintf(&b, "%s：任务%s（%d项）\n", w.w.String(), strings.Join(w.ids, "、"), len(w.ids))
	}
	if len(none) > 0 {
		fmt.Fprintf(&b, "未注明起止时间：任务%s（%d项）\n", strings.Join(none, "、"), len(none))
	}
	if notes := planNotes(p, old, now); len(notes) > 0 {
		b.WriteString("**请留意**\n")
		for _, n := range notes {
			b.WriteString("- " + n + "\n")
		}
	}
	if old != nil {
		fmt.Fprintf(&b, "<font color=\"warning\">将替换已导入的%d年度计划（%s）。</font>\n", p.Year, origin(*old, now.Location()))
	} else {
		fmt.Fprintf(&b, "目前没有%d年度计划，确认后新增。\n", p.Year)
	}
	return b.String()
}

// planNotes lists what looks odd in p: skipped or unordered task numbers,
// continuation rows, the year against the clock, items that differ from
// the plan it replaces.
func planNotes(p *plan.Plan, old *plan.Entry, now time.Time) []string {
	var notes []string
	var serials []int
	for _, t := range p.Tasks {
		serials = append(serials, t.Serial)
	}
	if !slices.IsSorted(serials) {
		notes = append(notes, "任务编号没有按从小到大排列")
	} else if len(serials) > 0 {
		var gaps []string
		for i := 1; i < len(serials); i++ {
			for n := serials[i-1] + 1; n < serials[i]; n++ {
				gaps = append(gaps, strconv.Itoa(n))
			}
		}
		if serials[0] != 1 {
			notes = append(notes, fmt.Sprintf("任务编号从 %d 开始", serials[0]))
		}
		if len(gaps) > 0 {
			if len(gaps) > 10 {
				gaps = append(gaps[:10], "……")
			}
			notes = append(notes, fmt.Sprintf("任务编号不连续：没有任务%s（编号%d–%d，共%d项任务）", strings.Join(gaps, "、"), serials[0], serials[len(serials)-1], len(serials)))
		}
	}
	for _, t := range p.Tasks {
		for _, it := range t.Items[1:] {
			notes = append(notes, fmt.Sprintf("第%d行序号为空，作为任务%d的第%d个事项（%s）", it.Line, t.Serial, it.Index, it.ID))
		}
	}
	if y := now.Year(); p.Year != y {
		notes = append(notes, fmt.Sprintf("这是%d年度计划，当前是%d年", p.Year, y))
	}
	if old != nil {
		var added, dropped []string
		for _, it := range p.Items() {
			if _, ok := old.Plan.Item(it.ID); !ok {
				added = append(added, it.ID)
			}
		}
		for _, it := range old.Plan.Items() {
			if _, ok := p.Item(it.ID); !ok {
				dropped = append(dropped, it.ID)
			}
		}
		if len(added) > 0 {
			notes = append(notes, "与原计划相比新增事项："+strings.Join(added, "、"))
		}
		if len(dropped) > 0 {
			notes = append(notes, "与原计划相比删去事项："+strings.Join(dropped, "、")+"（这些事项已有的抽取记录保留）")
		}
	}
	return notes
}

// origin says where a plan in effect came from.
func origin(e plan.Entry, loc *time.Location) string {
	if e.Upload == nil {
		return fmt.Sprintf("配置文件 %s，指纹 %s", baseName(e.File), shortHash(e.Hash))
	}
	return fmt.Sprintf("%s，指纹 %s，%s 由 %s 导入", e.File, shortHash(e.Hash), e.Upload.At.In(loc).Format("2006-01-02 15:04"), e.Upload.By)
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// flow is the plan load's confirmation: 确认 loads, anything else (or the
// timeout) discards.
func (u *planUploads) flow() *dialog.Flow {
	return &dialog.Flow{
		Name: planFlow, Title: "导入抽查计划", First: "confirm", TTL: u.d.ConfirmTTL,
		Cancelled: "已取消，没有导入抽查计划，已加载的计划保持不变。",
		NoDraft:   true,
		Steps: []dialog.Step{{
			Name: "confirm",
			Prompt: func(s *dialog.State) string {
				return fmt.Sprintf("确认导入 %s 作为%s年度抽查计划？回复“确认”导入，回复“取消”放弃。", s.Get("file"), s.Get("year"))
			},
			Options: func(*dialog.State) []reply.Option {
				return []reply.Option{{Key: "confirm", Text: "确认导入"}, {Key: "cancel", Text: "取消"}}
			},
			Free: true,
			Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				if in.MediaID != "" {
					// Most likely a corrected file: keep it from being
					// lost in a silent cancel.
					return "", dialog.Invalid("%s 还在等待确认。请先回复“确认”导入它，或回复“取消”，再重新发送新文件。", s.Get("file"))
				}
				yes := slices.Contains(in.Choice, "confirm") ||
					(len(in.Choice) == 0 && slices.Contains([]string{"确认", "确定", "确认导入", "是", "好", "ok"}, strings.ToLower(strings.TrimSpace(in.Text))))
				if !yes {
					s.Set("cancelled", "1")
				}
				return dialog.Done, nil
			},
		}},
		Finish: u.commit,
		OnCancel: func(ctx context.Context, s *dialog.State, in dialog.Input) {
			req := &Request{UserID: in.UserID, Admin: in.Admin, Now: in.Now, Channel: in.Channel, Text: in.Text}
			u.d.record(ctx, req, planAction, s.Get("file"), audit.Cancel, "未确认")
		},
	}
}

// commit loads the confirmed file for its year and refreshes this
// replica's catalog before answering.
func (u *planUploads) commit(ctx context.Context, s *dialog.State, in dialog.Input) (reply.Reply, error) {
	req := &Request{UserID: in.UserID, Admin: in.Admin, Now: in.Now, Channel: in.Channel, Text: in.Text}
	file, hash := s.Get("file"), s.Get("hash")
	if s.Get("cancelled") != "" {
		u.d.record(ctx, req, planAction, file, audit.Cancel, "未确认")
		return reply.Text("未确认，已取消，没有导入抽查计划，已加载的计划保持不变。"), nil
	}
	if !in.Admin {
		return u.d.refuse(ctx, req, planAction)
	}
	year, _ := strconv.Atoi(s.Get("year"))
	up := plan.Upload{Year: year, File: file, Hash: hash, By: in.UserID, At: in.Now}
	old, had := u.live.Entry(year)
	switch err := u.live.Commit(ctx, up, s.Get("prev")); {
	case errors.Is(err, plan.ErrConflict):
		u.d.record(ctx, req, planAction, file, audit.Refused, "预览后该年度计划已被更新")
		return reply.Text(fmt.Sprintf("预览之后%d年度计划已被其他管理员更新，本次没有导入。请发送“计划列表”查看，如仍需导入请重新发送文件。", year)), nil
	case errors.Is(err, plan.ErrExpired):
		u.d.record(ctx, req, planAction, file, audit.Failed, "暂存的文件已过期")
		return reply.Text("暂存的计划文件已过期，本次没有导入。请重新发送文件。"), nil
	case err != nil:
		return reply.Reply{}, err
	}
	if err := u.live.Refresh(ctx); err != nil {
		u.d.log.ErrorContext(ctx, "plan loaded but the catalog refresh reported a problem", "year", year, "err", err)
	}
	e, ok := u.live.Entry(year)
	if !ok || e.Hash != hash {
		// Saved, but this replica could not read it back: it retries on
		// its next check; say so rather than claim it is in effect.
		u.d.record(ctx, req, planAction, file, audit.OK, fmt.Sprintf("%d年度，%s（本实例尚未生效）", year, hash))
		return reply.Text(fmt.Sprintf("%d年度抽查计划已保存，但暂未生效，稍后会自动加载。", year)), nil
	}
	n := len(e.Plan.Items())
	u.d.record(ctx, req, planAction, file, audit.OK, fmt.Sprintf("%d年度，%d个任务，%d项，%s", year, len(e.Plan.Tasks), n, hash))
	msg := fmt.Sprintf("已导入%d年度抽查计划：%s，%d 项编号任务、%d 个抽查事项，指纹 %s。问答、抽取和提醒即时按新计划办理。", year, file, len(e.Plan.Tasks), n, shortHash(hash))
	if had {
		msg += fmt.Sprintf("\n原计划（%s）已被替换。", origin(old, in.Now.Location()))
	}
	return reply.Text(msg), nil
}

// handleList lists the plans in effect: year, source, fingerprint, who
// loaded it and when.
func (u *planUploads) handleList(_ context.Context, req *Request) (reply.Reply, error) {
	loc := req.Now.Location()
	var b strings.Builder
	b.WriteString("## 已加载的抽查计划\n")
	for _, e := range u.live.Entries() {
		fmt.Fprintf(&b, "**%d年度**（%d个任务、%d项）：", e.Plan.Year, len(e.Plan.Tasks), len(e.Plan.Items()))
		if e.Upload == nil {
			fmt.Fprintf(&b, "配置文件 %s；指纹 %s\n", baseName(e.File), shortHash(e.Hash))
			continue
		}
		fmt.Fprintf(&b, "上传文件 %s；指纹 %s；%s 由 %s 导入\n", e.File, shortHash(e.Hash), e.Upload.At.In(loc).Format("2006-01-02 15:04"), e.Upload.By)
	}
	if req.Admin {
		b.WriteString("<font color=\"comment\">更新计划：把计划文件（制表符分隔的文本或 .xlsx）直接发给我，核对摘要后回复“确认”。</font>")
	}
	return reply.Markdown(strings.TrimRight(b.String(), "\n")), nil
}
