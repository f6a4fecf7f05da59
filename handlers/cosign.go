package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/reply"
)

// MaxDisputeReason bounds a dispute's reason, in characters.
const MaxDisputeReason = 200

// cosignData is the dialog data naming f.
func cosignData(f *finding.Finding) map[string]string {
	return map[string]string{"year": strconv.Itoa(f.Year), "item": f.ItemID, "credit": f.CreditCode,
		"name": f.EntityName, "ver": strconv.FormatInt(f.Version, 10), "summary": findingText(f)}
}

// findingText is a finding as the co-inspector reads it.
func findingText(f *finding.Finding) string {
	return fmt.Sprintf("%s（任务%s）\n检查日期：%s\n检查方式：%s\n检查结果：%s\n后续处置：%s\n备注：%s\n照片：%d张",
		f.EntityName, f.ItemID, finding.DateLabel(f.CheckDate), strings.Join(f.Methods, "、"),
		f.Result.Label(), f.FollowUp.Label(), orNone(f.Remarks), len(f.Photos))
}

// handleCosign starts co-signing the asker's pending findings.
func (x *findings) handleCosign(ctx context.Context, req *Request) (reply.Reply, error) {
	p, fs, err := x.mine(ctx, req)
	if err != nil {
		return reply.Reply{}, err
	}
	var pending []*finding.Finding
	for _, f := range fs {
		if f.PendingFor(req.UserID) {
			pending = append(pending, f)
		}
	}
	switch len(pending) {
	case 0:
		return reply.Text("您没有待会签的检查结果。"), nil
	case 1:
		return x.dialogs.Start(ctx, req, cosignDecideFlow, cosignData(pending[0]))
	}
	names := x.dr.inspectorNames(ctx)
	var cands []candidate
	for i, f := range pending {
		if i == maxListed {
			break
		}
		cands = append(cands, candidate{Key: f.ItemID + "|" + f.CreditCode, Item: f.ItemID, Code: f.CreditCode, Name: f.EntityName,
			Text: fmt.Sprintf("任务%s %s（%s填报：%s）", f.ItemID, f.EntityName, nameOf(names, f.Reporter), f.Result.Label())})
	}
	data := map[string]string{"year": strconv.Itoa(p.Year), "total": strconv.Itoa(len(pending))}
	data["opts"] = optsJSON(cands)
	return x.dialogs.Start(ctx, req, cosignFlow, data)
}

// handleCosignCard answers a click on a co-sign card: 确认无误 co-signs at
// once, 有异议 asks for the reason.
func (x *findings) handleCosignCard(ctx context.Context, req *Request) (reply.Reply, error) {
	parts := strings.Split(req.Card.Key, ":") // cosign:ok|no:year:item:code:version
	if len(parts) != 6 {
		return reply.Text("这张会签卡片无法识别，请发送“会签”办理。"), nil
	}
	y, _ := strconv.Atoi(parts[2])
	ver, _ := strconv.ParseInt(parts[5], 10, 64)
	var rep reply.Reply
	var err error
	if parts[1] == "ok" {
		rep, err = x.answer(ctx, req, y, parts[3], parts[4], ver, true, "")
	} else {
		f, gerr := x.Findings.Get(ctx, y, parts[3], parts[4])
		switch {
		case gerr != nil:
			return reply.Reply{}, gerr
		case f == nil:
			return reply.Text("找不到这条检查结果。"), nil
		}
		data := cosignData(f)
		data["ver"] = parts[5]
		rep, err = x.dialogs.Start(ctx, req, cosignDisputeFlow, data)
	}
	if err == nil && req.Card.ResponseCode != "" {
		rep = reply.Reply{Kind: reply.KindCardUpdate, Update: &reply.CardUpdate{
			ResponseCode: req.Card.ResponseCode, ReplaceName: "已处理"}}.Then(rep)
	}
	return rep, err
}

// cosignFlows are the co-sign dialogs: from a list, for one finding, and
// for a dispute's reason (after a card's 有异议). They share their steps.
func (x *findings) cosignFlows() []*dialog.Flow {
	steps := []dialog.Step{
		{Name: "pick", Prompt: func(s *dialog.State) string {
			return fmt.Sprintf("您有%s条待会签的检查结果，请选择：", s.Get("total"))
		}, Options: func(s *dialog.State) []reply.Option {
			var opts []reply.Option
			for _, c := range getJSON[[]candidate](s, "opts") {
				opts = append(opts, reply.Option{Key: c.Key, Text: c.Text})
			}
			return opts
		}, Parse: func(ctx context.Context, s *dialog.State, in dialog.Input) (string, error) {
			item, code, _ := strings.Cut(in.Choice[0], "|")
			f, err := x.Findings.Get(ctx, year(s), item, code)
			if err != nil {
				return "", err
			}
			if f == nil {
				return "", dialog.Invalid("找不到这条检查结果，请重新选择。")
			}
			for k, v := range cosignData(f) {
				s.Set(k, v)
			}
			return "decide", nil
		}},
		{Name: "decide", Prompt: func(s *dialog.State) string {
			return "请会签检查结果：\n" + s.Get("summary")
		}, Options: func(*dialog.State) []reply.Option {
			return []reply.Option{{Key: "ok", Text: "确认无误"}, {Key: "no", Text: "有异议"}}
		}, Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
			if in.Choice[0] == "no" {
				return "reason", nil
			}
			s.Set("agree", "1")
			return dialog.Done, nil
		}},
		{Name: "reason", Prompt: func(s *dialog.State) string {
			return fmt.Sprintf("对%s的检查结果有什么异议？请说明理由（%d字以内），将转告填报人：", s.Get("name"), MaxDisputeReason)
		}, Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
			if err := textOnly(in, "异议理由"); err != nil {
				return "", err
			}
			switch n := utf8.RuneCountInString(in.Text); {
			case n < 2:
				return "", dialog.Invalid("请写明异议的理由。")
			case n > MaxDisputeReason:
				return "", dialog.Invalid("理由最多%d字，您发送了%d字，请精简后重新发送。", MaxDisputeReason, n)
			}
			s.Set("agree", "")
			s.Set("reason", in.Text)
			return dialog.Done, nil
		}},
	}
	finish := func(ctx context.Context, s *dialog.State, in dialog.Input) (reply.Reply, error) {
		req := &Request{UserID: in.UserID, Admin: in.Admin, Now: in.Now, Channel: in.Channel}
		ver, _ := strconv.ParseInt(s.Get("ver"), 10, 64)
		return x.answer(ctx, req, year(s), s.Get("item"), s.Get("credit"), ver, s.Get("agree") == "1", s.Get("reason"))
	}
	flow := func(name, first string) *dialog.Flow {
		return &dialog.Flow{Name: name, Title: "会签检查结果", First: first, Steps: steps, Finish: finish,
			Cancelled: "已取消，会签未办理。可随时发送“会签”继续。"}
	}
	return []*dialog.Flow{flow(cosignFlow, "pick"), flow(cosignDecideFlow, "decide"), flow(cosignDisputeFlow, "reason")}
}

// answer records req's user co-signing (agree) or disputing a finding seen
// at version ver, retrying when another co-inspector saved meanwhile, and
// tells the reporter of a dispute or of the completed co-signature.
func (x *findings) answer(ctx context.Context, req *Request, y int, item, code string, ver int64, agree bool, reason string) (reply.Reply, error) {
	action := "会签"
	if !agree {
		action = "提出异议"
	}
	for attempt := 0; attempt < 5; attempt++ {
		f, err := x.Findings.Get(ctx, y, item, code)
		if err != nil {
			return reply.Reply{}, err
		}
		if f == nil {
			return reply.Text("找不到这条检查结果。"), nil
		}
		target := "任务" + item + " " + f.EntityName
		if n := len(f.History); n > 0 && ver > 0 && ver <= f.History[n-1].Version {
			return reply.Text(fmt.Sprintf("%s的检查结果在通知您之后已被修改，请按最新内容会签：发送“会签”。", f.EntityName)), nil
		}
		err = f.Cosign(req.UserID, agree, reason, req.Now)
		switch {
		case errors.Is(err, finding.ErrNotCoInspector):
			x.dr.record(ctx, req, action, target, audit.Refused, "不是会签人")
			return reply.Text(fmt.Sprintf("您不是%s检查结果的会签人。", f.EntityName)), nil
		case errors.Is(err, finding.ErrAnswered):
			prev, _ := f.Answer(req.UserID)
			what := "确认会签"
			if !prev.Agree {
				what = "提出异议"
			}
			return reply.Text(fmt.Sprintf("您已于%s对%s的检查结果%s，无需重复办理。", prev.At.In(req.Now.Location()).Format("1月2日 15:04"), f.EntityName, what)), nil
		case err != nil:
			return reply.Text("请写明异议的理由。"), nil
		}
		err = x.Findings.Save(ctx, f)
		if errors.Is(err, finding.ErrConflict) {
			continue
		}
		if err != nil {
			return reply.Reply{}, err
		}
		x.dr.record(ctx, req, action, target, audit.OK, reason)
		names := x.dr.inspectorNames(ctx)
		x.tellReporter(ctx, f, req.UserID, agree, reason, names)
		if !agree {
			return reply.Text(fmt.Sprintf("已记录您对%s检查结果的异议，并转告填报人%s。", f.EntityName, nameOf(names, f.Reporter))), nil
		}
		msg := fmt.Sprintf("已确认会签%s的检查结果。", f.EntityName)
		if f.State == finding.Cosigned {
			msg += "会签已完成。"
		}
		return reply.Text(msg), nil
	}
	return reply.Reply{}, errors.New("finding: too many concurrent co-signatures")
}

// tellReporter sends the reporter a dispute's reason, or the news that
// every co-inspector agreed; ids name the finding's version so each is
// sent once.
func (x *findings) tellReporter(ctx context.Context, f *finding.Finding, by string, agree bool, reason string, names map[string]string) {
	if x.Sender == nil {
		return
	}
	var msg reply.Message
	switch {
	case !agree:
		msg = reply.Message{ID: fmt.Sprintf("finding:%s:v%d:dispute:%s", f.ID, f.Version, by), To: reply.User(f.Reporter),
			Reply: reply.Markdown(fmt.Sprintf("## 检查结果有异议\n%s对您填报的%s（任务%s）检查结果提出异议：\n> %s\n请核实后发送“修改”更正（提交后%d天内可修改）。",
				nameOf(names, by), f.EntityName, f.ItemID, reason, x.EditDays))}
	case f.State == finding.Cosigned:
		msg = reply.Message{ID: fmt.Sprintf("finding:%s:v%d:cosigned", f.ID, f.Version), To: reply.User(f.Reporter),
			Reply: reply.Text(fmt.Sprintf("%s（任务%s）的检查结果已完成会签，请在%s前完成公示。", f.EntityName, f.ItemID, finding.DateLabel(f.PublishDeadline)))}
	default:
		return
	}
	if err := x.Sender.Send(ctx, msg); err != nil {
		x.log.ErrorContext(ctx, "finding: telling the reporter failed", "finding", f.ID, "err", err)
	}
}
