package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// Run starts the configured number of workers and returns when ctx is
// cancelled and every in-flight delivery has finished (a message being
// delivered completes its current part; the rest stays queued for the
// next start). Pending messages are never lost by stopping.
func (ob *Outbox) Run(ctx context.Context) error {
	if ob.o.Deliverer == nil {
		return errors.New("outbox: Run needs Options.Deliverer")
	}
	var wg sync.WaitGroup
	for i := range ob.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ob.worker(ctx, i)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		ob.housekeeping(ctx)
	}()
	ob.log.Info("outbox: started", "workers", ob.cfg.Workers)
	wg.Wait()
	ob.log.Info("outbox: stopped")
	return nil
}

// housekeeping returns expired leases to the queue and updates the depth
// gauge, at start and every ReapInterval.
func (ob *Outbox) housekeeping(ctx context.Context) {
	t := time.NewTicker(ob.o.ReapInterval)
	defer t.Stop()
	for {
		if n, err := ob.Reap(ctx); err != nil {
			if ctx.Err() == nil {
				ob.log.Warn("outbox: reaping leases failed", "err", err)
			}
		} else if n > 0 {
			// The stopped worker's part may or may not have reached WeCom.
			ob.m.ambiguous.WithLabelValues("lease").Add(float64(n))
			ob.log.Warn("outbox: re-queued messages whose worker stopped", "count", n)
			ob.signal(n)
		}
		if s, err := ob.Stats(ctx); err == nil {
			ob.m.setDepth(s)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reap returns messages whose lease expired to the ready queue.
func (ob *Outbox) Reap(ctx context.Context) (int, error) {
	return reapScript.Run(ctx, ob.rdb, []string{ob.k.lease, ob.k.owner, ob.k.ready},
		ob.clock(), 1000).Int()
}

func (ob *Outbox) signal(n int) {
	for range min(n, cap(ob.wake)) {
		select {
		case ob.wake <- struct{}{}:
		default:
		}
	}
}

func (ob *Outbox) worker(ctx context.Context, n int) {
	errDelay := ob.o.PollInterval
	var done *entry // delivered, to be finished by the next step
	var doneToken string
	for {
		claimNext := ctx.Err() == nil
		if done == nil && !claimNext {
			return
		}
		token := randomHex(8)
		// Not cancellable: a claim whose answer were lost to a cancel would
		// leave the message leased until LeaseTTL runs out.
		r, err := ob.step(context.WithoutCancel(ctx), done, doneToken, token, claimNext)
		if done != nil {
			switch {
			case err != nil:
				ob.log.Error("outbox: delivered but could not mark done (it may be delivered again)", "id", done.ID, "err", err)
			case !r.finished:
				ob.log.Error("outbox: delivered but could not mark done (it may be delivered again)", "id", done.ID, "err", errLeaseLost)
			default:
				ob.m.latency.Observe(ob.o.Now().Sub(done.Created).Seconds())
			}
			done = nil
		}
		if !claimNext {
			return
		}
		if err != nil {
			ob.log.Warn("outbox: claim failed", "worker", n, "err", err)
			ob.sleep(ctx, errDelay)
			errDelay = min(errDelay*2, 5*time.Second)
			continue
		}
		errDelay = ob.o.PollInterval
		if r.paced > 0 {
			ob.m.paced.Add(float64(r.paced))
		}
		if r.id == "" {
			if r.paced > 0 && r.wait == 0 {
				continue // more due entries behind the paced ones
			}
			d := ob.o.PollInterval
			if r.wait >= 0 && r.wait < d {
				d = max(r.wait, time.Millisecond)
			}
			ob.sleep(ctx, d)
			continue
		}
		if e := ob.process(ctx, r, token); e != nil {
			done, doneToken = e, token
		}
	}
}

// sleep waits d, or until Send wakes the workers, or ctx ends.
func (ob *Outbox) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-ob.wake:
	case <-t.C:
	}
}

// maxPacedPerStep bounds how many paced entries one step reschedules
// before it returns.
const maxPacedPerStep = 16

// stepResult is stepScript's answer.
type stepResult struct {
	finished bool          // the delivered message given to step is done
	id, body string        // the claimed message ("": none)
	wait     time.Duration // nothing claimed: time until one may be due (negative: the queue is empty)
	paced    int           // entries rescheduled by pacing
	counted  counted       // the claimed part's pacing count (no keys: not counted yet)
}

// step finishes done (if not nil; delivered under doneToken) and, if
// claimNext, leases the next due message under token and counts its next
// part against its pacing windows: one script, batched with other calls.
func (ob *Outbox) step(ctx context.Context, done *entry, doneToken, token string, claimNext bool) (stepResult, error) {
	var fid, flane string
	if done != nil {
		fid, flane = done.ID, ob.k.lane+done.Lane
	}
	claim := "0"
	if claimNext {
		claim = "1"
	}
	res, err := ob.g.run(ctx, stepScript,
		[]string{ob.k.ready, ob.k.lease, ob.k.owner, ob.k.hold, ob.k.lanes},
		fid, doneToken, flane, ob.clock(), ob.o.LeaseTTL.Milliseconds(), token,
		ob.k.msg, ob.k.lane, ob.k.rate, time.Minute.Milliseconds(),
		ob.cfg.PerUserPerMin, ob.cfg.CorpPerMin, ob.o.WebhookPerMin, maxPacedPerStep, claim).Slice()
	if err != nil {
		return stepResult{}, err
	}
	if len(res) < 6 {
		return stepResult{}, fmt.Errorf("outbox: step answered %d values", len(res))
	}
	var r stepResult
	f, _ := res[0].(int64)
	r.finished = f == 1
	r.id, _ = res[1].(string)
	ms, _ := res[2].(int64)
	r.wait = time.Duration(ms) * time.Millisecond
	r.body, _ = res[3].(string)
	p, _ := res[4].(int64)
	r.paced = int(p)
	r.counted.member, _ = res[5].(string)
	for _, k := range res[6:] {
		if s, ok := k.(string); ok {
			r.counted.keys = append(r.counted.keys, s)
		}
	}
	return r, nil
}

// process delivers a leased message part by part. It returns the entry
// when every part is delivered (the caller's next step finishes it), nil
// when the message was released, moved to the dead letters, or its lease
// was lost.
func (ob *Outbox) process(runCtx context.Context, r stepResult, token string) *entry {
	// Finish the in-flight part even when Run is being stopped.
	ctx := context.WithoutCancel(runCtx)
	id := r.id
	var e entry
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		ob.log.Error("outbox: unreadable queue entry moved to dead letters", "id", id, "err", err)
		e = entry{ID: id, LastError: "unreadable queue entry: " + err.Error(), LastCode: -3, Created: ob.o.Now()}
		ob.unpace(ctx, &e, r.counted)
		ob.toDead(ctx, &e, token)
		return nil
	}
	c := r.counted
	parts := ob.o.Deliverer.Parts(e.reply())
	for e.Next < len(parts) {
		if len(c.keys) == 0 {
			var wait time.Duration
			var err error
			c, wait, err = ob.pace(ctx, &e, token)
			if err != nil {
				ob.log.Warn("outbox: pacing failed", "id", e.ID, "err", err)
				ob.reschedule(ctx, &e, token, ob.o.PollInterval)
				return nil
			}
			if wait > 0 {
				ob.m.paced.Inc()
				ob.reschedule(ctx, &e, token, wait)
				return nil
			}
		}
		part, err := ob.markRepeat(ctx, &e, parts[e.Next])
		if err != nil {
			ob.log.Warn("outbox: repeat record unavailable, delivery postponed", "id", e.ID, "err", err)
			ob.unpace(ctx, &e, c)
			ob.reschedule(ctx, &e, token, ob.o.PollInterval)
			return nil
		}
		dctx, cancel := context.WithTimeout(ctx, ob.o.DeliverTimeout)
		err = ob.o.Deliverer.Deliver(dctx, e.To, part)
		cancel()
		if err != nil && part.Kind == reply.KindCardUpdate && errCode(err) == wecomapi.CodeResponseCodeUsed {
			// The click's response_code works once: it was used by an
			// earlier attempt of this very part (one that WeCom applied
			// but this outbox did not record: a kill or an ambiguous
			// outcome) or it has expired. Either way nothing can be
			// retried, and the card's look is all that is at stake: done.
			ob.log.Info("outbox: card update's response_code already used or expired; counted as done", "id", e.ID, "part", e.Next)
			err = nil
		}
		if err != nil {
			if !ambiguous(err) {
				// Not delivered: it does not use up the member's allowance.
				// After an ambiguous outcome it may have been, so the count
				// stays and pacing keeps under WeCom's silent per-member drop.
				ob.unpace(ctx, &e, c)
			}
			ob.failed(ctx, &e, token, err, part)
			return nil
		}
		c = counted{}
		e.Next++
		ob.m.sent.Inc()
		if ob.o.Observer != nil {
			ob.o.Observer.Sent()
		}
		if e.Next == len(parts) {
			break
		}
		if runCtx.Err() != nil { // stopping: the rest waits for the next start
			ob.reschedule(ctx, &e, token, 0)
			return nil
		}
		if !ob.save(ctx, &e, token) {
			return nil
		}
	}
	ob.unpace(ctx, &e, c) // counted but nothing was left to deliver
	return &e
}

// failed handles a delivery error: dead letter, or retry with backoff.
func (ob *Outbox) failed(ctx context.Context, e *entry, token string, err error, part reply.Reply) {
	code := errCode(err)
	ob.m.sendErrors.WithLabelValues(fmt.Sprint(code)).Inc()
	if ob.o.Observer != nil {
		ob.o.Observer.SendError(code)
	}
	// Kept in Redis and shown by `outbox list`: no credentials, whatever
	// the Deliverer put in its error (WeCom's errmsg is free text).
	msg := wecomapi.Redact(err.Error())
	e.LastError = msg
	e.LastCode = code
	if ambiguous(err) {
		ob.m.ambiguous.WithLabelValues("send").Inc()
		if ob.checked(e, part) {
			ob.log.Info("outbox: delivery outcome unknown; the resend is the same request, which WeCom's duplicate check drops if this one arrived",
				"id", e.ID, "part", e.Next, "errcode", code, "err", msg)
		} else {
			ob.log.Warn("outbox: delivery outcome unknown; this kind of message has no duplicate check, the resend may arrive twice",
				"id", e.ID, "part", e.Next, "errcode", code, "err", msg)
		}
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) && !r.Retryable() {
		ob.log.Warn("outbox: permanent delivery error, moved to dead letters", "id", e.ID, "errcode", code, "err", msg)
		ob.toDead(ctx, e, token)
		return
	}
	var rl interface{ RateLimited() bool }
	if errors.As(err, &rl) && rl.RateLimited() {
		e.Throttled++
		if e.Throttled > ob.o.MaxThrottled {
			ob.log.Warn("outbox: rate limited too often, moved to dead letters", "id", e.ID, "errcode", code)
			ob.toDead(ctx, e, token)
			return
		}
		// Everyone slows down: no worker on any replica claims for a moment.
		if herr := ob.rdb.Set(ctx, ob.k.hold, "1", ob.cfg.InitialBackoff).Err(); herr != nil {
			ob.log.Warn("outbox: setting the rate-limit pause failed", "err", herr)
		}
		ob.reschedule(ctx, e, token, ob.backoff(min(e.Throttled, 30)))
		return
	}
	e.Attempts++
	if e.Attempts >= ob.cfg.MaxAttempts {
		ob.log.Warn("outbox: delivery failed too often, moved to dead letters", "id", e.ID, "attempts", e.Attempts, "errcode", code, "err", msg)
		ob.toDead(ctx, e, token)
		return
	}
	ob.log.Info("outbox: delivery failed, will retry", "id", e.ID, "attempt", e.Attempts, "errcode", code, "err", msg)
	ob.reschedule(ctx, e, token, ob.backoff(e.Attempts))
}

// ambiguous reports an error after which the part may have been delivered
// (an HTTP 5xx or a timeout on the send itself): see wecomapi.Error.Ambiguous.
func ambiguous(err error) bool {
	var a interface{ Ambiguous() bool }
	return errors.As(err, &a) && a.Ambiguous()
}

func errCode(err error) int {
	var c interface{ ErrCode() int }
	if errors.As(err, &c) {
		return c.ErrCode()
	}
	return -2
}

// save stores progress and renews the lease; false if the lease was lost.
func (ob *Outbox) save(ctx context.Context, e *entry, token string) bool {
	body, _ := json.Marshal(e)
	ok, err := progressScript.Run(ctx, ob.rdb, []string{ob.k.lease, ob.k.owner, ob.k.msg + e.ID},
		e.ID, token, body, ob.clock(), ob.o.LeaseTTL.Milliseconds()).Int()
	if err != nil || ok == 0 {
		ob.log.Error("outbox: lost the lease while delivering parts", "id", e.ID, "err", err)
		return false
	}
	return true
}

var errLeaseLost = errors.New("lease lost: another worker has the message")

// finish ends a message: "dead" (toDead); delivered messages are finished
// by the worker's next step.
func (ob *Outbox) finish(ctx context.Context, e *entry, token, mode string, body []byte) error {
	ok, err := finishScript.Run(ctx, ob.rdb,
		[]string{ob.k.lease, ob.k.owner, ob.k.msg + e.ID, ob.k.lane + e.Lane, ob.k.ready, ob.k.dead, ob.k.lanes},
		e.ID, token, ob.clock(), mode, body).Int()
	if err != nil {
		return err
	}
	if ok == 0 {
		return errLeaseLost
	}
	return nil
}

func (ob *Outbox) toDead(ctx context.Context, e *entry, token string) {
	e.DeadAt = ob.o.Now()
	body, _ := json.Marshal(e)
	if err := ob.finish(ctx, e, token, "dead", body); err != nil {
		ob.log.Error("outbox: could not move a message to the dead letters (its lease will expire and it is retried)", "id", e.ID, "err", err)
		return
	}
	ob.m.dead.Inc()
	if err := ob.rdb.Expire(ctx, ob.k.msg+e.ID, ob.o.DeadTTL).Err(); err != nil {
		ob.log.Warn("outbox: setting the dead letter's TTL failed", "id", e.ID, "err", err)
	}
}

// reschedule puts the message back in the ready set, due after delay
// (on Redis's clock).
func (ob *Outbox) reschedule(ctx context.Context, e *entry, token string, delay time.Duration) {
	body, _ := json.Marshal(e)
	ok, err := releaseScript.Run(ctx, ob.rdb, []string{ob.k.lease, ob.k.owner, ob.k.msg + e.ID, ob.k.ready},
		e.ID, token, body, ob.clock(), delay.Milliseconds()).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		ob.log.Error("outbox: could not release a message (its lease will expire and it is retried)", "id", e.ID, "err", err)
		return
	}
	if ok == 0 {
		ob.log.Warn("outbox: lease lost before release", "id", e.ID)
	}
}
