package answer

import (
	"fmt"
	"strings"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
)

// attrName is the plan's name for an attribute asked about directly, ""
// for none or for AttrHow (every field: a detail answer).
func attrName(a question.Attr) string {
	switch a {
	case question.AttrRatio:
		return "抽查比例及频次"
	case question.AttrFrequency:
		return "抽查频次"
	case question.AttrWindow:
		return "抽查检查起止时间"
	case question.AttrDept:
		return "发起部门及牵头/指导科室"
	case question.AttrSection:
		return "牵头/指导科室"
	case question.AttrScope:
		return "抽查对象范围"
	case question.AttrMatter:
		return "抽查事项"
	case question.AttrRisk:
		return "信用风险分类要求"
	}
	return ""
}

// attrValue is the attribute of it as shown in an answer, "未注明" (with
// what the plan does say) where the plan is silent.
func attrValue(it *plan.Item, attr question.Attr, year int) string {
	switch attr {
	case question.AttrRatio:
		if it.Ratio.Raw == "" {
			return "**未注明**"
		}
		return "**" + it.Ratio.Raw + "**（" + ratioExplained(it.Ratio) + "；" + riskShort(it.Risk) + "）"
	case question.AttrFrequency:
		if it.Ratio.Frequency == "" {
			return "**未注明**（抽查比例：" + orNone(it.Ratio.Raw) + "）"
		}
		return "**" + it.Ratio.Frequency + "**"
	case question.AttrWindow:
		return "**" + windowExplained(it.Window, year) + "**"
	case question.AttrDept:
		return deptSentence(it.Departments)
	case question.AttrSection:
		if len(it.Departments.Sections) == 0 {
			return "**未注明**（发起部门：" + orNone(joinOr(it.Departments.Initiators, it.Departments.Raw)) + "）"
		}
		secs := make([]string, len(it.Departments.Sections))
		for i, s := range it.Departments.Sections {
			secs[i] = "**" + s.Name + "**" + s.Role
		}
		return strings.Join(secs, "、")
	case question.AttrScope:
		return orNone(strings.TrimSpace(it.Scope))
	case question.AttrMatter:
		return orNone(strings.TrimSpace(it.Matter))
	case question.AttrRisk:
		if strings.TrimSpace(it.Risk.Raw) == "" {
			return "**未注明**（" + riskExplained(it.Risk) + "）"
		}
		return riskExplained(it.Risk) + "\n> 原文：" + it.Risk.Raw
	}
	return ""
}

// unusedNote is the line after an answer naming the words it left out,
// "" when there are none.
func unusedNote(words []string) string {
	if len(words) == 0 {
		return ""
	}
	const most = 3 // one short line
	var quoted []string
	for _, w := range words[:min(len(words), most)] {
		quoted = append(quoted, "“"+excerpt(w)+"”")
	}
	more := ""
	if len(words) > most {
		more = "等"
	}
	return fmt.Sprintf("（未能识别%s%s，已忽略。）", strings.Join(quoted, "、"), more)
}
