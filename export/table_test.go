package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// trickyTable has cells that CSV must quote and a spreadsheet would like
// to turn into numbers or dates.
func trickyTable() Table {
	return Table{
		Title:  "测试：特殊单元格/引号[1]",
		Header: []string{"统一社会信用代码", "名称", "抽查任务", "说明", "数字样"},
		Rows: [][]string{
			{"91140403MAG928PQ9Q", "长治市潞州区紫金街道德润加油站", "15-2", "含逗号,和\"引号\"", "007"},
			{"911404001234567890", "第二行\n换行", "1", "", "0.10"},
			{"12140400012345678X", " 前导空格", "15-1", "多行\n第二行\n第三行", "1E5"},
			{"", "", "", "", ""},
			{"91140400MA0K00000A", "emoji 😀 与全角（括号）", "2023-01-02", "TRUE", "1,234"},
			{"000000000000000000", "单引号'", "3/4", "尾随空格 ", "12345678901234567890"},
		},
	}
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"csv", CSV}, {"CSV", CSV}, {".csv", CSV}, {" Csv ", CSV},
		{"xlsx", XLSX}, {"XLSX", XLSX}, {".xlsx", XLSX}, {".XLSX", XLSX}, {"\txlsx\n", XLSX},
		{"", ""}, {"xls", ""}, {"pdf", ""}, {"..csv", ""}, {"csvx", ""}, {"excel", ""},
	} {
		got, err := ParseFormat(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if err != nil {
			checkFormatError(t, err, tc.in)
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	for _, f := range []string{"pdf", "xls", ""} {
		var buf bytes.Buffer
		err := Write(&buf, f, trickyTable())
		checkFormatError(t, err, f)
		if buf.Len() != 0 {
			t.Errorf("Write(%q) wrote %d bytes", f, buf.Len())
		}
	}
}

func checkFormatError(t *testing.T, err error, in string) {
	t.Helper()
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("format %q: error %v does not wrap ErrFormat", in, err)
	}
	for _, want := range []string{"csv", "xlsx"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("format %q: error %q does not name %s", in, err, want)
		}
	}
}

// writeFile writes tab in format to a file and returns its path.
func writeFile(t *testing.T, format string, tab Table) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "table."+strings.ToLower(strings.Trim(format, ". ")))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, format, tab); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// readCSV checks the BOM and CRLF line ends of the file and returns its records.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("%s does not start with the UTF-8 BOM: % x", path, data[:min(len(data), 8)])
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) {
		t.Errorf("%s: not every line ends in CRLF", path)
	}
	r := csv.NewReader(bytes.NewReader(data[3:]))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// readXLSX opens the workbook, checks that it has the one sheet named after
// the title, its header bold and frozen and every cell text, and returns
// every cell of the header and rows as a string.
func readXLSX(t *testing.T, path string, tab Table) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := SheetName(tab.Title)
	if got := f.GetSheetList(); !slices.Equal(got, []string{sheet}) {
		t.Fatalf("sheets %q, want [%q]", got, sheet)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("panes %+v, %v; want the first row frozen", panes, err)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tab.Rows)+1 {
		t.Errorf("%d rows, want %d", len(rows), len(tab.Rows)+1)
	}
	out := make([][]string, len(tab.Rows)+1)
	for r := range out {
		out[r] = make([]string, len(tab.Header))
		for c := range out[r] {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if out[r][c], err = f.GetCellValue(sheet, ref); err != nil {
				t.Fatal(err)
			}
			if out[r][c] != "" {
				if typ, _ := f.GetCellType(sheet, ref); typ != excelize.CellTypeInlineString {
					t.Errorf("%s is of type %v, want text", ref, typ)
				}
			}
			id, err := f.GetCellStyle(sheet, ref)
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil {
				t.Fatal(err)
			}
			if st.NumFmt != textFormat {
				t.Errorf("%s has number format %d, want %d (text)", ref, st.NumFmt, textFormat)
			}
			if bold := st.Font != nil && st.Font.Bold; bold != (r == 0) {
				t.Errorf("%s bold %v", ref, bold)
			}
		}
	}
	for c := range tab.Header {
		name, _ := excelize.ColumnNumberToName(c + 1)
		w, err := f.GetColWidth(sheet, name)
		if err != nil || w < minColWidth || w > maxColWidth {
			t.Errorf("column %s width %v, %v", name, w, err)
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		tab  Table
	}{
		{"tricky cells", trickyTable()},
		{"header only", Table{Title: "空表", Header: []string{"时间", "说明"}}},
		{"audit log", AuditTable(auditEntries())},
	} {
		want := append([][]string{tc.tab.Header}, tc.tab.Rows...)
		t.Run(tc.name+"/csv", func(t *testing.T) {
			if got := readCSV(t, writeFile(t, CSV, tc.tab)); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("read back\n%q\nwant\n%q", got, want)
			}
		})
		t.Run(tc.name+"/xlsx", func(t *testing.T) {
			if got := readXLSX(t, writeFile(t, XLSX, tc.tab), tc.tab); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("read back\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// A cell a spreadsheet would run as a formula gets an apostrophe in CSV; in
// XLSX it is a text cell and stays as it is.
func TestFormulaCells(t *testing.T) {
	cells := []string{"=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "=HYPERLINK(\"http://x\",\"y\")"}
	tab := Table{Title: "公式", Header: []string{"说明"}}
	for _, c := range cells {
		tab.Rows = append(tab.Rows, []string{c})
	}
	recs := readCSV(t, writeFile(t, CSV, tab))
	for i, c := range cells {
		if got := recs[i+1][0]; got != "'"+c {
			t.Errorf("csv cell %q read back as %q, want %q", c, got, "'"+c)
		}
	}
	got := readXLSX(t, writeFile(t, XLSX, tab), tab)
	for i, c := range cells {
		if got[i+1][0] != c {
			t.Errorf("xlsx cell %q read back as %q", c, got[i+1][0])
		}
	}
}

func TestRowLength(t *testing.T) {
	tab := Table{Title: "错行", Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}, {"3"}}}
	for _, f := range Formats {
		if err := Write(&bytes.Buffer{}, f, tab); err == nil || !strings.Contains(err.Error(), "row 2 has 1 cells") {
			t.Errorf("%s: error %v", f, err)
		}
	}
}

func TestSheetName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2023年度双随机抽查 任务8 抽取结果（公示）", "2023年度双随机抽查 任务8 抽取结果（公示）"},
		{"a:b\\c/d?e*f[g]h", "a_b_c_d_e_f_g_h"},
		{"'引号'", "引号"},
		{" ' x ' ", "x"},
		{"", "Sheet1"},
		{"''", "Sheet1"},
		{"history", "history_"},
		{"行\n表", "行_表"},
		{strings.Repeat("一", 40), strings.Repeat("一", 31)},
		{strings.Repeat("a", 30) + "😀", strings.Repeat("a", 30)}, // the emoji is two UTF-16 units
		{strings.Repeat("a", 29) + "😀", strings.Repeat("a", 29) + "😀"},
		{strings.Repeat("a", 30) + "'b", strings.Repeat("a", 30)},
	} {
		got := SheetName(tc.in)
		if got != tc.want {
			t.Errorf("SheetName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if n := len(utf16.Encode([]rune(got))); n > 31 {
			t.Errorf("SheetName(%q) is %d UTF-16 units", tc.in, n)
		}
		f := excelize.NewFile()
		if err := f.SetSheetName("Sheet1", got); err != nil {
			t.Errorf("excelize refuses %q: %v", got, err)
		}
		f.Close()
	}
}

func TestColumnWidths(t *testing.T) {
	tab := Table{Header: []string{"名称", "a", "说明"}, Rows: [][]string{
		{"长治市潞州区紫金街道德润加油站", "x", strings.Repeat("很长", 100)},
		{"短", "yy", "第一行\n第二行"},
	}}
	got := columnWidths(tab)
	want := []float64{32, minColWidth, maxColWidth} // 15 wide characters + 2
	if !slices.Equal(got, want) {
		t.Errorf("widths %v, want %v", got, want)
	}
}
