package plan

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The Chinese rendering names the file, row and column and says what is
// wrong the way the bureau would: file:第N行:列名 "值": 原因.
func TestParseErrorChinese(t *testing.T) {
	seed := seedText(t)
	cases := []struct {
		edit edit
		want string
	}{
		{setCell(14, 6, "13月-2月"), `changzhi.txt:第14行:抽查检查起止时间 "13月-2月": 月份 13 超出范围（应为1–12）`},
		{setCell(20, 6, "11月-3月"), `changzhi.txt:第20行:抽查检查起止时间 "11月-3月": 开始月份 11 晚于结束月份 3`},
		{setCell(21, 4, "150%/一年一次"), `changzhi.txt:第21行:抽查比例及频次 "150%/一年一次": 比例 150% 超出范围（应大于0且不超过100%）`},
		{setCell(31, 4, "100%/不定期"), `changzhi.txt:第31行:抽查比例及频次 "100%/不定期": 无法识别的频次“不定期”（应如一年一次、一年两次、半年一次）`},
		{setCell(21, 7, "牵头"), `changzhi.txt:第21行:发起部门 "牵头": “牵头”前面没有部门名称`},
		{setCell(29, 0, "11"), `changzhi.txt:第29行:序号 "11": 任务编号 11 重复（首次出现在第28行）`},
		{setCell(22, 1, ""), `changzhi.txt:第22行:抽查任务名称 "": 为空`},
		{setCell(9, 7, "部门"), `changzhi.txt:第9行: 表头中缺少“发起部门”列`},
		{dropLinesWith("## "), `changzhi.txt: 没有计划年度：表头之前没有“长治市市场监督管理局2023年度双随机抽查工作计划”这样的标题`},
	}
	for _, c := range cases {
		lines := c.edit(strings.Split(seed, "\n"))
		_, err := Parse("changzhi.txt", strings.NewReader(strings.Join(lines, "\n")))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("%v is not a *ParseError", err)
		}
		if got := pe.Chinese(); got != c.want {
			t.Errorf("Chinese() = %s\nwant         %s", got, c.want)
		}
	}
	// A long cell is cut; a workbook names its sheet.
	long := strings.Repeat("很长的事项", 20)
	xe := &ParseError{File: "plan.xlsx", Sheet: "Sheet1", Line: 7, Field: ColRatio, Value: long, Msg: "not a ratio", Reason: "不是抽查比例"}
	if got, want := xe.Chinese(), `plan.xlsx:工作表 Sheet1 第7行:抽查比例及频次 "`+string([]rune(long)[:40])+`…": 不是抽查比例`; got != want {
		t.Errorf("xlsx Chinese() = %s\nwant %s", got, want)
	}
}

// ParseFile reads a workbook or text by content, whatever the name says;
// LooksLikePlan finds the plan header near the top, not a directory's.
func TestParseFileAndLooksLikePlan(t *testing.T) {
	seed := []byte(seedText(t))
	p, err := ParseFile("计划", seed)
	if err != nil || p.Year != 2023 || len(p.Items()) != 17 {
		t.Fatalf("text: %v, %v", p, err)
	}
	f := excelize.NewFile()
	rows := [][]any{
		{"长治市市场监督管理局2024年度双随机抽查工作计划"},
		{"序号", "抽查任务名称", "抽查事项", "抽查对象范围", "抽查比例及频次", "智慧监管(信用风险分类)要求", "抽查检查起止时间", "发起部门"},
		{1, "拍卖活动检查", "拍卖活动经营资格检查", "企业", "30%/一年一次", "", "3月-11月", "市市场监督管理局"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := ParseFile("计划.txt", buf.Bytes()); err != nil || p.Year != 2024 || len(p.Items()) != 1 {
		t.Fatalf("xlsx named .txt: %v, %v", p, err)
	}
	if !LooksLikePlan(buf.Bytes()) || !LooksLikePlan(seed) {
		t.Error("plan not recognised")
	}
	var pe *ParseError
	if _, err := ParseFile("计划.xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, 0, 0)); !errors.As(err, &pe) || !strings.Contains(pe.Chinese(), "另存为 .xlsx") {
		t.Errorf(".xls: %v", err)
	}
	for _, notPlan := range []string{
		"序号,统一社会信用代码,名称,抽查任务,所属区县,信用风险分类,登记状态\n1,91140403MAG928PQ9X,某加油站,1,潞州区,一般风险,存续\n",
		"姓名,企业微信账号,执法证号,所属部门,可执行任务,回避对象,专业领域,手机\n",
		"",
	} {
		if LooksLikePlan([]byte(notPlan)) {
			t.Errorf("taken for a plan: %q", notPlan)
		}
	}
	// A plan whose header lost a column is still a plan (its error is a plan's).
	broken := bytes.Replace(seed, []byte("\t发起部门\n"), []byte("\t部门\n"), 1)
	if !LooksLikePlan(broken) {
		t.Error("plan with a broken header not recognised")
	}
}
