package answer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
)

// Markdown renders the answer in the WeCom markdown subset (**bold**, ##
// headings, > quotes); it stays readable as plain text on a console.
func (a *Answer) Markdown() string {
	var b strings.Builder
	// No plan for the asked year: that comes first, before any heading, so
	// that nothing below reads as the asked year's plan (and a WeCom
	// notification's preview shows it).
	if a.NoPlan != "" {
		b.WriteString("**" + a.NoPlan + "。**" + a.Basis + "。\n")
	}
	title := a.Title
	if title == "" && len(a.Details) > 0 {
		title = detailTitle(a.Details)
	}
	if title != "" {
		b.WriteString("## " + title + "\n")
	}
	for _, l := range a.Lines {
		b.WriteString(l + "\n")
	}
	switch a.Kind {
	case AnswerAttribute:
		if len(a.Left) > 0 { // time left: computed lines (timeleft.go)
			b.WriteString(leftLines(a.Left, a.year()))
			break
		}
		if len(a.Items) == 1 { // the title names the item
			b.WriteString(attrName(a.Attr) + "：" + attrValue(a.Items[0], a.Attr, a.year()) + "\n")
			break
		}
		for _, it := range a.Items {
			b.WriteString(attrLine(it, a.Attr, a.year()) + "\n")
		}
	default:
		for _, it := range a.Items {
			b.WriteString(itemLine(it, true) + "\n")
		}
	}
	if len(a.NoWindow) > 0 {
		if len(a.Items) > 0 || len(a.Lines) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("**未注明起止时间（全年可查）**\n")
		for _, it := range a.NoWindow {
			b.WriteString(itemLine(it, false) + "\n")
		}
	}
	for i, it := range a.Details {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(detailBlock(it, len(a.Details) > 1, a.year()))
	}
	if len(a.Alternatives) > 0 {
		b.WriteString("\n" + a.AlternativesTitle + "\n")
		for _, it := range a.Alternatives {
			b.WriteString(itemLine(it, true) + "\n")
		}
	}
	if len(a.Related) > 0 {
		b.WriteString("\n**其他相关任务**\n")
		for _, it := range a.Related {
			b.WriteString(itemLine(it, true) + "\n")
		}
	}
	list := a.Related
	if a.Kind != AnswerAttribute {
		list = slices.Concat(a.Items, a.NoWindow, a.Alternatives, a.Related)
	}
	if n := listFootnote(list); n != "" {
		b.WriteString(n + "\n")
	}
	if a.Unused != "" {
		b.WriteString(a.Unused + "\n")
	}
	if len(a.Examples) > 0 {
		qs := make([]string, len(a.Examples))
		for i, e := range a.Examples {
			qs[i] = "“" + e + "”"
		}
		b.WriteString("<font color=\"comment\">可以这样问：" + strings.Join(qs, "、") + "</font>\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (a *Answer) year() int {
	if a.plan != nil {
		return a.plan.Year
	}
	return 0
}

// itemName is the task name, with the item's matter for multi-item tasks.
func itemName(it *plan.Item) string {
	if it.Task != nil && len(it.Task.Items) > 1 {
		m, _, _ := strings.Cut(strings.TrimSpace(it.Matter), " ")
		return it.Name() + "（" + m + "）"
	}
	return it.Name()
}

// itemLine is "**7** 对强制性产品认证活动的双随机抽查｜10%｜3月-12月｜市局": a
// list line, short enough that the whole plan fits one WeCom message. The
// frequency 一年一次 is left out (the list's footnote says so) and the city
// bureau is 市局.
func itemLine(it *plan.Item, window bool) string {
	parts := []string{"**" + it.ID + "** " + itemName(it), ratioShort(it.Ratio)}
	if window {
		parts = append(parts, it.Window.String())
	}
	parts = append(parts, strings.Replace(it.Departments.Text(""), plan.CityBureau, "市局", 1))
	return strings.Join(parts, "｜")
}

// onceAYear is the frequency list lines leave out.
const onceAYear = "/一年一次"

// ratioShort is the ratio as written without "/一年一次".
func ratioShort(r plan.Ratio) string { return strings.TrimSuffix(r.Raw, onceAYear) }

// listFootnote explains the short forms of list lines, when lines used them.
func listFootnote(items []*plan.Item) string {
	for _, it := range items {
		if strings.HasSuffix(it.Ratio.Raw, onceAYear) {
			return "<font color=\"comment\">比例后未写频次的均为一年一次；市局即市市场监督管理局。</font>"
		}
	}
	return ""
}

// deptSentence is "各县区局发起，计量科指导".
func deptSentence(d plan.Departments) string {
	s := strings.Join(d.Initiators, "、")
	if s == "" {
		s = d.Raw
	}
	s = "**" + s + "**发起"
	for _, sec := range d.Sections {
		s += "，" + sec.Name + sec.Role
	}
	return s
}

// ratioExplained spells out the ratio: floor, count and frequency.
func ratioExplained(r plan.Ratio) string {
	var parts []string
	if r.Percent > 0 {
		if r.Floor {
			parts = append(parts, fmt.Sprintf("抽查比例不低于%s（可以更高）", pct(r.Percent)))
		} else {
			parts = append(parts, "抽查比例"+pct(r.Percent))
		}
	}
	if r.Count > 0 {
		unit := r.CountUnit
		if unit == "" {
			unit = "户"
		}
		parts = append(parts, fmt.Sprintf("计划抽取%d%s", r.Count, unit))
	}
	if r.Frequency != "" {
		parts = append(parts, "频次"+r.Frequency)
	}
	if len(parts) == 0 {
		return r.Raw
	}
	return strings.Join(parts, "，")
}

// riskExplained says whether draws rise with the credit-risk class.
func riskExplained(r plan.Risk) string {
	if !r.Differentiated {
		return "未提出信用风险分类要求，按计划比例统一随机抽取"
	}
	s := "按信用风险分类递加：风险越高的企业，抽查比例越高"
	if t := strings.TrimSpace(r.Raw); strings.HasSuffix(t, "、") || strings.HasSuffix(t, "，") || strings.HasSuffix(t, ",") {
		s += "（计划原文不完整，仍按分类递加执行）"
	}
	return s
}

// windowExplained is "3月-12月（2023年3月1日至12月31日）" or the no-window note.
func windowExplained(w plan.Window, year int) string {
	if !w.Has() {
		return "未注明起止时间（全年可查）"
	}
	if year == 0 {
		return w.String()
	}
	last := w.LastDay(year, time.UTC)
	return fmt.Sprintf("%s（%d年%d月1日至%d月%d日）", w.String(), year, w.StartMonth, int(last.Month()), last.Day())
}

func attrLine(it *plan.Item, attr question.Attr, year int) string {
	if v := attrValue(it, attr, year); v != "" {
		return "**" + it.ID + "** " + itemName(it) + "：" + v
	}
	return itemLine(it, true)
}

func riskShort(r plan.Risk) string {
	if r.Differentiated {
		return "按信用风险分类递加"
	}
	return "统一比例抽取"
}

func detailTitle(items []*plan.Item) string {
	if len(items) == 1 {
		return "任务" + items[0].ID + " " + itemName(items[0])
	}
	t := items[0].Task
	same := t != nil
	for _, it := range items {
		same = same && it.Task == t
	}
	if same {
		return fmt.Sprintf("任务%d %s（共%d项）", t.Serial, t.Name, len(items))
	}
	return fmt.Sprintf("相关抽查任务（%d项）", len(items))
}

// detailBlock shows every field of an item.
func detailBlock(it *plan.Item, withHead bool, year int) string {
	var b strings.Builder
	if withHead {
		fmt.Fprintf(&b, "**【%s】%s**\n", it.ID, itemName(it))
	}
	fmt.Fprintf(&b, "**抽查事项**：%s\n", it.Matter)
	fmt.Fprintf(&b, "**抽查对象范围**：%s\n", it.Scope)
	fmt.Fprintf(&b, "**抽查比例及频次**：%s（%s）\n", it.Ratio.Raw, ratioExplained(it.Ratio))
	fmt.Fprintf(&b, "**信用风险分类要求**：%s\n", riskExplained(it.Risk))
	if it.Risk.Raw != "" {
		fmt.Fprintf(&b, "> 原文：%s\n", it.Risk.Raw)
	}
	fmt.Fprintf(&b, "**抽查检查起止时间**：%s\n", windowExplained(it.Window, year))
	fmt.Fprintf(&b, "**发起部门**：%s\n", orNone(joinOr(it.Departments.Initiators, it.Departments.Raw)))
	secs := make([]string, len(it.Departments.Sections))
	for i, s := range it.Departments.Sections {
		secs[i] = s.Name + "（" + s.Role + "）"
	}
	fmt.Fprintf(&b, "**牵头/指导科室**：%s\n", orNone(strings.Join(secs, "、")))
	return b.String()
}

func joinOr(list []string, fallback string) string {
	if len(list) == 0 {
		return fallback
	}
	return strings.Join(list, "、")
}

func orNone(s string) string {
	if s == "" {
		return "未注明"
	}
	return s
}
