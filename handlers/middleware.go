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

// Logging logs each handled request: route, user, channel, duration. The
// message text is logged at debug level only.
func Logging(log *slog.Logger, route string) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, req *Request) (reply.Reply, error) {
			start := time.Now()
			rep, err := next(ctx, req)
			if log.Enabled(ctx, slog.LevelDebug) {
				log.DebugContext(ctx, "message", "route", route, "user", req.UserID, "text", req.Text)
			}
			log.InfoContext(ctx, "handled", "route", route, "user", req.UserID, "channel", req.Channel,
				"reply_bytes", len(rep.Text), "took", time.Since(start), "err", err)
			return rep, err
		}
	}
}
