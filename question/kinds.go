package question

import (
	"regexp"
	"slices"
	"strings"
)

// This file reads the second round of question kinds: counts ("一共有多少个
// 任务"), the plan's own status ("今年的计划导入了吗"), years relative to
// today ("去年的计划"), ranges of task numbers ("第1项到第3项") and the
// floors ("比例写的是不低于").

// countWords ask how many tasks or items there are.
var countWords = []string{
	"多少个抽查任务", "几个抽查任务", "多少个抽查事项", "几个抽查事项", "多少个任务", "多少项任务", "几项任务", "几个任务",
	"多少个事项", "几个事项", "多少任务", "多少事项", "多少项", "几项",
}

// planStatusWords ask whether a plan has been loaded.
var planStatusWords = []string{"导入了没有", "导入了没", "导入没有", "导入了", "导进来了", "导进来", "导入", "加载了", "加载", "上传了", "传上来了", "更新了"}

// yearOffsetWords are years relative to today's.
var yearOffsetWords = []struct {
	Offset int
	Words  []string
}{
	{-1, []string{"去年度", "去年", "上一年", "上年度"}},
	{-2, []string{"前年"}},
	{1, []string{"明年度", "明年", "下一年", "下年度"}},
}

// floorWords ask for the items whose ratio is written as a minimum
// ("不低于5%") without a number.
var floorWords = []string{"不低于", "不少于", "至少", "下限", "最低比例"}

// reRefRange is a range of task numbers: "第1项到第3项", "任务1至5".
var reRefRange = regexp.MustCompile(`(?:任务|序号|第|编号)(\d+|` + cn + `)(?:项|号|个|条)?(?:任务)?(?:到|至|~)(?:任务|序号|第|编号)?(\d+|` + cn + `)(?:项|号|个|条)?(?:任务)?`)

// maxRange bounds a range of task numbers.
const maxRange = 30

// parseKinds reads the slots of this file that must be taken before the
// periods ("去年" is not "今年"; "几项" is not a task number).
func parseKinds(sc *scanner, q *Query) {
	if sc.takeAny(countWords) {
		q.Count = true
	}
	if sc.takeAny(planStatusWords) {
		q.PlanStatus = true
	}
	for _, w := range yearOffsetWords {
		if sc.takeAny(w.Words) {
			q.YearOffset = w.Offset
		}
	}
	if m := sc.takeRe(reRefRange); m != nil {
		a, b := number(m[1]), number(m[2])
		if a > 0 && a < b && b-a <= maxRange {
			for s := a; s <= b; s++ {
				q.Refs = append(q.Refs, Ref{Serial: s})
			}
			q.Ref = &q.Refs[0]
		}
	}
}

// parseFloor reads "比例写的是不低于": a floor word that no number follows
// (parseRatio has taken those).
func parseFloor(sc *scanner, q *Query) {
	if q.Ratio.Op != RatioNone || !strings.Contains(sc.s, "比例") && !strings.Contains(sc.s, "写") {
		return
	}
	if sc.takeAny(floorWords) {
		q.Floor = true
		sc.takeAny([]string{"写的是", "写着", "写的"})
	}
}

// ratioRange makes "高于10%低于50%" a range: a lower and an upper bound,
// the lower below the upper, said without 或.
func ratioRange(q *Query, norm string) {
	if len(q.Ratios) != 2 || q.RatioRange || strings.Contains(norm, "或") {
		return
	}
	lower := func(f RatioFilter) bool { return f.Op == RatioGT || f.Op == RatioGE }
	upper := func(f RatioFilter) bool { return f.Op == RatioLT || f.Op == RatioLE }
	a, b := q.Ratios[0], q.Ratios[1]
	if upper(a) && lower(b) {
		a, b = b, a
	}
	if lower(a) && upper(b) && a.Percent < b.Percent {
		q.Ratios = []RatioFilter{a, b}
		q.Ratio = a
		q.RatioRange = true
	}
}

// isHelp reports whether a message as typed is a help word before
// Normalize drops its final particle ("在吗" is not "在").
func isHelp(text string) bool {
	t := strings.TrimRight(normalizeChars(text), "?!.,~")
	return t != "" && slices.Contains(HelpWords, t)
}

// reSpacedNumbers are task numbers (one or two digits) separated by spaces
// ("任务1 2 3"): Normalize keeps them apart as a list. A year ("2023 3月")
// is not one.
var reSpacedNumbers = regexp.MustCompile(`(^|[^0-9０-９])([0-9０-９]{1,2})[ \t\x{3000}]+([0-9０-９]{1,2})([^0-9０-９]|$)`)
