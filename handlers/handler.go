// Package handlers turns a user's message into a reply. It is channel-neutral:
// the console and the WeCom channel (package bot) both build a Request and
// deliver the Reply. Every command and intent is registered in one ordered
// table in routes.go.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/changzhi-amr/choucha/reply"
)

// Kind is what sort of message a Request carries.
type Kind string

const (
	KindText     Kind = "text"
	KindImage    Kind = "image"
	KindFile     Kind = "file"
	KindVoice    Kind = "voice"
	KindLocation Kind = "location"
	KindEvent    Kind = "event"
)

// Request is one incoming message, independent of the channel it came from.
type Request struct {
	Channel string    // "console", "wecom"
	UserID  string    // WeCom userid (FromUserName); "console" on the console
	Kind    Kind      // text, image, event, ...
	Text    string    // the text as the user typed it (KindText)
	Event   string    // event name for KindEvent, e.g. "enter_agent", "template_card_event"
	Key     string    // EventKey of a card button, MediaId of an image/file, ...
	Now     time.Time // the time the message is handled at, in the bot's zone
	// Sections are the plan departments/sections the user belongs to
	// (resolved from the WeCom address book by the channel; may be empty).
	Sections []string
	// Admin is true when the user is listed as an admin in the config.
	Admin bool
}

// Handler answers one request.
type Handler func(ctx context.Context, req *Request) (reply.Reply, error)

// Middleware wraps a Handler.
type Middleware func(Handler) Handler

// Error is an application error: Message is Simplified Chinese and safe to
// show the user; Code is stable for logs and tests. Internal errors (anything
// that is not an *Error) are logged with detail and shown as a generic message.
type Error struct {
	Code    string
	Message string
	Err     error // optional cause, logged, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// UserMessage is what the user sees for err.
func UserMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "抱歉，处理您的消息时出现内部错误，请稍后再试。如问题持续，请联系管理员。"
}
