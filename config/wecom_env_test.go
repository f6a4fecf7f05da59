package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// The official WXBizMsgCrypt sample values (WECOM.md) plus a made-up secret.
const (
	testCorpID = "wx5823bf96d3bd56c7"
	testSecret = "S3cr3tValueThatMustNeverBePrinted"
	testToken  = "QDG6eK"
	testAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func fullEnv() map[string]string {
	return map[string]string{
		EnvCorpID:  testCorpID,
		EnvAgentID: "1000002",
		EnvSecret:  testSecret,
		EnvToken:   testToken,
		EnvAESKey:  testAESKey,
	}
}

func TestWeComFromEnvNone(t *testing.T) {
	e, err := WeComFromEnv(envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if e.Configured() || e != (WeComEnv{}) {
		t.Errorf("no variables: got %#v, want the zero WeComEnv", e)
	}
}

func TestWeComFromEnvFull(t *testing.T) {
	e, err := WeComFromEnv(envMap(fullEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := WeComEnv{CorpID: testCorpID, AgentID: 1000002, Secret: testSecret, Token: testToken, AESKey: testAESKey, APIBase: DefaultWeComAPIBase}
	if e != want || !e.Configured() {
		t.Errorf("got %#v", e)
	}
	if e.Secret.Reveal() != testSecret || e.AESKey.Reveal() != testAESKey || e.Token.Reveal() != testToken {
		t.Error("Reveal does not return the values")
	}

	m := fullEnv()
	m[EnvAPIBase] = "http://127.0.0.1:9999/"
	e, err = WeComFromEnv(envMap(m))
	if err != nil || e.APIBase != "http://127.0.0.1:9999" {
		t.Errorf("api base: %q, %v", e.APIBase, err)
	}
}

func TestWeComFromEnvBad(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string // overrides of fullEnv; "" deletes
		want []string
	}{
		{"missing two", map[string]string{EnvSecret: "", EnvToken: ""}, []string{"WECOM_SECRET, WECOM_TOKEN not set"}},
		{"only api base", map[string]string{EnvCorpID: "", EnvAgentID: "", EnvSecret: "", EnvToken: "", EnvAESKey: "", EnvAPIBase: "http://x"},
			[]string{"WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN, WECOM_AES_KEY not set"}},
		{"agent id", map[string]string{EnvAgentID: "abc"}, []string{`WECOM_AGENT_ID "abc" is not a positive integer`}},
		{"agent id zero", map[string]string{EnvAgentID: "0"}, []string{"WECOM_AGENT_ID"}},
		{"aes short", map[string]string{EnvAESKey: testAESKey[:42]}, []string{"WECOM_AES_KEY must be the 43-character EncodingAESKey (it has 42 characters)"}},
		{"aes not base64", map[string]string{EnvAESKey: "!" + testAESKey[1:]}, []string{"WECOM_AES_KEY is not a valid EncodingAESKey"}},
		{"token", map[string]string{EnvToken: "has space"}, []string{"WECOM_TOKEN must be 1 to 32 letters or digits"}},
		{"corp id", map[string]string{EnvCorpID: "wx/1"}, []string{"WECOM_CORP_ID is not a CorpID"}},
		{"api base relative", map[string]string{EnvAPIBase: "qyapi.weixin.qq.com"}, []string{"WECOM_API_BASE", "absolute http(s) URL"}},
		{"api base scheme", map[string]string{EnvAPIBase: "ftp://x"}, []string{"WECOM_API_BASE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := fullEnv()
			for k, v := range c.set {
				m[k] = v
			}
			e, err := WeComFromEnv(envMap(m))
			if err == nil {
				t.Fatalf("accepted: %v", e)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, s := range []string{testSecret, m[EnvAESKey], m[EnvToken]} {
				if s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error leaks a secret: %q", err)
				}
			}
		})
	}
}

func TestWeComEnvNeverPrintsSecrets(t *testing.T) {
	e, err := WeComFromEnv(envMap(fullEnv()))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{testSecret, testToken, testAESKey}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		outs = append(outs, fmt.Sprintf(verb, e), fmt.Sprintf(verb, &e), fmt.Sprintf(verb, []any{e}), fmt.Sprintf(verb, struct{ Env WeComEnv }{e}))
		outs = append(outs, fmt.Sprintf(verb, e.Secret), fmt.Sprintf(verb, e.AESKey), fmt.Sprintf(verb, e.Token))
	}
	outs = append(outs, fmt.Sprint(e), fmt.Sprintln(e), e.String(), e.GoString())
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(h(&buf))
		log.Info("start", "wecom", e, "ptr", &e, "secret", e.Secret, slog.Any("aes", e.AESKey))
		log.Info("start", slog.Group("g", "token", e.Token))
		outs = append(outs, buf.String())
	}
	j, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))

	for _, out := range outs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("output contains a secret: %s", out)
			}
		}
	}
	// The non-secret parts stay visible, so the output is still useful.
	if got := fmt.Sprintf("%+v", e); !strings.Contains(got, testCorpID) || !strings.Contains(got, "1000002") || !strings.Contains(got, "[REDACTED]") {
		t.Errorf("%%+v = %s", got)
	}
	if got := fmt.Sprintf("%#v", e); !strings.HasPrefix(got, "config.WeComEnv{") {
		t.Errorf("%%#v = %s", got)
	}
	if fmt.Sprint(WeComEnv{}) != "WeComEnv{not configured}" {
		t.Errorf("zero = %s", WeComEnv{})
	}
}

// WECOM_API_BASE with user:password (a proxy in front of a private
// deployment) is used as given but printed and logged without the password.
func TestWeComEnvRedactsAPIBaseCredentials(t *testing.T) {
	const password = "pr0xyPassw0rd"
	m := fullEnv()
	m[EnvAPIBase] = "https://proxyuser:" + password + "@wecom.example.gov.cn/"
	e, err := WeComFromEnv(envMap(m))
	if err != nil {
		t.Fatal(err)
	}
	if e.APIBase != "https://proxyuser:"+password+"@wecom.example.gov.cn" {
		t.Fatalf("APIBase = %q: the client needs it whole", e.APIBase)
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		outs = append(outs, fmt.Sprintf(verb, e))
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("start", "wecom", e)
	outs = append(outs, buf.String())
	j, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	m[EnvAPIBase] = "ftp://proxyuser:" + password + "@wecom.example.gov.cn/"
	_, err = WeComFromEnv(envMap(m))
	if err == nil {
		t.Fatal("ftp base accepted")
	}
	outs = append(outs, err.Error())
	for _, out := range outs {
		if strings.Contains(out, password) {
			t.Errorf("output contains the API base password: %s", out)
		}
	}
	if !strings.Contains(buf.String(), "wecom.example.gov.cn") {
		t.Errorf("the host should stay visible: %s", buf.String())
	}
}
