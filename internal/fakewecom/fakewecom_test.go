package fakewecom_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	"github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/message"

	"github.com/changzhi-amr/choucha/bot/wecom"
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
	return postAs(t, url, "application/json", strings.NewReader(body))
}

// postAs posts body and decodes the JSON answer; a non-200 status comes
// back as {"status": code}.
func postAs(t *testing.T, url, contentType string, body io.Reader) map[string]any {
	t.Helper()
	resp, err := http.Post(url, contentType, body)
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

func sendBody(s *fakewecom.Server, msgtype, field, payload string) string {
	return `{"touser":"u1","msgtype":"` + msgtype + `","agentid":` + strconv.Itoa(s.AgentID()) + `,"` + field + `":` + payload + `}`
}

func TestTemplateCardSendValidation(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{})
	url := s.URL + "/cgi-bin/message/send?access_token=" + token(t, s)
	buttons := `{"card_type":"button_interaction","task_id":"t1","main_title":{"title":"选择"},"button_list":[{"text":"是","style":1,"key":"yes"},{"text":"否","key":"no"}]}`
	vote := `{"card_type":"vote_interaction","task_id":"t2","main_title":{"title":"多选"},"checkbox":{"question_key":"q","mode":1,"option_list":[{"id":"a","text":"甲"},{"id":"b","text":"乙"}]},"submit_button":{"text":"提交","key":"sub"}}`
	multi := `{"card_type":"multiple_interaction","task_id":"t3","select_list":[{"question_key":"q1","option_list":[{"id":"a","text":"甲"}]}],"submit_button":{"text":"提交","key":"sub"}}`
	notice := `{"card_type":"text_notice","main_title":{"title":"通知"}}`
	sevenButtons := `{"card_type":"button_interaction","task_id":"t4","button_list":[` + strings.Repeat(`{"text":"x","key":"k"},`, 6) + `{"text":"x","key":"k7"}]}`
	cases := []struct {
		name, card string
		code       float64
		rc         bool // answered with a response_code
	}{
		{"buttons", buttons, 0, true},
		{"vote", vote, 0, true},
		{"multiple", multi, 0, true},
		{"notice without callbacks", notice, 0, false},
		{"bad task id", strings.Replace(buttons, `"t1"`, `"t 1"`, 1), fakewecom.CodeInvalidTaskID, false},
		{"no task id", strings.Replace(buttons, `"task_id":"t1",`, ``, 1), fakewecom.CodeInvalidTaskID, false},
		{"seven buttons", sevenButtons, fakewecom.CodeInvalidParam, false},
		{"repeated button key", strings.Replace(buttons, `"no"`, `"yes"`, 1), fakewecom.CodeInvalidParam, false},
		{"vote without submit", strings.Replace(vote, `,"submit_button":{"text":"提交","key":"sub"}`, ``, 1), fakewecom.CodeInvalidParam, false},
		{"vote repeated option", strings.Replace(vote, `"id":"b"`, `"id":"a"`, 1), fakewecom.CodeInvalidParam, false},
		{"vote bad mode", strings.Replace(vote, `"mode":1`, `"mode":2`, 1), fakewecom.CodeInvalidParam, false},
		{"unknown type", `{"card_type":"poll","task_id":"t5"}`, fakewecom.CodeInvalidParam, false},
		{"no card", `null`, fakewecom.CodeInvalidParam, false},
	}
	for _, tc := range cases {
		m := post(t, url, sendBody(s, "template_card", "template_card", tc.card))
		if m["errcode"].(float64) != tc.code {
			t.Errorf("%s: %v", tc.name, m)
		}
		if rc, _ := m["response_code"].(string); (rc != "") != tc.rc {
			t.Errorf("%s: response_code %q", tc.name, rc)
		}
	}
	msgs := s.Messages()
	if len(msgs) != 4 {
		t.Fatalf("accepted %d cards, want 4", len(msgs))
	}
	m := msgs[0]
	if m.MsgType != "template_card" || m.TaskID != "t1" || m.CardType != "button_interaction" || m.ResponseCode == "" ||
		len(m.Card.ButtonList) != 2 || m.Card.ButtonList[1].Key != "no" || string(m.CardJSON) != buttons || m.Content != "" {
		t.Errorf("recorded %+v", m)
	}
	if c := msgs[1].Card.Checkbox; c == nil || c.Mode != 1 || c.QuestionKey != "q" || len(c.OptionList) != 2 || msgs[1].Card.SubmitButton.Key != "sub" {
		t.Errorf("vote recorded %s", msgs[1].CardJSON)
	}
}

// upload posts a multipart media/upload and returns the decoded answer.
func upload(t *testing.T, s *fakewecom.Server, tok, typ, field, name string, data []byte) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	return postAs(t, s.URL+"/cgi-bin/media/upload?access_token="+tok+"&type="+typ, w.FormDataContentType(), &buf)
}

func TestUploadAndSendFile(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{Media: map[string][]byte{"preset": []byte("preset content")}})
	tok := token(t, s)
	data := []byte("序号,企业名称\n1,长治市某某公司\n")
	m := upload(t, s, tok, "file", "media", "抽查名单.csv", data)
	id, _ := m["media_id"].(string)
	if m["errcode"].(float64) != 0 || m["type"] != "file" || id == "" || m["created_at"] == "" {
		t.Fatalf("upload = %v", m)
	}
	got, ok := s.Media(id)
	if !ok || got.Name != "抽查名单.csv" || !bytes.Equal(got.Data, data) || got.Type != "file" {
		t.Errorf("stored %+v", got)
	}
	if ups := s.Uploads(); len(ups) != 1 || ups[0].ID != id {
		t.Errorf("uploads %+v", ups)
	}
	resp, err := http.Get(s.URL + "/cgi-bin/media/get?access_token=" + tok + "&media_id=" + id)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if !bytes.Equal(body, data) || params["filename"] != "抽查名单.csv" {
		t.Errorf("media/get: %q, disposition %q", body, resp.Header.Get("Content-Disposition"))
	}

	for _, tc := range []struct {
		name, typ, field string
		data             []byte
		code             float64
	}{
		{"bad type", "doc", "media", data, fakewecom.CodeInvalidMediaType},
		{"wrong field", "file", "file", data, fakewecom.CodeEmptyMedia},
		{"five bytes", "file", "media", []byte("12345"), fakewecom.CodeInvalidFileSize},
		{"file over 20 MB", "file", "media", make([]byte, fakewecom.MaxFileBytes+1), fakewecom.CodeMediaTooLarge},
		{"image over 10 MB", "image", "media", make([]byte, fakewecom.MaxImageBytes+1), fakewecom.CodeMediaTooLarge},
	} {
		if m := upload(t, s, tok, tc.typ, tc.field, "x.bin", tc.data); m["errcode"].(float64) != tc.code {
			t.Errorf("%s: %v", tc.name, m)
		}
	}
	if m := upload(t, s, "forged", "file", "media", "x.bin", data); m["errcode"].(float64) != fakewecom.CodeInvalidToken {
		t.Errorf("forged token: %v", m)
	}

	url := s.URL + "/cgi-bin/message/send?access_token=" + tok
	for _, tc := range []struct {
		name, file string
		code       float64
	}{
		{"uploaded", `{"media_id":"` + id + `"}`, 0},
		{"preset", `{"media_id":"preset"}`, 0},
		{"unknown media", `{"media_id":"nope"}`, fakewecom.CodeInvalidMediaID},
		{"no media id", `{}`, fakewecom.CodeMissingMediaID},
	} {
		if m := post(t, url, sendBody(s, "file", "file", tc.file)); m["errcode"].(float64) != tc.code {
			t.Errorf("%s: %v", tc.name, m)
		}
	}
	msgs := s.Messages()
	if len(msgs) != 2 || msgs[0].MsgType != "file" || msgs[0].MediaID != id || msgs[1].MediaID != "preset" {
		t.Errorf("messages %+v", msgs)
	}
	// A group robot takes text and markdown only.
	if m := post(t, s.URL+"/cgi-bin/webhook/send?key=k", `{"msgtype":"file","file":{"media_id":"`+id+`"}}`); m["errcode"].(float64) != fakewecom.CodeInvalidMsgType {
		t.Errorf("webhook file: %v", m)
	}
}

func TestUpdateTemplateCard(t *testing.T) {
	now := time.Date(2024, 7, 1, 9, 0, 0, 0, time.Local)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := fakewecom.Start(t, fakewecom.Options{Now: clock})
	tok := token(t, s)
	card := `{"card_type":"button_interaction","task_id":"job@1","main_title":{"title":"选择"},"button_list":[{"text":"是","key":"yes"}]}`
	sent := post(t, s.URL+"/cgi-bin/message/send?access_token="+tok, sendBody(s, "template_card", "template_card", card))
	rc := sent["response_code"].(string)
	update := func(code, replace string) float64 {
		body := `{"userids":["u1"],"agentid":` + strconv.Itoa(s.AgentID()) + `,"response_code":"` + code + `","button":{"replace_name":"` + replace + `"}}`
		return post(t, s.URL+"/cgi-bin/message/update_template_card?access_token="+tok, body)["errcode"].(float64)
	}
	s.InjectFaults(fakewecom.EndpointUpdateCard, fakewecom.Fault{ErrCode: fakewecom.CodeBusy})
	if code := update(rc, "已选择：是"); code != fakewecom.CodeBusy {
		t.Errorf("fault: %v", code)
	}
	if issued, used := s.ResponseCodeUsed(rc); !issued || used {
		t.Errorf("a faulted update does not use the code: issued %v used %v", issued, used)
	}
	if code := update(rc, "已选择：是"); code != 0 {
		t.Errorf("first use: %v", code)
	}
	if code := update(rc, "again"); code != fakewecom.CodeResponseCodeUsed {
		t.Errorf("second use: %v", code)
	}
	if code := update("never", "x"); code != fakewecom.CodeInvalidParam {
		t.Errorf("unknown code: %v", code)
	}
	if code := update(rc, ""); code != fakewecom.CodeInvalidParam {
		t.Errorf("no replace_name: %v", code)
	}
	_, clicked := s.CardEvent(fakewecom.CardClick{UserID: "u1", TaskID: "job@1", EventKey: "yes"})
	advance(fakewecom.ResponseCodeTTL)
	tok = token(t, s) // the old one expired too
	if code := update(clicked, "late"); code != fakewecom.CodeResponseCodeUsed {
		t.Errorf("expired code: %v", code)
	}
	ups := s.CardUpdates()
	if len(ups) != 1 || ups[0].TaskID != "job@1" || ups[0].ReplaceName != "已选择：是" || ups[0].UserIDs[0] != "u1" || ups[0].ResponseCode != rc {
		t.Errorf("updates %+v", ups)
	}
	if s.Calls(fakewecom.EndpointUpdateCard) != 6 || s.FaultsServed(fakewecom.EndpointUpdateCard) != 1 {
		t.Errorf("calls %d faults %d", s.Calls(fakewecom.EndpointUpdateCard), s.FaultsServed(fakewecom.EndpointUpdateCard))
	}
}

func TestCardEventParsesAsCallback(t *testing.T) {
	s := fakewecom.Start(t, fakewecom.Options{})
	tok := token(t, s)
	vote := `{"card_type":"vote_interaction","task_id":"v1","checkbox":{"question_key":"choice","mode":1,"option_list":[{"id":"a","text":"甲"},{"id":"b","text":"乙"}]},"submit_button":{"text":"提交","key":"submit"}}`
	post(t, s.URL+"/cgi-bin/message/send?access_token="+tok, sendBody(s, "template_card", "template_card", vote))
	at := time.Unix(1720000000, 0)
	plain, rc := s.CardEvent(fakewecom.CardClick{UserID: "lisi", TaskID: "v1", EventKey: "submit", At: at,
		Selected: []fakewecom.SelectedItem{{QuestionKey: "choice", OptionIDs: []string{"a", "b"}}}})
	m, err := wecom.ParseIncoming(plain)
	if err != nil {
		t.Fatalf("%v: %s", err, plain)
	}
	if m.MsgType != "event" || m.Event != wecom.EventTemplateCardEvent || m.FromUserName != "lisi" || m.ToUserName != s.CorpID() ||
		m.EventKey != "submit" || m.TaskID != "v1" || m.CardType != "vote_interaction" || m.ResponseCode != rc || m.CreateTime != at.Unix() ||
		m.AgentID != strconv.Itoa(s.AgentID()) || len(m.SelectedItems) != 1 || m.SelectedItems[0].QuestionKey != "choice" ||
		strings.Join(m.SelectedItems[0].OptionIDs, ",") != "a,b" {
		t.Errorf("parsed %+v from %s", m, plain)
	}
	if !bytes.Contains(plain, []byte("<![CDATA[template_card_event]]>")) {
		t.Errorf("not in WeCom's CDATA form: %s", plain)
	}
	if issued, used := s.ResponseCodeUsed(rc); !issued || used {
		t.Errorf("click code issued %v used %v", issued, used)
	}
	// A button click on a card the fake never saw.
	plain, _ = s.CardEvent(fakewecom.CardClick{UserID: "u", TaskID: "unknown", EventKey: "yes"})
	if m, err := wecom.ParseIncoming(plain); err != nil || m.CardType != "button_interaction" || len(m.SelectedItems) != 0 {
		t.Errorf("button click: %+v %v", m, err)
	}
}
