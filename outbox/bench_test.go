package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// BenchmarkOutbox10k pushes 10,000 messages (to 10,000 members, so WeCom's
// per-member limit is not what is measured) through the outbox to the fake
// WeCom while one call in ten answers 45009, and checks every message
// arrived exactly once. Run with:
//
//	go test ./outbox -run '^$' -bench Outbox10k -benchtime 1x
func BenchmarkOutbox10k(b *testing.B) {
	for _, workers := range []int{4, 16} {
		for _, every := range []int{10, 1 << 30} {
			name := fmt.Sprintf("workers=%d/45009=1in%d", workers, every)
			if every == 1<<30 {
				name = fmt.Sprintf("workers=%d/45009=none", workers)
			}
			b.Run(name, func(b *testing.B) { benchOutbox(b, workers, every) })
		}
	}
}

func benchOutbox(b *testing.B, workers, faultEvery int) {
	const n = 10000
	fake := fakewecom.Start(b, fakewecom.Options{})
	fake.SetRule(fakewecom.EndpointSend, func(call int) (fakewecom.Fault, bool) {
		return fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit}, call%faultEvery == 0
	})
	srv := redistest.Start(b)
	rdb := srv.Client(b)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := wecomapi.New(wecomapi.Config{
		CorpID: fake.CorpID(), AgentID: fake.AgentID(), Secret: fake.CorpSecret(),
		APIBase: fake.URL, Redis: rdb, Prefix: "bench:", Logger: quiet,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var delivered, enqueueTime, deliverTime time.Duration
	for i := 0; i < b.N; i++ {
		fake.Reset()
		fake.SetRule(fakewecom.EndpointSend, func(call int) (fakewecom.Fault, bool) {
			return fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit}, call%faultEvery == 0
		})
		ob, err := outbox.New(outbox.Options{
			Redis: rdb, Prefix: fmt.Sprintf("bench%d:", i), Deliverer: client, Logger: quiet,
			Config: config.Outbox{
				Workers: workers, MaxAttempts: 8,
				InitialBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
				PerUserPerMin: 25, CorpPerMin: 1_000_000,
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for j := range n {
			err := ob.Send(ctx, reply.Message{
				ID:    fmt.Sprintf("r%d", j),
				To:    reply.Recipient{Users: []string{fmt.Sprintf("user%05d", j)}},
				Reply: reply.Markdown(fmt.Sprintf("**提醒** 任务%d 将于7天后开始", j)),
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		enqueued := time.Now()
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- ob.Run(runCtx) }()
		msgs, err := fake.WaitMessages(n, 5*time.Minute)
		finished := time.Now()
		cancel()
		<-done
		if err != nil {
			b.Fatal(err)
		}
		seen := make(map[string]int, n)
		for _, m := range msgs {
			seen[m.Content]++
		}
		if len(msgs) != n || len(seen) != n || fake.Dropped() != 0 {
			b.Fatalf("%d messages, %d distinct, %d dropped; want %d exactly once", len(msgs), len(seen), fake.Dropped(), n)
		}
		s, err := ob.Stats(ctx)
		if err != nil || s.Pending() != 0 || s.Dead != 0 {
			b.Fatalf("after the run: %+v %v", s, err)
		}
		enqueueTime += enqueued.Sub(start)
		deliverTime += finished.Sub(enqueued)
		delivered += time.Duration(n)
		b.ReportMetric(float64(fake.FaultsServed(fakewecom.EndpointSend)), "45009s/op")
	}
	b.ReportMetric(float64(delivered)/deliverTime.Seconds(), "delivered/s")
	b.ReportMetric(float64(delivered)/enqueueTime.Seconds(), "enqueued/s")
}
