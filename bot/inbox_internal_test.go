package bot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/handlers"
)

func TestInboxPayloadRoundTrip(t *testing.T) {
	in := &Inbox{}
	at := time.UnixMilli(1409659813123)
	m := &Message{ID: "msg:1", Type: "event:template_card_event", Request: handlers.Request{
		Channel: "wecom", UserID: "u1", Kind: handlers.KindEvent, Event: handlers.EventCard,
		Card: &handlers.CardEvent{Key: "k", TaskID: "t1", ResponseCode: "rc",
			Selected: []handlers.Selection{{QuestionKey: "q", OptionIDs: []string{"a", "b"}}}},
	}}
	p, err := inboxPayload(at, m)
	if err != nil {
		t.Fatal(err)
	}
	got, body, err := parseInboxPayload(string(p))
	if err != nil || !got.Equal(at) {
		t.Fatalf("accept time: %v %v", got, err)
	}
	back, err := in.decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != m.ID || back.Request.Card == nil || back.Request.Card.ResponseCode != "rc" ||
		len(back.Request.Card.Selected) != 1 || strings.Join(back.Request.Card.Selected[0].OptionIDs, ",") != "a,b" {
		t.Fatalf("round trip lost fields: %+v", back.Request)
	}
	for _, bad := range []string{"", "<xml/>", "abc\n<xml/>", strings.Repeat("1", 30) + "\n"} {
		if _, _, err := parseInboxPayload(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, err := in.decode([]byte(`{"id":""}`)); err == nil {
		t.Error("a message without id or user decoded")
	}
}

func TestInboxLegacyEntries(t *testing.T) {
	in := &Inbox{}
	if _, err := in.decode([]byte("<xml/>")); err == nil {
		t.Fatal("a non-JSON entry decoded without a Legacy reader")
	}
	in.o.Legacy = func(b []byte) (*Message, error) {
		if string(b) != "<xml/>" {
			return nil, errors.New("unexpected")
		}
		return &Message{ID: "msg:old", Request: handlers.Request{UserID: "u"}}, nil
	}
	m, err := in.decode([]byte("<xml/>"))
	if err != nil || m.ID != "msg:old" {
		t.Fatalf("legacy entry: %+v %v", m, err)
	}
}

func TestNewInboxValidates(t *testing.T) {
	if _, err := NewInbox(InboxOptions{}); err == nil {
		t.Fatal("no Redis accepted")
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	if _, err := NewInbox(InboxOptions{Redis: rdb, Grace: time.Hour, MaxAge: time.Minute}); err == nil || !strings.Contains(err.Error(), "MaxAge") {
		t.Fatalf("MaxAge below Grace: %v", err)
	}
	in, err := NewInbox(InboxOptions{Redis: rdb, Grace: 10 * time.Second, Interval: time.Minute})
	if err != nil || in.o.Interval != 5*time.Second {
		t.Fatalf("interval not capped at Grace/2: %v %v", in.o.Interval, err)
	}
}
