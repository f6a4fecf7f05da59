package bot

import (
	"sync"
	"time"
)

// logLimiter lets at most one log line per key through per period and
// counts the lines it held back, so a flood of bad callbacks (a scanner, a
// misconfigured token) cannot flood the log. Metrics stay exact: only the
// log line is limited.
type logLimiter struct {
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]*logWindow
}

type logWindow struct {
	last       time.Time
	suppressed int
}

func newLogLimiter(every time.Duration, now func() time.Time) *logLimiter {
	return &logLimiter{every: every, now: now, keys: map[string]*logWindow{}}
}

// allow reports whether a line for key may be logged now and, if so, how
// many lines for key were held back since the last one logged.
func (l *logLimiter) allow(key string) (ok bool, suppressed int) {
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
