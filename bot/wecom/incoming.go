package wecom

import (
	"encoding/xml"
	"fmt"
	"strconv"

	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/handlers"
)

// Message types and events the channel knows by name (MsgType / Event).
const (
	MsgText     = "text"
	MsgImage    = "image"
	MsgVoice    = "voice"
	MsgVideo    = "video"
	MsgFile     = "file"
	MsgLocation = "location"
	MsgLink     = "link"
	MsgEvent    = "event"

	EventEnterAgent        = "enter_agent"
	EventTemplateCardEvent = "template_card_event"
	EventClick             = "click"
	EventSubscribe         = "subscribe"
	EventChangeContact     = "change_contact"
)

// Incoming is one decrypted callback message or event (the inner XML).
// One struct with every field keeps parsing to a single encoding/xml pass;
// which fields are set depends on MsgType and Event.
type Incoming struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`   // the CorpID
	FromUserName string   `xml:"FromUserName"` // the sender's userid
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	MsgID        string   `xml:"MsgId"` // messages only; 64-bit, kept as text
	AgentID      string   `xml:"AgentID"`

	Content string `xml:"Content"` // text

	MediaID      string `xml:"MediaId"` // image, voice, video, file
	PicURL       string `xml:"PicUrl"`  // image, link
	Format       string `xml:"Format"`  // voice: amr, speex
	ThumbMediaID string `xml:"ThumbMediaId"`
	FileName     string `xml:"FileName"`

	LocationX string `xml:"Location_X"` // location: latitude
	LocationY string `xml:"Location_Y"` // location: longitude
	Scale     string `xml:"Scale"`
	Label     string `xml:"Label"`

	Title       string `xml:"Title"` // link
	Description string `xml:"Description"`
	URL         string `xml:"Url"`

	Event    string `xml:"Event"`
	EventKey string `xml:"EventKey"`

	// template_card_event
	TaskID        string         `xml:"TaskId"`
	CardType      string         `xml:"CardType"`
	ResponseCode  string         `xml:"ResponseCode"`
	SelectedItems []SelectedItem `xml:"SelectedItems>SelectedItem"`

	// change_contact
	ChangeType string `xml:"ChangeType"`
	UserID     string `xml:"UserID"`
}

// SelectedItem is one answered question of a template card.
type SelectedItem struct {
	QuestionKey string   `xml:"QuestionKey"`
	OptionIDs   []string `xml:"OptionIds>OptionId"`
}

// ParseIncoming parses a decrypted message. It rejects messages without a
// sender or a type, and non-event messages without a MsgId.
func ParseIncoming(plain []byte) (*Incoming, error) {
	m, ok := scanIncoming(plain)
	if !ok {
		m = Incoming{}
		if err := xml.Unmarshal(plain, &m); err != nil {
			return nil, fmt.Errorf("wecom message: %w", err)
		}
	}
	switch {
	case m.FromUserName == "":
		return nil, fmt.Errorf("wecom message: FromUserName is empty")
	case m.MsgType == "":
		return nil, fmt.Errorf("wecom message: MsgType is empty")
	case m.MsgType == MsgEvent && m.Event == "":
		return nil, fmt.Errorf("wecom message: event without Event")
	}
	return &m, nil
}

// IsEvent reports whether m is an event (no MsgId).
func (m *Incoming) IsEvent() bool { return m.MsgType == MsgEvent }

// TypeLabel is the metrics label: the MsgType, or "event:"+Event.
func (m *Incoming) TypeLabel() string {
	if m.IsEvent() {
		return "event:" + m.Event
	}
	return m.MsgType
}

// DedupeID identifies the message across WeCom's retries: the MsgId for
// messages; FromUserName+CreateTime+Event(+EventKey) for events, which have
// no MsgId.
func (m *Incoming) DedupeID() string {
	if !m.IsEvent() && m.MsgID != "" {
		return "msg:" + m.MsgID
	}
	id := "evt:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.MsgType + ":" + m.Event
	if m.EventKey != "" {
		id += ":" + m.EventKey
	}
	if m.TaskID != "" {
		id += ":" + m.TaskID
	}
	return id
}

// Message maps the message to the channel-neutral bot.Message.
func (m *Incoming) Message() *bot.Message {
	r := handlers.Request{Channel: Name, UserID: m.FromUserName, MsgID: m.DedupeID()}
	media := func(k handlers.Kind) {
		r.Kind = k
		r.Media = &handlers.Media{ID: m.MediaID, FileName: m.FileName, Format: m.Format, URL: m.PicURL}
	}
	switch m.MsgType {
	case MsgText:
		r.Kind, r.Text = handlers.KindText, m.Content
	case MsgImage:
		media(handlers.KindImage)
	case MsgVoice:
		media(handlers.KindVoice)
	case MsgVideo:
		media(handlers.KindVideo)
	case MsgFile:
		media(handlers.KindFile)
	case MsgLocation:
		r.Kind, r.Text = handlers.KindLocation, m.Label
		r.Location = &handlers.Location{Lat: m.LocationX, Lng: m.LocationY, Label: m.Label}
	case MsgLink:
		r.Kind, r.Text = handlers.KindLink, m.URL
	case MsgEvent:
		r.Kind, r.Event = handlers.KindEvent, m.Event
		if m.Event == EventTemplateCardEvent || m.Event == EventClick {
			c := &handlers.CardEvent{Key: m.EventKey, TaskID: m.TaskID, CardType: m.CardType, ResponseCode: m.ResponseCode}
			for _, s := range m.SelectedItems {
				c.Selected = append(c.Selected, handlers.Selection{QuestionKey: s.QuestionKey, OptionIDs: s.OptionIDs})
			}
			r.Card = c
		}
	default:
		// Future types: passed through under their own kind name.
		r.Kind = handlers.Kind(m.MsgType)
	}
	return &bot.Message{ID: m.DedupeID(), Type: m.TypeLabel(), Request: r}
}

// Name is the name of this channel in requests and logs.
const Name = "wecom"
