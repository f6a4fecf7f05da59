package scheduler

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewChecksTable(t *testing.T) {
	run := func(context.Context) error { return nil }
	for _, tc := range []struct {
		jobs []Job
		want string
	}{
		{[]Job{{Name: "reminders", Spec: "0 25 * * *", Run: run}}, `job "reminders": schedule "0 25 * * *"`},
		{[]Job{{Name: "a", Spec: "@daily", Run: run}, {Name: "a", Spec: "@hourly", Run: run}}, `job "a" registered twice`},
		{[]Job{{Name: "", Spec: "@daily", Run: run}}, "job 0: name and run function are required"},
		{[]Job{{Name: "x", Spec: "@daily"}}, "job 0: name and run function are required"},
	} {
		if _, err := New(loc, quietLog, tc.jobs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
	if _, err := New(nil, quietLog, nil); err == nil {
		t.Error("nil location accepted")
	}
}

func TestNextRunInShanghai(t *testing.T) {
	s, err := New(loc, quietLog, []Job{{Name: "reminders", Spec: DefaultSpec, Run: func(context.Context) error { return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop(context.Background())
	next := s.Next("reminders").In(loc)
	if next.IsZero() || next.Hour() != 9 || next.Minute() != 0 || next.Location() != loc {
		t.Errorf("next run %v", next)
	}
	if !s.Next("nope").IsZero() || s.RunNow("nope") {
		t.Error("unknown job answered")
	}
}

// TestRecoverKeepsJobAlive: a panicking run is recovered and does not leave
// SkipIfStillRunning's token taken: the next run happens.
func TestRecoverKeepsJobAlive(t *testing.T) {
	var runs atomic.Int32
	s, err := New(loc, quietLog, []Job{{Name: "boom", Spec: "@daily", Run: func(context.Context) error {
		runs.Add(1)
		panic("boom")
	}}})
	if err != nil {
		t.Fatal(err)
	}
	s.RunNow("boom")
	s.RunNow("boom")
	if runs.Load() != 2 {
		t.Errorf("runs = %d, want 2", runs.Load())
	}
}

func TestSkipIfStillRunning(t *testing.T) {
	var runs atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	s, err := New(loc, quietLog, []Job{{Name: "slow", Spec: "@daily", Run: func(context.Context) error {
		runs.Add(1)
		close(started)
		<-release
		return errors.New("failed, logged")
	}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.RunNow("slow"); close(done) }()
	<-started
	s.RunNow("slow") // returns at once: skipped
	close(release)
	<-done
	if runs.Load() != 1 {
		t.Errorf("runs = %d, want 1", runs.Load())
	}
}

// TestStopWaits: Stop waits for a running job; when its context ends first
// it cancels the job's context and reports it.
func TestStopWaits(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	finish := sync.OnceFunc(func() { close(release) })
	defer finish() // let the job end on a failure too
	var finished atomic.Bool
	var cancelledEarly atomic.Bool
	s, err := New(loc, quietLog, []Job{{Name: "tick", Spec: "@every 1s", Run: func(ctx context.Context) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release // until Stop is waiting
		cancelledEarly.Store(ctx.Err() != nil)
		finished.Store(true)
		return nil
	}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("job never started")
	}
	// Stop, noting whether the job had finished when it returned.
	waiting := &doneProbe{Context: context.Background(), called: make(chan struct{})}
	type stopResult struct {
		err      error
		finished bool
	}
	stopped := make(chan stopResult, 1)
	go func() {
		err := s.Stop(waiting)
		stopped <- stopResult{err, finished.Load()}
	}()
	select {
	case <-waiting.called: // Stop has stopped the cron and waits on its context
	case r := <-stopped:
		t.Fatalf("Stop returned (%v) while the job was still running", r.err)
	case <-time.After(30 * time.Second):
		t.Fatal("Stop neither returned nor waited on its context")
	}
	select {
	case r := <-stopped:
		t.Fatalf("Stop returned (%v) while the job was still running", r.err)
	default:
	}
	finish() // the job finishes; only now may Stop return
	select {
	case r := <-stopped:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !r.finished {
			t.Error("Stop returned before the running job finished")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Stop did not return after the job finished")
	}
	if cancelledEarly.Load() {
		t.Error("Stop cancelled the job's context while waiting for it")
	}

	// A job that only ends when cancelled.
	started2 := make(chan struct{}, 1)
	var cancelled atomic.Bool
	s2, err := New(loc, quietLog, []Job{{Name: "stuck", Spec: "@every 1s", Run: func(ctx context.Context) error {
		started2 <- struct{}{}
		<-ctx.Done()
		cancelled.Store(true)
		return ctx.Err()
	}}})
	if err != nil {
		t.Fatal(err)
	}
	s2.Start()
	select {
	case <-started2:
	case <-time.After(30 * time.Second):
		t.Fatal("job never started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s2.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop = %v", err)
	}
	// The job's context was cancelled: a second Stop now returns once it ends.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if err := s2.Stop(ctx2); err != nil || !cancelled.Load() {
		t.Errorf("second Stop = %v, cancelled %v", err, cancelled.Load())
	}
}

// doneProbe is a context that reports the first call of Done: the moment
// a function given it starts waiting on it.
type doneProbe struct {
	context.Context
	once   sync.Once
	called chan struct{}
}

func (p *doneProbe) Done() <-chan struct{} {
	p.once.Do(func() { close(p.called) })
	return p.Context.Done()
}
