package directory

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/changzhi-amr/choucha/textenc"
)

// headerScanRows is how many rows from the top may hold the header: title
// rows, a 填报单位 line and blank rows come above it in exported sheets.
const headerScanRows = 20

// unzipRatio bounds what an .xlsx may unpack to, as a multiple of
// MaxBytes: real sheets compress about tenfold, zip bombs far more. (A
// worksheet over 16 MiB unpacked is streamed from a temporary file by
// excelize rather than held in memory.)
const unzipRatio = 40

// rowSource yields a file's rows in order.
type rowSource interface {
	// next returns the 1-based row number and cells of the next row, or
	// io.EOF after the last.
	next() (row int, cells []string, err error)
	close()
}

// table is an opened file whose header has been found: the rows below it
// and the problems found so far.
type table struct {
	file, sheet string
	src         rowSource
	kind        *kind
	header
	problems []Problem
}

// fileError is the ImportError of a file refused as a whole.
func fileError(file, sheet, format string, args ...any) *ImportError {
	return &ImportError{File: file, Sheet: sheet, Problems: []Problem{{Message: fmt.Sprintf(format, args...)}}}
}

// open checks the size and format of data and finds the kind's header in
// it: an .xlsx by its zip signature or extension, else text.
func open(name string, data []byte, o *Options, k *kind) (*table, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fileError(name, "", "文件为空")
	}
	if int64(len(data)) > o.MaxBytes {
		return nil, fileError(name, "", "文件大小 %s，超过上限 %s", sizeText(int64(len(data))), sizeText(o.MaxBytes))
	}
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) || ext == ".xlsx" || ext == ".xlsm":
		return openXLSX(name, data, o, k)
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) || ext == ".xls":
		// OLE compound file: the old .xls format, or an encrypted workbook.
		return nil, fileError(name, "", "这是旧版 Excel（.xls）文件或加密的工作簿，无法读取；请另存为 .xlsx 或 CSV 后再导入")
	}
	return openText(name, data, k)
}

// sizeText writes a byte count for people: "31.5 MiB", "512 KiB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MiB"
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

// sha256Hex is Meta.Hash of the file's bytes.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func openText(name string, data []byte, k *kind) (*table, error) {
	text, err := textenc.Decode(data)
	if err != nil {
		var te *textenc.Error
		if errors.As(err, &te) {
			switch te.Err {
			case textenc.ErrBinary:
				return nil, fileError(name, "", "既不是 .xlsx 工作簿也不是文本文件（第%d行有 NUL 字节）；请上传 .xlsx 或 CSV 文件", te.Line)
			case textenc.ErrUnknown:
				return nil, fileError(name, "", "第%d行起的文字既不是 UTF-8 也不是 GBK 编码；请用 Excel 另存为 .xlsx 或“CSV UTF-8”", te.Line)
			}
		}
		return nil, fileError(name, "", "无法解码文本（%v）", err)
	}
	if strings.TrimFunc(text, isBlank) == "" {
		return nil, fileError(name, "", "文件为空")
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = sniffComma(text, k)
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return findHeader(name, "", &csvRows{cr}, k)
}

// sniffComma picks comma or tab: tab when the header line (the first of
// the top lines that reads as this kind's header) has tabs and no commas.
func sniffComma(text string, k *kind) rune {
	for i := 0; i < headerScanRows && text != ""; i++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if strings.Contains(line, "\t") && !strings.Contains(line, ",") {
			if _, n := k.matchHeader(strings.Split(line, "\t")); n >= minHeaderCells {
				return '\t'
			}
		}
	}
	return ','
}

// csvRows reads comma- or tab-separated text; a row is numbered by the
// line it starts on.
type csvRows struct{ r *csv.Reader }

func (c *csvRows) next() (int, []string, error) {
	rec, err := c.r.Read()
	if err != nil {
		return 0, nil, err
	}
	line, _ := c.r.FieldPos(0)
	return line, rec, nil
}

func (c *csvRows) close() {}

// minHeaderCells is how many recognised column names make a row the header.
const minHeaderCells = 2

// findHeader reads src up to the header row. A file without one is refused
// with what it should have, or with what it looks like instead.
func findHeader(name, sheet string, src rowSource, k *kind) (*table, error) {
	t, err := scanHeader(name, sheet, src, k)
	if err != nil {
		return nil, err
	}
	if t == nil {
		src.close()
		return nil, noHeader(name, sheet, k)
	}
	return t, nil
}

// scanHeader returns the table when src has k's header in its top rows,
// nil when it has not, and an error when it cannot be read.
func scanHeader(name, sheet string, src rowSource, k *kind) (*table, error) {
	for i := 0; i < headerScanRows; i++ {
		row, cells, err := src.next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			src.close()
			return nil, readError(name, sheet, err)
		}
		if pos, n := k.matchHeader(cells); n >= minHeaderCells {
			t := &table{file: name, sheet: sheet, src: src, kind: k, header: header{row: row, pos: pos}}
			t.problems = k.headerProblems(row, cells, pos)
			return t, nil
		}
		if other := otherKind(k); looksLike(other, cells) {
			src.close()
			return nil, fileError(name, sheet, "第%d行的表头像是%s，不是%s；请检查导入的文件", row, other.what, k.what)
		}
	}
	return nil, nil
}

func noHeader(name, sheet string, k *kind) error {
	return fileError(name, sheet, "前 %d 行中找不到%s的表头（应有 %s 等列）", headerScanRows, k.what, k.names())
}

func otherKind(k *kind) *kind {
	if k == entityKind {
		return inspectorKind
	}
	return entityKind
}

// looksLike reports whether cells read as k's header with most of its
// required columns.
func looksLike(k *kind, cells []string) bool {
	_, n := k.matchHeader(cells)
	return n >= 3
}

// readError is a file that stopped being readable part way.
func readError(name, sheet string, err error) *ImportError {
	p := Problem{Message: fmt.Sprintf("文件无法读取（%v）", err)}
	var ce *csv.ParseError
	if errors.As(err, &ce) {
		p = Problem{Row: ce.Line, Message: fmt.Sprintf("无法读取此行（%v）", ce.Err)}
	}
	return &ImportError{File: name, Sheet: sheet, Problems: []Problem{p}}
}

// rows calls fn with each data row below the header, skipping rows whose
// columns of interest are all blank. It records a read error as a problem
// and reports a file with no data rows.
func (t *table) rows(fn func(row int, cells []string)) {
	defer t.src.close()
	n := 0
	for {
		row, cells, err := t.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.problems = append(t.problems, readError(t.file, t.sheet, err).Problems...)
			return
		}
		if t.blank(cells) {
			continue
		}
		n++
		fn(row, cells)
	}
	if n == 0 {
		t.problems = append(t.problems, Problem{Row: t.header.row, Message: "只有表头，没有数据行"})
	}
}

// blank reports whether every recognised column of the row is empty: a
// template's pre-numbered 序号 column alone does not make a row.
func (t *table) blank(cells []string) bool {
	for _, p := range t.pos {
		if p >= 0 && p < len(cells) && strings.TrimFunc(cells[p], isBlank) != "" {
			return false
		}
	}
	return true
}

// cell is the trimmed text of column col in the row.
func (t *table) cell(cells []string, col int) string {
	p := t.pos[col]
	if p < 0 || p >= len(cells) {
		return ""
	}
	return strings.TrimFunc(cells[p], isBlank)
}

func isBlank(r rune) bool { return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' }

// add records a problem with a cell. A column missing from the header is
// reported once, there, not again on every row.
func (t *table) add(row, col int, value, format string, args ...any) {
	if t.pos[col] < 0 {
		return
	}
	t.problems = append(t.problems, Problem{Row: row, Column: t.kind.cols[col].name, Value: value, Message: fmt.Sprintf(format, args...)})
}

// err is the table's ImportError, or nil when it has no problems.
func (t *table) err() error {
	if len(t.problems) == 0 {
		return nil
	}
	return &ImportError{File: t.file, Sheet: t.sheet, Problems: t.problems}
}

func openXLSX(name string, data []byte, o *Options, k *kind) (t *table, err error) {
	var f *excelize.File
	defer func() {
		// excelize may panic on malformed parts; a bad file is not a crash.
		if r := recover(); r != nil {
			if f != nil {
				f.Close() // its temporary files
			}
			t, err = nil, fileError(name, "", "不是有效的 .xlsx 工作簿（%v）", r)
		}
	}()
	unzip := int64(math.MaxInt64)
	if o.MaxBytes < unzip/unzipRatio {
		unzip = o.MaxBytes * unzipRatio
	}
	f, err = excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: unzip})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fileError(name, "", "工作簿解压后超过 %s，拒绝读取", sizeText(unzip))
		}
		return nil, fileError(name, "", "不是有效的 .xlsx 工作簿，文件可能不完整或已损坏（%v）", err)
	}
	sheets := f.GetSheetList()
	for _, sheet := range sheets {
		rows, err := f.Rows(sheet)
		if err != nil {
			f.Close()
			return nil, fileError(name, sheet, "无法读取工作表（%v）", err)
		}
		// scanHeader closes src, and with it f, when it returns an error.
		t, err := scanHeader(name, sheet, &xlsxRows{f: f, rows: rows}, k)
		if err != nil || t != nil {
			return t, err
		}
		rows.Close()
	}
	f.Close()
	if len(sheets) == 0 {
		return nil, fileError(name, "", "工作簿中没有工作表")
	}
	return nil, noHeader(name, "", k)
}

// xlsxRows streams a worksheet: excelize numbers rows by their position,
// giving empty rows for the gaps the file leaves out.
type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	n    int
}

func (x *xlsxRows) next() (row int, cells []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return 0, nil, err
		}
		return 0, nil, io.EOF
	}
	x.n++
	cells, err = x.rows.Columns()
	return x.n, cells, err
}

func (x *xlsxRows) close() {
	x.rows.Close()
	x.f.Close()
}
