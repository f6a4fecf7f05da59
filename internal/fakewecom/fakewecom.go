// Package fakewecom is a local fake of the WeCom (企业微信) server API for
// tests and benchmarks: gettoken, message/send (text, markdown), user/get,
// department/list, media/get and the group-robot webhook, speaking the
// documented JSON shapes (errcode/errmsg/invaliduser...). It records what it
// accepts, and can inject faults per endpoint: WeCom errcodes (42001, 40014,
// 45009, 45033, -1...), HTTP errors and slow answers.
//
// Point the project's WeCom client at Server.URL (its API base). Code that
// calls the silenceper SDK directly, with its hard-coded host, can use
// Server.InstallSDK to rewrite the SDK's URLs for one test.
package fakewecom

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"
)

// Endpoint names one API of the fake, for fault injection and counters.
type Endpoint string

const (
	EndpointToken       Endpoint = "gettoken"
	EndpointSend        Endpoint = "message/send"
	EndpointUser        Endpoint = "user/get"
	EndpointDepartments Endpoint = "department/list"
	EndpointMedia       Endpoint = "media/get"
	EndpointWebhook     Endpoint = "webhook/send"
)

// WeCom error codes the fake answers with.
const (
	CodeOK                 = 0
	CodeBusy               = -1
	CodeInvalidSecret      = 40001
	CodeInvalidMediaID     = 40007
	CodeInvalidMsgType     = 40008
	CodeInvalidCorpID      = 40013
	CodeInvalidToken       = 40014
	CodeInvalidAgentID     = 40056
	CodeMissingToken       = 41001
	CodeTokenExpired       = 42001
	CodeEmptyContent       = 44004
	CodeContentTooLong     = 45002
	CodeFreqLimit          = 45009
	CodeConcurrencyLimit   = 45033
	CodeBadJSON            = 47001
	CodeUserNotFound       = 60111
	CodeDepartmentNotFound = 60123
	CodeNoValidRecipient   = 81013
	CodeInvalidWebhookKey  = 93000
)

// MaxContentBytes is WeCom's limit for text and app markdown content.
const MaxContentBytes = 2048

// MaxWebhookMarkdownBytes is the group robot's markdown limit.
const MaxWebhookMarkdownBytes = 4096

// User is an address-book member.
type User struct {
	UserID         string
	Name           string
	Departments    []int
	IsLeaderInDept []int // parallel to Departments, 1 = leader
}

// Department is an address-book department.
type Department struct {
	ID       int
	Name     string
	ParentID int
	Order    int
	Leaders  []string
}

// Options configures a Server. Zero values get test defaults.
type Options struct {
	CorpID     string // default "wwfakecorp"
	CorpSecret string // default "fake-secret"
	AgentID    int    // default 1000002
	// Users and Departments make up the address book. When Users is empty
	// every userid is a valid message recipient (handy for load tests);
	// likewise Departments for toparty.
	Users       []User
	Departments []Department
	// Media maps media_id to file content for media/get.
	Media map[string][]byte
	// WebhookKeys are the valid group robot keys; empty accepts any key.
	WebhookKeys []string
	// PerUserPerMinute models WeCom's silent drop: an app message beyond this
	// many to one member within a minute is answered ok but marked Dropped.
	// Default 30; negative disables.
	PerUserPerMinute int
	// Now is the fake's clock (token expiry, per-minute windows). Default time.Now.
	Now func() time.Time
}

// Message is one message the fake accepted.
type Message struct {
	Endpoint   Endpoint
	WebhookKey string // webhook/send only
	ToUser     string
	ToParty    string
	ToTag      string
	AgentID    int
	MsgType    string // text, markdown
	Content    string
	MsgID      string
	At         time.Time
	// Dropped is true when WeCom would silently not deliver it (more than
	// PerUserPerMinute messages to one member of ToUser within a minute).
	Dropped bool
	Body    json.RawMessage // the request body as received
}

// Fault is an injected misbehaviour for one request.
type Fault struct {
	// Delay waits this long before answering. If the client gives up
	// meanwhile, the request has no effect (nothing is recorded).
	Delay time.Duration
	// HTTPStatus, when non-zero, answers with this status and an empty body.
	HTTPStatus int
	// ErrCode, when non-zero, answers HTTP 200 with this WeCom errcode.
	ErrCode int
	ErrMsg  string // default: WeCom's message for ErrCode
}

// Rule decides the fault for the n-th request (1-based) to an endpoint;
// ok false means answer normally. Rules run after queued faults are used up.
type Rule func(n int) (f Fault, ok bool)

// Server is a running fake WeCom.
type Server struct {
	*httptest.Server
	opts Options

	mu        sync.Mutex
	cond      *sync.Cond
	tokens    map[string]time.Time // valid token → expiry
	expired   map[string]bool
	current   string
	tokenSeq  int
	msgSeq    int
	messages  []Message
	perUser   map[string][]time.Time
	faults    map[Endpoint][]Fault
	rules     map[Endpoint]Rule
	calls     map[Endpoint]int
	users     map[string]User
	depts     map[int]Department
	hooks     map[string]bool
	faultsHit map[Endpoint]int
}

// New starts a fake WeCom server. Call Close when done (or use Start).
func New(opts Options) *Server {
	if opts.CorpID == "" {
		opts.CorpID = "wwfakecorp"
	}
	if opts.CorpSecret == "" {
		opts.CorpSecret = "fake-secret"
	}
	if opts.AgentID == 0 {
		opts.AgentID = 1000002
	}
	if opts.PerUserPerMinute == 0 {
		opts.PerUserPerMinute = 30
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:      opts,
		tokens:    map[string]time.Time{},
		expired:   map[string]bool{},
		perUser:   map[string][]time.Time{},
		faults:    map[Endpoint][]Fault{},
		rules:     map[Endpoint]Rule{},
		calls:     map[Endpoint]int{},
		users:     map[string]User{},
		depts:     map[int]Department{},
		hooks:     map[string]bool{},
		faultsHit: map[Endpoint]int{},
	}
	s.cond = sync.NewCond(&s.mu)
	for _, u := range opts.Users {
		s.users[u.UserID] = u
	}
	for _, d := range opts.Departments {
		s.depts[d.ID] = d
	}
	for _, k := range opts.WebhookKeys {
		s.hooks[k] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/cgi-bin/gettoken", s.wrap(EndpointToken, s.handleToken))
	mux.HandleFunc("/cgi-bin/message/send", s.wrap(EndpointSend, s.handleSend))
	mux.HandleFunc("/cgi-bin/user/get", s.wrap(EndpointUser, s.handleUser))
	mux.HandleFunc("/cgi-bin/department/list", s.wrap(EndpointDepartments, s.handleDepartments))
	mux.HandleFunc("/cgi-bin/media/get", s.wrap(EndpointMedia, s.handleMedia))
	mux.HandleFunc("/cgi-bin/webhook/send", s.wrap(EndpointWebhook, s.handleWebhook))
	s.Server = httptest.NewServer(mux)
	return s
}

// Start starts a fake WeCom server closed when tb ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(s.Close)
	return s
}

// CorpID, CorpSecret and AgentID are the credentials the fake accepts.
func (s *Server) CorpID() string     { return s.opts.CorpID }
func (s *Server) CorpSecret() string { return s.opts.CorpSecret }
func (s *Server) AgentID() int       { return s.opts.AgentID }

// InstallSDK rewrites every URL the silenceper SDK builds
// (https://qyapi.weixin.qq.com/...) to this server for the rest of tb, and
// removes the rewrite at the end. The SDK's modifier is a process-wide
// global: tests that use it must not run in parallel with each other.
func (s *Server) InstallSDK(tb testing.TB) {
	tb.Helper()
	base := s.URL
	util.SetURIModifier(func(uri string) string {
		return RewriteHost(uri, base)
	})
	tb.Cleanup(func() { util.SetURIModifier(nil) })
}

// RewriteHost replaces the scheme and host of uri (WeCom's public API host)
// with base, keeping path and query.
func RewriteHost(uri, base string) string {
	const public = "https://qyapi.weixin.qq.com"
	if strings.HasPrefix(uri, public) {
		return strings.TrimRight(base, "/") + strings.TrimPrefix(uri, public)
	}
	return uri
}

// InjectFaults queues faults for an endpoint; each is used by one request,
// in order, before any Rule applies.
func (s *Server) InjectFaults(ep Endpoint, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[ep] = append(s.faults[ep], faults...)
}

// SetRule installs (or with nil removes) a fault rule for an endpoint.
func (s *Server) SetRule(ep Endpoint, r Rule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r == nil {
		delete(s.rules, ep)
		return
	}
	s.rules[ep] = r
}

// ClearFaults removes all queued faults and rules.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[Endpoint][]Fault{}
	s.rules = map[Endpoint]Rule{}
}

// ExpireTokens makes every issued access_token expired now (42001 from then
// on); the next gettoken issues a new one.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.expired[t] = true
	}
	s.tokens = map[string]time.Time{}
	s.current = ""
}

// Calls is how many requests an endpoint received (faulted ones included).
func (s *Server) Calls(ep Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[ep]
}

// FaultsServed is how many injected faults an endpoint answered with.
func (s *Server) FaultsServed(ep Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultsHit[ep]
}

// Messages returns a copy of every accepted message, in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Dropped counts accepted messages WeCom would have silently dropped.
func (s *Server) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.messages {
		if m.Dropped {
			n++
		}
	}
	return n
}

// ErrTimeout is returned by WaitMessages when too few messages arrived.
var ErrTimeout = errors.New("fakewecom: timed out waiting for messages")

// WaitMessages waits until at least n messages were accepted or timeout
// passes, and returns a copy of all accepted messages. On timeout the error
// wraps ErrTimeout and says how many arrived.
func (s *Server) WaitMessages(n int, timeout time.Duration) ([]Message, error) {
	timer := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(timeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.messages) < n {
		if !time.Now().Before(deadline) {
			return append([]Message(nil), s.messages...),
				fmt.Errorf("%w: %d of %d after %s", ErrTimeout, len(s.messages), n, timeout)
		}
		s.cond.Wait()
	}
	return append([]Message(nil), s.messages...), nil
}

// Reset forgets recorded messages, counters and faults (tokens stay valid).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
	s.perUser = map[string][]time.Time{}
	s.calls = map[Endpoint]int{}
	s.faultsHit = map[Endpoint]int{}
	s.faults = map[Endpoint][]Fault{}
	s.rules = map[Endpoint]Rule{}
}

// wrap counts the call, applies a fault if one is due, then runs h.
func (s *Server) wrap(ep Endpoint, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Method == http.MethodPost {
			b, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
			if err != nil {
				return
			}
			body = b
		}
		s.mu.Lock()
		s.calls[ep]++
		n := s.calls[ep]
		var f Fault
		var hasFault bool
		if q := s.faults[ep]; len(q) > 0 {
			f, hasFault = q[0], true
			s.faults[ep] = q[1:]
		} else if rule := s.rules[ep]; rule != nil {
			f, hasFault = rule(n)
		}
		if hasFault {
			s.faultsHit[ep]++
		}
		s.mu.Unlock()

		if hasFault {
			if f.Delay > 0 {
				t := time.NewTimer(f.Delay)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return // the client gave up: no effect
				}
			}
			if f.HTTPStatus != 0 {
				w.WriteHeader(f.HTTPStatus)
				return
			}
			if f.ErrCode != 0 {
				msg := f.ErrMsg
				if msg == "" {
					msg = errMsg(f.ErrCode)
				}
				writeJSON(w, map[string]any{"errcode": f.ErrCode, "errmsg": msg})
				return
			}
		}
		if r.Context().Err() != nil {
			return
		}
		h(w, r, body)
	}
}

func errMsg(code int) string {
	switch code {
	case CodeOK:
		return "ok"
	case CodeBusy:
		return "system busy"
	case CodeInvalidSecret:
		return "invalid credential"
	case CodeInvalidMediaID:
		return "invalid media_id"
	case CodeInvalidMsgType:
		return "invalid message type"
	case CodeInvalidCorpID:
		return "invalid corpid"
	case CodeInvalidToken:
		return "invalid access_token"
	case CodeInvalidAgentID:
		return "invalid agentid"
	case CodeMissingToken:
		return "access_token missing"
	case CodeTokenExpired:
		return "access_token expired"
	case CodeEmptyContent:
		return "empty content"
	case CodeContentTooLong:
		return "content size out of limit"
	case CodeFreqLimit:
		return "api freq out of limit"
	case CodeConcurrencyLimit:
		return "api concurrent out of limit"
	case CodeBadJSON:
		return "data format error"
	case CodeUserNotFound:
		return "userid not found"
	case CodeDepartmentNotFound:
		return "department not found"
	case CodeNoValidRecipient:
		return "user & party & tag all invalid"
	case CodeInvalidWebhookKey:
		return "invalid webhook url"
	}
	return "error"
}

// hint mimics WeCom's errmsg suffix with a request id and a help link.
func (s *Server) fail(w http.ResponseWriter, code int) {
	writeJSON(w, map[string]any{
		"errcode": code,
		"errmsg": fmt.Sprintf("%s, hint: [%d-fake], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=%d",
			errMsg(code), s.opts.Now().Unix(), code),
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, _ []byte) {
	q := r.URL.Query()
	if q.Get("corpid") != s.opts.CorpID {
		s.fail(w, CodeInvalidCorpID)
		return
	}
	if q.Get("corpsecret") != s.opts.CorpSecret {
		s.fail(w, CodeInvalidSecret)
		return
	}
	s.mu.Lock()
	now := s.opts.Now()
	if s.current == "" || !now.Before(s.tokens[s.current]) {
		if s.current != "" {
			s.expired[s.current] = true
			delete(s.tokens, s.current)
		}
		s.tokenSeq++
		s.current = fmt.Sprintf("fake-token-%d-%d", s.tokenSeq, now.UnixNano())
		s.tokens[s.current] = now.Add(7200 * time.Second)
	}
	tok, exp := s.current, s.tokens[s.current]
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"errcode":      0,
		"errmsg":       "ok",
		"access_token": tok,
		"expires_in":   int(math.Ceil(exp.Sub(now).Seconds())),
	})
}

// checkToken answers the token error and returns false when the request's
// access_token is not valid.
func (s *Server) checkToken(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		s.fail(w, CodeMissingToken)
		return false
	}
	s.mu.Lock()
	exp, ok := s.tokens[tok]
	wasExpired := s.expired[tok]
	now := s.opts.Now()
	s.mu.Unlock()
	switch {
	case ok && now.Before(exp):
		return true
	case ok || wasExpired:
		s.fail(w, CodeTokenExpired)
	default:
		s.fail(w, CodeInvalidToken)
	}
	return false
}

// sendRequest is the union of the message/send and webhook/send bodies the
// fake understands.
type sendRequest struct {
	ToUser   string          `json:"touser"`
	ToParty  string          `json:"toparty"`
	ToTag    string          `json:"totag"`
	MsgType  string          `json:"msgtype"`
	AgentID  json.RawMessage `json:"agentid"` // number or string
	Text     *contentField   `json:"text"`
	Markdown *contentField   `json:"markdown"`
}

type contentField struct {
	Content string `json:"content"`
}

func (q *sendRequest) content() (string, bool) {
	switch q.MsgType {
	case "text":
		if q.Text == nil {
			return "", true
		}
		return q.Text.Content, true
	case "markdown":
		if q.Markdown == nil {
			return "", true
		}
		return q.Markdown.Content, true
	}
	return "", false
}

func parseAgentID(raw json.RawMessage) (int, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// decodeMessage reads a message/send or webhook body and its content,
// answering WeCom's error and returning ok false when it is not valid JSON,
// fails check (run before the content checks; nil: none), has an unknown
// msgtype or empty content.
func (s *Server) decodeMessage(w http.ResponseWriter, body []byte, check func(sendRequest) bool) (req sendRequest, content string, ok bool) {
	if err := json.Unmarshal(body, &req); err != nil || !utf8.Valid(body) {
		s.fail(w, CodeBadJSON)
		return req, "", false
	}
	if check != nil && !check(req) {
		return req, "", false
	}
	content, ok = req.content()
	if !ok {
		s.fail(w, CodeInvalidMsgType)
		return req, "", false
	}
	if content == "" {
		s.fail(w, CodeEmptyContent)
		return req, "", false
	}
	return req, content, true
}

func (s *Server) handleSend(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !s.checkToken(w, r) {
		return
	}
	var agent int
	req, content, ok := s.decodeMessage(w, body, func(req sendRequest) bool {
		var ok bool
		agent, ok = parseAgentID(req.AgentID)
		if !ok || agent != s.opts.AgentID {
			s.fail(w, CodeInvalidAgentID)
			return false
		}
		return true
	})
	if !ok {
		return
	}
	if len(content) > MaxContentBytes {
		s.fail(w, CodeContentTooLong)
		return
	}

	s.mu.Lock()
	validUsers, invalidUsers := s.splitUsers(req.ToUser)
	validParties, invalidParties := s.splitParties(req.ToParty)
	validTags, invalidTags := splitIDs(req.ToTag, func(int) bool { return true })
	if len(validUsers)+len(validParties)+len(validTags) == 0 {
		s.mu.Unlock()
		s.fail(w, CodeNoValidRecipient)
		return
	}
	now := s.opts.Now()
	dropped := false
	if s.opts.PerUserPerMinute > 0 {
		for _, u := range validUsers {
			win := s.perUser[u]
			i := 0
			for i < len(win) && now.Sub(win[i]) >= time.Minute {
				i++
			}
			win = append(win[i:], now)
			s.perUser[u] = win
			if len(win) > s.opts.PerUserPerMinute {
				dropped = true
			}
		}
	}
	s.msgSeq++
	msgID := fmt.Sprintf("fakemsg%08d", s.msgSeq)
	s.messages = append(s.messages, Message{
		Endpoint: EndpointSend,
		ToUser:   req.ToUser,
		ToParty:  req.ToParty,
		ToTag:    req.ToTag,
		AgentID:  agent,
		MsgType:  req.MsgType,
		Content:  content,
		MsgID:    msgID,
		At:       now,
		Dropped:  dropped,
		Body:     append(json.RawMessage(nil), body...),
	})
	s.cond.Broadcast()
	s.mu.Unlock()

	writeJSON(w, map[string]any{
		"errcode":        0,
		"errmsg":         "ok",
		"invaliduser":    strings.Join(invalidUsers, "|"),
		"invalidparty":   strings.Join(invalidParties, "|"),
		"invalidtag":     strings.Join(invalidTags, "|"),
		"unlicenseduser": "",
		"msgid":          msgID,
	})
}

// splitUsers splits a touser list; s.mu must be held.
func (s *Server) splitUsers(list string) (valid, invalid []string) {
	if list == "" {
		return nil, nil
	}
	for _, u := range strings.Split(list, "|") {
		switch {
		case u == "":
		case u == "@all":
			if len(s.users) == 0 {
				valid = append(valid, u)
			}
			for id := range s.users {
				valid = append(valid, id)
			}
		case len(s.users) == 0:
			valid = append(valid, u)
		default:
			if _, ok := s.users[u]; ok {
				valid = append(valid, u)
			} else {
				invalid = append(invalid, strings.ToLower(u))
			}
		}
	}
	return valid, invalid
}

// splitParties splits a toparty list; s.mu must be held.
func (s *Server) splitParties(list string) (valid, invalid []string) {
	return splitIDs(list, func(id int) bool {
		if len(s.depts) == 0 {
			return true
		}
		_, ok := s.depts[id]
		return ok
	})
}

func splitIDs(list string, known func(int) bool) (valid, invalid []string) {
	if list == "" {
		return nil, nil
	}
	for _, p := range strings.Split(list, "|") {
		if p == "" {
			continue
		}
		id, err := strconv.Atoi(p)
		if err != nil || !known(id) {
			invalid = append(invalid, p)
			continue
		}
		valid = append(valid, p)
	}
	return valid, invalid
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	key := r.URL.Query().Get("key")
	if key == "" || (len(s.hooks) > 0 && !s.hooks[key]) {
		s.fail(w, CodeInvalidWebhookKey)
		return
	}
	req, content, ok := s.decodeMessage(w, body, nil)
	if !ok {
		return
	}
	limit := MaxContentBytes
	if req.MsgType == "markdown" {
		limit = MaxWebhookMarkdownBytes
	}
	if len(content) > limit {
		s.fail(w, CodeContentTooLong)
		return
	}
	s.mu.Lock()
	s.msgSeq++
	s.messages = append(s.messages, Message{
		Endpoint:   EndpointWebhook,
		WebhookKey: key,
		MsgType:    req.MsgType,
		Content:    content,
		MsgID:      fmt.Sprintf("fakemsg%08d", s.msgSeq),
		At:         s.opts.Now(),
		Body:       append(json.RawMessage(nil), body...),
	})
	s.cond.Broadcast()
	s.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request, _ []byte) {
	if !s.checkToken(w, r) {
		return
	}
	id := r.URL.Query().Get("userid")
	s.mu.Lock()
	u, ok := s.users[id]
	s.mu.Unlock()
	if !ok {
		s.fail(w, CodeUserNotFound)
		return
	}
	leader := u.IsLeaderInDept
	if len(leader) != len(u.Departments) {
		leader = make([]int, len(u.Departments))
		copy(leader, u.IsLeaderInDept)
	}
	order := make([]int, len(u.Departments))
	main := 0
	if len(u.Departments) > 0 {
		main = u.Departments[0]
	}
	name := u.Name
	if name == "" {
		name = u.UserID
	}
	writeJSON(w, map[string]any{
		"errcode":           0,
		"errmsg":            "ok",
		"userid":            u.UserID,
		"name":              name,
		"department":        nonNil(u.Departments),
		"order":             order,
		"position":          "",
		"is_leader_in_dept": leader,
		"direct_leader":     []string{},
		"status":            1,
		"main_department":   main,
	})
}

func nonNil(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}

func (s *Server) handleDepartments(w http.ResponseWriter, r *http.Request, _ []byte) {
	if !s.checkToken(w, r) {
		return
	}
	s.mu.Lock()
	all := append([]Department(nil), s.opts.Departments...)
	s.mu.Unlock()
	root := 0
	if v := r.URL.Query().Get("id"); v != "" {
		id, err := strconv.Atoi(v)
		if err != nil {
			s.fail(w, CodeDepartmentNotFound)
			return
		}
		if _, ok := s.depts[id]; !ok {
			s.fail(w, CodeDepartmentNotFound)
			return
		}
		root = id
	}
	// The subtree of root (root itself included); 0 means all.
	in := map[int]bool{root: true}
	var out []map[string]any
	for changed := true; changed; {
		changed = false
		for _, d := range all {
			if !in[d.ID] && (root == 0 || in[d.ParentID]) {
				in[d.ID] = true
				changed = true
			}
		}
	}
	for _, d := range all {
		if !in[d.ID] {
			continue
		}
		leaders := d.Leaders
		if leaders == nil {
			leaders = []string{}
		}
		out = append(out, map[string]any{
			"id":                d.ID,
			"name":              d.Name,
			"name_en":           "",
			"department_leader": leaders,
			"parentid":          d.ParentID,
			"order":             d.Order,
		})
	}
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "department": out})
}

func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request, _ []byte) {
	if !s.checkToken(w, r) {
		return
	}
	id := r.URL.Query().Get("media_id")
	data, ok := s.opts.Media[id]
	if !ok {
		s.fail(w, CodeInvalidMediaID)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, id))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}
