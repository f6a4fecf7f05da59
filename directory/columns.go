package directory

import (
	"fmt"
	"strings"

	"github.com/changzhi-amr/choucha/department"
)

// Column names of the 检查对象名录, as Problem.Column gives them.
const (
	ColCreditCode = "统一社会信用代码"
	ColName       = "名称"
	ColItems      = "抽查任务"
	ColDistrict   = "所属区县"
	ColRisk       = "信用风险分类"
	ColStatus     = "登记状态"
	ColAddress    = "地址"
	ColPhone      = "联系电话"
	ColIndustry   = "行业"
)

// Column names of the 执法检查人员名录.
const (
	ColInspectorName = "姓名"
	ColUserID        = "企业微信账号"
	ColBadgeNo       = "执法证号"
	ColUnit          = "所属部门"
	ColCanExecute    = "可执行任务"
	ColAvoid         = "回避对象"
	ColSpecialty     = "专业领域"
	ColMobile        = "手机"
)

// column is one column a directory may have, found by any of its names.
type column struct {
	name     string
	aliases  []string
	required bool
}

// kind is one of the two directories: its columns (indexed by the c*
// constants below) and the folded header text of each.
type kind struct {
	what   string // 检查对象名录 or 执法检查人员名录
	cols   []column
	byName map[string]int
}

// Entity columns, indexes into entityKind.cols.
const (
	cCode = iota
	cName
	cItems
	cDistrict
	cRisk
	cStatus
	cAddress
	cPhone
	cIndustry
)

// Inspector columns, indexes into inspectorKind.cols.
const (
	iName = iota
	iUserID
	iBadge
	iUnit
	iItems
	iAvoid
	iSpecialty
	iMobile
)

// The risk column is required although its cells may be empty: a header
// misspelt or dropped would otherwise make every entity unclassified and
// silently change the draw ratios.
var entityKind = newKind("检查对象名录", []column{
	cCode:     {ColCreditCode, []string{"社会信用代码", "信用代码", "统一代码"}, true},
	cName:     {ColName, []string{"企业名称", "主体名称", "单位名称", "市场主体名称", "检查对象名称"}, true},
	cItems:    {ColItems, []string{"抽查事项编号", "任务", "抽查任务编号", "任务编号"}, true},
	cDistrict: {ColDistrict, []string{"区县", "所属地区", "所属县区", "县区"}, true},
	cRisk:     {ColRisk, []string{"风险分类", "风险等级", "信用风险等级", "信用风险分类结果"}, true},
	cStatus:   {ColStatus, []string{"经营状态", "状态", "企业状态", "登记状况"}, true},
	cAddress:  {ColAddress, []string{"住所", "经营场所", "住所经营场所", "经营地址", "注册地址"}, false},
	cPhone:    {ColPhone, []string{"电话", "联系方式"}, false},
	cIndustry: {ColIndustry, []string{"所属行业", "行业类别", "行业门类"}, false},
})

var inspectorKind = newKind("执法检查人员名录", []column{
	iName:      {ColInspectorName, []string{"人员姓名", "执法人员姓名", "检查人员姓名"}, true},
	iUserID:    {ColUserID, []string{"企业微信帐号", "企业微信ID", "企业微信userid", "userid", "账号", "帐号"}, true},
	iBadge:     {ColBadgeNo, []string{"执法证件号", "执法证件号码", "执法证编号", "执法证件编号"}, true},
	iUnit:      {ColUnit, []string{"部门", "单位", "所属单位", "科室"}, true},
	iItems:     {ColCanExecute, []string{"可执行抽查任务", "可执行的抽查任务", "可承担任务"}, true},
	iAvoid:     {ColAvoid, []string{"回避", "回避企业", "需回避对象"}, false},
	iSpecialty: {ColSpecialty, []string{"专业", "专业特长"}, false},
	iMobile:    {ColMobile, []string{"手机号", "手机号码", "移动电话"}, false},
})

func newKind(what string, cols []column) *kind {
	k := &kind{what: what, cols: cols, byName: map[string]int{}}
	for i, c := range cols {
		for _, n := range append([]string{c.name}, c.aliases...) {
			k.byName[foldHeader(n)] = i
		}
	}
	return k
}

// foldHeader is the form header cells are matched in: full-width folded,
// spaces and brackets dropped, lower case, and a template's required marks
// (*, 必填, 选填) and quotes (seen before the text is parsed as CSV) removed.
func foldHeader(s string) string {
	s = strings.ToLower(department.Fold(s))
	s = strings.Trim(s, `*:"`)
	for _, suf := range []string{"必填", "选填", "可选"} {
		s = strings.TrimSuffix(s, suf)
	}
	return strings.Trim(s, "*:")
}

// header is where a kind's columns stand in a file.
type header struct {
	row int   // 1-based row of the header
	pos []int // column index -> cell index; -1 when absent
}

// matchHeader maps the cells of a candidate header row to the kind's
// columns; matched counts the cells recognised.
func (k *kind) matchHeader(cells []string) (pos []int, matched int) {
	pos = make([]int, len(k.cols))
	for i := range pos {
		pos[i] = -1
	}
	for i, c := range cells {
		if col, ok := k.byName[foldHeader(c)]; ok {
			matched++
			if pos[col] < 0 {
				pos[col] = i
			}
		}
	}
	return pos, matched
}

// headerProblems are a found header's missing required columns and columns
// given twice.
func (k *kind) headerProblems(row int, cells []string, pos []int) []Problem {
	var ps []Problem
	for i, c := range cells {
		if col, ok := k.byName[foldHeader(c)]; ok && pos[col] != i {
			ps = append(ps, Problem{Row: row, Column: k.cols[col].name, Value: strings.TrimSpace(c),
				Message: fmt.Sprintf("表头中此列出现了两次（%s 列和 %s 列）", columnLetter(pos[col]), columnLetter(i))})
		}
	}
	for col, c := range k.cols {
		if c.required && pos[col] < 0 {
			msg := "表头中缺少此列"
			if len(c.aliases) > 0 {
				msg += "（也可写作 " + strings.Join(c.aliases[:min(3, len(c.aliases))], "、") + "）"
			}
			if col == cRisk && k == entityKind {
				msg += "；该列的单元格可以留空，表示未分类"
			}
			ps = append(ps, Problem{Row: row, Column: c.name, Message: msg})
		}
	}
	return ps
}

// columnLetter is the spreadsheet name of a 0-based column: A, B, …, AA.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// names lists the kind's required column names, for messages.
func (k *kind) names() string {
	var ns []string
	for _, c := range k.cols {
		if c.required {
			ns = append(ns, c.name)
		}
	}
	return strings.Join(ns, "、")
}
