package handlers

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
)

const (
	surveyKindPrompt  = "请选择检查方式"
	surveyPhotoPrompt = "请发送现场照片"
	surveyNotePrompt  = "请填写检查意见"
	surveyMidDialog   = "您还有未完成的操作"
)

// surveyFlow: a choice (a card), a photo (an image), an optional note.
func surveyFlow() *dialog.Flow {
	return &dialog.Flow{
		Name: "survey", Title: "现场检查", First: "kind",
		Steps: []dialog.Step{
			{
				Name:   "kind",
				Prompt: func(*dialog.State) string { return surveyKindPrompt },
				Options: func(*dialog.State) []reply.Option {
					return []reply.Option{{Key: "site", Text: "实地检查"}, {Key: "doc", Text: "书面检查"}, {Key: "online", Text: "网络检查"}}
				},
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					s.Set("kind", strings.Join(in.Choice, ","))
					return "photo", nil
				},
			},
			{
				Name:   "photo",
				Prompt: func(*dialog.State) string { return surveyPhotoPrompt },
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					if in.MediaID == "" || in.MediaKind != string(KindImage) {
						return "", dialog.Invalid("这一步需要一张现场照片（图片）。")
					}
					s.Set("photo", in.MediaID)
					return "note", nil
				},
			},
			{
				Name: "note", Optional: true,
				Prompt: func(*dialog.State) string { return surveyNotePrompt },
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					s.Set("note", in.Text)
					return dialog.Done, nil
				},
			},
		},
		Finish: func(_ context.Context, s *dialog.State, _ dialog.Input) (reply.Reply, error) {
			return reply.Text("已提交：" + s.Get("kind") + "/" + s.Get("photo") + "/" + s.Get("note")), nil
		},
	}
}

// conv is the bot's router with the survey flow over a real Redis store,
// and the same routes without conversations for comparison.
type conv struct {
	t       *testing.T
	rdb     *redis.Client
	store   *store.Dialogs
	dialogs *Dialogs
	router  *Router
	plain   *Router
	now     time.Time
	seq     int
}

func newConv(t *testing.T) *conv {
	t.Helper()
	c := &conv{t: t, rdb: redistest.Start(t).Client(t), now: day(t, "2023-03-15")}
	c.store = store.NewDialogs(c.rdb, "t:")
	c.dialogs = c.dialogsOver(c.store)
	plans := seedCatalog(t)
	var err error
	if c.router, err = NewRouter(Deps{Plans: plans, Conversations: c.dialogs, Logger: discardLogger}); err != nil {
		t.Fatal(err)
	}
	if c.plain, err = NewRouter(Deps{Plans: plans, Logger: discardLogger}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *conv) dialogsOver(st dialog.Store) *Dialogs {
	e, err := dialog.New(st, 0, surveyFlow())
	if err != nil {
		c.t.Fatal(err)
	}
	return &Dialogs{Engine: e}
}

func (c *conv) req(kind Kind) *Request {
	c.seq++
	return &Request{Channel: "wecom", UserID: "zhangsan", MsgID: fmt.Sprintf("msg:%d", c.seq), Kind: kind, Now: c.now}
}

func (c *conv) text(s string) *Request {
	r := c.req(KindText)
	r.Text = s
	return r
}

func (c *conv) card(key, taskID, responseCode string) *Request {
	r := c.req(KindEvent)
	r.Event, r.Card = EventCard, &CardEvent{Key: key, TaskID: taskID, CardType: "button_interaction", ResponseCode: responseCode}
	return r
}

func (c *conv) image(id string) *Request {
	r := c.req(KindImage)
	r.Media = &Media{ID: id, URL: "http://wework.qpic.cn/p.jpg"}
	return r
}

func (c *conv) handle(req *Request) reply.Reply {
	c.t.Helper()
	rep, err := c.router.Handle(context.Background(), req)
	if err != nil {
		c.t.Fatalf("Handle(%+v): %v", req, err)
	}
	return rep
}

func (c *conv) start() reply.Reply {
	c.t.Helper()
	rep, err := c.dialogs.Start(context.Background(), c.text("现场检查"), "survey", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if rep.Card == nil || !strings.Contains(rep.Card.Description, surveyKindPrompt) {
		c.t.Fatalf("first prompt %+v", rep)
	}
	return rep
}

func (c *conv) state() *dialog.State {
	c.t.Helper()
	s, err := c.store.Load(context.Background(), "zhangsan")
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// flat renders every part of a reply as text, cards numbered.
func flat(r reply.Reply) string {
	var b strings.Builder
	for _, x := range r.Flatten() {
		switch {
		case x.Card != nil:
			b.WriteString(x.Card.Numbered())
		case x.Update != nil:
			b.WriteString("[card update " + x.Update.ResponseCode + ": " + x.Update.ReplaceName + "]")
		default:
			b.WriteString(x.Text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// notRoutes fails when the reply is one of the route table's answers to a
// message that is not text: the conversation must have taken it.
func notRoutes(t *testing.T, r reply.Reply) {
	t.Helper()
	for _, s := range []string{"已经结束或已过期", "已收到您发送的图片", "目前只能回答文字问题"} {
		if strings.Contains(flat(r), s) {
			t.Fatalf("the routes answered, not the conversation:\n%s", flat(r))
		}
	}
}

func TestConversationTakesTextCardAndImage(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		c := newConv(t)
		c.start()
		rep := c.handle(c.text("书面检查"))
		if rep.Kind != reply.KindText || !strings.Contains(rep.Text, surveyPhotoPrompt) || len(rep.More) != 0 {
			t.Fatalf("reply to a typed answer:\n%s", flat(rep))
		}
		if s := c.state(); s.Step != "photo" || s.Get("kind") != "doc" {
			t.Fatalf("state %+v", s)
		}
	})
	t.Run("card event, image, text", func(t *testing.T) {
		c := newConv(t)
		card := c.start().Card
		rep := c.handle(c.card("online", card.TaskID, "RC-1"))
		notRoutes(t, rep)
		if rep.Kind != reply.KindCardUpdate || rep.Update == nil || rep.Update.ResponseCode != "RC-1" || rep.Update.ReplaceName == "" {
			t.Fatalf("the reply to a click does not start with the card's update:\n%s", flat(rep))
		}
		if len(rep.More) != 1 || rep.More[0].Kind != reply.KindText || !strings.Contains(rep.More[0].Text, surveyPhotoPrompt) {
			t.Fatalf("the next prompt does not follow the card update:\n%s", flat(rep))
		}
		if s := c.state(); s.Step != "photo" || s.Get("kind") != "online" {
			t.Fatalf("state after the click %+v", s)
		}

		rep = c.handle(c.image("MEDIA-1"))
		notRoutes(t, rep)
		if rep.Kind != reply.KindText || !strings.Contains(rep.Text, surveyNotePrompt) {
			t.Fatalf("reply to the image:\n%s", flat(rep))
		}
		if s := c.state(); s.Step != "note" || s.Get("photo") != "MEDIA-1" {
			t.Fatalf("state after the image %+v", s)
		}

		rep = c.handle(c.text("价格未公示，已责令整改"))
		if rep.Text != "已提交：online/MEDIA-1/价格未公示，已责令整改" || c.state() != nil {
			t.Fatalf("finish: %+v, state %+v", rep, c.state())
		}
	})
	t.Run("selection card", func(t *testing.T) {
		c := newConv(t)
		card := c.start().Card
		req := c.card("submit", card.TaskID, "RC-2")
		req.Card.CardType = "vote_interaction"
		req.Card.Selected = []Selection{{QuestionKey: "choice", OptionIDs: []string{"site"}}}
		rep := c.handle(req)
		if rep.Kind != reply.KindCardUpdate || len(rep.More) != 1 || !strings.Contains(rep.More[0].Text, surveyPhotoPrompt) {
			t.Fatalf("reply to the selection:\n%s", flat(rep))
		}
		if s := c.state(); s.Get("kind") != "site" {
			t.Fatalf("the selection's option was not the answer (the submit key was?): %+v", s)
		}
	})
	t.Run("what a step cannot use", func(t *testing.T) {
		c := newConv(t)
		card := c.start().Card
		before := c.state()
		// An image where a choice is asked; a stale card's key.
		for _, req := range []*Request{c.image("MEDIA-0"), c.card("gone", "old-task", "RC-3")} {
			rep := c.handle(req)
			notRoutes(t, rep)
			if rep.Kind != reply.KindCard || !strings.HasPrefix(rep.Card.TaskID, card.TaskID+"-") || rep.Card.Description == card.Description {
				t.Fatalf("no explanation and the same card asked again (with a task id of its own):\n%s", flat(rep))
			}
			if rep.Update != nil || len(rep.More) != 0 {
				t.Fatalf("a refused click updated the card:\n%s", flat(rep))
			}
			if s := c.state(); !reflect.DeepEqual(s, before) {
				t.Fatalf("state changed:\n%+v\n%+v", before, s)
			}
		}
		// A click on the old card where a photo is asked.
		c.handle(c.text("1"))
		before = c.state()
		rep := c.handle(c.card("doc", card.TaskID, "RC-4"))
		if rep.Kind != reply.KindText || !strings.Contains(rep.Text, "已失效") || !strings.Contains(rep.Text, surveyPhotoPrompt) {
			t.Fatalf("a stale click at the photo step:\n%s", flat(rep))
		}
		if s := c.state(); !reflect.DeepEqual(s, before) {
			t.Fatalf("state changed:\n%+v\n%+v", before, s)
		}
	})
}

// A question asked mid-dialog gets the routes' answer, then the dialog asks
// its step again; the dialog does not move.
func TestConversationQuestionMidDialog(t *testing.T) {
	c := newConv(t)
	c.now = day(t, "2023-03-15")
	c.start()
	for _, step := range []string{"kind", "photo"} {
		t.Run(step, func(t *testing.T) {
			if step == "photo" {
				c.handle(c.text("1"))
			}
			before := c.state()
			req := c.text("本月哪些抽查任务")
			want, err := c.plain.Handle(context.Background(), req)
			if err != nil || !strings.Contains(want.Text, "2023年3月正在进行的抽查任务") {
				t.Fatalf("the plan's answer: %v\n%s", err, want.Text)
			}
			rep := c.handle(req)
			head := rep
			head.More = nil
			if !reflect.DeepEqual(head, want) {
				t.Fatalf("the answer is not the plan's:\n%s\nwant\n%s", flat(head), flat(want))
			}
			if len(rep.More) != 1 {
				t.Fatalf("%d replies after the answer, want the prompt:\n%s", len(rep.More), flat(rep))
			}
			prompt := flat(rep.More[0])
			if !strings.Contains(prompt, surveyMidDialog) || !strings.Contains(prompt, map[string]string{"kind": surveyKindPrompt, "photo": surveyPhotoPrompt}[step]) {
				t.Fatalf("the dialog's prompt does not follow:\n%s", prompt)
			}
			if s := c.state(); !reflect.DeepEqual(s, before) {
				t.Fatalf("the question moved the dialog:\n%+v\n%+v", before, s)
			}
		})
	}
	t.Run("not a question", func(t *testing.T) {
		before := c.state()
		rep := c.handle(c.text("拍好了"))
		if len(rep.More) != 0 || !strings.Contains(rep.Text, "需要一张现场照片") || !strings.Contains(rep.Text, surveyPhotoPrompt) {
			t.Fatalf("reply %s", flat(rep))
		}
		if s := c.state(); !reflect.DeepEqual(s, before) {
			t.Fatalf("state changed")
		}
	})
	t.Run("opening the app", func(t *testing.T) {
		before := c.state()
		req := c.req(KindEvent)
		req.Event = EventEnter
		want, _ := c.plain.Handle(context.Background(), req)
		if rep := c.handle(req); !reflect.DeepEqual(rep, want) || !strings.Contains(rep.Text, "您好") {
			t.Fatalf("enter_agent mid-dialog: %s", flat(rep))
		}
		if s := c.state(); !reflect.DeepEqual(s, before) {
			t.Fatalf("state changed")
		}
	})
}

func TestConversationNone(t *testing.T) {
	c := newConv(t)
	card := c.start().Card
	if rep := c.handle(c.text("取消")); !strings.Contains(rep.Text, "已取消") || c.state() != nil {
		t.Fatalf("cancel: %s", flat(rep))
	}
	// The dialog is over: the routes answer.
	rep := c.handle(c.card("site", card.TaskID, "RC-9"))
	if rep.Kind != reply.KindText || !strings.Contains(rep.Text, "已经结束或已过期") || rep.Update != nil {
		t.Fatalf("a click with no dialog:\n%s", flat(rep))
	}
	if rep := c.handle(c.image("MEDIA-9")); !strings.Contains(rep.Text, "已收到您发送的图片") {
		t.Fatalf("an image with no dialog:\n%s", flat(rep))
	}
	req := c.text("本月哪些抽查任务")
	want, _ := c.plain.Handle(context.Background(), req)
	if rep := c.handle(req); !reflect.DeepEqual(rep, want) {
		t.Fatalf("a question with no dialog:\n%s", flat(rep))
	}
	if c.state() != nil {
		t.Fatal("a dialog appeared")
	}
}

// racingStore lets another replica handle a message just before this
// replica's first save.
type racingStore struct {
	dialog.Store
	once   sync.Once
	before func()
}

func (r *racingStore) Save(ctx context.Context, user string, s *dialog.State, ttl time.Duration) error {
	r.once.Do(r.before)
	return r.Store.Save(ctx, user, s, ttl)
}

// The same message reaches two replicas at once (inbox recovery while the
// first is still at it): the dialog advances once and both answer with the
// next step.
func TestConversationSameMessageOnTwoReplicas(t *testing.T) {
	c := newConv(t)
	c.start()
	req := c.text("2")
	var other reply.Reply
	race := &racingStore{Store: c.store}
	race.before = func() {
		var err error
		if other, err = c.router.Handle(context.Background(), req); err != nil {
			t.Error(err)
		}
	}
	slow, err := NewRouter(Deps{Plans: seedCatalog(t), Conversations: c.dialogsOver(race), Logger: discardLogger})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := slow.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []reply.Reply{other, rep} {
		if !strings.Contains(r.Text, surveyPhotoPrompt) {
			t.Fatalf("reply %s", flat(r))
		}
	}
	if s := c.state(); s.Step != "photo" || s.Get("kind") != "doc" || s.Version != 2 || len(s.Trail) != 1 {
		t.Fatalf("state %+v: advanced more than once?", s)
	}
}
