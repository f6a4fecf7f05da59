package outbox

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/reply"
	storekeys "github.com/changzhi-amr/choucha/store/keys"
)

// Exactly once at the WeCom edge.
//
// A message/send whose outcome is unknown — HTTP 500 or a timeout after
// WeCom may have delivered it, a worker killed between WeCom's answer and
// the outbox recording it, a lease taken over — must be sent again (it may
// not have arrived), and must not reach the user twice (it may have). The
// outbox cannot tell the two apart; WeCom can. Every app message goes out
// with WeCom's duplicate check on (wecomapi.Config.DuplicateCheck: 4 hours,
// WeCom's most): WeCom drops a message whose request JSON reached the same
// recipients within the interval. A resend of a part is byte-for-byte the
// same request, so whichever copy arrived first is the only one the user
// sees. The check is on for every attempt, the first included, because
// WeCom only documents it as comparing against what it delivered with the
// check on; turning it on only for a resend might compare against nothing.
//
// The cost: two distinct messages with the same content to the same
// recipients within the window — a user asking the same question twice in
// a morning — would lose the second to the check. So the outbox keeps, per
// recipient lane and content digest, which parts sent that content and the
// repeat number each got (keys.OutboxSent, on Redis's clock, kept the
// window plus the delivery timeout). A part of another message with the
// same content gets the next number and, from the second on, a visible
// note ("（与您近期收到的消息内容相同，第2条）"): the request differs, WeCom
// delivers it, and the user is told plainly why the same answer came
// again. A resend of a part finds its own number and sends exactly the same
// request as before. wecomapi.Parts leaves room for the note in each part.
//
// Not covered: group robots (webhook/send has no duplicate check: a
// resend after an ambiguous outcome can still arrive twice), files (each
// attempt uploads the file again, so the media_id and the request differ),
// card updates (a response_code works once: the resend fails harmlessly),
// and a dead letter re-queued by an admin after the window has passed.
// Template cards carry their own task_id, unique per card, so distinct
// cards never collide and a card's resend is the same request.

// repeatScript claims the repeat number of one part's content. KEYS[1]:
// the lane's record for the content digest (a hash: owner → "n:expiry").
// ARGV: owner ("<id>:<part>"), clock, ttl(ms). Returns {n, resend}: the
// owner's own number when it holds a live one (resend 1: this part was
// attempted before), else the lowest number no live owner holds. Expired
// owners are dropped; the key lives as long as its newest owner.
var repeatScript = redis.NewScript(clockLua + `
local now = clock(ARGV[2])
local ttl = tonumber(ARGV[3])
local mine = redis.call('HGET', KEYS[1], ARGV[1])
if mine then
  local n, exp = string.match(mine, '^(%d+):(%d+)$')
  if n and tonumber(exp) > now then
    redis.call('HSET', KEYS[1], ARGV[1], n .. ':' .. (now + ttl))
    redis.call('PEXPIRE', KEYS[1], ttl)
    return {tonumber(n), 1}
  end
end
local used = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local n, exp = string.match(all[i + 1], '^(%d+):(%d+)$')
  if n and tonumber(exp) > now and all[i] ~= ARGV[1] then
    used[tonumber(n)] = true
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
local n = 0
while used[n] do n = n + 1 end
redis.call('HSET', KEYS[1], ARGV[1], n .. ':' .. (now + ttl))
redis.call('PEXPIRE', KEYS[1], ttl)
return {n, 0}`)

// duplicateWindower is implemented by a Deliverer whose platform drops
// repeats of a request within a window (wecomapi.Client: WeCom's duplicate
// check on message/send). 0: no such check.
type duplicateWindower interface {
	DuplicateWindow() time.Duration
}

// RepeatNote is the note a repeat of recent content gets: n is its
// 0-based repeat number (0 gets none). Each number's note differs, so the
// request does too.
func RepeatNote(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf("\n\n（与您近期收到的消息内容相同，第%d条）", n+1)
}

// dupWindow is the Deliverer's duplicate window (0: none).
func (ob *Outbox) dupWindow() time.Duration {
	if w, ok := ob.o.Deliverer.(duplicateWindower); ok {
		return w.DuplicateWindow()
	}
	return 0
}

// checked reports whether part, to e's recipients, goes through a send
// the platform deduplicates (app text or markdown; group robots have no
// duplicate check, cards have their own task_id, files a new media_id).
func (ob *Outbox) checked(e *entry, part reply.Reply) bool {
	if e.To.Webhook != "" || ob.dupWindow() <= 0 {
		return false
	}
	return part.Kind == reply.KindText || part.Kind == reply.KindMarkdown || part.Kind == ""
}

// markRepeat returns part as it must be sent: unchanged for the first of
// its content to this lane within the window and for every resend of the
// same part, with RepeatNote for a later distinct message of the same
// content. An error means the record could not be read: the part must not
// be sent now (it might collide with, or duplicate, an earlier one).
func (ob *Outbox) markRepeat(ctx context.Context, e *entry, part reply.Reply) (reply.Reply, error) {
	if !ob.checked(e, part) {
		return part, nil
	}
	lane := e.Lane
	if lane == "" {
		lane = laneOf(e.To)
	}
	digest := hashHex(string(part.Kind) + "\x00" + part.Text)
	// The record outlives WeCom's window: it starts before the send and
	// WeCom's when it delivers, at most DeliverTimeout later.
	ttl := ob.dupWindow() + ob.o.DeliverTimeout + time.Minute
	owner := e.ID + ":" + strconv.Itoa(e.Next)
	// Group-committed with the other workers' scripts (one round trip per batch).
	res, err := ob.g.run(ctx, repeatScript, []string{storekeys.New(ob.o.Prefix).OutboxSent(lane, digest)},
		owner, ob.clock(), ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return part, fmt.Errorf("outbox: repeat record: %w", err)
	}
	if len(res) != 2 {
		return part, fmt.Errorf("outbox: repeat record answered %d values", len(res))
	}
	n, resend := int(res[0]), res[1] == 1
	if resend {
		ob.m.resends.Inc()
	} else if n > 0 {
		ob.m.repeats.Inc()
		ob.log.Info("outbox: content repeats a recent message to the same recipient; sent with a note", "id", e.ID, "part", e.Next, "repeat", n+1)
	}
	part.Text += RepeatNote(n)
	return part, nil
}
