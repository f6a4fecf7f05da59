package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/store/keys"
)

// quickTakeover has a killed process's messages taken over after 3 s, not a minute.
var quickTakeover = []string{takeoverEnv + "=3s"}

// slowDeliveries makes every message/send take effect and then answer
// only after d: a process killed meanwhile leaves a message that reached
// its member without the outbox knowing.
func slowDeliveries(d time.Duration) fakewecom.Rule {
	return func(int) (fakewecom.Fault, bool) {
		return fakewecom.Fault{Deliver: true, Delay: d}, true
	}
}

// delivered counts the messages to user that reached them and contain s
// (in the text or the card's title).
func deliveredTo(fake *fakewecom.Server, user, s string) int {
	n := 0
	for _, m := range fake.Delivered() {
		if m.ToUser != user {
			continue
		}
		text := m.Content
		if m.Card != nil {
			text += m.Card.MainTitle.Title + m.Card.MainTitle.Desc
		}
		if strings.Contains(text, s) {
			n++
		}
	}
	return n
}

// A serve process is SIGKILLed mid-draw (the draw saved, the inspectors'
// notices going out, each send taking effect at WeCom before it answers)
// and the next process finishes the job: one draw, which verifies, the
// admin's summary and each inspector's notice delivered exactly once, the
// card updated once.
func TestServeKilledMidDraw(t *testing.T) {
	const admin, other = "admin1", "zhangsan"
	fake, srv, c, cfg := seedServeSetup(t, admin, other, nil, "")
	rdb := srv.Client(t)
	ctx := context.Background()
	draws := store.NewDraws(rdb, "t:")
	a := startServeProcessEnv(t, cfg, quickTakeover)

	post(t, &a.serveProc, c, textMsg(fake.CorpID(), admin, "抽取 8", 7102))
	got, err := fake.WaitMessages(2, 10*time.Second)
	if err != nil || got[1].Card == nil {
		t.Fatalf("no preview card: %v %+v\n%s", err, got, a.stderr.String())
	}
	card := got[1].Card
	fake.SetRule(fakewecom.EndpointSend, slowDeliveries(300*time.Millisecond))
	click, code := fake.CardEvent(fakewecom.CardClick{UserID: admin, TaskID: card.TaskID, EventKey: "confirm"})
	post(t, &a.serveProc, c, string(click))
	var rec *draw.Record
	waitFor(t, "the draw to be saved", func() bool {
		rec, err = draws.Current(ctx, 2023, "8")
		return err == nil && rec != nil
	})
	waitFor(t, "a notice on its way", func() bool { return len(fake.Messages()) >= 3 })
	a.kill()
	mid := len(fake.Messages())
	fake.ClearFaults()

	users := map[string]bool{}
	for _, g := range rec.Result.Groups {
		for _, d := range g.Entities {
			for _, u := range d.Inspectors {
				users[u] = true
			}
		}
	}
	b := startServeProcessEnv(t, cfg, quickTakeover)
	post(t, &b.serveProc, c, string(click)) // WeCom retries the click, unanswered by the killed process
	waitInboxEmpty(t, rdb)
	waitFor(t, "the summary and the card update", func() bool {
		return deliveredTo(fake, admin, "抽取完成") > 0 && len(fake.CardUpdates()) > 0
	})
	if st := waitSettled(t, rdb, &b.serveProc); st.Dead != 0 {
		t.Fatalf("outbox dead letters: %+v", st)
	}
	if n := len(fake.Delivered()); n != 2+1+len(users) {
		t.Errorf("%d messages delivered, want the preview, its card, the summary and %d notices", n, len(users))
	}
	if n := deliveredTo(fake, admin, "抽取完成"); n != 1 {
		t.Errorf("the admin got the summary %d times", n)
	}
	for u := range users {
		if n := deliveredTo(fake, u, "抽查任务通知"); n != 1 {
			t.Errorf("inspector %s told %d times", u, n)
		}
	}
	if up := fake.CardUpdates(); len(up) != 1 || up[0].ResponseCode != code {
		t.Errorf("card updates %+v, want one with %s", up, code)
	}
	recs, err := draws.List(ctx, 2023)
	if err != nil || len(recs) != 1 || recs[0].ID != rec.ID {
		t.Fatalf("draws %+v (%v), want %s alone", recs, err, rec.ID)
	}
	if ok, err := draws.Notified(ctx, rec); err != nil || !ok {
		t.Errorf("draw not marked notified: %v %v", ok, err)
	}
	out, errOut, rc := runCmd(t, "", "draw", "verify", rec.ID, "--config", cfg)
	if rc != 0 {
		t.Errorf("draw verify exited %d: %s%s", rc, out, errOut)
	}
	if t.Failed() {
		for _, m := range fake.Messages() {
			t.Logf("%s dup=%v %.80q", m.ToUser, m.Duplicate, m.Content)
		}
		t.Logf("A:\n%s\nB:\n%s", a.stderr.String(), b.stderr.String())
	}
	t.Logf("killed with %d messages accepted; %d accepted in all, %d delivered", mid, len(fake.Messages()), len(fake.Delivered()))
}

// A findings dialog (提交检查结果) survives two SIGKILLs of serve: one
// right after a step's answer was accepted, one right after the click on
// 确认 while the answers go out slowly. The next process picks up where
// the last left off: each prompt reached the inspector once, the finding
// is stored once and whole, the co-inspector is asked once.
func TestServeKilledMidDialog(t *testing.T) {
	const admin, other = "admin1", "zhangsan"
	fake, srv, c, cfg := seedServeSetup(t, admin, other, map[string][]byte{"photo1": e2ePNG},
		"findings:\n  media_dir: "+t.TempDir()+"\n")
	rdb := srv.Client(t)
	ctx := context.Background()
	draws := store.NewDraws(rdb, "t:")
	findings := store.NewFindings(rdb, "t:")
	if _, errOut, rc := runCmd(t, "", "draw", "--task", "8", "--user", admin, "--yes", "--year", "2023", "--config", cfg); rc != 0 {
		t.Fatalf("draw: %s", errOut)
	}
	rec, err := draws.Current(ctx, 2023, "8")
	if err != nil || rec == nil {
		t.Fatalf("no draw: %v", err)
	}
	var ent draw.Drawn
	for _, g := range rec.Result.Groups {
		for _, d := range g.Entities {
			if len(d.Inspectors) == 2 && ent.CreditCode == "" {
				ent = d
			}
		}
	}
	if ent.CreditCode == "" {
		t.Fatal("no entity with two inspectors")
	}
	rep, co := ent.Inspectors[0], ent.Inspectors[1]

	p := startServeProcessEnv(t, cfg, quickTakeover)
	settle := func() {
		t.Helper()
		if st := waitSettled(t, rdb, &p.serveProc); st.Dead != 0 {
			t.Fatalf("outbox dead letters: %+v", st)
		}
	}
	restart := func() {
		t.Helper()
		p.kill()
		fake.ClearFaults()
		p = startServeProcessEnv(t, cfg, quickTakeover)
		waitInboxEmpty(t, rdb)
		settle()
	}
	lastCard := func() *fakewecom.TemplateCard {
		t.Helper()
		msgs := fake.Delivered()
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].ToUser == rep && msgs[i].Card != nil {
				return msgs[i].Card
			}
		}
		t.Fatalf("no card to %s", rep)
		return nil
	}
	id := 8200
	say := func(s string) {
		t.Helper()
		id++
		post(t, &p.serveProc, c, textMsg(fake.CorpID(), rep, s, id))
	}
	choose := func(cd *fakewecom.TemplateCard, keys ...string) string {
		t.Helper()
		cc := fakewecom.CardClick{UserID: rep, TaskID: cd.TaskID, EventKey: keys[0]}
		if cd.CardType == "vote_interaction" {
			cc = fakewecom.CardClick{UserID: rep, TaskID: cd.TaskID, EventKey: cd.SubmitButton.Key,
				Selected: []fakewecom.SelectedItem{{QuestionKey: cd.Checkbox.QuestionKey, OptionIDs: keys}}}
		}
		plain, _ := fake.CardEvent(cc)
		post(t, &p.serveProc, c, string(plain))
		return string(plain)
	}

	say("提交检查结果")
	settle()
	choose(lastCard(), "8|"+ent.CreditCode)
	restart() // killed right after the entity was chosen
	if n := deliveredTo(fake, rep, "检查日期"); n != 1 {
		t.Fatalf("asked for the date %d times after the restart\n%s", n, p.stderr.String())
	}
	say("今天")
	settle()
	if cd := lastCard(); len(cd.ButtonList) == 2 && cd.ButtonList[0].Key == "ok" && cd.ButtonList[1].Key == "redo" {
		choose(cd, "ok")
		settle()
	}
	choose(lastCard(), "m1", "m3")
	settle()
	say("1")
	settle()
	if deliveredTo(fake, rep, "备注") == 0 {
		choose(lastCard(), lastCard().ButtonList[0].Key)
		settle()
	}
	say("跳过")
	settle()
	id++
	post(t, &p.serveProc, c, imageMsg(fake.CorpID(), rep, "photo1", id))
	settle()
	say("完成")
	settle()
	if deliveredTo(fake, rep, "请核对检查结果") != 1 {
		t.Fatalf("no summary\n%s", p.stderr.String())
	}
	fake.SetRule(fakewecom.EndpointSend, slowDeliveries(300*time.Millisecond))
	confirm := choose(lastCard(), "ok")
	waitFor(t, "the finding to be stored", func() bool {
		f, err := findings.Get(ctx, 2023, "8", ent.CreditCode)
		return err == nil && f != nil
	})
	restart()                         // killed while the answers to 确认 go out
	post(t, &p.serveProc, c, confirm) // WeCom retries the click
	waitInboxEmpty(t, rdb)
	settle()

	f, err := findings.Get(ctx, 2023, "8", ent.CreditCode)
	if err != nil || f == nil || f.Reporter != rep || len(f.Photos) != 1 || len(f.Methods) != 2 || f.State == finding.Cosigned {
		t.Fatalf("finding %+v %v", f, err)
	}
	for s, want := range map[string]int{"检查日期": 1, "请核对检查结果": 1, "已提交": 1} {
		if n := deliveredTo(fake, rep, s); n != want {
			t.Errorf("%q reached the inspector %d times, want %d", s, n, want)
		}
	}
	if n := deliveredTo(fake, co, "请会签检查结果"); n != 1 {
		t.Errorf("the co-inspector was asked %d times", n)
	}
	cos := 0
	for _, m := range fake.Delivered() {
		if m.ToUser == co && m.Card != nil && strings.HasPrefix(m.Card.TaskID, "cosign-") {
			cos++
		}
	}
	if cos != 1 {
		t.Errorf("the co-inspector got %d co-sign cards", cos)
	}
	per := map[string]int{}
	for _, u := range fake.CardUpdates() {
		per[u.ResponseCode]++
	}
	for code, n := range per {
		if n != 1 {
			t.Errorf("response code %s used %d times", code, n)
		}
	}
}

// waitInboxEmpty waits until every accepted message was answered,
// including those a killed process left for the next to take over.
func waitInboxEmpty(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	key := keys.New("t:").Inbox()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n, err := rdb.ZCard(context.Background(), key).Result()
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still unanswered after 15s (%v)", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
