package wecom

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/bot"
)

// MaxCallbackBody is the largest callback body accepted (1 MiB).
const MaxCallbackBody = 1 << 20

// Rejection reasons (the label of choucha_wecom_callbacks_rejected_total).
const (
	ReasonMethod       = "method"            // 405: not GET/POST
	ReasonQuery        = "bad_query"         // 400: missing msg_signature/timestamp/nonce/echostr
	ReasonOversized    = "oversized"         // 413: body over 1 MiB
	ReasonEnvelope     = "malformed_xml"     // 400: outer XML unparsable or no Encrypt
	ReasonSignature    = "bad_signature"     // 403
	ReasonStale        = "stale"             // 403: timestamp outside MaxSkew
	ReasonEchostr      = "bad_echostr"       // 400: GET whose echostr decrypts to something no URL check sends
	ReasonDecrypt      = "decrypt"           // 400: signed but not decryptable
	ReasonCorpID       = "wrong_corp"        // 403: receive id is not our CorpID
	ReasonMessage      = "malformed_message" // 200: authentic but unparsable inner XML
	ReasonRedis        = "redis"             // 503: dedupe store unavailable, WeCom retries
	ReasonQueueFull    = "queue_full"        // 503: dispatcher full, WeCom retries
	ReasonShuttingDown = "shutting_down"     // 503
	ReasonSpoolFull    = "spool_full"        // 503: Redis unavailable and the local spool full
	ReasonSpool        = "spool"             // 503: Redis unavailable and the spool not writable
)

// CallbackOptions configures the callback handler.
type CallbackOptions struct {
	Crypto *Crypto     // required
	Intake *bot.Intake // required: dedupe, inbox, dispatch
	// MaxSkew: callbacks whose timestamp is further than this from now are
	// rejected (replays). Default 10m.
	MaxSkew time.Duration
	// Events are the event names handed to the dispatcher; other events are
	// acknowledged and dropped (WeCom sends LOCATION reports etc.). Default
	// enter_agent, template_card_event, click.
	Events []string
	// AddressBook, when set, forgets a cached user on change_contact events.
	AddressBook *AddressBook
	// LogEvery limits rejection log lines to one per reason per period, with
	// a count of the lines held back (metrics stay exact). Default 10s.
	LogEvery time.Duration
	Metrics  *bot.Metrics
	Logger   *slog.Logger
	Now      func() time.Time
}

// Callback is the WeCom callback endpoint: GET URL verification and POST
// message receipt. See ServeHTTP for what is rejected and how.
type Callback struct {
	o      CallbackOptions
	events map[string]bool
	logs   *bot.LogLimiter
}

// NewCallback builds the handler.
func NewCallback(o CallbackOptions) (*Callback, error) {
	switch {
	case o.Crypto == nil:
		return nil, errors.New("wecom: CallbackOptions.Crypto is nil")
	case o.Intake == nil:
		return nil, errors.New("wecom: CallbackOptions.Intake is nil")
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = 10 * time.Minute
	}
	if o.Events == nil {
		o.Events = []string{EventEnterAgent, EventTemplateCardEvent, EventClick}
	}
	if o.Metrics == nil {
		o.Metrics = bot.NewMetrics(nil)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LogEvery <= 0 {
		o.LogEvery = 10 * time.Second
	}
	c := &Callback{o: o, events: map[string]bool{}, logs: bot.NewLogLimiter(o.LogEvery, o.Now)}
	for _, e := range o.Events {
		c.events[e] = true
	}
	return c, nil
}

// ServeHTTP answers a callback.
//
// Anything not proven to come from WeCom (bad signature, wrong CorpID,
// undecryptable, malformed envelope, oversized, stale) gets a 4xx and
// touches no state. An authentic message whose inner XML cannot be parsed
// gets 200: WeCom would only retry the same bytes. With a spool, a message
// Redis cannot take is kept on local disk and gets 200 (see
// bot.Intake.AcceptOrSpool), in a longer outage with the passive reply
// BusyText. Other temporary trouble on our side (Redis down without a
// spool, the spool full, queue full, shutting down) gets 503 with the
// dedupe key released, so WeCom's retry 5 s later can succeed. Everything
// else gets an empty 200 at once; the answer goes out through message/send.
func (c *Callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		c.verifyURL(w, r)
	case http.MethodPost:
		start := time.Now()
		c.receive(w, r)
		c.o.Metrics.CallbackSeconds.Observe(time.Since(start).Seconds())
	default:
		w.Header().Set("Allow", "GET, POST")
		c.reject(w, r, http.StatusMethodNotAllowed, ReasonMethod, nil)
	}
}

func (c *Callback) reject(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
	c.o.Metrics.Rejected.WithLabelValues(reason).Inc()
	// Never log the query (signature) or body; the remote address and the
	// reason are enough to diagnose a misconfigured token or key. One line
	// per reason per LogEvery: a flood is visible without flooding.
	if ok, suppressed := c.logs.Allow(reason); ok {
		attrs := []any{"reason", reason, "status", status, "remote", r.RemoteAddr}
		if err != nil {
			attrs = append(attrs, "err", err)
		}
		if suppressed > 0 {
			attrs = append(attrs, "suppressed", suppressed)
		}
		c.o.Logger.Warn("wecom callback rejected", attrs...)
	}
	if status == http.StatusOK {
		w.WriteHeader(status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

func (c *Callback) checkTimestamp(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := c.o.Now().Sub(time.Unix(sec, 0))
	return d <= c.o.MaxSkew && d >= -c.o.MaxSkew
}

// MaxEchostr is the longest echostr plaintext answered. WeCom's URL check
// sends a short random string of digits (the official sample decrypts to
// "1616140317555161061").
const MaxEchostr = 64

// plausibleEchostr reports whether plain can be the plaintext of a real URL
// check: 1 to MaxEchostr ASCII letters or digits. Anything else (a captured
// message's XML above all) is never echoed.
func plausibleEchostr(plain []byte) bool {
	if len(plain) == 0 || len(plain) > MaxEchostr {
		return false
	}
	for _, c := range plain {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// verifyURL answers WeCom's URL check: the decrypted echostr, in plain text.
// The check is signed like a POST and under the same timestamp window, and
// only a plausible echostr is echoed: otherwise a captured POST replayed as
// GET ?echostr=<its Encrypt> would have us decrypt the message for anyone.
func (c *Callback) verifyURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sig, ts, nonce, echo := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr")
	// base64 has no spaces: a space is a '+' that reached us unescaped.
	echo = strings.ReplaceAll(echo, " ", "+")
	if sig == "" || ts == "" || nonce == "" || echo == "" {
		c.reject(w, r, http.StatusBadRequest, ReasonQuery, nil)
		return
	}
	if !c.o.Crypto.Verify(sig, ts, nonce, echo) {
		c.reject(w, r, http.StatusForbidden, ReasonSignature, nil)
		return
	}
	if !c.checkTimestamp(ts) {
		c.reject(w, r, http.StatusForbidden, ReasonStale, nil)
		return
	}
	plain, err := c.o.Crypto.Decrypt(echo)
	if err != nil {
		c.rejectCrypto(w, r, err)
		return
	}
	if !plausibleEchostr(plain) {
		c.reject(w, r, http.StatusBadRequest, ReasonEchostr, nil)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(plain)
}

func (c *Callback) rejectCrypto(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrReceiveID) {
		c.reject(w, r, http.StatusForbidden, ReasonCorpID, nil)
		return
	}
	c.reject(w, r, http.StatusBadRequest, ReasonDecrypt, err)
}

func (c *Callback) receive(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	if sig == "" || ts == "" || nonce == "" {
		c.reject(w, r, http.StatusBadRequest, ReasonQuery, nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCallbackBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.reject(w, r, http.StatusRequestEntityTooLarge, ReasonOversized, nil)
			return
		}
		c.reject(w, r, http.StatusBadRequest, ReasonEnvelope, err)
		return
	}
	encrypt, err := ParseEnvelope(body)
	if err != nil {
		c.reject(w, r, http.StatusBadRequest, ReasonEnvelope, err)
		return
	}
	if !c.o.Crypto.Verify(sig, ts, nonce, encrypt) {
		c.reject(w, r, http.StatusForbidden, ReasonSignature, nil)
		return
	}
	if !c.checkTimestamp(ts) {
		c.reject(w, r, http.StatusForbidden, ReasonStale, nil)
		return
	}
	plain, err := c.o.Crypto.Decrypt(encrypt)
	if err != nil {
		c.rejectCrypto(w, r, err)
		return
	}
	m, err := ParseIncoming(plain)
	if err != nil {
		c.reject(w, r, http.StatusOK, ReasonMessage, err)
		return
	}
	c.accept(w, r, m)
}

// accept dedupes, records and dispatches an authentic message.
func (c *Callback) accept(w http.ResponseWriter, r *http.Request, m *Incoming) {
	ctx := r.Context()
	if m.IsEvent() && !c.events[m.Event] {
		c.o.Metrics.MessagesIn.WithLabelValues(m.TypeLabel()).Inc()
		if m.Event == EventChangeContact && c.o.AddressBook != nil && m.UserID != "" {
			if err := c.o.AddressBook.Forget(ctx, m.UserID); err != nil {
				c.o.Logger.Warn("directory: forget failed", "userid", m.UserID, "err", err)
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	rc, err := c.o.Intake.AcceptOrSpool(ctx, m.Message())
	switch {
	case errors.Is(err, bot.ErrSpoolFull):
		c.reject(w, r, http.StatusServiceUnavailable, ReasonSpoolFull, nil)
		return
	case errors.Is(err, bot.ErrSpoolFailed):
		c.reject(w, r, http.StatusServiceUnavailable, ReasonSpool, err)
		return
	case errors.Is(err, bot.ErrUnavailable):
		c.reject(w, r, http.StatusServiceUnavailable, ReasonRedis, err)
		return
	case errors.Is(err, bot.ErrClosed):
		c.reject(w, r, http.StatusServiceUnavailable, ReasonShuttingDown, nil)
		return
	case errors.Is(err, bot.ErrQueueFull):
		c.reject(w, r, http.StatusServiceUnavailable, ReasonQueueFull, nil)
		return
	case err != nil:
		c.reject(w, r, http.StatusServiceUnavailable, ReasonRedis, err)
		return
	}
	if rc.Busy {
		c.busyReply(w, r, m)
		return
	}
	// Accepted, spooled, or a retry WeCom sent while we were answering
	// (already counted).
	w.WriteHeader(http.StatusOK)
}
