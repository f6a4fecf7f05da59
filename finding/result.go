package finding

import (
	"errors"
	"fmt"
)

// Category is a result category of the national publicity system
// (GS52—2017), 1..10.
type Category int

// Kind describes one category: its label, the sub-reasons it needs, and
// the follow-ups that fit it.
type Kind struct {
	Code  Category
	Label string
	// Subs are the sub-reasons to choose from (1-based in Result.Sub);
	// empty when the category has none.
	Subs []string
	// FollowUps fit the category; SubFollowUps, when set, fit per
	// sub-reason instead (index Sub-1).
	FollowUps    []FollowUp
	SubFollowUps [][]FollowUp
}

// Kinds is the result table. The follow-ups are local practice (DOMAIN.md
// names the four but not which fits which result):
//
//	1 未发现问题                     无需后续处置
//	2 未按规定公示应当公示的信息     责令改正 / 移送办案机构
//	3 公示信息隐瞒真实情况、弄虚作假 移送办案机构
//	4 通过登记的住所无法联系         移送办案机构 (经营异常名录) / 无需后续处置
//	5 发现问题已责令改正             责令改正
//	6 发现问题待后续处理             违反市场监管相关规定 → 移送办案机构;
//	                                 违反其他部门相关规定 → 抄告相关部门
//	7 未发现开展本次抽查涉及的经营活动 无需后续处置
//	8 已关闭停业或正在组织清算       无需后续处置
//	9 不配合检查情节严重             移送办案机构
//	10 已注销/已被吊销/已被撤销/已迁出 无需后续处置
var Kinds = []Kind{
	{Code: 1, Label: "未发现问题", FollowUps: []FollowUp{NoAction}},
	{Code: 2, Label: "未按规定公示应当公示的信息", FollowUps: []FollowUp{Rectify, Transfer}},
	{Code: 3, Label: "公示信息隐瞒真实情况、弄虚作假", FollowUps: []FollowUp{Transfer}},
	{Code: 4, Label: "通过登记的住所（经营场所）无法联系", FollowUps: []FollowUp{Transfer, NoAction}},
	{Code: 5, Label: "发现问题已责令改正", FollowUps: []FollowUp{Rectify}},
	{Code: 6, Label: "发现问题待后续处理", Subs: []string{"违反市场监管相关规定", "违反其他部门相关规定"},
		SubFollowUps: [][]FollowUp{{Transfer}, {Notify}}},
	{Code: 7, Label: "未发现开展本次抽查涉及的经营活动", FollowUps: []FollowUp{NoAction}},
	{Code: 8, Label: "已关闭停业或正在组织清算", FollowUps: []FollowUp{NoAction}},
	{Code: 9, Label: "不配合检查情节严重", FollowUps: []FollowUp{Transfer}},
	{Code: 10, Label: "已注销/已被吊销/已被撤销/已迁出", Subs: []string{"已注销", "已被吊销", "已被撤销", "已迁出"},
		FollowUps: []FollowUp{NoAction}},
}

// KindOf returns the category's description.
func KindOf(c Category) (Kind, bool) {
	if c < 1 || int(c) > len(Kinds) {
		return Kind{}, false
	}
	return Kinds[c-1], true
}

// Result is a category and, where the category has them, a sub-reason.
type Result struct {
	Category Category `json:"category"`
	Sub      int      `json:"sub,omitempty"` // 1-based index into Kind.Subs
}

// Validate reports an unknown category or a missing or unknown sub-reason.
func (r Result) Validate() error {
	k, ok := KindOf(r.Category)
	switch {
	case !ok:
		return errors.New("请选择检查结果")
	case len(k.Subs) == 0 && r.Sub != 0:
		return fmt.Errorf("检查结果“%s”没有细分原因", k.Label)
	case len(k.Subs) > 0 && (r.Sub < 1 || r.Sub > len(k.Subs)):
		return fmt.Errorf("检查结果“%s”需要选择具体情形", k.Label)
	}
	return nil
}

// Label is the display form: "发现问题待后续处理（违反市场监管相关规定）",
// "已注销".
func (r Result) Label() string {
	k, ok := KindOf(r.Category)
	switch {
	case !ok:
		return "未选择"
	case r.Category == 10 && r.Sub >= 1 && r.Sub <= len(k.Subs):
		return k.Subs[r.Sub-1]
	case r.Sub >= 1 && r.Sub <= len(k.Subs):
		return k.Label + "（" + k.Subs[r.Sub-1] + "）"
	}
	return k.Label
}

// FollowUps are the follow-ups that fit r (nil for an invalid result).
func (r Result) FollowUps() []FollowUp {
	if r.Validate() != nil {
		return nil
	}
	k, _ := KindOf(r.Category)
	if k.SubFollowUps != nil {
		return k.SubFollowUps[r.Sub-1]
	}
	return k.FollowUps
}

// FollowUp is what happens after the check (后续处置).
type FollowUp string

const (
	NoAction FollowUp = "none"     // 无需后续处置
	Rectify  FollowUp = "rectify"  // 责令改正
	Transfer FollowUp = "transfer" // 移送办案机构
	Notify   FollowUp = "notify"   // 抄告相关部门
)

// FollowUpList is every follow-up in display order.
var FollowUpList = []FollowUp{NoAction, Rectify, Transfer, Notify}

// Label is the Chinese name.
func (f FollowUp) Label() string {
	switch f {
	case NoAction:
		return "无需后续处置"
	case Rectify:
		return "责令改正"
	case Transfer:
		return "移送办案机构"
	case Notify:
		return "抄告相关部门"
	}
	return "未选择"
}
