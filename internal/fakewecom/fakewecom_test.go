package fakewecom_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	"github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/message"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
)

func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func token(t *testing.T, s *fakewecom.Server) string {
	m := getJSON(t, s.URL+"/cgi-bin/gettoken?corpid="+s.CorpID()+"&corpsecret="+s.CorpSecret())
	if m["errcode"].(float64) != 0 || m["expires_in"].(float64) != 7200 {
		t.Fatalf("gettoken = %v", m)
	}
	return m["access_token"].(string)
}

func post(t *testing.T, url, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return map[string]any{"status": float64(resp.StatusCode)}
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGetTokenChecksCredentials(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{})
	for _, tc := range []struct {
		query string
		code  float64
	}{
		{"corpid=nope&corpsecret=" + s.CorpSecret(), fakewecom.CodeInvalidCorpID},
		{"corpid=" + s.CorpID() + "&corpsecret=nope", fakewecom.CodeInvalidSecret},
	} {
		if m := getJSON(t, s.URL+"/cgi-bin/gettoken?"+tc.query); m["errcode"].(float64) != tc.code {
			t.Errorf("%s: %v", tc.query, m)
		}
	}
	a, b := token(t, s), token(t, s)
	if a != b {
		t.Errorf("a valid token is reissued as is: %q then %q", a, b)
	}
}

func TestSendValidation(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "zhangsan"}}})
	tok := token(t, s)
	agent := strconv.Itoa(s.AgentID())
	long := strings.Repeat("长", 683) // 2049 bytes
	cases := []struct {
		name, body string
		code       float64
		invalid    string
	}{
		{"ok text", `{"touser":"zhangsan","msgtype":"text","agentid":` + agent + `,"text":{"content":"你好"}}`, 0, ""},
		{"agentid as string", `{"touser":"zhangsan","msgtype":"markdown","agentid":"` + agent + `","markdown":{"content":"**hi**"}}`, 0, ""},
		{"partly invalid users", `{"touser":"zhangsan|Ghost","msgtype":"text","agentid":` + agent + `,"text":{"content":"x"}}`, 0, "ghost"},
		{"no valid recipient", `{"touser":"ghost","msgtype":"text","agentid":` + agent + `,"text":{"content":"x"}}`, fakewecom.CodeNoValidRecipient, ""},
		{"wrong agent", `{"touser":"zhangsan","msgtype":"text","agentid":1,"text":{"content":"x"}}`, fakewecom.CodeInvalidAgentID, ""},
		{"too long", `{"touser":"zhangsan","msgtype":"text","agentid":` + agent + `,"text":{"content":"` + long + `"}}`, fakewecom.CodeContentTooLong, ""},
		{"empty", `{"touser":"zhangsan","msgtype":"text","agentid":` + agent + `,"text":{"content":""}}`, fakewecom.CodeEmptyContent, ""},
		{"bad type", `{"touser":"zhangsan","msgtype":"video","agentid":` + agent + `}`, fakewecom.CodeInvalidMsgType, ""},
		{"bad json", `{`, fakewecom.CodeBadJSON, ""},
	}
	for _, tc := range cases {
		m := post(t, s.URL+"/cgi-bin/message/send?access_token="+tok, tc.body)
		if m["errcode"].(float64) != tc.code {
			t.Errorf("%s: %v", tc.name, m)
		}
		if tc.code == 0 && m["invaliduser"] != tc.invalid {
			t.Errorf("%s: invaliduser %v", tc.name, m["invaliduser"])
		}
	}
	if got := len(s.Messages()); got != 3 {
		t.Errorf("accepted %d messages, want 3", got)
	}
	if m := post(t, s.URL+"/cgi-bin/message/send?access_token=forged", cases[0].body); m["errcode"].(float64) != fakewecom.CodeInvalidToken {
		t.Errorf("forged token: %v", m)
	}
	s.ExpireTokens()
	if m := post(t, s.URL+"/cgi-bin/message/send?access_token="+tok, cases[0].body); m["errcode"].(float64) != fakewecom.CodeTokenExpired {
		t.Errorf("expired token: %v", m)
	}
	if token(t, s) == tok {
		t.Error("after ExpireTokens a new token is issued")
	}
}

func TestFaultsQueueAndRule(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{})
	tok := token(t, s)
	body := `{"touser":"u1","msgtype":"text","agentid":` + strconv.Itoa(s.AgentID()) + `,"text":{"content":"x"}}`
	url := s.URL + "/cgi-bin/message/send?access_token=" + tok
	s.InjectFaults(fakewecom.EndpointSend,
		fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit},
		fakewecom.Fault{HTTPStatus: 500},
		fakewecom.Fault{ErrCode: fakewecom.CodeBusy})
	want := []float64{fakewecom.CodeFreqLimit, -500, fakewecom.CodeBusy, 0}
	for i, w := range want {
		m := post(t, url, body)
		got, ok := m["errcode"].(float64)
		if !ok {
			got = -m["status"].(float64)
		}
		if got != w {
			t.Errorf("request %d: %v, want %v", i+1, m, w)
		}
	}
	s.SetRule(fakewecom.EndpointSend, func(n int) (fakewecom.Fault, bool) {
		return fakewecom.Fault{ErrCode: fakewecom.CodeConcurrencyLimit}, n%2 == 1
	})
	codes := []float64{}
	for range 4 {
		codes = append(codes, post(t, url, body)["errcode"].(float64))
	}
	// calls 5..8: odd ones fault
	if codes[0] != 45033 || codes[1] != 0 || codes[2] != 45033 || codes[3] != 0 {
		t.Errorf("rule codes %v", codes)
	}
	if got := len(s.Messages()); got != 3 {
		t.Errorf("accepted %d, want 3", got)
	}
	if s.FaultsServed(fakewecom.EndpointSend) != 5 {
		t.Errorf("faults served %d", s.FaultsServed(fakewecom.EndpointSend))
	}
}

func TestSlowAnswerAbandonedHasNoEffect(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{})
	tok := token(t, s)
	s.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{Delay: time.Minute})
	c := &http.Client{Timeout: 50 * time.Millisecond}
	body := `{"touser":"u1","msgtype":"text","agentid":` + strconv.Itoa(s.AgentID()) + `,"text":{"content":"x"}}`
	if _, err := c.Post(s.URL+"/cgi-bin/message/send?access_token="+tok, "application/json", strings.NewReader(body)); err == nil {
		t.Fatal("want a client timeout")
	}
	if _, err := s.WaitMessages(1, 100*time.Millisecond); !errors.Is(err, fakewecom.ErrTimeout) {
		t.Fatalf("abandoned request was recorded: %v", err)
	}
}

func TestAddressBookAndMedia(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{
		Users: []fakewecom.User{{UserID: "lisi", Name: "李四", Departments: []int{2, 5}, IsLeaderInDept: []int{0, 1}}},
		Departments: []fakewecom.Department{
			{ID: 1, Name: "长治市市场监督管理局"}, {ID: 2, Name: "计量科", ParentID: 1},
			{ID: 5, Name: "潞州区局", ParentID: 1}, {ID: 6, Name: "综合股", ParentID: 5},
		},
		Media: map[string][]byte{"m1": []byte("\x89PNG\r\n\x1a\nrest")},
	})
	tok := token(t, s)
	u := getJSON(t, s.URL+"/cgi-bin/user/get?access_token="+tok+"&userid=lisi")
	if u["name"] != "李四" || len(u["department"].([]any)) != 2 || u["is_leader_in_dept"].([]any)[1].(float64) != 1 {
		t.Errorf("user/get = %v", u)
	}
	if m := getJSON(t, s.URL+"/cgi-bin/user/get?access_token="+tok+"&userid=nobody"); m["errcode"].(float64) != fakewecom.CodeUserNotFound {
		t.Errorf("unknown user: %v", m)
	}
	if d := getJSON(t, s.URL+"/cgi-bin/department/list?access_token="+tok+"&id=5"); len(d["department"].([]any)) != 2 {
		t.Errorf("subtree of 5 = %v", d)
	}
	if d := getJSON(t, s.URL+"/cgi-bin/department/list?access_token="+tok); len(d["department"].([]any)) != 4 {
		t.Errorf("all departments = %v", d)
	}
	resp, err := http.Get(s.URL + "/cgi-bin/media/get?access_token=" + tok + "&media_id=m1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("media content type %q", resp.Header.Get("Content-Type"))
	}
}

func TestWebhookAndPerUserDrop(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{WebhookKeys: []string{"k1"}, PerUserPerMinute: 2})
	if m := post(t, s.URL+"/cgi-bin/webhook/send?key=bad", `{"msgtype":"text","text":{"content":"x"}}`); m["errcode"].(float64) != fakewecom.CodeInvalidWebhookKey {
		t.Errorf("bad key: %v", m)
	}
	if m := post(t, s.URL+"/cgi-bin/webhook/send?key=k1", `{"msgtype":"markdown","markdown":{"content":"# 提醒"}}`); m["errcode"].(float64) != 0 {
		t.Errorf("webhook: %v", m)
	}
	tok := token(t, s)
	body := `{"touser":"u1","msgtype":"text","agentid":` + strconv.Itoa(s.AgentID()) + `,"text":{"content":"x"}}`
	for range 3 {
		post(t, s.URL+"/cgi-bin/message/send?access_token="+tok, body)
	}
	msgs, err := s.WaitMessages(4, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Endpoint != fakewecom.EndpointWebhook || msgs[0].WebhookKey != "k1" || msgs[0].Content != "# 提醒" {
		t.Errorf("webhook message %+v", msgs[0])
	}
	if s.Dropped() != 1 || !msgs[3].Dropped {
		t.Errorf("third message to u1 within a minute is dropped; dropped=%d", s.Dropped())
	}
}

// memCache is a minimal cache.Cache for driving the SDK in this test.
type memCache map[string]any

func (m memCache) Get(k string) any                           { return m[k] }
func (m memCache) Set(k string, v any, _ time.Duration) error { m[k] = v; return nil }
func (m memCache) IsExist(k string) bool                      { _, ok := m[k]; return ok }
func (m memCache) Delete(k string) error                      { delete(m, k); return nil }

var _ cache.Cache = memCache{}

func TestSDKThroughURIModifier(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{})
	s.InstallSDK(t)
	w := work.NewWork(&config.Config{CorpID: s.CorpID(), CorpSecret: s.CorpSecret(), AgentID: strconv.Itoa(s.AgentID()), Cache: memCache{}})
	req := message.SendTextRequest{
		SendRequestCommon: &message.SendRequestCommon{ToUser: "u1", AgentID: strconv.Itoa(s.AgentID())},
		Text:              message.TextField{Content: "来自SDK"},
	}
	if _, err := w.GetMessage().SendText(req); err != nil {
		t.Fatal(err)
	}
	s.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit})
	_, err := w.GetMessage().SendText(req)
	var ce *util.CommonError
	if !errors.As(err, &ce) || ce.ErrCode != fakewecom.CodeFreqLimit {
		t.Fatalf("want CommonError 45009, got %v", err)
	}
	if msgs := s.Messages(); len(msgs) != 1 || msgs[0].Content != "来自SDK" {
		t.Errorf("messages %+v", msgs)
	}
}
