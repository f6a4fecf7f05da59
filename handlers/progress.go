package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// maxProgressBytes is one WeCom message; progress lists stop
// progressTailBytes short of it to leave room for their closing lines.
const (
	maxProgressBytes  = 2048
	progressTailBytes = 460
)

// progressCounts are the numbers of one item's progress.
type progressCounts struct {
	drawn, reported, cosigned, problems, overdue int
}

func (c *progressCounts) add(o progressCounts) {
	c.drawn += o.drawn
	c.reported += o.reported
	c.cosigned += o.cosigned
	c.problems += o.problems
	c.overdue += o.overdue
}

func (c progressCounts) String() string {
	s := fmt.Sprintf("抽%d 报%d 签%d 问题%d", c.drawn, c.reported, c.cosigned, c.problems)
	if c.overdue > 0 {
		s += fmt.Sprintf(" **逾期%d**", c.overdue)
	}
	return s
}

// isProblem reports whether a result found a problem: any category but
// 未发现问题 (1) and 未发现开展本次抽查涉及的经营活动 (7).
func isProblem(r finding.Result) bool { return r.Category != 1 && r.Category != 7 }

// closed reports whether it's window (the plan year when none) is over at now.
func closed(it *plan.Item, year int, now time.Time) bool {
	last := it.Window.LastDay(year, now.Location())
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	return today.After(last)
}

// scopeOf is the part of an item a unit sees: every entity (county ""),
// one county's, or none (ok false).
func scopeOf(it *plan.Item, u department.Unit) (county string, ok bool) {
	switch u.Kind {
	case department.KindSection:
		for _, s := range it.Departments.Sections {
			if s.Name == u.Name {
				return "", true
			}
		}
	case department.KindCity:
		for _, in := range it.Departments.Initiators {
			if in == plan.CityBureau {
				return "", true
			}
		}
	case department.KindCounty:
		for _, in := range it.Departments.Initiators {
			if in == plan.CountyBureaus {
				return u.Name, true
			}
		}
	case department.KindAllCounties:
		for _, in := range it.Departments.Initiators {
			if in == plan.CountyBureaus {
				return "", true
			}
		}
	}
	return "", false
}

// entitiesIn lists rec's drawn entities in county ("" every one).
func entitiesIn(rec *draw.Record, county string) []draw.Drawn {
	var out []draw.Drawn
	if rec == nil || rec.Result == nil {
		return nil
	}
	for _, g := range rec.Result.Groups {
		for _, e := range g.Entities {
			d := e.District
			if d == "" {
				d = g.Group
			}
			if county == "" || d == county {
				e.District = d
				out = append(out, e)
			}
		}
	}
	return out
}

// byCode indexes findings by upper-case credit code.
func byCode(fs []*finding.Finding) map[string]*finding.Finding {
	m := make(map[string]*finding.Finding, len(fs))
	for _, f := range fs {
		m[strings.ToUpper(f.CreditCode)] = f
	}
	return m
}

// countProgress counts ents against their findings.
func countProgress(ents []draw.Drawn, found map[string]*finding.Finding, over bool) progressCounts {
	var c progressCounts
	for _, e := range ents {
		c.drawn++
		f := found[strings.ToUpper(e.CreditCode)]
		switch {
		case f == nil && over:
			c.overdue++
		case f == nil:
		default:
			c.reported++
			if f.State == finding.Cosigned {
				c.cosigned++
			}
			if isProblem(f.Result) {
				c.problems++
			}
		}
	}
	return c
}

// budget writes lines until the next would pass maxProgressBytes, then a
// closing note.
type budget struct {
	b    strings.Builder
	full bool
}

func (w *budget) line(format string, args ...any) bool {
	if w.full {
		return false
	}
	s := fmt.Sprintf(format, args...) + "\n"
	if w.b.Len()+len(s) > maxProgressBytes-progressTailBytes {
		w.full = true
		return false
	}
	w.b.WriteString(s)
	return true
}

// viewer is whose progress a request asks for: all (admins), a unit, or
// nobody known (ok false with the reason).
func (x *findings) viewer(req *Request, arg string) (u department.Unit, all bool, msg string) {
	d := x.dr
	if req.Admin {
		if arg == "" {
			return department.Unit{}, true, ""
		}
		if u, ok := d.units.Resolve(arg); ok {
			return u, false, ""
		}
		return department.Unit{}, false, fmt.Sprintf("不认识“%s”。请写科室或县区局名称，例如“进度 计量科”“进度 潞州区”，或任务编号“进度 8”。", arg)
	}
	own := func(u department.Unit) (department.Unit, bool, string) {
		if o, ok := d.units.Resolve(arg); ok && arg != "" && o != u {
			return department.Unit{}, false, fmt.Sprintf("您可以查看本部门（%s）的进度，请发送“进度”；其他科室或县区局的进度请联系管理员。", unitLabel(u))
		}
		return u, false, ""
	}
	if name := d.Heads[req.UserID]; name != "" {
		if u, ok := d.units.Resolve(name); ok {
			return own(u)
		}
	}
	if req.Leader {
		for _, s := range req.Sections {
			if u, ok := d.units.Resolve(s); ok {
				return own(u)
			}
		}
		return department.Unit{}, false, "暂时不知道您负责的科室或县区局，请联系管理员在配置 department_heads 中登记。"
	}
	return department.Unit{}, false, ""
}

func unitLabel(u department.Unit) string {
	if u.Kind == department.KindCounty {
		return u.Name + "市场监督管理局"
	}
	return u.Name
}

// handleProgress answers "进度" (the asker's department, or every one for
// admins), "进度 计量科" (admins) and "进度 8" (one item in detail).
func (x *findings) handleProgress(ctx context.Context, req *Request) (reply.Reply, error) {
	d := x.dr
	arg := strings.TrimPrefix(question.Normalize(req.Text), "进度")
	arg = strings.TrimPrefix(strings.TrimPrefix(arg, ":"), "：")
	p, note, err := d.planNow(req.Now)
	if err != nil {
		return reply.Reply{}, err
	}
	isItem := arg != "" && question.Parse("任务"+strings.TrimPrefix(strings.TrimPrefix(arg, "任务"), "第")).Ref != nil
	var u department.Unit
	var all bool
	var msg string
	if isItem {
		u, all, msg = x.viewer(req, "")
	} else {
		u, all, msg = x.viewer(req, arg)
	}
	if msg != "" {
		return reply.Text(msg), nil
	}
	if !all && u.Name == "" {
		if arg != "" {
			return reply.Text("“进度”供科室、县区局负责人和管理员查看本部门的抽查进度。您的检查进度请发送“我的进度”。"), nil
		}
		return x.handleMyProgress(ctx, req)
	}
	recs, err := d.Draws.List(ctx, p.Year)
	if err != nil {
		return reply.Reply{}, err
	}
	cur := map[string]*draw.Record{}
	for _, r := range current(recs) {
		cur[r.ItemID] = r
	}
	if isItem {
		it, msg := d.itemArg(p, arg, "进度")
		if it == nil {
			return reply.Text(msg), nil
		}
		county := ""
		if !all {
			var ok bool
			if county, ok = scopeOf(it, u); !ok {
				return reply.Text(fmt.Sprintf("任务%s不是%s发起、牵头或指导的任务，无法查看其进度。发送“进度”查看本部门的任务。", it.ID, unitLabel(u))), nil
			}
		}
		return x.itemProgress(ctx, req, p, it, cur[it.ID], county, note)
	}
	var w budget
	who := "全部科室和县区局"
	if !all {
		who = unitLabel(u)
	}
	w.line("## %d年度抽查进度（%s）", p.Year, who)
	if note != "" {
		w.line("> %s", note)
	}
	var total progressCounts
	var undrawn []string
	n, shown := 0, 0
	for _, t := range p.Tasks {
		for _, it := range t.Items {
			county := ""
			if !all {
				var ok bool
				if county, ok = scopeOf(it, u); !ok {
					continue
				}
			}
			n++
			rec := cur[it.ID]
			if rec == nil {
				undrawn = append(undrawn, it.ID)
				continue
			}
			fs, err := x.Findings.ListByItem(ctx, p.Year, it.ID)
			if err != nil {
				return reply.Reply{}, err
			}
			c := countProgress(entitiesIn(rec, county), byCode(fs), closed(it, p.Year, req.Now))
			total.add(c)
			if w.line("任务%s %s｜%s", it.ID, clipText(itemTitle(it), 10), c) {
				shown++
			}
		}
	}
	if n == 0 {
		return reply.Text(fmt.Sprintf("%d年度计划中没有%s发起、牵头或指导的任务。", p.Year, who)), nil
	}
	if w.full {
		fmt.Fprintf(&w.b, "……其余任务请发送“进度 任务编号”查看\n")
	}
	if len(undrawn) > 0 {
		ids := undrawn
		if len(ids) > 15 {
			ids = append(ids[:15:15], "…")
		}
		fmt.Fprintf(&w.b, "未抽取：任务%s\n", strings.Join(ids, "、"))
	}
	fmt.Fprintf(&w.b, "**合计**：%s\n", total)
	w.b.WriteString("<font color=\"comment\">抽=抽中户数 报=已填报 签=已会签 问题=发现问题 逾期=时限已过未填报。“进度 8”看明细。</font>")
	return reply.Markdown(w.b.String()), nil
}

// itemProgress is one item's progress entity by entity (county "" all).
func (x *findings) itemProgress(ctx context.Context, req *Request, p *plan.Plan, it *plan.Item, rec *draw.Record, county, note string) (reply.Reply, error) {
	if rec == nil {
		return reply.Text(fmt.Sprintf("%d年度任务%s尚未抽取（%s）。", p.Year, it.ID, daysLeft(it, p.Year, req.Now))), nil
	}
	fs, err := x.Findings.ListByItem(ctx, p.Year, it.ID)
	if err != nil {
		return reply.Reply{}, err
	}
	found := byCode(fs)
	over := closed(it, p.Year, req.Now)
	ents := entitiesIn(rec, county)
	c := countProgress(ents, found, over)
	var w budget
	where := ""
	if county != "" {
		where = "，" + county
	}
	w.line("## 任务%s %s 进度%s", it.ID, clipText(itemTitle(it), 14), where)
	if note != "" {
		w.line("> %s", note)
	}
	w.line("%s", daysLeft(it, p.Year, req.Now))
	w.line("%s", c)
	for i, e := range ents {
		f := found[strings.ToUpper(e.CreditCode)]
		name := clipText(e.Name, 16)
		if county == "" && e.District != "" && !strings.HasPrefix(e.Name, e.District) {
			name += "（" + e.District + "）"
		}
		var ok bool
		switch {
		case f == nil && over:
			ok = w.line("%d. %s｜<font color=\"warning\">未填报（已逾期）</font>", i+1, name)
		case f == nil:
			ok = w.line("%d. %s｜未填报", i+1, name)
		default:
			ok = w.line("%d. %s｜%s｜%s", i+1, name, f.State.Label(), clipText(f.Result.Label(), 14))
		}
		if !ok || i == 29 {
			if i+1 < len(ents) {
				fmt.Fprintf(&w.b, "……共 %d 户，完整结果请管理员发送“导出结果 %s 内部”\n", len(ents), it.ID)
			}
			break
		}
	}
	return reply.Markdown(strings.TrimRight(w.b.String(), "\n")), nil
}

// handleMyProgress is an inspector's own progress: per item the entities
// assigned, reported, co-signed and overdue, then what is still to do.
func (x *findings) handleMyProgress(ctx context.Context, req *Request) (reply.Reply, error) {
	y, err := x.myYear(ctx, req)
	if err != nil {
		return reply.Reply{}, err
	}
	p, note, as, done := y.plan, y.note, y.assignments, y.findings
	if len(as) == 0 {
		return reply.Text(fmt.Sprintf("您在%d年度的抽取结果中暂无检查任务。", p.Year)), nil
	}
	var w budget
	w.line("## 我的检查进度（%d年度，共%d户）", p.Year, len(as))
	if note != "" {
		w.line("> %s", note)
	}
	type itemRow struct {
		it *plan.Item
		c  progressCounts
	}
	var rows []*itemRow
	idx := map[string]*itemRow{}
	var todo []assignment
	cosign := 0
	for _, a := range as {
		r := idx[a.item.ID]
		if r == nil {
			r = &itemRow{it: a.item}
			idx[a.item.ID] = r
			rows = append(rows, r)
		}
		f := done[finding.ID(p.Year, a.item.ID, a.drawn.CreditCode)]
		m := map[string]*finding.Finding{}
		if f != nil {
			m[strings.ToUpper(a.drawn.CreditCode)] = f
			if f.PendingFor(req.UserID) {
				cosign++
			}
		} else {
			todo = append(todo, a)
		}
		r.c.add(countProgress([]draw.Drawn{a.drawn}, m, closed(a.item, p.Year, req.Now)))
	}
	for _, r := range rows {
		c := r.c
		over := ""
		if c.overdue > 0 {
			over = fmt.Sprintf(" **逾期%d**", c.overdue)
		}
		w.line("任务%s %s｜%d户 已报%d 已会签%d 发现问题%d%s", r.it.ID, clipText(itemTitle(r.it), 10), c.drawn, c.reported, c.cosigned, c.problems, over)
	}
	if cosign > 0 {
		w.line("待您会签 %d 户，发送“会签”处理。", cosign)
	}
	if len(todo) > 0 {
		w.line("**未填报 %d 户：**", len(todo))
		for i, a := range todo {
			if i == 10 || !w.line("任务%s %s（%s）", a.item.ID, clipText(a.drawn.Name, 16), daysLeft(a.item, p.Year, req.Now)) {
				fmt.Fprintf(&w.b, "……发送“填报”查看全部\n")
				break
			}
		}
		w.b.WriteString("<font color=\"comment\">发送“填报”提交检查结果。</font>")
	} else {
		w.line("您的检查对象都已填报。")
	}
	return reply.Markdown(strings.TrimRight(w.b.String(), "\n")), nil
}
