package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/store"
)

// e2ePNG is a 1x1 PNG, served by the fake's media/get.
var e2ePNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func imageMsg(corp, user, media string, id int) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://example.invalid/p.png]]></PicUrl>"+
		"<MediaId><![CDATA[%s]]></MediaId><MsgId>%d</MsgId><AgentID>1000002</AgentID></xml>", corp, user, time.Now().Unix(), media, id)
}

// An inspector reports a finding of a fresh draw through WeCom with the
// real serve command, mixing typed answers, button and vote card clicks
// and one photo; the finding is stored with the photo under media_dir,
// the co-inspector is asked once (markdown and card) and co-signs by a
// click. Each click updates its card once with its response code, and
// redelivered callbacks add nothing.
func TestServeWeComFinding(t *testing.T) {
	const admin, other = "admin1", "zhangsan"
	mediaDir := t.TempDir()
	fake, srv, c, cfg := seedServeSetup(t, admin, other, map[string][]byte{"photo1": e2ePNG}, fmt.Sprintf("findings:\n  media_dir: %q\n", mediaDir))
	rdb := srv.Client(t)
	a := startServe(t, cfg)
	ctx := t.Context()
	draws := store.NewDraws(rdb, "t:")
	findings := store.NewFindings(rdb, "t:")
	var err error

	seen := 0
	// settle waits for everything sent so far and returns the new messages.
	settle := func() []fakewecom.Message {
		t.Helper()
		if st := waitSettled(t, rdb, a); st.Dead != 0 {
			t.Fatalf("outbox dead letters: %+v", st)
		}
		msgs := fake.Messages()
		out := msgs[seen:]
		seen = len(msgs)
		return out
	}
	clicks := map[string]string{} // response code -> task id
	click := func(cc fakewecom.CardClick) string {
		t.Helper()
		plain, code := fake.CardEvent(cc)
		clicks[code] = cc.TaskID
		post(t, a, c, string(plain))
		return string(plain)
	}
	lastCard := func(msgs []fakewecom.Message, user string) *fakewecom.TemplateCard {
		t.Helper()
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].ToUser == user && msgs[i].Card != nil {
				return msgs[i].Card
			}
		}
		t.Fatalf("no card to %s in %+v\n%s", user, msgs, a.stderr.String())
		return nil
	}
	text := func(msgs []fakewecom.Message) string {
		var b strings.Builder
		for _, m := range msgs {
			b.WriteString(m.Content)
			if m.Card != nil {
				b.WriteString(m.Card.MainTitle.Title + m.Card.MainTitle.Desc)
			}
			b.WriteString("\n")
		}
		return b.String()
	}

	// The admin draws item 8.
	post(t, a, c, textMsg(fake.CorpID(), admin, "抽取 8", 8101))
	card := lastCard(settle(), admin)
	click(fakewecom.CardClick{UserID: admin, TaskID: card.TaskID, EventKey: "confirm"})
	var rec *draw.Record
	waitFor(t, "the draw to be saved", func() bool {
		rec, err = draws.Current(ctx, 2023, "8")
		return err == nil && rec != nil
	})
	settle()

	// An entity with two inspectors: the first reports, the second co-signs.
	var ent draw.Drawn
	for _, g := range rec.Result.Groups {
		for _, d := range g.Entities {
			if len(d.Inspectors) == 2 && ent.CreditCode == "" {
				ent = d
			}
		}
	}
	if ent.CreditCode == "" {
		t.Fatalf("no entity with two inspectors in %+v", rec.Result.Groups)
	}
	rep, co := ent.Inspectors[0], ent.Inspectors[1]

	id := 8200
	say := func(s string) []fakewecom.Message {
		t.Helper()
		id++
		post(t, a, c, textMsg(fake.CorpID(), rep, s, id))
		return settle()
	}
	// choose clicks a card's option by key (a button, or a vote's submit).
	choose := func(card *fakewecom.TemplateCard, keys ...string) []fakewecom.Message {
		t.Helper()
		if card.CardType == "vote_interaction" {
			click(fakewecom.CardClick{UserID: rep, TaskID: card.TaskID, EventKey: card.SubmitButton.Key,
				Selected: []fakewecom.SelectedItem{{QuestionKey: card.Checkbox.QuestionKey, OptionIDs: keys}}})
		} else {
			click(fakewecom.CardClick{UserID: rep, TaskID: card.TaskID, EventKey: keys[0]})
		}
		return settle()
	}

	got := say("提交检查结果")
	got = choose(lastCard(got, rep), "8|"+ent.CreditCode)
	if !strings.Contains(text(got), "检查日期") {
		t.Fatalf("after the entity: %s", text(got))
	}
	got = say("今天")
	if cd := lastCard(got, rep); len(cd.ButtonList) == 2 && cd.ButtonList[0].Key == "ok" && cd.ButtonList[1].Key == "redo" {
		got = choose(cd, "ok") // the date needs confirming
	}
	methods := lastCard(got, rep)
	if methods.CardType != "vote_interaction" || methods.Checkbox == nil || methods.Checkbox.Mode != 1 {
		t.Fatalf("methods card %+v in %s", methods, text(got))
	}
	got = choose(methods, "m1", "m3")
	if !strings.Contains(text(got), "检查结果") {
		t.Fatalf("after methods: %s", text(got))
	}
	got = say("1") // 未发现问题
	if !strings.Contains(text(got), "备注") {
		got = choose(lastCard(got, rep), lastCard(got, rep).ButtonList[0].Key) // the follow-up
	}
	if !strings.Contains(text(got), "备注") {
		t.Fatalf("no remarks step: %s", text(got))
	}
	got = say("跳过")
	if !strings.Contains(text(got), "照片") {
		t.Fatalf("no photos step: %s", text(got))
	}
	id++
	photo := imageMsg(fake.CorpID(), rep, "photo1", id)
	post(t, a, c, photo)
	if got = settle(); !strings.Contains(text(got), "已收到1张照片") {
		t.Fatalf("after the photo: %s\n%s", text(got), a.stderr.String())
	}
	got = say("完成")
	confirm := lastCard(got, rep)
	if !strings.Contains(text(got), "请核对检查结果") {
		t.Fatalf("no summary: %s", text(got))
	}
	var okKey string
	for _, b := range confirm.ButtonList {
		if b.Key == "ok" {
			okKey = b.Key
		}
	}
	if okKey == "" {
		t.Fatalf("confirm card %+v", confirm)
	}
	plain, code := fake.CardEvent(fakewecom.CardClick{UserID: rep, TaskID: confirm.TaskID, EventKey: okKey})
	clicks[code] = confirm.TaskID
	post(t, a, c, string(plain))
	got = settle()
	if !strings.Contains(text(got), "已提交") {
		t.Fatalf("after 确认: %s\n%s", text(got), a.stderr.String())
	}

	f, err := findings.Get(ctx, 2023, "8", ent.CreditCode)
	if err != nil || f == nil {
		t.Fatalf("finding not stored: %v", err)
	}
	if f.Reporter != rep || len(f.Photos) != 1 || len(f.Methods) != 2 || f.State == finding.Cosigned {
		t.Fatalf("finding %+v", f)
	}
	sum := sha256.Sum256(e2ePNG)
	hexSum := hex.EncodeToString(sum[:])
	if f.Photos[0].SHA256 != hexSum {
		t.Errorf("photo %+v, want sha256 %s", f.Photos[0], hexSum)
	}
	if _, err := os.Stat(filepath.Join(mediaDir, hexSum+".png")); err != nil {
		t.Errorf("photo file: %v", err)
	}
	var toCo []fakewecom.Message
	for _, m := range got {
		if m.ToUser == co {
			toCo = append(toCo, m)
		}
	}
	if len(toCo) != 2 || toCo[0].MsgType != "markdown" || !strings.Contains(toCo[0].Content, "请会签检查结果") ||
		toCo[1].Card == nil || len(toCo[1].Card.ButtonList) != 2 || !strings.HasPrefix(toCo[1].Card.ButtonList[0].Key, "cosign:ok:") {
		t.Fatalf("the co-inspector got %+v", toCo)
	}

	// WeCom redelivers the photo and the 确认 click: nothing more happens.
	version := f.Version
	updates := len(fake.CardUpdates())
	post(t, a, c, photo)
	post(t, a, c, string(plain))
	if got = settle(); len(got) != 0 {
		t.Fatalf("redelivered callbacks sent %s", text(got))
	}
	if n := len(fake.CardUpdates()); n != updates {
		t.Fatalf("redelivered callbacks updated %d cards", n-updates)
	}
	if f, err = findings.Get(ctx, 2023, "8", ent.CreditCode); err != nil || f.Version != version || len(f.Photos) != 1 {
		t.Fatalf("finding after redelivery %+v %v", f, err)
	}

	// The co-inspector clicks 确认无误.
	cc := toCo[1].Card
	click(fakewecom.CardClick{UserID: co, TaskID: cc.TaskID, EventKey: cc.ButtonList[0].Key})
	got = settle()
	if f, err = findings.Get(ctx, 2023, "8", ent.CreditCode); err != nil || f.State != finding.Cosigned {
		t.Fatalf("not co-signed: %+v %v\n%s", f, err, text(got))
	}
	if !strings.Contains(text(got), "会签已完成") || !strings.Contains(text(got), "已完成会签") {
		t.Errorf("after the co-sign: %s", text(got))
	}
	if again := settle(); len(again) != 0 {
		t.Errorf("more messages: %s", text(again))
	}
	// The co-sign request reached the co-inspector once in all.
	asked := 0
	for _, m := range fake.Messages() {
		if m.ToUser == co && (strings.Contains(m.Content, "请会签检查结果") || m.Card != nil && strings.HasPrefix(m.Card.TaskID, "cosign-")) {
			asked++
		}
	}
	if asked != 2 {
		t.Errorf("the co-inspector got %d co-sign messages, want the markdown and the card once", asked)
	}
	// Every click updated its card exactly once, with its response code.
	per := map[string]int{}
	for _, u := range fake.CardUpdates() {
		per[u.ResponseCode]++
		if clicks[u.ResponseCode] != u.TaskID {
			t.Errorf("update %+v is not for a click", u)
		}
	}
	for code, task := range clicks {
		if per[code] != 1 {
			t.Errorf("click on %s (code %s) updated %d times", task, code, per[code])
		}
	}
	if len(fake.CardUpdates()) != len(clicks) {
		t.Errorf("%d card updates for %d clicks", len(fake.CardUpdates()), len(clicks))
	}
}
