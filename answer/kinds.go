package answer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
)

// countAndStatus adds to a list the counts a question asks for ("一共有多少
// 个任务": tasks and items, which differ — task 15 has two items) and, for
// "今年的计划导入了吗", which plans are loaded; in fallback that replaces
// the list, which is another year's plan.
func (a *Asker) countAndStatus(q *question.Query, s scope, ans *Answer) {
	if q.PlanStatus {
		loaded := a.loadedPlans()
		if s.fallback() {
			*ans = Answer{Kind: AnswerList, Title: "已导入的抽查计划：" + loaded}
			ans.Lines = []string{
				"管理员可以把新年度的计划文件（文本或 .xlsx）发给我，确认后导入。",
			}
			ans.Examples = []string{"本月哪些抽查任务", "全部任务", "帮助"}
			return
		}
		ans.Lines = append([]string{"已导入的抽查计划：" + loaded}, ans.Lines...)
		return
	}
	if !q.Count {
		return
	}
	all := slices.Concat(ans.Items, ans.NoWindow)
	var serials []int
	for _, it := range all {
		if !slices.Contains(serials, it.Serial) {
			serials = append(serials, it.Serial)
		}
	}
	line := fmt.Sprintf("共%d个任务、%d项", len(serials), len(all))
	if len(ans.NoWindow) > 0 {
		// The heading counts the items in the period; say the total also
		// holds those listed apart without a window.
		line += fmt.Sprintf("（含未注明起止时间的%d项）", len(ans.NoWindow))
	}
	if len(all) == planItems(s.Plan) {
		serials, _, _ := strings.Cut(serialRanges(s.Plan), "（")
		line = fmt.Sprintf("%s共%d个任务（%s）、%d项", s.name(), len(s.Tasks), serials, len(all))
		for _, t := range s.Tasks {
			if len(t.Items) > 1 {
				line += fmt.Sprintf("，任务%d分为%s", t.Serial, strings.Join(ids(t.Items), "、"))
			}
		}
	}
	ans.Lines = append([]string{line + "。"}, ans.Lines...)
}

// planItems is the number of items of p.
func planItems(p *plan.Plan) int {
	n := 0
	for _, t := range p.Tasks {
		n += len(t.Items)
	}
	return n
}

// loadedPlans is "2023年度（16个任务、17项）" for every loaded plan.
func (a *Asker) loadedPlans() string {
	var parts []string
	for _, p := range a.plans.Plans() {
		parts = append(parts, fmt.Sprintf("%d年度（%d个任务、%d项）", p.Year, len(p.Tasks), planItems(p)))
	}
	if len(parts) == 0 {
		return "无"
	}
	return strings.Join(parts, "、")
}
