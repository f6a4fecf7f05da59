package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/changzhi-amr/choucha/reply"
)

// panicMessage is what the user sees when a handler panics.
const panicMessage = "抱歉，处理您的问题时出了点故障，已记录并通知管理员。请稍后再试，或换个问法。"

// Recover turns a panic in next into a polite reply and an slog error with
// the stack; the process keeps running.
func Recover(log *slog.Logger, route string) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, req *Request) (rep reply.Reply, err error) {
			defer func() {
				if v := recover(); v != nil {
					log.ErrorContext(ctx, "handler panic", "route", route, "user", req.UserID,
						"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
					rep, err = reply.Text(panicMessage), nil
				}
			}()
			return next(ctx, req)
		}
	}
}

// Errors turns an error from next into a reply: an *Error shows its
// Chinese message, any other error a generic message and is logged with
// detail. A cancelled context stays an error (there is nobody to answer).
func Errors(log *slog.Logger, route string) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, req *Request) (reply.Reply, error) {
			rep, err := next(ctx, req)
			if err == nil {
				return rep, nil
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return reply.Reply{}, err
			}
			var e *Error
			if errors.As(err, &e) {
				log.InfoContext(ctx, "handler refused", "route", route, "user", req.UserID, "code", e.Code, "err", err)
			} else {
				log.ErrorContext(ctx, "handler failed", "route", route, "user", req.UserID, "err", err)
			}
			return reply.Text(UserMessage(err)), nil
		}
	}
}

// Logging logs each handled request at debug level: route, user, channel,
// duration, and the message text. A line per message at info level cost
// about 4% of the CPU on the accept path; Tally keeps a periodic summary
// at info level instead.
func Logging(log *slog.Logger, route string) Middleware { return logging(log, route, nil) }

func logging(log *slog.Logger, route string, tally *Tally) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, req *Request) (reply.Reply, error) {
			start := time.Now()
			rep, err := next(ctx, req)
			took := time.Since(start)
			tally.add(route, took, err)
			if log.Enabled(ctx, slog.LevelDebug) {
				log.DebugContext(ctx, "handled", "route", route, "user", req.UserID, "channel", req.Channel,
					"text", req.Text, "reply_bytes", len(rep.Text), "took", took, "err", err)
			}
			return rep, err
		}
	}
}
