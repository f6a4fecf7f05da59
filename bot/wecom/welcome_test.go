package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store/keys"
)

func TestWelcomeGate(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	loc := shanghai(t)
	now := time.Date(2026, 11, 25, 23, 50, 0, 0, loc)
	g := bot.NewWelcomeGate(rdb, "t:", loc, func() time.Time { return now })
	ctx := context.Background()
	steps := []struct {
		user, id string
		want     bool
	}{
		{"zhangsan", "evt:1", true},
		{"zhangsan", "evt:1", true}, // the same event again (recovered): still its welcome
		{"zhangsan", "evt:2", false},
		{"lisi", "evt:3", true},
	}
	for i, s := range steps {
		got, err := g.First(ctx, s.user, s.id)
		if err != nil || got != s.want {
			t.Fatalf("step %d: First(%s, %s) = %v, %v; want %v", i, s.user, s.id, got, err, s.want)
		}
	}
	// The key lives until midnight in the bot's zone, not 24h.
	if ttl := rdb.PTTL(ctx, keys.New("t:").Welcomed("2026-11-25", "zhangsan")).Val(); ttl <= 9*time.Minute || ttl > 10*time.Minute {
		t.Fatalf("welcome key TTL %v, want 10m (until midnight +08:00)", ttl)
	}
	now = now.Add(11 * time.Minute) // 00:01 the next day
	if got, err := g.First(ctx, "zhangsan", "evt:4"); err != nil || !got {
		t.Fatalf("next day: %v %v", got, err)
	}
}

// enter_agent through the whole channel: the welcome once per user per day.
func TestWelcomeOncePerDayEndToEnd(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	loc := shanghai(t)
	day1 := time.Date(2026, 11, 25, 9, 0, 0, 0, loc)
	welcomes := 0
	for _, step := range []struct {
		at    time.Time
		users []string
		want  int
	}{
		{day1, []string{"zhangsan", "lisi"}, 2},
		{day1.Add(time.Minute), []string{"zhangsan"}, 0},    // opened again
		{day1.Add(14 * time.Hour), []string{"lisi"}, 0},     // 23:00 the same day
		{day1.Add(24 * time.Hour), []string{"zhangsan"}, 1}, // the next day
	} {
		s := newStack(t, stackOpts{rdb: rdb, now: step.at, welcome: true})
		for _, u := range step.users {
			if code := post(t, s.srv.URL, s.crypto, eventXML(u, EventEnterAgent, "", step.at.Unix()), step.at.Unix()); code != 200 {
				t.Fatalf("%s: %d", u, code)
			}
		}
		// A text message is never gated.
		post(t, s.srv.URL, s.crypto, textXML("zhangsan", "本月任务", strconv.FormatInt(step.at.Unix(), 10), step.at.Unix()), step.at.Unix())
		s.drain(t)
		got := 0
		for _, m := range s.sent.All() {
			if strings.HasPrefix(m.Reply.Text, "事件：enter_agent") {
				got++
			}
		}
		if got != step.want || len(s.sent.All()) != step.want+1 {
			t.Fatalf("at %s: %d welcomes (%d answers), want %d", step.at.Format(time.DateTime), got, len(s.sent.All()), step.want)
		}
		if rep := metricValue(s.metrics.Answers.WithLabelValues("repeat_welcome")); int(rep) != len(step.users)-step.want {
			t.Fatalf("repeat_welcome %v", rep)
		}
		welcomes += got
		assertInboxEmpty(t, rdb)
	}
	if welcomes != 3 {
		t.Fatalf("%d welcomes in all, want 3", welcomes)
	}
}

// lockedBuffer is an io.Writer safe for concurrent log writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// records are the "wecom callback rejected" lines.
func (l *lockedBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range l.all(t) {
		if r["msg"] == "wecom callback rejected" {
			out = append(out, r)
		}
	}
	return out
}

// all parses every JSON log line.
func (l *lockedBuffer) all(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(l.b.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// Rejections log one line per reason per 10 s with a count of the lines
// held back; the metric counts every one.
func TestRejectLogRateLimit(t *testing.T) {
	var buf lockedBuffer
	s := newStack(t, stackOpts{logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	badSig := func() {
		ts := strconv.FormatInt(s.clock.Now().Unix(), 10)
		body, _, err := s.crypto.SealCallback(textXML("u", "x", "1", s.clock.Now().Unix()), "218", s.clock.Now().Unix(), "n")
		if err != nil {
			t.Fatal(err)
		}
		if code := postRaw(t, s.srv.URL, strings.Repeat("0", 40), ts, "n", body); code != http.StatusForbidden {
			t.Fatalf("bad signature: %d", code)
		}
	}
	for i := 0; i < 5; i++ {
		badSig()
	}
	for i := 0; i < 3; i++ {
		if code := postRaw(t, s.srv.URL, "x", "1", "n", []byte("not xml")); code != http.StatusBadRequest {
			t.Fatalf("malformed: %d", code)
		}
	}
	recs := buf.records(t)
	if len(recs) != 2 || recs[0]["reason"] != ReasonSignature || recs[1]["reason"] != ReasonEnvelope || recs[0]["suppressed"] != nil {
		t.Fatalf("log lines %v, want one per reason", recs)
	}
	s.clock.Advance(9 * time.Second)
	badSig()
	if n := len(buf.records(t)); n != 2 {
		t.Fatalf("%d lines within 10s, want 2", n)
	}
	s.clock.Advance(time.Second)
	badSig()
	recs = buf.records(t)
	if len(recs) != 3 || recs[2]["reason"] != ReasonSignature || recs[2]["suppressed"] != float64(5) {
		t.Fatalf("after 10s: %v, want a line with suppressed=5", recs)
	}
	if got := metricValue(s.metrics.Rejected.WithLabelValues(ReasonSignature)); got != 7 {
		t.Fatalf("bad_signature metric %v, want 7 (every rejection)", got)
	}
	if got := metricValue(s.metrics.Rejected.WithLabelValues(ReasonEnvelope)); got != 3 {
		t.Fatalf("malformed_xml metric %v, want 3", got)
	}
}
