package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// resumeWord resumes the most recent draft; "继续 2" the second of 草稿.
const resumeWord = "继续"

var resumeNth = regexp.MustCompile(`^继续(\d{1,2})$`)

// draftRoutes are 继续 and 草稿: a dialog left longer than its TTL is kept
// as a draft (dialog.Engine.KeepDrafts) and picked up again here.
func (d *Dialogs) draftRoutes() []Route {
	return []Route{
		{Name: "resume", Match: Match{Exact: []string{resumeWord}}, Handler: d.handleResume},
		{Name: "resume-nth", Match: Match{Regexp: resumeNth}, Handler: d.handleResume},
		{Name: "drafts", Match: Match{Exact: []string{"草稿", "我的草稿", "草稿箱"}}, Handler: d.handleDrafts},
	}
}

// isResume tells whether text asks for a draft back.
func isResume(text string) bool {
	n := question.Normalize(text)
	return n == resumeWord || resumeNth.MatchString(n)
}

func (d *Dialogs) handleResume(ctx context.Context, req *Request) (reply.Reply, error) {
	n := 1
	if m := resumeNth.FindStringSubmatch(question.Normalize(req.Text)); m != nil {
		n, _ = strconv.Atoi(m[1])
	}
	rep, ok, err := d.Engine.Resume(ctx, Input(req), n)
	if err != nil || ok {
		return rep, err
	}
	drafts, err := d.Engine.Drafts(ctx, req.UserID)
	if err != nil {
		return reply.Reply{}, err
	}
	if len(drafts) == 0 {
		return reply.Text("您没有可继续的草稿。超时未完成的填写会保存为草稿，保留" + d.keepText() + "。"), nil
	}
	return reply.Text(fmt.Sprintf("没有第%d份草稿，您共有%d份草稿，发送“草稿”查看。", n, len(drafts))), nil
}

func (d *Dialogs) handleDrafts(ctx context.Context, req *Request) (reply.Reply, error) {
	drafts, err := d.Engine.Drafts(ctx, req.UserID)
	if err != nil {
		return reply.Reply{}, err
	}
	if len(drafts) == 0 {
		return reply.Text("您没有草稿。超时未完成的填写会保存为草稿，保留" + d.keepText() + "。"), nil
	}
	var b strings.Builder
	b.WriteString("您的草稿：\n")
	for i, s := range drafts {
		fmt.Fprintf(&b, "%d. %s，已填%d步，最后填写于%s\n", i+1, d.Engine.Title(s.Flow), len(s.Trail), s.Updated.In(req.Now.Location()).Format("1月2日 15:04"))
	}
	if len(drafts) == 1 {
		b.WriteString("发送“继续”接着填写。")
	} else {
		b.WriteString("发送“继续”接着填写第1份，“继续 2”接着填写第2份，依此类推。")
	}
	b.WriteString("草稿保留" + d.keepText() + "。")
	return reply.Text(b.String()), nil
}

func (d *Dialogs) keepText() string {
	keep := d.Engine.DraftKeep()
	if days := keep.Hours() / 24; days >= 1 && days == float64(int(days)) {
		return fmt.Sprintf("%d天", int(days))
	}
	return keep.String()
}

// shelvedNote tells the user that their dialog timed out into a draft.
func shelvedNote(title string) string {
	return "您的“" + title + "”已超时，已保存为草稿，发送“继续”可接着填写。"
}
