package wecomapi

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/work/message"

	"github.com/changzhi-amr/choucha/reply"
)

// Template cards, card updates and files.
//
// Sources (WeCom developer docs):
//   - message/send, msgtype template_card (发送应用消息 › 模板卡片消息):
//     https://developer.work.weixin.qq.com/document/path/90236 (90372 for
//     service providers, same shapes);
//   - message/update_template_card (更新模版卡片消息):
//     https://developer.work.weixin.qq.com/document/path/94888;
//   - media/upload (上传临时素材) and its limits:
//     https://developer.work.weixin.qq.com/document/path/90253;
//   - error codes (全局错误码): https://developer.work.weixin.qq.com/document/path/90313.

const opSend = "message/send"

// CodeUnsupported marks a reply this client cannot deliver (checked
// locally, never sent): permanent.
const CodeUnsupported = -4

// WeCom errcodes of cards and media. The client also uses them for the
// same faults when it finds them locally (the error text then says
// "checked locally"); all are permanent.
const (
	CodeInvalidFileSize  = 40006 // 不合法的文件大小 (a file must be more than 5 bytes)
	CodeInvalidParam     = 40058 // 不合法的参数
	CodeInvalidTaskID    = 42014 // 任务卡片消息的task_id不合法
	CodeResponseCodeUsed = 42022 // code已经被使用过 (a response_code works once)
	CodeMediaTooLarge    = 45001 // 多媒体文件大小超过限制
)

// Card limits. The hard ones (ids, keys, counts) are checked and fail
// locally; WeCom gives text lengths only as advice ("建议不超过N个字"), so
// longer texts are cut to it (with "…") to keep the rendering predictable.
const (
	MaxTaskIDBytes     = 128 // task_id: letters, digits and _-@
	MaxOptionKeyBytes  = 128 // checkbox option id (button keys may be 1024; one limit for both)
	MaxButtons         = 6   // button_interaction.button_list
	MaxCheckboxOptions = 20  // vote_interaction.checkbox.option_list

	MaxTitleRunes      = 36 // main_title.title
	MaxDescRunes       = 44 // main_title.desc
	MaxButtonTextRunes = 10 // button_list[].text
	MaxOptionTextRunes = 17 // checkbox.option_list[].text
)

// The fixed keys of a checkbox card: its one question and its submit
// button. A vote_interaction event has EventKey CardSubmitKey and one
// SelectedItem with QuestionKey CardQuestionKey whose OptionIds are the
// chosen Option.Keys; a button_interaction event has the clicked
// Option.Key as its EventKey.
const (
	CardQuestionKey = "choice"
	CardSubmitKey   = "submit"
	cardSubmitText  = "提交"
)

// Card types (template_card.card_type).
const (
	CardTypeButton = "button_interaction"
	CardTypeVote   = "vote_interaction"
)

// MaxFileBytes is WeCom's limit for a media/upload of type file (20 MB);
// a file must also be more than MinFileBytes.
const (
	MaxFileBytes = 20 << 20
	MinFileBytes = 5
)

// templateCard is the part of WeCom's TemplateCard the bot uses.
type templateCard struct {
	CardType     string        `json:"card_type"`
	MainTitle    cardTitle     `json:"main_title"`
	TaskID       string        `json:"task_id"`
	ButtonList   []cardButton  `json:"button_list,omitempty"`
	Checkbox     *cardCheckbox `json:"checkbox,omitempty"`
	SubmitButton *cardSubmit   `json:"submit_button,omitempty"`
}

type cardTitle struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

// cardButton is a button_list entry; style 1 is WeCom's default look and
// type 0 (omitted) a callback button.
type cardButton struct {
	Text  string `json:"text"`
	Style int    `json:"style"`
	Key   string `json:"key"`
}

// cardCheckbox is a vote_interaction question; mode 0 single, 1 multiple.
type cardCheckbox struct {
	QuestionKey string       `json:"question_key"`
	OptionList  []cardOption `json:"option_list"`
	Mode        int          `json:"mode"`
}

type cardOption struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type cardSubmit struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

type templateCardRequest struct {
	*message.SendRequestCommon
	TemplateCard templateCard `json:"template_card"`
}

// buildCard renders a reply card as a WeCom template card:
//   - one choice among at most MaxButtons options: button_interaction, one
//     button per option (key = Option.Key);
//   - one choice among more: vote_interaction, checkbox mode 0 (single);
//   - several choices (Multiple): vote_interaction, checkbox mode 1.
//
// The multi-select is vote_interaction with mode 1 and not
// multiple_interaction: the latter is up to three drop-down selectors
// (select_list) each taking one answer, i.e. several single-choice
// questions, not several answers to one question.
func buildCard(card *reply.Card) (templateCard, error) {
	if card == nil {
		return templateCard{}, localError(opSend, CodeInvalidParam, "no card")
	}
	if err := checkTaskID(card.TaskID); err != nil {
		return templateCard{}, err
	}
	if strings.TrimSpace(card.Title) == "" {
		return templateCard{}, localError(opSend, CodeInvalidParam, "card without a title")
	}
	n := len(card.Options)
	if n == 0 || n > MaxCheckboxOptions {
		return templateCard{}, localError(opSend, CodeInvalidParam, fmt.Sprintf("a card needs 1 to %d options, not %d", MaxCheckboxOptions, n))
	}
	seen := make(map[string]bool, n)
	for i, o := range card.Options {
		switch {
		case o.Key == "":
			return templateCard{}, localError(opSend, CodeInvalidParam, fmt.Sprintf("option %d has no key", i+1))
		case len(o.Key) > MaxOptionKeyBytes:
			return templateCard{}, localError(opSend, CodeInvalidParam, fmt.Sprintf("option %d: key longer than %d bytes", i+1, MaxOptionKeyBytes))
		case !utf8.ValidString(o.Key):
			return templateCard{}, localError(opSend, CodeInvalidParam, fmt.Sprintf("option %d: key is not UTF-8", i+1))
		case seen[o.Key]:
			return templateCard{}, localError(opSend, CodeInvalidParam, fmt.Sprintf("option %d: key %q repeats", i+1, o.Key))
		case strings.TrimSpace(o.Text) == "":
			return templateCard{}, localError(opSend, CodeInvalidParam, fmt.Sprintf("option %d has no text", i+1))
		}
		seen[o.Key] = true
	}
	tc := templateCard{
		MainTitle: cardTitle{Title: cut(card.Title, MaxTitleRunes), Desc: cut(card.Description, MaxDescRunes)},
		TaskID:    card.TaskID,
	}
	if !card.Multiple && n <= MaxButtons {
		tc.CardType = CardTypeButton
		for _, o := range card.Options {
			tc.ButtonList = append(tc.ButtonList, cardButton{Text: cut(o.Text, MaxButtonTextRunes), Style: 1, Key: o.Key})
		}
		return tc, nil
	}
	tc.CardType = CardTypeVote
	cb := &cardCheckbox{QuestionKey: CardQuestionKey}
	if card.Multiple {
		cb.Mode = 1
	}
	for _, o := range card.Options {
		cb.OptionList = append(cb.OptionList, cardOption{ID: o.Key, Text: cut(o.Text, MaxOptionTextRunes)})
	}
	tc.Checkbox = cb
	tc.SubmitButton = &cardSubmit{Text: cardSubmitText, Key: CardSubmitKey}
	return tc, nil
}

// checkTaskID checks WeCom's task_id rule: 1 to 128 bytes of letters,
// digits and _-@.
func checkTaskID(id string) error {
	if id == "" || len(id) > MaxTaskIDBytes {
		return localError(opSend, CodeInvalidTaskID, fmt.Sprintf("task_id must be 1 to %d bytes, not %d", MaxTaskIDBytes, len(id)))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '@') {
			return localError(opSend, CodeInvalidTaskID, fmt.Sprintf("task_id %q: only letters, digits and _-@ are allowed", id))
		}
	}
	return nil
}

// cut shortens s to at most max runes, the last one "…" when it cuts.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// localError is a fault found before calling WeCom: the errcode WeCom
// would answer, always permanent.
func localError(op string, code int64, msg string) *Error {
	e := apiError(op, code, msg+" (checked locally)")
	e.Class = Permanent
	return e
}

// SendCard sends an option card as a template_card through message/send
// (see buildCard for the card types). The result carries the card's
// response_code, good for one message/update_template_card within 72 hours.
func (c *Client) SendCard(ctx context.Context, to reply.Recipient, card *reply.Card) (*SendResult, error) {
	tc, err := buildCard(card)
	if err != nil {
		return nil, err
	}
	common, err := c.recipients(to, "template_card")
	if err != nil {
		return nil, err
	}
	return c.send(ctx, templateCardRequest{SendRequestCommon: common, TemplateCard: tc})
}

// updateCardRequest is message/update_template_card turning the clicked
// card's buttons into one disabled button reading replace_name.
type updateCardRequest struct {
	UserIDs      []string     `json:"userids,omitempty"`
	PartyIDs     []int        `json:"partyids,omitempty"`
	TagIDs       []int        `json:"tagids,omitempty"`
	AgentID      int          `json:"agentid"`
	ResponseCode string       `json:"response_code"`
	Button       updateButton `json:"button"`
}

type updateButton struct {
	ReplaceName string `json:"replace_name"`
}

// UpdateCard shows the choice made on a clicked card
// (message/update_template_card with the click's response code, which
// works once: a second use fails with CodeResponseCodeUsed, permanent). to names
// whose card changes, normally the member who clicked.
func (c *Client) UpdateCard(ctx context.Context, to reply.Recipient, u *reply.CardUpdate) error {
	const op = "message/update_template_card"
	switch {
	case u == nil || u.ResponseCode == "":
		return localError(op, CodeInvalidParam, "card update without a response_code")
	case strings.TrimSpace(u.ReplaceName) == "":
		return localError(op, CodeInvalidParam, "card update without a replace_name")
	case len(to.Users) == 0 && len(to.Departments) == 0 && len(to.Tags) == 0:
		return localError(op, CodeNoValidRecipient, "no recipient: Users, Departments and Tags are all empty")
	}
	req := updateCardRequest{
		UserIDs:      to.Users,
		PartyIDs:     to.Departments,
		TagIDs:       to.Tags,
		AgentID:      c.agentID,
		ResponseCode: u.ResponseCode,
		Button:       updateButton{ReplaceName: u.ReplaceName},
	}
	return c.withToken(ctx, op, http.MethodPost, nil, req, nil)
}

// uploadResult is media/upload's answer.
type uploadResult struct {
	Type      string `json:"type"`
	MediaID   string `json:"media_id"`
	CreatedAt string `json:"created_at"`
}

// UploadFile uploads a temporary file (media/upload, type file; the
// media_id is valid for 3 days) and returns its media_id. WeCom shows the
// file under name. data must be more than MinFileBytes and at most
// MaxFileBytes; otherwise it fails locally, permanently.
func (c *Client) UploadFile(ctx context.Context, name string, data []byte) (string, error) {
	const op = "media/upload"
	switch {
	case strings.TrimSpace(name) == "":
		return "", localError(op, CodeInvalidParam, "file without a name")
	case len(data) > MaxFileBytes:
		return "", localError(op, CodeMediaTooLarge, fmt.Sprintf("file %q is %d bytes, more than WeCom's %d", name, len(data), MaxFileBytes))
	case len(data) <= MinFileBytes:
		return "", localError(op, CodeInvalidFileSize, fmt.Sprintf("file %q is %d bytes; WeCom needs more than %d", name, len(data), MinFileBytes))
	}
	body, ctype, err := multipartFile("media", name, data)
	if err != nil {
		return "", &Error{Op: op, Code: CodeHTTP, Class: Permanent, Err: fmt.Errorf("encode upload: %w", err)}
	}
	var res uploadResult
	if err := c.withToken(ctx, op, http.MethodPost, url.Values{"type": {"file"}}, rawBody{contentType: ctype, data: body}, &res); err != nil {
		return "", err
	}
	if res.MediaID == "" {
		return "", &Error{Op: op, Code: CodeHTTP, Class: Retryable, Err: fmt.Errorf("answer without media_id")}
	}
	return res.MediaID, nil
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "")

// multipartFile builds the multipart/form-data body WeCom documents for
// an upload: one part with name, filename and filelength, as
// application/octet-stream.
func multipartFile(field, name string, data []byte) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"; filelength=%d`,
		quoteEscaper.Replace(field), quoteEscaper.Replace(name), len(data)))
	h.Set("Content-Type", "application/octet-stream")
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// fileRequest is message/send with msgtype file.
type fileRequest struct {
	*message.SendRequestCommon
	File mediaField `json:"file"`
}

type mediaField struct {
	MediaID string `json:"media_id"`
}

// SendFile uploads a file (media/upload) and sends it (message/send,
// msgtype file). A retry after a failed send uploads the file again.
func (c *Client) SendFile(ctx context.Context, to reply.Recipient, f *reply.File) (*SendResult, error) {
	if f == nil {
		return nil, localError("media/upload", CodeInvalidParam, "no file")
	}
	common, err := c.recipients(to, "file")
	if err != nil {
		return nil, err
	}
	id, err := c.UploadFile(ctx, f.Name, f.Data)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, fileRequest{SendRequestCommon: common, File: mediaField{MediaID: id}})
}
