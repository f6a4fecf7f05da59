package wecom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/httpserver"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/reply/replytest"
	"github.com/changzhi-amr/choucha/store/keys"
)

// recorder is a handler that records requests and echoes text.
type recorder struct {
	mu   sync.Mutex
	reqs []handlers.Request
}

func (r *recorder) handle(_ context.Context, req *handlers.Request) (reply.Reply, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, *req)
	r.mu.Unlock()
	switch req.Kind {
	case handlers.KindText:
		return reply.Text("答：" + req.Text), nil
	case handlers.KindEvent:
		return reply.Text("事件：" + req.Event + "/" + cardKey(*req)), nil
	}
	return reply.Reply{}, nil
}

func cardKey(r handlers.Request) string {
	switch {
	case r.Card != nil:
		return r.Card.Key
	case r.Media != nil:
		return r.Media.ID
	case r.Location != nil:
		return r.Location.Lat + "," + r.Location.Lng
	}
	return ""
}

func (r *recorder) all() []handlers.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]handlers.Request(nil), r.reqs...)
}

// testClock is a movable clock shared by a stack's parts.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

type stack struct {
	crypto  *Crypto
	clock   *testClock
	inbox   *bot.Inbox
	rdb     *redis.Client
	reg     *prometheus.Registry
	metrics *bot.Metrics
	disp    *bot.Dispatcher
	cb      *Callback
	srv     *httptest.Server
	rec     *recorder
	sent    *replytest.Recorder
	now     time.Time
}

type stackOpts struct {
	crypto  *Crypto
	rdb     *redis.Client
	now     time.Time
	disp    func(*bot.DispatcherOptions)
	inboxO  func(*bot.InboxOptions)
	cb      func(*CallbackOptions)
	h       handlers.Handler
	sender  reply.Sender // default: a replytest.Recorder
	logger  *slog.Logger
	welcome bool // enter_agent once per user per day
	noInbox bool
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newStack(t *testing.T, so stackOpts) *stack {
	t.Helper()
	s := &stack{crypto: so.crypto, rdb: so.rdb, now: so.now, rec: &recorder{}, sent: &replytest.Recorder{}}
	if s.crypto == nil {
		s.crypto = vecCrypto(t)
	}
	if s.rdb == nil {
		s.rdb = redistest.Start(t).Client(t)
	}
	if s.now.IsZero() {
		s.now = time.Unix(1409659813, 0)
	}
	h := so.h
	if h == nil {
		h = s.rec.handle
	}
	var sender reply.Sender = s.sent
	if so.sender != nil {
		sender = so.sender
	}
	logger := so.logger
	if logger == nil {
		logger = quietLogger()
	}
	s.clock = newTestClock(s.now)
	s.reg = prometheus.NewRegistry()
	s.metrics = bot.NewMetrics(s.reg)
	var err error
	if !so.noInbox {
		io := bot.InboxOptions{Redis: s.rdb, Prefix: "t:", Metrics: s.metrics, Logger: logger, Now: s.clock.Now, Legacy: legacyInboxEntry}
		if so.inboxO != nil {
			so.inboxO(&io)
		}
		s.inbox, err = bot.NewInbox(io)
		if err != nil {
			t.Fatal(err)
		}
	}
	do := bot.DispatcherOptions{Handler: h, Sender: sender, Metrics: s.metrics, Logger: logger, Inbox: s.inbox,
		Now: s.clock.Now, Shards: 4, QueueSize: 64}
	if so.welcome {
		do.Welcome = bot.NewWelcomeGate(s.rdb, "t:", shanghai(t), s.clock.Now)
		do.Location = shanghai(t)
	}
	if so.disp != nil {
		so.disp(&do)
	}
	if s.disp, err = bot.NewDispatcher(do); err != nil {
		t.Fatal(err)
	}
	intake, err := bot.NewIntake(bot.IntakeOptions{Redis: s.rdb, Prefix: "t:", Dispatcher: s.disp, Inbox: s.inbox,
		Metrics: s.metrics, Logger: logger, Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	co := CallbackOptions{Crypto: s.crypto, Intake: intake, Metrics: s.metrics, Logger: logger, Now: s.clock.Now}
	if so.cb != nil {
		so.cb(&co)
	}
	s.cb, err = NewCallback(co)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpserver.New(httpserver.Options{Mounts: []httpserver.Mount{{
		Routes: map[string]http.Handler{"/wecom/callback": s.cb}, Drain: s.disp.Shutdown}},
		Redis: s.rdb, Registry: s.reg, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { s.drain(t) })
	return s
}

// drain waits until every accepted message has been handled.
func (s *stack) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.disp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func textXML(user, content, msgID string, created int64) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>"+
		"<MsgId>%s</MsgId><AgentID>218</AgentID></xml>", vecCorpID, user, created, content, msgID)
}

func eventXML(user, event, key string, created int64) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>event</MsgType><Event>%s</Event><EventKey>%s</EventKey><AgentID>218</AgentID></xml>",
		vecCorpID, user, created, event, key)
}

// post seals plain like WeCom does and posts it to base+"/wecom/callback".
func post(t *testing.T, base string, c *Crypto, plain []byte, ts int64) int {
	t.Helper()
	body, sig, err := c.SealCallback(plain, "218", ts, "nonce1")
	if err != nil {
		t.Fatal(err)
	}
	return postRaw(t, base, sig, strconv.FormatInt(ts, 10), "nonce1", body)
}

func postRaw(t *testing.T, base, sig, ts, nonce string, body []byte) int {
	t.Helper()
	q := url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}
	resp, err := http.Post(base+"/wecom/callback?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && len(b) != 0 {
		t.Errorf("200 with a body %q; WeCom wants an empty answer", b)
	}
	return resp.StatusCode
}

func vecPostBody() []byte {
	return []byte("<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[" + vecPostEnc + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>")
}

func TestCallbackOfficialVector(t *testing.T) {
	s := newStack(t, stackOpts{})
	resp, err := http.Get(s.srv.URL + "/wecom/callback?" + url.Values{
		"msg_signature": {vecGetSig}, "timestamp": {vecGetTS}, "nonce": {vecGetNonce}, "echostr": {vecGetEcho}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "1616140317555161061" {
		t.Fatalf("GET: %d %q", resp.StatusCode, b)
	}
	// An echostr whose '+' reached us unescaped (decoded as a space).
	resp, err = http.Get(s.srv.URL + "/wecom/callback?msg_signature=" + vecGetSig + "&timestamp=" + vecGetTS +
		"&nonce=" + vecGetNonce + "&echostr=" + strings.ReplaceAll(vecGetEcho, "=", "%3D"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "1616140317555161061" {
		t.Fatalf("GET with raw '+': %d %q", resp.StatusCode, b)
	}
	if code := postRaw(t, s.srv.URL, vecPostSig, vecPostTS, vecPostNonce, vecPostBody()); code != 200 {
		t.Fatalf("POST: %d", code)
	}
	s.drain(t)
	reqs := s.rec.all()
	if len(reqs) != 1 || reqs[0].UserID != "mycreate" || reqs[0].Text != "hello" || reqs[0].Kind != handlers.KindText || reqs[0].Channel != "wecom" {
		t.Fatalf("requests %+v", reqs)
	}
	sent := s.sent.All()
	if len(sent) != 1 || sent[0].ID != "answer:msg:4561255354251345929" || sent[0].To.Users[0] != "mycreate" || sent[0].Reply.Text != "答：hello" {
		t.Fatalf("sent %+v", sent)
	}
}

func TestCallbackRejections(t *testing.T) {
	s := newStack(t, stackOpts{})
	c := s.crypto
	ts := strconv.FormatInt(s.now.Unix(), 10)
	good := textXML("zhangsan", "本月任务", "100", s.now.Unix())
	sealed := func(c *Crypto, plain []byte, ts string) (string, []byte) {
		n, _ := strconv.ParseInt(ts, 10, 64)
		body, sig, err := c.SealCallback(plain, "218", n, "n")
		if err != nil {
			t.Fatal(err)
		}
		return sig, body
	}
	otherCorp, _ := NewCrypto(vecToken, "wwOTHER", vecAESKey)
	otherToken, _ := NewCrypto("otherToken", vecCorpID, vecAESKey)
	otherKey, _ := NewCrypto(vecToken, vecCorpID, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	skewed := func(d time.Duration) string { return strconv.FormatInt(s.now.Add(d).Unix(), 10) }

	type tc struct {
		name   string
		method string
		query  url.Values
		body   []byte
		status int
		reason string
	}
	q := func(sig, ts string) url.Values {
		return url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {"n"}}
	}
	var tests []tc
	add := func(name string, status int, reason string, sig, ts string, body []byte) {
		tests = append(tests, tc{name, http.MethodPost, q(sig, ts), body, status, reason})
	}
	sig, body := sealed(otherToken, good, ts)
	add("bad signature (other token)", 403, ReasonSignature, sig, ts, body)
	sig, body = sealed(c, good, ts)
	add("signature of other body", 403, ReasonSignature, strings.Repeat("0", 40), ts, body)
	add("signature for other timestamp", 403, ReasonSignature, sig, skewed(time.Second), body)
	sig, body = sealed(otherCorp, good, ts)
	add("wrong CorpID", 403, ReasonCorpID, sig, ts, body)
	sig, body = sealed(otherKey, good, ts)
	add("other AES key", 400, ReasonDecrypt, sig, ts, body)
	for _, d := range []time.Duration{-11 * time.Minute, 11 * time.Minute, -48 * time.Hour} {
		sig, body = sealed(c, good, skewed(d))
		add("stale "+d.String(), 403, ReasonStale, sig, skewed(d), body)
	}
	add("not XML", 400, ReasonEnvelope, "x", ts, []byte("hello"))
	add("no Encrypt", 400, ReasonEnvelope, "x", ts, []byte("<xml><ToUserName>a</ToUserName></xml>"))
	add("empty body", 400, ReasonEnvelope, "x", ts, nil)
	add("oversized", 413, ReasonOversized, "x", ts, append([]byte("<xml><Encrypt>"), bytes.Repeat([]byte("A"), MaxCallbackBody)...))
	add("signed garbage Encrypt", 400, ReasonDecrypt, c.Signature(ts, "n", "%%%"), ts, []byte("<xml><Encrypt>%%%</Encrypt></xml>"))
	tests = append(tests,
		tc{"no query", http.MethodPost, url.Values{}, body, 400, ReasonQuery},
		tc{"PUT", http.MethodPut, q("x", ts), nil, 405, ReasonMethod},
		tc{"GET without echostr", http.MethodGet, q("x", ts), nil, 400, ReasonQuery},
		tc{"GET bad signature", http.MethodGet, url.Values{"msg_signature": {vecPostSig}, "timestamp": {vecGetTS}, "nonce": {vecGetNonce}, "echostr": {vecGetEcho}}, nil, 403, ReasonSignature},
	)
	// Authentic but unparsable inner XML: 200 so WeCom does not retry, nothing dispatched.
	for name, plain := range map[string][]byte{
		"inner not XML":       []byte("not xml"),
		"inner without user":  []byte("<xml><MsgType>text</MsgType><MsgId>1</MsgId></xml>"),
		"inner bad time":      []byte("<xml><FromUserName>u</FromUserName><CreateTime>abc</CreateTime><MsgType>text</MsgType></xml>"),
		"event without Event": []byte("<xml><FromUserName>u</FromUserName><MsgType>event</MsgType></xml>"),
	} {
		sig, body = sealed(c, plain, ts)
		add(name, 200, ReasonMessage, sig, ts, body)
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := metricValue(s.metrics.Rejected.WithLabelValues(tt.reason))
			req, _ := http.NewRequest(tt.method, s.srv.URL+"/wecom/callback?"+tt.query.Encode(), bytes.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := metricValue(s.metrics.Rejected.WithLabelValues(tt.reason)) - before; got != 1 {
				t.Errorf("rejected{reason=%s} grew by %v, want 1", tt.reason, got)
			}
		})
	}
	s.drain(t)
	if n := s.rdb.DBSize(context.Background()).Val(); n != 0 {
		t.Errorf("rejections touched Redis: %d keys", n)
	}
	if r := s.rec.all(); len(r) != 0 {
		t.Errorf("rejections dispatched %+v", r)
	}
}

// The inbox must not change what WeCom sees: with or without it, the same
// messages are answered once.
func TestCallbackWithoutInbox(t *testing.T) {
	s := newStack(t, stackOpts{noInbox: true})
	now := s.now.Unix()
	for i := 0; i < 2; i++ {
		post(t, s.srv.URL, s.crypto, textXML("u", "本月任务", "77", now), now)
	}
	s.drain(t)
	if n := len(s.sent.All()); n != 1 {
		t.Fatalf("sent %d", n)
	}
	if all := s.rdb.Keys(context.Background(), "*").Val(); len(all) != 1 || all[0] != keys.New("t:").Seen("msg:77") {
		t.Fatalf("keys %v, want only the dedupe key", all)
	}
}

func TestCallbackDedupe(t *testing.T) {
	s := newStack(t, stackOpts{})
	now := s.now.Unix()
	msg := textXML("zhangsan", "本月任务", "42", now)
	for i := 0; i < 3; i++ { // WeCom's three tries, each freshly encrypted
		if code := post(t, s.srv.URL, s.crypto, msg, now); code != 200 {
			t.Fatalf("try %d: %d", i, code)
		}
	}
	ev := eventXML("zhangsan", EventEnterAgent, "", now)
	for i := 0; i < 2; i++ {
		post(t, s.srv.URL, s.crypto, ev, now)
	}
	// A different event time is a new event.
	post(t, s.srv.URL, s.crypto, eventXML("zhangsan", EventEnterAgent, "", now+1), now)
	s.drain(t)
	if got := len(s.rec.all()); got != 3 {
		t.Fatalf("handled %d, want 3: %+v", got, s.rec.all())
	}
	if got := metricValue(s.metrics.DedupeHits); got != 3 {
		t.Fatalf("dedupe hits %v, want 3", got)
	}
	ttl := s.rdb.TTL(context.Background(), keys.New("t:").Seen("msg:42")).Val()
	if ttl <= 23*time.Hour || ttl > 24*time.Hour {
		t.Fatalf("dedupe key TTL %v", ttl)
	}
	assertInboxEmpty(t, s.rdb)
}

func TestCallbackDedupeAcrossReplicas(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	a := newStack(t, stackOpts{rdb: rdb})
	b := newStack(t, stackOpts{rdb: rdb})
	now := a.now.Unix()
	for i := 0; i < 20; i++ {
		msg := textXML(fmt.Sprintf("u%d", i%3), fmt.Sprintf("问题%d", i), strconv.Itoa(1000+i), now)
		var wg sync.WaitGroup
		for _, s := range []*stack{a, b, a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); post(t, s.srv.URL, s.crypto, msg, now) }()
		}
		wg.Wait()
	}
	a.drain(t)
	b.drain(t)
	if got := len(a.sent.All()) + len(b.sent.All()); got != 20 {
		t.Fatalf("answers %d, want 20", got)
	}
}

func TestCallbackPerUserOrder(t *testing.T) {
	s := newStack(t, stackOpts{disp: func(o *bot.DispatcherOptions) { o.Shards = 3 }})
	now := s.now.Unix()
	const users, per = 7, 40
	id := 0
	for i := 0; i < per; i++ {
		for u := 0; u < users; u++ {
			id++
			post(t, s.srv.URL, s.crypto, textXML(fmt.Sprintf("user%d", u), strconv.Itoa(i), strconv.Itoa(id), now), now)
		}
	}
	s.drain(t)
	next := map[string]int{}
	for _, r := range s.rec.all() {
		if r.Text != strconv.Itoa(next[r.UserID]) {
			t.Fatalf("%s: got message %s, want %d", r.UserID, r.Text, next[r.UserID])
		}
		next[r.UserID]++
	}
	for u := 0; u < users; u++ {
		if next[fmt.Sprintf("user%d", u)] != per {
			t.Fatalf("user%d handled %d, want %d", u, next[fmt.Sprintf("user%d", u)], per)
		}
	}
}

func TestCallbackMessageKinds(t *testing.T) {
	s := newStack(t, stackOpts{})
	now := s.now.Unix()
	hdr := func(typ, id string) string {
		return "<xml><ToUserName>" + vecCorpID + "</ToUserName><FromUserName>lisi</FromUserName><CreateTime>" +
			strconv.FormatInt(now, 10) + "</CreateTime><MsgType>" + typ + "</MsgType><MsgId>" + id + "</MsgId><AgentID>218</AgentID>"
	}
	inputs := []string{
		hdr("image", "1") + "<PicUrl>http://x/p.jpg</PicUrl><MediaId>MEDIA_IMG</MediaId></xml>",
		hdr("voice", "2") + "<MediaId>MEDIA_V</MediaId><Format>amr</Format></xml>",
		hdr("file", "3") + "<MediaId>MEDIA_F</MediaId></xml>",
		hdr("location", "4") + "<Location_X>36.19</Location_X><Location_Y>113.11</Location_Y><Scale>15</Scale><Label>长治市</Label></xml>",
		string(eventXML("lisi", EventEnterAgent, "", now)),
		"<xml><ToUserName>" + vecCorpID + "</ToUserName><FromUserName>lisi</FromUserName><CreateTime>" + strconv.FormatInt(now, 10) +
			"</CreateTime><MsgType>event</MsgType><Event>template_card_event</Event><EventKey>btn_done</EventKey><TaskId>task1</TaskId>" +
			"<CardType>button_interaction</CardType><ResponseCode>RC</ResponseCode><AgentID>218</AgentID>" +
			"<SelectedItems><SelectedItem><QuestionKey>q1</QuestionKey><OptionIds><OptionId>o1</OptionId><OptionId>o2</OptionId></OptionIds></SelectedItem></SelectedItems></xml>",
		string(eventXML("lisi", "LOCATION", "", now)), // not dispatched
	}
	for _, in := range inputs {
		if code := post(t, s.srv.URL, s.crypto, []byte(in), now); code != 200 {
			t.Fatalf("%d for %s", code, in)
		}
	}
	s.drain(t)
	reqs := s.rec.all()
	want := []struct {
		kind       handlers.Kind
		event, key string
	}{
		{handlers.KindImage, "", "MEDIA_IMG"},
		{handlers.KindVoice, "", "MEDIA_V"},
		{handlers.KindFile, "", "MEDIA_F"},
		{handlers.KindLocation, "", "36.19,113.11"},
		{handlers.KindEvent, EventEnterAgent, ""},
		{handlers.KindEvent, EventTemplateCardEvent, "btn_done"},
	}
	if len(reqs) != len(want) {
		t.Fatalf("got %d requests, want %d: %+v", len(reqs), len(want), reqs)
	}
	for i, w := range want {
		if reqs[i].Kind != w.kind || reqs[i].Event != w.event || cardKey(reqs[i]) != w.key {
			t.Errorf("request %d = %+v, want %+v", i, reqs[i], w)
		}
	}
	card := reqs[5].Card
	if card == nil || card.TaskID != "task1" || card.CardType != "button_interaction" || card.ResponseCode != "RC" ||
		len(card.Selected) != 1 || card.Selected[0].QuestionKey != "q1" || strings.Join(card.Selected[0].OptionIDs, ",") != "o1,o2" {
		t.Errorf("card event fields lost: %+v", card)
	}
	if m := reqs[0].Media; m == nil || m.URL != "http://x/p.jpg" || reqs[1].Media.Format != "amr" {
		t.Errorf("media fields lost: %+v %+v", reqs[0].Media, reqs[1].Media)
	}
	// The handler answers nothing for media here: nothing is sent for them
	// (the real route table answers every kind).
	sent := s.sent.All()
	if len(sent) != 2 {
		t.Fatalf("sent %d, want 2 (the echo for each event)", len(sent))
	}
	if sent[1].Reply.Text != "事件：template_card_event/btn_done" {
		t.Errorf("card answer %q", sent[1].Reply.Text)
	}
	assertInboxEmpty(t, s.rdb)
	if got := metricValue(s.metrics.MessagesIn.WithLabelValues("event:LOCATION")); got != 1 {
		t.Errorf("LOCATION counted %v", got)
	}
}

func TestParseTemplateCardEvent(t *testing.T) {
	m, err := ParseIncoming([]byte("<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType>" +
		"<Event>template_card_event</Event><EventKey>k</EventKey><TaskId>t</TaskId><CardType>vote_interaction</CardType>" +
		"<ResponseCode>rc</ResponseCode><SelectedItems><SelectedItem><QuestionKey>q</QuestionKey><OptionIds><OptionId>a</OptionId>" +
		"<OptionId>b</OptionId></OptionIds></SelectedItem></SelectedItems></xml>"))
	if err != nil {
		t.Fatal(err)
	}
	if m.TaskID != "t" || m.ResponseCode != "rc" || m.CardType != "vote_interaction" || len(m.SelectedItems) != 1 ||
		m.SelectedItems[0].QuestionKey != "q" || strings.Join(m.SelectedItems[0].OptionIDs, ",") != "a,b" {
		t.Fatalf("%+v", m)
	}
	if m.DedupeID() != "evt:u:1:event:template_card_event:k:t" {
		t.Fatalf("DedupeID %s", m.DedupeID())
	}
}

func TestCallbackHandlerErrors(t *testing.T) {
	var s *stack
	h := func(_ context.Context, req *handlers.Request) (reply.Reply, error) {
		switch req.Text {
		case "app":
			return reply.Reply{}, handlers.Errorf("bad_month", "月份不对")
		case "panic":
			panic("boom")
		}
		return reply.Reply{}, fmt.Errorf("db down")
	}
	s = newStack(t, stackOpts{h: h})
	now := s.now.Unix()
	for i, txt := range []string{"app", "panic", "internal"} {
		post(t, s.srv.URL, s.crypto, textXML("u", txt, strconv.Itoa(i+1), now), now)
	}
	s.drain(t)
	sent := s.sent.All()
	if len(sent) != 3 || sent[0].Reply.Text != "月份不对" || sent[1].Reply.Text != handlers.UserMessage(fmt.Errorf("x")) ||
		sent[2].Reply.Text != handlers.UserMessage(fmt.Errorf("x")) {
		t.Fatalf("sent %+v", sent)
	}
}

func TestCallbackQueueFullReleasesDedupe(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	h := func(ctx context.Context, req *handlers.Request) (reply.Reply, error) {
		started <- struct{}{}
		<-release
		return reply.Text("ok"), nil
	}
	s := newStack(t, stackOpts{h: h, disp: func(o *bot.DispatcherOptions) {
		o.Shards, o.QueueSize, o.EnqueueWait = 1, 1, time.Millisecond
	}})
	now := s.now.Unix()
	post(t, s.srv.URL, s.crypto, textXML("u", "1", "1", now), now)
	<-started                                                      // the worker holds message 1
	post(t, s.srv.URL, s.crypto, textXML("u", "2", "2", now), now) // fills the queue
	if code := post(t, s.srv.URL, s.crypto, textXML("u", "3", "3", now), now); code != 503 {
		t.Fatalf("full queue answered %d, want 503", code)
	}
	if n := s.rdb.Exists(context.Background(), keys.New("t:").Seen("msg:3")).Val(); n != 0 {
		t.Fatal("dedupe key of the refused message kept; WeCom's retry would be dropped")
	}
	if s.rdb.ZScore(context.Background(), keys.New("t:").Inbox(), "msg:3").Err() == nil {
		t.Fatal("inbox entry of the refused message kept; it would be answered besides WeCom's retry")
	}
	close(release)
	s.drain(t)
	if code := post(t, s.srv.URL, s.crypto, textXML("u", "3", "3", now), now); code != 503 {
		t.Fatalf("after shutdown answered %d, want 503", code)
	}
	if got := metricValue(s.metrics.Rejected.WithLabelValues(ReasonShuttingDown)); got != 1 {
		t.Fatalf("shutting_down %v", got)
	}
	if got := metricValue(s.metrics.QueueDepth); got != 0 {
		t.Fatalf("queue depth %v after drain", got)
	}
}

func TestCallbackRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	s := newStack(t, stackOpts{rdb: srv.Client(t)})
	srv.Stop()
	now := s.now.Unix()
	if code := post(t, s.srv.URL, s.crypto, textXML("u", "x", "9", now), now); code != 503 {
		t.Fatalf("Redis down answered %d, want 503 so WeCom retries", code)
	}
	resp, err := http.Get(s.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "redis:") {
		t.Fatalf("/readyz %d %q", resp.StatusCode, b)
	}
}

type panickySections struct{}

func (panickySections) Sections(_ context.Context, userid string) []string {
	if userid == "boom" {
		panic("address book exploded")
	}
	return []string{"计量科"}
}

func TestDispatcherSurvivesPanics(t *testing.T) {
	s := newStack(t, stackOpts{disp: func(o *bot.DispatcherOptions) { o.Shards = 1; o.AddressBook = panickySections{} }})
	now := s.now.Unix()
	post(t, s.srv.URL, s.crypto, textXML("boom", "1", "1", now), now)
	post(t, s.srv.URL, s.crypto, textXML("ok", "2", "2", now), now)
	s.drain(t)
	reqs := s.rec.all()
	if len(reqs) != 1 || reqs[0].UserID != "ok" || reqs[0].Sections[0] != "计量科" {
		t.Fatalf("after a panic the worker handled %+v", reqs)
	}
	if got := metricValue(s.metrics.QueueDepth); got != 0 {
		t.Fatalf("queue depth %v", got)
	}
}

// A captured POST (its query and Encrypt value) replayed as a GET URL check
// must not make the endpoint decrypt the message for the attacker: neither at
// once (the plaintext is a message, not an echostr) nor a day later (stale).
func TestCallbackGETReplayOfCapturedPOST(t *testing.T) {
	s := newStack(t, stackOpts{})
	now := s.now.Unix()
	secret := textXML("zhangsan", "机密内容", "777", now)
	body, sig, err := s.crypto.SealCallback(secret, "218", now, "n1")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := ParseEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	get := func() (int, string) {
		resp, err := http.Get(s.srv.URL + "/wecom/callback?" + url.Values{
			"msg_signature": {sig}, "timestamp": {strconv.FormatInt(now, 10)}, "nonce": {"n1"}, "echostr": {enc}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := get(); code == 200 || strings.Contains(b, "机密内容") || strings.Contains(b, "<xml>") {
		t.Fatalf("replayed POST as GET (fresh): %d %q", code, b)
	}
	if got := metricValue(s.metrics.Rejected.WithLabelValues(ReasonEchostr)); got != 1 {
		t.Fatalf("rejected{reason=%s} = %v, want 1", ReasonEchostr, got)
	}
	s.clock.Advance(24 * time.Hour)
	if code, b := get(); code != 403 || strings.Contains(b, "机密内容") {
		t.Fatalf("replayed POST as GET a day later: %d %q", code, b)
	}
	if got := metricValue(s.metrics.Rejected.WithLabelValues(ReasonStale)); got != 1 {
		t.Fatalf("rejected{reason=%s} = %v, want 1", ReasonStale, got)
	}
	// The official vector's echostr, replayed a day later, is stale too.
	resp, err := http.Get(s.srv.URL + "/wecom/callback?" + url.Values{
		"msg_signature": {vecGetSig}, "timestamp": {vecGetTS}, "nonce": {vecGetNonce}, "echostr": {vecGetEcho}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("stale URL check answered %d, want 403", resp.StatusCode)
	}
}

func TestPlausibleEchostr(t *testing.T) {
	for s, want := range map[string]bool{
		"1616140317555161061":             true,
		"abcDEF123":                       true,
		"":                                false,
		"<xml><Content>x</Content></xml>": false,
		"12 34":                           false,
		strings.Repeat("1", 64):           true,
		strings.Repeat("1", 65):           false,
		"机密":                              false,
	} {
		if got := plausibleEchostr([]byte(s)); got != want {
			t.Errorf("plausibleEchostr(%q) = %v, want %v", s, got, want)
		}
	}
}

// During a Redis outage every callback gets 503, but the log gets one line
// per LogEvery saying what happened (Redis unreachable, nothing stored), not
// one ERROR per callback claiming a dedupe key was left behind; go-redis's
// own lines go through slog, limited the same way.
func TestCallbackRedisDownLogs(t *testing.T) {
	var buf lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	redis.SetLogger(bot.NewRedisLogger(logger, time.Minute))
	t.Cleanup(func() { redis.SetLogger(bot.NewRedisLogger(slog.Default(), 10*time.Second)) })
	srv := redistest.Start(t)
	s := newStack(t, stackOpts{rdb: srv.Client(t), logger: logger})
	srv.Stop()
	now := s.now.Unix()
	const n = 6
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := post(t, s.srv.URL, s.crypto, textXML("u", "x", strconv.Itoa(100+i), now), now); code != 503 {
				t.Errorf("Redis down answered %d, want 503", code)
			}
		}()
	}
	wg.Wait()
	if got := metricValue(s.metrics.Rejected.WithLabelValues(ReasonRedis)); got != n {
		t.Fatalf("rejected{reason=redis} = %v, want %d", got, n)
	}
	recs := buf.all(t)
	var rejected, client int
	for _, r := range recs {
		switch {
		case r["level"] == "ERROR" || strings.Contains(fmt.Sprint(r["msg"]), "not released"):
			t.Errorf("log line %v", r)
		case r["msg"] == "wecom callback rejected" && r["reason"] == ReasonRedis:
			rejected++
		case r["msg"] == "redis client":
			client++
		}
	}
	if rejected != 1 || client != 1 {
		t.Errorf("%d rejection lines and %d go-redis lines for %d callbacks, want 1 and 1:\n%v", rejected, client, n, recs)
	}
	t.Logf("%d callbacks during the outage: %d log lines", n, len(recs))
}
