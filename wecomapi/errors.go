package wecomapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/silenceper/wechat/v2/util"
)

// Class says what a caller should do about a failed call.
type Class int

const (
	// Retryable: try again later with backoff (-1 busy, 45009, 45033,
	// HTTP 5xx, timeouts, network errors).
	Retryable Class = iota + 1
	// TokenInvalid: the access token was rejected (40014, 42001). The client
	// drops the cached token and retries once by itself; if that fails too
	// the error keeps this class and callers treat it as retryable.
	TokenInvalid
	// Permanent: retrying the same request cannot help (45002 too long,
	// 81013 no valid recipient, bad configuration, any other errcode).
	Permanent
)

func (c Class) String() string {
	switch c {
	case Retryable:
		return "retryable"
	case TokenInvalid:
		return "token-invalid"
	case Permanent:
		return "permanent"
	}
	return "unknown"
}

// WeCom errcodes the client reacts to.
const (
	CodeBusy             = -1
	CodeInvalidToken     = 40014
	CodeTokenExpired     = 42001
	CodeContentTooLong   = 45002
	CodeFreqLimit        = 45009
	CodeConcurrencyLimit = 45033
	CodeUserNotFound     = 60111
	CodeNoValidRecipient = 81013
)

// CodeHTTP is the ErrCode of failures below the WeCom API: HTTP 5xx,
// timeouts, network errors, unreadable answers (metrics label "http").
const CodeHTTP = -2

// Error is a failed WeCom API call. Its text never contains the access
// token, the corp secret or a webhook key.
type Error struct {
	Op         string // API path, e.g. "message/send"
	Code       int    // WeCom errcode; CodeHTTP for transport failures
	HTTPStatus int    // non-200 HTTP status, if that was the failure
	Class      Class
	Err        error // cause: *util.CommonError for API errors
}

func (e *Error) Error() string {
	return fmt.Sprintf("wecom %s: %s (%s)", e.Op, Redact(e.Err.Error()), e.Class)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same request may succeed later. The outbox
// reads this through an interface.
func (e *Error) Retryable() bool { return e.Class != Permanent }

// RateLimited reports a WeCom rate limit (45009, 45033): the outbox backs
// off without counting it as a failed attempt.
func (e *Error) RateLimited() bool {
	return e.Code == CodeFreqLimit || e.Code == CodeConcurrencyLimit
}

// Ambiguous reports a failure after which the request may or may not have
// taken effect: a message/send (or webhook, card update) that got no
// readable answer — HTTP 5xx, a timeout, a broken connection, an
// unreadable body. WeCom may have delivered the message. A token fetch
// that failed is not ambiguous: the send itself was never made.
func (e *Error) Ambiguous() bool {
	return e.Code == CodeHTTP && e.Op != "gettoken" && e.Class != Permanent
}

// ErrCode is the WeCom errcode, or CodeHTTP, for metrics.
func (e *Error) ErrCode() int { return e.Code }

// ClassifyCode maps a WeCom errcode to a Class.
func ClassifyCode(code int) Class {
	switch code {
	case CodeBusy, CodeFreqLimit, CodeConcurrencyLimit, CodeHTTP:
		return Retryable
	case CodeInvalidToken, CodeTokenExpired:
		return TokenInvalid
	}
	return Permanent
}

// Classify returns the Class of any error: an *Error's own class, a
// *util.CommonError's errcode class, Retryable for anything else (network
// failures, cancelled contexts).
func Classify(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return ClassifyCode(int(ce.ErrCode))
	}
	return Retryable
}

func apiError(op string, code int64, msg string) *Error {
	// errmsg is WeCom's free text: it is logged and kept in dead letters.
	return &Error{Op: op, Code: int(code), Class: ClassifyCode(int(code)), Err: util.NewCommonError(op, code, Redact(msg))}
}

func httpStatusError(op string, status int) *Error {
	class := Permanent
	if status >= 500 || status == 429 {
		class = Retryable
	}
	return &Error{Op: op, Code: CodeHTTP, HTTPStatus: status, Class: class,
		Err: fmt.Errorf("HTTP status %d", status)}
}

func transportError(op string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactURL(ue.URL)
	}
	return &Error{Op: op, Code: CodeHTTP, Class: Retryable, Err: err}
}

// IsTimeout reports whether err is a deadline or timeout.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

var secretParams = []string{"access_token", "corpsecret", "key"}

// redactURL drops the values of secret query parameters.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	q := u.Query()
	changed := false
	for _, p := range secretParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Patterns of credentials in free text (WeCom's errmsg, an error quoting a
// URL): userinfo in a URL, and the value after a name ending in token,
// secret, key, password, ticket or signature (access_token=…, corpsecret=…,
// &key=…, "access_token":"…", password: …).
var (
	userinfoRE    = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@`)
	secretValueRE = regexp.MustCompile(`(?i)([a-z0-9_]*(?:token|secret|key|password|passwd|pwd|ticket|signature)"?\s*[=:]\s*"?)[^\s&"',;<>(){}\[\]]+`)
)

// Redact removes anything that looks like a credential from free text:
// userinfo in URLs and the values of secret-looking parameters.
func Redact(s string) string {
	s = userinfoRE.ReplaceAllString(s, "${1}REDACTED@")
	return secretValueRE.ReplaceAllString(s, "${1}REDACTED")
}
