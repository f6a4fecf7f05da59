package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// PublishMarker marks findings published (已公示); FindingDeps.Findings
// implements it when it keeps the flags (store.Findings does).
type PublishMarker interface {
	MarkPublished(ctx context.Context, year int, ids []string, at time.Time) (int, error)
}

// handlePublished is "已公示 8" (admins): it marks item 8's co-signed
// findings of the plan year published, so the publication-deadline
// reminders stop, and audits it. Findings not yet co-signed are left.
func (x *findings) handlePublished(ctx context.Context, req *Request) (reply.Reply, error) {
	d := x.dr
	if !req.Admin {
		return d.refuse(ctx, req, "已公示")
	}
	p, note, err := d.planNow(req.Now)
	if err != nil {
		return reply.Reply{}, err
	}
	it, msg := d.itemArg(p, strings.TrimPrefix(question.Normalize(req.Text), "已公示"), "已公示")
	if it == nil {
		return reply.Text(msg), nil
	}
	m, ok := x.Findings.(PublishMarker)
	if !ok {
		return reply.Text("当前存储不支持登记公示。"), nil
	}
	all, err := x.Findings.ListByItem(ctx, p.Year, it.ID)
	if err != nil {
		return reply.Reply{}, err
	}
	var ids []string
	for _, f := range all {
		if f.State == finding.Cosigned {
			ids = append(ids, f.ID)
		}
	}
	var b strings.Builder
	if note != "" {
		fmt.Fprintf(&b, "%s\n", note)
	}
	if len(ids) == 0 {
		d.record(ctx, req, "已公示", "任务"+it.ID, audit.Failed, "没有已会签的检查结果")
		fmt.Fprintf(&b, "%d年度任务%s没有已会签的检查结果，无可登记公示的内容。", p.Year, it.ID)
		return reply.Text(b.String()), nil
	}
	n, err := m.MarkPublished(ctx, p.Year, ids, req.Now)
	if err != nil {
		d.record(ctx, req, "已公示", "任务"+it.ID, audit.Failed, err.Error())
		return reply.Reply{}, err
	}
	d.record(ctx, req, "已公示", "任务"+it.ID, audit.OK, fmt.Sprintf("已会签 %d 条，新登记 %d 条", len(ids), n))
	fmt.Fprintf(&b, "已登记%d年度任务%s的 %d 条已会签检查结果为已公示（新登记 %d 条），不再发送公示期限提醒。", p.Year, it.ID, len(ids), n)
	if rest := len(all) - len(ids); rest > 0 {
		fmt.Fprintf(&b, "另有 %d 条待会签或有异议，会签后请再次发送“已公示 %s”。", rest, it.ID)
	}
	return reply.Text(b.String()), nil
}
