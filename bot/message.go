// Package bot is the channel layer, and knows no platform: a channel turns
// what a platform delivers into a neutral Message, and bot dedupes it,
// keeps it durably in the inbox until it is answered, and hands it to the
// per-user ordered Dispatcher, which asks the handlers and queues the reply
// through a reply.Sender. The console channel lives here too. Platforms are
// sub-packages: bot/wecom is the WeCom self-built app's callback. The HTTP
// server the channels mount on is package httpserver.
package bot

import (
	"time"

	"github.com/changzhi-amr/choucha/handlers"
)

// Message is one accepted inbound message or event, whatever its channel.
type Message struct {
	// ID identifies the message across the platform's retries; the dedupe
	// key, the inbox entry and the answer's outbox id derive from it. It
	// must be unique across channels (a channel prefixes its own ids).
	ID string `json:"id"`
	// Type is the metrics label: the message type, or "event:<name>".
	Type string `json:"type"`
	// Request is what the handlers see; Now, Sections and Admin are filled
	// in when the message is handled.
	Request handlers.Request `json:"request"`

	// Set on messages recovered from the inbox (not stored).
	recovered  bool
	acceptedAt time.Time
}

// UserID is the sender.
func (m *Message) UserID() string { return m.Request.UserID }

// IsEnter reports whether the message is the user opening the app (the
// welcome is gated on it).
func (m *Message) IsEnter() bool {
	return m.Request.Kind == handlers.KindEvent && m.Request.Event == handlers.EventEnter
}
