package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
)

// TestServeLogsNoSecret runs serve against the fake WeCom with every
// secret set in the environment — corp secret, callback Token,
// EncodingAESKey, and WECOM_API_BASE with user:password — through a flow
// that logs: questions from each role, an admin's draw and export (file
// upload), a refused command, a rejected forged callback, a busy WeCom
// whose errmsg quotes the secret and the URL with its password, and an
// expired token. Every line of its log is checked for every secret.
func TestServeLogsNoSecret(t *testing.T) {
	const (
		corpSecret = "CorpSecret-LogScan-7f3a9c"
		token      = "TokenLogScan42"
		aesKey     = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"
		apiUser    = "svcuser"
		apiPass    = "ApiPa55-LogScan-e1"
	)
	fake := fakewecom.Start(t, fakewecom.Options{CorpSecret: corpSecret, Users: []fakewecom.User{
		{UserID: "admin01", Name: "管理员", Departments: []int{12}},
		{UserID: "cuihaiping01", Name: "崔海平", Departments: []int{12}},
		{UserID: "zhangsan", Name: "张三", Departments: []int{13}},
	}})
	base, err := url.Parse(fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	base.User = url.UserPassword(apiUser, apiPass)
	t.Setenv("WECOM_CORP_ID", fake.CorpID())
	t.Setenv("WECOM_AGENT_ID", fmt.Sprint(fake.AgentID()))
	t.Setenv("WECOM_SECRET", corpSecret)
	t.Setenv("WECOM_TOKEN", token)
	t.Setenv("WECOM_AES_KEY", aesKey)
	t.Setenv("WECOM_API_BASE", base.String())
	secrets := map[string]string{
		"corp secret": corpSecret, "token": token, "AES key": aesKey, "API password": apiPass,
		"API basic auth": base64.StdEncoding.EncodeToString([]byte(apiUser + ":" + apiPass)),
	}

	srv := redistest.Start(t)
	cfg := writeConfig(t, srv.URL(), fmt.Sprintf(`admins: [admin01]
wecom:
  departments: {12: 计量科}
directories:
  entities: %q
  inspectors: %q
outbox:
  initial_backoff: 20ms
  max_backoff: 100ms
  max_attempts: 100
reminders:
  enabled: false
`, mustAbs(t, "seeds/entities.csv"), mustAbs(t, "seeds/inspectors.csv")))
	c, err := wecom.NewCrypto(token, fake.CorpID(), aesKey)
	if err != nil {
		t.Fatal(err)
	}
	// The first sends fail with a busy system whose message quotes
	// credentials, then an expired token.
	fake.InjectFaults(fakewecom.EndpointSend,
		fakewecom.Fault{ErrCode: -1, ErrMsg: fmt.Sprintf("system busy, hint: [corpsecret=%s] %s/cgi-bin/message/send", corpSecret, base)},
		fakewecom.Fault{ErrCode: 42001})
	p := startServe(t, cfg)

	// A forged callback (wrong signature) is rejected and logged.
	forged, _, err := c.SealCallback([]byte(textMsg(fake.CorpID(), "zhangsan", "帮助", 1)), "1000002", time.Now().Unix(), "n")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"msg_signature": {strings.Repeat("0", 40)}, "timestamp": {fmt.Sprint(time.Now().Unix())}, "nonce": {"n"}}
	if resp, err := httpPost("http://"+p.addr+"/wecom/callback?"+q.Encode(), forged); err != nil || resp != 403 {
		t.Fatalf("forged callback: %d, %v", resp, err)
	}

	msgs := []struct{ user, text string }{
		{"zhangsan", "帮助"}, {"cuihaiping01", "我的任务"}, {"zhangsan", "抽取 8"},
		{"admin01", "名录"}, {"admin01", "抽取 8"}, {"admin01", "确认"}, {"admin01", "导出 8"},
		{"cuihaiping01", "我科室的任务"}, {"zhangsan", "进度 8"},
	}
	for i, m := range msgs {
		post(t, p, c, textMsg(fake.CorpID(), m.user, m.text, 7000+i))
		// One at a time: the admin's 确认 must follow its 抽取.
		if _, err := fake.WaitMessages(i+1, 15*time.Second); err != nil {
			t.Fatalf("no answer to %q: %v\n%s", m.text, err, p.stderr.String())
		}
	}
	waitSettled(t, srv.Client(t), p)
	p.stop(t)

	logs := p.stderr.String()
	for _, want := range []string{"wecom callback rejected", "errcode=-1", "REDACTED", fmt.Sprintf("msg=\"messages handled\" interval=1m0s handled=%d ", len(msgs))} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q: the flow did not log what it should\n%s", want, logs)
		}
	}
	for i, line := range strings.Split(logs, "\n") {
		for what, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log line %d carries the %s:\n%s", i+1, what, line)
			}
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs)
	}
}

// httpPost posts body as XML and returns the status.
func httpPost(u string, body []byte) (int, error) {
	resp, err := http.Post(u, "text/xml", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
