package wecom_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/httpserver"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// Example_serve shows how `serve` wires the WeCom channel (compiled, not run).
func Example_serve() {
	var (
		cfg    *config.Config   // loaded and validated config.yaml
		rdb    *redis.Client    // cfg.Redis
		router handlers.Handler // the ordered route table
		agent  int              // WECOM_AGENT_ID
		logger = slog.Default()
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	reg := prometheus.NewRegistry()
	metrics := bot.NewMetrics(reg)
	api, err := wecomapi.New(wecomapi.Config{CorpID: os.Getenv("WECOM_CORP_ID"), AgentID: agent,
		Secret: os.Getenv("WECOM_SECRET"), APIBase: os.Getenv("WECOM_API_BASE"), Redis: rdb,
		Prefix: cfg.Redis.Prefix, Logger: logger})
	if err != nil {
		panic(err)
	}
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: cfg.Redis.Prefix, Deliverer: api,
		Config: cfg.Outbox, Observer: metrics, Registerer: reg, Logger: logger})
	if err != nil {
		panic(err)
	}
	w, err := wecom.New(wecom.Options{
		Token: os.Getenv("WECOM_TOKEN"), CorpID: os.Getenv("WECOM_CORP_ID"), AESKey: os.Getenv("WECOM_AES_KEY"),
		Config: cfg, Redis: rdb, Handler: router, Sender: ob, Users: api,
		Registry: reg, Metrics: metrics, Logger: logger,
	})
	if err != nil {
		panic(err)
	}
	srv, err := httpserver.New(httpserver.Options{Addr: cfg.HTTP.Addr, Mounts: []httpserver.Mount{w.Mount()},
		Redis: rdb, Registry: reg, Logger: logger})
	if err != nil {
		panic(err)
	}
	go ob.Run(ctx)                // stops with ctx; pending entries stay in Redis
	err = srv.ListenAndServe(ctx) // returns after draining the dispatcher into the outbox
	_ = err
}
