// Package handlers turns a user's message into a reply. It is channel-neutral:
// the console and the WeCom channel (package bot) both build a Request and
// deliver the Reply. Every command and intent is registered in one ordered
// table in routes.go.
package handlers

import (
	"context"
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
	KindVideo    Kind = "video"
	KindLocation Kind = "location"
	KindLink     Kind = "link"
	KindEvent    Kind = "event"
)

// Events the handlers know by name (Request.Event).
const (
	EventEnter = "enter_agent"         // the user opened the app
	EventCard  = "template_card_event" // a card's button or selection was submitted
	EventClick = "click"               // a menu button
)

// Request is one incoming message, independent of the channel it came from.
type Request struct {
	Channel string `json:"channel"` // "console", "wecom"
	UserID  string `json:"user"`    // WeCom userid; "console" on the console
	// MsgID is the channel's id of the message (stable across the
	// platform's retries and inbox recovery): a dialog step records it so a
	// message handled twice advances the dialog once.
	MsgID string `json:"msg_id"`
	Kind  Kind   `json:"kind"`           // text, image, event, ...
	Text  string `json:"text,omitempty"` // what the user typed (KindText); a location's label; a link's URL
	Event string `json:"event,omitempty"`
	// Card is set for EventCard and EventClick.
	Card *CardEvent `json:"card,omitempty"`
	// Media is set for images, files, voice and video.
	Media *Media `json:"media,omitempty"`
	// Location is set for KindLocation.
	Location *Location `json:"location,omitempty"`

	Now time.Time `json:"-"` // the time the message is handled at, in the bot's zone
	// Sections are the plan departments/sections the user belongs to
	// (resolved from the address book by the channel; may be empty).
	Sections []string `json:"-"`
	// Admin is true when the user is listed as an admin in the config.
	Admin bool `json:"-"`
	// Leader is true when the address book marks the user as a leader of
	// one of their departments (a department head).
	Leader bool `json:"-"`
}

// CardEvent is a click on a card (or a menu button).
type CardEvent struct {
	Key          string      `json:"key,omitempty"`           // the button's key (EventKey)
	TaskID       string      `json:"task_id,omitempty"`       // the card's id (reply.Card.TaskID)
	CardType     string      `json:"card_type,omitempty"`     // button_interaction, vote_interaction, ...
	ResponseCode string      `json:"response_code,omitempty"` // updates the card once, within 72 hours
	Selected     []Selection `json:"selected,omitempty"`      // answers of selection cards
}

// Selection is the options chosen for one question of a card.
type Selection struct {
	QuestionKey string   `json:"question_key"`
	OptionIDs   []string `json:"option_ids"`
}

// Media is an image, file, voice or video the user sent; the channel can
// fetch its bytes by ID (WeCom media/get, valid three days).
type Media struct {
	ID       string `json:"id"`
	FileName string `json:"file_name,omitempty"` // files
	Format   string `json:"format,omitempty"`    // voice: amr, speex
	URL      string `json:"url,omitempty"`       // images: PicUrl
}

// Location is a location the user shared.
type Location struct {
	Lat   string `json:"lat"`
	Lng   string `json:"lng"`
	Label string `json:"label,omitempty"`
}

// IsText reports whether the request is a text message.
func (r *Request) IsText() bool { return r.Kind == KindText || r.Kind == "" }

// Handler answers one request.
type Handler func(ctx context.Context, req *Request) (reply.Reply, error)

// Middleware wraps a Handler.
type Middleware func(Handler) Handler

// Error is the application error (reply.Error): its Message is shown to
// the user, its Code logged.
type Error = reply.Error

// Errorf returns an *Error with a user-facing message.
var Errorf = reply.Errorf

// UserMessage is what the user sees for err.
var UserMessage = reply.UserMessage
