// Package bot is the channel layer: the WeCom self-built app channel
// (callback HTTP → envelope → typed message → handlers → outbox) and the
// local console channel. Both feed the same handlers (package handlers).
package bot

import (
	"context"

	"github.com/changzhi-amr/choucha/handlers"
)

// Recipient is where a message goes. At least one field must be set.
type Recipient struct {
	Users       []string // WeCom userids (touser)
	Departments []int    // WeCom department ids (toparty)
	Tags        []int    // WeCom tag ids (totag)
	Webhook     string   // group robot webhook key (sent to the robot instead)
}

// Message is one outgoing message.
type Message struct {
	// ID makes sending idempotent: a second Send with the same non-empty ID
	// is a no-op (reminders use their identity, answers the inbound MsgId).
	ID    string
	To    Recipient
	Reply handlers.Reply
}

// Sender delivers messages. Handlers and the scheduler depend on this
// interface; the WeCom implementation queues into the durable outbox.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}
