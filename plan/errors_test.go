package plan

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func seedText(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit returns the seed text with changes applied to 1-based line numbers.
type edit func(lines []string) []string

func setCell(line, col int, value string) edit {
	return func(lines []string) []string {
		cells := strings.Split(lines[line-1], "\t")
		cells[col] = value
		lines[line-1] = strings.Join(cells, "\t")
		return lines
	}
}

func setLine(line int, text string) edit {
	return func(lines []string) []string {
		lines[line-1] = text
		return lines
	}
}

func dropLinesWith(prefix string) edit {
	return func(lines []string) []string {
		for i, l := range lines {
			if strings.HasPrefix(l, prefix) {
				lines[i] = ""
			}
		}
		return lines
	}
}

func onlyLines(keep ...int) edit {
	return func(lines []string) []string {
		var out []string
		for _, n := range keep {
			out = append(out, lines[n-1])
		}
		return out
	}
}

func TestParseErrors(t *testing.T) {
	seed := seedText(t)
	tests := []struct {
		name  string
		edits []edit
		raw   string // used instead of the edited seed when set
		line  int
		field string
		msg   string
	}{
		{"window month 13", []edit{setCell(14, 6, "13月-2月")}, "", 14, ColWindow, "month 13 out of range"},
		{"window reversed", []edit{setCell(20, 6, "11月-3月")}, "", 20, ColWindow, "start month 11 is after end month 3"},
		{"window words", []edit{setCell(20, 6, "待定")}, "", 20, ColWindow, "not a month range"},
		{"ratio 待定", []edit{setCell(20, 4, "待定")}, "", 20, ColRatio, "not a ratio"},
		{"ratio 150%", []edit{setCell(21, 4, "150%/一年一次")}, "", 21, ColRatio, "out of range"},
		{"ratio empty", []edit{setCell(21, 4, "")}, "", 21, ColRatio, "empty"},
		{"ratio frequency", []edit{setCell(31, 4, "100%/不定期")}, "", 31, ColRatio, "unknown frequency"},
		{"continuation ratio", []edit{setCell(32, 4, "三成")}, "", 32, ColRatio, "not a ratio"},
		{"departments empty", []edit{setCell(21, 7, "")}, "", 21, ColDepartments, "empty"},
		{"departments role only", []edit{setCell(21, 7, "牵头")}, "", 21, ColDepartments, "without a department name"},
		{"serial not a number", []edit{setCell(22, 0, "九")}, "", 22, ColSerial, "not a task number"},
		{"serial zero", []edit{setCell(22, 0, "0")}, "", 22, ColSerial, "not a task number"},
		{"duplicate serial", []edit{setCell(29, 0, "11")}, "", 29, ColSerial, "duplicate task number 11 (first at line 28)"},
		{"duplicate across pages", []edit{setCell(37, 0, "1")}, "", 37, ColSerial, "duplicate task number 1 (first at line 10)"},
		{"name empty", []edit{setCell(22, 1, "")}, "", 22, ColName, "empty"},
		{"continuation with another name", []edit{setCell(32, 1, "别的任务")}, "", 32, ColSerial, "is not the name of task 15"},
		{"continuation first", []edit{onlyLines(7, 9, 32)}, "", 3, ColSerial, "no task above it"},
		{"too few columns", []edit{setLine(20, "7\t对强制性产品认证活动的双随机抽查\t认证证书\t10%/一年一次\t\t3月-12月\t市市场监督管理局")}, "", 20, "", "row has 7 columns, the header has 8"},
		{"too many columns", []edit{setCell(20, 7, "市市场监督管理局\t多余")}, "", 20, "", "row has 9 columns, the header has 8"},
		{"stray line in table", []edit{setLine(24, "第1页")}, "", 24, "", "row has 1 columns"},
		{"no title", []edit{dropLinesWith("## ")}, "", 0, "", "no plan year"},
		{"title without year", []edit{setLine(16, "## 双随机抽查工作计划")}, "", 16, "", "has no year"},
		{"title other year", []edit{setLine(25, "## 长治市市场监督管理局2024年度双随机抽查工作计划")}, "", 25, "", "title year 2024 differs from 2023"},
		{"no header", []edit{dropLinesWith("序号")}, "", 10, "", "before the header row"},
		{"header missing column", []edit{setCell(9, 7, "部门")}, "", 9, "", "header has no column 发起部门"},
		{"header column twice", []edit{setCell(9, 3, "抽查事项")}, "", 9, "", "header has column 抽查事项 twice"},
		{"header differs on page 2", []edit{setCell(18, 2, "抽查对象范围"), setCell(18, 3, "抽查事项")}, "", 18, "", "header differs from the first header (line 9)"},
		{"no tasks", []edit{onlyLines(3, 7, 9)}, "", 0, "", "no tasks"},
		{"only stray lines", nil, "杨威\n\n2023年3月\n", 0, "", "no header row"},
		{"empty file", nil, "", 0, "", "no header row"},
		{"not text", nil, "PK\x03\x04\x00\x00", 1, "", "not a text file"},
		{"neither UTF-8 nor GBK", nil, "## 2023年度计划\n\xff\xfe\xff", 2, "", "neither UTF-8 nor GBK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.raw
			if tt.edits != nil {
				lines := strings.Split(seed, "\n")
				for _, e := range tt.edits {
					lines = e(lines)
				}
				text = strings.Join(lines, "\n")
			}
			p, err := Parse("changzhi.txt", strings.NewReader(text))
			if err == nil {
				t.Fatalf("no error; parsed %d tasks", len(p.Tasks))
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if pe.File != "changzhi.txt" || pe.Line != tt.line || pe.Field != tt.field || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got %+v\nwant line %d field %q msg containing %q", pe, tt.line, tt.field, tt.msg)
			}
			prefix := "changzhi.txt: "
			if tt.line > 0 {
				prefix = fmt.Sprintf("changzhi.txt:%d: ", tt.line)
			}
			if tt.field != "" {
				prefix += tt.field + " "
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), prefix)
			}
			// Every problem has its Chinese reason, placed by row and column.
			zh := "changzhi.txt: "
			if tt.line > 0 {
				zh = fmt.Sprintf("changzhi.txt:第%d行", tt.line)
				if tt.field == "" {
					zh += ": "
				}
			}
			if tt.field != "" {
				zh += ":" + tt.field + " "
			}
			if pe.Reason == "" || !strings.HasPrefix(pe.Chinese(), zh) || !strings.HasSuffix(pe.Chinese(), pe.Reason) {
				t.Errorf("Chinese() = %q, want prefix %q and a Chinese reason", pe.Chinese(), zh)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	lines := strings.Split(seedText(t), "\n")
	lines = setCell(14, 6, "13月-2月")(lines)
	_, err := Parse("changzhi.txt", strings.NewReader(strings.Join(lines, "\n")))
	want := `changzhi.txt:14: 抽查检查起止时间 "13月-2月": month 13 out of range`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	xe := &ParseError{File: "plan.xlsx", Sheet: "Sheet1", Line: 7, Field: ColRatio, Value: "待定", Msg: "not a ratio"}
	if got, want := xe.Error(), `plan.xlsx:Sheet1!row 7: 抽查比例及频次 "待定": not a ratio`; got != want {
		t.Errorf("xlsx error = %q, want %q", got, want)
	}
}
