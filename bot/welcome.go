package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/redis/go-redis/v9"
)

// WelcomeGate lets one enter_agent per user per calendar day (in the bot's
// zone) through to the handler: WeCom sends enter_agent every time a user
// opens the app, and the welcome and help on every open is noise.
//
// Key: keys.Welcomed(<YYYY-MM-DD>, <userid>) = the dedupe id of the
// event that got the welcome, expiring at the next midnight. Storing the id
// makes the check idempotent: the same event dispatched again (recovered
// from the inbox after a crash) is still let through, and the outbox's
// idempotency sends its answer once.
type WelcomeGate struct {
	rdb    redis.UniversalClient
	prefix string
	loc    *time.Location
	now    func() time.Time
}

// NewWelcomeGate builds the gate. loc is the bot's zone (nil: Local); now
// defaults to time.Now.
func NewWelcomeGate(rdb redis.UniversalClient, prefix string, loc *time.Location, now func() time.Time) *WelcomeGate {
	if loc == nil {
		loc = time.Local
	}
	if now == nil {
		now = time.Now
	}
	return &WelcomeGate{rdb: rdb, prefix: prefix, loc: loc, now: now}
}

// First reports whether the event id is the user's first enter_agent today
// (or is that first event again).
func (g *WelcomeGate) First(ctx context.Context, userid, id string) (bool, error) {
	now := g.now().In(g.loc)
	y, mo, d := now.Date()
	midnight := time.Date(y, mo, d+1, 0, 0, 0, 0, g.loc)
	key := keys.New(g.prefix).Welcomed(now.Format(time.DateOnly), userid)
	// SET NX GET: sets and returns nil when free, else returns the holder.
	// A TTL, not EXAT: relative to our clock, whatever Redis's clock says.
	prev, err := g.rdb.SetArgs(ctx, key, id, redis.SetArgs{Mode: "NX", Get: true, TTL: midnight.Sub(now)}).Result()
	if errors.Is(err, redis.Nil) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("welcome gate: %w", err)
	}
	return prev == id, nil
}
