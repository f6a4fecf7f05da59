package handlers

import (
	"context"
	"log/slog"
	"time"

	"github.com/changzhi-amr/choucha/answer"
	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// Deps is what the handlers need. It is a struct so that later parts (the
// WeCom directory, Redis stores, draws) are added as fields.
type Deps struct {
	Plans *plan.Catalog
	// Live, when set with Draw, lets admins load plan files in chat (it
	// keeps Plans up to date: Plans defaults to Live.Catalog()).
	Live *plan.Live
	// ClosingSoonDays: "快到期的" lists windows closing within this many days
	// (config answers.closing_soon_days); 0 means 30.
	ClosingSoonDays int
	Logger          *slog.Logger // nil: slog.Default()
	// Middleware wraps every route outside recovery, error translation and
	// logging (first outermost): dedupe, role checks, ...
	Middleware []Middleware
	// Reminders answers 提醒计划 / 提醒记录; nil: those say reminders are off.
	Reminders Reminders
	// Conversations, when set, gets each message before the route table
	// (a running dialog). NewRouter sets it from DialogStore when nil.
	Conversations Conversations
	// DialogStore keeps the users' dialogs (store.Dialogs); nil: no dialogs
	// (and no draws, which confirm through one).
	DialogStore dialog.Store
	// DialogTTL: how long a dialog waits for an answer; 0: dialog.DefaultTTL.
	DialogTTL time.Duration
	// DraftKeep: how long a dialog that timed out is kept as a draft
	// (继续, 草稿); 0: dialog.DefaultDraftKeep; negative: no drafts.
	DraftKeep time.Duration
	// Draw enables the directories and the admin-run draws; nil: those
	// commands are not in the table.
	Draw *DrawDeps
	// Findings enables reporting and co-signing check results; it needs
	// Draw (assignments come from the draws).
	Findings *FindingDeps
	// Units is the department vocabulary (config departments.*); nil:
	// department.Default().
	Units *department.Vocabulary
	// Tally, when set, counts handled requests by route for a periodic
	// summary (Tally.Run); per-message lines are at debug level.
	Tally *Tally
}

func (d Deps) withDefaults() Deps {
	if d.Plans == nil && d.Live != nil {
		d.Plans = d.Live.Catalog()
	}
	if d.Units == nil {
		d.Units = department.Default()
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return d
}

// Routes is the bot's one ordered route table: first match wins, the
// fallback is last. Text routes see the message after question.Normalize.
func Routes(d Deps) []Route { return table(d.withDefaults(), nil, nil) }

// table is the route table with the draw commands of dr and the findings
// of fx (nil: none).
func table(d Deps, dr *draws, fx *findings) []Route {
	a := &asker{answer.New(answer.Options{Plans: d.Plans, ClosingSoonDays: d.ClosingSoonDays, Units: d.Units})}
	intent := func(i question.Intent) func(*Request, *question.Query) bool {
		return func(req *Request, q *question.Query) bool { return isText(req) && q.Intent == i }
	}
	routes := []Route{
		{Name: "help", Match: Match{Exact: question.HelpWords}, Handler: a.handleQuestion},
		{Name: "thanks", Match: Match{Exact: question.ThanksWords}, Handler: handleThanks},
	}
	if dl, ok := d.Conversations.(*Dialogs); ok && dl.Engine.DraftKeep() > 0 {
		routes = append(routes, dl.draftRoutes()...)
	}
	routes = append(routes, reminderRoutes(d.Reminders, d.Units)...)
	if fx != nil {
		// "导出结果 8" before the draws' "导出 8".
		routes = append(routes, fx.commands()...)
	}
	if dr != nil && dr.uploads != nil {
		routes = append(routes, dr.uploads.routes()...)
	}
	if dr != nil {
		routes = append(routes, dr.routes()...)
	}
	if fx != nil {
		routes = append(routes, fx.routes()...)
	}
	return append(routes, []Route{
		{Name: "enter", Match: Match{Func: func(req *Request, _ *question.Query) bool {
			return req.Kind == KindEvent && req.Event == "enter_agent"
		}}, Handler: handleEnter},
		{Name: "not-text", Match: Match{Func: func(req *Request, _ *question.Query) bool { return !isText(req) }}, Handler: handleNotText},
		{Name: "empty", Match: Match{Func: func(req *Request, q *question.Query) bool { return q.Norm == "" }}, Handler: handleEmpty},
		{Name: "help-phrase", Match: Match{Func: intent(question.Help)}, Handler: a.handleQuestion},
		{Name: "mine", Match: Match{Func: intent(question.Mine)}, Handler: a.handleQuestion},
		{Name: "task", Match: Match{Func: intent(question.TaskByRef)}, Handler: a.handleQuestion},
		{Name: "attribute", Match: Match{Func: intent(question.Attribute)}, Handler: a.handleQuestion},
		{Name: "list", Match: Match{Func: intent(question.List)}, Handler: a.handleQuestion},
		// Unknown questions: a word found in the plan still answers ("个体工商户");
		// anything else gets suggestions.
		{Name: "fallback", Match: Match{Any: true}, Handler: a.handleQuestion},
	}...)
}

func isText(req *Request) bool { return req.Kind == KindText || req.Kind == "" }

// Ask answers req.Text with the structured Answer, without routing or
// middleware (the route handlers render the same Answer to markdown). It
// uses req.Now and req.Sections; tools and tests may call it directly.
func (d Deps) Ask(req *Request) (answer.Answer, error) {
	d = d.withDefaults()
	a := answer.New(answer.Options{Plans: d.Plans, ClosingSoonDays: d.ClosingSoonDays, Units: d.Units})
	return a.Answer(question.NewParser(d.Units).Parse(req.Text), req.Now, req.Sections)
}

// asker routes plan questions to the answer package.
type asker struct{ *answer.Asker }

// handleQuestion answers any parsed text question.
func (a *asker) handleQuestion(ctx context.Context, req *Request) (reply.Reply, error) {
	q, ok := QueryFrom(ctx)
	if !ok {
		q = question.Parse(req.Text)
	}
	ans, err := a.Answer(q, req.Now, req.Sections)
	if err != nil {
		return reply.Reply{}, err
	}
	return reply.Markdown(ans.Markdown()), nil
}

func handleEnter(context.Context, *Request) (reply.Reply, error) {
	ans := answer.Help()
	ans.Title = "您好，我是抽查助手"
	return reply.Markdown(ans.Markdown()), nil
}

func handleThanks(context.Context, *Request) (reply.Reply, error) {
	return reply.Text("不客气！还有问题可以随时问我，发送“帮助”查看全部用法。"), nil
}

// handleNotText answers what no conversation took: a card click whose
// dialog is over, media, locations.
func handleNotText(_ context.Context, req *Request) (reply.Reply, error) {
	const help = "发送“帮助”查看全部用法。"
	switch {
	case req.Card != nil:
		return reply.Text("这张卡片对应的操作已经结束或已过期，无需再点。如需重新开始，请直接发送指令。" + help), nil
	case req.Kind == KindImage:
		return reply.Text("已收到您发送的图片。当前没有需要图片的填报步骤；提问请直接输入文字，例如“本月有哪些抽查任务”。" + help), nil
	case req.Kind == KindVoice:
		return reply.Text("已收到您的语音。目前我还听不懂语音，请直接输入文字提问。" + help), nil
	case req.Kind == KindFile:
		return reply.Text("已收到您发送的文件。当前没有需要文件的操作；提问请直接输入文字。" + help), nil
	case req.Kind == KindLocation:
		return reply.Text("已收到您的位置。目前我只能回答文字提问。" + help), nil
	}
	return reply.Text("目前只能回答文字问题，例如“本月哪些抽查任务”。" + help), nil
}

func handleEmpty(context.Context, *Request) (reply.Reply, error) {
	return reply.Text("请输入您的问题，例如“本月哪些抽查任务”。发送“帮助”查看全部用法。"), nil
}
