package reminder_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
	"github.com/changzhi-amr/choucha/workday"
)

var (
	loc = workday.Location()
	cal = workday.New(loc)
)

func d(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func rules(t *testing.T, unmapped ...string) *reminder.Rules {
	t.Helper()
	r, err := reminder.NewRules(remindertest.Options(unmapped...), loc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func year(t *testing.T, r *reminder.Rules, dept string) []reminder.Reminder {
	return reminder.Calendar(remindertest.Seed2023(), r, cal, d("2022-12-01"), d("2024-02-01"), dept)
}

// TestDates checks hand-computed dates against the 2023 holiday notice.
func TestDates(t *testing.T) {
	all := year(t, rules(t), "")
	got := map[string]string{} // "item/kind/offset" -> date (first department)
	for _, r := range all {
		k := fmt.Sprintf("%s/%s/%d", r.Item.ID, r.Kind, r.Offset)
		if prev, ok := got[k]; ok && prev != r.Date.Format(time.DateOnly) {
			t.Errorf("%s: departments disagree on the date: %s vs %s", k, prev, r.Date.Format(time.DateOnly))
		}
		got[k] = r.Date.Format(time.DateOnly)
	}
	for _, tc := range []struct{ key, want, why string }{
		{"16/opens-before/7", "2023-06-21", "06-24 is in 端午 (06-22..24): back to Wed 06-21"},
		{"16/opens/0", "2023-07-03", "07-01/02 weekend"},
		{"16/closes-before/30", "2023-08-31", "plain Thursday"},
		{"16/closes-before/7", "2023-09-22", "Sat 09-23 → Fri 09-22"},
		{"16/closes-before/1", "2023-09-28", "09-29 is 中秋"},
		{"16/closed/0", "2023-10-07", "10-01..06 off, Sat 10-07 make-up workday"},
		{"1/opens-before/7", "2023-01-20", "01-25 is in 春节 (01-21..27)"},
		{"1/opens/0", "2023-02-01", ""},
		{"1/closes-before/30", "2023-12-01", ""},
		{"1/closes-before/7", "2023-12-22", "Sun 12-24"},
		{"1/closes-before/1", "2023-12-29", "Sat 12-30"},
		{"1/closed/0", "2024-01-02", "2024-01-01 元旦"},
		{"2/year-start/0", "2023-01-03", "01-01 Sun, 01-02 元旦 substitute"},
		{"2/year-end-before/30", "2023-12-01", ""},
		{"4/opens-before/7", "2023-02-22", ""},
		{"4/opens/0", "2023-03-01", ""},
		{"11/closes-before/30", "2023-09-28", "10-01 national day: back over the holiday"},
		{"11/closes-before/7", "2023-10-24", ""},
		{"11/closes-before/1", "2023-10-30", ""},
		{"11/closed/0", "2023-11-01", ""},
		{"15-1/opens-before/7", "2023-04-24", ""},
		{"15-2/opens/0", "2023-05-04", "05-01..03 劳动节"},
		{"15-2/closes-before/30", "2023-10-31", ""},
		{"15-2/closed/0", "2023-12-01", ""},
		{"17/closed/0", "2024-01-02", ""},
	} {
		if got[tc.key] != tc.want {
			t.Errorf("%s = %q, want %s (%s)", tc.key, got[tc.key], tc.want, tc.why)
		}
	}
	// No-window task 2 gets no window kinds; window tasks get no yearly kinds.
	for k := range got {
		if strings.HasPrefix(k, "2/") != (strings.Contains(k, "year-")) {
			t.Errorf("unexpected reminder %s", k)
		}
	}
	// 6 window reminders per window item-department, 2 per no-window one:
	// 1: 13 departments; 2: 2; 4, 11, 15-1, 15-2, 16: 1; 17: 2.
	if want := 6*13 + 2*2 + 6*5 + 6*2; len(all) != want {
		t.Errorf("%d reminders, want %d", len(all), want)
	}
}

func TestShiftAndWorkdays(t *testing.T) {
	for _, r := range year(t, rules(t), "") {
		if !cal.IsWorkday(r.Date) {
			t.Errorf("%s due on a day off %s", r.ID, r.Date.Format(time.DateOnly))
		}
		switch r.Kind {
		case reminder.OpensBefore, reminder.ClosesBefore, reminder.YearEndBefore:
			if r.Date.After(r.Nominal) {
				t.Errorf("%s: deadline kind moved later: %v > %v", r.ID, r.Date, r.Nominal)
			}
		default:
			if r.Date.Before(r.Nominal) {
				t.Errorf("%s: opening kind moved earlier", r.ID)
			}
		}
	}
}

func TestRecipientsAndIdentity(t *testing.T) {
	all := year(t, rules(t, "沁源县"), "")
	var task1 []reminder.Reminder
	for _, r := range all {
		if r.Item.ID == "1" && r.Kind == reminder.Opens {
			task1 = append(task1, r)
		}
	}
	var names []string
	for _, r := range task1 {
		names = append(names, r.Department+"/"+r.Role)
	}
	want := []string{}
	for _, c := range remindertest.CountyBureaus {
		want = append(want, c+"/组织发起")
	}
	want = append(want, "计量科/指导")
	if !slices.Equal(names, want) {
		t.Errorf("task 1 departments:\n got %v\nwant %v", names, want)
	}
	for _, r := range task1 {
		switch r.Department {
		case "沁源县":
			if r.Mapped || len(r.Recipient.Users) != 0 {
				t.Errorf("沁源县 should be unmapped: %+v", r.Recipient)
			}
		case "计量科":
			if !r.Mapped || !slices.Equal(r.Recipient.Users, []string{"u-计量科"}) || !slices.Equal(r.Recipient.Tags, []int{7}) {
				t.Errorf("计量科 recipient %+v", r.Recipient)
			}
		default:
			if !r.Mapped || !slices.Equal(r.Recipient.Users, []string{"u-" + r.Department}) {
				t.Errorf("%s recipient %+v", r.Department, r.Recipient)
			}
		}
	}
	if id := task1[0].ID; id != "2023/1/opens/0/潞州区" {
		t.Errorf("ID = %q", id)
	}
	ids := map[string]bool{}
	for _, r := range all {
		if ids[r.ID] {
			t.Errorf("duplicate identity %s", r.ID)
		}
		ids[r.ID] = true
	}
	if u := reminder.Unmapped(remindertest.Seed2023(), remindertest.Options("沁源县", "特种设备安全监察科")); !slices.Equal(u, []string{"沁源县", "特种设备安全监察科"}) {
		t.Errorf("Unmapped = %v", u)
	}
	if u := reminder.Unmapped(remindertest.Seed2023(), remindertest.Options()); len(u) != 0 {
		t.Errorf("Unmapped with full config = %v", u)
	}
	var buf bytes.Buffer
	if err := reminder.FormatCalendar(&buf, task1); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "2023-02-01 周三  1 已开始  → 沁源县：未配置接收人") ||
		!strings.Contains(out, "→ 计量科：成员 u-计量科；标签 7") || strings.Contains(out, "**") {
		t.Errorf("FormatCalendar:\n%s", out)
	}
}

func TestFilterAndUpcoming(t *testing.T) {
	r := rules(t)
	for _, r := range year(t, r, "特种设备安全监察科") {
		if r.Department != "特种设备安全监察科" || r.Item.ID != "17" {
			t.Errorf("filter leaked %s", r.ID)
		}
	}
	if n := len(year(t, r, plan.CountyBureaus)); n != 6*12 {
		t.Errorf("各县区局 filter: %d reminders, want 72", n)
	}
	if n := len(year(t, r, "特种设备安全监察科")); n != 6 {
		t.Errorf("特种设备安全监察科 has %d reminders, want 6", n)
	}
	// From 2023-06-20, 30 days: 16 and 11 opens-before (06-21) and opens (07-03).
	up := reminder.Upcoming(remindertest.Seed2023(), r, cal, d("2023-06-20").Add(15*time.Hour), []string{plan.CityBureau}, 30)
	var got []string
	for _, u := range up {
		got = append(got, u.Date.Format("01-02")+" "+u.Item.ID+" "+string(u.Kind))
	}
	want := []string{"06-21 11 opens-before", "06-21 16 opens-before", "07-03 11 opens", "07-03 16 opens"}
	if !slices.Equal(got, want) {
		t.Errorf("Upcoming = %v, want %v", got, want)
	}
	none := reminder.Upcoming(remindertest.Seed2023(), r, cal, d("2023-06-20"), nil, 30)
	if len(none) != 0 {
		t.Errorf("no sections gave %d reminders", len(none))
	}
	md := reminder.FormatUpcoming(none, d("2023-06-20"), 30)
	if !strings.Contains(md, "没有") {
		t.Errorf("empty FormatUpcoming = %q", md)
	}
	md = reminder.FormatUpcoming(reminder.Upcoming(remindertest.Seed2023(), r, cal, d("2023-06-20"), []string{plan.CityBureau}, 30), d("2023-06-20"), 30)
	if !strings.Contains(md, "2023-06-21 周三 任务16") || !strings.Contains(md, "共 4 条") {
		t.Errorf("FormatUpcoming:\n%s", md)
	}
}

func TestText(t *testing.T) {
	r := rules(t)
	r.Progress = func(it *plan.Item, dept string) string {
		return "已抽取 3 户（" + it.ID + "，" + dept + "）"
	}
	all := reminder.Calendar(remindertest.Seed2023(), r, cal, d("2023-09-22"), d("2023-09-22"), "")
	var text string
	for _, x := range all {
		if x.ID == "2023/16/closes-before/7/市市场监督管理局" {
			text = x.Text
		}
	}
	for _, want := range []string{
		"**抽查提醒｜即将截止**",
		"任务：16 对直销企业服务网点、经销商的双随机抽查",
		"抽查时间：7月-9月（2023-07-01 至 2023-09-30）",
		"接收单位：市市场监督管理局（组织发起）",
		"距抽查截止还有 **8** 天（2023-09-30 截止，其间工作日 4 天）", // 09-25..28; 09-29/30 off
		"进度：已抽取 3 户（16，市市场监督管理局）",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	// Task 2 has no window.
	all = reminder.Calendar(remindertest.Seed2023(), r, cal, d("2023-01-03"), d("2023-01-03"), "计量科")
	if len(all) != 1 || !strings.Contains(all[0].Text, "未注明起止时间") || !strings.Contains(all[0].Text, "2023 年内完成") ||
		all[0].Role != "牵头" {
		t.Errorf("task 2 year-start: %+v", all)
	}
	// Late: written for the day it goes out, marked 补发.
	x := reminder.Calendar(remindertest.Seed2023(), r, cal, d("2023-09-22"), d("2023-09-22"), plan.CityBureau)[0]
	late := r.Text(x, d("2023-09-25"), cal)
	if !strings.Contains(late, "【补发】本提醒原定 2023-09-22 发送") || !strings.Contains(late, "还有 **5** 天") {
		t.Errorf("late text:\n%s", late)
	}
	if onTime := r.Text(x, d("2023-09-22"), cal); onTime != x.Text {
		t.Errorf("on-time Text differs from Calendar text")
	}
}

// TestTableGrows adds a row without touching the engine.
func TestTableGrows(t *testing.T) {
	r := rules(t)
	r.Rules = append(r.Rules, reminder.Rule{
		Kind: "publish-deadline", Label: "公示期限", Shift: reminder.ShiftBefore, Offsets: []int{20},
		Date: func(c reminder.DateContext) (time.Time, bool) {
			if c.Item.ID != "16" {
				return time.Time{}, false
			}
			return c.Workdays.AddWorkdays(c.Item.Window.LastDay(c.Year, c.Loc), c.Offset), true
		},
		Body: func(c reminder.TextContext) string { return "请在今天完成公示。" },
	})
	got := reminder.Calendar(remindertest.Seed2023(), r, cal, d("2023-01-01"), d("2023-12-31"), "")
	var found []reminder.Reminder
	for _, x := range got {
		if x.Kind == "publish-deadline" {
			found = append(found, x)
		}
	}
	// 20 working days after 09-30: 10-07, 10-08, 10-09 .. → 2023-11-01? count: 10-07,08,09,10,11,12,13,16,17,18,19,20,23,24,25,26,27,30,31, 11-01.
	if len(found) != 1 || found[0].Date.Format(time.DateOnly) != "2023-11-01" || found[0].ID != "2023/16/publish-deadline/20/市市场监督管理局" ||
		!strings.Contains(found[0].Text, "请在今天完成公示。") {
		t.Errorf("new row: %+v", found)
	}
}

func TestNewRulesErrors(t *testing.T) {
	cfg := remindertest.Options()
	cfg.CloseBeforeDays = []int{30, -1}
	if _, err := reminder.NewRules(cfg, loc); err == nil || !strings.Contains(err.Error(), "reminders.close_before_days[1]") {
		t.Errorf("err = %v", err)
	}
	cfg = remindertest.Options()
	cfg.OpenBeforeDays, cfg.CloseBeforeDays, cfg.CountyBureaus = nil, []int{7, 7}, nil
	r, err := reminder.NewRules(cfg, loc)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Rules[0].Offsets, []int{7}) || !slices.Equal(r.Rules[2].Offsets, []int{7}) || len(r.CountyBureaus) != 12 {
		t.Errorf("defaults: %v %v %v", r.Rules[0].Offsets, r.Rules[2].Offsets, r.CountyBureaus)
	}
	// Nil inputs never panic.
	if got := reminder.Calendar(nil, r, cal, d("2023-01-01"), d("2023-12-31"), ""); got != nil {
		t.Error("nil plan gave reminders")
	}
	if got := reminder.Unmapped(nil, cfg); got != nil {
		t.Error("nil plan gave unmapped")
	}
	p := remindertest.Seed2023()
	p.Tasks = append(p.Tasks, nil, &plan.Task{Serial: 99, Items: []*plan.Item{nil}})
	_ = reminder.Calendar(p, r, cal, d("2023-01-01"), d("2023-12-31"), "")
}

// BenchmarkDaily computes one day's reminders for a plan of 500 items and
// 200 departments (target: under 100 ms).
func BenchmarkDaily(b *testing.B) {
	p, cfg := remindertest.Generated(2023, 500, 200)
	r, err := reminder.NewRules(cfg, loc)
	if err != nil {
		b.Fatal(err)
	}
	day := d("2023-03-01") // many windows open: a busy day
	n := 0
	for b.Loop() {
		n = len(reminder.Calendar(p, r, cal, day, day, ""))
	}
	b.ReportMetric(float64(n), "reminders/day")
}

// BenchmarkYear computes the whole year's calendar for the same plan.
func BenchmarkYear(b *testing.B) {
	p, cfg := remindertest.Generated(2023, 500, 200)
	r, err := reminder.NewRules(cfg, loc)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		n = len(reminder.Calendar(p, r, cal, d("2022-12-01"), d("2024-01-31"), ""))
	}
	b.ReportMetric(float64(n), "reminders/year")
}
