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
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reply"
)

// FindingsExport is the table of item's findings of year in layout, with
// counties from the item's current draw and inspectors' names from the
// directory snapshot it used (else the current directory).
func FindingsExport(ctx context.Context, dirs directory.Store, draws draw.Store, fs finding.Store, year int, item *plan.Item, layout export.Layout) (export.Table, error) {
	list, err := fs.ListByItem(ctx, year, item.ID)
	if err != nil {
		return export.Table{}, err
	}
	rec, err := draws.Current(ctx, year, item.ID)
	if err != nil {
		return export.Table{}, err
	}
	var insp *directory.Inspectors
	if rec != nil && rec.InspectorsHash != "" {
		if insp, err = dirs.InspectorsByHash(ctx, rec.InspectorsHash); err != nil {
			return export.Table{}, err
		}
	}
	if insp == nil {
		if insp, err = dirs.Inspectors(ctx); err != nil {
			return export.Table{}, err
		}
	}
	im := map[string]directory.Inspector{}
	if insp != nil {
		for _, in := range insp.List {
			im[in.UserID] = in
		}
	}
	t := export.FindingsTable(layout, list, item, rec, im)
	if t.Title == "" || !strings.Contains(t.Title, fmt.Sprint(year)) {
		t.Title = fmt.Sprintf("%d年度双随机抽查 任务%s 检查结果（%s）", year, item.ID, layout)
	}
	return t, nil
}

// commands are the findings' commands that must come before the draw
// commands ("导出结果 8" before "导出 8").
func (x *findings) commands() []Route {
	return []Route{
		{Name: "finding-export", Match: Match{Prefix: "导出结果"}, Handler: x.handleExport},
		{Name: "finding-published", Match: Match{Prefix: "已公示"}, Handler: x.handlePublished},
		{Name: "progress-mine", Match: Match{Exact: []string{"我的进度", "我的检查进度"}}, Handler: x.handleMyProgress},
		{Name: "progress", Match: Match{Prefix: "进度"}, Handler: x.handleProgress},
	}
}

// handleExport sends an item's findings as an .xlsx file (admins):
// "导出结果 8" the publication layout (co-signed results only), "导出结果 8
// 内部" everything.
func (x *findings) handleExport(ctx context.Context, req *Request) (reply.Reply, error) {
	d := x.dr
	p, it, layout, rep, err := d.exportTarget(ctx, req, "导出结果")
	if it == nil {
		return rep, err
	}
	t, err := FindingsExport(ctx, d.Directories, d.Draws, x.Findings, p.Year, it, layout)
	if err != nil {
		return reply.Reply{}, err
	}
	all, err := x.Findings.ListByItem(ctx, p.Year, it.ID)
	if err != nil {
		return reply.Reply{}, err
	}
	if len(all) == 0 {
		return reply.Text(fmt.Sprintf("%d年度任务%s还没有填报的检查结果，没有可导出的内容。", p.Year, it.ID)), nil
	}
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, t); err != nil {
		return reply.Reply{}, err
	}
	name := fmt.Sprintf("%d年度任务%s检查结果（%s）.xlsx", p.Year, it.ID, layout)
	text := fmt.Sprintf("%s，共 %d 条。", name, len(t.Rows))
	if n := len(all) - len(t.Rows); n > 0 {
		text = fmt.Sprintf("%s，共 %d 条已会签结果；另有 %d 条待会签或有异议，未列入公示版（“导出结果 %s 内部”可全部导出）。", name, len(t.Rows), n, it.ID)
	}
	d.record(ctx, req, "导出结果", "任务"+it.ID, audit.OK, fmt.Sprintf("%s %d 条", layout, len(t.Rows)))
	return reply.Reply{Kind: reply.KindFile, Text: text, File: &reply.File{Name: name, Data: buf.Bytes()}}, nil
}
