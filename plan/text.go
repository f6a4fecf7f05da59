package plan

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/changzhi-amr/choucha/textenc"
)

// maxFileSize bounds what Parse and Load read: a plan is a few kilobytes.
const maxFileSize = 32 << 20

// Parse reads a plan in the tab-separated text form (as exported from a
// word processor or spreadsheet): stray lines before the title, "## " title
// lines and header rows repeated on every page, data rows, and continuation
// rows (empty 序号 and 抽查任务名称) that add an item to the task above.
// The text may be UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030.
// Cells may be quoted as spreadsheets do ("a""b"). A name ending in .csv with
// no tab in it is read as comma-separated. name is used in errors and as
// Plan.Source. Any error is a *ParseError and refuses the whole file.
func Parse(name string, r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, &ParseError{File: name, Msg: "cannot read", Err: err, Reason: "无法读取文件"}
	}
	if len(data) > maxFileSize {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("file larger than %d MiB", maxFileSize>>20), Reason: fmt.Sprintf("文件超过 %d MB", maxFileSize>>20)}
	}
	text, perr := decodeText(name, data)
	if perr != nil {
		return nil, perr
	}
	return parseText(name, text)
}

// decodeText turns the file's bytes into UTF-8 text (package textenc),
// saying in the plan's words what is wrong when it cannot.
func decodeText(name string, data []byte) (string, *ParseError) {
	text, err := textenc.Decode(data)
	if err == nil {
		return text, nil
	}
	var te *textenc.Error
	if !errors.As(err, &te) {
		return "", &ParseError{File: name, Msg: "cannot decode text", Err: err, Reason: "无法识别文本编码"}
	}
	pe := &ParseError{File: name, Line: te.Line, Msg: te.Err.Error(), Err: te.Cause,
		Reason: "不是可识别的文本（应为 UTF-8、GBK 或带 BOM 的 UTF-16），请另存为文本或 .xlsx"}
	if te.Err == textenc.ErrBinary {
		pe.Msg = "not a text file (NUL byte); save the plan as text or .xlsx"
		pe.Reason = "不是文本文件，请把计划另存为文本（制表符分隔）或 .xlsx"
	}
	return "", pe
}

func parseText(name, text string) (*Plan, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = '\t'
	if strings.HasSuffix(strings.ToLower(name), ".csv") && !strings.Contains(text, "\t") {
		cr.Comma = ','
	}
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	b := newBuilder(name)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			pe := &ParseError{File: name, Msg: "unreadable row", Err: err, Reason: "该行无法读取（引号不配对等）"}
			var ce *csv.ParseError
			if errors.As(err, &ce) {
				pe.Line, pe.Err = ce.Line, ce.Err
			}
			return nil, pe
		}
		line, _ := cr.FieldPos(0)
		if err := b.add(line, rec, false); err != nil {
			return nil, err
		}
	}
	return b.finish()
}

// add dispatches one row of a text file or sheet: blank, stray, title,
// header or data. padded rows (from a sheet) may be shorter than the header.
func (b *builder) add(line int, cells []string, padded bool) error {
	if isHeader(cells) {
		return b.setHeader(line, cells)
	}
	if !b.header {
		return b.preHeader(line, cells)
	}
	nonEmpty, first := countCells(cells)
	if nonEmpty == 0 {
		return nil
	}
	if nonEmpty == 1 && first == 0 {
		// a page title repeated inside the table
		if c := strings.TrimSpace(cells[0]); strings.HasPrefix(c, "#") || looksLikeTitle(c) {
			return b.setTitle(line, c)
		}
	}
	if len(cells) > b.width {
		for _, c := range cells[b.width:] {
			if strings.TrimSpace(c) != "" {
				return b.errAt(line, noColumn, "", fmt.Sprintf("该行有 %d 列，表头只有 %d 列", len(cells), b.width), "row has %d columns, the header has %d", len(cells), b.width)
			}
		}
		cells = cells[:b.width]
	}
	if len(cells) < b.width {
		if !padded {
			return b.errAt(line, noColumn, "", fmt.Sprintf("该行有 %d 列，表头有 %d 列", len(cells), b.width), "row has %d columns, the header has %d", len(cells), b.width)
		}
		cells = append(cells, make([]string, b.width-len(cells))...)
	}
	return b.row(line, cells)
}

// preHeader handles a row above a header row: the title ("## …2023年度…"
// or a single cell naming a year's plan), stray single cells (a name, a
// date), and blank rows. Anything table-like there is an error.
func (b *builder) preHeader(line int, cells []string) error {
	nonEmpty, first := countCells(cells)
	switch {
	case nonEmpty == 0:
		return nil
	case nonEmpty < tableLike:
		c := strings.TrimSpace(cells[first])
		if nonEmpty == 1 && strings.HasPrefix(c, "#") {
			return b.setTitle(line, c)
		}
		if looksLikeTitle(c) && b.plan.Year == 0 {
			return b.setTitle(line, c)
		}
		return nil // stray line before the table: a name, a date, 填报单位 …
	}
	return b.errAt(line, noColumn, "", fmt.Sprintf("表头行之前有一行 %d 个单元格的表格行（表头行是以“序号”开头的一行列名）", nonEmpty), "row with %d cells before the header row (a row of column names starting with 序号)", nonEmpty)
}

// tableLike is the number of non-empty cells from which a row above the
// header is taken for a table row rather than decoration.
const tableLike = 4

func countCells(cells []string) (nonEmpty, first int) {
	first = -1
	for i, c := range cells {
		if strings.TrimSpace(c) != "" {
			nonEmpty++
			if first < 0 {
				first = i
			}
		}
	}
	return nonEmpty, first
}

// looksLikeTitle: a cell naming a year's plan, such as
// 长治市市场监督管理局2023年度双随机抽查工作计划.
func looksLikeTitle(c string) bool {
	return titleYear.MatchString(c) && containsAny(c, "计划", "清单", "任务", "抽查")
}
