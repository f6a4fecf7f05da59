package config

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// DefaultWeComAPIBase is WeCom's public API host.
const DefaultWeComAPIBase = "https://qyapi.weixin.qq.com"

// The environment variables WeComFromEnv reads.
const (
	EnvCorpID  = "WECOM_CORP_ID"
	EnvAgentID = "WECOM_AGENT_ID"
	EnvSecret  = "WECOM_SECRET"
	EnvToken   = "WECOM_TOKEN"
	EnvAESKey  = "WECOM_AES_KEY"
	EnvAPIBase = "WECOM_API_BASE"
)

// Secret is a credential. Every way of printing it (fmt verbs, slog,
// encoding/json, encoding.TextMarshaler) shows [REDACTED]; Reveal returns the
// value for the code that must use it.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret's value. Never log it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format implements fmt.Formatter, so no verb (%x, %d, ...) reaches the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (used by encoding/json too).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// WeComEnv is the WeCom self-built app's identity and secrets, from the
// environment. The zero value (Configured false) means console mode.
type WeComEnv struct {
	CorpID  string // WECOM_CORP_ID
	AgentID int    // WECOM_AGENT_ID
	Secret  Secret // WECOM_SECRET, the app's secret
	Token   Secret // WECOM_TOKEN, the callback Token
	AESKey  Secret // WECOM_AES_KEY, the callback EncodingAESKey (43 characters)
	APIBase string // WECOM_API_BASE, no trailing slash; default https://qyapi.weixin.qq.com
}

// Configured reports whether WeCom credentials were given.
func (e WeComEnv) Configured() bool { return e.CorpID != "" }

var (
	corpIDRE = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
	tokenRE  = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
)

// WeComFromEnv reads the WECOM_* variables through getenv (os.Getenv in
// production). None set: the zero WeComEnv (console mode). Some set: an
// error naming the missing ones. Errors never contain secret values.
func WeComFromEnv(getenv func(string) string) (WeComEnv, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	required := []string{EnvCorpID, EnvAgentID, EnvSecret, EnvToken, EnvAESKey}
	var missing []string
	anySet := get(EnvAPIBase) != ""
	for _, k := range required {
		if get(k) == "" {
			missing = append(missing, k)
		} else {
			anySet = true
		}
	}
	if !anySet {
		return WeComEnv{}, nil
	}
	if len(missing) > 0 {
		return WeComEnv{}, fmt.Errorf("WeCom environment incomplete: %s not set (set all of %s for the WeCom channel, or none of them for the console)",
			strings.Join(missing, ", "), strings.Join(required, ", "))
	}

	var probs []string
	e := WeComEnv{
		CorpID:  get(EnvCorpID),
		Secret:  Secret(get(EnvSecret)),
		Token:   Secret(get(EnvToken)),
		AESKey:  Secret(get(EnvAESKey)),
		APIBase: DefaultWeComAPIBase,
	}
	if !corpIDRE.MatchString(e.CorpID) {
		probs = append(probs, EnvCorpID+" is not a CorpID (letters and digits, e.g. ww0123456789abcdef)")
	}
	id, err := strconv.Atoi(get(EnvAgentID))
	if err != nil || id <= 0 {
		probs = append(probs, fmt.Sprintf("%s %q is not a positive integer AgentId", EnvAgentID, get(EnvAgentID)))
	}
	e.AgentID = id
	if !tokenRE.MatchString(e.Token.Reveal()) {
		probs = append(probs, fmt.Sprintf("%s must be 1 to 32 letters or digits (it has %d characters)", EnvToken, len(e.Token.Reveal())))
	}
	if k := e.AESKey.Reveal(); len(k) != 43 {
		probs = append(probs, fmt.Sprintf("%s must be the 43-character EncodingAESKey (it has %d characters)", EnvAESKey, len(k)))
	} else if raw, err := base64.StdEncoding.DecodeString(k + "="); err != nil || len(raw) != 32 {
		probs = append(probs, EnvAESKey+" is not a valid EncodingAESKey (it must base64-decode to 32 bytes)")
	}
	if b := get(EnvAPIBase); b != "" {
		u, err := url.Parse(b)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			probs = append(probs, fmt.Sprintf("%s %q must be an absolute http(s) URL such as %s", EnvAPIBase, RedactURL(b), DefaultWeComAPIBase))
		} else {
			e.APIBase = strings.TrimRight(b, "/")
		}
	}
	if len(probs) > 0 {
		return WeComEnv{}, fmt.Errorf("WeCom environment: %s", strings.Join(probs, "; "))
	}
	return e, nil
}

// String implements fmt.Stringer without the secrets.
func (e WeComEnv) String() string {
	if !e.Configured() {
		return "WeComEnv{not configured}"
	}
	return fmt.Sprintf("WeComEnv{CorpID:%s AgentID:%d Secret:%s Token:%s AESKey:%s APIBase:%s}",
		e.CorpID, e.AgentID, e.Secret.String(), e.Token.String(), e.AESKey.String(), RedactURL(e.APIBase))
}

// GoString implements fmt.GoStringer without the secrets.
func (e WeComEnv) GoString() string {
	return fmt.Sprintf("config.WeComEnv{CorpID:%q, AgentID:%d, Secret:%q, Token:%q, AESKey:%q, APIBase:%q}",
		e.CorpID, e.AgentID, e.Secret.String(), e.Token.String(), e.AESKey.String(), RedactURL(e.APIBase))
}

// Format implements fmt.Formatter: every verb prints the redacted form.
func (e WeComEnv) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, e.GoString())
		return
	}
	fmt.Fprint(f, e.String())
}

// LogValue implements slog.LogValuer without the secrets.
func (e WeComEnv) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("configured", e.Configured()),
		slog.String("corp_id", e.CorpID),
		slog.Int("agent_id", e.AgentID),
		slog.String("secret", e.Secret.String()),
		slog.String("token", e.Token.String()),
		slog.String("aes_key", e.AESKey.String()),
		slog.String("api_base", RedactURL(e.APIBase)),
	)
}

// MarshalJSON is the default encoding with APIBase's password redacted
// (the secrets redact themselves).
func (e WeComEnv) MarshalJSON() ([]byte, error) {
	type plain WeComEnv
	p := plain(e)
	p.APIBase = RedactURL(p.APIBase)
	return json.Marshal(p)
}
