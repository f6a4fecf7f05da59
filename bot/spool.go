package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/spool"
)

// The spool keeps a channel accepting while Redis is away. A message whose
// accept fails because Redis is unavailable is appended to the local disk
// spool (package spool: fsynced before the channel answers the platform)
// and the channel answers as for any accepted message; the drainer hands
// spooled messages to the normal accept (dedupe, inbox, dispatcher) in
// order once Redis answers again, and a spool left by a process that died
// is drained when the next one starts.
//
// While anything is spooled, new messages go to the spool's tail too, not
// to Redis, even after Redis is back: a user's spooled messages are handed
// over before their later ones, so per-user order holds across an outage.
// The drainer leaves spooling mode only once the spool is empty, holding
// the lock every append shares, so no append slips in between. Replays are
// harmless: a record handed over twice (a crash before the spool noticed
// Redis took it, or a platform retry spooled next to the original) is a
// duplicate for the dedupe key like any platform retry.

// ErrSpoolFull is returned by AcceptOrSpool when Redis is unavailable and
// the spool has no room: the platform should retry (WeCom: 503).
var ErrSpoolFull = errors.New("bot: spool full")

// ErrSpoolFailed is returned by AcceptOrSpool when Redis is unavailable and
// the message could not be written to the spool (a disk error).
var ErrSpoolFailed = errors.New("bot: spool write failed")

// SpoolOptions turns on an Intake's spool (IntakeOptions.Spool).
type SpoolOptions struct {
	Spool *spool.Spool // required; the caller opens and closes it
	// BusyAfter: a user's message (not an event) spooled when the outage
	// has lasted at least this long is marked Receipt.Busy, once per user
	// per outage, so the channel can say the answer will be late. 0: never.
	BusyAfter time.Duration
	// MaxAge: a spooled message older than this when Redis takes it back is
	// dropped with a log line instead of answered, like the inbox's.
	// Default: the inbox's MaxAge (23h).
	MaxAge time.Duration
	// RetryMin and RetryMax bound the drainer's wait between attempts while
	// Redis stays away (doubling). Defaults 100ms and 2s.
	RetryMin, RetryMax time.Duration
	// Registerer gets the spool's metrics; nil: none registered.
	Registerer prometheus.Registerer
}

// Receipt is what AcceptOrSpool did with a message.
type Receipt struct {
	Fresh   bool // accepted for the first time (or spooled): it will be answered
	Spooled bool // kept on local disk until Redis takes it
	Busy    bool // tell the user the answer comes late (SpoolOptions.BusyAfter)
}

type spooler struct {
	in *Intake
	o  SpoolOptions
	s  *spool.Spool

	// mu is shared by appends and taken by the drainer to leave spooling
	// mode, so that the spool is seen empty with no append in flight.
	mu       sync.RWMutex
	spooling atomic.Bool
	wake     chan struct{}

	outageMu sync.Mutex
	since    time.Time       // first message spooled in this outage; zero: none
	told     map[string]bool // users marked Busy in this outage
	count    int             // messages spooled in this outage

	spooled prometheus.Counter
	drained *prometheus.CounterVec
}

func newSpooler(in *Intake, o SpoolOptions) (*spooler, error) {
	if o.Spool == nil {
		return nil, errors.New("bot: SpoolOptions.Spool is nil")
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 23 * time.Hour
		if in.o.Inbox != nil {
			o.MaxAge = in.o.Inbox.o.MaxAge
		}
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 100 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(2*time.Second, o.RetryMin)
	}
	sp := &spooler{in: in, o: o, s: o.Spool, wake: make(chan struct{}, 1),
		spooled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_wecom_spooled_total", Help: "Messages written to the local spool while Redis was unavailable (or the spool was still draining).",
		}),
		drained: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "choucha_wecom_spool_drained_total", Help: "Spooled messages handed to Redis, by result (accepted; duplicate = a platform retry or a replay; expired, unreadable = dropped with a log line).",
		}, []string{"result"}),
	}
	if n := sp.s.Len(); n > 0 {
		// Left by a process that died: drain before anything newer.
		sp.spooling.Store(true)
		sp.since, sp.count = in.now(), n
		in.o.Logger.Warn("spool: messages left by a previous process; handing them to redis before new ones",
			"count", n, "dir", sp.s.Dir(), "adopted_segments", sp.s.Adopted())
	}
	for _, t := range sp.s.Torn() {
		in.o.Logger.Warn("spool: a torn record (cut off by a crash) was skipped; the records before it are kept",
			"segment", t.Segment, "offset", t.Offset, "bytes", t.Skipped)
	}
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{sp.spooled, sp.drained,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "choucha_wecom_spool_bytes", Help: "Disk space of the local spool's files.",
			}, func() float64 { return float64(sp.s.Bytes()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "choucha_wecom_spool_messages", Help: "Messages in the local spool not yet handed to Redis.",
			}, func() float64 { return float64(sp.s.Len()) }),
		} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("bot: spool metrics: %w", err)
			}
		}
	}
	return sp, nil
}

// AcceptOrSpool is Accept that, with a spool (IntakeOptions.Spool), keeps a
// message Redis cannot take on local disk instead of failing, and spools
// every message while older ones are still spooled. Without a spool it is
// Accept. Errors mean "not accepted, let the platform retry".
func (in *Intake) AcceptOrSpool(ctx context.Context, m *Message) (Receipt, error) {
	sp := in.spool
	if sp == nil {
		fresh, err := in.Accept(ctx, m)
		return Receipt{Fresh: fresh}, err
	}
	at := in.now()
	if !sp.spooling.Load() {
		fresh, err := in.accept(ctx, m, at, true)
		if !errors.Is(err, ErrUnavailable) {
			return Receipt{Fresh: fresh}, err
		}
	}
	return sp.add(m, at)
}

// RunSpool drains the spool into Redis until ctx ends: at once, whenever a
// message is spooled, and every RetryMin…RetryMax while Redis stays away.
// Without a spool it returns at once.
func (in *Intake) RunSpool(ctx context.Context) {
	if in.spool != nil {
		in.spool.run(ctx)
	}
}

// now is the clock of accept times: the time stored with a message (in the
// inbox and the spool) and compared with MaxAge.
// now is the time messages are accepted at: the inbox's clock (Redis's,
// kept going from the last reading while Redis is away) when there is an
// inbox, so a replica recovering the message judges its age on the same
// clock.
func (in *Intake) now() time.Time {
	if in.o.Inbox != nil {
		return in.o.Inbox.now()
	}
	return in.o.Now()
}

// Spooling reports whether messages are being spooled (Redis was away and
// the spool is not yet drained).
func (in *Intake) Spooling() bool { return in.spool != nil && in.spool.spooling.Load() }

func (sp *spooler) add(m *Message, at time.Time) (Receipt, error) {
	rec, err := inboxPayload(at, m)
	if err != nil {
		return Receipt{}, err
	}
	sp.mu.RLock()
	sp.spooling.Store(true)
	err = sp.s.Append(rec)
	sp.mu.RUnlock()
	sp.kick()
	switch {
	case errors.Is(err, spool.ErrFull):
		return Receipt{}, ErrSpoolFull
	case err != nil:
		return Receipt{}, fmt.Errorf("%w: %w", ErrSpoolFailed, err)
	}
	sp.spooled.Inc()
	return Receipt{Fresh: true, Spooled: true, Busy: sp.record(m, at)}, nil
}

// record counts a spooled message in the current outage (logging its start
// once) and reports whether its user is to be told the answer is late.
func (sp *spooler) record(m *Message, at time.Time) (busy bool) {
	sp.outageMu.Lock()
	defer sp.outageMu.Unlock()
	if sp.since.IsZero() {
		sp.since, sp.count, sp.told = at, 0, nil
		sp.in.o.Logger.Warn("redis unavailable: accepting messages into the local spool until it is back",
			"dir", sp.s.Dir())
	}
	sp.count++
	if sp.o.BusyAfter <= 0 || m.Request.Kind == handlers.KindEvent || at.Sub(sp.since) < sp.o.BusyAfter || sp.told[m.UserID()] {
		return false
	}
	if sp.told == nil {
		sp.told = map[string]bool{}
	}
	sp.told[m.UserID()] = true
	return true
}

func (sp *spooler) kick() {
	select {
	case sp.wake <- struct{}{}:
	default:
	}
}

// run is the drainer loop.
func (sp *spooler) run(ctx context.Context) {
	backoff := sp.o.RetryMin
	for {
		wait := sp.drain(ctx)
		t := time.NewTimer(time.Hour)
		switch {
		case wait == drainIdle:
			backoff = sp.o.RetryMin
			t.Stop()
		case wait == drainQueueFull:
			t.Reset(50 * time.Millisecond)
		default:
			// Redis away: kicks are ignored so that a flood of spooled
			// callbacks does not become a flood of connection attempts.
			t.Reset(backoff)
			backoff = min(2*backoff, sp.o.RetryMax)
		}
		wake := sp.wake
		if wait != drainIdle {
			wake = nil
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

type drainResult int

const (
	drainIdle      drainResult = iota // spool empty (or waiting for an append's fsync)
	drainRetry                        // Redis unavailable
	drainQueueFull                    // the dispatcher is full
)

// drain hands spooled messages to Redis in order until the spool is empty
// or Redis (or the dispatcher) refuses one.
func (sp *spooler) drain(ctx context.Context) drainResult {
	log := sp.in.o.Logger
	for ctx.Err() == nil {
		rec, err := sp.s.Next()
		if errors.Is(err, spool.ErrClosed) {
			return drainIdle
		}
		if err != nil {
			if ok, _ := sp.in.logs.Allow("spool_read"); ok {
				log.Error("spool: cannot read the next record; retrying", "err", err)
			}
			return drainRetry
		}
		if rec == nil {
			sp.mu.Lock()
			empty := sp.s.Len() == 0
			if empty {
				sp.spooling.Store(false)
			}
			sp.mu.Unlock()
			if empty {
				sp.endOutage()
			}
			// Not empty: an append is waiting for its fsync and kicks us after.
			return drainIdle
		}
		m, at, perr := decodeSpooled(rec)
		switch {
		case perr != nil:
			log.Error("spool: dropping an unreadable record", "err", perr)
			sp.drained.WithLabelValues("unreadable").Inc()
		case sp.in.now().Sub(at) > sp.o.MaxAge:
			// As the inbox does: a day-old question is not answered
			// silently late; the log line lets an admin follow up.
			log.Warn("spool: message older than the max age dropped", "id", m.ID, "userid", m.UserID(),
				"type", m.Type, "accepted", at.Format(time.RFC3339))
			sp.drained.WithLabelValues("expired").Inc()
		default:
			// Answered as a recovered message: late ones say so.
			m.recovered, m.acceptedAt = true, at
			fresh, err := sp.in.accept(ctx, m, at, true)
			switch {
			case errors.Is(err, ErrQueueFull):
				return drainQueueFull
			case errors.Is(err, ErrClosed):
				return drainIdle // shutting down: the rest stays for the next start
			case err != nil:
				return drainRetry
			case fresh:
				sp.drained.WithLabelValues("accepted").Inc()
			default:
				sp.drained.WithLabelValues("duplicate").Inc()
			}
		}
		if err := sp.s.Ack(); err != nil {
			log.Warn("spool: a drained segment was not removed; it is replayed (as duplicates) at the next start", "err", err)
		}
	}
	return drainIdle
}

// endOutage logs the end of an outage, once.
func (sp *spooler) endOutage() {
	sp.outageMu.Lock()
	defer sp.outageMu.Unlock()
	if sp.since.IsZero() {
		return
	}
	sp.in.o.Logger.Info("spool drained: redis has taken every spooled message",
		"messages", sp.count, "since", sp.since.Format(time.RFC3339), "duration", sp.in.now().Sub(sp.since).Round(time.Millisecond))
	sp.since, sp.count, sp.told = time.Time{}, 0, nil
}

func decodeSpooled(rec []byte) (*Message, time.Time, error) {
	at, body, err := parseInboxPayload(string(rec))
	if err != nil {
		return nil, time.Time{}, err
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, at, fmt.Errorf("spooled message: %w", err)
	}
	if m.ID == "" || m.Request.UserID == "" {
		return nil, at, errors.New("spooled message without id or user")
	}
	return &m, at, nil
}

// unanswered reports whether the dedupe key at key still holds its message,
// that is, the message was stored and not answered.
func (in *Inbox) unanswered(ctx context.Context, key string) bool {
	v, err := in.o.Redis.Get(ctx, key).Result()
	return err == nil && v != answeredMark
}
