// Package fakewecom is a local fake of the WeCom (企业微信) server API for
// tests and benchmarks: gettoken, message/send (text, markdown,
// template_card, file), message/update_template_card, user/get,
// department/list, media/upload, media/get and the group-robot webhook,
// speaking the documented JSON shapes (errcode/errmsg/invaliduser...). It
// records what it accepts (messages, card updates, uploaded files), and can
// inject faults per endpoint: WeCom errcodes (42001, 40014, 45009, 45033,
// -1...), HTTP errors and slow answers, each either instead of the call or
// after it took effect (deliver-then-fail: the message reaches the user,
// the answer is an HTTP 500 or never comes). message/send implements
// WeCom's duplicate check (enable_duplicate_check, duplicate_check_interval):
// see Message.Duplicate. CardEvent builds the callback a click on a sent
// card produces.
//
// Point the project's WeCom client at Server.URL (its API base). Code that
// calls the silenceper SDK directly, with its hard-coded host, can use
// Server.InstallSDK to rewrite the SDK's URLs for one test.
package fakewecom

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
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
	EndpointUpload      Endpoint = "media/upload"
	EndpointUpdateCard  Endpoint = "message/update_template_card"
	EndpointWebhook     Endpoint = "webhook/send"
)

// WeCom error codes the fake answers with.
const (
	CodeOK                 = 0
	CodeBusy               = -1
	CodeInvalidSecret      = 40001
	CodeInvalidMediaType   = 40004
	CodeInvalidFileSize    = 40006
	CodeInvalidMediaID     = 40007
	CodeInvalidMsgType     = 40008
	CodeInvalidCorpID      = 40013
	CodeInvalidToken       = 40014
	CodeInvalidAgentID     = 40056
	CodeInvalidParam       = 40058
	CodeMissingToken       = 41001
	CodeMissingMediaID     = 41006
	CodeTokenExpired       = 42001
	CodeInvalidTaskID      = 42014
	CodeResponseCodeUsed   = 42022 // "code已经被使用过"; also for an expired response_code
	CodeEmptyMedia         = 44001
	CodeEmptyContent       = 44004
	CodeMediaTooLarge      = 45001
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

// Media limits of media/upload (上传临时素材): a file must be more than
// MinFileBytes; one of type file at most MaxFileBytes (20 MB), an image or
// a video at most MaxImageBytes (10 MB), a voice at most MaxVoiceBytes.
const (
	MinFileBytes  = 5
	MaxFileBytes  = 20 << 20
	MaxImageBytes = 10 << 20
	MaxVoiceBytes = 2 << 20
)

// ResponseCodeTTL is how long a template card's response_code can be used
// (once) for message/update_template_card.
const ResponseCodeTTL = 72 * time.Hour

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
	MsgType    string // text, markdown, template_card, file
	Content    string // text and markdown
	MsgID      string
	At         time.Time
	// template_card: the card as received and decoded, its task_id and
	// card_type, and the response_code the send answered with (empty for
	// a card without callbacks).
	CardJSON     json.RawMessage
	Card         *TemplateCard
	TaskID       string
	CardType     string
	ResponseCode string
	// file: the media_id sent; Server.Media(MediaID) has its bytes and name.
	MediaID string
	// Dropped is true when WeCom would silently not deliver it (more than
	// PerUserPerMinute messages to one member of ToUser within a minute).
	Dropped bool
	// Duplicate is true when WeCom's duplicate check kept it from the
	// user: it was sent with enable_duplicate_check 1 and the same request
	// JSON (compared as JSON, key order aside) reached its recipients
	// within duplicate_check_interval (default 1800 s, at most 4 h) before
	// it. WeCom answers such a send ok (errcode 0) like any other. The
	// window runs from the copy that was delivered; suppressed copies do
	// not extend it.
	Duplicate bool
	Body      json.RawMessage // the request body as received
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
	// Deliver makes the request take effect first (a message is accepted,
	// recorded and reaches the user) and then answers with the fault: an
	// HTTP status, an errcode, or with a Delay, nothing until the client
	// gives up (hang past the client's timeout). Without Deliver a faulted
	// request has no effect.
	Deliver bool
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

	mediaSeq  int
	uploads   map[string]Media
	uploadLog []string // media ids in upload order
	codeSeq   int
	codes     map[string]*responseCode
	cardTypes map[string]string // task_id → card_type of the last card sent
	updates   []CardUpdate
	// delivered: SHA-256 of the request JSON (canonical) of app messages
	// that reached their recipients → when, for the duplicate check.
	delivered map[[32]byte]time.Time
}

// responseCode is one issued template-card response_code.
type responseCode struct {
	taskID string
	issued time.Time
	used   bool
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
		uploads:   map[string]Media{},
		codes:     map[string]*responseCode{},
		cardTypes: map[string]string{},
		delivered: map[[32]byte]time.Time{},
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
	mux.HandleFunc("/cgi-bin/media/upload", s.wrap(EndpointUpload, s.handleUpload))
	mux.HandleFunc("/cgi-bin/message/update_template_card", s.wrap(EndpointUpdateCard, s.handleUpdateCard))
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

// Delivered returns a copy of the accepted messages that reached their
// recipients: neither Dropped nor Duplicate.
func (s *Server) Delivered() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if !m.Dropped && !m.Duplicate {
			out = append(out, m)
		}
	}
	return out
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

// Reset forgets recorded messages, card updates, counters and faults
// (tokens, uploaded media and response codes stay valid).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
	s.updates = nil
	s.perUser = map[string][]time.Time{}
	s.calls = map[Endpoint]int{}
	s.faultsHit = map[Endpoint]int{}
	s.faults = map[Endpoint][]Fault{}
	s.rules = map[Endpoint]Rule{}
	s.delivered = map[[32]byte]time.Time{}
}

// wrap counts the call, applies a fault if one is due, then runs h.
func (s *Server) wrap(ep Endpoint, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Method == http.MethodPost {
			// Read one byte past the limit so a handler can tell an
			// oversized body (len(body) > bodyLimit(ep)).
			b, err := io.ReadAll(io.LimitReader(r.Body, bodyLimit(ep)+1))
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

		if hasFault && f.Deliver {
			// The call takes effect; its answer is lost and replaced below.
			h(discardWriter{header: http.Header{}}, r, body)
		}
		if hasFault {
			if f.Delay > 0 {
				t := time.NewTimer(f.Delay)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return // the client gave up: no (further) effect
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
			if f.Deliver {
				w.WriteHeader(http.StatusBadGateway) // a Deliver fault with nothing else: the answer is lost
				return
			}
		}
		if r.Context().Err() != nil {
			return
		}
		h(w, r, body)
	}
}

// discardWriter swallows the answer of a deliver-then-fail request.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

// bodyLimit is the most of a request body the fake reads: room for the
// largest upload plus its multipart framing, 4 MiB for JSON calls.
func bodyLimit(ep Endpoint) int64 {
	if ep == EndpointUpload {
		return MaxFileBytes + 64<<10
	}
	return 4 << 20
}

func errMsg(code int) string {
	switch code {
	case CodeOK:
		return "ok"
	case CodeBusy:
		return "system busy"
	case CodeInvalidSecret:
		return "invalid credential"
	case CodeInvalidMediaType:
		return "invalid media type"
	case CodeInvalidFileSize:
		return "invalid file size"
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
	case CodeInvalidParam:
		return "invalid parameter"
	case CodeMissingToken:
		return "access_token missing"
	case CodeMissingMediaID:
		return "media_id missing"
	case CodeTokenExpired:
		return "access_token expired"
	case CodeInvalidTaskID:
		return "invalid task_id"
	case CodeResponseCodeUsed:
		return "code has been used"
	case CodeEmptyMedia:
		return "empty media data"
	case CodeEmptyContent:
		return "empty content"
	case CodeMediaTooLarge:
		return "media size out of limit"
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
	Card     json.RawMessage `json:"template_card"`
	File     *mediaField     `json:"file"`
	// WeCom's duplicate check (message/send only).
	EnableDuplicateCheck   int `json:"enable_duplicate_check"`
	DuplicateCheckInterval int `json:"duplicate_check_interval"`
}

// Duplicate-check interval limits of message/send: the default and the
// most WeCom accepts (4 hours).
const (
	DefaultDuplicateCheckInterval = 1800 * time.Second
	MaxDuplicateCheckInterval     = 4 * time.Hour
)

// canonicalJSON is the digest of body re-encoded with sorted keys, so that
// two requests differing only in key order or spacing compare equal.
func canonicalJSON(body []byte) [32]byte {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return sha256.Sum256(body)
	}
	b, _ := json.Marshal(v)
	return sha256.Sum256(b)
}

type contentField struct {
	Content string `json:"content"`
}

type mediaField struct {
	MediaID string `json:"media_id"`
}

// decoded is the checked body of a message, by msgtype.
type decoded struct {
	content  string        // text, markdown
	cardJSON []byte        // template_card
	card     *TemplateCard // template_card
	mediaID  string        // file
}

func parseAgentID(raw json.RawMessage) (int, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// decodeMessage reads a message/send or webhook body and its content,
// answering WeCom's error and returning ok false when it is not valid JSON,
// fails check (run before the content checks; nil: none), has a msgtype
// not in types, empty content, an invalid card (checkCard) or an unknown
// media_id.
func (s *Server) decodeMessage(w http.ResponseWriter, body []byte, check func(sendRequest) bool, types ...string) (req sendRequest, d decoded, ok bool) {
	if err := json.Unmarshal(body, &req); err != nil || !utf8.Valid(body) {
		s.fail(w, CodeBadJSON)
		return req, d, false
	}
	if check != nil && !check(req) {
		return req, d, false
	}
	if !slices.Contains(types, req.MsgType) {
		s.fail(w, CodeInvalidMsgType)
		return req, d, false
	}
	code := 0
	switch req.MsgType {
	case "text", "markdown":
		f := req.Text
		if req.MsgType == "markdown" {
			f = req.Markdown
		}
		if f != nil {
			d.content = f.Content
		}
		if d.content == "" {
			code = CodeEmptyContent
		}
	case "template_card":
		d.cardJSON = req.Card
		d.card, code = checkCard(req.Card)
	case "file":
		switch {
		case req.File == nil || req.File.MediaID == "":
			code = CodeMissingMediaID
		case !s.hasMedia(req.File.MediaID):
			code = CodeInvalidMediaID
		default:
			d.mediaID = req.File.MediaID
		}
	}
	if code != 0 {
		s.fail(w, code)
		return req, d, false
	}
	return req, d, true
}

// postWithToken answers and returns false unless r is a POST with a valid
// access_token.
func (s *Server) postWithToken(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return false
	}
	return s.checkToken(w, r)
}

func (s *Server) handleSend(w http.ResponseWriter, r *http.Request, body []byte) {
	if !s.postWithToken(w, r) {
		return
	}
	var agent int
	req, d, ok := s.decodeMessage(w, body, func(req sendRequest) bool {
		var ok bool
		agent, ok = parseAgentID(req.AgentID)
		if !ok || agent != s.opts.AgentID {
			s.fail(w, CodeInvalidAgentID)
			return false
		}
		return true
	}, "text", "markdown", "template_card", "file")
	if !ok {
		return
	}
	if len(d.content) > MaxContentBytes {
		s.fail(w, CodeContentTooLong)
		return
	}
	interval := DefaultDuplicateCheckInterval
	if req.DuplicateCheckInterval != 0 {
		interval = time.Duration(req.DuplicateCheckInterval) * time.Second
	}
	if req.DuplicateCheckInterval < 0 || interval > MaxDuplicateCheckInterval ||
		(req.EnableDuplicateCheck != 0 && req.EnableDuplicateCheck != 1) {
		s.fail(w, CodeInvalidParam)
		return
	}
	canon := canonicalJSON(body)

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
	duplicate := false
	if at, ok := s.delivered[canon]; ok && req.EnableDuplicateCheck == 1 && now.Sub(at) < interval {
		duplicate = true
	}
	dropped := false
	if s.opts.PerUserPerMinute > 0 && !duplicate {
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
	m := Message{
		Endpoint:  EndpointSend,
		ToUser:    req.ToUser,
		ToParty:   req.ToParty,
		ToTag:     req.ToTag,
		AgentID:   agent,
		MsgType:   req.MsgType,
		Content:   d.content,
		MsgID:     msgID,
		At:        now,
		Dropped:   dropped,
		Duplicate: duplicate,
		MediaID:   d.mediaID,
		Body:      append(json.RawMessage(nil), body...),
	}
	if d.card != nil {
		m.CardJSON = append(json.RawMessage(nil), d.cardJSON...)
		m.Card, m.TaskID, m.CardType = d.card, d.card.TaskID, d.card.CardType
		if d.card.hasCallbacks() {
			m.ResponseCode = s.issueCode(d.card.TaskID, now)
			s.cardTypes[d.card.TaskID] = d.card.CardType
		}
	}
	if !duplicate && !dropped {
		s.delivered[canon] = now
	}
	s.messages = append(s.messages, m)
	s.cond.Broadcast()
	s.mu.Unlock()

	answer := map[string]any{
		"errcode":        0,
		"errmsg":         "ok",
		"invaliduser":    strings.Join(invalidUsers, "|"),
		"invalidparty":   strings.Join(invalidParties, "|"),
		"invalidtag":     strings.Join(invalidTags, "|"),
		"unlicenseduser": "",
		"msgid":          msgID,
	}
	if m.ResponseCode != "" {
		answer["response_code"] = m.ResponseCode
	}
	writeJSON(w, answer)
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
	req, d, ok := s.decodeMessage(w, body, nil, "text", "markdown")
	if !ok {
		return
	}
	content := d.content
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
	m, ok := s.Media(id)
	if !ok {
		s.fail(w, CodeInvalidMediaID)
		return
	}
	data := m.Data
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.Name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}
