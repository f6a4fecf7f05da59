// Package reply is what the bot sends: a typed reply body (text, markdown,
// an option card, a card update, a file), the recipient, the outgoing
// message and the Sender interface that handlers, the scheduler and the
// channels depend on. It is a leaf: it knows no platform and no store. Each
// channel renders a Reply for its medium (WeCom's markdown and
// template_card, the terminal's plain text), and splitting to a platform's
// size limits happens where the message is delivered.
package reply

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind is the type of a reply body.
type Kind string

const (
	KindText       Kind = "text"
	KindMarkdown   Kind = "markdown" // WeCom's markdown subset: ## headings, **bold**, > quotes, <font color>
	KindCard       Kind = "card"     // a question with options (WeCom template_card)
	KindCardUpdate Kind = "card_update"
	KindFile       Kind = "file"
)

// Reply is one answer or notice. The zero Reply means "no answer".
type Reply struct {
	Kind   Kind        `json:"kind,omitempty"`
	Text   string      `json:"text,omitempty"`   // KindText, KindMarkdown; the caption of a file
	Card   *Card       `json:"card,omitempty"`   // KindCard
	Update *CardUpdate `json:"update,omitempty"` // KindCardUpdate
	File   *File       `json:"file,omitempty"`   // KindFile
	// More are replies sent after this one, in order, as one answer (a
	// question answered in the middle of a dialog, then the dialog's prompt).
	More []Reply `json:"more,omitempty"`
}

// Then returns r followed by next (either may be zero).
func (r Reply) Then(next Reply) Reply {
	switch {
	case next.IsZero():
		return r
	case r.IsZero():
		return next
	}
	r.More = append(append([]Reply(nil), r.More...), next)
	return r
}

// Flatten lists r and everything in its More, in order, without More.
func (r Reply) Flatten() []Reply {
	var out []Reply
	var walk func(Reply)
	walk = func(x Reply) {
		more := x.More
		x.More = nil
		if !x.selfZero() {
			out = append(out, x)
		}
		for _, m := range more {
			walk(m)
		}
	}
	walk(r)
	return out
}

// Text builds a plain-text reply.
func Text(s string) Reply { return Reply{Kind: KindText, Text: s} }

// Markdown builds a markdown reply.
func Markdown(s string) Reply { return Reply{Kind: KindMarkdown, Text: s} }

// IsZero reports whether r is no answer at all.
func (r Reply) IsZero() bool {
	if !r.selfZero() {
		return false
	}
	for _, m := range r.More {
		if !m.IsZero() {
			return false
		}
	}
	return true
}

// selfZero reports whether r itself, without More, is empty.
func (r Reply) selfZero() bool {
	switch r.Kind {
	case KindCard:
		return r.Card == nil
	case KindCardUpdate:
		return r.Update == nil
	case KindFile:
		return r.File == nil
	}
	return strings.TrimSpace(r.Text) == ""
}

// Card asks the user to choose: buttons for one choice, a multi-select for
// several. Channels without cards render it as numbered text (Numbered),
// and the answer comes back typed ("1", "1 3") or as a card event.
type Card struct {
	// TaskID identifies the card (WeCom task_id: letters, digits, _-@, at
	// most 128 bytes, unique per app); events of its buttons carry it.
	TaskID      string   `json:"task_id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Options     []Option `json:"options"`
	Multiple    bool     `json:"multiple,omitempty"` // several may be chosen
	// Hint is the line under the numbered form, e.g. "回复序号选择，发送“取消”退出".
	Hint string `json:"hint,omitempty"`
}

// Option is one choice of a card.
type Option struct {
	Key  string `json:"key"`  // sent back in the card event (EventKey / OptionId)
	Text string `json:"text"` // the button's label
}

// Numbered renders the card as numbered plain text, the form every channel
// understands.
func (c *Card) Numbered() string {
	var b strings.Builder
	b.WriteString(c.Title)
	if c.Description != "" {
		b.WriteString("\n")
		b.WriteString(c.Description)
	}
	for i, o := range c.Options {
		b.WriteString("\n")
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(o.Text)
	}
	if c.Hint != "" {
		b.WriteString("\n")
		b.WriteString(c.Hint)
	}
	return b.String()
}

// CardUpdate changes a card the user clicked so it shows the choice made
// (WeCom message/update_template_card with the click's response code).
type CardUpdate struct {
	ResponseCode string `json:"response_code"`
	ReplaceName  string `json:"replace_name"` // e.g. "已选择：实地检查"
}

// File is a document sent to the user (an export). Data is kept with the
// message until it is delivered, so keep files small (exports are KBs).
type File struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// Recipient is where a message goes. At least one field must be set.
type Recipient struct {
	Users       []string `json:"Users,omitempty"`       // WeCom userids (touser)
	Departments []int    `json:"Departments,omitempty"` // WeCom department ids (toparty)
	Tags        []int    `json:"Tags,omitempty"`        // WeCom tag ids (totag)
	Webhook     string   `json:"Webhook,omitempty"`     // group robot webhook key (sent to the robot instead)
}

// User is a recipient of one member.
func User(userid string) Recipient { return Recipient{Users: []string{userid}} }

// Empty reports whether r names nobody.
func (r Recipient) Empty() bool {
	return len(r.Users) == 0 && len(r.Departments) == 0 && len(r.Tags) == 0 && r.Webhook == ""
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

// Message is one outgoing message.
type Message struct {
	// ID makes sending idempotent: a second Send with the same non-empty ID
	// is a no-op (reminders use their identity, answers the inbound id).
	ID    string
	To    Recipient
	Reply Reply
}

// Sender delivers messages. Handlers, the scheduler and the channels depend
// on this interface; in production the durable outbox implements it.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

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
