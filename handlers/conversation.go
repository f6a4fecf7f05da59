package handlers

import (
	"context"
	"errors"
	"strings"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// Conversations is the seam in front of the route table: a user's running
// conversation gets their next message — text, a card click, an image —
// before any route. routes answers a message the conversation leaves to
// the route table (a question asked mid-dialog).
type Conversations interface {
	Continue(ctx context.Context, req *Request, routes Handler) (rep reply.Reply, handled bool, err error)
}

// Dialogs runs the dialog engine's flows as the bot's conversations.
type Dialogs struct {
	Engine *dialog.Engine
	Parser *question.Parser // recognises questions asked mid-dialog; nil: the default
}

// Input is req as a dialog step sees it.
func Input(req *Request) dialog.Input {
	in := dialog.Input{MsgID: req.MsgID, Text: strings.TrimSpace(req.Text), Now: req.Now, UserID: req.UserID, Channel: req.Channel, Admin: req.Admin}
	switch {
	case req.Card == nil:
	case len(req.Card.Selected) > 0:
		// A selection card: the options chosen (its submit button's key
		// is not a choice).
		for _, s := range req.Card.Selected {
			in.Choice = append(in.Choice, s.OptionIDs...)
		}
	case req.Card.Key != "":
		in.Choice = []string{req.Card.Key} // a button
	}
	if req.Media != nil {
		in.MediaID, in.MediaKind, in.FileName = req.Media.ID, string(req.Kind), req.Media.FileName
	}
	return in
}

// Start begins a flow for the requesting user and returns its first prompt.
func (d *Dialogs) Start(ctx context.Context, req *Request, flow string, data map[string]string) (reply.Reply, error) {
	return d.Engine.Start(ctx, flow, Input(req), data)
}

// Continue hands req to the user's running dialog, if any. Events other
// than card clicks (opening the app) stay with the routes. A text the step
// cannot use that reads as a question is answered by the routes, and the
// dialog's prompt follows the answer.
func (d *Dialogs) Continue(ctx context.Context, req *Request, routes Handler) (reply.Reply, bool, error) {
	if req.Kind == KindEvent && req.Card == nil {
		return reply.Reply{}, false, nil
	}
	for attempt := 0; ; attempt++ {
		s, shelved, err := d.Engine.ActiveAt(ctx, req.UserID, req.Now)
		if errors.Is(err, dialog.ErrConflict) && attempt == 0 {
			continue
		}
		if err != nil {
			return reply.Reply{}, false, err
		}
		if shelved != nil && !isResume(req.Text) {
			// The dialog timed out into a draft: the message goes to the
			// routes, and the user learns where their answers went.
			ans, err := routes(ctx, req)
			if err != nil {
				return reply.Reply{}, true, err
			}
			return reply.Text(shelvedNote(d.Engine.Title(shelved.Flow))).Then(ans), true, nil
		}
		if s == nil {
			return reply.Reply{}, false, nil
		}
		rep, outcome, err := d.Engine.Continue(ctx, s, Input(req))
		if errors.Is(err, dialog.ErrConflict) && attempt == 0 {
			continue // another replica moved it: apply to the fresh state
		}
		if err != nil {
			return reply.Reply{}, true, err
		}
		if outcome == dialog.Rejected && req.IsText() && d.isQuestion(req.Text) {
			ans, err := routes(ctx, req)
			if err != nil {
				return reply.Reply{}, true, err
			}
			// The step's explanation stays: the text may have been meant
			// as its answer ("2月30日", "99").
			return ans.Then(withNote(rep, "（您还有未完成的操作，请继续：）")), true, nil
		}
		if outcome == dialog.Advanced && req.Card != nil && req.Card.ResponseCode != "" {
			// Show the click on the card itself.
			rep = reply.Reply{Kind: reply.KindCardUpdate, Update: &reply.CardUpdate{
				ResponseCode: req.Card.ResponseCode, ReplaceName: "已选择"}}.Then(rep)
		}
		return rep, true, nil
	}
}

func (d *Dialogs) isQuestion(text string) bool {
	p := d.Parser
	var q question.Query
	if p == nil {
		q = question.Parse(text)
	} else {
		q = p.Parse(text)
	}
	return q.Intent != question.Unknown
}

// withNote puts note in front of a prompt: on its own line before a text,
// at the top of a card's description.
func withNote(rep reply.Reply, note string) reply.Reply {
	if rep.Card != nil {
		c := *rep.Card
		c.Description = note + "\n" + c.Description
		rep.Card = &c
		return rep
	}
	rep.Text = note + "\n" + rep.Text
	return rep
}
