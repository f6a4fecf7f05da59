package directory

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/department"
)

var inspectorHeader = []string{ColInspectorName, ColUserID, ColBadgeNo, ColUnit, ColCanExecute, ColAvoid, ColSpecialty, ColMobile}

var inspectorRows = [][]string{
	{"张三", "ZhangSan", "14040001", "计量科", "1;2;3", code(1), "计量", "13800000001"},
	{"李四", "lisi", "14040002", "潞州区局", "全部", code(1) + "；" + code(2) + " " + code(1), "", ""},
	{"王五", "wang.wu@lz", "14040003", "特设科", "１５－２、16", "", "", ""},
	{"赵六", "zhaoliu", "14040004", "长治市市场监督管理局", "所有", "", "", ""},
}

var wantInspectors = []Inspector{
	{Name: "张三", UserID: "ZhangSan", BadgeNo: "14040001", Unit: "计量科", Items: []string{"1", "2", "3"}, Avoid: []string{code(1)}, Specialty: "计量", Mobile: "13800000001", Row: 2},
	{Name: "李四", UserID: "lisi", BadgeNo: "14040002", Unit: "潞州区", AllItems: true, Avoid: []string{code(1), code(2)}, Row: 3},
	{Name: "王五", UserID: "wang.wu@lz", BadgeNo: "14040003", Unit: "特种设备安全监察科", Items: []string{"15-2", "16"}, Row: 4},
	{Name: "赵六", UserID: "zhaoliu", BadgeNo: "14040004", Unit: department.City, AllItems: true, Row: 5},
}

// someEntities holds code(1) only.
func someEntities() *Entities {
	return &Entities{List: []Entity{{CreditCode: code(1), Name: "甲"}}}
}

func TestImportInspectors(t *testing.T) {
	table := append([][]string{inspectorHeader}, inspectorRows...)
	synonyms := append([][]string{{"人员姓名", "企业微信 ID", "执法证件号", "单位", "可执行抽查任务", "回避", "专业", "手机号"}}, inspectorRows...)
	tests := []struct {
		name, file string
		data       []byte
	}{
		{"CSV", "人员.csv", csvBytes(t, ',', table)},
		{"tab-separated", "人员.txt", csvBytes(t, '\t', table)},
		{"xlsx", "人员.xlsx", xlsxBytes(t, sheet{"人员", table})},
		{"synonyms", "人员.csv", csvBytes(t, ',', synonyms)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readFile(t, writeFile(t, tt.file, tt.data))
			got, warnings, err := ImportInspectors(tt.file, data, seedOptions(t), someEntities())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.List, wantInspectors) {
				t.Errorf("inspectors differ:\n got %+v\nwant %+v", got.List, wantInspectors)
			}
			if got.Source != tt.file || got.Rows != 4 || !strings.HasPrefix(got.Hash, "sha256:") {
				t.Errorf("meta %+v", got.Meta)
			}
			// code(2) is avoided by 李四 but is not in the entity directory.
			want := []Problem{{Row: 3, Column: ColAvoid, Value: code(2), Message: "检查对象名录中没有此统一社会信用代码"}}
			if !reflect.DeepEqual(warnings, want) {
				t.Errorf("warnings %+v, want %+v", warnings, want)
			}
		})
	}
	// Without an entity directory there is nothing to warn about.
	if _, warnings, err := ImportInspectors("人员.csv", csvBytes(t, ',', table), seedOptions(t), nil); err != nil || len(warnings) != 0 {
		t.Errorf("nil entities: warnings %v, err %v", warnings, err)
	}
}

// inspectorFile is a CSV with the standard header and rows.
func inspectorFile(t testing.TB, rows ...[]string) []byte {
	return csvBytes(t, ',', append([][]string{inspectorHeader}, rows...))
}

// withIn returns valid row i of inspectorRows with column col set to value.
func withIn(i int, col, value string) []string {
	return setCell(inspectorHeader, inspectorRows[i], col, value)
}

func TestImportInspectorsProblems(t *testing.T) {
	bad, right := wrongCheck(3)
	tests := []struct {
		name     string
		data     []byte
		want     []Problem
		warnings int
	}{
		// The warning about code(2) comes back with the error.
		{"name empty", inspectorFile(t, withIn(1, ColInspectorName, "")),
			[]Problem{{2, ColInspectorName, "", "为空"}}, 1},
		{"userid empty", inspectorFile(t, withIn(2, ColUserID, "")),
			[]Problem{{2, ColUserID, "", "为空"}}, 0},
		{"userid malformed", inspectorFile(t, withIn(2, ColUserID, "张三")),
			[]Problem{{2, ColUserID, "张三", "不是企业微信账号"}}, 0},
		{"userid duplicate ignoring case", inspectorFile(t, inspectorRows[0], withIn(2, ColUserID, "zhangsan")),
			[]Problem{{3, ColUserID, "zhangsan", "与第2行重复（企业微信账号不区分大小写）"}}, 0},
		{"badge empty", inspectorFile(t, withIn(2, ColBadgeNo, "")),
			[]Problem{{2, ColBadgeNo, "", "为空"}}, 0},
		{"badge duplicate", inspectorFile(t, inspectorRows[2], withIn(3, ColBadgeNo, "１４０４０００３")),
			[]Problem{{3, ColBadgeNo, "１４０４０００３", "与第2行重复"}}, 0},
		{"unit unknown", inspectorFile(t, withIn(2, ColUnit, "办公室")),
			[]Problem{{2, ColUnit, "办公室", "不是已知的部门"}}, 0},
		{"unit all counties", inspectorFile(t, withIn(2, ColUnit, "各县区局")),
			[]Problem{{2, ColUnit, "各县区局", "应写具体的县区局"}}, 0},
		{"unit empty", inspectorFile(t, withIn(2, ColUnit, "")),
			[]Problem{{2, ColUnit, "", "为空"}}, 0},
		{"items empty", inspectorFile(t, withIn(2, ColCanExecute, "")),
			[]Problem{{2, ColCanExecute, "", "为空（不限任务请填写 全部）"}}, 0},
		{"items unknown", inspectorFile(t, withIn(2, ColCanExecute, "12;全部")),
			[]Problem{{2, ColCanExecute, "12;全部", `抽查计划中没有任务 12；"全部" 不是任务编号`}}, 0},
		{"avoid malformed", inspectorFile(t, withIn(2, ColAvoid, code(1)+";"+bad+";abc")),
			[]Problem{{2, ColAvoid, code(1) + ";" + bad + ";abc", fmt.Sprintf(`不是有效的统一社会信用代码："%s" 校验位错误（应为 %s）；"abc" 应为 18 位，实为 3 位`, bad, right)}}, 0},
		{"missing columns", csvBytes(t, ',', [][]string{{"姓名", "手机"}, {"张三", "138"}}),
			[]Problem{
				{1, ColUserID, "", "表头中缺少此列"},
				{1, ColBadgeNo, "", "表头中缺少此列"},
				{1, ColUnit, "", "表头中缺少此列"},
				{1, ColCanExecute, "", "表头中缺少此列"},
			}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := ImportInspectors("人员.csv", tt.data, seedOptions(t), someEntities())
			if got != nil {
				t.Errorf("a snapshot was returned with problems")
			}
			assertProblems(t, err, "人员.csv", tt.want)
			if len(warnings) != tt.warnings {
				t.Errorf("warnings %v, want %d", warnings, tt.warnings)
			}
		})
	}
}

func TestImportInspectorsFile(t *testing.T) {
	_, _, err := ImportInspectors("人员.csv", entityFile(t, entityRows...), Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), "第1行的表头像是检查对象名录，不是执法检查人员名录") {
		t.Errorf("error %v", err)
	}
}

func TestImportErrorString(t *testing.T) {
	e := &ImportError{File: "对象.csv", Problems: []Problem{{Row: 12, Column: ColCreditCode, Value: "91350100M000100Y44", Message: "校验位错误（应为 3）"}}}
	if got, want := e.Error(), `对象.csv: 第12行 统一社会信用代码 "91350100M000100Y44": 校验位错误（应为 3）`; got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
	e = &ImportError{File: "对象.xlsx", Sheet: "名录"}
	for i := range 45 {
		e.Problems = append(e.Problems, Problem{Row: i + 2, Column: ColName, Message: "为空"})
	}
	e.Problems = append(e.Problems, Problem{Row: 1, Column: ColRisk, Value: strings.Repeat("很", 50), Message: "x"})
	got := e.Error()
	lines := strings.Split(got, "\n")
	if lines[0] != "对象.xlsx（工作表 名录）: 有 46 个问题，整个文件未导入:" || len(lines) != 32 ||
		lines[1] != "第2行 名称: 为空" || lines[31] != "另有 16 个问题" {
		t.Errorf("Error() =\n%s", got)
	}
	if got, want := e.Problems[45].String(), `第1行 信用风险分类 "`+strings.Repeat("很", 40)+`…": x`; got != want {
		t.Errorf("long value: %q", got)
	}
	if got := (Problem{Message: "文件为空"}).String(); got != "文件为空" {
		t.Errorf("file problem: %q", got)
	}
}

// TestImportEntitiesManyProblems: every row's problem is reported, not
// only the first 30.
func TestImportEntitiesManyProblems(t *testing.T) {
	var rows [][]string
	for i := range 100 {
		rows = append(rows, []string{code(i + 1), "甲", "1", "潞州区", "A", "歇业"})
	}
	_, err := ImportEntities("a.csv", entityFile(t, rows...), seedOptions(t))
	ie, _ := err.(*ImportError)
	if ie == nil || len(ie.Problems) != 100 || ie.Problems[99].Row != 101 || !strings.HasSuffix(err.Error(), "另有 70 个问题") {
		t.Errorf("error %v", err)
	}
}
