// Package dialog runs guided, multi-step conversations declared as data: a
// Flow is named steps, each with its prompt, its options and a parse
// function that reads the user's answer and names the next step. The
// engine handles what every flow shares — "取消", "上一步", "跳过" on optional
// steps, an invalid answer explained and the step asked again, a message
// applied twice (inbox recovery, a platform retry) advancing the dialog
// once — and keeps each user's state as one small versioned record in a
// Store (Redis in production, see package store). It imports neither Redis,
// WeCom nor the channels.
package dialog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/reply"
)

// State is one user's running dialog.
type State struct {
	Flow string `json:"flow"`
	Step string `json:"step"`
	// Data holds the answers so far and whatever the flow keeps (ids,
	// previews); flows read and write it in Parse and Done.
	Data map[string]string `json:"data,omitempty"`
	// Trail is the steps answered, for 上一步.
	Trail []string `json:"trail,omitempty"`
	// Version increases with every save; a save whose version is stale
	// (another replica moved the dialog meanwhile) is refused.
	Version int64 `json:"v"`
	// LastMsg is the id of the last message applied, so a message handled
	// twice advances the dialog once.
	LastMsg string    `json:"last_msg,omitempty"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
}

// Get returns Data[key].
func (s *State) Get(key string) string { return s.Data[key] }

// Set sets Data[key].
func (s *State) Set(key, value string) {
	if s.Data == nil {
		s.Data = map[string]string{}
	}
	s.Data[key] = value
}

// Input is one message as a dialog sees it.
type Input struct {
	MsgID string // the channel's message id
	Text  string // what the user typed, trimmed
	// Choice holds the option keys chosen on a card (a button's key, or a
	// selection's option ids); empty for typed text.
	Choice []string
	// MediaID and MediaKind are set for images and files.
	MediaID, MediaKind, FileName string
	Now                          time.Time
	UserID                       string
	Channel                      string
	Admin                        bool
}

// Step is one question of a flow.
type Step struct {
	Name string
	// Prompt is what the step asks. Options, when set, are offered as
	// numbered choices (a card where the channel has cards) and the answer
	// may be the option's number, its text or its card key.
	Prompt  func(s *State) string
	Options func(s *State) []reply.Option
	// Multiple lets the user choose several options ("1 3").
	Multiple bool
	// Free passes an answer that names no option to Parse as text (with
	// no Choice) instead of rejecting it: "回复其他内容取消".
	Free bool
	// Optional steps accept "跳过"; Parse then gets an empty Input.Text.
	Optional bool
	// Parse reads the answer, records it in s, and returns the next step's
	// name, or Done to finish the flow. An error made with Invalid is
	// shown to the user and the step is asked again; other errors fail the
	// message.
	Parse func(ctx context.Context, s *State, in Input) (next string, err error)
}

// Done is the next-step name that finishes a flow.
const Done = ""

// Flow is a guided conversation.
type Flow struct {
	Name  string // stable id, stored in State.Flow
	Title string // shown in prompts: "抽取确认"
	First string // the first step
	Steps []Step
	// Finish runs when a step returns Done; its reply ends the dialog.
	Finish func(ctx context.Context, s *State, in Input) (reply.Reply, error)
	// TTL is how long the dialog waits for the next answer. 0: the
	// engine's default.
	TTL time.Duration
	// Cancelled is the reply to "取消"; "": a generic one.
	Cancelled string
	// OnCancel, when set, runs once the user's cancel word ("取消", "算了",
	// ...) has ended the dialog, with the state as it was: a flow that
	// records its outcomes records the cancellation here, since Finish
	// never runs.
	OnCancel func(ctx context.Context, s *State, in Input)
	// NoDraft: the dialog is forgotten when it times out, never kept as
	// a draft (a confirmation whose preview must not be resumed later).
	NoDraft bool
}

func (f *Flow) step(name string) *Step {
	for i := range f.Steps {
		if f.Steps[i].Name == name {
			return &f.Steps[i]
		}
	}
	return nil
}

// InvalidError is an answer the step cannot use: its message explains what
// the step expects.
type InvalidError struct {
	Message string
	// Final: the step understood the answer and refuses it (an entity that
	// is someone else's, a date in the future), so the answer is never
	// taken for a question asked mid-dialog.
	Final bool
}

func (e *InvalidError) Error() string { return e.Message }

// Invalid returns an *InvalidError.
func Invalid(format string, args ...any) error {
	return &InvalidError{Message: fmt.Sprintf(format, args...)}
}

// Refuse returns a final *InvalidError: the answer was understood and is
// refused.
func Refuse(format string, args ...any) error {
	return &InvalidError{Message: fmt.Sprintf(format, args...), Final: true}
}

// ErrConflict is returned by Store.Save when the stored version is not the
// one the state was loaded at.
var ErrConflict = errors.New("dialog: state changed concurrently")

// Store keeps one state per user.
type Store interface {
	// Load returns the user's state, or nil when there is none.
	Load(ctx context.Context, userID string) (*State, error)
	// Save stores s if the stored version is s.Version (0: none stored),
	// then sets s.Version+1; else ErrConflict. ttl bounds the state's life.
	Save(ctx context.Context, userID string, s *State, ttl time.Duration) error
	// Delete removes the user's state if it is still at version; else
	// ErrConflict (also when none is stored any more).
	Delete(ctx context.Context, userID string, version int64) error
}

// DraftStore is a Store that can also keep a user's timed-out dialogs as
// drafts, at most one per flow, and bring one back.
type DraftStore interface {
	Store
	// Shelve moves the user's running state s (still at s.Version, else
	// ErrConflict) to the draft of its flow, kept for keep, replacing an
	// older draft of that flow.
	Shelve(ctx context.Context, userID string, s *State, keep time.Duration) error
	// Drafts returns the user's drafts, the most recently shelved first.
	Drafts(ctx context.Context, userID string) ([]*State, error)
	// Unshelve makes draft (of draft.Flow, as Drafts returned it) the
	// user's running state, replacing the running one if it is still at
	// version running (0: none), and removes the draft; ErrConflict when
	// the running state moved or the draft is gone. draft.Version is set
	// to the stored version, above both its own and running.
	Unshelve(ctx context.Context, userID string, draft *State, running int64, ttl time.Duration) error
}

// Words every step understands.
var (
	CancelWords = []string{"取消", "退出", "算了", "不要了", "结束", "cancel"}
	BackWords   = []string{"上一步", "返回", "后退", "back"}
	SkipWords   = []string{"跳过", "略过", "无", "没有", "skip"}
)

// Engine runs flows over a store.
type Engine struct {
	flows map[string]*Flow
	store Store
	ttl   time.Duration
	// drafts and keep: timed-out dialogs are kept as drafts for keep
	// (see KeepDrafts); drafts nil: they are not.
	drafts DraftStore
	keep   time.Duration
}

// DefaultDraftKeep is how long a draft is kept (see KeepDrafts).
const DefaultDraftKeep = 7 * 24 * time.Hour

// KeepDrafts makes a dialog that waited longer than its TTL a draft kept
// for keep (0: DefaultDraftKeep), which Resume brings back, unless its
// flow says NoDraft. The running state is then stored for its TTL plus
// keep, so that ActiveAt finds it and shelves it. It needs a DraftStore;
// it returns false (and changes nothing) otherwise.
func (e *Engine) KeepDrafts(keep time.Duration) bool {
	ds, ok := e.store.(DraftStore)
	if !ok {
		return false
	}
	if keep <= 0 {
		keep = DefaultDraftKeep
	}
	e.drafts, e.keep = ds, keep
	return true
}

// DraftKeep is how long drafts are kept; 0 without KeepDrafts.
func (e *Engine) DraftKeep() time.Duration { return e.keep }

// drafting tells whether f's dialogs become drafts.
func (e *Engine) drafting(f *Flow) bool { return e.drafts != nil && !f.NoDraft }

// storeTTL is how long f's running state is stored: its TTL, plus the
// draft retention when it may become a draft.
func (e *Engine) storeTTL(f *Flow) time.Duration {
	if e.drafting(f) {
		return e.ttlOf(f) + e.keep
	}
	return e.ttlOf(f)
}

// DefaultTTL is how long a dialog waits for an answer unless its flow says.
const DefaultTTL = 30 * time.Minute

// New builds an engine. Flow names must be unique and every step a flow
// names must exist.
func New(store Store, ttl time.Duration, flows ...*Flow) (*Engine, error) {
	if store == nil {
		return nil, errors.New("dialog: nil store")
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	e := &Engine{flows: map[string]*Flow{}, store: store, ttl: ttl}
	for _, f := range flows {
		if f.Name == "" || e.flows[f.Name] != nil {
			return nil, fmt.Errorf("dialog: flow name %q empty or duplicate", f.Name)
		}
		if f.step(f.First) == nil {
			return nil, fmt.Errorf("dialog: flow %s: first step %q does not exist", f.Name, f.First)
		}
		for _, s := range f.Steps {
			if s.Prompt == nil || s.Parse == nil {
				return nil, fmt.Errorf("dialog: flow %s: step %q needs Prompt and Parse", f.Name, s.Name)
			}
		}
		if f.Finish == nil {
			return nil, fmt.Errorf("dialog: flow %s has no Finish", f.Name)
		}
		e.flows[f.Name] = f
	}
	return e, nil
}

func (e *Engine) ttlOf(f *Flow) time.Duration {
	if f.TTL > 0 {
		return f.TTL
	}
	return e.ttl
}

// Start begins flow for the user, replacing any dialog the user had, with
// data as the flow's initial Data, and returns the first prompt.
func (e *Engine) Start(ctx context.Context, flow string, in Input, data map[string]string) (reply.Reply, error) {
	f := e.flows[flow]
	if f == nil {
		return reply.Reply{}, fmt.Errorf("dialog: no flow %q", flow)
	}
	old, err := e.store.Load(ctx, in.UserID)
	if err != nil {
		return reply.Reply{}, err
	}
	s := &State{Flow: flow, Step: f.First, Data: map[string]string{}, LastMsg: in.MsgID, Started: in.Now, Updated: in.Now}
	for k, v := range data {
		s.Data[k] = v
	}
	if old != nil {
		s.Version = old.Version
	}
	if err := e.store.Save(ctx, in.UserID, s, e.storeTTL(f)); err != nil {
		return reply.Reply{}, err
	}
	return e.prompt(f, s, ""), nil
}

// Active returns the user's running dialog, or nil. It does not look at
// the time: see ActiveAt.
func (e *Engine) Active(ctx context.Context, userID string) (*State, error) {
	s, err := e.store.Load(ctx, userID)
	if err != nil || s == nil {
		return nil, err
	}
	if e.flows[s.Flow] == nil {
		// A flow this version no longer has: forget it.
		_ = e.store.Delete(ctx, userID, s.Version)
		return nil, nil
	}
	return s, nil
}

// ActiveAt is Active at now: a dialog that has waited longer than its TTL
// (see KeepDrafts) is moved to the user's drafts and returned as shelved,
// with no running dialog. ErrConflict: the dialog moved meanwhile.
func (e *Engine) ActiveAt(ctx context.Context, userID string, now time.Time) (s, shelved *State, err error) {
	s, err = e.Active(ctx, userID)
	if err != nil || s == nil {
		return nil, nil, err
	}
	f := e.flows[s.Flow]
	if !e.drafting(f) || s.Updated.IsZero() || now.Sub(s.Updated) <= e.ttlOf(f) {
		return s, nil, nil
	}
	if err := e.drafts.Shelve(ctx, userID, s, e.keep); err != nil {
		return nil, nil, err
	}
	return nil, s, nil
}

// Title is the title of flow, or "".
func (e *Engine) Title(flow string) string {
	if f := e.flows[flow]; f != nil {
		return f.Title
	}
	return ""
}

// Drafts returns the user's drafts of the engine's flows, the most
// recently shelved first; none without KeepDrafts.
func (e *Engine) Drafts(ctx context.Context, userID string) ([]*State, error) {
	if e.drafts == nil {
		return nil, nil
	}
	all, err := e.drafts.Drafts(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []*State
	for _, s := range all {
		if f := e.flows[s.Flow]; f != nil && e.drafting(f) && f.step(s.Step) != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// Resume makes the user's n-th draft (1: the most recent, as Drafts lists
// them) their running dialog at the step it was left, replacing any
// running dialog, and returns that step's prompt. ok is false when there
// is no such draft. The same message applied twice resumes once: the
// second time gets the prompt again.
func (e *Engine) Resume(ctx context.Context, in Input, n int) (rep reply.Reply, ok bool, err error) {
	for attempt := 0; ; attempt++ {
		running, err := e.Active(ctx, in.UserID)
		if err != nil {
			return reply.Reply{}, false, err
		}
		if running != nil && in.MsgID != "" && running.LastMsg == in.MsgID {
			return e.prompt(e.flows[running.Flow], running, ""), true, nil
		}
		drafts, err := e.Drafts(ctx, in.UserID)
		if err != nil {
			return reply.Reply{}, false, err
		}
		if n < 1 || n > len(drafts) {
			if attempt == 0 && in.MsgID != "" {
				continue // the same message may have resumed it meanwhile
			}
			return reply.Reply{}, false, nil
		}
		d := drafts[n-1]
		f := e.flows[d.Flow]
		d.LastMsg, d.Updated = in.MsgID, in.Now
		var v int64
		if running != nil {
			v = running.Version
		}
		err = e.drafts.Unshelve(ctx, in.UserID, d, v, e.storeTTL(f))
		if errors.Is(err, ErrConflict) && attempt == 0 {
			continue // resumed or moved meanwhile: look again
		}
		if err != nil {
			return reply.Reply{}, false, err
		}
		return e.prompt(f, d, "已恢复草稿“"+f.Title+"”，请接着填写："), true, nil
	}
}

// Outcome is what Continue did with a message.
type Outcome int

const (
	Advanced Outcome = iota // the answer was taken (or the dialog ended)
	Repeated                // the message was applied before: the current prompt again
	Rejected                // the answer is not valid for the step: explanation + the step again
	Refused                 // the answer was understood and refused (Refuse): explanation + the step again
)

// Continue applies the user's message to their running dialog s (from
// Active) and returns the reply: the next prompt, the flow's result, an
// explanation of what the step expects, or the end of the dialog.
func (e *Engine) Continue(ctx context.Context, s *State, in Input) (reply.Reply, Outcome, error) {
	f := e.flows[s.Flow]
	if f == nil {
		return reply.Reply{}, Rejected, fmt.Errorf("dialog: no flow %q", s.Flow)
	}
	if in.MsgID != "" && in.MsgID == s.LastMsg {
		return e.prompt(f, s, ""), Repeated, nil
	}
	step := f.step(s.Step)
	if step == nil {
		_ = e.store.Delete(ctx, in.UserID, s.Version)
		return reply.Text("对话已失效，请重新开始。"), Advanced, nil
	}
	word := strings.ToLower(strings.TrimSpace(in.Text))
	switch {
	case len(in.Choice) == 0 && isWord(word, CancelWords):
		if err := e.store.Delete(ctx, in.UserID, s.Version); err != nil {
			return reply.Reply{}, Advanced, err
		}
		if f.OnCancel != nil {
			f.OnCancel(ctx, s, in)
		}
		msg := f.Cancelled
		if msg == "" {
			msg = "已取消" + f.Title + "，没有保存任何内容。"
		}
		return reply.Text(msg), Advanced, nil
	case len(in.Choice) == 0 && isWord(word, BackWords):
		if len(s.Trail) == 0 {
			return e.reprompt(f, s, "已经是第一步了。", in.MsgID), Rejected, nil
		}
		s.Step = s.Trail[len(s.Trail)-1]
		s.Trail = s.Trail[:len(s.Trail)-1]
		return e.save(ctx, f, s, in, "")
	}
	ans := in
	if step.Optional && len(in.Choice) == 0 && isWord(word, SkipWords) {
		ans.Text = ""
	} else if step.Options != nil {
		keys, err := choose(step, s, in)
		switch {
		case err != nil && step.Free && len(in.Choice) == 0:
			ans.Choice = nil
		case err != nil:
			return e.reprompt(f, s, err.Error(), in.MsgID), Rejected, nil
		default:
			ans.Choice = keys
		}
	} else if len(in.Choice) > 0 {
		// A click on a card of an earlier step: this step has no options.
		return e.reprompt(f, s, "这个选项已失效，请按下面的提示回复。", in.MsgID), Rejected, nil
	} else if word == "" && in.MediaID == "" {
		// Nothing at all is not an answer (and not 跳过).
		return e.reprompt(f, s, "没有收到内容，请按下面的提示回复。", in.MsgID), Rejected, nil
	}
	next, err := step.Parse(ctx, s, ans)
	var inv *InvalidError
	if errors.As(err, &inv) {
		if inv.Final {
			return e.reprompt(f, s, inv.Message, in.MsgID), Refused, nil
		}
		return e.reprompt(f, s, inv.Message, in.MsgID), Rejected, nil
	}
	if err != nil {
		return reply.Reply{}, Rejected, err
	}
	if next == Done {
		// Claim the dialog before finishing it, so that a replica holding
		// a stale copy cannot finish it a second time.
		if err := e.store.Save(ctx, in.UserID, s, e.storeTTL(f)); err != nil {
			return reply.Reply{}, Advanced, err
		}
		rep, err := f.Finish(ctx, s, ans)
		if errors.As(err, &inv) {
			return e.reprompt(f, s, inv.Message, in.MsgID), Rejected, nil
		}
		if err != nil {
			return reply.Reply{}, Advanced, err
		}
		if err := e.store.Delete(ctx, in.UserID, s.Version); err != nil && !errors.Is(err, ErrConflict) {
			// (A conflict here: a message applied to the claimed state
			// meanwhile; the flow has finished all the same.)
			return reply.Reply{}, Advanced, err
		}
		return rep, Advanced, nil
	}
	if f.step(next) == nil {
		return reply.Reply{}, Rejected, fmt.Errorf("dialog: flow %s: step %s leads to unknown step %q", f.Name, s.Step, next)
	}
	if next != s.Step {
		// A step that takes several answers (photos one by one) stays
		// put; 上一步 then leaves it rather than repeating it.
		s.Trail = append(s.Trail, s.Step)
	}
	s.Step = next
	return e.save(ctx, f, s, in, "")
}

// Prompt is the current step's prompt with note in front (for a question
// answered mid-dialog: the dialog asks its step again after the answer).
func (e *Engine) Prompt(s *State, note string) reply.Reply {
	f := e.flows[s.Flow]
	if f == nil {
		return reply.Reply{}
	}
	return e.prompt(f, s, note)
}

func (e *Engine) save(ctx context.Context, f *Flow, s *State, in Input, note string) (reply.Reply, Outcome, error) {
	s.LastMsg, s.Updated = in.MsgID, in.Now
	if err := e.store.Save(ctx, in.UserID, s, e.storeTTL(f)); err != nil {
		return reply.Reply{}, Advanced, err
	}
	return e.prompt(f, s, note), Advanced, nil
}

// prompt renders the current step: a card when it has options, else text.
// reprompt asks the current step again after msgID could not be used. A
// card asked again gets a task id of its own: WeCom wants task ids unique.
func (e *Engine) reprompt(f *Flow, s *State, note, msgID string) reply.Reply {
	rep := e.prompt(f, s, note)
	if rep.Card != nil && msgID != "" {
		c := *rep.Card
		sum := sha256.Sum256([]byte(msgID))
		c.TaskID += "-" + hex.EncodeToString(sum[:4])
		rep.Card = &c
	}
	return rep
}

func (e *Engine) prompt(f *Flow, s *State, note string) reply.Reply {
	step := f.step(s.Step)
	if step == nil {
		return reply.Reply{}
	}
	text := step.Prompt(s)
	var hints []string
	if step.Multiple {
		hints = append(hints, "可多选，序号用空格分隔，如“1 3”")
	}
	if step.Optional {
		hints = append(hints, "发送“跳过”略过此步")
	}
	if len(s.Trail) > 0 {
		hints = append(hints, "“上一步”返回修改")
	}
	hints = append(hints, "“取消”退出")
	hint := "（" + strings.Join(hints, "；") + "）"
	if note != "" {
		note += "\n"
	}
	if step.Options == nil {
		return reply.Text(note + text + "\n" + hint)
	}
	opts := step.Options(s)
	title := f.Title
	if title == "" {
		title = text
	}
	return reply.Reply{Kind: reply.KindCard, Card: &reply.Card{
		TaskID:      taskID(f, s),
		Title:       title,
		Description: strings.TrimSpace(note + text),
		Options:     opts,
		Multiple:    step.Multiple,
		Hint:        hint,
	}}
}

// taskID names a card uniquely per dialog and step visit (WeCom task ids
// must be unique): flow, start time and version.
func taskID(f *Flow, s *State) string {
	return f.Name + "-" + strconv.FormatInt(s.Started.UnixMilli(), 36) + "-" + strconv.FormatInt(s.Version, 36) + "-" + s.Step
}

// choose maps the answer to option keys: card keys as they are, typed
// numbers ("2", "1 3", "1、3"), or an option's text.
func choose(step *Step, s *State, in Input) ([]string, error) {
	opts := step.Options(s)
	if len(in.Choice) > 0 {
		var keys []string
		for _, c := range in.Choice {
			if !hasKey(opts, c) {
				return nil, Invalid("这个选项已失效，请按下面的选项重新选择。")
			}
			keys = append(keys, c)
		}
		if !step.Multiple && len(keys) > 1 {
			return nil, Invalid("这一步只能选一项。")
		}
		return keys, nil
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return nil, Invalid("请回复选项的序号（1-%d）。", len(opts))
	}
	for _, o := range opts {
		if text == o.Text {
			return []string{o.Key}, nil
		}
	}
	fields := strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == '　'
	})
	var keys []string
	seen := map[int]bool{}
	for _, fld := range fields {
		n, err := strconv.Atoi(foldDigits(fld))
		if err != nil || n < 1 || n > len(opts) {
			if len(opts) == 1 {
				return nil, Invalid("请回复 1 选择“%s”。", opts[0].Text)
			}
			return nil, Invalid("请回复选项的序号（1-%d）%s。", len(opts), map[bool]string{true: "，可多选", false: ""}[step.Multiple])
		}
		if !seen[n] {
			seen[n] = true
			keys = append(keys, opts[n-1].Key)
		}
	}
	if len(keys) == 0 {
		// Only separators ("，", "、 "): no number at all.
		return nil, Invalid("请回复选项的序号（1-%d）。", len(opts))
	}
	if !step.Multiple && len(keys) > 1 {
		return nil, Invalid("这一步只能选一项，请回复一个序号（1-%d）。", len(opts))
	}
	return keys, nil
}

func hasKey(opts []reply.Option, key string) bool {
	for _, o := range opts {
		if o.Key == key {
			return true
		}
	}
	return false
}

// foldDigits turns full-width digits into ASCII.
func foldDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

func isWord(w string, list []string) bool {
	for _, x := range list {
		if w == x {
			return true
		}
	}
	return false
}
