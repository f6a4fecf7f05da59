package wecom

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
)

// BenchmarkOpenAndParse: outer envelope parse + verify + decrypt + inner parse.
func BenchmarkOpenAndParse(b *testing.B) {
	c := vecCrypto(b)
	body := vecPostBody()
	b.ReportAllocs()
	for b.Loop() {
		enc, err := ParseEnvelope(body)
		if err != nil {
			b.Fatal(err)
		}
		plain, err := c.Open(vecPostSig, vecPostTS, vecPostNonce, enc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseIncoming(plain); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnvelope compares the envelope scan with encoding/xml.
func BenchmarkEnvelope(b *testing.B) {
	body := vecPostBody()
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseEnvelope(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/xml", func(b *testing.B) {
		for b.Loop() {
			var env Envelope
			if err := xml.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSealReply: building an encrypted passive reply.
func BenchmarkSealReply(b *testing.B) {
	c := vecCrypto(b)
	reply := []byte("<xml><ToUserName>u</ToUserName><FromUserName>c</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>答</Content></xml>")
	for b.Loop() {
		if _, err := c.SealReply(reply, 1409659813, "n"); err != nil {
			b.Fatal(err)
		}
	}
}

type nopSender struct{}

func (nopSender) Send(context.Context, reply.Message) error { return nil }

// BenchmarkCallbackServeHTTP: the whole accepted-callback path in process
// (parse, verify, decrypt, dedupe SET NX in a real Redis — with the inbox:
// carrying the message, plus its index entry — enqueue), with a no-op
// handler and sender. One caller at a time: this is latency, not the
// group-committed throughput of bench/callback.
func BenchmarkCallbackServeHTTP(b *testing.B) {
	b.Run("setnx", func(b *testing.B) { benchCallback(b, false) })
	b.Run("inbox", func(b *testing.B) { benchCallback(b, true) })
}

func benchCallback(b *testing.B, withInbox bool) {
	rdb := redistest.Start(b).Client(b)
	c := vecCrypto(b)
	m := bot.NewMetrics(nil)
	now := time.Now()
	var in *bot.Inbox
	if withInbox {
		in, _ = bot.NewInbox(bot.InboxOptions{Redis: rdb, Metrics: m, Logger: quietLogger(), Now: func() time.Time { return now }})
	}
	h := func(context.Context, *handlers.Request) (reply.Reply, error) { return reply.Reply{}, nil }
	disp, _ := bot.NewDispatcher(bot.DispatcherOptions{Handler: h, Sender: nopSender{}, Metrics: m, Logger: quietLogger(), QueueSize: 4096, Inbox: in})
	intake, _ := bot.NewIntake(bot.IntakeOptions{Redis: rdb, Dispatcher: disp, Inbox: in, Metrics: m, Logger: quietLogger(),
		Now: func() time.Time { return now }})
	cb, _ := NewCallback(CallbackOptions{Crypto: c, Intake: intake, Metrics: m, Logger: quietLogger(),
		Now: func() time.Time { return now }})
	type req struct {
		target string
		body   []byte
	}
	const pool = 1024
	reqs := make([]req, pool)
	ts := now.Unix()
	for i := range reqs {
		body, sig, _ := c.SealCallback(textXML("u"+strconv.Itoa(i), "本月任务", strconv.Itoa(i), ts), "218", ts, "n")
		q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(ts, 10)}, "nonce": {"n"}}
		reqs[i] = req{"/wecom/callback?" + q.Encode(), body}
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i%pool == 0 {
			b.StopTimer()
			rdb.FlushDB(context.Background()) // let the pool's ids be accepted again
			b.StartTimer()
		}
		r := reqs[i%pool]
		i++
		w := httptest.NewRecorder()
		cb.ServeHTTP(w, httptest.NewRequest(http.MethodPost, r.target, bytes.NewReader(r.body)))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
	b.StopTimer()
	_ = disp.Shutdown(context.Background())
}
