package handlers

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Tally counts handled requests by route for a periodic summary line, so
// that the info log says what the bot did without a line per message
// (those are at debug level, see Logging). The zero value is ready; a nil
// *Tally counts nothing.
type Tally struct {
	mu     sync.Mutex
	routes map[string]int
	errs   int
	max    time.Duration
}

func (t *Tally) add(route string, took time.Duration, err error) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.routes == nil {
		t.routes = map[string]int{}
	}
	t.routes[route]++
	if err != nil {
		t.errs++
	}
	t.max = max(t.max, took)
}

// TallySummary is what a Tally counted since the last Take.
type TallySummary struct {
	Handled int
	Errors  int // handler errors (users' mistakes are replies, not errors)
	Slowest time.Duration
	Routes  map[string]int
}

// Take returns the counts since the last Take and starts afresh.
func (t *Tally) Take() TallySummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := TallySummary{Errors: t.errs, Slowest: t.max, Routes: t.routes}
	for _, n := range t.routes {
		s.Handled += n
	}
	t.routes, t.errs, t.max = nil, 0, 0
	return s
}

// routesText is "help=3 month=2 ...", the busiest route first.
func (s TallySummary) routesText() string {
	names := make([]string, 0, len(s.Routes))
	for r := range s.Routes {
		names = append(names, r)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := s.Routes[b] - s.Routes[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(names))
	for i, r := range names {
		parts[i] = r + "=" + strconv.Itoa(s.Routes[r])
	}
	return strings.Join(parts, " ")
}

// Run logs one info line per interval in which anything was handled,
// until ctx ends (then once more for what is left).
func (t *Tally) Run(ctx context.Context, log *slog.Logger, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	report := func() {
		s := t.Take()
		if s.Handled == 0 {
			return
		}
		log.Info("messages handled", "interval", every, "handled", s.Handled, "errors", s.Errors,
			"slowest", s.Slowest, "routes", s.routesText())
	}
	for {
		select {
		case <-ctx.Done():
			report()
			return
		case <-tick.C:
			report()
		}
	}
}
