package directory

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/changzhi-amr/choucha/department"
)

var entityHeader = []string{ColCreditCode, ColName, ColItems, ColDistrict, ColRisk, ColStatus, ColAddress, ColPhone, ColIndustry}

// entityRows are valid rows in the ways people write them, and wantEntities
// what they import to when the header is row 1.
var entityRows = [][]string{
	{code(1), "长治市甲食品有限公司", "4", "潞州区", "A", "存续", "潞州区英雄中路1号", "0355-1234567", "食品制造业"},
	{" " + strings.ToLower(code(2)) + " ", "乙计量器具厂", "1;2；3、 1", "潞州区局", "较高风险", "存续（在营、开业、在册）", "", "", ""},
	{code(3), "丙拍卖行", "８，１５－２", "长治市上党区", "", "注销", "", "", ""},
	{code(4), "丁文物商店", "9 15-1", "沁县市场监督管理局", "d类", "吊销，未注销", "", "", ""},
	{code(5), "戊广告公司", "13", "山西省长治市潞城区", "一般风险", "在业", "", "", ""},
	{code(6), "己认证公司", "07", "襄垣县", "C级", "迁出", "", "", ""},
}

func wantEntities(firstRow int) []Entity {
	return []Entity{
		{CreditCode: code(1), Name: "长治市甲食品有限公司", Items: []string{"4"}, District: "潞州区", Risk: RiskA, Status: StatusExisting,
			Address: "潞州区英雄中路1号", Phone: "0355-1234567", Industry: "食品制造业", Row: firstRow},
		{CreditCode: code(2), Name: "乙计量器具厂", Items: []string{"1", "2", "3"}, District: "潞州区", Risk: RiskC, Status: StatusExisting, Row: firstRow + 1},
		{CreditCode: code(3), Name: "丙拍卖行", Items: []string{"8", "15-2"}, District: "上党区", Risk: RiskUnclassified, Status: StatusCancelled, Row: firstRow + 2},
		{CreditCode: code(4), Name: "丁文物商店", Items: []string{"9", "15-1"}, District: "沁县", Risk: RiskD, Status: StatusRevoked, Row: firstRow + 3},
		{CreditCode: code(5), Name: "戊广告公司", Items: []string{"13"}, District: "潞城区", Risk: RiskB, Status: StatusOperating, Row: firstRow + 4},
		{CreditCode: code(6), Name: "己认证公司", Items: []string{"7"}, District: "襄垣县", Risk: RiskC, Status: StatusMovedOut, Row: firstRow + 5},
	}
}

// reorder returns rows with their columns in the order of perm, and an
// extra column appended.
func reorder(rows [][]string, perm []int, extra string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		for _, p := range perm {
			out[i] = append(out[i], r[p])
		}
		out[i] = append(out[i], extra)
	}
	return out
}

func TestImportEntitiesFormats(t *testing.T) {
	table := append([][]string{entityHeader}, entityRows...)
	utf8CSV := csvBytes(t, ',', table)
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(utf8CSV)
	if err != nil {
		t.Fatal(err)
	}
	utf16TSV, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(csvBytes(t, '\t', table))
	if err != nil {
		t.Fatal(err)
	}
	// Columns shuffled, an extra 序号 in front and 备注 at the end, two
	// title rows and a blank row above the header.
	perm := []int{5, 1, 0, 8, 3, 2, 4, 7, 6}
	shuffled := append([][]string{{"长治市检查对象名录库"}, {"填报单位：市局", "2023年3月"}, {}}, reorder(table, perm, "备注")...)
	for i := range shuffled[3:] {
		shuffled[3+i] = append([]string{"序号"}, shuffled[3+i]...)
	}
	// Synonyms, full-width brackets and spaces, required marks.
	synonyms := append([][]string{{"社会信用代码*", "企业 名称", "抽查事项编号", "区县（必填）", "风险等级", "经营状态", "住所", "电话", "所属行业"}}, entityRows...)

	tests := []struct {
		name     string
		file     string
		data     []byte
		firstRow int
	}{
		{"UTF-8 CSV", "对象.csv", utf8CSV, 2},
		{"UTF-8 BOM CSV", "对象.csv", append([]byte("\ufeff"), utf8CSV...), 2},
		{"GBK CSV", "对象.csv", gbk, 2},
		{"CRLF CSV", "对象.csv", []byte(strings.ReplaceAll(string(utf8CSV), "\n", "\r\n")), 2},
		{"tab-separated", "对象.txt", csvBytes(t, '\t', table), 2},
		{"UTF-16 tab-separated (Excel's Unicode text)", "对象.txt", utf16TSV, 2},
		{"tab-separated, quoted header", "对象.txt", []byte(`"` + strings.Join(entityHeader, "\"\t\"") + "\"\n" + string(csvBytes(t, '\t', entityRows))), 2},
		{"tab-separated, commas in cells", "对象.txt", csvBytes(t, '\t', append([][]string{entityHeader}, reorder(entityRows, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, "a,b")...)), 2},
		{"xlsx", "对象.xlsx", xlsxBytes(t, sheet{"名录", table}), 2},
		{"xlsx without extension", "upload", xlsxBytes(t, sheet{"名录", table}), 2},
		{"xlsx, notes sheet first, title rows", "对象.xlsx", xlsxBytes(t,
			sheet{"说明", [][]string{{"请在第二个工作表填写"}, {"每行一个检查对象"}}},
			sheet{"名录", append([][]string{{"长治市检查对象名录库"}, nil, nil}, table...)}), 5},
		{"CSV other order, extra columns, title rows", "对象.csv", csvBytes(t, ',', shuffled), 5},
		{"header synonyms", "对象.csv", csvBytes(t, ',', synonyms), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.data)
			data := readFile(t, path)
			got, err := ImportEntities(tt.file, data, seedOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			if want := wantEntities(tt.firstRow); !reflect.DeepEqual(got.List, want) {
				t.Errorf("entities differ:\n got %+v\nwant %+v", got.List, want)
			}
			sum := sha256.Sum256(data)
			if got.Source != tt.file || got.Rows != len(entityRows) || got.Hash != "sha256:"+hex.EncodeToString(sum[:]) {
				t.Errorf("meta %+v", got.Meta)
			}
		})
	}
}

// TestImportEntitiesRows: Entity.Row is the row a spreadsheet shows, across
// blank rows, rows left out of an .xlsx, and a cell spanning lines.
func TestImportEntitiesRows(t *testing.T) {
	r := entityRows
	rows := [][]string{entityHeader, r[0], nil, nil, r[1], nil, r[2]}
	x, err := ImportEntities("a.xlsx", xlsxBytes(t, sheet{"S", rows}), seedOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{x.List[0].Row, x.List[1].Row, x.List[2].Row}; !reflect.DeepEqual(got, []int{2, 5, 7}) {
		t.Errorf("xlsx rows %v, want [2 5 7]", got)
	}
	text := "统一社会信用代码,名称,抽查任务,所属区县,信用风险分类,登记状态\n\n" +
		code(1) + ",\"甲\n公司\",1,潞州区,A,存续\n" +
		code(2) + ",乙,1,潞州区,A,存续\n"
	c, err := ImportEntities("a.csv", []byte(text), seedOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.List[0].Row != 3 || c.List[1].Row != 5 || c.List[0].Name != "甲\n公司" {
		t.Errorf("csv rows %d %d name %q, want 3 5", c.List[0].Row, c.List[1].Row, c.List[0].Name)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// entityFile is a CSV with the standard header and rows, each a full row
// of entityHeader's columns.
func entityFile(t testing.TB, rows ...[]string) []byte {
	return csvBytes(t, ',', append([][]string{entityHeader}, rows...))
}

// with returns valid row i of entityRows with column col set to value.
func with(i int, col, value string) []string { return setCell(entityHeader, entityRows[i], col, value) }

func TestImportEntitiesProblems(t *testing.T) {
	bad, right := wrongCheck(1)
	tests := []struct {
		name string
		data []byte
		want []Problem // Message is a substring of the message
	}{
		{"check digit", entityFile(t, with(0, ColCreditCode, bad)),
			[]Problem{{2, ColCreditCode, bad, "校验位错误（应为 " + right + "）"}}},
		{"code length", entityFile(t, with(0, ColCreditCode, "9114040012345")),
			[]Problem{{2, ColCreditCode, "9114040012345", "应为 18 位，实为 13 位"}}},
		{"code letter I", entityFile(t, with(0, ColCreditCode, "91140400MI0000001X")),
			[]Problem{{2, ColCreditCode, "91140400MI0000001X", `第 10 位 'I' 不是统一社会信用代码的字符`}}},
		{"code as an Excel number", entityFile(t, with(0, ColCreditCode, "9.11404E+17")),
			[]Problem{{2, ColCreditCode, "9.11404E+17", "科学计数法"}}},
		{"code empty", entityFile(t, with(0, ColCreditCode, " ")),
			[]Problem{{2, ColCreditCode, "", "为空"}}},
		{"duplicate code", entityFile(t, entityRows[0], entityRows[1], with(2, ColCreditCode, strings.ToLower(code(1)))),
			[]Problem{{4, ColCreditCode, strings.ToLower(code(1)), "与第2行重复"}}},
		{"name empty", entityFile(t, with(0, ColName, "")),
			[]Problem{{2, ColName, "", "为空"}}},
		{"unknown items", entityFile(t, with(0, ColItems, "8;12;15")),
			[]Problem{{2, ColItems, "8;12;15", "抽查计划中没有任务 12、15"}}},
		{"malformed item", entityFile(t, with(0, ColItems, "8;任务九")),
			[]Problem{{2, ColItems, "8;任务九", `"任务九" 不是任务编号`}}},
		{"no item", entityFile(t, with(0, ColItems, "；")),
			[]Problem{{2, ColItems, "", "为空"}}},
		{"district unknown", entityFile(t, with(0, ColDistrict, "太原市小店区")),
			[]Problem{{2, ColDistrict, "太原市小店区", "不是区县（应为 潞州区、上党区"}}},
		{"district is a section", entityFile(t, with(0, ColDistrict, "计量科")),
			[]Problem{{2, ColDistrict, "计量科", "不是区县"}}},
		{"district empty", entityFile(t, with(0, ColDistrict, "")),
			[]Problem{{2, ColDistrict, "", "为空"}}},
		{"risk unknown", entityFile(t, with(0, ColRisk, "E")),
			[]Problem{{2, ColRisk, "E", "不是信用风险分类"}}},
		{"status unknown", entityFile(t, with(0, ColStatus, "正常")),
			[]Problem{{2, ColStatus, "正常", "不是登记状态"}}},
		{"status empty", entityFile(t, with(0, ColStatus, "")),
			[]Problem{{2, ColStatus, "", "为空"}}},
		{"missing column", csvBytes(t, ',', [][]string{{ColCreditCode, ColName, ColItems, ColRisk, ColStatus}, {code(1), "甲", "1", "A", "存续"}}),
			[]Problem{{1, ColDistrict, "", "表头中缺少此列（也可写作 区县、所属地区"}}},
		{"missing risk column", csvBytes(t, ',', [][]string{{ColCreditCode, ColName, ColItems, ColDistrict, ColStatus}, {code(1), "甲", "1", "沁县", "存续"}}),
			[]Problem{{1, ColRisk, "", "该列的单元格可以留空"}}},
		{"column twice", csvBytes(t, ',', [][]string{append(entityHeader, "信用代码"), append(entityRows[0], code(9))}),
			[]Problem{{1, ColCreditCode, "信用代码", "表头中此列出现了两次（A 列和 J 列）"}}},
		{"header only", csvBytes(t, ',', [][]string{{"名录"}, entityHeader, {"", "", "", "", "", "", "", "", "", "（以下空白）"}}),
			[]Problem{{2, "", "", "只有表头，没有数据行"}}},
		{"several at once", entityFile(t,
			entityRows[0],
			with(1, ColRisk, "很高"),
			[]string{bad, "", "99", "外省", "A", "存续", "", "", ""},
			entityRows[0]),
			[]Problem{
				{3, ColRisk, "很高", "不是信用风险分类"},
				{4, ColCreditCode, bad, "校验位错误"},
				{4, ColName, "", "为空"},
				{4, ColItems, "99", "抽查计划中没有任务 99"},
				{4, ColDistrict, "外省", "不是区县"},
				{5, ColCreditCode, code(1), "与第2行重复"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ImportEntities("对象.csv", tt.data, seedOptions(t))
			if got != nil {
				t.Errorf("a snapshot was returned with problems: %d rows", len(got.List))
			}
			assertProblems(t, err, "对象.csv", tt.want)
		})
	}
}

// assertProblems checks that err is an *ImportError of file with exactly
// the wanted problems (Message a substring) and that Error names them.
func assertProblems(t *testing.T, err error, file string, want []Problem) {
	t.Helper()
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("error %T %v is not an *ImportError", err, err)
	}
	if ie.File != file {
		t.Errorf("File = %q, want %q", ie.File, file)
	}
	if len(ie.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(ie.Problems), len(want), err)
	}
	for i, w := range want {
		g := ie.Problems[i]
		if g.Row != w.Row || g.Column != w.Column || g.Value != w.Value || !strings.Contains(g.Message, w.Message) {
			t.Errorf("problem %d = %+v\nwant %+v", i, g, w)
		}
		if !strings.Contains(err.Error(), g.String()) {
			t.Errorf("Error() does not list %q:\n%s", g.String(), err)
		}
	}
}

// TestImportEntitiesFile: files refused as a whole say why in one problem.
func TestImportEntitiesFile(t *testing.T) {
	valid := entityFile(t, entityRows...)
	xlsx := xlsxBytes(t, sheet{"S", append([][]string{entityHeader}, entityRows...)})
	tests := []struct {
		name, file string
		data       []byte
		opts       Options
		msg        string
	}{
		{"empty", "a.csv", nil, Options{}, "文件为空"},
		{"blank lines", "a.csv", []byte("\r\n \n\t\n"), Options{}, "文件为空"},
		{"BOM only", "a.csv", []byte("\ufeff\n"), Options{}, "文件为空"},
		{"wrong headers", "a.csv", []byte("序号,品名,规格,数量\n1,苹果,一级,3\n"), Options{},
			"前 20 行中找不到检查对象名录的表头（应有 统一社会信用代码、名称、抽查任务、所属区县、信用风险分类、登记状态 等列）"},
		{"inspector file", "a.csv", []byte("姓名,企业微信账号,执法证号,所属部门,可执行任务\n张三,zhangsan,140001,计量科,全部\n"), Options{},
			"第1行的表头像是执法检查人员名录，不是检查对象名录"},
		{"binary garbage", "a.csv", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), Options{}, "既不是 .xlsx 工作簿也不是文本文件（第3行有 NUL 字节）"},
		{"not UTF-8 nor GBK", "a.csv", append([]byte("统一社会信用代码,名称\n"), 0xff, 0xfe, 0xfd), Options{}, "第2行起的文字既不是 UTF-8 也不是 GBK 编码"},
		{"truncated xlsx", "a.xlsx", xlsx[:len(xlsx)/2], Options{}, "不是有效的 .xlsx 工作簿，文件可能不完整或已损坏"},
		{"csv named .xlsx", "a.xlsx", valid, Options{}, "不是有效的 .xlsx 工作簿"},
		{"old .xls", "a.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"), Options{}, "旧版 Excel（.xls）"},
		{"xlsx without header", "a.xlsx", xlsxBytes(t, sheet{"S", [][]string{{"a", "b"}}}, sheet{"T", [][]string{{"c"}}}), Options{}, "找不到检查对象名录的表头"},
		{"too large", "a.csv", valid, Options{MaxBytes: 100}, "文件大小 "},
		{"too large MiB", "a.csv", make([]byte, 3<<20+1<<19), Options{MaxBytes: 2 << 20}, "文件大小 3.5 MiB，超过上限 2 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ImportEntities(tt.file, tt.data, tt.opts)
			if got != nil {
				t.Fatalf("imported %d rows", len(got.List))
			}
			var ie *ImportError
			if !errors.As(err, &ie) || len(ie.Problems) != 1 {
				t.Fatalf("error %v, want one problem", err)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), tt.file) {
				t.Errorf("error %q, want it to name %s and contain %q", err, tt.file, tt.msg)
			}
		})
	}
}

// TestKnownItemNil: without a plan only the form of item ids is checked.
func TestKnownItemNil(t *testing.T) {
	got, err := ImportEntities("a.csv", entityFile(t, with(0, ColItems, "12;99-3")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.List[0].Items, []string{"12", "99-3"}) {
		t.Errorf("items %v", got.List[0].Items)
	}
}

// TestSmallMaxBytes: a limit of the file's size still reads a workbook,
// whose unzip limit is then well under excelize's 16 MiB in-memory one.
func TestSmallMaxBytes(t *testing.T) {
	data := xlsxBytes(t, sheet{"S", append([][]string{entityHeader}, entityRows...)})
	got, err := ImportEntities("a.xlsx", data, Options{MaxBytes: int64(len(data)), KnownItem: seedOptions(t).KnownItem})
	if err != nil || len(got.List) != len(entityRows) {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ImportEntities("a.xlsx", data, Options{MaxBytes: int64(len(data)) - 1}); err == nil || !strings.Contains(err.Error(), "超过上限") {
		t.Errorf("one byte over: %v", err)
	}
}

// TestZipBomb: a workbook that unpacks to far more than MaxBytes allows is
// refused before it is read.
func TestZipBomb(t *testing.T) {
	small := xlsxBytes(t, sheet{"S", append([][]string{entityHeader}, entityRows...)})
	zr, err := zip.NewReader(bytes.NewReader(small), int64(len(small)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(rc)
		if f.Name == "xl/worksheets/sheet1.xml" {
			part = bytes.Replace(part, []byte("<sheetData>"), append([]byte("<sheetData>"), bytes.Repeat([]byte(" "), 8<<20)...), 1)
		}
		w, _ := zw.Create(f.Name)
		w.Write(part)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	opts := Options{MaxBytes: 64 << 10}
	if buf.Len() > int(opts.MaxBytes) {
		t.Fatalf("bomb is %d bytes", buf.Len())
	}
	_, err = ImportEntities("a.xlsx", buf.Bytes(), opts)
	if err == nil || !strings.Contains(err.Error(), "工作簿解压后超过 2.5 MiB，拒绝读取") {
		t.Errorf("error %v", err)
	}
}

// TestOptionsUnits: districts and units resolve through the configured
// vocabulary, not the default one.
func TestOptionsUnits(t *testing.T) {
	units, err := department.New(nil, []string{"测试县"})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Units: units}
	got, err := ImportEntities("a.csv", entityFile(t, with(0, ColDistrict, "测试县局")), opts)
	if err != nil || got.List[0].District != "测试县" {
		t.Fatalf("got %+v, %v", got, err)
	}
	_, err = ImportEntities("a.csv", entityFile(t, entityRows[0]), opts)
	assertProblems(t, err, "a.csv", []Problem{{2, ColDistrict, "潞州区", "不是区县（应为 测试县 之一）"}})
	_, _, err = ImportInspectors("b.csv", inspectorFile(t, withIn(0, ColUnit, "各县区局")), opts, nil)
	assertProblems(t, err, "b.csv", []Problem{{2, ColUnit, "各县区局", "应写具体的县区局（测试县 之一）"}})
}
