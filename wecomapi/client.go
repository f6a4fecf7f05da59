// Package wecomapi is the client for WeCom's (企业微信) server API used by the
// bot: the access token (shared by all replicas through Redis), app messages
// (message/send: text, markdown, template cards and files, with
// message/update_template_card and media/upload), group robots
// (webhook/send) and the address book (user/get, department/list), plus
// media/get.
//
// It builds on github.com/silenceper/wechat/v2: the SDK's cache.Cache
// interface (RedisCache is a go-redis v9 adapter), its token cache key and
// credential.AccessTokenContextHandle, its message and address-book types and
// *util.CommonError for API errors. The HTTP calls are made here, against a
// configurable API base (WECOM_API_BASE: the public host, a private
// deployment 私有化部署, or a local fake), with a context and a timeout on
// every call; the SDK's own calls have neither and use a hard-coded host.
// Errors never contain the access token, the corp secret or a webhook key.
package wecomapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/work/addresslist"
	"github.com/silenceper/wechat/v2/work/message"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/reply"
)

// DefaultAPIBase is WeCom's public API host.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// Config configures a Client.
type Config struct {
	CorpID  string // WECOM_CORP_ID
	AgentID int    // WECOM_AGENT_ID
	Secret  string // WECOM_SECRET (the app's secret)
	// APIBase is WECOM_API_BASE; default DefaultAPIBase.
	APIBase string
	// Redis holds the access token, shared by every replica.
	Redis redis.UniversalClient
	// Prefix goes in front of every Redis key, e.g. "choucha:".
	Prefix string
	// HTTPClient makes the calls; default a client with sane transport
	// timeouts. Timeout bounds each call (default 10s).
	HTTPClient *http.Client
	Timeout    time.Duration
	Logger     *slog.Logger
	// TokenMemo: how long a token read from Redis is reused from memory
	// before reading Redis again (saves a round trip per call; a rejected
	// token is forgotten at once). Default 30s; negative disables.
	TokenMemo time.Duration
	// TokenRefreshEvery: after a token rejected by WeCom (40014/42001) is
	// refreshed, no replica refreshes it again for this long; calls
	// rejected meanwhile fail as retryable and the outbox tries them later.
	// Default 30s.
	TokenRefreshEvery time.Duration
	// DuplicateCheck is the duplicate_check_interval every message/send
	// carries with enable_duplicate_check 1: WeCom drops a message whose
	// request JSON reached the same recipients within this interval, so a
	// resend after an ambiguous outcome (timeout, HTTP 500, a worker killed
	// mid-send) cannot reach the user twice. Default and most: 4h (WeCom's
	// limit); negative: no duplicate check. Distinct messages with the same
	// content within the interval must differ in their JSON: the outbox
	// marks such a repeat (see DuplicateWindow and package outbox).
	DuplicateCheck time.Duration
	Now            func() time.Time // default time.Now
}

// MaxDuplicateCheck is the longest duplicate_check_interval WeCom accepts.
const MaxDuplicateCheck = 4 * time.Hour

// Client calls the WeCom API. It is safe for concurrent use.
type Client struct {
	corpID  string
	agentID int
	secret  string
	base    string
	http    *http.Client
	timeout time.Duration
	log     *slog.Logger
	cache   *RedisCache
	// tokenMu makes one goroutine per process fetch a missing token;
	// refreshMu one handle a rejected token.
	tokenMu      sync.Mutex
	refreshMu    sync.Mutex
	refreshEvery time.Duration

	dupCheck time.Duration // 0: off

	memoTTL   time.Duration
	now       func() time.Time
	memoMu    sync.Mutex
	memo      string
	memoUntil time.Time
}

// New validates cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	var missing []string
	if cfg.CorpID == "" {
		missing = append(missing, "WECOM_CORP_ID")
	}
	if cfg.Secret == "" {
		missing = append(missing, "WECOM_SECRET")
	}
	if cfg.AgentID <= 0 {
		missing = append(missing, "WECOM_AGENT_ID (a positive integer)")
	}
	if cfg.Redis == nil {
		missing = append(missing, "Redis client")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("wecomapi: missing %s", strings.Join(missing, ", "))
	}
	base := strings.TrimRight(cfg.APIBase, "/")
	if base == "" {
		base = DefaultAPIBase
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wecomapi: WECOM_API_BASE %q is not an http(s) URL", config.RedactURL(cfg.APIBase))
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TokenMemo == 0 {
		cfg.TokenMemo = 30 * time.Second
	}
	if cfg.TokenRefreshEvery <= 0 {
		cfg.TokenRefreshEvery = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.DuplicateCheck == 0:
		cfg.DuplicateCheck = MaxDuplicateCheck
	case cfg.DuplicateCheck < 0:
		cfg.DuplicateCheck = 0
	case cfg.DuplicateCheck > MaxDuplicateCheck:
		return nil, fmt.Errorf("wecomapi: duplicate check interval %s is over WeCom's limit of %s", cfg.DuplicateCheck, MaxDuplicateCheck)
	case cfg.DuplicateCheck < time.Second:
		cfg.DuplicateCheck = time.Second
	}
	return &Client{
		dupCheck:     cfg.DuplicateCheck,
		refreshEvery: cfg.TokenRefreshEvery,
		memoTTL:      cfg.TokenMemo,
		now:          cfg.Now,
		corpID:       cfg.CorpID,
		agentID:      cfg.AgentID,
		secret:       cfg.Secret,
		base:         base,
		http:         cfg.HTTPClient,
		timeout:      cfg.Timeout,
		log:          cfg.Logger,
		cache:        NewRedisCache(cfg.Redis, cfg.Prefix),
	}, nil
}

// Cache is the Redis cache the token lives in (a cache.Cache for the SDK).
func (c *Client) Cache() *RedisCache { return c.cache }

// TokenCacheKey is the token's cache key, the same as the SDK's
// credential.NewWorkAccessToken uses, so SDK clients built on the same
// cache share the token.
func (c *Client) TokenCacheKey() string {
	return fmt.Sprintf("%s_access_token_%s_%d", credential.CacheKeyWorkPrefix, c.corpID, c.agentID)
}

var _ credential.AccessTokenContextHandle = (*Client)(nil)

// GetAccessToken implements the SDK's credential.AccessTokenHandle.
func (c *Client) GetAccessToken() (string, error) {
	return c.GetAccessTokenContext(context.Background())
}

// GetAccessTokenContext returns the cached token, fetching (gettoken) and
// caching it when missing. One goroutine per process (tokenMu) and one
// process per app across replicas (a Redis lock) fetches; the others wait
// for its token.
func (c *Client) GetAccessTokenContext(ctx context.Context) (string, error) {
	if tok := c.memoized(); tok != "" {
		return tok, nil
	}
	if tok := c.cachedToken(ctx); tok != "" {
		return tok, nil
	}
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	return c.fetchToken(ctx)
}

// cachedToken is the token in Redis ("" when missing), remembered in memory.
func (c *Client) cachedToken(ctx context.Context) string {
	if v, ok := c.cache.GetContext(ctx, c.TokenCacheKey()).(string); ok && v != "" {
		c.remember(v)
		return v
	}
	return ""
}

// errTokenBusy: another replica holds the fetch lock.
var errTokenBusy = errors.New("another replica is fetching the access token")

// fetchToken, with tokenMu held, returns the cached token or fetches one,
// waiting (up to the call timeout) while another replica is fetching.
func (c *Client) fetchToken(ctx context.Context) (string, error) {
	deadline := time.Now().Add(c.timeout)
	for {
		if tok := c.cachedToken(ctx); tok != "" {
			return tok, nil
		}
		tok, err := c.gettoken(ctx)
		if !errors.Is(err, errTokenBusy) {
			return tok, err
		}
		if time.Now().After(deadline) {
			return "", &Error{Op: "gettoken", Code: CodeHTTP, Class: Retryable, Err: err}
		}
		t := time.NewTimer(tokenPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", transportError("gettoken", ctx.Err())
		case <-t.C:
		}
	}
}

// tokenPoll is how often a replica waiting for another's gettoken looks.
const tokenPoll = 20 * time.Millisecond

// gettoken fetches a token and caches it, holding the app's fetch lock in
// Redis (SET NX PX) so that replicas fetch one at a time. With Redis
// unreachable it fetches anyway.
func (c *Client) gettoken(ctx context.Context) (string, error) {
	lock, id := c.TokenCacheKey()+":fetching", randomID()
	got, err := c.cache.TryLock(ctx, lock, id, c.timeout+time.Second)
	switch {
	case err != nil:
		c.log.Debug("wecomapi: token fetch lock unavailable, fetching anyway", "err", err)
	case !got:
		return "", errTokenBusy
	default:
		defer func() {
			if err := c.cache.DeleteIfEqual(context.WithoutCancel(ctx), lock, id); err != nil {
				c.log.Debug("wecomapi: token fetch lock not released; it expires", "err", err)
			}
		}()
		// The replica that held the lock just before us may have cached one.
		if tok := c.cachedToken(ctx); tok != "" {
			return tok, nil
		}
	}
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}}
	var res credential.ResAccessToken
	if err := c.call(ctx, "gettoken", http.MethodGet, q, nil, &res); err != nil {
		return "", err
	}
	if res.AccessToken == "" {
		return "", &Error{Op: "gettoken", Code: CodeHTTP, Class: Retryable, Err: errors.New("answer without access_token")}
	}
	// Like the SDK: keep it a while less than WeCom does.
	ttl := time.Duration(res.ExpiresIn-1500) * time.Second
	if err := c.cache.SetContext(ctx, c.TokenCacheKey(), res.AccessToken, ttl); err != nil {
		c.log.Warn("wecomapi: caching the access token failed", "err", err)
	}
	c.remember(res.AccessToken)
	return res.AccessToken, nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// refreshToken handles WeCom's rejection (40014/42001) of tok and reports
// whether to try again with the token now cached. It fetches once per
// expiry across workers and replicas, deciding atomically in Redis:
//   - another token is cached (another worker or replica refreshed it after
//     our call started): use it, fetch nothing;
//   - tok was itself fetched less than TokenRefreshEvery ago (the app's
//     "refreshed" mark stands): fetch nothing (gettoken answers the same
//     token while WeCom holds it valid); the error stands, retryable;
//   - else tok is dropped and the mark set, by exactly one caller, which
//     fetches; the others wait for its token (fetchToken).
func (c *Client) refreshToken(ctx context.Context, op string, tok string, rejected *Error) (bool, error) {
	c.forget(tok)
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	state, err := c.cache.dropRejected(ctx, c.TokenCacheKey(), tok, c.now(), c.refreshEvery)
	switch {
	case err != nil:
		c.log.Warn("wecomapi: dropping the access token failed", "err", err)
	case state == rejectedRecent:
		c.log.Debug("wecomapi: access token rejected again soon after a refresh; not refetching",
			"op", op, "errcode", rejected.Code, "refresh_every", c.refreshEvery)
		return false, nil
	case state == rejectedDropped:
		c.log.Info("wecomapi: access token rejected, fetching a new one", "op", op, "errcode", rejected.Code)
	}
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	_, err = c.fetchToken(ctx)
	return err == nil, err
}

func (c *Client) memoized() string {
	c.memoMu.Lock()
	defer c.memoMu.Unlock()
	if c.memo != "" && c.now().Before(c.memoUntil) {
		return c.memo
	}
	return ""
}

func (c *Client) remember(tok string) {
	if c.memoTTL <= 0 {
		return
	}
	c.memoMu.Lock()
	defer c.memoMu.Unlock()
	c.memo, c.memoUntil = tok, c.now().Add(c.memoTTL)
}

// forget forgets the in-memory token if it is tok.
func (c *Client) forget(tok string) {
	c.memoMu.Lock()
	defer c.memoMu.Unlock()
	if c.memo == tok {
		c.memo = ""
	}
}

// envelope is the errcode/errmsg part of every answer.
type envelope struct {
	ErrCode int64  `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// withToken runs a token-authenticated call; on 40014/42001 it refreshes
// the token (see refreshToken) and tries once more with the new one.
func (c *Client) withToken(ctx context.Context, op, method string, q url.Values, body, out any) error {
	for try := 0; ; try++ {
		tok, err := c.GetAccessTokenContext(ctx)
		if err != nil {
			return err
		}
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("access_token", tok)
		err = c.call(ctx, op, method, qq, body, out)
		var e *Error
		if try == 0 && errors.As(err, &e) && e.Class == TokenInvalid {
			again, rerr := c.refreshToken(ctx, op, tok, e)
			if rerr != nil {
				return rerr
			}
			if again {
				continue
			}
		}
		return err
	}
}

// call makes one HTTP request to base+/cgi-bin/+op and decodes the JSON
// answer into out (which must embed the errcode fields or be nil). An
// errcode other than 0 becomes an *Error.
func (c *Client) call(ctx context.Context, op, method string, q url.Values, body, out any) error {
	raw, _, err := c.do(ctx, op, method, q, body)
	if err != nil {
		return err
	}
	return decode(op, raw, out)
}

func decode(op string, raw []byte, out any) error {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return &Error{Op: op, Code: CodeHTTP, Class: Retryable, Err: fmt.Errorf("unreadable answer: %w", err)}
	}
	if env.ErrCode != 0 {
		return apiError(op, env.ErrCode, env.ErrMsg)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return &Error{Op: op, Code: CodeHTTP, Class: Retryable, Err: fmt.Errorf("unreadable answer: %w", err)}
		}
	}
	return nil
}

// rawBody is a request body sent as it is, with its own content type (a
// multipart upload), instead of being encoded as JSON.
type rawBody struct {
	contentType string
	data        []byte
}

// do performs the request and returns the body and its content type. A
// rawBody is sent as is; any other non-nil body is encoded as JSON.
func (c *Client) do(ctx context.Context, op, method string, q url.Values, body any) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	ctype := "application/json; charset=utf-8"
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd, ctype = bytes.NewReader(b.data), b.contentType
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return nil, "", &Error{Op: op, Code: CodeHTTP, Class: Permanent, Err: fmt.Errorf("encode request: %w", err)}
		}
		rd = &buf
	}
	u := c.base + "/cgi-bin/" + op
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, "", &Error{Op: op, Code: CodeHTTP, Class: Permanent, Err: errors.New("cannot build request")}
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", transportError(op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, "", transportError(op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", httpStatusError(op, resp.StatusCode)
	}
	return data, resp.Header.Get("Content-Type"), nil
}

// SendResult is WeCom's answer to an accepted message/send.
type SendResult = message.SendResponse

// markdownRequest is message/send with msgtype markdown (the SDK has no
// typed struct for it).
type markdownRequest struct {
	*message.SendRequestCommon
	Markdown message.TextField `json:"markdown"`
}

// DuplicateWindow is how long WeCom drops a repeat of an app message's
// request JSON (0: the duplicate check is off). Group robots (webhook/send)
// have no duplicate check.
func (c *Client) DuplicateWindow() time.Duration { return c.dupCheck }

// recipients builds the common message/send fields (agentid as a string,
// like the SDK sends it; WeCom accepts both), with WeCom's duplicate check
// on (see Config.DuplicateCheck).
func (c *Client) recipients(to reply.Recipient, msgType string) (*message.SendRequestCommon, error) {
	if len(to.Users) == 0 && len(to.Departments) == 0 && len(to.Tags) == 0 {
		return nil, apiError("message/send", CodeNoValidRecipient, "no recipient: Users, Departments and Tags are all empty (checked locally)")
	}
	common := &message.SendRequestCommon{
		ToUser:  strings.Join(to.Users, "|"),
		ToParty: joinInts(to.Departments),
		ToTag:   joinInts(to.Tags),
		MsgType: msgType,
		AgentID: strconv.Itoa(c.agentID),
	}
	if c.dupCheck > 0 {
		common.EnableDuplicateCheck = 1
		common.DuplicateCheckInterval = int(c.dupCheck / time.Second)
	}
	return common, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "|")
}

// SendText sends one text message through message/send. content must be
// at most MaxContentBytes (use Split, or Deliver, for longer answers).
func (c *Client) SendText(ctx context.Context, to reply.Recipient, content string) (*SendResult, error) {
	common, err := c.recipients(to, "text")
	if err != nil {
		return nil, err
	}
	return c.send(ctx, message.SendTextRequest{SendRequestCommon: common, Text: message.TextField{Content: content}})
}

// SendMarkdown sends one app markdown message through message/send.
func (c *Client) SendMarkdown(ctx context.Context, to reply.Recipient, content string) (*SendResult, error) {
	common, err := c.recipients(to, "markdown")
	if err != nil {
		return nil, err
	}
	return c.send(ctx, markdownRequest{SendRequestCommon: common, Markdown: message.TextField{Content: content}})
}

func (c *Client) send(ctx context.Context, req any) (*SendResult, error) {
	var res SendResult
	if err := c.withToken(ctx, "message/send", http.MethodPost, nil, req, &res); err != nil {
		return nil, err
	}
	if res.InvalidUser != "" || res.InvalidParty != "" || res.InvalidTag != "" {
		// Partly delivered: WeCom accepted it for the valid recipients.
		c.log.Warn("wecomapi: some recipients are invalid",
			"invaliduser", res.InvalidUser, "invalidparty", res.InvalidParty, "invalidtag", res.InvalidTag)
	}
	return &res, nil
}

// webhookRequest is a group robot text or markdown message.
type webhookRequest struct {
	MsgType  string             `json:"msgtype"`
	Text     *message.TextField `json:"text,omitempty"`
	Markdown *message.TextField `json:"markdown,omitempty"`
}

// SendWebhook posts a text or markdown message to a group robot
// (webhook/send?key=). The key is a secret: it never appears in errors.
func (c *Client) SendWebhook(ctx context.Context, key string, kind reply.Kind, content string) error {
	if key == "" {
		return apiError("webhook/send", CodeNoValidRecipient, "empty webhook key (checked locally)")
	}
	req := webhookRequest{MsgType: "text", Text: &message.TextField{Content: content}}
	if kind == reply.KindMarkdown {
		req = webhookRequest{MsgType: "markdown", Markdown: &message.TextField{Content: content}}
	}
	return c.call(ctx, "webhook/send", http.MethodPost, url.Values{"key": {key}}, req, nil)
}

// Parts splits a reply to WeCom's limits: text and markdown into at most
// MaxParts parts of at most PartBytes on line boundaries (a longer
// text is cut, ending with TruncatedNote); any other reply is one part.
// It is deterministic (the outbox resumes a message by part index).
func (c *Client) Parts(r reply.Reply) []reply.Reply { return Parts(r) }

// Parts is Client.Parts without a client. A reply with More is its parts
// and then each of More's, in order.
func Parts(r reply.Reply) []reply.Reply {
	if len(r.More) > 0 {
		var out []reply.Reply
		for _, x := range r.Flatten() {
			out = append(out, Parts(x)...)
		}
		return out
	}
	switch r.Kind {
	case reply.KindText, reply.KindMarkdown, "":
		// At most MaxParts messages for one text: a longer one is cut with
		// TruncatedNote rather than flooding the user.
		texts, _ := SplitAtMost(r.Text, PartBytes, MaxParts)
		out := make([]reply.Reply, len(texts))
		for i, t := range texts {
			out[i] = reply.Reply{Kind: r.Kind, Text: t}
		}
		return out
	}
	if r.IsZero() {
		return nil
	}
	return []reply.Reply{r}
}

// Deliver sends one part (see Parts) to a recipient: a group robot when
// to.Webhook is set, else an app message. It is the outbox's delivery
// function. A group robot gets a card as its numbered text.
func (c *Client) Deliver(ctx context.Context, to reply.Recipient, part reply.Reply) error {
	if to.Webhook != "" {
		switch part.Kind {
		case reply.KindCard:
			return c.SendWebhook(ctx, to.Webhook, reply.KindText, part.Card.Numbered())
		case reply.KindText, reply.KindMarkdown, "":
			return c.SendWebhook(ctx, to.Webhook, part.Kind, part.Text)
		}
		return apiError("webhook/send", CodeUnsupported, fmt.Sprintf("a group robot cannot receive a %s reply (checked locally)", part.Kind))
	}
	var err error
	switch part.Kind {
	case reply.KindMarkdown:
		_, err = c.SendMarkdown(ctx, to, part.Text)
	case reply.KindText, "":
		_, err = c.SendText(ctx, to, part.Text)
	case reply.KindCard:
		_, err = c.SendCard(ctx, to, part.Card)
	case reply.KindCardUpdate:
		err = c.UpdateCard(ctx, to, part.Update)
	case reply.KindFile:
		_, err = c.SendFile(ctx, to, part.File)
	default:
		err = apiError("message/send", CodeUnsupported, fmt.Sprintf("unknown reply kind %q (checked locally)", part.Kind))
	}
	return err
}

// SendReply sends a whole reply now, part by part in order; it stops at the
// first failure. Production code goes through the outbox instead.
func (c *Client) SendReply(ctx context.Context, to reply.Recipient, r reply.Reply) error {
	for _, part := range Parts(r) {
		if err := c.Deliver(ctx, to, part); err != nil {
			return err
		}
	}
	return nil
}

// User is what the address book (user/get) says about a member.
type User struct {
	UserID      string `json:"userid"`
	Name        string `json:"name"`
	Departments []int  `json:"department"`
	// IsLeader is parallel to Departments: 1 where the user leads that
	// department (WeCom's is_leader_in_dept), else 0.
	IsLeader []int `json:"is_leader_in_dept"`
}

// ErrUserNotFound is wrapped by GetUser's error when the userid does not
// exist (errcode 60111).
var ErrUserNotFound = errors.New("wecom user not found")

// GetUser reads a member from the address book (user/get). An unknown
// userid (60111) is an error wrapping ErrUserNotFound.
func (c *Client) GetUser(ctx context.Context, userid string) (User, error) {
	var res addresslist.UserGetResponse
	err := c.withToken(ctx, "user/get", http.MethodGet, url.Values{"userid": {userid}}, nil, &res)
	var e *Error
	if errors.As(err, &e) && e.Code == CodeUserNotFound {
		return User{}, fmt.Errorf("%w: %q: %w", ErrUserNotFound, userid, err)
	}
	if err != nil {
		return User{}, err
	}
	return User{
		UserID:      res.UserID,
		Name:        res.Name,
		Departments: res.Department,
		IsLeader:    res.IsLeaderInDept,
	}, nil
}

// Department is an address-book department.
type Department = addresslist.Department

// DepartmentList lists department id and its sub-departments (department/list);
// id 0 lists every department the app can see.
func (c *Client) DepartmentList(ctx context.Context, id int) ([]*Department, error) {
	q := url.Values{}
	if id != 0 {
		q.Set("id", strconv.Itoa(id))
	}
	var res addresslist.DepartmentListResponse
	if err := c.withToken(ctx, "department/list", http.MethodGet, q, nil, &res); err != nil {
		return nil, err
	}
	return res.Department, nil
}

// GetMedia downloads a temporary media file (media/get), e.g. an image a
// user sent, and returns its bytes and content type.
func (c *Client) GetMedia(ctx context.Context, mediaID string) ([]byte, string, error) {
	for try := 0; ; try++ {
		tok, err := c.GetAccessTokenContext(ctx)
		if err != nil {
			return nil, "", err
		}
		data, ctype, err := c.do(ctx, "media/get", http.MethodGet,
			url.Values{"access_token": {tok}, "media_id": {mediaID}}, nil)
		if err != nil {
			return nil, "", err
		}
		// An errcode answer is an error; anything else is the file.
		var env envelope
		if json.Unmarshal(data, &env) == nil && env.ErrCode != 0 {
			e := apiError("media/get", env.ErrCode, env.ErrMsg)
			if try == 0 && e.Class == TokenInvalid {
				again, rerr := c.refreshToken(ctx, "media/get", tok, e)
				if rerr != nil {
					return nil, "", rerr
				}
				if again {
					continue
				}
			}
			return nil, "", e
		}
		return data, ctype, nil
	}
}
