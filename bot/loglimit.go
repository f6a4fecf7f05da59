package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
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
		// Keys are fixed strings (rejection reasons, go-redis formats): the map stays small.
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

// RedisLogger routes go-redis's own log lines through slog (install it
// with redis.SetLogger): at Warn, as "redis client" with the text in
// detail, at most one line per format per period with the count held back.
// Without it go-redis prints one unstructured line to stderr per failed
// dial, that is per request while Redis is down.
type RedisLogger struct {
	log   *slog.Logger
	limit *LogLimiter
}

// NewRedisLogger returns a RedisLogger writing to log, one line per format
// per every (default 10s).
func NewRedisLogger(log *slog.Logger, every time.Duration) *RedisLogger {
	if every <= 0 {
		every = 10 * time.Second
	}
	return &RedisLogger{log: log, limit: NewLogLimiter(every, time.Now)}
}

// Printf implements go-redis v9's internal.Logging.
func (l *RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	// The formats are go-redis's fixed strings: the limiter's map stays small.
	ok, suppressed := l.limit.Allow(format)
	if !ok {
		return
	}
	attrs := []any{"detail", strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: ")}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	l.log.WarnContext(ctx, "redis client", attrs...)
}
