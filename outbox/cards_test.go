package outbox_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// A card and a file go through the real outbox (Redis) and the WeCom
// client to the fake over HTTP, each exactly once, in order, through
// transient faults; the card's response code then updates it.
func TestCardAndFileDeliveredOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ob := e.outbox(nil)
	ctx := context.Background()
	to := reply.User("zhaoliu")
	card := &reply.Card{
		TaskID: "plan-7-method", Title: "请选择本次检查方式", Description: "计量科 · 第3季度",
		Options: []reply.Option{{Key: "onsite", Text: "实地检查"}, {Key: "paper", Text: "书面检查"}},
		Hint:    "回复序号选择",
	}
	data := append([]byte("PK\x03\x04"), bytes.Repeat([]byte("抽查结果\x00\r\n"), 500)...)
	file := &reply.File{Name: "2024年第3季度抽查结果.xlsx", Data: data}

	// One busy answer for each step: both are retried by the outbox.
	e.fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{ErrCode: fakewecom.CodeBusy})
	e.fake.InjectFaults(fakewecom.EndpointUpload, fakewecom.Fault{ErrCode: fakewecom.CodeBusy})
	for _, m := range []reply.Message{
		{ID: "card-1", To: to, Reply: reply.Reply{Kind: reply.KindCard, Card: card}},
		{ID: "file-1", To: to, Reply: reply.Reply{Kind: reply.KindFile, File: file, Text: "抽查结果"}},
		{ID: "card-1", To: to, Reply: reply.Reply{Kind: reply.KindCard, Card: card}}, // a duplicate
	} {
		if err := ob.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ob)
	msgs, err := e.fake.WaitMessages(2, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "empty queue", func() bool { return stats(t, ob).Pending() == 0 })
	if msgs = e.fake.Messages(); len(msgs) != 2 {
		t.Fatalf("fake received %d messages, want 2: %+v", len(msgs), msgs)
	}

	c := msgs[0]
	if c.MsgType != "template_card" || c.ToUser != "zhaoliu" || c.TaskID != card.TaskID || c.CardType != wecomapi.CardTypeButton ||
		c.Card.MainTitle.Title != card.Title || c.ResponseCode == "" {
		t.Fatalf("first message is not the card: %+v", c)
	}
	if len(c.Card.ButtonList) != len(card.Options) {
		t.Fatalf("buttons %+v", c.Card.ButtonList)
	}
	for i, b := range c.Card.ButtonList {
		if b.Text != card.Options[i].Text || b.Key != card.Options[i].Key {
			t.Errorf("button %d = %+v, want %+v", i, b, card.Options[i])
		}
	}

	f := msgs[1]
	if f.MsgType != "file" || f.ToUser != "zhaoliu" || f.MediaID == "" {
		t.Fatalf("second message is not the file: %+v", f)
	}
	got, ok := e.fake.Media(f.MediaID)
	if !ok || got.Name != file.Name || !bytes.Equal(got.Data, data) {
		t.Errorf("file %q, %d bytes (equal %v), want %q, %d bytes", got.Name, len(got.Data), bytes.Equal(got.Data, data), file.Name, len(data))
	}
	if ups := e.fake.Uploads(); len(ups) != 1 {
		t.Errorf("%d uploads, want 1", len(ups))
	}
	if e.fake.FaultsServed(fakewecom.EndpointSend) != 1 || e.fake.FaultsServed(fakewecom.EndpointUpload) != 1 {
		t.Error("the injected faults were not hit")
	}

	// The user clicks; the answer updates the card with the click's code.
	_, rc := e.fake.CardEvent(fakewecom.CardClick{UserID: "zhaoliu", TaskID: card.TaskID, EventKey: "paper"})
	upd := reply.Reply{Kind: reply.KindCardUpdate, Update: &reply.CardUpdate{ResponseCode: rc, ReplaceName: "已选择：书面检查"}}
	if err := ob.Send(ctx, reply.Message{ID: "upd-1", To: to, Reply: upd}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "card update", func() bool { return len(e.fake.CardUpdates()) == 1 })
	waitFor(t, "empty queue", func() bool { return stats(t, ob).Pending() == 0 })
	if u := e.fake.CardUpdates()[0]; u.TaskID != card.TaskID || u.ReplaceName != "已选择：书面检查" || u.UserIDs[0] != "zhaoliu" {
		t.Errorf("update %+v", u)
	}

	// The same update again, as after a kill between WeCom applying it and
	// the outbox recording it: the code is used up (42022). That is not a
	// failure to keep as a dead letter: the card already shows the choice.
	if err := ob.Send(ctx, reply.Message{ID: "upd-1-again", To: to, Reply: upd}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "empty queue", func() bool { return stats(t, ob).Pending() == 0 })
	if st := stats(t, ob); st.Dead != 0 {
		t.Errorf("a used-up response_code made a dead letter: %+v", st)
	}
	if n := len(e.fake.CardUpdates()); n != 1 {
		t.Errorf("%d card updates applied, want 1", n)
	}
}
