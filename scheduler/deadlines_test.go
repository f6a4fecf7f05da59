package scheduler

import (
	"errors"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
)

// deadlineFixture: item 16 (7月-9月, 市市场监督管理局) drew A (u1, u2) and
// B (u2, u3); A was checked 2023-08-01 and co-signed (publish by
// 2023-08-29), B is unreported.
func deadlineFixture(t *testing.T) (*Reminders, *recSender, DeadlineSource, *store.Findings) {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	snd := newSender()
	r := newRunner(t, rdb, snd, remindertest.Config())
	fs := store.NewFindings(rdb, "test:")
	ds := store.NewDraws(rdb, "test:")
	rec := &draw.Record{ID: "2023-16-x", Year: 2023, ItemID: "16", At: day("2023-07-03"),
		Result: &draw.Result{ItemID: "16", Groups: []draw.Group{{Entities: []draw.Drawn{
			{CreditCode: "A", Name: "甲", Inspectors: []string{"u1", "u2"}},
			{CreditCode: "B", Name: "乙", Inspectors: []string{"u2", "u3"}},
		}}}}}
	if err := ds.Commit(ctx, rec); err != nil {
		t.Fatal(err)
	}
	f := &finding.Finding{ID: finding.ID(2023, "16", "A"), Year: 2023, ItemID: "16", DrawID: rec.ID, CreditCode: "A",
		EntityName: "甲", Reporter: "u1", CoInspectors: []string{"u2"},
		Content: finding.Content{CheckDate: day("2023-08-01")}, State: finding.Cosigned,
		FirstReportedAt: day("2023-08-01"), PublishDeadline: finding.Deadline(cal, day("2023-08-01"), 20)}
	if err := fs.Save(ctx, f); err != nil {
		t.Fatal(err)
	}
	return r, snd, DeadlineSource{Findings: fs, Draws: ds, Published: fs.Published}, fs
}

func TestDeadlinesPublishOnce(t *testing.T) {
	r, snd, src, _ := deadlineFixture(t)
	ctx := t.Context()
	for _, d := range []string{"2023-08-23", "2023-08-24", "2023-08-24", "2023-08-25", "2023-08-29", "2023-08-30"} {
		snd.setNow(day(d))
		if _, err := r.RunDeadlines(ctx, at(day(d), 9), src); err != nil {
			t.Fatal(err)
		}
	}
	id := "2023/16/publish-before/2023-08-29/市市场监督管理局"
	if snd.count() != 1 || snd.sends[0].msg.ID != id || snd.sends[0].on != "2023-08-24" || snd.calls[id] != 1 {
		t.Fatalf("want %s sent once on 2023-08-24, got %+v (calls %v)", id, snd.sends, snd.calls)
	}
	if !strings.Contains(snd.sends[0].msg.Reply.Text, "已公示 16") {
		t.Errorf("text: %s", snd.sends[0].msg.Reply.Text)
	}
	recs, err := r.Records(ctx, 2023)
	if err != nil || len(recs) != 1 || recs[0].Status != "sent" {
		t.Errorf("records: %+v, %v", recs, err)
	}
}

func TestDeadlinesNothingAfterPublished(t *testing.T) {
	r, snd, src, fs := deadlineFixture(t)
	ctx := t.Context()
	if _, err := fs.MarkPublished(ctx, 2023, []string{finding.ID(2023, "16", "A")}, day("2023-08-20")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"2023-08-24", "2023-08-29"} {
		if _, err := r.RunDeadlines(ctx, at(day(d), 9), src); err != nil {
			t.Fatal(err)
		}
	}
	if snd.count() != 0 {
		t.Fatalf("published findings need no reminder, sent %+v", snd.sends)
	}
}

func TestDeadlinesInspectUnreportedOnly(t *testing.T) {
	r, snd, src, _ := deadlineFixture(t)
	ctx := t.Context()
	// Item 16 closes Sat 09-30; five working days before is 09-22.
	for _, d := range []string{"2023-09-21", "2023-09-22", "2023-09-25", "2023-09-22"} {
		snd.setNow(day(d))
		if _, err := r.RunDeadlines(ctx, at(day(d), 9), src); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for _, s := range snd.sends {
		got[s.msg.ID] = s.on
		if strings.Contains(s.msg.Reply.Text, "甲") || !strings.Contains(s.msg.Reply.Text, "乙") {
			t.Errorf("%s lists reported entities or misses B:\n%s", s.msg.ID, s.msg.Reply.Text)
		}
	}
	want := map[string]string{"2023/16/inspect-before/5/u2": "2023-09-22", "2023/16/inspect-before/5/u3": "2023-09-22"}
	if len(got) != len(want) || got["2023/16/inspect-before/5/u2"] != "2023-09-22" || got["2023/16/inspect-before/5/u3"] != "2023-09-22" {
		t.Fatalf("sent %v, want %v", got, want)
	}
	for id := range want {
		if snd.calls[id] != 1 {
			t.Errorf("%s sent %d times", id, snd.calls[id])
		}
	}
	for _, s := range snd.sends {
		if u := s.msg.To.Users; len(u) != 1 || !strings.HasSuffix(s.msg.ID, "/"+u[0]) {
			t.Errorf("%s goes to %v", s.msg.ID, s.msg.To)
		}
	}
}

func TestDeadlinesRetryAfterFailedSend(t *testing.T) {
	r, snd, src, _ := deadlineFixture(t)
	ctx := t.Context()
	snd.fail = func(reply.Message) error { return errors.New("boom") }
	res, err := r.RunDeadlines(ctx, at(day("2023-08-24"), 9), src)
	if err != nil || res.Failed != 1 || snd.count() != 0 {
		t.Fatalf("failing run: %+v, %v", res, err)
	}
	snd.fail = nil
	for i := 0; i < 2; i++ {
		if _, err := r.RunDeadlines(ctx, at(day("2023-08-25"), 9), src); err != nil {
			t.Fatal(err)
		}
	}
	if snd.count() != 1 {
		t.Fatalf("want the failed reminder sent once on retry, got %+v", snd.sends)
	}
	recs, err := r.Records(ctx, 2023)
	if err != nil || len(recs) != 1 || recs[0].Status != "sent" {
		t.Errorf("records: %+v, %v", recs, err)
	}
}
