package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// assignment is one entity an inspector is to check.
type assignment struct {
	item     *plan.Item
	drawn    draw.Drawn
	partners []string // the other inspectors' userids
	rec      *draw.Record
}

// assignmentsOf lists what userid is assigned in recs, by item then draw order.
func assignmentsOf(p *plan.Plan, recs []*draw.Record, userid string) []assignment {
	var out []assignment
	for _, rec := range recs {
		it, ok := p.Item(rec.ItemID)
		if !ok {
			continue
		}
		for _, g := range rec.Result.Groups {
			for _, e := range g.Entities {
				for _, u := range e.Inspectors {
					if strings.EqualFold(u, userid) {
						var partners []string
						for _, o := range e.Inspectors {
							if !strings.EqualFold(o, userid) {
								partners = append(partners, o)
							}
						}
						out = append(out, assignment{item: it, drawn: e, partners: partners, rec: rec})
						break
					}
				}
			}
		}
	}
	return out
}

// daysLeft describes the time left in an item's window at now.
func daysLeft(it *plan.Item, year int, now time.Time) string {
	last := it.Window.LastDay(year, now.Location())
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	n := int(last.Sub(today).Hours() / 24)
	switch {
	case !it.Window.Has():
		return fmt.Sprintf("未注明起止时间，%d年内完成", year)
	case n < 0:
		return fmt.Sprintf("%s，已于%s截止", it.Window, last.Format("2006年1月2日"))
	case n == 0:
		return fmt.Sprintf("%s，今天截止", it.Window)
	}
	return fmt.Sprintf("%s，%s截止，还剩%d天", it.Window, last.Format("2006年1月2日"), n)
}

// inspectorNames maps userids to names from the inspectors' directory.
func (d *draws) inspectorNames(ctx context.Context) map[string]string {
	names := map[string]string{}
	if insp, err := d.Directories.Inspectors(ctx); err == nil && insp != nil {
		for _, in := range insp.List {
			names[strings.ToLower(in.UserID)] = in.Name
		}
	}
	return names
}

func nameOf(names map[string]string, userid string) string {
	if n := names[strings.ToLower(userid)]; n != "" {
		return n
	}
	return userid
}

// notify tells each assigned inspector their entities of rec through the
// sender, one message per inspector with an id made from the draw, so a
// notify repeated after a crash sends nothing twice; then marks rec notified.
func (d *draws) notify(ctx context.Context, rec *draw.Record, p *plan.Plan, it *plan.Item, now time.Time) error {
	if d.Sender == nil {
		return nil
	}
	names := d.inspectorNames(ctx)
	users := map[string]bool{}
	for _, g := range rec.Result.Groups {
		for _, e := range g.Entities {
			for _, u := range e.Inspectors {
				users[u] = true
			}
		}
	}
	ids := make([]string, 0, len(users))
	for u := range users {
		ids = append(ids, u)
	}
	sort.Strings(ids)
	for _, u := range ids {
		as := assignmentsOf(p, []*draw.Record{rec}, u)
		var b strings.Builder
		fmt.Fprintf(&b, "## 抽查任务通知\n您已被随机抽取为%d年度 任务%s %s 的检查人员（%s），共 %d 户：\n", rec.Year, it.ID, itemTitle(it), daysLeft(it, rec.Year, now), len(as))
		for i, a := range as {
			if i == 30 {
				fmt.Fprintf(&b, "……其余 %d 户请发送“我的任务”查看\n", len(as)-30)
				break
			}
			partners := make([]string, len(a.partners))
			for j, pu := range a.partners {
				partners[j] = nameOf(names, pu)
			}
			fmt.Fprintf(&b, "%d. %s（%s，%s）同组：%s\n", i+1, a.drawn.Name, a.drawn.CreditCode, a.drawn.District, strings.Join(partners, "、"))
		}
		b.WriteString("<font color=\"comment\">发送“我的任务”随时查看。</font>")
		msg := reply.Message{ID: "draw:" + rec.ID + ":to:" + u, To: reply.User(u), Reply: reply.Markdown(b.String())}
		if err := d.Sender.Send(ctx, msg); err != nil {
			return err
		}
	}
	return d.Draws.MarkNotified(ctx, rec)
}

// NotifyPending tells the inspectors of the year's draws that were saved
// but not (all) notified — a crash between the commit and the sends. The
// outbox's ids make it safe to repeat.
func (d *draws) NotifyPending(ctx context.Context, now time.Time) error {
	for _, p := range d.plans.Plans() {
		recs, err := d.Draws.List(ctx, p.Year)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			ok, err := d.Draws.Notified(ctx, rec)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			it, found := p.Item(rec.ItemID)
			if !found {
				continue
			}
			if err := d.notify(ctx, rec, p, it, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// handleMine lists the asker's assignments in the current draws of the plan
// year, with each item's window and the days left.
func (d *draws) handleMine(ctx context.Context, req *Request) (reply.Reply, error) {
	p, note, err := d.planNow(req.Now)
	if err != nil {
		return reply.Reply{}, err
	}
	recs, err := d.Draws.List(ctx, p.Year)
	if err != nil {
		return reply.Reply{}, err
	}
	as := assignmentsOf(p, current(recs), req.UserID)
	var b strings.Builder
	if note != "" {
		fmt.Fprintf(&b, "> %s\n", note)
	}
	if len(as) == 0 {
		fmt.Fprintf(&b, "您在%d年度的抽取结果中暂无检查任务。\n本部门的计划任务请发送“我科室的任务”查看。", p.Year)
		return reply.Markdown(b.String()), nil
	}
	names := d.inspectorNames(ctx)
	header := fmt.Sprintf("## 我的检查任务（%d年度，共%d户）\n", p.Year, len(as))
	b.WriteString(header)
	last := ""
	for i, a := range as {
		if a.item.ID != last {
			last = a.item.ID
			fmt.Fprintf(&b, "**任务%s %s**（%s）\n", a.item.ID, itemTitle(a.item), daysLeft(a.item, p.Year, req.Now))
		}
		if i == 40 {
			fmt.Fprintf(&b, "……共 %d 户，其余请联系管理员导出\n", len(as))
			break
		}
		partners := make([]string, len(a.partners))
		for j, pu := range a.partners {
			partners[j] = nameOf(names, pu)
		}
		fmt.Fprintf(&b, "%s（%s，%s）同组：%s\n", a.drawn.Name, a.drawn.CreditCode, a.drawn.District, strings.Join(partners, "、"))
	}
	return reply.Markdown(b.String()), nil
}

// handleResult shows an item's current draw: admins see risk classes and
// inspectors, others the publication view.
func (d *draws) handleResult(ctx context.Context, req *Request) (reply.Reply, error) {
	p, note, err := d.planNow(req.Now)
	if err != nil {
		return reply.Reply{}, err
	}
	it, msg := d.itemArg(p, strings.TrimPrefix(question.Normalize(req.Text), "抽取结果"), "抽取结果")
	if it == nil {
		return reply.Text(msg), nil
	}
	rec, err := d.Draws.Current(ctx, p.Year, it.ID)
	if err != nil {
		return reply.Reply{}, err
	}
	if rec == nil {
		return reply.Text(fmt.Sprintf("%d年度任务%s尚未抽取。", p.Year, it.ID)), nil
	}
	names := d.inspectorNames(ctx)
	var b strings.Builder
	n := 0
	for _, g := range rec.Result.Groups {
		n += len(g.Entities)
	}
	fmt.Fprintf(&b, "## %d年度 任务%s 抽取结果（%d户）\n", rec.Year, it.ID, n)
	if note != "" {
		fmt.Fprintf(&b, "> %s\n", note)
	}
	fmt.Fprintf(&b, "批次 %s，%s 由 %s 抽取\n", rec.ID, rec.At.In(req.Now.Location()).Format("2006-01-02 15:04"), rec.Operator)
	shown := 0
	for _, g := range rec.Result.Groups {
		if len(g.Entities) == 0 {
			continue
		}
		fmt.Fprintf(&b, "**%s**（%d户）\n", g.Group, len(g.Entities))
		for _, e := range g.Entities {
			if shown == 40 {
				break
			}
			shown++
			if req.Admin {
				insp := make([]string, len(e.Inspectors))
				for i, u := range e.Inspectors {
					insp[i] = nameOf(names, u)
				}
				cls := "—"
				if e.Class != "" {
					cls = e.Class.Label()
				}
				fmt.Fprintf(&b, "%s（%s）｜%s｜%s\n", e.Name, e.CreditCode, cls, strings.Join(insp, "、"))
			} else {
				fmt.Fprintf(&b, "%s（%s）\n", e.Name, e.CreditCode)
			}
		}
	}
	if shown < n {
		fmt.Fprintf(&b, "……共 %d 户，完整名单请管理员发送“导出 %s”。\n", n, it.ID)
	}
	return reply.Markdown(strings.TrimRight(b.String(), "\n")), nil
}

// handleRecords lists the draws of the plan year (admins).
func (d *draws) handleRecords(ctx context.Context, req *Request) (reply.Reply, error) {
	if !req.Admin {
		return d.refuse(ctx, req, "抽取记录")
	}
	p, note, err := d.planNow(req.Now)
	if err != nil {
		return reply.Reply{}, err
	}
	recs, err := d.Draws.List(ctx, p.Year)
	if err != nil {
		return reply.Reply{}, err
	}
	if len(recs) == 0 {
		return reply.Text(fmt.Sprintf("%d年度还没有抽取记录。发送“抽取 任务编号”开始。", p.Year)), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## %d年度抽取记录（%d次）\n", p.Year, len(recs))
	if note != "" {
		fmt.Fprintf(&b, "> %s\n", note)
	}
	cur := map[string]bool{}
	for _, r := range current(recs) {
		cur[r.ID] = true
	}
	for _, r := range recs {
		n := 0
		for _, g := range r.Result.Groups {
			n += len(g.Entities)
		}
		state := ""
		if !cur[r.ID] {
			state = "（已被重新抽取替换）"
		}
		if r.Replaces != "" {
			state += "（重新抽取，原因：" + r.Reason + "）"
		}
		fmt.Fprintf(&b, "**%s** 任务%s｜%d户｜%s｜%s%s\n", r.ID, r.ItemID, n, r.At.In(req.Now.Location()).Format("01-02 15:04"), r.Operator, state)
	}
	b.WriteString("<font color=\"comment\">复核：go run . draw verify 批次号</font>")
	return reply.Markdown(b.String()), nil
}

// activeCount counts active entities and, for admins, classes.
func activeCount(e *directory.Entities) (active int, byClass map[directory.RiskClass]int) {
	byClass = map[directory.RiskClass]int{}
	for i := range e.List {
		if e.List[i].Active() {
			active++
			byClass[e.List[i].Risk]++
		}
	}
	return active, byClass
}
