package plan

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// ParseXLSX reads a plan from an .xlsx workbook with the same columns as the
// text form. Every sheet with a header row (a row with a 序号 cell) is read
// in order, as pages of one plan; sheets without one are skipped unless they
// hold table-like rows. The title row is optional: the year comes from a
// title cell such as "…2023年度…计划" above the header, else from any cell
// above it with a year, else from the sheet name, else from the file name
// ("2023计划.xlsx"). A merged 序号/抽查任务名称 cell leaves the rows below it
// empty in those columns, which makes them continuation rows; other merged
// cells give their value to every row they cover. Errors name the sheet and
// row: "plan.xlsx:Sheet1!row 7: …".
func ParseXLSX(name string, r io.Reader) (p *Plan, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			p, err = nil, &ParseError{File: name, Msg: fmt.Sprintf("unreadable workbook (%v)", rec), Reason: "工作簿无法读取"}
		}
	}()
	f, err := excelize.OpenReader(io.LimitReader(r, maxFileSize))
	if err != nil {
		return nil, &ParseError{File: name, Msg: "not a readable .xlsx workbook", Err: err, Reason: "不是可读取的 .xlsx 工作簿"}
	}
	defer f.Close()

	b := newBuilder(name)
	fallbackYear := 0
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			return nil, &ParseError{File: name, Sheet: sheet, Msg: "cannot read sheet", Err: err, Reason: "无法读取工作表"}
		}
		headerRow := -1
		for i, row := range rows {
			if isHeader(row) {
				headerRow = i
				break
			}
		}
		if headerRow < 0 {
			for i, row := range rows {
				if n, _ := countCells(row); n >= tableLike {
					return nil, &ParseError{File: name, Sheet: sheet, Line: i + 1, Msg: "table rows but no header row (a row of column names starting with 序号)",
						Reason: "有表格行，但" + noHeaderZh}
				}
			}
			continue
		}
		b.sheet = sheet
		// Year from a cell above the header or the sheet name, when there
		// is no title.
		if fallbackYear == 0 {
			for i := 0; i < headerRow && fallbackYear == 0; i++ {
				for _, c := range rows[i] {
					if m := titleYear.FindStringSubmatch(c); m != nil {
						fallbackYear, _ = strconv.Atoi(m[1])
						break
					}
				}
			}
			if m := nameYear.FindStringSubmatch(sheet); fallbackYear == 0 && m != nil {
				fallbackYear, _ = strconv.Atoi(m[1])
			}
		}
		for i := 0; i < headerRow; i++ {
			if err := b.preHeader(i+1, rows[i]); err != nil {
				return nil, err
			}
		}
		if err := b.setHeader(headerRow+1, rows[headerRow]); err != nil {
			return nil, err
		}
		if err := fillMerged(f, sheet, rows, headerRow, b.cols); err != nil {
			return nil, &ParseError{File: name, Sheet: sheet, Msg: "cannot read merged cells", Err: err, Reason: "无法读取合并单元格"}
		}
		for i := headerRow + 1; i < len(rows); i++ {
			if err := b.add(i+1, rows[i], true); err != nil {
				return nil, err
			}
		}
	}
	if b.plan.Year == 0 && b.header {
		if fallbackYear == 0 {
			if m := nameYear.FindStringSubmatch(filepath.Base(name)); m != nil {
				fallbackYear, _ = strconv.Atoi(m[1])
			}
		}
		if fallbackYear == 0 {
			return nil, &ParseError{File: name, Msg: "no plan year: no title row such as \"…2023年度双随机抽查工作计划\", no year in a cell above the header, in the sheet name or in the file name",
				Reason: "没有计划年度：表头上方没有“……2023年度双随机抽查工作计划”这样的标题，表头上方的单元格、工作表名和文件名中也没有年份"}
		}
		b.plan.Year = fallbackYear
	}
	b.sheet = ""
	return b.finish()
}

// fillMerged copies a merged range's value into the cells it covers below
// the header, except in the 序号 and 抽查任务名称 columns, where the empty
// cells mark continuation rows.
func fillMerged(f *excelize.File, sheet string, rows [][]string, headerRow int, cols [numColumns]int) error {
	merged, err := f.GetMergeCells(sheet)
	if err != nil {
		return err
	}
	for _, m := range merged {
		c1, r1, err := excelize.CellNameToCoordinates(m.GetStartAxis())
		if err != nil {
			return err
		}
		c2, r2, err := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err != nil {
			return err
		}
		value := m.GetCellValue()
		for r := r1; r <= r2 && r <= len(rows); r++ {
			if r-1 <= headerRow {
				continue
			}
			for c := c1; c <= c2; c++ {
				if r == r1 && c == c1 {
					continue
				}
				if c-1 == cols[colSerial] || c-1 == cols[colName] {
					continue
				}
				row := rows[r-1]
				for len(row) < c {
					row = append(row, "")
				}
				row[c-1] = value
				rows[r-1] = row
			}
		}
	}
	return nil
}
