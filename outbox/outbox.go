// Package outbox is the durable outgoing-message queue in Redis: every
// answer and reminder the bot sends goes through it. It implements
// reply.Sender: Send enqueues, idempotently by Message.ID (a second Send with
// the same ID is a no-op for IDTTL, across replicas). Workers deliver
// through a Deliverer (wecomapi.Client), one part at a time in order, with
// retries and exponential backoff with jitter on retryable errors, pacing
// per member and corp-wide (shared Redis counters, so all replicas keep
// under WeCom's limits; a paced message is rescheduled, never dropped), a
// lease so a crashed worker's message is re-delivered, and a dead-letter
// set that admins list and re-queue. Messages to one recipient travel in a
// lane: one at a time, in the order they were sent.
//
// Delivery is at least once between the outbox and WeCom (a worker killed
// after WeCom accepted a part but before recording it, or an HTTP 500 or
// timeout after WeCom delivered, sends that part again), and exactly once
// to the user for app text and markdown: the resend is the same request,
// which WeCom's duplicate check drops (see repeat.go for the choice and
// its limits). Leases, due times and pacing run on Redis's clock. Keys
// live under Prefix+"{outbox}:", one Redis Cluster slot. For no loss on a
// Redis crash, run Redis with appendonly yes and appendfsync always; with
// everysec the last second of enqueues and ID claims may be lost.
package outbox

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/reply"
	storekeys "github.com/changzhi-amr/choucha/store/keys"
)

// Deliverer delivers messages to the platform. wecomapi.Client implements
// it: Parts splits a reply to the platform's limits (WeCom's 2,048 bytes
// for text and markdown; a card is one part) and must be deterministic, so
// a message resumed after a crash continues with the same parts; Deliver
// sends one part.
//
// The outbox reads these optional methods from a returned error (through
// errors.As): Retryable() bool — false sends the message to the dead
// letters at once; RateLimited() bool — true backs off without counting an
// attempt (45009/45033) and pauses all workers briefly; ErrCode() int —
// the metrics label. An error without them is retried.
type Deliverer interface {
	Parts(r reply.Reply) []reply.Reply
	Deliver(ctx context.Context, to reply.Recipient, part reply.Reply) error
}

// SendObserver is told about each delivery attempt (bot.Metrics
// implements it): Sent for a part WeCom accepted, SendError with the
// errcode (wecomapi.CodeHTTP = -2 for HTTP failures and timeouts).
type SendObserver interface {
	Sent()
	SendError(errcode int)
}

// Options configures an Outbox. Zero values get the defaults noted.
type Options struct {
	Redis redis.UniversalClient // required
	// Prefix of every key, e.g. "choucha:"; outbox keys are Prefix+"outbox:...".
	Prefix string
	// Deliverer is required by Run; admin use (List, Retry) needs none.
	Deliverer Deliverer
	// Config is config.Outbox; zero fields get its documented defaults
	// (4 workers, 8 attempts, 1s..5m backoff, 25/min per member, 9000/min corp).
	Config config.Outbox

	// WebhookPerMin paces each group robot (WeCom allows 20/min). Default 18.
	WebhookPerMin int
	// MaxThrottled: rate-limit answers (45009/45033) a message may get
	// before it is a dead letter. Default 1000 (a storm delays, never loses).
	MaxThrottled int
	// IDTTL is how long a Message.ID is remembered for idempotency. Default 7 days.
	IDTTL time.Duration
	// DeadTTL is how long a dead letter is kept. Default 30 days.
	DeadTTL time.Duration
	// LeaseTTL: a message claimed by a worker that neither finishes nor
	// renews within this time is delivered again. Default 1m.
	LeaseTTL time.Duration
	// PollInterval: how often an idle worker looks for work queued by other
	// replicas (Send on this replica wakes workers at once). Default 100ms.
	PollInterval time.Duration
	// ReapInterval: how often expired leases are returned and the queue
	// depth gauge updated. Default 2s.
	ReapInterval time.Duration
	// DeliverTimeout bounds one part's delivery. Default 30s.
	DeliverTimeout time.Duration

	// Now is this replica's wall clock: when a message was created, the
	// delivery latency metric, when it died. Default time.Now. Leases, due
	// times and pacing use Redis's clock instead (see QueueClock).
	Now func() time.Time
	// QueueClock, for tests only, replaces Redis's clock (TIME, read inside
	// the scripts) for lease expiry, due times and pacing windows; every
	// Outbox sharing a Redis must then share it. nil: Redis's clock, so
	// replicas whose wall clocks differ agree on every lease.
	QueueClock func() time.Time
	Rand       func() float64 // in [0,1), for jitter; default math/rand/v2
	Logger     *slog.Logger

	// Registerer, if set, gets the choucha_outbox_* metrics.
	Registerer prometheus.Registerer
	// Observer, if set, is told about every attempt (see SendObserver).
	Observer SendObserver
}

// Outbox is the durable queue. It is safe for concurrent use; any number
// of Outboxes (replicas) may share one Redis.
type Outbox struct {
	o    Options
	cfg  config.Outbox
	rdb  redis.UniversalClient
	k    keys
	log  *slog.Logger
	m    *metrics
	wake chan struct{}
	g    group // batches Send's and the workers' scripts
}

type keys struct {
	prefix, ready, lease, owner, dead, hold, msg, id, rate, lane, lanes string
}

func newKeys(prefix string) keys {
	p := storekeys.New(prefix).Outbox()
	return keys{
		prefix: p,
		ready:  p + "ready",
		lane:   p + "lane:",
		lanes:  p + "lanes",
		lease:  p + "lease",
		owner:  p + "owner",
		dead:   p + "dead",
		hold:   p + "hold",
		msg:    p + "msg:",
		id:     p + "id:",
		rate:   p + "rate:",
	}
}

// New returns an Outbox. It does not start workers (see Run).
func New(o Options) (*Outbox, error) {
	if o.Redis == nil {
		return nil, errors.New("outbox: Options.Redis is nil")
	}
	c := o.Config
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	if c.MaxBackoff < c.InitialBackoff {
		return nil, fmt.Errorf("outbox: outbox.max_backoff (%s) is below outbox.initial_backoff (%s)", c.MaxBackoff, c.InitialBackoff)
	}
	if c.PerUserPerMin <= 0 {
		c.PerUserPerMin = 25
	}
	if c.PerUserPerMin > 30 {
		return nil, fmt.Errorf("outbox: outbox.per_user_per_min is %d; WeCom silently drops messages above 30 a minute to one member", c.PerUserPerMin)
	}
	if c.CorpPerMin <= 0 {
		c.CorpPerMin = 9000
	}
	if o.WebhookPerMin <= 0 {
		o.WebhookPerMin = 18
	}
	if o.MaxThrottled <= 0 {
		o.MaxThrottled = 1000
	}
	if o.IDTTL <= 0 {
		o.IDTTL = 7 * 24 * time.Hour
	}
	if o.DeadTTL <= 0 {
		o.DeadTTL = 30 * 24 * time.Hour
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.ReapInterval <= 0 {
		o.ReapInterval = 2 * time.Second
	}
	if o.DeliverTimeout <= 0 {
		o.DeliverTimeout = 30 * time.Second
	}
	if o.LeaseTTL <= o.DeliverTimeout {
		return nil, fmt.Errorf("outbox: LeaseTTL (%s) must exceed DeliverTimeout (%s), or a slow delivery is sent twice", o.LeaseTTL, o.DeliverTimeout)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = mrand.Float64
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	ob := &Outbox{
		o:    o,
		cfg:  c,
		rdb:  o.Redis,
		k:    newKeys(o.Prefix),
		log:  o.Logger,
		m:    m,
		wake: make(chan struct{}, c.Workers),
		g:    group{rdb: o.Redis},
	}
	return ob, nil
}

// Config is the effective configuration (defaults filled in).
func (ob *Outbox) Config() config.Outbox { return ob.cfg }

// entry is a queued message as stored in Redis.
type entry struct {
	ID    string          `json:"id"`
	To    reply.Recipient `json:"to"`
	Lane  string          `json:"lane"` // messages with one lane go out in order
	Reply reply.Reply     `json:"reply"`
	Next  int             `json:"next"` // the Deliverer's Parts(Reply)[:Next] are delivered
	// Format and Parts are the pre-split form queued by earlier versions;
	// such entries are delivered as one text again (see reply).
	Format    reply.Kind `json:"format,omitempty"`
	Parts     []string   `json:"parts,omitempty"`
	Attempts  int        `json:"attempts"`  // failed attempts, rate limits excluded
	Throttled int        `json:"throttled"` // rate-limit answers
	LastError string     `json:"last_error,omitempty"`
	LastCode  int        `json:"last_code,omitempty"`
	Created   time.Time  `json:"created"`
	DeadAt    time.Time  `json:"dead_at,omitzero"`
}

var _ reply.Sender = (*Outbox)(nil)

// ErrNoRecipient is returned by Send for a message with no recipient.
var ErrNoRecipient = errors.New("outbox: message has no recipient")

// Send enqueues msg for delivery. A message with the same non-empty ID as
// one enqueued within IDTTL is ignored (nil error); an empty reply means
// "no answer" and is ignored too. The Deliverer splits long texts into
// parts when it delivers them, in order.
func (ob *Outbox) Send(ctx context.Context, msg reply.Message) error {
	to := msg.To
	if to.Empty() {
		return fmt.Errorf("%w (id %q)", ErrNoRecipient, msg.ID)
	}
	if msg.Reply.IsZero() {
		return nil
	}
	rep := msg.Reply
	if rep.Kind == "" {
		rep.Kind = reply.KindText
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("outbox: enqueue %q: %w", msg.ID, err)
	}
	id := msg.ID
	if id == "" {
		id = "auto-" + randomHex(12)
	}
	now := ob.o.Now()
	lane := laneOf(to)
	body, err := json.Marshal(entry{ID: id, To: to, Lane: lane, Reply: rep, Created: now})
	if err != nil {
		return fmt.Errorf("outbox: encode message %q: %w", id, err)
	}
	n, err := ob.g.run(ctx, enqueueScript,
		[]string{ob.k.id + id, ob.k.msg + id, ob.k.ready, ob.k.lane + lane, ob.k.lanes},
		id, body, ob.clock(), ob.o.IDTTL.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("outbox: enqueue %q: %w", id, err)
	}
	if n == 0 {
		ob.m.duplicates.Inc()
		ob.log.Debug("outbox: duplicate message ignored", "id", id)
		return nil
	}
	ob.m.enqueued.Inc()
	select {
	case ob.wake <- struct{}{}:
	default:
	}
	return nil
}

// clock is the scripts' clock argument: "" for Redis's own clock, or the
// test clock's milliseconds (Options.QueueClock).
func (ob *Outbox) clock() string {
	if ob.o.QueueClock == nil {
		return ""
	}
	return strconv.FormatInt(ob.o.QueueClock().UnixMilli(), 10)
}

// queueNow is the queue's clock read from Go (Redis's TIME, or QueueClock).
func (ob *Outbox) queueNow(ctx context.Context) (time.Time, error) {
	if ob.o.QueueClock != nil {
		return ob.o.QueueClock(), nil
	}
	return ob.rdb.Time(ctx).Result()
}

// reply is the entry's reply, converting the pre-split form of earlier
// versions (parts joined at the line breaks the split removed).
func (e *entry) reply() reply.Reply {
	if e.Reply.IsZero() && len(e.Parts) > 0 {
		kind := e.Format
		if kind == "" {
			kind = reply.KindText
		}
		return reply.Reply{Kind: kind, Text: strings.Join(e.Parts, "\n")}
	}
	return e.Reply
}

// laneOf names the recipient's lane: one member, one robot, or one exact
// combination of recipients.
func laneOf(to reply.Recipient) string {
	if to.Webhook != "" {
		return "w:" + hashHex(to.Webhook) // the key is a secret: not in key names
	}
	if len(to.Users) == 1 && len(to.Departments) == 0 && len(to.Tags) == 0 {
		return "u:" + to.Users[0]
	}
	b, _ := json.Marshal(to)
	return "r:" + hashHex(string(b))
}

func hashHex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// backoff is the delay before attempt n+1 (n ≥ 1): exponential from
// InitialBackoff, capped at MaxBackoff, with "equal jitter" (half fixed,
// half random) so replicas do not retry in step.
func (ob *Outbox) backoff(n int) time.Duration {
	d := ob.cfg.InitialBackoff
	for i := 1; i < n && d < ob.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, ob.cfg.MaxBackoff)
	return d/2 + time.Duration(ob.o.Rand()*float64(d/2))
}

// subjects are the pacing windows a part to `to` counts against.
func (ob *Outbox) subjects(to reply.Recipient) (keys []string, limits []any) {
	add := func(s string, lim int) {
		keys = append(keys, ob.k.rate+s)
		limits = append(limits, lim)
	}
	if to.Webhook != "" {
		add("w:"+hashHex(to.Webhook), ob.o.WebhookPerMin)
		return keys, limits
	}
	for _, u := range to.Users {
		add("u:"+u, ob.cfg.PerUserPerMin)
	}
	for _, d := range to.Departments {
		add(fmt.Sprintf("p:%d", d), ob.cfg.PerUserPerMin)
	}
	for _, t := range to.Tags {
		add(fmt.Sprintf("t:%d", t), ob.cfg.PerUserPerMin)
	}
	add("corp", ob.cfg.CorpPerMin)
	return keys, limits
}

// counted is a part counted against its pacing windows: the windows'
// keys and the member that counts it (unpace takes it back).
type counted struct {
	member string
	keys   []string
}

// pace counts one part against its windows, or returns how long to wait.
func (ob *Outbox) pace(ctx context.Context, e *entry, token string) (counted, time.Duration, error) {
	keys, limits := ob.subjects(e.To)
	member := fmt.Sprintf("%s:%d:%s", e.ID, e.Next, token)
	args := append([]any{ob.clock(), time.Minute.Milliseconds(), member}, limits...)
	ms, err := paceScript.Run(ctx, ob.rdb, keys, args...).Int64()
	if err != nil {
		return counted{}, 0, fmt.Errorf("outbox: pacing: %w", err)
	}
	return counted{member: member, keys: keys}, time.Duration(ms) * time.Millisecond, nil
}

// unpace takes back a part's count after a failed attempt: WeCom did not
// deliver it, so it does not use up the member's allowance.
func (ob *Outbox) unpace(ctx context.Context, e *entry, c counted) {
	if len(c.keys) == 0 {
		return
	}
	pipe := ob.rdb.Pipeline()
	for _, k := range c.keys {
		pipe.ZRem(ctx, k, c.member)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		ob.log.Warn("outbox: un-counting a failed attempt failed", "id", e.ID, "err", err)
	}
}
