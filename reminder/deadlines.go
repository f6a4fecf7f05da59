package reminder

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/workday"
)

// Deadline kinds: rows of the kinds table without a plan-calendar date
// (Calendar skips them); Deadlines decides when they are due from the
// findings and draws.
const (
	// PublishBefore: a finding's publication deadline is K working days
	// away; to the initiating department, once per (item, deadline date).
	PublishBefore Kind = "publish-before"
	// InspectBefore: an inspector still has unreported assignments N
	// working days before the item's window closes; once per inspector and item.
	InspectBefore Kind = "inspect-before"
)

// Defaults of DeadlineOptions.
const (
	DefaultPublishBeforeWorkdays = 3
	DefaultInspectBeforeWorkdays = 5
)

// DeadlineOptions are how many working days ahead the deadline reminders
// fall (config reminders.publish_before_workdays and
// reminders.inspect_before_workdays); 0 means the default.
type DeadlineOptions struct {
	PublishBefore int
	InspectBefore int
}

func (o DeadlineOptions) withDefaults() DeadlineOptions {
	if o.PublishBefore <= 0 {
		o.PublishBefore = DefaultPublishBeforeWorkdays
	}
	if o.InspectBefore <= 0 {
		o.InspectBefore = DefaultInspectBeforeWorkdays
	}
	return o
}

// DeadlineState is what Deadlines sees of one plan year.
type DeadlineState struct {
	Plan *plan.Plan
	// Findings are the year's findings by item id.
	Findings map[string][]*finding.Finding
	// Draws are the year's draws, oldest first (each item's last one counts).
	Draws []*draw.Record
	// Published holds the ids of findings marked published (已公示).
	Published map[string]bool
}

// Deadlines lists the deadline reminders due on today's date:
//   - PublishBefore, for each item and publication deadline d of its
//     unpublished findings with today in [d − K working days, d]: one per
//     initiating department (for 各县区局 items, the county bureaus of the
//     findings' entities as drawn);
//   - InspectBefore, for each item whose window's last day L has today in
//     [L − N working days, L]: one per inspector of the item's current draw
//     with drawn entities that have no finding yet.
//
// A reminder is due on every day of its range, so a run that was missed is
// made up by the next; the caller claims each identity once.
func Deadlines(st DeadlineState, rules *Rules, cal *workday.Calendar, today time.Time, opt DeadlineOptions) []Reminder {
	if st.Plan == nil || rules == nil || cal == nil {
		return nil
	}
	opt = opt.withDefaults()
	today = cal.Date(today)
	p := st.Plan
	current := map[string]*draw.Record{}
	for _, rec := range st.Draws {
		if rec != nil && rec.Result != nil {
			current[rec.ItemID] = rec
		}
	}
	var out []Reminder
	for _, it := range p.Items() {
		if it == nil {
			continue
		}
		out = append(out, publishDue(p.Year, it, st, current[it.ID], rules, cal, today, opt.PublishBefore)...)
		out = append(out, inspectDue(p.Year, it, st, current[it.ID], rules, cal, today, opt.InspectBefore)...)
	}
	return out
}

func inRange(cal *workday.Calendar, today, last time.Time, before int) bool {
	last = cal.Date(last)
	return !today.After(last) && !today.Before(cal.AddWorkdays(last, -before))
}

func publishDue(year int, it *plan.Item, st DeadlineState, rec *draw.Record, rules *Rules, cal *workday.Calendar,
	today time.Time, before int) []Reminder {
	district := map[string]string{}
	if rec != nil {
		for _, g := range rec.Result.Groups {
			for _, e := range g.Entities {
				district[strings.ToUpper(e.CreditCode)] = e.District
			}
		}
	}
	// deadline date → unpublished findings, and the counties they are in.
	type group struct {
		deadline time.Time
		n        int
		counties map[string]bool
	}
	groups := map[string]*group{}
	for _, f := range st.Findings[it.ID] {
		if f == nil || st.Published[f.ID] || f.PublishDeadline.IsZero() || !inRange(cal, today, f.PublishDeadline, before) {
			continue
		}
		d := cal.Date(f.PublishDeadline)
		k := d.Format(time.DateOnly)
		g := groups[k]
		if g == nil {
			g = &group{deadline: d, counties: map[string]bool{}}
			groups[k] = g
		}
		g.n++
		g.counties[district[strings.ToUpper(f.CreditCode)]] = true
	}
	ks := make([]string, 0, len(groups))
	for k := range groups {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var out []Reminder
	for _, k := range ks {
		g := groups[k]
		for _, d := range rules.departments(it) {
			if !strings.Contains(d.role, RoleInitiator) {
				continue
			}
			if slices.Contains(it.Departments.Initiators, plan.CountyBureaus) &&
				slices.Contains(rules.CountyBureaus, d.name) && !g.counties[d.name] {
				continue
			}
			rc, mapped := rules.recipient(d.name)
			r := Reminder{
				ID:   fmt.Sprintf("%d/%s/%s/%s/%s", year, it.ID, PublishBefore, k, d.name),
				Year: year, Date: today, Nominal: g.deadline, Kind: PublishBefore, Label: rules.label(PublishBefore),
				Offset: before, Item: it, Department: d.name, Role: d.role, Recipient: rc, Mapped: mapped,
			}
			r.Text = fmt.Sprintf("**抽查提醒｜%s**\n> 任务：%s %s\n> 接收单位：%s（%s）\n有 **%d** 户检查结果须于 **%s**（%s）前公示，还有 %d 个工作日。请及时公示；公示后由管理员发送“已公示 %s”登记。",
				r.Label, it.ID, oneLine(it.Name(), 60), d.name, d.role, g.n, k, Weekday(g.deadline),
				cal.WorkdaysBetween(today, g.deadline), it.ID)
			out = append(out, r)
		}
	}
	return out
}

func inspectDue(year int, it *plan.Item, st DeadlineState, rec *draw.Record, rules *Rules, cal *workday.Calendar,
	today time.Time, before int) []Reminder {
	if rec == nil {
		return nil
	}
	last := it.Window.LastDay(year, cal.Location())
	if !inRange(cal, today, last, before) {
		return nil
	}
	reported := map[string]bool{}
	for _, f := range st.Findings[it.ID] {
		if f != nil {
			reported[strings.ToUpper(f.CreditCode)] = true
		}
	}
	open := map[string][]draw.Drawn{}
	var users []string
	for _, g := range rec.Result.Groups {
		for _, e := range g.Entities {
			if reported[strings.ToUpper(e.CreditCode)] {
				continue
			}
			for _, u := range e.Inspectors {
				if _, ok := open[u]; !ok {
					users = append(users, u)
				}
				open[u] = append(open[u], e)
			}
		}
	}
	var out []Reminder
	for _, u := range users {
		es := open[u]
		var b strings.Builder
		fmt.Fprintf(&b, "**抽查提醒｜%s**\n> 任务：%s %s\n> 抽查时间：%s（%s 截止，还有 %d 个工作日）\n您还有 **%d** 户未录入检查结果：\n",
			rules.label(InspectBefore), it.ID, oneLine(it.Name(), 60), it.Window, last.Format(time.DateOnly), cal.WorkdaysBetween(today, last), len(es))
		for i, e := range es {
			if i == 20 {
				fmt.Fprintf(&b, "……其余 %d 户请发送“我的任务”查看\n", len(es)-20)
				break
			}
			fmt.Fprintf(&b, "%d. %s（%s）\n", i+1, e.Name, e.CreditCode)
		}
		b.WriteString("请抓紧完成检查并录入结果。")
		out = append(out, Reminder{
			ID:   fmt.Sprintf("%d/%s/%s/%d/%s", year, it.ID, InspectBefore, before, u),
			Year: year, Date: today, Nominal: last, Kind: InspectBefore, Label: rules.label(InspectBefore),
			Offset: before, Item: it, Department: u, Role: "检查人员", Recipient: reply.User(u), Mapped: true,
			Text: b.String(),
		})
	}
	return out
}

// label is the table's title of kind k (the kind's name when not in the table).
func (r *Rules) label(k Kind) string {
	for _, row := range r.Rules {
		if row.Kind == k {
			return row.Label
		}
	}
	return string(k)
}
