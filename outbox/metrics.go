package outbox

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the outbox's Prometheus collectors. Without a Registerer
// they exist but are not exported.
type metrics struct {
	enqueued   prometheus.Counter
	duplicates prometheus.Counter
	sent       prometheus.Counter
	paced      prometheus.Counter
	dead       prometheus.Counter
	ambiguous  *prometheus.CounterVec
	resends    prometheus.Counter
	repeats    prometheus.Counter
	sendErrors *prometheus.CounterVec
	depth      *prometheus.GaugeVec
	latency    prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		enqueued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_outbox_enqueued_total", Help: "Messages accepted into the outbox."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_outbox_duplicates_total", Help: "Sends ignored because their message ID was already queued."}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_outbox_parts_sent_total", Help: "Message parts WeCom accepted."}),
		paced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_outbox_paced_total", Help: "Deliveries postponed to stay under the per-member or corp rate."}),
		dead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_outbox_dead_letters_total", Help: "Messages moved to the dead letters."}),
		ambiguous: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "choucha_outbox_ambiguous_total", Help: "Deliveries whose outcome is unknown and that are sent again: cause send (HTTP 5xx or timeout on the send) or lease (a worker stopped mid-delivery)."},
			[]string{"cause"}),
		resends: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_outbox_resends_total", Help: "Parts sent again as the same request after an earlier attempt; WeCom's duplicate check suppresses each one whose earlier copy arrived."}),
		repeats: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "choucha_outbox_repeats_marked_total", Help: "Distinct messages repeating recent content to the same recipient, sent with a note so WeCom's duplicate check lets them through."}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "choucha_outbox_send_errors_total", Help: "Failed delivery attempts by WeCom errcode (-2: HTTP or timeout)."},
			[]string{"errcode"}),
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "choucha_outbox_queue_depth", Help: "Outbox messages by state (due, scheduled, in_flight, dead)."},
			[]string{"state"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "choucha_outbox_delivery_seconds", Help: "Time from enqueue to the last part delivered.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800}}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	reg1 := func(c prometheus.Collector) prometheus.Collector {
		got, err := register(reg, c)
		errs = append(errs, err)
		return got
	}
	m.enqueued = reg1(m.enqueued).(prometheus.Counter)
	m.duplicates = reg1(m.duplicates).(prometheus.Counter)
	m.sent = reg1(m.sent).(prometheus.Counter)
	m.paced = reg1(m.paced).(prometheus.Counter)
	m.dead = reg1(m.dead).(prometheus.Counter)
	m.ambiguous = reg1(m.ambiguous).(*prometheus.CounterVec)
	m.resends = reg1(m.resends).(prometheus.Counter)
	m.repeats = reg1(m.repeats).(prometheus.Counter)
	m.sendErrors = reg1(m.sendErrors).(*prometheus.CounterVec)
	m.depth = reg1(m.depth).(*prometheus.GaugeVec)
	m.latency = reg1(m.latency).(prometheus.Histogram)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered
// under its name: a second Outbox on one registry (tests, two replicas in
// one process) shares the first one's collectors.
func register(reg prometheus.Registerer, c prometheus.Collector) (prometheus.Collector, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		return are.ExistingCollector, nil
	}
	return c, fmt.Errorf("outbox: register metrics: %w", err)
}

func (m *metrics) setDepth(s Stats) {
	m.depth.WithLabelValues("due").Set(float64(s.Due))
	m.depth.WithLabelValues("scheduled").Set(float64(s.Scheduled))
	m.depth.WithLabelValues("in_flight").Set(float64(s.InFlight))
	m.depth.WithLabelValues("dead").Set(float64(s.Dead))
}
