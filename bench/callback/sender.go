package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// corpPerMin is the outbox's corp-wide pacing: far above WeCom's real
// 10,000 calls/min for the throughput runs (the fake has no corp-wide
// limit), WeCom's own limit for the scenarios that model it.
var corpPerMin = 10_000_000

// directSender posts straight to message/send, no outbox (-sender direct,
// to see what the outbox costs).
type directSender struct {
	base, corp, secret string
	agent              int
	cl                 *http.Client
	mu                 sync.Mutex
	token              string
}

// newSender builds the send path: the durable outbox delivering through
// wecomapi to the fake (default), or direct message/send calls.
func newSender(kind string, api *wecomapi.Client, rdb redis.UniversalClient, fake fakeInfo, m *bot.Metrics, reg *prometheus.Registry, logger *slog.Logger) (reply.Sender, func(), error) {
	if kind == "none" {
		return discard{}, func() {}, nil
	}
	if kind == "direct" {
		return &directSender{base: fake.URL, corp: fake.Corp, secret: fake.Secret, agent: fake.Agent, cl: client()}, func() {}, nil
	}
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "bench:", Deliverer: api, Observer: m, Registerer: reg, Logger: logger,
		// The fake has no corp-wide limit; the load is far above WeCom's real
		// 10,000 calls/min, which the default pacing would enforce.
		Config: config.Outbox{Workers: 8, CorpPerMin: corpPerMin}})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ob.Run(ctx) }()
	return ob, func() { cancel(); <-done }, nil
}

func (d *directSender) tok(ctx context.Context) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.token != "" {
		return d.token, nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.base+"/cgi-bin/gettoken?"+url.Values{"corpid": {d.corp}, "corpsecret": {d.secret}}.Encode(), nil)
	resp, err := d.cl.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return "", err
	}
	d.token = r.AccessToken
	return d.token, nil
}

func (d *directSender) Send(ctx context.Context, m reply.Message) error {
	tok, err := d.tok(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"touser": m.To.Users[0], "msgtype": "text", "agentid": strconv.Itoa(d.agent),
		"text": map[string]string{"content": m.Reply.Text}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/cgi-bin/message/send?access_token="+tok, bytes.NewReader(body))
	resp, err := d.cl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		ErrCode int `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.ErrCode != 0 {
		return fmt.Errorf("message/send: errcode %d %v", r.ErrCode, err)
	}
	return nil
}

// discard drops answers (the callback path measured alone).
type discard struct{}

func (discard) Send(context.Context, reply.Message) error { return nil }
