package wecomapi_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

func options(n int) []reply.Option {
	out := make([]reply.Option, n)
	for i := range out {
		out[i] = reply.Option{Key: fmt.Sprintf("opt_%d", i+1), Text: fmt.Sprintf("选项%d", i+1)}
	}
	return out
}

// lastCard returns the only message the fake received, which must be a card.
func lastCard(t *testing.T, fake *fakewecom.Server) fakewecom.Message {
	t.Helper()
	msgs := fake.Messages()
	if len(msgs) == 0 {
		t.Fatal("no message received")
	}
	m := msgs[len(msgs)-1]
	if m.MsgType != "template_card" || m.Card == nil {
		t.Fatalf("last message is %s, not a template_card: %s", m.MsgType, m.Body)
	}
	return m
}

func wantErr(t *testing.T, name string, err error, code int, class wecomapi.Class) {
	t.Helper()
	var e *wecomapi.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: err %v is not a *wecomapi.Error", name, err)
		return
	}
	if e.Code != code || e.Class != class {
		t.Errorf("%s: %v: code %d class %v, want %d %v", name, err, e.Code, e.Class, code, class)
	}
	var ce *util.CommonError
	if code > 0 && (!errors.As(err, &ce) || int(ce.ErrCode) != code) {
		t.Errorf("%s: errors.As(*util.CommonError) = %v", name, ce)
	}
}

func TestSendCardButtons(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	card := &reply.Card{
		TaskID: "plan-2024_07@q1", Title: "请选择检查方式", Description: "第3季度双随机抽查",
		Options: []reply.Option{{Key: "onsite", Text: "实地检查"}, {Key: "paper", Text: "书面检查"}, {Key: "online", Text: "网络监测"}},
		Hint:    "回复序号选择",
	}
	res, err := c.SendCard(ctx, reply.User("zhangsan"), card)
	if err != nil {
		t.Fatal(err)
	}
	m := lastCard(t, fake)
	if res.ResponseCode == "" || res.ResponseCode != m.ResponseCode || res.MsgID != m.MsgID {
		t.Errorf("result %+v, fake answered response_code %q msgid %q", res, m.ResponseCode, m.MsgID)
	}
	got := m.Card
	if m.ToUser != "zhangsan" || m.TaskID != card.TaskID || got.CardType != wecomapi.CardTypeButton ||
		got.MainTitle.Title != card.Title || got.MainTitle.Desc != card.Description || got.Checkbox != nil || got.SubmitButton != nil {
		t.Errorf("card %+v to %q", got, m.ToUser)
	}
	if len(got.ButtonList) != 3 {
		t.Fatalf("buttons %+v", got.ButtonList)
	}
	for i, b := range got.ButtonList {
		if b.Text != card.Options[i].Text || b.Key != card.Options[i].Key || b.Style != 1 || b.Type != 0 {
			t.Errorf("button %d = %+v", i, b)
		}
	}
	// Six options still fit buttons.
	card.TaskID, card.Options = "six", options(6)
	if _, err := c.SendCard(ctx, reply.User("zhangsan"), card); err != nil {
		t.Fatal(err)
	}
	if m := lastCard(t, fake); m.CardType != wecomapi.CardTypeButton || len(m.Card.ButtonList) != 6 {
		t.Errorf("six options: %s with %d buttons", m.CardType, len(m.Card.ButtonList))
	}
}

func TestSendCardVote(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	for _, tc := range []struct {
		name     string
		n        int
		multiple bool
		mode     int
	}{
		{"single, seven options", 7, false, 0},
		{"single, twenty options", 20, false, 0},
		{"multiple, three options", 3, true, 1},
	} {
		card := &reply.Card{TaskID: fmt.Sprintf("vote-%d-%v", tc.n, tc.multiple), Title: "选择检查事项", Options: options(tc.n), Multiple: tc.multiple}
		res, err := c.SendCard(ctx, reply.User("lisi"), card)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		m := lastCard(t, fake)
		got := m.Card
		if got.CardType != wecomapi.CardTypeVote || got.ButtonList != nil || got.Checkbox == nil || got.SubmitButton == nil || res.ResponseCode != m.ResponseCode {
			t.Errorf("%s: card %s", tc.name, m.CardJSON)
			continue
		}
		if got.Checkbox.Mode != tc.mode || got.Checkbox.QuestionKey != wecomapi.CardQuestionKey || len(got.Checkbox.OptionList) != tc.n {
			t.Errorf("%s: checkbox %+v", tc.name, got.Checkbox)
		}
		for i, o := range got.Checkbox.OptionList {
			if o.ID != card.Options[i].Key || o.Text != card.Options[i].Text {
				t.Errorf("%s: option %d = %+v", tc.name, i, o)
			}
		}
		if got.SubmitButton.Text != "提交" || got.SubmitButton.Key != wecomapi.CardSubmitKey {
			t.Errorf("%s: submit %+v", tc.name, got.SubmitButton)
		}
	}
}

func TestSendCardCutsLongTexts(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	title := strings.Repeat("标", 40)
	card := &reply.Card{TaskID: "long", Title: title, Description: strings.Repeat("述", 50),
		Options: []reply.Option{{Key: "a", Text: "一二三四五六七八九十十一"}, {Key: "b", Text: "短"}}}
	if _, err := c.SendCard(ctx, reply.User("u1"), card); err != nil {
		t.Fatal(err)
	}
	got := lastCard(t, fake).Card
	if n := utf8.RuneCountInString(got.MainTitle.Title); n != wecomapi.MaxTitleRunes || !strings.HasSuffix(got.MainTitle.Title, "…") ||
		!strings.HasPrefix(title, strings.TrimSuffix(got.MainTitle.Title, "…")) {
		t.Errorf("title %q (%d runes)", got.MainTitle.Title, n)
	}
	if n := utf8.RuneCountInString(got.MainTitle.Desc); n != wecomapi.MaxDescRunes {
		t.Errorf("desc %d runes", n)
	}
	if got.ButtonList[0].Text != "一二三四五六七八九…" || got.ButtonList[1].Text != "短" {
		t.Errorf("buttons %+v", got.ButtonList)
	}
	card.TaskID, card.Multiple = "long-vote", true
	card.Options[0].Text = strings.Repeat("项", 18)
	if _, err := c.SendCard(ctx, reply.User("u1"), card); err != nil {
		t.Fatal(err)
	}
	if o := lastCard(t, fake).Card.Checkbox.OptionList[0].Text; utf8.RuneCountInString(o) != wecomapi.MaxOptionTextRunes {
		t.Errorf("option text %q", o)
	}
}

func TestSendCardRejectsLocally(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	ok := func() *reply.Card { return &reply.Card{TaskID: "t1", Title: "题", Options: options(2)} }
	with := func(f func(*reply.Card)) *reply.Card { card := ok(); f(card); return card }
	cases := []struct {
		name string
		card *reply.Card
		to   reply.Recipient
		code int
	}{
		{"nil card", nil, reply.User("u1"), wecomapi.CodeInvalidParam},
		{"empty task id", with(func(c *reply.Card) { c.TaskID = "" }), reply.User("u1"), wecomapi.CodeInvalidTaskID},
		{"task id charset", with(func(c *reply.Card) { c.TaskID = "任务 1" }), reply.User("u1"), wecomapi.CodeInvalidTaskID},
		{"task id with a dot", with(func(c *reply.Card) { c.TaskID = "a.b" }), reply.User("u1"), wecomapi.CodeInvalidTaskID},
		{"task id too long", with(func(c *reply.Card) { c.TaskID = strings.Repeat("a", 129) }), reply.User("u1"), wecomapi.CodeInvalidTaskID},
		{"no title", with(func(c *reply.Card) { c.Title = " " }), reply.User("u1"), wecomapi.CodeInvalidParam},
		{"no options", with(func(c *reply.Card) { c.Options = nil }), reply.User("u1"), wecomapi.CodeInvalidParam},
		{"21 options", with(func(c *reply.Card) { c.Options = options(21) }), reply.User("u1"), wecomapi.CodeInvalidParam},
		{"empty key", with(func(c *reply.Card) { c.Options[1].Key = "" }), reply.User("u1"), wecomapi.CodeInvalidParam},
		{"repeated key", with(func(c *reply.Card) { c.Options[1].Key = c.Options[0].Key }), reply.User("u1"), wecomapi.CodeInvalidParam},
		{"long key", with(func(c *reply.Card) { c.Options[0].Key = strings.Repeat("k", 129) }), reply.User("u1"), wecomapi.CodeInvalidParam},
		{"empty text", with(func(c *reply.Card) { c.Options[0].Text = "" }), reply.User("u1"), wecomapi.CodeInvalidParam},
		{"no recipient", ok(), reply.Recipient{}, wecomapi.CodeNoValidRecipient},
	}
	for _, tc := range cases {
		_, err := c.SendCard(ctx, tc.to, tc.card)
		wantErr(t, tc.name, err, tc.code, wecomapi.Permanent)
		if err != nil && !strings.Contains(err.Error(), "checked locally") {
			t.Errorf("%s: %v does not say it was checked locally", tc.name, err)
		}
	}
	// 128 bytes of every allowed character is fine.
	long := strings.Repeat("aZ09_-@", 19)[:128]
	if _, err := c.SendCard(ctx, reply.User("u1"), with(func(c *reply.Card) { c.TaskID = long })); err != nil {
		t.Errorf("128-byte task id: %v", err)
	}
	if n := fake.Calls(fakewecom.EndpointSend); n != 1 {
		t.Errorf("message/send called %d times, want 1 (local checks send nothing)", n)
	}
}

func TestUpdateCardUsesResponseCodeOnce(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	to := reply.User("wangwu")
	res, err := c.SendCard(ctx, to, &reply.Card{TaskID: "upd1", Title: "是否完成", Options: options(2)})
	if err != nil {
		t.Fatal(err)
	}
	// The code from the send and the one from a click each work once.
	_, clickCode := fake.CardEvent(fakewecom.CardClick{UserID: "wangwu", TaskID: "upd1", EventKey: "opt_1"})
	for _, code := range []string{clickCode, res.ResponseCode} {
		if err := c.UpdateCard(ctx, to, &reply.CardUpdate{ResponseCode: code, ReplaceName: "已选择：选项1"}); err != nil {
			t.Fatalf("update with %s: %v", code, err)
		}
		err := c.UpdateCard(ctx, to, &reply.CardUpdate{ResponseCode: code, ReplaceName: "again"})
		wantErr(t, "second use", err, wecomapi.CodeResponseCodeUsed, wecomapi.Permanent)
	}
	ups := fake.CardUpdates()
	if len(ups) != 2 || ups[0].TaskID != "upd1" || ups[0].ReplaceName != "已选择：选项1" || ups[0].ResponseCode != clickCode ||
		strings.Join(ups[0].UserIDs, ",") != "wangwu" || ups[0].AgentID != fake.AgentID() {
		t.Errorf("updates %+v", ups)
	}
	err = c.UpdateCard(ctx, to, &reply.CardUpdate{ResponseCode: "never-issued", ReplaceName: "x"})
	wantErr(t, "unknown code", err, wecomapi.CodeInvalidParam, wecomapi.Permanent)

	calls := fake.Calls(fakewecom.EndpointUpdateCard)
	for _, tc := range []struct {
		name string
		to   reply.Recipient
		u    *reply.CardUpdate
		code int
	}{
		{"nil", to, nil, wecomapi.CodeInvalidParam},
		{"no code", to, &reply.CardUpdate{ReplaceName: "x"}, wecomapi.CodeInvalidParam},
		{"no name", to, &reply.CardUpdate{ResponseCode: "c"}, wecomapi.CodeInvalidParam},
		{"no recipient", reply.Recipient{}, &reply.CardUpdate{ResponseCode: "c", ReplaceName: "x"}, wecomapi.CodeNoValidRecipient},
	} {
		wantErr(t, tc.name, c.UpdateCard(ctx, tc.to, tc.u), tc.code, wecomapi.Permanent)
	}
	if n := fake.Calls(fakewecom.EndpointUpdateCard); n != calls {
		t.Errorf("local checks called the fake %d times", n-calls)
	}
}

func TestUpdateCardFaults(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	to := reply.User("u1")
	res, err := c.SendCard(ctx, to, &reply.Card{TaskID: "f1", Title: "题", Options: options(2)})
	if err != nil {
		t.Fatal(err)
	}
	u := &reply.CardUpdate{ResponseCode: res.ResponseCode, ReplaceName: "已完成"}
	fake.InjectFaults(fakewecom.EndpointUpdateCard, fakewecom.Fault{HTTPStatus: 502}, fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit})
	wantErr(t, "http 502", c.UpdateCard(ctx, to, u), wecomapi.CodeHTTP, wecomapi.Retryable)
	err = c.UpdateCard(ctx, to, u)
	wantErr(t, "45009", err, wecomapi.CodeFreqLimit, wecomapi.Retryable)
	var e *wecomapi.Error
	if !errors.As(err, &e) || !e.RateLimited() {
		t.Errorf("45009 is a rate limit: %v", err)
	}
	// A faulted call did not use the code up; an expired token is refetched.
	fake.ExpireTokens()
	if err := c.UpdateCard(ctx, to, u); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.CardUpdates()); n != 1 {
		t.Errorf("%d updates", n)
	}
}

func TestSendFile(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	// Binary content, including bytes that look like multipart framing.
	data := append([]byte("PK\x03\x04\x00\r\n--boundary\r\n"), bytes.Repeat([]byte{0xff, 0x00, '"'}, 1000)...)
	f := &reply.File{Name: `2024年"双随机"抽查结果.xlsx`, Data: data}
	res, err := c.SendFile(ctx, reply.Recipient{Users: []string{"u1", "u2"}}, f)
	if err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages()
	if len(msgs) != 1 || msgs[0].MsgType != "file" || msgs[0].MediaID == "" || msgs[0].ToUser != "u1|u2" || msgs[0].MsgID != res.MsgID {
		t.Fatalf("messages %+v", msgs)
	}
	up, ok := fake.Media(msgs[0].MediaID)
	if !ok || up.Type != "file" || up.Name != f.Name || !bytes.Equal(up.Data, data) || up.ContentType != "application/octet-stream" {
		t.Fatalf("uploaded %q type %q, %d bytes (equal %v), ok %v", up.Name, up.Type, len(up.Data), bytes.Equal(up.Data, data), ok)
	}
	back, _, err := c.GetMedia(ctx, msgs[0].MediaID)
	if err != nil || !bytes.Equal(back, data) {
		t.Errorf("GetMedia: %d bytes, %v", len(back), err)
	}

	// The upload shares the token handling: an expired token is refetched
	// and the same body is posted again.
	fake.ExpireTokens()
	id, err := c.UploadFile(ctx, "名单.csv", []byte("统一社会信用代码,名称\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := fake.Media(id); m.Name != "名单.csv" || string(m.Data) != "统一社会信用代码,名称\n" {
		t.Errorf("after token expiry: %+v", m)
	}
	if n := fake.Calls(fakewecom.EndpointUpload); n != 3 {
		t.Errorf("media/upload calls %d, want 3 (one retried after 42001)", n)
	}
}

func TestSendFileFailures(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	to := reply.User("u1")
	for _, tc := range []struct {
		name string
		f    *reply.File
		to   reply.Recipient
		code int
	}{
		{"nil", nil, to, wecomapi.CodeInvalidParam},
		{"no name", &reply.File{Data: []byte("0123456789")}, to, wecomapi.CodeInvalidParam},
		{"too small", &reply.File{Name: "a.txt", Data: []byte("12345")}, to, wecomapi.CodeInvalidFileSize},
		{"too large", &reply.File{Name: "big.bin", Data: make([]byte, wecomapi.MaxFileBytes+1)}, to, wecomapi.CodeMediaTooLarge},
		{"no recipient", &reply.File{Name: "a.txt", Data: []byte("0123456789")}, reply.Recipient{}, wecomapi.CodeNoValidRecipient},
	} {
		_, err := c.SendFile(ctx, tc.to, tc.f)
		wantErr(t, tc.name, err, tc.code, wecomapi.Permanent)
	}
	if n := fake.Calls(fakewecom.EndpointUpload) + fake.Calls(fakewecom.EndpointSend); n != 0 {
		t.Errorf("local checks made %d calls", n)
	}

	// Faults of either step come back classified.
	f := &reply.File{Name: "a.txt", Data: []byte("0123456789")}
	fake.InjectFaults(fakewecom.EndpointUpload, fakewecom.Fault{ErrCode: fakewecom.CodeBusy})
	_, err := c.SendFile(ctx, to, f)
	wantErr(t, "upload busy", err, wecomapi.CodeBusy, wecomapi.Retryable)
	fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{ErrCode: fakewecom.CodeConcurrencyLimit})
	_, err = c.SendFile(ctx, to, f)
	wantErr(t, "send 45033", err, wecomapi.CodeConcurrencyLimit, wecomapi.Retryable)
	if len(fake.Messages()) != 0 {
		t.Error("nothing was sent")
	}
	// Exactly at the limit is accepted (given the time to upload 20 MB on
	// a loaded test machine: Config.Timeout bounds an upload too).
	slow := newClient(t, fake, redistest.Start(t).Client(t), func(cfg *wecomapi.Config) { cfg.Timeout = time.Minute })
	if _, err := slow.SendFile(ctx, to, &reply.File{Name: "max.bin", Data: make([]byte, wecomapi.MaxFileBytes)}); err != nil {
		t.Fatalf("20 MB file: %v", err)
	}
}

func TestDeliverCardsAndFiles(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{WebhookKeys: []string{"k"}})
	c := newClient(t, fake, redistest.Start(t).Client(t))
	to := reply.User("u1")
	card := &reply.Card{TaskID: "d1", Title: "选择", Options: options(2), Hint: "回复序号选择"}
	if err := c.Deliver(ctx, to, reply.Reply{Kind: reply.KindCard, Card: card}); err != nil {
		t.Fatal(err)
	}
	rc := lastCard(t, fake).ResponseCode
	if err := c.Deliver(ctx, to, reply.Reply{Kind: reply.KindCardUpdate, Update: &reply.CardUpdate{ResponseCode: rc, ReplaceName: "已选择"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Deliver(ctx, to, reply.Reply{Kind: reply.KindFile, File: &reply.File{Name: "x.txt", Data: []byte("hello world")}}); err != nil {
		t.Fatal(err)
	}
	// A group robot gets the card as numbered text and cannot take a file.
	robot := reply.Recipient{Webhook: "k"}
	if err := c.Deliver(ctx, robot, reply.Reply{Kind: reply.KindCard, Card: card}); err != nil {
		t.Fatal(err)
	}
	err := c.Deliver(ctx, robot, reply.Reply{Kind: reply.KindFile, File: &reply.File{Name: "x.txt", Data: []byte("hello world")}})
	wantErr(t, "file to a robot", err, wecomapi.CodeUnsupported, wecomapi.Permanent)
	msgs := fake.Messages()
	if len(msgs) != 3 || msgs[1].MsgType != "file" || msgs[2].Endpoint != fakewecom.EndpointWebhook || msgs[2].Content != card.Numbered() {
		t.Errorf("messages %+v", msgs)
	}
	if len(fake.CardUpdates()) != 1 {
		t.Error("card update not delivered")
	}
}
