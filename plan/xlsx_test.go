package plan

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

type xlsxLayout struct {
	title      bool // a merged title row above the header
	pages      int  // sheets to spread the tasks over (1 or more)
	merge      bool // merge 序号/名称 (and 起止时间) over multi-item tasks
	numeric    bool // write 序号 as numbers
	sheetNames []string
}

// writeXLSX writes p as a workbook the way a bureau would, returning the
// file and the sheet row of every item.
func writeXLSX(t testing.TB, p *Plan, l xlsxLayout) ([]byte, map[string]int) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if l.pages < 1 {
		l.pages = 1
	}
	rowOf := make(map[string]int)
	perPage := (len(p.Tasks) + l.pages - 1) / l.pages
	for page := 0; page < l.pages; page++ {
		sheet := "Sheet1"
		if page < len(l.sheetNames) {
			sheet = l.sheetNames[page]
		} else if page > 0 {
			sheet = "第" + string(rune('0'+page+1)) + "页"
		}
		if page == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		row := 1
		if l.title {
			must(f.SetCellValue(sheet, "A1", p.Title))
			must(f.MergeCell(sheet, "A1", "H1"))
			row = 3
		}
		header := []any{"序号", "抽查任务名称", "抽查事项", "抽查对象范围", "抽查比例及频次", "智慧监管（信用风险分类）要求", "抽查检查起止时间", "发起部门"}
		must(f.SetSheetRow(sheet, cell(1, row), &header))
		row++
		end := min((page+1)*perPage, len(p.Tasks))
		for _, task := range p.Tasks[page*perPage : end] {
			first := row
			for _, it := range task.Items {
				var serial any = ""
				name := ""
				if it.Index == 1 {
					serial, name = it.Serial, task.Name
					if !l.numeric {
						serial = it.ID[:len(it.ID)-len(strings.TrimLeft(it.ID, "0123456789"))]
					}
				}
				window := it.Window.Raw
				if l.merge && it.Index > 1 {
					window = "" // carried by the merged cell above
				}
				cells := []any{serial, name, it.Matter, it.Scope, it.Ratio.Raw, it.Risk.Raw, window, it.Departments.Raw}
				must(f.SetSheetRow(sheet, cell(1, row), &cells))
				rowOf[it.ID] = row
				row++
			}
			if l.merge && len(task.Items) > 1 {
				must(f.MergeCell(sheet, cell(1, first), cell(1, row-1)))
				must(f.MergeCell(sheet, cell(2, first), cell(2, row-1)))
				must(f.MergeCell(sheet, cell(7, first), cell(7, row-1)))
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), rowOf
}

func cell(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		panic(err)
	}
	return name
}

// goldenWithRows is the golden plan with sheet rows as line numbers.
func goldenWithRows(rowOf map[string]int) []itemView {
	want := make([]itemView, len(goldenSeed))
	copy(want, goldenSeed)
	for i := range want {
		want[i].Line = rowOf[want[i].ID]
	}
	return want
}

func TestXLSXRoundTrip(t *testing.T) {
	seed := loadSeed(t)
	layouts := []struct {
		name string
		l    xlsxLayout
	}{
		{"title, merged continuation", xlsxLayout{title: true, merge: true}},
		{"title, continuation row", xlsxLayout{title: true}},
		{"numeric serials, three sheets", xlsxLayout{title: true, merge: true, numeric: true, pages: 3}},
	}
	for _, tt := range layouts {
		t.Run(tt.name, func(t *testing.T) {
			data, rowOf := writeXLSX(t, seed, tt.l)
			p, err := ParseXLSX("plan.xlsx", bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != seed.Title || p.Bureau != seed.Bureau || p.Year != 2023 || p.Source != "plan.xlsx" {
				t.Errorf("title %q bureau %q year %d source %q", p.Title, p.Bureau, p.Year, p.Source)
			}
			got, want := viewItems(p), goldenWithRows(rowOf)
			if len(got) != len(want) {
				t.Fatalf("%d items, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("item %s:\n got  %+v\n want %+v", want[i].ID, got[i], want[i])
				}
			}
		})
	}
}

func TestLoadXLSXYearFromFileName(t *testing.T) {
	seed := loadSeed(t)
	data, _ := writeXLSX(t, seed, xlsxLayout{merge: true})
	dir := t.TempDir()
	path := filepath.Join(dir, "长治2023年抽查计划.xlsx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Year != 2023 || p.Title != "" || len(p.Items()) != 17 {
		t.Errorf("year %d title %q items %d", p.Year, p.Title, len(p.Items()))
	}
	if it, ok := p.Item("15-2"); !ok || it.Window.StartMonth != 5 || it.Ratio.Percent != 30 {
		t.Errorf("15-2 = %+v", it)
	}

	// The sheet name can carry the year too.
	data, _ = writeXLSX(t, seed, xlsxLayout{sheetNames: []string{"2023年"}})
	if p, err := ParseXLSX("plan.xlsx", bytes.NewReader(data)); err != nil || p.Year != 2023 {
		t.Errorf("year from sheet name: %v, %v", p, err)
	}
}

func TestXLSXErrors(t *testing.T) {
	seed := loadSeed(t)
	tests := []struct {
		name   string
		file   string
		modify func(f *excelize.File)
		raw    []byte
		want   string
	}{
		{
			"bad ratio", "plan.xlsx",
			func(f *excelize.File) { _ = f.SetCellValue("Sheet1", "E7", "待定") },
			nil, `plan.xlsx:Sheet1!row 7: 抽查比例及频次 "待定": not a ratio`,
		},
		{
			"bad window", "plan.xlsx",
			func(f *excelize.File) { _ = f.SetCellValue("Sheet1", "G5", "13月-2月") },
			nil, `plan.xlsx:Sheet1!row 5: 抽查检查起止时间 "13月-2月": month 13 out of range`,
		},
		{
			"duplicate serial", "plan.xlsx",
			func(f *excelize.File) { _ = f.SetCellValue("Sheet1", "A6", "2") },
			nil, `plan.xlsx:Sheet1!row 6: 序号 "2": duplicate task number 2 (first at Sheet1!row 5)`,
		},
		{
			"extra cell", "plan.xlsx",
			func(f *excelize.File) { _ = f.SetCellValue("Sheet1", "J8", "多余") },
			nil, `plan.xlsx:Sheet1!row 8: row has 10 columns, the header has 8`,
		},
		{
			"no year anywhere", "plan.xlsx",
			func(f *excelize.File) { _ = f.SetCellValue("Sheet1", "A1", "双随机抽查工作计划") },
			nil, `plan.xlsx: no plan year`,
		},
		{
			"table without header", "plan.xlsx",
			func(f *excelize.File) {
				_, _ = f.NewSheet("附表")
				row := []any{"1", "甲", "事项", "范围", "5%"}
				_ = f.SetSheetRow("附表", "A2", &row)
			},
			nil, `plan.xlsx:附表!row 2: table rows but no header row`,
		},
		{"not a workbook", "plan.xlsx", nil, []byte("序号\t名称\n"), `plan.xlsx: not a readable .xlsx workbook`},
		{"empty", "plan.xlsx", nil, []byte{}, `plan.xlsx: not a readable .xlsx workbook`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.raw
			if data == nil {
				base, _ := writeXLSX(t, seed, xlsxLayout{title: true, merge: true})
				f, err := excelize.OpenReader(bytes.NewReader(base))
				if err != nil {
					t.Fatal(err)
				}
				tt.modify(f)
				buf, err := f.WriteToBuffer()
				if err != nil {
					t.Fatal(err)
				}
				data = buf.Bytes()
			}
			_, err := ParseXLSX(tt.file, bytes.NewReader(data))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if strings.Contains(tt.want, "not a readable") && errors.Unwrap(err) == nil {
				t.Errorf("error %v does not wrap excelize's error", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant prefix %q", err.Error(), tt.want)
			}
		})
	}
}
