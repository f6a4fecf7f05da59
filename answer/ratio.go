package answer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
)

// This file answers ratio comparisons and extremes. Items compare by the
// figure the plan writes (Ratio.Percent). A figure written "不低于5%" is a
// floor: the item's ratio is at least 5%, so it is never "below 5%"; it is
// listed where its floor passes and the answer says which figures are
// floors, since the ratio actually drawn may be higher.

// matchRatio reports whether percent passes q's ratio filters: any of
// q.Ratios ("5%和10%"), else q.Ratio.
func matchRatio(q *question.Query, percent float64) bool {
	if len(q.Ratios) == 0 {
		return q.Ratio.Match(percent)
	}
	if q.RatioRange {
		return !slices.ContainsFunc(q.Ratios, func(f question.RatioFilter) bool { return !f.Match(percent) })
	}
	return slices.ContainsFunc(q.Ratios, func(f question.RatioFilter) bool { return f.Match(percent) })
}

// ratioDesc is the title's ratio qualifier: "抽查比例为5%或10%的".
func ratioDesc(q *question.Query) string {
	fs := q.Ratios
	if len(fs) == 0 {
		if q.Ratio.Op == question.RatioNone {
			return ""
		}
		fs = []question.RatioFilter{q.Ratio}
	}
	if q.RatioRange && len(fs) == 2 {
		return fmt.Sprintf("抽查比例在%s到%s之间的", pct(fs[0].Percent), pct(fs[1].Percent))
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		switch f.Op {
		case question.RatioEq:
			parts[i] = "为" + pct(f.Percent)
		case question.RatioGE:
			parts[i] = pct(f.Percent) + "及以上"
		case question.RatioLE:
			parts[i] = pct(f.Percent) + "及以下"
		case question.RatioGT:
			parts[i] = "高于" + pct(f.Percent)
		case question.RatioLT:
			parts[i] = "低于" + pct(f.Percent)
		}
	}
	return "抽查比例" + strings.Join(parts, "或") + "的"
}

// floorIDs lists the items whose ratio is a floor, as "1（不低于5%）".
func floorIDs(items []*plan.Item) []string {
	var out []string
	for _, it := range items {
		if it.Ratio.Floor {
			out = append(out, fmt.Sprintf("%s（不低于%s）", it.ID, pct(it.Ratio.Percent)))
		}
	}
	return out
}

// noteFloors adds to a ratio-filtered list which of its figures are
// floors, and which floors kept items out of a "below" question.
func (a *Asker) noteFloors(q *question.Query, now time.Time, s scope, ans *Answer) {
	if q.Ratio.Op == question.RatioNone {
		return
	}
	if f := floorIDs(append(slices.Clone(ans.Items), ans.NoWindow...)); len(f) > 0 {
		ans.Lines = append(ans.Lines, "其中"+strings.Join(f, "、")+"的比例是下限：计划只要求不低于该比例，实际抽查可以更高。")
	}
	below := slices.ContainsFunc(append([]question.RatioFilter{q.Ratio}, q.Ratios...), func(f question.RatioFilter) bool {
		return f.Op == question.RatioLT || f.Op == question.RatioLE
	})
	if !below {
		return
	}
	others := *q
	others.Ratio, others.Ratios = question.RatioFilter{}, nil
	items, nw, _ := a.filter(&others, now, s, false)
	var out []*plan.Item
	for _, it := range append(items, nw...) {
		if it.Ratio.Floor && !matchRatio(q, it.Ratio.Percent) {
			out = append(out, it)
		}
	}
	if f := floorIDs(out); len(f) > 0 {
		ans.Lines = append(ans.Lines, "比例写明“不低于”的"+strings.Join(f, "、")+"不会低于其下限，未列出。")
	}
}

// extremeList answers "比例最高的任务": among the items passing q's other
// filters, those with the highest (lowest) figure, ties all listed.
func (a *Asker) extremeList(q question.Query, now time.Time, s scope) Answer {
	base := q
	base.Extreme = question.ExtremeNone
	whole := !base.HasFilter()
	if whole {
		base.Period = question.Period{Kind: question.PeriodYear}
	}
	b := a.list(base, now, s)
	cands := append(slices.Clone(b.Items), b.NoWindow...)
	best := -1.0
	for _, it := range cands {
		p := it.Ratio.Percent
		if p <= 0 {
			continue
		}
		if best < 0 || q.Extreme == question.ExtremeMax && p > best || q.Extreme == question.ExtremeMin && p < best {
			best = p
		}
	}
	word := "最高"
	if q.Extreme == question.ExtremeMin {
		word = "最低"
	}
	ans := Answer{Kind: AnswerList}
	for _, it := range b.Items {
		if it.Ratio.Percent == best {
			ans.Items = append(ans.Items, it)
		}
	}
	for _, it := range b.NoWindow {
		if it.Ratio.Percent == best {
			ans.NoWindow = append(ans.NoWindow, it)
		}
	}
	prefix := s.in()
	if !whole {
		prefix, _, _ = strings.Cut(b.Title, "抽查任务（")
	}
	n := len(ans.Items) + len(ans.NoWindow)
	if n == 0 {
		ans.Title = prefix + "抽查任务（0项）"
		ans.Lines = []string{"计划中没有符合条件的任务。"}
		return ans
	}
	ans.Title = fmt.Sprintf("%s抽查比例%s（%s）的抽查任务（%d项）", prefix, word, pct(best), n)
	picked := append(slices.Clone(ans.Items), ans.NoWindow...)
	if f := floorIDs(picked); len(f) > 0 {
		ans.Lines = append(ans.Lines, "其中"+strings.Join(f, "、")+"的比例是下限：实际抽查不低于该比例，可以更高。")
	}
	if q.Extreme == question.ExtremeMax {
		// A floor below the highest figure might still be drawn higher.
		var others []*plan.Item
		for _, it := range cands {
			if it.Ratio.Floor && it.Ratio.Percent < best {
				others = append(others, it)
			}
		}
		if f := floorIDs(others); len(f) > 0 {
			ans.Lines = append(ans.Lines, "按计划写明的比例比较；"+strings.Join(f, "、")+"只规定了下限，实际可以更高。")
		}
	}
	return ans
}
