package reminder_test

import (
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
)

// deadlineState: item 16 (7月-9月, 市市场监督管理局) drew two entities,
// A (inspectors u1, u2) and B (u2, u3); A was checked on 2023-08-01
// (publish by 2023-08-29), B is unreported. Item 1 (各地) has a finding of
// an entity drawn in 潞州区.
func deadlineState(published bool) reminder.DeadlineState {
	p := remindertest.Seed2023()
	f := &finding.Finding{ID: finding.ID(2023, "16", "A"), Year: 2023, ItemID: "16", CreditCode: "A",
		Content: finding.Content{CheckDate: d("2023-08-01")}, State: finding.Cosigned,
		PublishDeadline: finding.Deadline(cal, d("2023-08-01"), 20)}
	f1 := &finding.Finding{ID: finding.ID(2023, "1", "C"), Year: 2023, ItemID: "1", CreditCode: "C",
		Content: finding.Content{CheckDate: d("2023-08-01")}, State: finding.Pending,
		PublishDeadline: finding.Deadline(cal, d("2023-08-01"), 20)}
	st := reminder.DeadlineState{
		Plan:     p,
		Findings: map[string][]*finding.Finding{"16": {f}, "1": {f1}},
		Draws: []*draw.Record{
			{ItemID: "16", Result: &draw.Result{Groups: []draw.Group{{Entities: []draw.Drawn{
				{CreditCode: "A", Name: "甲", Inspectors: []string{"u1", "u2"}},
				{CreditCode: "B", Name: "乙", Inspectors: []string{"u2", "u3"}},
			}}}}},
			{ItemID: "1", Result: &draw.Result{Groups: []draw.Group{{Entities: []draw.Drawn{
				{CreditCode: "C", Name: "丙", District: "潞州区", Inspectors: []string{"u4", "u5"}},
			}}}}},
		},
		Published: map[string]bool{},
	}
	if published {
		st.Published[f.ID] = true
	}
	return st
}

func ids(rs []reminder.Reminder) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.ID)
	}
	return strings.Join(s, " ")
}

func TestDeadlinesPublish(t *testing.T) {
	r := rules(t)
	for _, tc := range []struct {
		day       string
		published bool
		want      string
	}{
		{"2023-08-23", false, ""},
		{"2023-08-24", false, "2023/1/publish-before/2023-08-29/潞州区 2023/16/publish-before/2023-08-29/市市场监督管理局"},
		{"2023-08-29", false, "2023/1/publish-before/2023-08-29/潞州区 2023/16/publish-before/2023-08-29/市市场监督管理局"},
		{"2023-08-30", false, ""},
		{"2023-08-24", true, "2023/1/publish-before/2023-08-29/潞州区"},
	} {
		rs := reminder.Deadlines(deadlineState(tc.published), r, cal, d(tc.day).Add(9*3600e9), reminder.DeadlineOptions{})
		if got := ids(rs); got != tc.want {
			t.Errorf("%s published=%v:\n got %q\nwant %q", tc.day, tc.published, got, tc.want)
		}
		for _, rm := range rs {
			if !rm.Mapped || rm.Kind != reminder.PublishBefore || !strings.Contains(rm.Text, "2023-08-29") {
				t.Errorf("%s: %+v", rm.ID, rm)
			}
		}
	}
}

func TestDeadlinesInspect(t *testing.T) {
	r := rules(t)
	// Item 16 closes Sat 2023-09-30; five working days before is 09-22
	// (09-29 is 中秋).
	for _, tc := range []struct{ day, want string }{
		{"2023-09-21", ""},
		{"2023-09-22", "2023/16/inspect-before/5/u2 2023/16/inspect-before/5/u3"},
		{"2023-09-28", "2023/16/inspect-before/5/u2 2023/16/inspect-before/5/u3"},
		{"2023-10-01", ""},
	} {
		rs := reminder.Deadlines(deadlineState(false), r, cal, d(tc.day), reminder.DeadlineOptions{})
		if got := ids(rs); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.day, got, tc.want)
		}
		for _, rm := range rs {
			if strings.Contains(rm.Text, "甲") || !strings.Contains(rm.Text, "乙") || len(rm.Recipient.Users) != 1 {
				t.Errorf("%s: only the unreported entity B belongs in the text:\n%s", rm.ID, rm.Text)
			}
		}
	}
}
