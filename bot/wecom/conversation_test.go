package wecom

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// Prompts of ConversationFlow's steps.
const (
	convKindPrompt  = "请选择检查方式"
	convItemsPrompt = "请选择检查事项"
	convPhotoPrompt = "请发送现场照片"
	convNotePrompt  = "请填写检查意见"
)

// ConversationFlow is the flow the channel tests run: a choice (buttons),
// several choices (a vote card), a photo (an image), an optional note. It
// is exported for the end-to-end test in package wecom_test.
func ConversationFlow() *dialog.Flow {
	opts := func(pairs ...string) func(*dialog.State) []reply.Option {
		var o []reply.Option
		for i := 0; i < len(pairs); i += 2 {
			o = append(o, reply.Option{Key: pairs[i], Text: pairs[i+1]})
		}
		return func(*dialog.State) []reply.Option { return o }
	}
	prompt := func(s string) func(*dialog.State) string { return func(*dialog.State) string { return s } }
	record := func(key, next string, value func(dialog.Input) (string, error)) func(context.Context, *dialog.State, dialog.Input) (string, error) {
		return func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
			v, err := value(in)
			if err != nil {
				return "", err
			}
			s.Set(key, v)
			return next, nil
		}
	}
	choice := func(in dialog.Input) (string, error) { return strings.Join(in.Choice, ","), nil }
	return &dialog.Flow{
		Name: "survey", Title: "现场检查", First: "kind",
		Steps: []dialog.Step{
			{Name: "kind", Prompt: prompt(convKindPrompt), Options: opts("site", "实地检查", "doc", "书面检查", "online", "网络检查"),
				Parse: record("kind", "items", choice)},
			{Name: "items", Multiple: true, Prompt: prompt(convItemsPrompt), Options: opts("license", "营业执照", "price", "价格公示", "meter", "计量器具"),
				Parse: record("items", "photo", choice)},
			{Name: "photo", Prompt: prompt(convPhotoPrompt), Parse: record("photo", "note", func(in dialog.Input) (string, error) {
				if in.MediaKind != string(handlers.KindImage) {
					return "", dialog.Invalid("这一步需要一张现场照片（图片）。")
				}
				return in.MediaID, nil
			})},
			{Name: "note", Optional: true, Prompt: prompt(convNotePrompt),
				Parse: record("note", dialog.Done, func(in dialog.Input) (string, error) { return in.Text, nil })},
		},
		Finish: func(_ context.Context, s *dialog.State, _ dialog.Input) (reply.Reply, error) {
			return reply.Text("已提交：" + s.Get("kind") + "/" + s.Get("items") + "/" + s.Get("photo") + "/" + s.Get("note")), nil
		},
	}
}

// ConversationRouter is the bot's router with ConversationFlow registered
// over the dialog store in rdb under prefix.
func ConversationRouter(t testing.TB, rdb redis.UniversalClient, prefix string) (*handlers.Router, *handlers.Dialogs, *store.Dialogs) {
	t.Helper()
	st := store.NewDialogs(rdb, prefix)
	e, err := dialog.New(st, 0, ConversationFlow())
	if err != nil {
		t.Fatal(err)
	}
	d := &handlers.Dialogs{Engine: e}
	r, err := handlers.NewRouter(handlers.Deps{Conversations: d, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return r, d, st
}

// cardEventXML is a template_card_event callback: a button's key, or a vote
// card's submit with the chosen option ids.
func cardEventXML(user, key, taskID, responseCode string, created int64, options ...string) []byte {
	cardType, selected := "button_interaction", ""
	if len(options) > 0 {
		cardType = "vote_interaction"
		selected = "<SelectedItems><SelectedItem><QuestionKey><![CDATA[" + wecomapi.CardQuestionKey + "]]></QuestionKey><OptionIds>"
		for _, o := range options {
			selected += "<OptionId><![CDATA[" + o + "]]></OptionId>"
		}
		selected += "</OptionIds></SelectedItem></SelectedItems>"
	}
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>"+
		"<EventKey><![CDATA[%s]]></EventKey><TaskId><![CDATA[%s]]></TaskId><CardType><![CDATA[%s]]></CardType>"+
		"<ResponseCode><![CDATA[%s]]></ResponseCode><AgentID>218</AgentID>%s</xml>",
		vecCorpID, user, created, key, taskID, cardType, responseCode, selected)
}

func imageXML(user, mediaID, msgID string, created int64) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://wework.qpic.cn/p.jpg]]></PicUrl>"+
		"<MediaId><![CDATA[%s]]></MediaId><MsgId>%s</MsgId><AgentID>218</AgentID></xml>", vecCorpID, user, created, mediaID, msgID)
}

// waitSent waits until the stack has sent n answers.
func waitSent(t *testing.T, s *stack, n int) []reply.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sent := s.sent.All()
		if len(sent) >= n {
			return sent
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d answers sent, want %d: %+v", len(sent), n, sent)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The routes' answers to what is not text: a conversation's messages must
// never get them.
var notTextAnswers = []string{"目前只能回答文字问题", "已收到您发送的图片", "已经结束或已过期"}

func partsText(r reply.Reply) string {
	var b strings.Builder
	for _, x := range r.Flatten() {
		if x.Card != nil {
			b.WriteString(x.Card.Numbered())
		}
		b.WriteString(x.Text + "\n")
	}
	return b.String()
}

// The acceptance test, WeCom side: a template_card_event (a button,
// then a vote card's submit) and an image, posted as encrypted callbacks,
// reach the user's running conversation, not the "only text" answers.
func TestCallbackCardEventAndImageReachConversation(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	router, dialogs, st := ConversationRouter(t, rdb, "t:")
	s := newStack(t, stackOpts{rdb: rdb, h: router.Handle})
	ctx := context.Background()
	now := s.now.Unix()

	first, err := dialogs.Start(ctx, &handlers.Request{Channel: Name, UserID: "lisi", MsgID: "start:1", Kind: handlers.KindText, Now: s.now}, "survey", nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Card == nil {
		t.Fatalf("first prompt %+v", first)
	}

	// A button of the first card.
	if code := post(t, s.srv.URL, s.crypto, cardEventXML("lisi", "online", first.Card.TaskID, "RC-1", now), now); code != 200 {
		t.Fatalf("card event: %d", code)
	}
	sent := waitSent(t, s, 1)
	a := sent[0].Reply
	if a.Kind != reply.KindCardUpdate || a.Update.ResponseCode != "RC-1" || len(a.More) != 1 || a.More[0].Card == nil ||
		!strings.Contains(a.More[0].Card.Description, convItemsPrompt) || !a.More[0].Card.Multiple {
		t.Fatalf("answer to the click: %+v\n%s", a, partsText(a))
	}
	// The vote card's submit with two options.
	items := a.More[0].Card
	if code := post(t, s.srv.URL, s.crypto, cardEventXML("lisi", wecomapi.CardSubmitKey, items.TaskID, "RC-2", now, "meter", "price"), now); code != 200 {
		t.Fatalf("vote event: %d", code)
	}
	// A photo.
	if code := post(t, s.srv.URL, s.crypto, imageXML("lisi", "MEDIA_PHOTO", "5001", now), now); code != 200 {
		t.Fatalf("image: %d", code)
	}
	// The same photo again (WeCom's retry): deduped before the dialog.
	post(t, s.srv.URL, s.crypto, imageXML("lisi", "MEDIA_PHOTO", "5001", now), now)

	// A user without a dialog sends the same: the routes answer.
	post(t, s.srv.URL, s.crypto, cardEventXML("wangwu", "online", first.Card.TaskID, "RC-3", now), now)
	post(t, s.srv.URL, s.crypto, imageXML("wangwu", "MEDIA_OTHER", "5002", now), now)
	s.drain(t)

	state, err := st.Load(ctx, "lisi")
	if err != nil || state == nil {
		t.Fatalf("lisi's dialog: %+v, %v", state, err)
	}
	if state.Step != "note" || state.Get("kind") != "online" || state.Get("items") != "meter,price" || state.Get("photo") != "MEDIA_PHOTO" {
		t.Fatalf("lisi's dialog did not get the click, the vote and the photo: %+v", state)
	}
	var lisi, wangwu []reply.Reply
	for _, m := range s.sent.All() {
		switch m.To.Users[0] {
		case "lisi":
			lisi = append(lisi, m.Reply)
		case "wangwu":
			wangwu = append(wangwu, m.Reply)
		}
	}
	if len(lisi) != 3 {
		t.Fatalf("lisi got %d answers, want 3", len(lisi))
	}
	for _, r := range lisi {
		for _, bad := range notTextAnswers {
			if strings.Contains(partsText(r), bad) {
				t.Fatalf("lisi got the routes' answer %q:\n%s", bad, partsText(r))
			}
		}
	}
	if v := lisi[1]; v.Kind != reply.KindCardUpdate || v.Update.ResponseCode != "RC-2" || len(v.More) != 1 || !strings.Contains(v.More[0].Text, convPhotoPrompt) {
		t.Fatalf("answer to the vote:\n%s", partsText(v))
	}
	if p := lisi[2]; p.Kind != reply.KindText || !strings.Contains(p.Text, convNotePrompt) {
		t.Fatalf("answer to the photo:\n%s", partsText(p))
	}
	if len(wangwu) != 2 || !strings.Contains(wangwu[0].Text, "已经结束或已过期") || !strings.Contains(wangwu[1].Text, "已收到您发送的图片") {
		t.Fatalf("without a dialog: %+v", wangwu)
	}
	if st, _ := st.Load(ctx, "wangwu"); st != nil {
		t.Fatalf("wangwu has a dialog: %+v", st)
	}
}
