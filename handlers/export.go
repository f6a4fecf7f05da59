package handlers

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/export"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// DrawExport is the table of rec in layout, with names, addresses and
// inspectors from the directory snapshots the draw used.
func DrawExport(ctx context.Context, dirs directory.Store, rec *draw.Record, item *plan.Item, layout export.Layout) (export.Table, error) {
	ents, err := dirs.EntitiesByHash(ctx, rec.EntitiesHash)
	if err != nil {
		return export.Table{}, err
	}
	insp, err := dirs.InspectorsByHash(ctx, rec.InspectorsHash)
	if err != nil {
		return export.Table{}, err
	}
	em := map[string]directory.Entity{}
	if ents != nil {
		for _, e := range ents.List {
			em[e.CreditCode] = e
		}
	}
	im := map[string]directory.Inspector{}
	if insp != nil {
		for _, in := range insp.List {
			im[in.UserID] = in
		}
	}
	return export.DrawTable(layout, rec, item, em, im), nil
}

// handleExport sends an item's current draw as an .xlsx file (admins):
// "导出 8" the publication layout, "导出 8 内部" everything.
func (d *draws) handleExport(ctx context.Context, req *Request) (reply.Reply, error) {
	p, it, layout, rep, err := d.exportTarget(ctx, req, "导出")
	if it == nil {
		return rep, err
	}
	rec, err := d.Draws.Current(ctx, p.Year, it.ID)
	if err != nil {
		return reply.Reply{}, err
	}
	if rec == nil {
		return reply.Text(fmt.Sprintf("%d年度任务%s尚未抽取，没有可导出的结果。", p.Year, it.ID)), nil
	}
	t, err := DrawExport(ctx, d.Directories, rec, it, layout)
	if err != nil {
		return reply.Reply{}, err
	}
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, t); err != nil {
		return reply.Reply{}, err
	}
	name := fmt.Sprintf("%d年度任务%s抽取结果（%s）.xlsx", p.Year, it.ID, layout)
	d.record(ctx, req, "导出", "任务"+it.ID, audit.OK, layout.String()+" "+rec.ID)
	return reply.Reply{Kind: reply.KindFile, Text: fmt.Sprintf("%s，共 %d 户。", name, len(t.Rows)),
		File: &reply.File{Name: name, Data: buf.Bytes()}}, nil
}

// exportTarget reads an export command (admins): "<command> 8" the
// publication layout, "<command> 8 内部" everything. With it nil, rep and
// err are the answer.
func (d *draws) exportTarget(ctx context.Context, req *Request, command string) (*plan.Plan, *plan.Item, export.Layout, reply.Reply, error) {
	if !req.Admin {
		rep, err := d.refuse(ctx, req, command)
		return nil, nil, 0, rep, err
	}
	p, _, err := d.planNow(req.Now)
	if err != nil {
		return nil, nil, 0, reply.Reply{}, err
	}
	arg := strings.TrimPrefix(question.Normalize(req.Text), command)
	layout := export.Publication
	for _, w := range []string{"内部版", "内部", "完整"} {
		if a, ok := strings.CutSuffix(arg, w); ok {
			arg, layout = a, export.Internal
			break
		}
	}
	arg = strings.TrimSuffix(strings.TrimSuffix(arg, "公示版"), "公示")
	it, msg := d.itemArg(p, arg, command)
	if it == nil {
		return nil, nil, 0, reply.Text(msg), nil
	}
	return p, it, layout, reply.Reply{}, nil
}
