package directory

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/changzhi-amr/choucha/plan"
)

// code is the i-th valid credit code of the tests: 91140400MA + 7 digits +
// its check digit.
func code(i int) string {
	first := fmt.Sprintf("91140400MA%07d", i)
	d, ok := CreditCheckDigit(first)
	if !ok {
		panic(first)
	}
	return first + string(d)
}

// wrongCheck is code(i) with a wrong check digit, and the right one.
func wrongCheck(i int) (string, string) {
	c := code(i)
	wrong := byte('0')
	if c[17] == '0' {
		wrong = '1'
	}
	return c[:17] + string(wrong), c[17:]
}

var (
	seedOnce sync.Once
	seedPlan *plan.Plan
)

// seedOptions checks item ids against the real 2023 plan (items 1–11, 13,
// 14, 15-1, 15-2, 16, 17).
func seedOptions(t testing.TB) Options {
	t.Helper()
	seedOnce.Do(func() {
		p, err := plan.Load("../seeds/changzhi-2023-plan.txt")
		if err != nil {
			panic(err)
		}
		seedPlan = p
	})
	return Options{KnownItem: func(id string) bool { _, ok := seedPlan.Item(id); return ok }}
}

// csvBytes writes rows as CSV with the given separator.
func csvBytes(t testing.TB, comma rune, rows [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = comma
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sheet is one worksheet of a test workbook; a nil row is left out of the
// file, as Excel leaves out empty rows.
type sheet struct {
	name string
	rows [][]string
}

// xlsxBytes builds a workbook with excelize.
func xlsxBytes(t testing.TB, sheets ...sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			if row == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(s.name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// setCell returns a copy of row with the cell under header col set to value.
func setCell(header, row []string, col, value string) []string {
	row = append([]string(nil), row...)
	for j, h := range header {
		if h == col {
			row[j] = value
		}
	}
	return row
}
