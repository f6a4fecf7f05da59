package reminder

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/workday"
)

// Reminder is one message to one department on one day.
type Reminder struct {
	// ID is the stable identity "year/item/kind/offset/department", e.g.
	// "2023/16/closes-before/7/市市场监督管理局". Sending claims it.
	ID      string
	Year    int
	Date    time.Time // the working day it is due (midnight, plan zone)
	Nominal time.Time // the date before moving off a day off
	Kind    Kind
	Label   string // the row's Chinese title
	Offset  int
	Item    *plan.Item
	// Department is the plan name of the receiving department (a county
	// bureau for 各县区局), Role its part: 组织发起, 牵头 or 指导.
	Department string
	Role       string
	Recipient  reply.Recipient
	// Mapped is false when the department has no recipients configured
	// (shown as 未配置接收人; never dropped silently).
	Mapped bool
	Text   string // WeCom markdown, written for Date
}

// NotConfigured is what an unmapped recipient is shown as.
const NotConfigured = "未配置接收人"

// Roles of a receiving department.
const (
	RoleInitiator = "组织发起"
	RoleLead      = "牵头"
	RoleGuide     = "指导"
)

// roleNotes add what a section's role asks of it.
var roleNotes = map[string]string{
	RoleLead:  "作为牵头科室，请统筹组织实施，掌握整体进度。",
	RoleGuide: "作为指导科室，请指导、督促各组织发起单位按时完成。",
}

// ID builds a reminder identity.
func ID(year int, itemID string, kind Kind, offset int, department string) string {
	return fmt.Sprintf("%d/%s/%s/%d/%s", year, itemID, kind, offset, department)
}

type dept struct{ name, role string }

// departments lists who hears about it: initiators first (各县区局 expanded
// in configured order), then sections; a name listed twice appears once
// with its roles joined.
func (r *Rules) departments(it *plan.Item) []dept {
	var out []dept
	add := func(name, role string) {
		for i := range out {
			if out[i].name == name {
				if !strings.Contains(out[i].role, role) {
					out[i].role += "、" + role
				}
				return
			}
		}
		out = append(out, dept{name, role})
	}
	for _, in := range it.Departments.Initiators {
		if in == plan.CountyBureaus {
			for _, c := range r.CountyBureaus {
				add(c, RoleInitiator)
			}
			continue
		}
		add(in, RoleInitiator)
	}
	for _, s := range it.Departments.Sections {
		role := s.Role
		if role == "" {
			role = RoleLead
		}
		add(s.Name, role)
	}
	return out
}

func (r *Rules) recipient(name string) (reply.Recipient, bool) {
	c, ok := r.Recipients[name]
	if !ok || !usable(c) {
		return reply.Recipient{}, false
	}
	return reply.Recipient{
		Users:       slices.Clone(c.Users),
		Departments: slices.Clone(c.Departments),
		Tags:        slices.Clone(c.Tags),
		Webhook:     c.Webhook,
	}, true
}

func usable(c reply.Recipient) bool { return !c.Empty() }

// Unmapped lists, sorted, the departments the plan's reminders go to that have
// no usable recipient in cfg.Recipients (各县区局 expanded to
// cfg.CountyBureaus, or DefaultCountyBureaus when empty). Show it as a
// start-up warning and on /readyz.
func Unmapped(p *plan.Plan, cfg Options) []string {
	r := &Rules{Recipients: cfg.Recipients, CountyBureaus: cfg.CountyBureaus}
	if len(r.CountyBureaus) == 0 {
		r.CountyBureaus = DefaultCountyBureaus
	}
	seen := map[string]bool{}
	var out []string
	if p == nil {
		return nil
	}
	for _, t := range p.Tasks {
		if t == nil {
			continue
		}
		for _, it := range t.Items {
			if it == nil {
				continue
			}
			for _, d := range r.departments(it) {
				if seen[d.name] {
					continue
				}
				seen[d.name] = true
				if _, ok := r.recipient(d.name); !ok {
					out = append(out, d.name)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Calendar lists every reminder the plan implies with a due date from
// from's date through to's date (inclusive), for department dept ("" for
// all; 各县区局 for every county bureau), ordered by date, then plan order, table order, offset order and
// department order.
func Calendar(p *plan.Plan, rules *Rules, cal *workday.Calendar, from, to time.Time, dept string) []Reminder {
	var match func(string) bool
	switch {
	case dept == plan.CountyBureaus && rules != nil:
		match = func(d string) bool { return slices.Contains(rules.CountyBureaus, d) }
	case dept != "":
		match = func(d string) bool { return d == dept }
	}
	return compute(p, rules, cal, from, to, match)
}

// Upcoming lists the reminders due from now's date for days days (today
// included) to any of sections (department or section names, as in
// handlers.Request.Sections). No sections, no reminders.
func Upcoming(p *plan.Plan, rules *Rules, cal *workday.Calendar, now time.Time, sections []string, days int) []Reminder {
	if len(sections) == 0 || days <= 0 {
		return nil
	}
	from := cal.Date(now)
	to := from.AddDate(0, 0, days-1)
	return compute(p, rules, cal, from, to, func(d string) bool { return slices.Contains(sections, d) })
}

func compute(p *plan.Plan, rules *Rules, cal *workday.Calendar, from, to time.Time, match func(string) bool) []Reminder {
	if p == nil || rules == nil || cal == nil {
		return nil
	}
	loc := rules.Location
	if loc == nil {
		loc = cal.Location()
	}
	from, to = civil(from, loc), civil(to, loc)
	var out []Reminder
	for _, t := range p.Tasks {
		if t == nil {
			continue
		}
		for _, it := range t.Items {
			if it == nil {
				continue
			}
			var depts []dept // expanded lazily: most items have no reminder on a given day
			for _, rule := range rules.Rules {
				if rule.Date == nil {
					continue
				}
				offs := rule.Offsets
				if len(offs) == 0 {
					offs = []int{0}
				}
				for _, off := range offs {
					nominal, ok := rule.Date(DateContext{Year: p.Year, Item: it, Offset: off, Loc: loc, Workdays: cal})
					if !ok {
						continue
					}
					nominal = civil(nominal, loc)
					due := cal.NextWorkday(nominal)
					if rule.Shift == ShiftBefore {
						due = cal.PrevWorkday(nominal)
					}
					if due.Before(from) || due.After(to) {
						continue
					}
					if depts == nil {
						depts = rules.departments(it)
					}
					for _, d := range depts {
						if match != nil && !match(d.name) {
							continue
						}
						rc, mapped := rules.recipient(d.name)
						r := Reminder{
							ID:         ID(p.Year, it.ID, rule.Kind, off, d.name),
							Year:       p.Year,
							Date:       due,
							Nominal:    nominal,
							Kind:       rule.Kind,
							Label:      rule.Label,
							Offset:     off,
							Item:       it,
							Department: d.name,
							Role:       d.role,
							Recipient:  rc,
							Mapped:     mapped,
						}
						r.Text = rules.render(&rule, r, due, time.Time{}, cal, loc)
						out = append(out, r)
					}
				}
			}
		}
	}
	// Stable: plan, table, offset and department order survive within a day.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

func civil(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Text writes r's message as sent on day on. late is the day it was due
// when it goes out after that (补发); zero when on time.
func (rules *Rules) Text(r Reminder, on time.Time, cal *workday.Calendar) string {
	loc := rules.Location
	if loc == nil {
		loc = cal.Location()
	}
	on = civil(on, loc)
	var late time.Time
	if on.After(r.Date) {
		late = r.Date
	}
	for i := range rules.Rules {
		if rules.Rules[i].Kind == r.Kind {
			return rules.render(&rules.Rules[i], r, on, late, cal, loc)
		}
	}
	return r.Text
}

func (rules *Rules) render(rule *Rule, r Reminder, on, late time.Time, cal *workday.Calendar, loc *time.Location) string {
	it := r.Item
	var b strings.Builder
	fmt.Fprintf(&b, "**抽查提醒｜%s**\n", rule.Label)
	if !late.IsZero() {
		fmt.Fprintf(&b, "<font color=\"warning\">【补发】本提醒原定 %s 发送。</font>\n", date(late))
	}
	fmt.Fprintf(&b, "> 任务：%s %s\n", it.ID, oneLine(it.Name(), 60))
	if m := oneLine(it.Matter, 80); m != "" {
		fmt.Fprintf(&b, "> 事项：%s\n", m)
	}
	start, last := it.Window.Start(r.Year, loc), it.Window.LastDay(r.Year, loc)
	if it.Window.Has() {
		fmt.Fprintf(&b, "> 抽查时间：%s（%s 至 %s）\n", it.Window, date(start), date(last))
	} else {
		fmt.Fprintf(&b, "> 抽查时间：%s（%d 年内完成）\n", it.Window, r.Year)
	}
	fmt.Fprintf(&b, "> 接收单位：%s（%s）\n", r.Department, r.Role)
	if rule.Body != nil {
		b.WriteString(rule.Body(TextContext{
			Year: r.Year, Item: it, Offset: r.Offset, Department: r.Department, Role: r.Role,
			On: on, Start: start, LastDay: last, Workdays: cal,
		}))
		b.WriteString("\n")
	}
	if note := roleNotes[r.Role]; note != "" {
		b.WriteString(note + "\n")
	}
	if rules.Progress != nil {
		if p := rules.Progress(it, r.Department); p != "" {
			fmt.Fprintf(&b, "进度：%s\n", p)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// oneLine collapses whitespace and cuts s to at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
