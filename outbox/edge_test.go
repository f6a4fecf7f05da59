package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// Exactly once at the WeCom edge: after every kind of ambiguous outcome the
// user has one copy, and a question asked twice still gets two answers.

// delivered counts what reached the user by content.
func delivered(fake *fakewecom.Server) map[string]int {
	got := map[string]int{}
	for _, m := range fake.Delivered() {
		got[m.Content]++
	}
	return got
}

// counter reads a counter (summed over its labels) from reg.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func TestAmbiguousSendsReachUserOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []fakewecom.Fault
	}{
		{"deliver then 500", []fakewecom.Fault{{Deliver: true, HTTPStatus: 500}}},
		{"deliver then hang past the client timeout", []fakewecom.Fault{{Deliver: true, Delay: time.Hour}}},
		{"deliver then 502, 500, then hang", []fakewecom.Fault{
			{Deliver: true, HTTPStatus: 502}, {Deliver: true, HTTPStatus: 500}, {Deliver: true, Delay: time.Hour}}},
		{"500 without delivering, then deliver then 500", []fakewecom.Fault{
			{HTTPStatus: 500}, {Deliver: true, HTTPStatus: 500}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, fakewecom.Options{})
			reg := prometheus.NewRegistry()
			ob := e.outbox(func(o *outbox.Options) { o.Registerer = reg })
			e.fake.InjectFaults(fakewecom.EndpointSend, tc.faults...)
			run(t, ob)
			send(t, ob, "answer:1", "zhangsan", "本月在抽查期内的任务（12项）")
			waitFor(t, "the queue to drain", func() bool { return stats(t, ob).Pending() == 0 })
			if got := delivered(e.fake); len(got) != 1 || got["本月在抽查期内的任务（12项）"] != 1 {
				t.Fatalf("reached the user: %v, want the answer once", got)
			}
			if n := e.fake.Calls(fakewecom.EndpointSend); n != len(tc.faults)+1 {
				t.Errorf("%d send calls, want %d (every attempt reaches WeCom)", n, len(tc.faults)+1)
			}
			if got := counter(t, reg, "choucha_outbox_ambiguous_total"); got != float64(len(tc.faults)) {
				t.Errorf("ambiguous counter %v, want %d (every HTTP failure of the send is ambiguous)", got, len(tc.faults))
			}
			if got := counter(t, reg, "choucha_outbox_resends_total"); got != float64(len(tc.faults)) {
				t.Errorf("resends counter %v, want %d", got, len(tc.faults))
			}
		})
	}
}

func TestSameQuestionTwiceGetsTwoAnswers(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	reg := prometheus.NewRegistry()
	ob := e.outbox(func(o *outbox.Options) { o.Registerer = reg })
	run(t, ob)
	const answer = "本月在抽查期内的任务（12项）"
	send(t, ob, "answer:1", "zhangsan", answer)
	send(t, ob, "answer:2", "zhangsan", answer)
	// The third's first attempt delivers and answers 500: its resend must
	// not come as a fourth.
	waitFor(t, "two answers", func() bool { return len(e.fake.Delivered()) == 2 })
	e.fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{Deliver: true, HTTPStatus: 500})
	send(t, ob, "answer:3", "zhangsan", answer)
	send(t, ob, "answer:4", "lisi", answer) // another user: no note
	waitFor(t, "the queue to drain", func() bool { return stats(t, ob).Pending() == 0 })
	got := delivered(e.fake)
	want := map[string]int{
		answer:                        2, // zhangsan's first, lisi's
		answer + outbox.RepeatNote(1): 1,
		answer + outbox.RepeatNote(2): 1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reached the users:\n%v\nwant\n%v", got, want)
	}
	if !strings.Contains(outbox.RepeatNote(1), "第2条") {
		t.Errorf("note %q", outbox.RepeatNote(1))
	}
	for _, m := range e.fake.Delivered() {
		if m.ToUser == "lisi" && m.Content != answer {
			t.Errorf("lisi got %q", m.Content)
		}
	}
	if got := counter(t, reg, "choucha_outbox_repeats_marked_total"); got != 2 {
		t.Errorf("repeats counter %v, want 2", got)
	}
}

func TestAmbiguousPartOfLongAnswerOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	ob := e.outbox(nil)
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "第%03d行：计量器具抽查任务说明\n", i)
	}
	long := strings.TrimSuffix(b.String(), "\n")
	parts := wecomapi.Parts(reply.Markdown(long))
	if len(parts) < 3 {
		t.Fatalf("want a three-part answer, got %d", len(parts))
	}
	// Part 1 delivers; part 2 delivers and hangs; part 3 delivers and 500s.
	e.fake.SetRule(fakewecom.EndpointSend, func(n int) (fakewecom.Fault, bool) {
		switch n {
		case 2:
			return fakewecom.Fault{Deliver: true, Delay: time.Hour}, true
		case 4:
			return fakewecom.Fault{Deliver: true, HTTPStatus: 500}, true
		}
		return fakewecom.Fault{}, false
	})
	run(t, ob)
	if err := ob.Send(context.Background(), reply.Message{ID: "long", To: reply.Recipient{Users: []string{"u1"}}, Reply: reply.Markdown(long)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the queue to drain", func() bool { return stats(t, ob).Pending() == 0 })
	var got []string
	for _, m := range e.fake.Delivered() {
		got = append(got, m.Content)
	}
	if len(got) != len(parts) || strings.Join(got, "\n") != long {
		t.Fatalf("the user got %d parts (want %d, each once, in order)", len(got), len(parts))
	}
}

// stallAfterDelivery delivers through the real client and then never
// reports back until released: a worker killed after WeCom accepted the
// message, before the outbox recorded it.
type stallAfterDelivery struct {
	*wecomapi.Client
	once    sync.Once
	stalled chan struct{}
	release chan struct{}
}

func (s *stallAfterDelivery) Deliver(ctx context.Context, to reply.Recipient, part reply.Reply) error {
	if err := s.Client.Deliver(ctx, to, part); err != nil {
		return err
	}
	stall := false
	s.once.Do(func() { stall = true; close(s.stalled) })
	if stall {
		<-s.release
		return errors.New("worker died")
	}
	return nil
}

func TestLeaseTakeoverAfterDeliveryReachesUserOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	clk := &clock{t: time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC)}
	stuck := &stallAfterDelivery{stalled: make(chan struct{}), release: make(chan struct{})}
	reg := prometheus.NewRegistry() // shared: either replica may reap the lease
	dying := e.outbox(func(o *outbox.Options) {
		stuck.Client = o.Deliverer.(*wecomapi.Client)
		o.Deliverer = stuck
		o.Config.Workers = 1
		o.QueueClock = clk.Now
		o.Registerer = reg
	})
	send(t, dying, "answer:1", "zhangsan", "只发一次")
	ctx, kill := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dying.Run(ctx) }()
	<-stuck.stalled // WeCom delivered it; the worker never says so
	other := e.outbox(func(o *outbox.Options) { o.QueueClock = clk.Now; o.Registerer = reg })
	run(t, other)
	clk.Add(2 * time.Minute) // the lease runs out: the other replica takes over and resends
	waitFor(t, "the resend", func() bool { return len(e.fake.Messages()) == 2 })
	waitFor(t, "the queue to drain", func() bool { return stats(t, other).Pending() == 0 })
	kill()
	close(stuck.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := delivered(e.fake); got["只发一次"] != 1 || len(got) != 1 {
		t.Fatalf("reached the user: %v", got)
	}
	if !e.fake.Messages()[1].Duplicate {
		t.Error("the takeover's resend was not the same request")
	}
	if got := counter(t, reg, "choucha_outbox_ambiguous_total"); got != 1 {
		t.Errorf("ambiguous (lease) counter %v, want 1", got)
	}
}

// Leases run on Redis's clock: a replica whose own clock is hours ahead
// (or behind) neither takes over a delivery in progress nor is blind to a
// lease that really ran out.
func TestLeasesTolerateClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{3 * time.Hour, 10 * time.Minute, -2 * time.Hour} {
		t.Run(fmt.Sprint(skew), func(t *testing.T) {
			e := newEnv(t, fakewecom.Options{})
			stuck := &stallAfterDelivery{stalled: make(chan struct{}), release: make(chan struct{})}
			a := e.outbox(func(o *outbox.Options) {
				stuck.Client = o.Deliverer.(*wecomapi.Client)
				o.Deliverer = stuck
				o.Config.Workers = 1
			})
			skewed := func() time.Time { return time.Now().Add(skew) }
			b := e.outbox(func(o *outbox.Options) { o.Now = skewed })
			var releaseOnce sync.Once
			releaseA := func() { releaseOnce.Do(func() { close(stuck.release) }) }
			send(t, a, "answer:1", "zhangsan", "只发一次")
			stopA := run(t, a)
			t.Cleanup(releaseA) // runs before run's stop: a's worker must return
			<-stuck.stalled     // a is delivering (within its lease)
			if n, err := b.Reap(context.Background()); err != nil || n != 0 {
				t.Fatalf("the skewed replica reaped %d live leases (err %v)", n, err)
			}
			run(t, b)
			send(t, b, "answer:2", "lisi", "另一条")
			waitFor(t, "b's own message", func() bool {
				s := stats(t, b)
				return delivered(e.fake)["另一条"] == 1 && s.Queued == 1
			})
			if s := stats(t, b); s.InFlight != 1 || delivered(e.fake)["只发一次"] != 1 {
				t.Fatalf("in flight %d, a's answer delivered %d times: want a's delivery still leased, not resent",
					s.InFlight, delivered(e.fake)["只发一次"])
			}
			stuck.once.Do(func() {}) // deliveries after the first do not stall
			releaseA()               // a finishes: the worker reports a failure after delivering
			waitFor(t, "the queue to drain", func() bool { return stats(t, b).Pending() == 0 })
			stopA()
			if got := delivered(e.fake); got["只发一次"] != 1 || got["另一条"] != 1 || len(got) != 2 {
				t.Fatalf("reached the users: %v", got)
			}
		})
	}
}
