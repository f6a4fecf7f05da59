package wecom_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// A whole guided conversation through real WeCom traffic: the prompts go
// out through the outbox as template cards, the fake's card events and an
// image come back as encrypted callbacks, each click's card is updated with
// its response code, and the flow finishes.
func TestEndToEndConversation(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "lisi", Name: "李四", Departments: []int{3}}}})
	router, dialogs, st := wecom.ConversationRouter(t, rdb, "e2e:")
	r := startReplicaWith(t, rdb, fake, replicaOpts{before: func(ctx context.Context, req *handlers.Request) (reply.Reply, bool, error) {
		rep, err := router.Handle(ctx, req)
		return rep, true, err
	}})
	ctx := context.Background()
	c := r.w.Crypto
	wait := func(n int) fakewecom.Message {
		t.Helper()
		msgs, err := fake.WaitMessages(n, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return msgs[n-1]
	}
	post := func(plain string) {
		t.Helper()
		if code := callback(t, r.srv.URL, c, plain); code != 200 {
			t.Fatalf("callback: %d", code)
		}
	}
	click := func(m fakewecom.Message, key string, options ...string) string {
		t.Helper()
		cl := fakewecom.CardClick{UserID: "lisi", TaskID: m.TaskID, EventKey: key}
		if len(options) > 0 {
			cl.Selected = []fakewecom.SelectedItem{{QuestionKey: wecomapi.CardQuestionKey, OptionIDs: options}}
		}
		plain, code := fake.CardEvent(cl)
		post(string(plain))
		return code
	}

	// The dialog starts (as a command's handler would start it) and its
	// first prompt goes out.
	first, err := dialogs.Start(ctx, &handlers.Request{Channel: wecom.Name, UserID: "lisi", MsgID: "start:1", Kind: handlers.KindText, Now: time.Now()}, "survey", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ob.Send(ctx, reply.Message{ID: "start:1", To: reply.User("lisi"), Reply: first}); err != nil {
		t.Fatal(err)
	}
	kind := wait(1)
	if kind.MsgType != "template_card" || kind.CardType != wecomapi.CardTypeButton {
		t.Fatalf("first prompt: %s %s", kind.MsgType, kind.Body)
	}

	code1 := click(kind, "doc")
	items := wait(2)
	if items.MsgType != "template_card" || items.CardType != wecomapi.CardTypeVote {
		t.Fatalf("after the click: %s %s", items.MsgType, items.Body)
	}
	code2 := click(items, wecomapi.CardSubmitKey, "license", "meter")
	photo := wait(3)
	if photo.MsgType != "text" || !strings.Contains(photo.Content, "请发送现场照片") {
		t.Fatalf("after the vote: %s %q", photo.MsgType, photo.Content)
	}
	post(fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://wework.qpic.cn/x.jpg]]></PicUrl>"+
		"<MediaId><![CDATA[MEDIA_E2E]]></MediaId><MsgId>9901</MsgId><AgentID>1000002</AgentID></xml>", fake.CorpID(), time.Now().Unix()))
	note := wait(4)
	if !strings.Contains(note.Content, "请填写检查意见") {
		t.Fatalf("after the photo: %q", note.Content)
	}
	if s, err := st.Load(ctx, "lisi"); err != nil || s == nil || s.Step != "note" || s.Get("kind") != "doc" ||
		s.Get("items") != "license,meter" || s.Get("photo") != "MEDIA_E2E" {
		t.Fatalf("dialog state %+v, %v", s, err)
	}
	post(text(fake.CorpID(), "lisi", "现场无异常", 9902))
	done := wait(5)
	if done.Content != "已提交：doc/license,meter/MEDIA_E2E/现场无异常" {
		t.Fatalf("finish: %q", done.Content)
	}
	r.stop()

	if s, _ := st.Load(ctx, "lisi"); s != nil {
		t.Fatalf("dialog kept after finishing: %+v", s)
	}
	ups := fake.CardUpdates()
	if len(ups) != 2 || ups[0].ResponseCode != code1 || ups[0].TaskID != kind.TaskID || ups[1].ResponseCode != code2 ||
		ups[1].TaskID != items.TaskID || ups[0].ReplaceName == "" || ups[0].UserIDs[0] != "lisi" {
		t.Fatalf("card updates %+v", ups)
	}
	if len(fake.Messages()) != 5 {
		t.Fatalf("%d messages sent, want 5", len(fake.Messages()))
	}
}
