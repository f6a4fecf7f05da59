package bot

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
)

// WeComOptions is everything the WeCom channel needs; NewWeCom wires the
// parts (crypto, directory, dispatcher, callback, server) from them.
type WeComOptions struct {
	// Secrets from the environment (WECOM_TOKEN, WECOM_CORP_ID, WECOM_AES_KEY).
	Token, CorpID, AESKey string
	// Config supplies http.addr, http.callback_path, wecom.* (skew, TTLs,
	// departments), redis.prefix, admins and the time zone.
	Config  *config.Config
	Redis   redis.UniversalClient // required
	Handler handlers.Handler      // required: the router
	Sender  Sender                // required: the outbox
	// Users reads the address book (wecomapi); nil: requests carry no sections.
	Users UserGetter
	// Registry serves /metrics; Metrics are registered on it unless given.
	Registry *prometheus.Registry
	Metrics  *Metrics
	// ConfigCheck and ReadyChecks add lines to /readyz.
	ConfigCheck func() error
	ReadyChecks []ReadyCheck
	// Health fails /healthz (see ServerOptions.Health).
	Health func() error
	// Events handed to the handler (default enter_agent,
	// template_card_event, click); other events are acknowledged only.
	Events []string
	// Dispatcher tuning; zero values get DispatcherOptions' defaults.
	Shards, QueueSize int
	// Inbox tunes the durable inbox of unanswered messages (Grace,
	// Interval, MaxAge, LateAfter, MaxClaims; zero values get
	// InboxOptions' defaults). Redis, Prefix, Metrics, Logger and Now are
	// filled in from the fields above.
	Inbox InboxOptions
	// WelcomeEveryOpen answers every enter_agent; by default a user gets
	// the welcome at most once per day (see WelcomeGate).
	WelcomeEveryOpen bool
	Logger           *slog.Logger
	Now              func() time.Time
}

// WeCom is the assembled channel.
type WeCom struct {
	Server     *Server
	Callback   *Callback
	Dispatcher *Dispatcher
	Directory  *Directory // nil without Users
	Inbox      *Inbox     // recovered by Server.Serve
	Welcome    *WelcomeGate
	Crypto     *Crypto
	Metrics    *Metrics
}

// NewWeCom validates the credentials and assembles the channel. Run it with
// w.Server.ListenAndServe(ctx); cancelling ctx shuts it down gracefully.
func NewWeCom(o WeComOptions) (*WeCom, error) {
	if o.Config == nil {
		return nil, errors.New("bot: WeComOptions.Config is nil")
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
		o.Metrics = NewMetrics(o.Registry)
	}
	cfg := o.Config
	crypto, err := NewCrypto(o.Token, o.CorpID, o.AESKey)
	if err != nil {
		return nil, err
	}
	w := &WeCom{Crypto: crypto, Metrics: o.Metrics}
	prefix := cfg.Redis.Prefix
	if o.Users != nil {
		w.Directory, err = NewDirectory(DirectoryOptions{Users: o.Users, Redis: o.Redis, Prefix: prefix,
			TTL: cfg.WeCom.UserCacheTTL, Departments: cfg.WeCom.Departments, Logger: o.Logger, Now: o.Now})
		if err != nil {
			return nil, err
		}
	}
	inOpts := o.Inbox
	inOpts.Redis, inOpts.Prefix, inOpts.Metrics, inOpts.Logger, inOpts.Now = o.Redis, prefix, o.Metrics, o.Logger, o.Now
	if w.Inbox, err = NewInbox(inOpts); err != nil {
		return nil, err
	}
	if !o.WelcomeEveryOpen {
		w.Welcome = NewWelcomeGate(o.Redis, prefix, cfg.Location, o.Now)
	}
	do := DispatcherOptions{Handler: o.Handler, Sender: o.Sender, Admins: cfg.Admins, Shards: o.Shards,
		QueueSize: o.QueueSize, Inbox: w.Inbox, Welcome: w.Welcome, Metrics: o.Metrics, Logger: o.Logger,
		Now: o.Now, Location: cfg.Location}
	if w.Directory != nil {
		do.Directory = w.Directory
	}
	if w.Dispatcher, err = NewDispatcher(do); err != nil {
		return nil, err
	}
	w.Callback, err = NewCallback(CallbackOptions{Crypto: crypto, Redis: o.Redis, Prefix: prefix,
		Dispatcher: w.Dispatcher, MaxSkew: cfg.WeCom.MaxTimestampSkew, DedupeTTL: cfg.WeCom.DedupeTTL,
		Events: o.Events, Directory: w.Directory, Inbox: w.Inbox, Metrics: o.Metrics, Logger: o.Logger, Now: o.Now})
	if err != nil {
		return nil, err
	}
	w.Server = NewServer(ServerOptions{Addr: cfg.HTTP.Addr, CallbackPath: cfg.HTTP.CallbackPath,
		Callback: w.Callback, Dispatcher: w.Dispatcher, Inbox: w.Inbox, Redis: o.Redis, Registry: o.Registry,
		Config: o.ConfigCheck, ReadyChecks: o.ReadyChecks, Health: o.Health, Logger: o.Logger})
	return w, nil
}
