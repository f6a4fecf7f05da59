package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reply"
)

// handleDirectories shows what is loaded: counts, hash, when, by whom;
// admins also see the risk classes.
func (d *draws) handleDirectories(ctx context.Context, req *Request) (reply.Reply, error) {
	ents, err := d.Directories.Entities(ctx)
	if err != nil {
		return reply.Reply{}, err
	}
	insp, err := d.Directories.Inspectors(ctx)
	if err != nil {
		return reply.Reply{}, err
	}
	loc := req.Now.Location()
	var b strings.Builder
	b.WriteString("## 名录库\n")
	meta := func(m directory.Meta) string {
		return fmt.Sprintf("来源 %s；%s 由 %s 导入；指纹 %s", m.Source, m.ImportedAt.In(loc).Format("2006-01-02 15:04"), m.ImportedBy, shortHash(m.Hash))
	}
	if ents == nil {
		b.WriteString("**检查对象名录**：尚未导入\n")
	} else {
		active, byClass := activeCount(ents)
		fmt.Fprintf(&b, "**检查对象名录**：%d 户，其中存续/在业 %d 户\n%s\n", len(ents.List), active, meta(ents.Meta))
		if req.Admin {
			var cls []string
			for _, c := range append(directory.RiskClasses, directory.RiskUnclassified) {
				cls = append(cls, fmt.Sprintf("%s %d", c.Label(), byClass[c]))
			}
			fmt.Fprintf(&b, "<font color=\"comment\">信用风险分类（仅管理员可见）：%s</font>\n", strings.Join(cls, "，"))
		}
	}
	if insp == nil {
		b.WriteString("**执法检查人员名录**：尚未导入\n")
	} else {
		units := map[string]int{}
		for _, in := range insp.List {
			units[in.Unit]++
		}
		fmt.Fprintf(&b, "**执法检查人员名录**：%d 名，分属 %d 个科室/县区局\n%s\n", len(insp.List), len(units), meta(insp.Meta))
	}
	if req.Admin {
		b.WriteString("<font color=\"comment\">更新名录：把 CSV 或 .xlsx 文件直接发给我，或运行 go run . import entities|inspectors 文件。</font>")
	}
	return reply.Markdown(strings.TrimRight(b.String(), "\n")), nil
}

// handleFile imports a directory file an admin sent.
func (d *draws) handleFile(ctx context.Context, req *Request) (reply.Reply, error) {
	name := req.Media.FileName
	if !req.Admin {
		d.record(ctx, req, "导入名录", name, audit.Refused, "仅管理员可执行")
		return reply.Text("已收到您发送的文件。只有管理员可以通过发送文件导入名录或抽查计划；提问请直接输入文字。"), nil
	}
	if d.Media == nil {
		return reply.Text("当前渠道不能接收文件，请用命令 go run . import entities|inspectors 文件 导入名录。"), nil
	}
	data, fetched, err := d.Media(ctx, req)
	if err != nil {
		d.record(ctx, req, "导入名录", name, audit.Failed, err.Error())
		return reply.Text("文件下载失败，请稍后重新发送。"), nil
	}
	if name == "" {
		name = fetched
	}
	if max := d.MaxFileBytes; max > 0 && int64(len(data)) > max {
		msg := fmt.Sprintf("文件 %s 有 %.1f MB，超过名录导入上限 %d MB，未导入。", name, float64(len(data))/(1<<20), max>>20)
		d.record(ctx, req, "导入名录", name, audit.Refused, msg)
		return reply.Text(msg), nil
	}
	if d.uploads != nil && plan.LooksLikePlan(data) {
		return d.uploads.handleFile(ctx, req, name, data)
	}
	opts := d.importOptions(req)
	loaded, err := directory.Load(ctx, d.Directories, "", name, data, opts, req.UserID, req.Now)
	var ie *directory.ImportError
	if errors.As(err, &ie) {
		d.record(ctx, req, "导入名录", name, audit.Failed, fmt.Sprintf("%d 个问题", len(ie.Problems)))
		return reply.Text("名录未导入，原有名录保持不变。请修改后重新发送：\n" + ie.Error()), nil
	}
	if err != nil {
		return reply.Reply{}, err
	}
	d.record(ctx, req, "导入"+directory.KindLabel(loaded.Kind), name, audit.OK, fmt.Sprintf("%d 行，%s", loaded.Meta.Rows, loaded.Meta.Hash))
	return reply.Text(LoadedSummary(loaded)), nil
}

// importOptions checks item ids against the plan of the request's year.
func (d *draws) importOptions(req *Request) directory.Options {
	o := directory.Options{Units: d.units, MaxBytes: d.MaxFileBytes}
	if p, _, err := d.planNow(req.Now); err == nil {
		o.KnownItem = func(id string) bool { _, ok := p.Item(id); return ok }
	}
	return o
}

// LoadedSummary says in Chinese what an import loaded (the chat and the
// import command print it).
func LoadedSummary(l *directory.Loaded) string {
	var b strings.Builder
	fmt.Fprintf(&b, "已导入%s：%s，共 %d 行", directory.KindLabel(l.Kind), l.Meta.Source, l.Meta.Rows)
	if l.Kind == directory.KindEntities {
		fmt.Fprintf(&b, "（存续/在业 %d 户）", l.Active)
	}
	fmt.Fprintf(&b, "。指纹 %s。新名录已替换原名录。", shortHash(l.Meta.Hash))
	if len(l.Warnings) > 0 {
		fmt.Fprintf(&b, "\n提示（不影响导入）：")
		for i, w := range l.Warnings {
			if i == 10 {
				fmt.Fprintf(&b, "\n……共 %d 条", len(l.Warnings))
				break
			}
			b.WriteString("\n" + w.String())
		}
	}
	return b.String()
}
