package bot

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the channel's Prometheus metrics, registered on a caller-owned
// registry (never the global one).
type Metrics struct {
	MessagesIn      *prometheus.CounterVec // by type (msgtype or event:<name>)
	Answers         *prometheus.CounterVec // by result: queued, none, handler_error, send_error
	SentTotal       prometheus.Counter     // message/send calls accepted by WeCom (reported by the outbox)
	SendErrors      *prometheus.CounterVec // failed send attempts by WeCom errcode (reported by the outbox)
	DedupeHits      prometheus.Counter
	QueueDepth      prometheus.Gauge
	HandlerSeconds  prometheus.Histogram
	CallbackSeconds prometheus.Histogram
	Rejected        *prometheus.CounterVec // rejected callbacks by reason
	Inbox           *prometheus.CounterVec // inbox recovery outcomes: recovered, expired, abandoned, unparsable
	InboxSize       prometheus.Gauge       // unanswered messages in the inbox (at the last recovery pass)
}

// SendObserver receives delivery outcomes from the outbox. *Metrics
// implements it.
type SendObserver interface {
	Sent()
	SendError(errcode int)
}

// NewMetrics creates the metrics and registers them on reg. A nil reg gets a
// fresh private registry.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		MessagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "choucha_wecom_messages_in_total", Help: "Accepted callbacks by message type.",
		}, []string{"type"}),
		Answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "choucha_wecom_answers_total", Help: "Handled messages by outcome (queued = handed to the outbox; repeat_welcome, late_welcome = enter_agent not answered; left_for_recovery = left in the inbox at shutdown).",
		}, []string{"result"}),
		SentTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_wecom_sent_total", Help: "Messages WeCom accepted through message/send.",
		}),
		SendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "choucha_wecom_send_errors_total", Help: "Failed message/send attempts by WeCom errcode (http = transport/HTTP error).",
		}, []string{"errcode"}),
		DedupeHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_wecom_dedupe_hits_total", Help: "Callbacks dropped as WeCom retries of a message already accepted.",
		}),
		QueueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "choucha_wecom_queue_depth", Help: "Messages accepted and not yet handled.",
		}),
		HandlerSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "choucha_wecom_handler_seconds", Help: "Time to resolve the user, run the handler and queue the answer.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		CallbackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "choucha_wecom_callback_seconds", Help: "Time to answer a callback POST.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "choucha_wecom_callbacks_rejected_total", Help: "Rejected callbacks by reason.",
		}, []string{"reason"}),
		Inbox: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "choucha_wecom_inbox_recovery_total", Help: "Unanswered messages found by inbox recovery, by outcome (recovered = dispatched again; expired, abandoned, unparsable = dropped with a log line).",
		}, []string{"result"}),
		InboxSize: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "choucha_wecom_inbox_size", Help: "Accepted messages not yet answered, at the last recovery pass.",
		}),
	}
	reg.MustRegister(m.MessagesIn, m.Answers, m.SentTotal, m.SendErrors, m.DedupeHits,
		m.QueueDepth, m.HandlerSeconds, m.CallbackSeconds, m.Rejected, m.Inbox, m.InboxSize)
	return m
}

// Sent counts one message WeCom accepted.
func (m *Metrics) Sent() { m.SentTotal.Inc() }

var _ SendObserver = (*Metrics)(nil)

// SendError counts one failed send attempt; errcode -2 means an HTTP or
// transport failure (label "http").
func (m *Metrics) SendError(errcode int) {
	label := strconv.Itoa(errcode)
	if errcode == -2 {
		label = "http"
	}
	m.SendErrors.WithLabelValues(label).Inc()
}
