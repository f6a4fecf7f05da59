package fakewecom_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
)

// fakeClock is a settable clock for the fake's duplicate window.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestDuplicateCheck(t *testing.T) {
	clk := &fakeClock{t: time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC)}
	s := fakewecom.Start(t, fakewecom.Options{Now: clk.Now})
	tok := token(t, s)
	url := s.URL + "/cgi-bin/message/send?access_token=" + tok
	agent := strconv.Itoa(s.AgentID())
	msg := func(user, content, check string) string {
		return `{"touser":"` + user + `","msgtype":"text","agentid":` + agent + `,"text":{"content":"` + content + `"}` + check + `}`
	}
	const on = `,"enable_duplicate_check":1,"duplicate_check_interval":600`
	for i, tc := range []struct {
		body string
		dup  bool
	}{
		{msg("u1", "答复", on), false},
		{msg("u1", "答复", on), true},  // same JSON within the interval
		{msg("u1", "答复", ""), false}, // check off: delivered (and a different JSON)
		{msg("u2", "答复", on), false}, // another recipient
		{msg("u1", "答复2", on), false},
		// Same JSON with keys in another order and other spacing.
		{`{ "agentid":` + agent + `, "msgtype":"text","text":{"content":"答复"},"touser":"u1"` + on + `}`, true},
	} {
		if m := post(t, url, tc.body); m["errcode"].(float64) != 0 || m["msgid"] == "" {
			t.Fatalf("send %d: %v (a suppressed duplicate is answered ok too)", i, m)
		}
		if got := s.Messages()[i].Duplicate; got != tc.dup {
			t.Errorf("send %d: duplicate %v, want %v", i, got, tc.dup)
		}
	}
	clk.Add(10 * time.Minute) // the window has passed
	post(t, url, msg("u1", "答复", on))
	if s.Messages()[6].Duplicate {
		t.Error("after the interval the same message is delivered again")
	}
	if got := len(s.Delivered()); got != 5 {
		t.Errorf("%d delivered, want 5", got)
	}
	// Interval over 4 hours, a check flag other than 0/1: invalid parameter.
	for _, bad := range []string{`,"enable_duplicate_check":1,"duplicate_check_interval":14401`, `,"enable_duplicate_check":2`} {
		if m := post(t, url, msg("u1", "x", bad)); m["errcode"].(float64) != fakewecom.CodeInvalidParam {
			t.Errorf("%s: %v", bad, m)
		}
	}
	// Default interval 1800 s.
	post(t, url, msg("u3", "默认", `,"enable_duplicate_check":1`))
	clk.Add(29 * time.Minute)
	post(t, url, msg("u3", "默认", `,"enable_duplicate_check":1`))
	clk.Add(2 * time.Minute)
	post(t, url, msg("u3", "默认", `,"enable_duplicate_check":1`))
	all := s.Messages()
	if n := len(all); !all[n-2].Duplicate || all[n-1].Duplicate {
		t.Errorf("default interval: duplicates %v %v", all[n-2].Duplicate, all[n-1].Duplicate)
	}
}

func TestDeliverThenFail(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{})
	tok := token(t, s)
	url := s.URL + "/cgi-bin/message/send?access_token=" + tok
	body := `{"touser":"u1","msgtype":"text","agentid":` + strconv.Itoa(s.AgentID()) + `,"text":{"content":"x"}}`
	s.InjectFaults(fakewecom.EndpointSend,
		fakewecom.Fault{Deliver: true, HTTPStatus: 500},
		fakewecom.Fault{Deliver: true, Delay: time.Hour})
	if m := post(t, url, body); m["status"] != float64(500) {
		t.Errorf("deliver then 500: %v", m)
	}
	c := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := c.Post(url, "application/json", strings.NewReader(body)); err == nil {
		t.Error("deliver then hang: want a client timeout")
	}
	if got := len(s.Delivered()); got != 2 {
		t.Errorf("delivered %d, want 2: both requests took effect", got)
	}
}
