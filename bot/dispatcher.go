package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/reply"
)

// ErrQueueFull is returned by Enqueue when the user's shard is full; the
// callback then releases its dedupe key and answers 503 so WeCom retries.
var ErrQueueFull = errors.New("bot: dispatch queue full")

// ErrClosed is returned by Enqueue after Shutdown.
var ErrClosed = errors.New("bot: dispatcher shut down")

// Leaders is implemented by an address book that knows department heads
// (the WeCom address book's leader flag); requests then carry Leader.
type Leaders interface {
	Leader(ctx context.Context, userid string) bool
}

// Enqueuer takes accepted messages (*Dispatcher implements it).
type Enqueuer interface {
	Enqueue(m *Message) error
}

// Sections resolves a userid to plan sections (the WeCom address book
// implements it).
type Sections interface {
	Sections(ctx context.Context, userid string) []string
}

// DispatcherOptions configures a Dispatcher.
type DispatcherOptions struct {
	Handler handlers.Handler // required
	Sender  reply.Sender     // required
	// AddressBook resolves the user's sections; nil: no sections.
	AddressBook Sections
	Admins      []string // userids that get Request.Admin
	// Shards is the number of workers; one user's messages always go to the
	// same shard and are handled in order. Default 32: each worker waits on
	// Redis for every answer it queues, so fewer workers let a short Redis
	// stall fill a shard at 2,000 messages/s (measured: 13 of 20,000 503s
	// with 8, none with 32).
	Shards int
	// QueueSize is the capacity of each shard's FIFO. Default 256.
	QueueSize int
	// EnqueueWait is how long Enqueue waits for room in a full shard before
	// giving up with ErrQueueFull. Default 50ms.
	EnqueueWait time.Duration
	// HandlerTimeout bounds one message's handling. Default 30s.
	HandlerTimeout time.Duration
	// Inbox, when set, holds accepted messages durably until answered: the
	// dispatcher removes a message from it once its answer is in the outbox
	// (or it needs none), and leaves it there for recovery when it cannot
	// answer (sending failed, or a drain timed out).
	Inbox *Inbox
	// Welcome, when set, answers enter_agent at most once per user per day.
	Welcome  *WelcomeGate
	Metrics  *Metrics // default: a private registry
	Logger   *slog.Logger
	Now      func() time.Time // default time.Now
	Location *time.Location   // Request.Now's zone; default Asia/Shanghai, else Local
}

// Dispatcher handles accepted messages asynchronously: N shards keyed by a
// hash of the userid, each a bounded FIFO with one worker.
type Dispatcher struct {
	o      DispatcherOptions
	admins map[string]bool
	seed   maphash.Seed
	shards []chan *Message

	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup

	ctx    context.Context // handling context; cancelled when a drain times out
	cancel context.CancelFunc

	removals    chan string   // answered ids for the inbox remover
	removerDone chan struct{} // closed when the remover has flushed
	drained     chan struct{} // closed when Shutdown's drain is complete
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
		o.Shards = 32
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
	d.drained = make(chan struct{})
	if o.Inbox != nil {
		d.removals = make(chan string, 4096)
		d.removerDone = make(chan struct{})
		go d.remover()
	}
	d.shards = make([]chan *Message, o.Shards)
	for i := range d.shards {
		ch := make(chan *Message, o.QueueSize)
		d.shards[i] = ch
		d.wg.Add(1)
		go d.work(ch)
	}
	return d, nil
}

func (d *Dispatcher) shard(userid string) chan *Message {
	return d.shards[maphash.String(d.seed, userid)%uint64(len(d.shards))]
}

// Enqueue hands m to its user's shard. It waits at most EnqueueWait for
// room; then ErrQueueFull. After Shutdown it returns ErrClosed.
func (d *Dispatcher) Enqueue(m *Message) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrClosed
	}
	ch := d.shard(m.UserID())
	if d.o.Inbox != nil {
		// Before the send: the worker may untrack it at once.
		d.o.Inbox.track(m.ID)
	}
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
		if d.o.Inbox != nil {
			d.o.Inbox.untrack(m.ID)
		}
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
		go func() {
			d.wg.Wait()
			if d.removals != nil {
				close(d.removals) // every worker is done: no more sends
				<-d.removerDone
			}
			close(d.drained)
		}()
	}
	d.mu.Unlock()
	select {
	case <-d.drained:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		return fmt.Errorf("bot: dispatcher drain: %w", ctx.Err())
	}
}

func (d *Dispatcher) work(ch chan *Message) {
	defer d.wg.Done()
	for m := range ch {
		if d.o.Inbox != nil && d.ctx.Err() != nil {
			// The drain timed out: what is still queued stays in the inbox
			// for the next replica, answered properly instead of hurried.
			d.o.Inbox.untrack(m.ID)
			d.o.Metrics.Answers.WithLabelValues("left_for_recovery").Inc()
		} else {
			answered := d.handleSafely(m)
			if d.o.Inbox != nil {
				d.finish(m.ID, answered)
			}
		}
		d.o.Metrics.QueueDepth.Dec()
	}
}

// finish ends this process's hold on a message; an answered message (or one
// needing no answer) leaves the inbox, others stay for recovery.
func (d *Dispatcher) finish(id string, answered bool) {
	d.o.Inbox.untrack(id)
	if !answered {
		return
	}
	select {
	case d.removals <- id:
	case <-d.ctx.Done():
		// Drain timed out: the remover may be gone. The entry stays; its
		// recovery re-sends an answer the outbox already has (a no-op).
	}
}

// removalLinger is how long the remover collects answered ids before one
// pipeline marks them all: a removal is never urgent (it only spares a
// recovery), and one round trip per batch instead of per message keeps
// the Redis syscalls off the hot path.
const removalLinger = 20 * time.Millisecond

// remover marks answered messages in the inbox in batches, off the
// workers' path. A failed removal only means a later recovery dispatches a
// message again, which the outbox's idempotency turns into no send.
func (d *Dispatcher) remover() {
	defer close(d.removerDone)
	batch := make([]string, 0, 512)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for id := range d.removals {
		batch = append(batch[:0], id)
		linger.Reset(removalLinger)
	more:
		for len(batch) < cap(batch) {
			select {
			case id, ok := <-d.removals:
				if !ok {
					break more // shutting down: flush now
				}
				batch = append(batch, id)
			case <-linger.C:
				break more
			}
		}
		linger.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := d.o.Inbox.remove(ctx, batch...); err != nil {
			d.o.Logger.Warn("inbox: answered messages not removed; recovery will find their answers already queued", "count", len(batch), "err", err)
		}
		cancel()
	}
}

// handleSafely keeps a worker alive through a panic outside the handler
// (the handler's own panics are already turned into errors). It reports
// whether the message is done with (see handle).
func (d *Dispatcher) handleSafely(m *Message) (answered bool) {
	defer func() {
		if r := recover(); r != nil {
			d.o.Logger.Error("dispatcher: panic while handling a message", "userid", m.UserID(), "panic", r)
			answered = false
		}
	}()
	return d.handle(m)
}

// handle runs one message: sections, handler, answer. It never panics. It
// reports whether the message is done with: its answer is in the outbox or
// it needs none. Otherwise (the outbox unreachable, or the dispatcher's
// drain timed out mid-way) the inbox keeps it for recovery.
func (d *Dispatcher) handle(m *Message) bool {
	start := time.Now()
	defer func() { d.o.Metrics.HandlerSeconds.Observe(time.Since(start).Seconds()) }()
	ctx, cancel := context.WithTimeout(d.ctx, d.o.HandlerTimeout)
	defer cancel()
	log := func() *slog.Logger {
		return d.o.Logger.With("userid", m.UserID(), "channel", m.Request.Channel, "type", m.Type, "id", m.ID)
	}

	if m.IsEnter() {
		if d.o.Inbox != nil && m.recovered && d.o.Inbox.now().Sub(m.acceptedAt) >= d.o.Inbox.o.LateAfter {
			// A welcome long after the user opened the app helps nobody.
			d.o.Metrics.Answers.WithLabelValues("late_welcome").Inc()
			return true
		}
		if d.o.Welcome != nil {
			first, err := d.o.Welcome.First(ctx, m.UserID(), m.ID)
			if err != nil {
				// A second welcome is better than none.
				log().Warn("welcome gate unavailable; welcoming", "err", err)
				first = true
			}
			if !first {
				d.o.Metrics.Answers.WithLabelValues("repeat_welcome").Inc()
				return true
			}
		}
	}

	var sections []string
	leader := false
	if d.o.AddressBook != nil {
		// A slow address book must not hold the user's shard for long.
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		sections = d.o.AddressBook.Sections(dctx, m.UserID())
		if l, ok := d.o.AddressBook.(Leaders); ok {
			leader = l.Leader(dctx, m.UserID())
		}
		dcancel()
	}
	req := m.Request // a copy: a recovered message is handled afresh
	req.Now, req.Sections, req.Admin, req.Leader = d.o.Now().In(d.o.Location), sections, d.admins[m.UserID()], leader
	if req.MsgID == "" {
		req.MsgID = m.ID
	}
	rep, err := safeCall(ctx, d.o.Handler, &req)
	if err != nil && d.o.Inbox != nil && d.ctx.Err() != nil {
		// Cut short by a drain timeout, not the handler's own failing: the
		// next replica answers it properly from the inbox.
		log().Info("handling interrupted by shutdown; left in the inbox for recovery")
		d.o.Metrics.Answers.WithLabelValues("left_for_recovery").Inc()
		return false
	}
	if err != nil {
		var appErr *handlers.Error
		if errors.As(err, &appErr) {
			log().Info("handler answered with an error", "code", appErr.Code)
		} else {
			log().Error("handler failed", "err", err)
		}
		d.o.Metrics.Answers.WithLabelValues("handler_error").Inc()
		rep = reply.Text(handlers.UserMessage(err))
	}
	if rep.IsZero() {
		d.o.Metrics.Answers.WithLabelValues("none").Inc()
		return true
	}
	if rep.Kind == "" {
		rep.Kind = reply.KindText
	}
	if d.o.Inbox != nil && m.recovered && d.o.Inbox.now().Sub(m.acceptedAt) >= d.o.Inbox.o.LateAfter && rep.Kind != reply.KindCardUpdate {
		// Every medium shows text: the note goes in front of a text, as
		// an extra line of a card, and as the caption of a file.
		note := lateNote(m.acceptedAt.In(d.o.Location))
		if rep.Card != nil {
			c := *rep.Card
			c.Description = strings.TrimSpace(note) + "\n" + c.Description
			rep.Card = &c
		} else {
			rep.Text = note + rep.Text
		}
	}
	msg := reply.Message{ID: AnswerID(m.ID), To: reply.User(m.UserID()), Reply: rep}
	// The outbox is durable once Send returns; a failure here is Redis being
	// away. Try a few times before giving up on this answer.
	var sendErr error
	for attempt := 0; attempt < 3; attempt++ {
		if sendErr = d.o.Sender.Send(ctx, msg); sendErr == nil {
			d.o.Metrics.Answers.WithLabelValues("queued").Inc()
			return true
		}
		select {
		case <-ctx.Done():
			attempt = 3
		case <-time.After(time.Duration(100<<(2*attempt)) * time.Millisecond):
		}
	}
	d.o.Metrics.Answers.WithLabelValues("send_error").Inc()
	if d.o.Inbox != nil {
		log().Error("answer not queued; the message stays in the inbox and is recovered after the grace period", "err", sendErr)
		return false
	}
	log().Error("answer not queued", "err", sendErr)
	return false
}

// AnswerID is the outbox id of the answer to inbound message id: the
// outbox's idempotency by id makes a message handled twice answered once.
func AnswerID(id string) string { return "answer:" + id }

// lateNote starts an answer recovered long after its question.
func lateNote(asked time.Time) string {
	return "（抱歉回复晚了，以下是对您 " + asked.Format("1月2日 15:04") + " 所发消息的回复。）\n\n"
}
