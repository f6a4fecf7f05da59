package fakewecom

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"time"
)

// Template cards (message/send msgtype template_card), their updates
// (message/update_template_card) and the callback a click produces.
// Shapes: https://developer.work.weixin.qq.com/document/path/90236 (cards),
// .../94888 (updates), .../90240 (template_card_event).

// TemplateCard is the part of a received template_card the fake checks
// and tests read; Message.CardJSON has all of it.
type TemplateCard struct {
	CardType     string          `json:"card_type"`
	TaskID       string          `json:"task_id"`
	MainTitle    CardTitle       `json:"main_title"`
	ButtonList   []CardButton    `json:"button_list,omitempty"`
	Checkbox     *CardCheckbox   `json:"checkbox,omitempty"`
	SelectList   []CardSelect    `json:"select_list,omitempty"`
	SubmitButton *CardSubmit     `json:"submit_button,omitempty"`
	ActionMenu   json.RawMessage `json:"action_menu,omitempty"`
}

// CardTitle is main_title.
type CardTitle struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

// CardButton is a button_list entry (type 0: callback with key; 1: url).
type CardButton struct {
	Type  int    `json:"type,omitempty"`
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"`
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
}

// CardCheckbox is vote_interaction's question (mode 0 single, 1 multiple).
type CardCheckbox struct {
	QuestionKey string       `json:"question_key"`
	OptionList  []CardOption `json:"option_list"`
	Mode        int          `json:"mode"`
}

// CardOption is an option of a checkbox or a selector.
type CardOption struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	IsChecked bool   `json:"is_checked,omitempty"`
}

// CardSelect is one multiple_interaction drop-down selector.
type CardSelect struct {
	QuestionKey string       `json:"question_key"`
	Title       string       `json:"title,omitempty"`
	SelectedID  string       `json:"selected_id,omitempty"`
	OptionList  []CardOption `json:"option_list"`
}

// CardSubmit is submit_button.
type CardSubmit struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

// Card limits the fake enforces (the documented hard ones; text lengths
// are only advice in WeCom's docs and are not checked).
const (
	MaxTaskIDBytes     = 128
	MaxKeyBytes        = 1024 // button, question and submit keys
	MaxOptionIDBytes   = 128
	MaxButtons         = 6
	MaxCheckboxOptions = 20
	MaxSelects         = 3
	MaxSelectOptions   = 10
)

// hasCallbacks reports whether clicks on the card call back, so that
// sending it returns a response_code: the interaction types, and notice
// cards with an action_menu.
func (c *TemplateCard) hasCallbacks() bool {
	switch c.CardType {
	case "button_interaction", "vote_interaction", "multiple_interaction":
		return true
	}
	return len(c.ActionMenu) > 0 && string(c.ActionMenu) != "null"
}

// ValidTaskID reports whether id follows WeCom's rule: 1 to 128 bytes of
// letters, digits and _-@.
func ValidTaskID(id string) bool {
	if id == "" || len(id) > MaxTaskIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '@') {
			return false
		}
	}
	return true
}

// checkCard decodes and checks a template_card: a known card_type, a valid
// task_id where callbacks need one (42014), and the documented counts,
// required keys and unique ids of each type (40058).
func checkCard(raw json.RawMessage) (*TemplateCard, int) {
	var c TemplateCard
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &c) != nil {
		return nil, CodeInvalidParam
	}
	switch c.CardType {
	case "text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction":
	default:
		return nil, CodeInvalidParam
	}
	if c.hasCallbacks() && !ValidTaskID(c.TaskID) {
		return nil, CodeInvalidTaskID
	}
	key := func(k string) bool { return k != "" && len(k) <= MaxKeyBytes }
	options := func(list []CardOption, max int) bool {
		if len(list) == 0 || len(list) > max {
			return false
		}
		seen := map[string]bool{}
		for _, o := range list {
			if o.ID == "" || len(o.ID) > MaxOptionIDBytes || seen[o.ID] || o.Text == "" {
				return false
			}
			seen[o.ID] = true
		}
		return true
	}
	ok := true
	switch c.CardType {
	case "button_interaction":
		ok = len(c.ButtonList) > 0 && len(c.ButtonList) <= MaxButtons
		seen := map[string]bool{}
		for _, b := range c.ButtonList {
			switch {
			case b.Text == "":
				ok = false
			case b.Type == 0 && (!key(b.Key) || seen[b.Key]):
				ok = false
			case b.Type == 1 && b.URL == "":
				ok = false
			}
			seen[b.Key] = true
		}
	case "vote_interaction":
		ok = c.Checkbox != nil && key(c.Checkbox.QuestionKey) && (c.Checkbox.Mode == 0 || c.Checkbox.Mode == 1) &&
			options(c.Checkbox.OptionList, MaxCheckboxOptions) && c.SubmitButton != nil && key(c.SubmitButton.Key)
	case "multiple_interaction":
		ok = len(c.SelectList) > 0 && len(c.SelectList) <= MaxSelects && c.SubmitButton != nil && key(c.SubmitButton.Key)
		seen := map[string]bool{}
		for _, sel := range c.SelectList {
			if !key(sel.QuestionKey) || seen[sel.QuestionKey] || !options(sel.OptionList, MaxSelectOptions) {
				ok = false
			}
			seen[sel.QuestionKey] = true
		}
	}
	if !ok {
		return nil, CodeInvalidParam
	}
	return &c, 0
}

// issueCode issues a response_code for a card; s.mu must be held.
func (s *Server) issueCode(taskID string, now time.Time) string {
	s.codeSeq++
	code := fmt.Sprintf("fakerc-%08d", s.codeSeq)
	s.codes[code] = &responseCode{taskID: taskID, issued: now}
	return code
}

// CardUpdate is one accepted message/update_template_card.
type CardUpdate struct {
	UserIDs      []string
	PartyIDs     []int
	TagIDs       []int
	AtAll        int
	AgentID      int
	ResponseCode string
	TaskID       string // the card the response code belongs to
	// ReplaceName is button.replace_name (the buttons become one disabled
	// button with this text); empty when the whole card was replaced, then
	// Card has the new card.
	ReplaceName string
	Card        *TemplateCard
	At          time.Time
	Body        json.RawMessage // the request body as received
}

// CardUpdates returns a copy of every accepted card update, in order.
func (s *Server) CardUpdates() []CardUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CardUpdate(nil), s.updates...)
}

type updateCardRequest struct {
	UserIDs      []string        `json:"userids"`
	PartyIDs     []int           `json:"partyids"`
	TagIDs       []int           `json:"tagids"`
	AtAll        int             `json:"atall"`
	AgentID      json.RawMessage `json:"agentid"`
	ResponseCode string          `json:"response_code"`
	Button       *struct {
		ReplaceName string `json:"replace_name"`
	} `json:"button"`
	Card json.RawMessage `json:"template_card"`
}

// handleUpdateCard serves message/update_template_card. A response_code
// works once within ResponseCodeTTL: a second use, or a use after it
// expired, answers 42022 (WeCom's "code已经被使用过"; the docs give no
// separate code for an expired one), and a code the fake never issued
// answers 40058.
func (s *Server) handleUpdateCard(w http.ResponseWriter, r *http.Request, body []byte) {
	if !s.postWithToken(w, r) {
		return
	}
	var req updateCardRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, CodeBadJSON)
		return
	}
	if agent, ok := parseAgentID(req.AgentID); !ok || agent != s.opts.AgentID {
		s.fail(w, CodeInvalidAgentID)
		return
	}
	if len(req.UserIDs) == 0 && len(req.PartyIDs) == 0 && len(req.TagIDs) == 0 && req.AtAll != 1 {
		s.fail(w, CodeNoValidRecipient)
		return
	}
	var card *TemplateCard
	replace := ""
	switch {
	case req.Button != nil && req.Button.ReplaceName != "":
		replace = req.Button.ReplaceName
	case len(req.Card) > 0:
		var code int
		if card, code = checkCard(req.Card); code != 0 {
			s.fail(w, code)
			return
		}
	default:
		s.fail(w, CodeInvalidParam)
		return
	}
	s.mu.Lock()
	now := s.opts.Now()
	rc, ok := s.codes[req.ResponseCode]
	switch {
	case !ok:
		s.mu.Unlock()
		s.fail(w, CodeInvalidParam)
		return
	case rc.used || now.Sub(rc.issued) >= ResponseCodeTTL:
		s.mu.Unlock()
		s.fail(w, CodeResponseCodeUsed)
		return
	}
	rc.used = true
	s.updates = append(s.updates, CardUpdate{
		UserIDs:      req.UserIDs,
		PartyIDs:     req.PartyIDs,
		TagIDs:       req.TagIDs,
		AtAll:        req.AtAll,
		AgentID:      s.opts.AgentID,
		ResponseCode: req.ResponseCode,
		TaskID:       rc.taskID,
		ReplaceName:  replace,
		Card:         card,
		At:           now,
		Body:         append(json.RawMessage(nil), body...),
	})
	s.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": []string{}})
}

// CardClick is a member's click on a sent card, for CardEvent.
type CardClick struct {
	UserID string
	TaskID string
	// EventKey is the clicked button's key (button_interaction) or the
	// submit button's key (vote_interaction, multiple_interaction).
	EventKey string
	// Selected are the answers of a vote or multiple-choice card.
	Selected []SelectedItem
	// At is the CreateTime; default the fake's clock.
	At time.Time
}

// SelectedItem is one answered question: its key and the chosen option ids.
type SelectedItem struct {
	QuestionKey string
	OptionIDs   []string
}

// cdata is an XML text written as CDATA, as WeCom writes its callbacks.
type cdata struct {
	Text string `xml:",cdata"`
}

type cardEventXML struct {
	XMLName      xml.Name      `xml:"xml"`
	ToUserName   cdata         `xml:"ToUserName"`
	FromUserName cdata         `xml:"FromUserName"`
	CreateTime   int64         `xml:"CreateTime"`
	MsgType      cdata         `xml:"MsgType"`
	Event        cdata         `xml:"Event"`
	EventKey     cdata         `xml:"EventKey"`
	TaskID       cdata         `xml:"TaskId"`
	CardType     cdata         `xml:"CardType"`
	ResponseCode cdata         `xml:"ResponseCode"`
	AgentID      int           `xml:"AgentID"`
	Selected     []selectedXML `xml:"SelectedItems>SelectedItem"`
}

type selectedXML struct {
	QuestionKey cdata   `xml:"QuestionKey"`
	OptionIDs   []cdata `xml:"OptionIds>OptionId"`
}

// CardEvent is the template_card_event WeCom would post to the app's
// callback URL for a click: the decrypted XML (encrypt and sign it like
// any callback) and the fresh response_code it carries, good for one
// message/update_template_card here. CardType is that of the last card
// sent with the task id ("button_interaction" when none was).
func (s *Server) CardEvent(c CardClick) (plain []byte, responseCode string) {
	s.mu.Lock()
	at := c.At
	if at.IsZero() {
		at = s.opts.Now()
	}
	code := s.issueCode(c.TaskID, s.opts.Now())
	cardType := s.cardTypes[c.TaskID]
	s.mu.Unlock()
	if cardType == "" {
		cardType = "button_interaction"
	}
	ev := cardEventXML{
		ToUserName:   cdata{s.opts.CorpID},
		FromUserName: cdata{c.UserID},
		CreateTime:   at.Unix(),
		MsgType:      cdata{"event"},
		Event:        cdata{"template_card_event"},
		EventKey:     cdata{c.EventKey},
		TaskID:       cdata{c.TaskID},
		CardType:     cdata{cardType},
		ResponseCode: cdata{code},
		AgentID:      s.opts.AgentID,
	}
	for _, it := range c.Selected {
		x := selectedXML{QuestionKey: cdata{it.QuestionKey}}
		for _, id := range it.OptionIDs {
			x.OptionIDs = append(x.OptionIDs, cdata{id})
		}
		ev.Selected = append(ev.Selected, x)
	}
	out, err := xml.Marshal(ev)
	if err != nil { // only plain strings and ints: cannot happen
		panic("fakewecom: card event: " + err.Error())
	}
	return out, code
}

// ResponseCodeUsed reports whether a response code was issued and used.
func (s *Server) ResponseCodeUsed(code string) (issued, used bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, ok := s.codes[code]
	if !ok {
		return false, false
	}
	return true, rc.used
}
