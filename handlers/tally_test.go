package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// No info line per message: the router's requests are counted in the
// Tally, and Run logs them as one summary line.
func TestTallyReplacesPerMessageInfoLines(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tally := &Tally{}
	r, err := NewRouter(Deps{Plans: seedCatalog(t), Logger: log, Tally: tally})
	if err != nil {
		t.Fatal(err)
	}
	now := day(t, "2023-03-15")
	for i, text := range []string{"帮助", "本月哪些抽查任务", "帮助", "任务7"} {
		if _, err := r.Handle(context.Background(), &Request{UserID: "u", Kind: KindText, Text: text, Now: now, MsgID: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 0 {
		t.Fatalf("info lines logged per message:\n%s", buf.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run reports what is left and returns
	tally.Run(ctx, log, time.Minute)
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "messages handled") || !strings.Contains(out, "handled=4") ||
		!strings.Contains(out, "routes=\"help=2 ") {
		t.Fatalf("summary line:\n%s", out)
	}
	if s := tally.Take(); s.Handled != 0 {
		t.Fatalf("Take after Run: %+v", s)
	}
	// Nothing handled: no line.
	buf.Reset()
	tally.Run(ctx, log, time.Minute)
	if buf.Len() != 0 {
		t.Fatalf("empty interval logged:\n%s", buf.String())
	}
	// At debug level each message still has its line, with the route.
	buf.Reset()
	dlog := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err = NewRouter(Deps{Plans: seedCatalog(t), Logger: dlog})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Handle(context.Background(), &Request{UserID: "u", Kind: KindText, Text: "帮助", Now: now}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "level=DEBUG msg=handled route=help") {
		t.Fatalf("debug line:\n%s", buf.String())
	}
}
