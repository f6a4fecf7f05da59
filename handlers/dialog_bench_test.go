package handlers

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
)

// BenchmarkDialogStep is one dialog step end to end with real Redis: a
// message in through the router's conversation seam, the state read and
// written (versioned, in Redis), the reply queued in the durable outbox.
// It reports the p99 of a step (target < 5 ms in-process).
//
//	go test ./handlers -run '^$' -bench DialogStep -benchtime 2000x
func BenchmarkDialogStep(b *testing.B) {
	rdb := redistest.Start(b).Client(b)
	flow := &dialog.Flow{Name: "bench", Title: "基准", First: "a", Steps: []dialog.Step{
		{Name: "a", Prompt: func(*dialog.State) string { return "选一项" },
			Options: func(*dialog.State) []reply.Option {
				return []reply.Option{{Key: "x", Text: "甲"}, {Key: "y", Text: "乙"}, {Key: "z", Text: "丙"}}
			},
			Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				s.Set("a", in.Choice[0])
				return "b", nil
			}},
		{Name: "b", Prompt: func(*dialog.State) string { return "写备注" },
			Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				s.Set("b", in.Text)
				return "a", nil // around again: every step is one read and one write
			}},
	}, Finish: func(context.Context, *dialog.State, dialog.Input) (reply.Reply, error) {
		return reply.Text("完成"), nil
	}}
	eng, err := dialog.New(store.NewDialogs(rdb, "bench:"), time.Hour, flow)
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRouter(Deps{Plans: seedCatalog(b), Logger: discardLogger, Conversations: &Dialogs{Engine: eng}})
	if err != nil {
		b.Fatal(err)
	}
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "bench:", Logger: discardLogger})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	now := day(b, "2023-03-15")
	users := 64
	for u := range users {
		if _, err := eng.Start(ctx, "bench", dialog.Input{MsgID: fmt.Sprintf("start%d", u), UserID: fmt.Sprintf("u%d", u), Now: now}, nil); err != nil {
			b.Fatal(err)
		}
	}
	texts := []string{"2", "现场情况正常"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		user := fmt.Sprintf("u%d", i%users)
		req := &Request{Channel: "console", UserID: user, MsgID: fmt.Sprintf("m%d", i), Kind: KindText,
			Text: texts[(i/users)%2], Now: now}
		start := time.Now()
		rep, err := r.Handle(ctx, req)
		if err != nil || rep.IsZero() {
			b.Fatalf("step %d: %v %+v", i, err, rep)
		}
		if err := ob.Send(ctx, reply.Message{ID: "answer:" + req.MsgID, To: reply.User(user), Reply: rep}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*50/100].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds()), "p99-µs")
	}
}
