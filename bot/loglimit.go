package bot

import (
	"sync"
	"time"
)

// LogLimiter lets at most one log line per key through per period and
// counts the lines it held back, so a flood of bad callbacks (a scanner, a
// misconfigured token) cannot flood the log. Metrics stay exact: only the
// log line is limited.
type LogLimiter struct {
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]*logWindow
}

type logWindow struct {
	last       time.Time
	suppressed int
}

// NewLogLimiter returns a limiter of one line per key per every.
func NewLogLimiter(every time.Duration, now func() time.Time) *LogLimiter {
	return &LogLimiter{every: every, now: now, keys: map[string]*logWindow{}}
}

// Allow reports whether a line for key may be logged now and, if so, how
// many lines for key were held back since the last one logged.
func (l *LogLimiter) Allow(key string) (ok bool, suppressed int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.keys[key]
	if w == nil {
		// Keys are the fixed rejection reasons: the map stays small.
		l.keys[key] = &logWindow{last: now}
		return true, 0
	}
	if d := now.Sub(w.last); d >= l.every || d < 0 {
		n := w.suppressed
		w.last, w.suppressed = now, 0
		return true, n
	}
	w.suppressed++
	return false, 0
}
