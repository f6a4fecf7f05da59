package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/handlers"
)

// ErrQueueFull is returned by Enqueue when the user's shard is full; the
// callback then releases its dedupe key and answers 503 so WeCom retries.
var ErrQueueFull = errors.New("bot: dispatch queue full")

// ErrClosed is returned by Enqueue after Shutdown.
var ErrClosed = errors.New("bot: dispatcher shut down")

// Sections resolves a userid to plan sections (*Directory implements it).
type Sections interface {
	Sections(ctx context.Context, userid string) []string
}

// DispatcherOptions configures a Dispatcher.
type DispatcherOptions struct {
	Handler handlers.Handler // required
	Sender  Sender           // required
	// Directory resolves the user's sections; nil: no sections.
	Directory Sections
	Admins    []string // userids that get Request.Admin
	// Shards is the number of workers; one user's messages always go to the
	// same shard and are handled in order. Default 8.
	Shards int
	// QueueSize is the capacity of each shard's FIFO. Default 256.
	QueueSize int
	// EnqueueWait is how long Enqueue waits for room in a full shard before
	// giving up with ErrQueueFull. Default 50ms.
	EnqueueWait time.Duration
	// HandlerTimeout bounds one message's handling. Default 30s.
	HandlerTimeout time.Duration
	Metrics        *Metrics // default: a private registry
	Logger         *slog.Logger
	Now            func() time.Time // default time.Now
	Location       *time.Location   // Request.Now's zone; default Asia/Shanghai, else Local
}

// Dispatcher handles accepted messages asynchronously: N shards keyed by a
// hash of the userid, each a bounded FIFO with one worker.
type Dispatcher struct {
	o      DispatcherOptions
	admins map[string]bool
	seed   maphash.Seed
	shards []chan *Incoming

	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup

	ctx    context.Context // handling context; cancelled when a drain times out
	cancel context.CancelFunc
}

// NewDispatcher starts the workers.
func NewDispatcher(o DispatcherOptions) (*Dispatcher, error) {
	if o.Handler == nil {
		return nil, errors.New("bot: DispatcherOptions.Handler is nil")
	}
	if o.Sender == nil {
		return nil, errors.New("bot: DispatcherOptions.Sender is nil")
	}
	if o.Shards <= 0 {
		o.Shards = 8
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.EnqueueWait <= 0 {
		o.EnqueueWait = 50 * time.Millisecond
	}
	if o.HandlerTimeout <= 0 {
		o.HandlerTimeout = 30 * time.Second
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
			o.Location = loc
		} else {
			o.Location = time.Local
		}
	}
	d := &Dispatcher{o: o, admins: map[string]bool{}, seed: maphash.MakeSeed()}
	for _, a := range o.Admins {
		d.admins[a] = true
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.shards = make([]chan *Incoming, o.Shards)
	for i := range d.shards {
		ch := make(chan *Incoming, o.QueueSize)
		d.shards[i] = ch
		d.wg.Add(1)
		go d.work(ch)
	}
	return d, nil
}

func (d *Dispatcher) shard(userid string) chan *Incoming {
	return d.shards[maphash.String(d.seed, userid)%uint64(len(d.shards))]
}

// Enqueue hands m to its user's shard. It waits at most EnqueueWait for
// room; then ErrQueueFull. After Shutdown it returns ErrClosed.
func (d *Dispatcher) Enqueue(m *Incoming) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrClosed
	}
	ch := d.shard(m.FromUserName)
	select {
	case ch <- m:
		d.o.Metrics.QueueDepth.Inc()
		return nil
	default:
	}
	t := time.NewTimer(d.o.EnqueueWait)
	defer t.Stop()
	select {
	case ch <- m:
		d.o.Metrics.QueueDepth.Inc()
		return nil
	case <-t.C:
		return ErrQueueFull
	}
}

// Shutdown stops accepting and waits until every queued message has been
// handled, or ctx ends (then in-flight handling is cancelled and ctx's
// error returned).
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		for _, ch := range d.shards {
			close(ch)
		}
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		return fmt.Errorf("bot: dispatcher drain: %w", ctx.Err())
	}
}

func (d *Dispatcher) work(ch chan *Incoming) {
	defer d.wg.Done()
	for m := range ch {
		d.handleSafely(m)
		d.o.Metrics.QueueDepth.Dec()
	}
}

// handleSafely keeps a worker alive through a panic outside the handler
// (the handler's own panics are already turned into errors).
func (d *Dispatcher) handleSafely(m *Incoming) {
	defer func() {
		if r := recover(); r != nil {
			d.o.Logger.Error("dispatcher: panic while handling a message", "userid", m.FromUserName, "panic", r)
		}
	}()
	d.handle(m)
}

// handle runs one message: sections, handler, answer. It never panics.
func (d *Dispatcher) handle(m *Incoming) {
	start := time.Now()
	defer func() { d.o.Metrics.HandlerSeconds.Observe(time.Since(start).Seconds()) }()
	ctx, cancel := context.WithTimeout(d.ctx, d.o.HandlerTimeout)
	defer cancel()
	log := func() *slog.Logger {
		return d.o.Logger.With("userid", m.FromUserName, "type", m.TypeLabel(), "id", m.DedupeID())
	}

	var sections []string
	if d.o.Directory != nil {
		// A slow address book must not hold the user's shard for long.
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		sections = d.o.Directory.Sections(dctx, m.FromUserName)
		dcancel()
	}
	req := m.Request(d.o.Now().In(d.o.Location), sections, d.admins[m.FromUserName])
	reply, err := safeCall(ctx, d.o.Handler, req)
	if err != nil {
		var appErr *handlers.Error
		if errors.As(err, &appErr) {
			log().Info("handler answered with an error", "code", appErr.Code)
		} else {
			log().Error("handler failed", "err", err)
		}
		d.o.Metrics.Answers.WithLabelValues("handler_error").Inc()
		reply = handlers.Text(handlers.UserMessage(err))
	}
	if reply.Text == "" {
		if s := politeAnswer(req.Kind); s != "" {
			reply = handlers.Text(s)
		}
	}
	if reply.Text == "" {
		d.o.Metrics.Answers.WithLabelValues("none").Inc()
		return
	}
	if reply.Format == "" {
		reply.Format = handlers.FormatText
	}
	msg := Message{ID: "answer:" + m.DedupeID(), To: Recipient{Users: []string{m.FromUserName}}, Reply: reply}
	// The outbox is durable once Send returns; a failure here is Redis being
	// away. Try a few times before giving up on this answer.
	var sendErr error
	for attempt := 0; attempt < 3; attempt++ {
		if sendErr = d.o.Sender.Send(ctx, msg); sendErr == nil {
			d.o.Metrics.Answers.WithLabelValues("queued").Inc()
			return
		}
		select {
		case <-ctx.Done():
			attempt = 3
		case <-time.After(time.Duration(100<<(2*attempt)) * time.Millisecond):
		}
	}
	d.o.Metrics.Answers.WithLabelValues("send_error").Inc()
	log().Error("answer not queued", "err", sendErr)
}
