package wecomapi_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// "Refreshed lately" is judged by Redis (the mark's TTL), not by comparing
// the caller's clock with the refresher's: a replica whose clock is an hour
// ahead does not refetch a token another replica has just fetched.
func TestTokenRefreshMarkToleratesClockSkew(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	rdb := redistest.Start(t).Client(t)
	a := newClient(t, fake, rdb)
	b := newClient(t, fake, rdb, func(c *wecomapi.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Hour) }
	})
	to := reply.Recipient{Users: []string{"u1"}}
	for i, c := range []*wecomapi.Client{a, b} {
		if _, err := c.SendText(ctx, to, "warm "+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	fake.ExpireTokens()
	if _, err := a.SendText(ctx, to, "a refreshes"); err != nil { // 42001: a fetches a new token
		t.Fatal(err)
	}
	if _, err := b.SendText(ctx, to, "b picks it up"); err != nil { // its memo is stale: it reads a's token
		t.Fatal(err)
	}
	fetched := fake.Calls(fakewecom.EndpointToken)
	fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{ErrCode: fakewecom.CodeInvalidToken})
	_, err := b.SendText(ctx, to, "rejected again")
	var e *wecomapi.Error
	if !errors.As(err, &e) || e.Class != wecomapi.TokenInvalid || !e.Retryable() {
		t.Fatalf("err %v, want retryable token-invalid", err)
	}
	if n := fake.Calls(fakewecom.EndpointToken); n != fetched {
		t.Errorf("the replica an hour ahead fetched the token again (%d gettoken calls, want %d)", n, fetched)
	}
}

// Every message/send carries WeCom's duplicate check, 4 hours.
func TestSendCarriesDuplicateCheck(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	rdb := redistest.Start(t).Client(t)
	c := newClient(t, fake, rdb)
	if w := c.DuplicateWindow(); w != wecomapi.MaxDuplicateCheck {
		t.Errorf("window %s", w)
	}
	if _, err := c.SendMarkdown(ctx, reply.Recipient{Users: []string{"u1"}}, "**答复**"); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Check    int `json:"enable_duplicate_check"`
		Interval int `json:"duplicate_check_interval"`
	}
	if err := json.Unmarshal(fake.Messages()[0].Body, &body); err != nil || body.Check != 1 || body.Interval != 14400 {
		t.Errorf("request %s: %+v %v", fake.Messages()[0].Body, body, err)
	}
	off := newClient(t, fake, rdb, func(c *wecomapi.Config) { c.DuplicateCheck = -1 })
	if off.DuplicateWindow() != 0 {
		t.Error("a negative DuplicateCheck turns the check off")
	}
	if _, err := wecomapi.New(wecomapi.Config{CorpID: "c", AgentID: 1, Secret: "s", Redis: rdb, DuplicateCheck: 5 * time.Hour}); err == nil {
		t.Error("an interval over 4 h is refused")
	}
}
