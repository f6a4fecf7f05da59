// Package wecom is the WeCom (企业微信) self-built app channel: the callback
// endpoint (GET URL verification, POST message receipt), the message
// envelope's crypto, WeCom's message XML and its mapping to the neutral
// bot.Message, and the address book that resolves a user's sections. What
// happens to an accepted message (dedupe, inbox, dispatch, answer) is the
// channel-neutral package bot.
package wecom

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/httpserver"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/spool"
)

// Options is everything the WeCom channel needs; New wires the parts
// (crypto, address book, intake, inbox, dispatcher, callback) from them.
type Options struct {
	// Secrets from the environment (WECOM_TOKEN, WECOM_CORP_ID, WECOM_AES_KEY).
	Token, CorpID, AESKey string
	// Config supplies http.callback_path, wecom.* (skew, TTLs,
	// departments), redis.prefix, admins and the time zone.
	Config  *config.Config
	Redis   redis.UniversalClient // required
	Handler handlers.Handler      // required: the router
	Sender  reply.Sender          // required: the outbox
	// Users reads the address book (wecomapi); nil: requests carry no sections.
	Users UserGetter
	// Registry gets the channel's metrics unless Metrics is given.
	Registry *prometheus.Registry
	Metrics  *bot.Metrics
	// Events handed to the handler (default enter_agent,
	// template_card_event, click); other events are acknowledged only.
	Events []string
	// Dispatcher tuning; zero values get DispatcherOptions' defaults.
	Shards, QueueSize int
	// Inbox tunes the durable inbox of unanswered messages (Grace,
	// Interval, MaxAge, LateAfter, MaxClaims; zero values get
	// InboxOptions' defaults). Redis, Prefix, Metrics, Logger and Now are
	// filled in from the fields above.
	Inbox bot.InboxOptions
	// Spool, when set, keeps verified callbacks on local disk while Redis
	// is unavailable and hands them to Redis when it is back (bot.SpoolOptions;
	// wecom.spool_busy_after from Config). The caller opens and closes it.
	Spool *spool.Spool
	// WelcomeEveryOpen answers every enter_agent; by default a user gets
	// the welcome at most once per day (see bot.WelcomeGate).
	WelcomeEveryOpen bool
	Logger           *slog.Logger
	Now              func() time.Time
}

// Channel is the assembled WeCom channel.
type Channel struct {
	Callback     *Callback
	CallbackPath string
	Intake       *bot.Intake
	Dispatcher   *bot.Dispatcher
	AddressBook  *AddressBook // nil without Users
	Inbox        *bot.Inbox
	Welcome      *bot.WelcomeGate
	Crypto       *Crypto
	Metrics      *bot.Metrics
}

// New validates the credentials and assembles the channel. Serve it by
// mounting Mount() on an httpserver.Server.
func New(o Options) (*Channel, error) {
	if o.Config == nil {
		return nil, errors.New("wecom: Options.Config is nil")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Metrics == nil {
		o.Metrics = bot.NewMetrics(o.Registry)
	}
	cfg := o.Config
	crypto, err := NewCrypto(o.Token, o.CorpID, o.AESKey)
	if err != nil {
		return nil, err
	}
	w := &Channel{Crypto: crypto, Metrics: o.Metrics, CallbackPath: cfg.HTTP.CallbackPath}
	if w.CallbackPath == "" {
		w.CallbackPath = "/wecom/callback"
	}
	prefix := cfg.Redis.Prefix
	if o.Users != nil {
		w.AddressBook, err = NewAddressBook(AddressBookOptions{Users: o.Users, Redis: o.Redis, Prefix: prefix,
			TTL: cfg.WeCom.UserCacheTTL, Departments: cfg.WeCom.Departments, Logger: o.Logger, Now: o.Now})
		if err != nil {
			return nil, err
		}
	}
	inOpts := o.Inbox
	// The inbox's leases are on Redis's clock (o.Inbox.Now, tests only,
	// replaces it), not o.Now: replicas' clocks may differ.
	inOpts.Redis, inOpts.Prefix, inOpts.Metrics, inOpts.Logger = o.Redis, prefix, o.Metrics, o.Logger
	inOpts.Legacy = legacyInboxEntry
	if w.Inbox, err = bot.NewInbox(inOpts); err != nil {
		return nil, err
	}
	if !o.WelcomeEveryOpen {
		w.Welcome = bot.NewWelcomeGate(o.Redis, prefix, cfg.Location, o.Now)
	}
	do := bot.DispatcherOptions{Handler: o.Handler, Sender: o.Sender, Admins: cfg.Admins, Shards: o.Shards,
		QueueSize: o.QueueSize, Inbox: w.Inbox, Welcome: w.Welcome, Metrics: o.Metrics, Logger: o.Logger,
		Now: o.Now, Location: cfg.Location}
	if w.AddressBook != nil {
		do.AddressBook = w.AddressBook
	}
	if w.Dispatcher, err = bot.NewDispatcher(do); err != nil {
		return nil, err
	}
	intakeOpts := bot.IntakeOptions{Redis: o.Redis, Prefix: prefix, Dispatcher: w.Dispatcher,
		Inbox: w.Inbox, DedupeTTL: cfg.WeCom.DedupeTTL, Metrics: o.Metrics, Logger: o.Logger, Now: o.Now}
	if o.Spool != nil {
		intakeOpts.Spool = &bot.SpoolOptions{Spool: o.Spool, BusyAfter: cfg.WeCom.SpoolBusyAfter, Registerer: o.Registry}
	}
	w.Intake, err = bot.NewIntake(intakeOpts)
	if err != nil {
		return nil, err
	}
	w.Callback, err = NewCallback(CallbackOptions{Crypto: crypto, Intake: w.Intake,
		MaxSkew: cfg.WeCom.MaxTimestampSkew, Events: o.Events, AddressBook: w.AddressBook,
		Metrics: o.Metrics, Logger: o.Logger, Now: o.Now})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Mount is what the channel serves: the callback route, the inbox's
// recovery loop and the spool's drainer while serving, and the
// dispatcher's drain on shutdown.
func (w *Channel) Mount() httpserver.Mount {
	return httpserver.Mount{
		Routes: map[string]http.Handler{w.CallbackPath: w.Callback},
		Background: func(ctx context.Context) {
			done := make(chan struct{})
			go func() { defer close(done); w.Intake.RunSpool(ctx) }()
			w.Inbox.Run(ctx, w.Dispatcher)
			<-done
		},
		Drain: w.Dispatcher.Shutdown,
	}
}

// legacyInboxEntry reads an inbox entry stored by versions before the
// neutral channel layer: the decrypted callback XML.
func legacyInboxEntry(body []byte) (*bot.Message, error) {
	m, err := ParseIncoming(body)
	if err != nil {
		return nil, err
	}
	return m.Message(), nil
}
