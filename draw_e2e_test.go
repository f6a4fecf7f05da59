package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store"
)

// seedUsers are the address book of the draw test: the admin, a member
// who is not one, and every inspector of the seed directory.
func seedUsers(t *testing.T, admin, other string) []fakewecom.User {
	t.Helper()
	f, err := os.Open("seeds/inspectors.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	users := []fakewecom.User{{UserID: admin, Name: "管理员", Departments: []int{12}}, {UserID: other, Departments: []int{12}}}
	for _, r := range rows[1:] {
		users = append(users, fakewecom.User{UserID: r[1], Name: r[0], Departments: []int{12}})
	}
	return users
}

// seedServeSetup starts the fake WeCom with the seed address book (and
// media) and a private Redis, and writes a serve config with the seed
// directories, admin as the admin, a quick outbox, no reminders and extra
// YAML; it returns the fake, the Redis, the callback crypto and the config.
func seedServeSetup(t *testing.T, admin, other string, media map[string][]byte, extra string) (*fakewecom.Server, *redistest.Server, *wecom.Crypto, string) {
	t.Helper()
	srv := redistest.Start(t)
	fake, c, cfg := seedServeSetupURL(t, srv.URL(), admin, other, media, extra)
	return fake, srv, c, cfg
}

// seedServeSetupURL is seedServeSetup with the Redis at redisURL.
func seedServeSetupURL(t *testing.T, redisURL, admin, other string, media map[string][]byte, extra string) (*fakewecom.Server, *wecom.Crypto, string) {
	t.Helper()
	fake := fakewecom.Start(t, fakewecom.Options{Users: seedUsers(t, admin, other), PerUserPerMinute: -1, Media: media})
	setWeComEnv(t, fake)
	seeds, err := filepath.Abs("seeds")
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, redisURL, fmt.Sprintf(`admins: [%s]
directories:
  entities: %q
  inspectors: %q
wecom:
  departments: {12: 计量科}
outbox:
  initial_backoff: 20ms
  max_backoff: 100ms
reminders:
  enabled: false
`, admin, filepath.Join(seeds, "entities.csv"), filepath.Join(seeds, "inspectors.csv"))+extra)
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c, cfg
}

// waitFor polls cond until it holds or 10s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An admin draws through WeCom with the real serve command: "抽取 8" gets
// the preview and a button card through message/send; the click on 确认抽取
// (a template_card_event) updates the card with its response code, saves
// the draw, answers the admin with the batch and tells every assigned
// inspector once through the outbox. WeCom's retry of the click and a
// restart add nothing.
func TestServeWeComDraw(t *testing.T) {
	const admin, other = "admin1", "zhangsan"
	fake, srv, c, cfg := seedServeSetup(t, admin, other, nil, "")
	rdb := srv.Client(t)
	a := startServe(t, cfg)
	ctx := context.Background()
	draws := store.NewDraws(rdb, "t:")

	// A member who is not an admin is refused.
	post(t, a, c, textMsg(fake.CorpID(), other, "抽取 8", 7101))
	got, err := fake.WaitMessages(1, 10*time.Second)
	if err != nil {
		t.Fatalf("no answer: %v\n%s", err, a.stderr.String())
	}
	if got[0].ToUser != other || !strings.Contains(got[0].Content, "仅限管理员使用") {
		t.Fatalf("non-admin 抽取: %+v", got[0])
	}

	// The preview: markdown, then the card.
	post(t, a, c, textMsg(fake.CorpID(), admin, "抽取 8", 7102))
	got, err = fake.WaitMessages(3, 10*time.Second)
	if err != nil {
		t.Fatalf("no preview: %v\n%s", err, a.stderr.String())
	}
	preview, cardMsg := got[1], got[2]
	if preview.ToUser != admin || preview.MsgType != "markdown" || !strings.Contains(preview.Content, "抽取预览：2023年度 任务8") ||
		!strings.Contains(preview.Content, "将抽取 **9** 户") || !strings.Contains(preview.Content, "检查人员 8 名") {
		t.Fatalf("preview %+v", preview)
	}
	card := cardMsg.Card
	if cardMsg.ToUser != admin || cardMsg.MsgType != "template_card" || card == nil || card.CardType != "button_interaction" ||
		cardMsg.ResponseCode == "" || len(card.ButtonList) != 2 || card.ButtonList[0].Key != "confirm" || card.ButtonList[1].Key != "cancel" {
		t.Fatalf("card message %+v, card %+v", cardMsg, card)
	}
	if rec, err := draws.Current(ctx, 2023, "8"); err != nil || rec != nil {
		t.Fatalf("a draw exists before 确认: %v %v", rec, err)
	}

	// The click on 确认抽取.
	click, code := fake.CardEvent(fakewecom.CardClick{UserID: admin, TaskID: card.TaskID, EventKey: "confirm"})
	post(t, a, c, string(click))
	var rec *draw.Record
	waitFor(t, "the draw to be saved", func() bool {
		rec, err = draws.Current(ctx, 2023, "8")
		return err == nil && rec != nil
	})
	users := map[string][]string{}
	for _, g := range rec.Result.Groups {
		for _, d := range g.Entities {
			for _, u := range d.Inspectors {
				users[u] = append(users[u], d.CreditCode)
			}
		}
	}
	want := 3 + 1 + len(users) // so far, the summary, one per inspector
	if _, err := fake.WaitMessages(want, 10*time.Second); err != nil {
		t.Fatalf("after the click: %v\n%+v", err, fake.Messages())
	}
	waitFor(t, "the card update", func() bool { return len(fake.CardUpdates()) == 1 })
	// WeCom retries the click; a second replica starts (and resumes).
	post(t, a, c, string(click))
	b := startServe(t, cfg)
	if st := waitSettled(t, rdb, a, b); st.Dead != 0 {
		t.Fatalf("outbox dead letters: %+v", st)
	}

	up := fake.CardUpdates()
	if len(up) != 1 || up[0].ResponseCode != code || up[0].TaskID != card.TaskID || up[0].ReplaceName == "" ||
		!slices.Equal(up[0].UserIDs, []string{admin}) {
		t.Fatalf("card updates %+v (want one with response code %s)", up, code)
	}
	if issued, used := fake.ResponseCodeUsed(code); !issued || !used {
		t.Errorf("response code %s issued %v used %v", code, issued, used)
	}
	msgs := fake.Messages()
	if len(msgs) != want {
		t.Fatalf("fake received %d messages, want %d", len(msgs), want)
	}
	// The admin gets one message after the card: the summary (the outbox
	// may deliver it before or after the inspectors' notices).
	var toAdmin []fakewecom.Message
	for _, m := range msgs[3:] {
		if m.ToUser == admin {
			toAdmin = append(toAdmin, m)
		}
	}
	if len(toAdmin) != 1 || toAdmin[0].MsgType != "markdown" || !strings.Contains(toAdmin[0].Content, "抽取完成") ||
		!strings.Contains(toAdmin[0].Content, "批次 **"+rec.ID+"**") {
		t.Fatalf("the admin got %+v after the click, want the summary of %s", toAdmin, rec.ID)
	}
	told := map[string]int{}
	for _, m := range msgs[3:] {
		if m.ToUser == admin {
			continue
		}
		told[m.ToUser]++
		codes, ok := users[m.ToUser]
		if !ok || m.MsgType != "markdown" || !strings.Contains(m.Content, "抽查任务通知") {
			t.Errorf("unexpected message %+v", m)
			continue
		}
		for _, g := range rec.Result.Groups {
			for _, d := range g.Entities {
				if strings.Contains(m.Content, d.CreditCode) != slices.Contains(codes, d.CreditCode) {
					t.Errorf("notice to %s and %s (%s):\n%s", m.ToUser, d.Name, d.CreditCode, m.Content)
				}
			}
		}
	}
	for u := range users {
		if told[u] != 1 {
			t.Errorf("inspector %s told %d times", u, told[u])
		}
	}
	recs, err := draws.List(ctx, 2023)
	if err != nil || len(recs) != 1 {
		t.Fatalf("%d draws (%v), want 1", len(recs), err)
	}
	if ok, err := draws.Notified(ctx, rec); err != nil || !ok {
		t.Errorf("draw not marked notified: %v %v", ok, err)
	}
}
