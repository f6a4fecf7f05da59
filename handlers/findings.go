package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/workday"
)

// FindingDeps is what the findings need (Deps.Findings). Assignments come
// from the draws, so findings also need Deps.Draw.
type FindingDeps struct {
	Findings finding.Store
	// Calendar counts the working days to publication (workday.Calendar).
	Calendar finding.Calendar
	// PublishDays: results are published within this many working days of
	// the check; 0: finding.DefaultPublishDays.
	PublishDays int
	// EditDays: a reporter may edit a finding this many days after first
	// submitting it; 0: DefaultEditDays; negative: never.
	EditDays int
	// Photos is where photos are kept and how large they may be.
	Photos finding.PhotoDir
	// DialogTTL: how long the 填报 dialog waits for the next answer; 0:
	// DefaultFindingTTL.
	DialogTTL time.Duration
	// Media fetches a photo a user sent; nil: DrawDeps.Media.
	Media MediaFetcher
	// Sender asks co-inspectors to co-sign and tells reporters of disputes;
	// nil: DrawDeps.Sender.
	Sender reply.Sender
}

// DefaultEditDays is how long a finding may be edited unless configured.
const DefaultEditDays = 7

// DefaultFindingTTL is how long the 填报 dialog waits unless configured.
const DefaultFindingTTL = 2 * time.Hour

// Flow names of the findings.
const (
	findingFlow       = "finding"
	cosignFlow        = "cosign"        // pick a pending finding, then decide
	cosignDecideFlow  = "cosign-decide" // one finding: decide
	cosignDisputeFlow = "cosign-reason" // a card's 有异议: the reason
)

// findings are the inspectors' check results: reporting, co-signing, edits.
type findings struct {
	FindingDeps
	dr      *draws
	dialogs *Dialogs
	log     *slog.Logger
}

func newFindings(deps FindingDeps, dr *draws, log *slog.Logger) *findings {
	if deps.Media == nil {
		deps.Media = dr.Media
	}
	if deps.Sender == nil {
		deps.Sender = dr.Sender
	}
	if deps.EditDays == 0 {
		deps.EditDays = DefaultEditDays
	}
	if deps.DialogTTL <= 0 {
		deps.DialogTTL = DefaultFindingTTL
	}
	if deps.Calendar == nil {
		deps.Calendar = workday.New(nil)
	}
	return &findings{FindingDeps: deps, dr: dr, log: log}
}

func (x *findings) routes() []Route {
	return []Route{
		{Name: "finding-report", Match: Match{Exact: []string{"提交检查结果", "填报", "填报检查结果"}}, Handler: x.handleReport},
		{Name: "finding-edit", Match: Match{Exact: []string{"修改", "修改检查结果"}}, Handler: x.handleEdit},
		{Name: "finding-cosign", Match: Match{Exact: []string{"会签", "待会签"}}, Handler: x.handleCosign},
		{Name: "finding-cosign-card", Match: Match{Func: func(req *Request, _ *question.Query) bool {
			return req.Card != nil && strings.HasPrefix(req.Card.Key, "cosign:")
		}}, Handler: x.handleCosignCard},
	}
}

// candidate is one finding the user may pick in a step, kept in the
// dialog's data so the numbering stays put.
type candidate struct {
	Key  string   `json:"k"`
	Text string   `json:"t"`
	Item string   `json:"i"`
	Code string   `json:"c"`
	Name string   `json:"n"`
	Draw string   `json:"d,omitempty"`
	At   string   `json:"a,omitempty"` // the draw's date, YYYY-MM-DD
	Co   []string `json:"o,omitempty"`
}

// maxListed bounds the numbered choices; the rest are found by typing.
const maxListed = 20

func putJSON(s *dialog.State, key string, v any) {
	b, _ := json.Marshal(v)
	s.Set(key, string(b))
}

func optsJSON(cands []candidate) string {
	b, _ := json.Marshal(cands)
	return string(b)
}

func getJSON[T any](s *dialog.State, key string) T {
	var v T
	_ = json.Unmarshal([]byte(s.Get(key)), &v)
	return v
}

// myAssignments are userid's drawn entities of the plan year, and the
// year's findings userid is part of, by finding id.
func (x *findings) myAssignments(ctx context.Context, p *plan.Plan, userid string) ([]assignment, map[string]*finding.Finding, error) {
	recs, err := x.dr.Draws.List(ctx, p.Year)
	if err != nil {
		return nil, nil, err
	}
	fs, err := x.Findings.ListByUser(ctx, p.Year, userid)
	if err != nil {
		return nil, nil, err
	}
	done := map[string]*finding.Finding{}
	for _, f := range fs {
		done[f.ID] = f
	}
	return assignmentsOf(p, current(recs), userid), done, nil
}

// myYear is what a request's user has in the plan year of now: the plan
// (with the note when it is another year's), their assignments and their
// findings.
type myYear struct {
	plan        *plan.Plan
	note        string
	assignments []assignment
	findings    map[string]*finding.Finding
}

func (x *findings) myYear(ctx context.Context, req *Request) (myYear, error) {
	p, note, err := x.dr.planNow(req.Now)
	if err != nil {
		return myYear{}, err
	}
	as, done, err := x.myAssignments(ctx, p, req.UserID)
	if err != nil {
		return myYear{}, err
	}
	return myYear{plan: p, note: note, assignments: as, findings: done}, nil
}

func candidateOf(p *plan.Plan, a assignment, now time.Time) candidate {
	return candidate{
		Key: a.item.ID + "|" + a.drawn.CreditCode, Item: a.item.ID, Code: a.drawn.CreditCode, Name: a.drawn.Name,
		Draw: a.rec.ID, At: a.rec.At.In(now.Location()).Format(time.DateOnly), Co: a.partners,
		Text: fmt.Sprintf("任务%s %s（%s）", a.item.ID, a.drawn.Name, daysLeft(a.item, p.Year, now)),
	}
}

// handleReport starts the findings dialog with the asker's drawn entities
// not yet reported.
func (x *findings) handleReport(ctx context.Context, req *Request) (reply.Reply, error) {
	y, err := x.myYear(ctx, req)
	if err != nil {
		return reply.Reply{}, err
	}
	p, note, as, done := y.plan, y.note, y.assignments, y.findings
	if len(as) == 0 {
		return reply.Text(fmt.Sprintf("您在%d年度的抽取结果中暂无检查任务，无需填报。发送“我的任务”可随时查看。", p.Year)), nil
	}
	var cands []candidate
	for _, a := range as {
		if done[finding.ID(p.Year, a.item.ID, a.drawn.CreditCode)] == nil {
			cands = append(cands, candidateOf(p, a, req.Now))
		}
	}
	if len(cands) == 0 {
		return reply.Text(fmt.Sprintf("您%d年度的%d户检查对象都已填报检查结果。如需修改，请发送“修改”。", p.Year, len(as))), nil
	}
	data := map[string]string{"year": strconv.Itoa(p.Year), "total": strconv.Itoa(len(cands))}
	if len(cands) > maxListed {
		cands = cands[:maxListed]
	}
	data["opts"] = optsJSON(cands)
	rep, err := x.dialogs.Start(ctx, req, findingFlow, data)
	if note != "" {
		rep = reply.Text(note).Then(rep)
	}
	return rep, err
}

// mine are the findings of the plan year the asker reported or co-signs.
func (x *findings) mine(ctx context.Context, req *Request) (*plan.Plan, []*finding.Finding, error) {
	p, _, err := x.dr.planNow(req.Now)
	if err != nil {
		return nil, nil, err
	}
	fs, err := x.Findings.ListByUser(ctx, p.Year, req.UserID)
	return p, fs, err
}

// handleEdit starts the findings dialog over the asker's findings still
// open to edits.
func (x *findings) handleEdit(ctx context.Context, req *Request) (reply.Reply, error) {
	p, fs, err := x.mine(ctx, req)
	if err != nil {
		return reply.Reply{}, err
	}
	var cands []candidate
	closed := 0
	for _, f := range fs {
		switch err := f.CanEdit(req.UserID, req.Now, x.EditDays); {
		case errors.Is(err, finding.ErrEditClosed):
			closed++
		case err == nil:
			cands = append(cands, candidate{Key: f.ItemID + "|" + f.CreditCode, Item: f.ItemID, Code: f.CreditCode, Name: f.EntityName,
				Text: fmt.Sprintf("任务%s %s（%s，%s）", f.ItemID, f.EntityName, f.Result.Label(), f.State.Label())})
		}
	}
	if len(cands) == 0 {
		msg := "您没有可修改的检查结果。只有填报人可以修改，发送“提交检查结果”填报。"
		if closed > 0 && x.EditDays < 0 {
			msg = "按规定，检查结果提交后不能在这里修改。如确需更正，请联系管理员。"
		} else if closed > 0 {
			msg = fmt.Sprintf("您的%d条检查结果已超过修改期限（提交后%d天内可修改）。如确需更正，请联系管理员。", closed, x.EditDays)
		}
		return reply.Text(msg), nil
	}
	data := map[string]string{"year": strconv.Itoa(p.Year), "mode": "edit", "total": strconv.Itoa(len(cands))}
	if len(cands) > maxListed {
		cands = cands[:maxListed]
	}
	data["opts"] = optsJSON(cands)
	return x.dialogs.Start(ctx, req, findingFlow, data)
}

func year(s *dialog.State) int {
	y, _ := strconv.Atoi(s.Get("year"))
	return y
}

func editing(s *dialog.State) bool { return s.Get("mode") == "edit" }

// old is " （原填：v）" in an edit.
func old(s *dialog.State, v string) string {
	if !editing(s) || v == "" {
		return ""
	}
	return "（原填：" + v + "）"
}

// textOnly refuses an image or file where a step wants words.
func textOnly(in dialog.Input, what string) error {
	if in.MediaID != "" || in.MediaKind != "" && in.MediaKind != string(KindText) {
		return dialog.Invalid("这一步需要文字回复：%s。", what)
	}
	return nil
}

// flow is the findings dialog (new and edit).
func (x *findings) flow() *dialog.Flow {
	methodOpts := make([]reply.Option, len(finding.Methods))
	for i, m := range finding.Methods {
		methodOpts[i] = reply.Option{Key: "m" + strconv.Itoa(i+1), Text: m}
	}
	resultOpts := make([]reply.Option, len(finding.Kinds))
	for i, k := range finding.Kinds {
		resultOpts[i] = reply.Option{Key: "r" + strconv.Itoa(int(k.Code)), Text: k.Label}
	}
	return &dialog.Flow{
		Name: findingFlow, Title: "填报检查结果", First: "entity", TTL: x.DialogTTL,
		Cancelled: "已取消填报，没有保存任何内容。",
		Steps: []dialog.Step{
			{Name: "entity", Free: true, Prompt: func(s *dialog.State) string {
				if editing(s) {
					return "请选择要修改的检查结果："
				}
				msg := fmt.Sprintf("请选择要填报的检查对象（%s户未填报）", s.Get("total"))
				if n, _ := strconv.Atoi(s.Get("total")); n > maxListed {
					msg += fmt.Sprintf("，下面列出前%d户，其余请输入名称或统一社会信用代码", maxListed)
				} else {
					msg += "，也可以输入名称或统一社会信用代码"
				}
				return msg + "："
			}, Options: func(s *dialog.State) []reply.Option {
				var opts []reply.Option
				for _, c := range getJSON[[]candidate](s, "opts") {
					opts = append(opts, reply.Option{Key: c.Key, Text: c.Text})
				}
				return opts
			}, Parse: x.parseEntity},
			{Name: "date", Free: true, Prompt: func(s *dialog.State) string {
				return "检查日期？回复“今天”“昨天”或日期，如“3月5日”“2023-03-05”。" + old(s, dateLabel(s.Get("date")))
			}, Options: func(*dialog.State) []reply.Option {
				return []reply.Option{{Key: "today", Text: "今天"}, {Key: "yesterday", Text: "昨天"}}
			}, Parse: x.parseDate},
			{Name: "date-confirm", Prompt: func(s *dialog.State) string {
				return s.Get("datewarn") + "\n确认按这个日期填报吗？"
			}, Options: func(*dialog.State) []reply.Option {
				return []reply.Option{{Key: "ok", Text: "确认该日期"}, {Key: "redo", Text: "重新填写日期"}}
			}, Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				if slices.Contains(in.Choice, "redo") {
					return "date", nil
				}
				return "methods", nil
			}},
			{Name: "methods", Multiple: true, Prompt: func(s *dialog.State) string {
				return "检查方式？" + old(s, s.Get("methods"))
			}, Options: func(*dialog.State) []reply.Option { return methodOpts },
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					var ms []string
					for _, k := range in.Choice {
						n, _ := strconv.Atoi(strings.TrimPrefix(k, "m"))
						ms = append(ms, finding.Methods[n-1])
					}
					s.Set("methods", strings.Join(ms, "、"))
					return "result", nil
				}},
			{Name: "result", Prompt: func(s *dialog.State) string {
				return "检查结果？" + old(s, resultOf(s).Label())
			}, Options: func(*dialog.State) []reply.Option { return resultOpts },
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					if s.Get("cat") != strings.TrimPrefix(in.Choice[0], "r") {
						s.Set("sub", "")
					}
					s.Set("cat", strings.TrimPrefix(in.Choice[0], "r"))
					if k, _ := finding.KindOf(resultOf(s).Category); len(k.Subs) > 0 {
						return "sub", nil
					}
					return afterResult(s), nil
				}},
			{Name: "sub", Prompt: func(s *dialog.State) string {
				k, _ := finding.KindOf(resultOf(s).Category)
				return "“" + k.Label + "”属于哪种情形？"
			}, Options: func(s *dialog.State) []reply.Option {
				k, _ := finding.KindOf(resultOf(s).Category)
				opts := make([]reply.Option, len(k.Subs))
				for i, sub := range k.Subs {
					opts[i] = reply.Option{Key: "s" + strconv.Itoa(i+1), Text: sub}
				}
				return opts
			}, Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				s.Set("sub", strings.TrimPrefix(in.Choice[0], "s"))
				return afterResult(s), nil
			}},
			{Name: "follow", Prompt: func(s *dialog.State) string {
				return "后续处置？（检查结果：" + resultOf(s).Label() + "）"
			}, Options: func(s *dialog.State) []reply.Option {
				var opts []reply.Option
				for _, f := range resultOf(s).FollowUps() {
					opts = append(opts, reply.Option{Key: string(f), Text: f.Label()})
				}
				return opts
			}, Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				s.Set("follow", in.Choice[0])
				return "remarks", nil
			}},
			{Name: "remarks", Optional: true, Prompt: func(s *dialog.State) string {
				msg := fmt.Sprintf("备注（选填，%d字以内），如发现的问题、整改要求：", finding.MaxRemarks)
				if editing(s) && s.Get("remarks") != "" {
					msg += "\n原备注：" + s.Get("remarks") + "\n（发送“跳过”保留原备注）"
				}
				return msg
			}, Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				if err := textOnly(in, "备注"); err != nil {
					return "", err
				}
				if n := utf8.RuneCountInString(in.Text); n > finding.MaxRemarks {
					return "", dialog.Invalid("备注最多%d字，您发送了%d字，请精简后重新发送。", finding.MaxRemarks, n)
				}
				if in.Text != "" || !editing(s) {
					s.Set("remarks", in.Text)
				}
				return "photos", nil
			}},
			{Name: "photos", Optional: true, Prompt: x.photosPrompt, Parse: x.parsePhoto},
			{Name: "confirm", Free: true, Prompt: func(s *dialog.State) string {
				return summary(s) + "\n确认提交吗？回复“确认”提交，“上一步”返回修改。"
			}, Options: func(*dialog.State) []reply.Option {
				return []reply.Option{{Key: "ok", Text: "确认提交"}}
			}, Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
				if len(in.Choice) > 0 || slices.Contains([]string{"确认", "确定", "提交", "是", "好", "ok"}, strings.ToLower(in.Text)) {
					return dialog.Done, nil
				}
				return "", dialog.Invalid("请回复“确认”提交，或“上一步”返回修改、“取消”放弃。")
			}},
		},
		Finish: x.finish,
	}
}

func resultOf(s *dialog.State) finding.Result {
	c, _ := strconv.Atoi(s.Get("cat"))
	sub, _ := strconv.Atoi(s.Get("sub"))
	return finding.Result{Category: finding.Category(c), Sub: sub}
}

// afterResult picks the follow-up when only one fits (and skips its step).
func afterResult(s *dialog.State) string {
	fs := resultOf(s).FollowUps()
	if len(fs) == 1 {
		s.Set("follow", string(fs[0]))
		return "remarks"
	}
	if !slices.Contains(fs, finding.FollowUp(s.Get("follow"))) {
		s.Set("follow", "")
	}
	return "follow"
}

func dateLabel(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return ""
	}
	return finding.DateLabel(t)
}

// parseEntity takes a numbered choice, or a name or credit code typed:
// matched within the user's own assignments; an entity someone else checks
// is refused, naming who may report it.
func (x *findings) parseEntity(ctx context.Context, s *dialog.State, in dialog.Input) (string, error) {
	if len(in.Choice) == 1 {
		for _, c := range getJSON[[]candidate](s, "opts") {
			if c.Key == in.Choice[0] {
				return x.pick(ctx, s, c, in)
			}
		}
	}
	if err := textOnly(in, "检查对象的序号、名称或统一社会信用代码"); err != nil {
		return "", err
	}
	text := strings.TrimSpace(in.Text)
	if utf8.RuneCountInString(text) < 2 {
		return "", dialog.Invalid("请回复序号，或输入检查对象名称（至少2个字）或统一社会信用代码。")
	}
	p, ok := x.dr.plans.ForYear(year(s))
	if !ok {
		return "", dialog.Invalid("%d年度计划已不在加载的计划中。", year(s))
	}
	recs, err := x.dr.Draws.List(ctx, p.Year)
	if err != nil {
		return "", err
	}
	matches := func(d draw.Drawn) bool {
		return strings.EqualFold(d.CreditCode, text) || strings.Contains(d.Name, text)
	}
	if editing(s) {
		var hit []candidate
		for _, c := range getJSON[[]candidate](s, "opts") {
			if strings.EqualFold(c.Code, text) || strings.Contains(c.Name, text) {
				hit = append(hit, c)
			}
		}
		if len(hit) == 1 {
			return x.pick(ctx, s, hit[0], in)
		}
		return "", dialog.Invalid("在您可修改的检查结果中没有找到唯一的“%s”，请回复序号。", clipText(text, 20))
	}
	var mine []candidate
	var reported []string
	for _, a := range assignmentsOf(p, current(recs), in.UserID) {
		if !matches(a.drawn) {
			continue
		}
		f, err := x.Findings.Get(ctx, p.Year, a.item.ID, a.drawn.CreditCode)
		if err != nil {
			return "", err
		}
		if f != nil {
			reported = append(reported, fmt.Sprintf("任务%s %s（%s已填报，%s）", a.item.ID, a.drawn.Name, nameOf(x.dr.inspectorNames(ctx), f.Reporter), f.State.Label()))
			continue
		}
		mine = append(mine, candidateOf(p, a, in.Now))
	}
	switch {
	case len(mine) == 1:
		return x.pick(ctx, s, mine[0], in)
	case len(mine) > 1:
		var names []string
		for i, c := range mine {
			if i == 5 {
				names = append(names, "……")
				break
			}
			names = append(names, c.Text)
		}
		return "", dialog.Refuse("“%s”对应您的%d户检查对象：%s。请输入更完整的名称或统一社会信用代码。", clipText(text, 20), len(mine), strings.Join(names, "；"))
	case len(reported) > 0:
		return "", dialog.Refuse("%s。如需修改，请先“取消”，再发送“修改”。", strings.Join(reported, "；"))
	}
	// Someone else's entity?
	names := x.dr.inspectorNames(ctx)
	for _, rec := range current(recs) {
		for _, g := range rec.Result.Groups {
			for _, d := range g.Entities {
				if !matches(d) {
					continue
				}
				who := make([]string, len(d.Inspectors))
				for i, u := range d.Inspectors {
					who[i] = nameOf(names, u)
				}
				return "", dialog.Refuse("%s（任务%s）不是您的检查对象，由%s负责检查，请由他们填报。", d.Name, rec.ItemID, strings.Join(who, "、"))
			}
		}
	}
	return "", dialog.Invalid("在您%d年度的检查对象中没有找到“%s”。请回复序号，或输入名称、统一社会信用代码。", p.Year, clipText(text, 20))
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// pick records the chosen entity; in an edit it loads the finding's content.
func (x *findings) pick(ctx context.Context, s *dialog.State, c candidate, in dialog.Input) (string, error) {
	now := in.Now
	s.Set("item", c.Item)
	s.Set("credit", c.Code)
	s.Set("name", c.Name)
	if !editing(s) {
		s.Set("draw", c.Draw)
		s.Set("drawn", c.At)
		s.Set("co", strings.Join(c.Co, ","))
		return "date", nil
	}
	f, err := x.Findings.Get(ctx, year(s), c.Item, c.Code)
	if err != nil {
		return "", err
	}
	if f == nil {
		return "", dialog.Invalid("找不到这条检查结果，请重新选择。")
	}
	if err := f.CanEdit(in.UserID, now, x.EditDays); errors.Is(err, finding.ErrEditClosed) {
		return "", dialog.Invalid("这条检查结果已超过修改期限。")
	}
	s.Set("draw", f.DrawID)
	s.Set("co", strings.Join(f.CoInspectors, ","))
	if rec, err := x.dr.Draws.Get(ctx, f.DrawID); err == nil && rec != nil {
		s.Set("drawn", rec.At.In(now.Location()).Format(time.DateOnly))
	}
	s.Set("date", f.CheckDate.Format(time.DateOnly))
	s.Set("methods", strings.Join(f.Methods, "、"))
	s.Set("cat", strconv.Itoa(int(f.Result.Category)))
	s.Set("sub", strconv.Itoa(f.Result.Sub))
	s.Set("follow", string(f.FollowUp))
	s.Set("remarks", f.Remarks)
	putJSON(s, "photos", f.Photos)
	return "date", nil
}

// parseDate reads the check date: not in the future, not before the draw;
// outside the item's window it asks for a confirmation.
func (x *findings) parseDate(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
	today := time.Date(in.Now.Year(), in.Now.Month(), in.Now.Day(), 0, 0, 0, 0, in.Now.Location())
	var d time.Time
	switch {
	case slices.Contains(in.Choice, "today"):
		d = today
	case slices.Contains(in.Choice, "yesterday"):
		d = today.AddDate(0, 0, -1)
	default:
		if err := textOnly(in, "检查日期"); err != nil {
			return "", err
		}
		var err error
		if d, err = finding.ParseDate(in.Text, in.Now); err != nil {
			var de *finding.DateError
			if errors.As(err, &de) && !de.Unreadable {
				return "", dialog.Refuse("%s。", err.Error())
			}
			return "", dialog.Invalid("%s。", err.Error())
		}
	}
	if d.After(today) {
		return "", dialog.Refuse("检查日期%s晚于今天，请填写实际检查的日期。", finding.DateLabel(d))
	}
	if drawn, err := time.ParseInLocation(time.DateOnly, s.Get("drawn"), in.Now.Location()); err == nil && d.Before(drawn) {
		return "", dialog.Refuse("检查日期%s早于抽取日期%s，请核对。", finding.DateLabel(d), finding.DateLabel(drawn))
	}
	s.Set("date", d.Format(time.DateOnly))
	s.Set("datewarn", "")
	p, ok := x.dr.plans.ForYear(year(s))
	if !ok {
		return "methods", nil
	}
	it, ok := p.Item(s.Get("item"))
	if !ok {
		return "methods", nil
	}
	start, end := it.Window.Start(p.Year, in.Now.Location()), it.Window.End(p.Year, in.Now.Location())
	if d.Before(start) || !d.Before(end) {
		span := it.Window.String()
		if !it.Window.Has() {
			span = fmt.Sprintf("%d年内", p.Year)
		}
		s.Set("datewarn", fmt.Sprintf("注意：%s不在任务%s的实施时间（%s）内。", finding.DateLabel(d), it.ID, span))
		return "date-confirm", nil
	}
	return "methods", nil
}

func (x *findings) photosPrompt(s *dialog.State) string {
	n := len(getJSON[[]finding.Photo](s, "photos"))
	if x.Media == nil {
		return "当前渠道不能接收照片，请回复“跳过”继续。"
	}
	msg := fmt.Sprintf("请发送现场照片（选填，可多张，每张不超过%d MB），发完回复“完成”。", maxPhotoMB(x.Photos))
	if n > 0 {
		msg = fmt.Sprintf("已收到%d张照片。可继续发送，发完回复“完成”。", n)
	}
	return msg
}

func maxPhotoMB(d finding.PhotoDir) int64 {
	if d.MaxBytes <= 0 {
		return finding.DefaultMaxPhotoBytes >> 20
	}
	return d.MaxBytes >> 20
}

// parsePhoto stores an image sent at the photos step and stays there;
// "完成" or "跳过" moves on.
func (x *findings) parsePhoto(ctx context.Context, s *dialog.State, in dialog.Input) (string, error) {
	photos := getJSON[[]finding.Photo](s, "photos")
	if in.MediaID == "" {
		if in.Text == "" || slices.Contains([]string{"完成", "好了", "完毕", "发完了", "结束上传", "下一步"}, in.Text) {
			return "confirm", nil
		}
		return "", dialog.Invalid("请发送图片，发完回复“完成”；没有照片请回复“跳过”。")
	}
	if in.MediaKind != string(KindImage) {
		return "", dialog.Invalid("只接收图片（照片），其他文件不会保存。请发送图片，或回复“完成”。")
	}
	if x.Media == nil {
		return "", dialog.Invalid("当前渠道不能接收照片，请回复“跳过”继续。")
	}
	if len(photos) >= finding.MaxPhotos {
		return "", dialog.Invalid("照片最多%d张，已满。请回复“完成”。", finding.MaxPhotos)
	}
	req := &Request{Channel: in.Channel, UserID: in.UserID, MsgID: in.MsgID, Kind: KindImage, Now: in.Now,
		Media: &Media{ID: in.MediaID, FileName: in.FileName}}
	data, name, err := x.Media(ctx, req)
	if err != nil {
		x.log.WarnContext(ctx, "finding photo: fetch failed", "user", in.UserID, "err", err)
		return "", dialog.Invalid("照片下载失败，请重新发送。")
	}
	if in.FileName != "" {
		name = in.FileName
	}
	ph, err := x.Photos.Put(data, name)
	switch {
	case errors.Is(err, finding.ErrTooLarge):
		return "", dialog.Invalid("这张图片有%.1f MB，超过%d MB，未保存。请压缩后重新发送。", float64(len(data))/(1<<20), maxPhotoMB(x.Photos))
	case errors.Is(err, finding.ErrNotImage):
		return "", dialog.Invalid("收到的文件不是图片，未保存。请发送照片，或回复“完成”。")
	case err != nil:
		return "", err
	}
	if !slices.ContainsFunc(photos, func(p finding.Photo) bool { return p.SHA256 == ph.SHA256 }) {
		photos = append(photos, ph)
	}
	putJSON(s, "photos", photos)
	return "photos", nil
}

// content is the finding's content as the dialog has it.
func content(s *dialog.State, loc *time.Location) finding.Content {
	d, _ := time.ParseInLocation(time.DateOnly, s.Get("date"), loc)
	var ms []string
	if m := s.Get("methods"); m != "" {
		ms = strings.Split(m, "、")
	}
	return finding.Content{CheckDate: d, Methods: ms, Result: resultOf(s), FollowUp: finding.FollowUp(s.Get("follow")),
		Remarks: s.Get("remarks"), Photos: getJSON[[]finding.Photo](s, "photos")}
}

// summary is the dialog's answers for the confirmation.
func summary(s *dialog.State) string {
	c := content(s, time.UTC)
	var b strings.Builder
	fmt.Fprintf(&b, "请核对检查结果：\n检查对象：%s（%s）\n抽查事项：任务%s\n", s.Get("name"), s.Get("credit"), s.Get("item"))
	fmt.Fprintf(&b, "检查日期：%s\n检查方式：%s\n检查结果：%s\n后续处置：%s\n", dateLabel(s.Get("date")), s.Get("methods"), c.Result.Label(), c.FollowUp.Label())
	remarks := c.Remarks
	if remarks == "" {
		remarks = "无"
	}
	fmt.Fprintf(&b, "备注：%s\n照片：%d张", remarks, len(c.Photos))
	return b.String()
}

func splitUsers(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// finish saves the finding (new or edited), audits it and asks the
// co-inspectors to co-sign.
func (x *findings) finish(ctx context.Context, s *dialog.State, in dialog.Input) (reply.Reply, error) {
	req := &Request{UserID: in.UserID, Admin: in.Admin, Now: in.Now, Channel: in.Channel}
	y, item, code := year(s), s.Get("item"), s.Get("credit")
	target := "任务" + item + " " + s.Get("name")
	c := content(s, in.Now.Location())
	deadline := finding.Deadline(x.Calendar, c.CheckDate, x.PublishDays)
	var f *finding.Finding
	for attempt := 0; ; attempt++ {
		if attempt == 5 {
			return reply.Reply{}, errors.New("finding: too many concurrent saves")
		}
		var err error
		if editing(s) {
			f, err = x.Findings.Get(ctx, y, item, code)
			if err != nil {
				return reply.Reply{}, err
			}
			if f == nil {
				return reply.Text("找不到这条检查结果，修改未保存。"), nil
			}
			if err := f.CanEdit(in.UserID, in.Now, x.EditDays); err != nil {
				x.dr.record(ctx, req, "修改检查结果", target, audit.Refused, err.Error())
				return reply.Text("这条检查结果已超过修改期限或您不是填报人，修改未保存。"), nil
			}
			f.Revise(c, in.Now, deadline)
		} else {
			if msg := x.stillAssigned(ctx, s, in.UserID); msg != "" {
				return reply.Text(msg), nil
			}
			f = &finding.Finding{
				ID: finding.ID(y, item, code), Year: y, ItemID: item, DrawID: s.Get("draw"), CreditCode: code,
				EntityName: s.Get("name"), Reporter: in.UserID, CoInspectors: splitUsers(s.Get("co")), Content: c,
				State: finding.Pending, FirstReportedAt: in.Now, ReportedAt: in.Now, PublishDeadline: deadline,
			}
		}
		if err := f.Validate(); err != nil {
			return reply.Reply{}, dialog.Invalid("还不能提交：%s。请用“上一步”返回修改。", err.Error())
		}
		err = x.Findings.Save(ctx, f)
		if errors.Is(err, finding.ErrConflict) && editing(s) {
			continue // a co-signature meanwhile: apply the edit to the fresh one
		}
		if errors.Is(err, finding.ErrConflict) {
			cur, _ := x.Findings.Get(ctx, y, item, code)
			if cur != nil && cur.Reporter == in.UserID && cur.DrawID == s.Get("draw") && !cur.FirstReportedAt.Before(s.Started) {
				// This very 确认 was saved by a process that died before
				// answering; its replay finishes the job (the co-sign
				// requests' ids make asking again safe).
				f = cur
				break
			}
			who := "其他检查人员"
			if cur != nil {
				who = nameOf(x.dr.inspectorNames(ctx), cur.Reporter)
			}
			x.dr.record(ctx, req, "填报检查结果", target, audit.Refused, "他人已先填报")
			return reply.Text(fmt.Sprintf("%s的检查结果刚刚已由%s填报，您的这次填报没有保存。如有不同意见，请在会签时提出。", s.Get("name"), who)), nil
		}
		if err != nil {
			return reply.Reply{}, err
		}
		break
	}
	action := "填报检查结果"
	if editing(s) {
		action = "修改检查结果"
	}
	x.dr.record(ctx, req, action, target, audit.OK, fmt.Sprintf("%s，第%d版", f.Result.Label(), f.Version))
	names := x.dr.inspectorNames(ctx)
	if err := x.askCosign(ctx, f, names); err != nil {
		x.log.ErrorContext(ctx, "finding: asking co-inspectors failed", "finding", f.ID, "err", err)
	}
	co := make([]string, len(f.CoInspectors))
	for i, u := range f.CoInspectors {
		co[i] = nameOf(names, u)
	}
	verb := "已提交"
	if editing(s) {
		verb = fmt.Sprintf("已修改（第%d版，原记录保留）", f.Version)
	}
	msg := fmt.Sprintf("%s %s的检查结果：%s。\n已请%s会签。请在%s前（检查后%d个工作日内）完成公示。",
		verb, f.EntityName, f.Result.Label(), strings.Join(co, "、"), finding.DateLabel(f.PublishDeadline), publishDays(x.PublishDays))
	return reply.Text(msg), nil
}

func publishDays(n int) int {
	if n <= 0 {
		return finding.DefaultPublishDays
	}
	return n
}

// stillAssigned says why the user may no longer report the dialog's entity
// (the item was re-drawn meanwhile), or "".
func (x *findings) stillAssigned(ctx context.Context, s *dialog.State, userid string) string {
	rec, err := x.dr.Draws.Current(ctx, year(s), s.Get("item"))
	if err == nil && rec != nil && rec.ID == s.Get("draw") {
		return ""
	}
	return fmt.Sprintf("任务%s已重新抽取，%s已不在您的检查任务中，本次填报未保存。请发送“我的任务”查看。", s.Get("item"), s.Get("name"))
}

// askCosign asks each co-inspector who has not answered to co-sign f; the
// message id names the finding's version, so it is sent once per version.
func (x *findings) askCosign(ctx context.Context, f *finding.Finding, names map[string]string) error {
	if x.Sender == nil {
		return nil
	}
	for _, u := range f.CoInspectors {
		if !f.PendingFor(u) {
			continue
		}
		text := fmt.Sprintf("## 请会签检查结果\n%s填报了%s", nameOf(names, f.Reporter), findingText(f))
		key := fmt.Sprintf("%d:%s:%s:%d", f.Year, f.ItemID, f.CreditCode, f.Version)
		card := reply.Reply{Kind: reply.KindCard, Card: &reply.Card{
			TaskID: taskSafe(fmt.Sprintf("cosign-%s-v%d-%s", f.ID, f.Version, u)), Title: "会签：" + f.EntityName,
			Description: "请确认检查结果，或提出异议。",
			Options:     []reply.Option{{Key: "cosign:ok:" + key, Text: "确认无误"}, {Key: "cosign:no:" + key, Text: "有异议"}},
			Hint:        "也可以发送“会签”办理",
		}}
		msg := reply.Message{ID: fmt.Sprintf("finding:%s:v%d:cosign:%s", f.ID, f.Version, u), To: reply.User(u),
			Reply: reply.Markdown(text).Then(card)}
		if err := x.Sender.Send(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "无"
	}
	return s
}

// taskSafe keeps the characters a WeCom task id allows.
func taskSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 128 && (r == '_' || r == '-' || r == '@' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}
