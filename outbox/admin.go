package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/reply"
	"github.com/redis/go-redis/v9"
)

// Stats counts the queue.
type Stats struct {
	Queued    int64 // every message not yet delivered and not dead
	Due       int64 // ready to deliver now
	Scheduled int64 // waiting for a retry, pacing or rate-limit delay
	InFlight  int64 // being delivered by a worker
	Dead      int64 // dead letters
	// The rest of Queued waits behind an earlier message to the same recipient.
}

// Pending is every message not yet delivered and not dead.
func (s Stats) Pending() int64 { return s.Queued }

// Stats reads the queue counts.
func (ob *Outbox) Stats(ctx context.Context) (Stats, error) {
	t, err := ob.queueNow(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("outbox: stats: %w", err)
	}
	now := strconv.FormatInt(t.UnixMilli(), 10)
	pipe := ob.rdb.Pipeline()
	due := pipe.ZCount(ctx, ob.k.ready, "-inf", now)
	later := pipe.ZCount(ctx, ob.k.ready, "("+now, "+inf")
	inflight := pipe.ZCard(ctx, ob.k.lease)
	queued := pipe.HLen(ctx, ob.k.lanes)
	dead := pipe.ZCard(ctx, ob.k.dead)
	if _, err := pipe.Exec(ctx); err != nil {
		return Stats{}, fmt.Errorf("outbox: stats: %w", err)
	}
	return Stats{Queued: queued.Val(), Due: due.Val(), Scheduled: later.Val(), InFlight: inflight.Val(), Dead: dead.Val()}, nil
}

// DeadLetter is a message that could not be delivered.
type DeadLetter struct {
	ID        string
	To        reply.Recipient
	Reply     reply.Reply
	Delivered int // parts delivered before it failed
	Attempts  int
	Throttled int
	LastError string
	LastCode  int
	Created   time.Time
	DeadAt    time.Time
}

// DeadLetters lists the dead letters, oldest first.
func (ob *Outbox) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	ids, err := ob.rdb.ZRange(ctx, ob.k.dead, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("outbox: list dead letters: %w", err)
	}
	var out []DeadLetter
	for _, id := range ids {
		e, err := ob.load(ctx, id)
		if errors.Is(err, redis.Nil) { // expired after DeadTTL
			ob.rdb.ZRem(ctx, ob.k.dead, id)
			continue
		}
		if err != nil {
			out = append(out, DeadLetter{ID: id, LastError: err.Error()})
			continue
		}
		out = append(out, DeadLetter{
			ID: e.ID, To: e.To, Reply: e.reply(), Delivered: e.Next,
			Attempts: e.Attempts, Throttled: e.Throttled, LastError: e.LastError, LastCode: e.LastCode,
			Created: e.Created, DeadAt: e.DeadAt,
		})
	}
	return out, nil
}

// List returns the queue counts and the dead letters.
func (ob *Outbox) List(ctx context.Context) (Stats, []DeadLetter, error) {
	dead, err := ob.DeadLetters(ctx)
	if err != nil {
		return Stats{}, nil, err
	}
	s, err := ob.Stats(ctx)
	return s, dead, err
}

func (ob *Outbox) load(ctx context.Context, id string) (entry, error) {
	raw, err := ob.rdb.Get(ctx, ob.k.msg+id).Bytes()
	if err != nil {
		return entry{}, err
	}
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return entry{}, fmt.Errorf("outbox: message %q: unreadable entry: %w", id, err)
	}
	if e.ID == "" {
		e.ID = id
	}
	return e, nil
}

// ErrNotDead is returned by Retry for an id that is not a dead letter.
var ErrNotDead = errors.New("outbox: no such dead letter")

// Retry re-queues one dead letter for delivery now, with its attempt
// counts reset; parts already delivered are not sent again.
func (ob *Outbox) Retry(ctx context.Context, id string) error {
	e, err := ob.load(ctx, id)
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("%w: %q", ErrNotDead, id)
	}
	if err != nil {
		return err
	}
	e.Attempts, e.Throttled = 0, 0
	e.DeadAt = time.Time{}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("outbox: encode %q: %w", id, err)
	}
	if e.Lane == "" {
		e.Lane = laneOf(e.To)
	}
	ok, err := requeueScript.Run(ctx, ob.rdb, []string{ob.k.dead, ob.k.msg + id, ob.k.ready, ob.k.lane + e.Lane, ob.k.lanes},
		id, body, ob.clock()).Int()
	if err != nil {
		return fmt.Errorf("outbox: retry %q: %w", id, err)
	}
	if ok == 0 {
		return fmt.Errorf("%w: %q", ErrNotDead, id)
	}
	ob.signal(1)
	return nil
}

// RetryAll re-queues every dead letter and returns how many.
func (ob *Outbox) RetryAll(ctx context.Context) (int, error) {
	ids, err := ob.rdb.ZRange(ctx, ob.k.dead, 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("outbox: list dead letters: %w", err)
	}
	n := 0
	for _, id := range ids {
		switch err := ob.Retry(ctx, id); {
		case err == nil:
			n++
		case errors.Is(err, ErrNotDead): // expired or retried concurrently
		default:
			return n, err
		}
	}
	return n, nil
}

// PrintDeadLetters writes the queue counts and every dead letter, for
// admins (`outbox list`).
func (ob *Outbox) PrintDeadLetters(ctx context.Context, w io.Writer) error {
	s, dead, err := ob.List(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "待发送 %d 条（可立即发送 %d，等待重试或限速 %d，发送中 %d，排在同一收件人之后 %d）；发送失败 %d 条。\n",
		s.Queued, s.Due, s.Scheduled, s.InFlight, max(0, s.Queued-s.Due-s.Scheduled-s.InFlight), len(dead))
	loc := time.Local
	for i, d := range dead {
		fmt.Fprintf(w, "\n%d. ID：%s\n   收件人：%s\n   创建：%s  失败：%s\n   尝试 %d 次（限流 %d 次），已发送 %d 段\n   最后错误：%s\n   内容：%s\n",
			i+1, d.ID, d.To.String(),
			d.Created.In(loc).Format("2006-01-02 15:04:05"), d.DeadAt.In(loc).Format("2006-01-02 15:04:05"),
			d.Attempts, d.Throttled, d.Delivered, d.LastError, preview(d.Reply, 60))
	}
	if len(dead) > 0 {
		fmt.Fprintln(w, "\n重新发送：outbox retry <ID> 或 outbox retry --all")
	}
	return nil
}

// RunCommand runs the admin subcommand in args: "list", "retry <id>" or
// "retry --all", writing its output to w (the lead wires it as
// `go run . outbox list|retry [id|--all]`).
func (ob *Outbox) RunCommand(ctx context.Context, args []string, w io.Writer) error {
	const usage = "用法：outbox list | outbox retry <ID> | outbox retry --all"
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "list":
		if len(args) != 1 {
			return errors.New(usage)
		}
		return ob.PrintDeadLetters(ctx, w)
	case "retry":
		if len(args) != 2 {
			return errors.New(usage)
		}
		if args[1] == "--all" {
			n, err := ob.RetryAll(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "已重新排队 %d 条失败消息。\n", n)
			return nil
		}
		if err := ob.Retry(ctx, args[1]); err != nil {
			if errors.Is(err, ErrNotDead) {
				return fmt.Errorf("没有 ID 为 %q 的失败消息（用 outbox list 查看）", args[1])
			}
			return err
		}
		fmt.Fprintf(w, "已重新排队：%s\n", args[1])
		return nil
	}
	return errors.New(usage)
}

// preview is the start of a reply's text (a card's title, a file's name).
func preview(r reply.Reply, runes int) string {
	s := r.Text
	switch {
	case r.Card != nil:
		s = "[卡片] " + r.Card.Title
	case r.File != nil:
		s = "[文件] " + r.File.Name
	case r.Update != nil:
		s = "[卡片更新] " + r.Update.ReplaceName
	}
	s = strings.ReplaceAll(s, "\n", " ")
	if rs := []rune(s); len(rs) > runes {
		return string(rs[:runes]) + "…"
	}
	return s
}
