// Package bot is the channel layer: the WeCom self-built app channel
// (callback HTTP → envelope → typed message → handlers → outbox) and the
// local console channel. Both feed the same handlers (package handlers).
package bot

import (
	"context"
	"strconv"
	"strings"

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

// String describes the recipient for people (CLI output, admin lists), e.g.
// "成员 zhangsan、lisi；标签 7". A group robot's key is secret-like and never
// printed.
func (r Recipient) String() string {
	var parts []string
	if len(r.Users) > 0 {
		parts = append(parts, "成员 "+strings.Join(r.Users, "、"))
	}
	if len(r.Departments) > 0 {
		parts = append(parts, "部门 "+joinInts(r.Departments))
	}
	if len(r.Tags) > 0 {
		parts = append(parts, "标签 "+joinInts(r.Tags))
	}
	if r.Webhook != "" {
		parts = append(parts, "群机器人")
	}
	return strings.Join(parts, "；")
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "、")
}
