// Package export writes tables for publication (一公开) and internal use as
// CSV and .xlsx: the draw results of a plan item (DrawTable) and the audit
// log (AuditTable). It is pure: it imports neither Redis, WeCom nor config
// loading, and writes only to the io.Writer it is given.
package export

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Table is a titled table of text cells. Every row has as many cells as the
// header.
type Table struct {
	Title  string // names the .xlsx sheet (shortened to Excel's rules) and the file
	Header []string
	Rows   [][]string
}

// The formats Write accepts.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// Formats are the accepted formats, in the order they are offered.
var Formats = []string{CSV, XLSX}

// ErrFormat is wrapped by the error for a format other than csv or xlsx.
var ErrFormat = errors.New("export: unsupported format")

// ParseFormat reads a format as people write it: "csv", "CSV", ".xlsx",
// " Xlsx ". It returns CSV or XLSX, or an error wrapping ErrFormat that
// names the accepted formats.
func ParseFormat(s string) (string, error) {
	f := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "."))
	switch f {
	case CSV, XLSX:
		return f, nil
	}
	return "", fmt.Errorf("%w %q（可用格式：%s）", ErrFormat, s, strings.Join(Formats, "、"))
}

// Write writes t to w in format, read as ParseFormat reads it; an unknown
// format writes nothing.
func Write(w io.Writer, format string, t Table) error {
	f, err := ParseFormat(format)
	if err != nil {
		return err
	}
	if f == CSV {
		return WriteCSV(w, t)
	}
	return WriteXLSX(w, t)
}

// check reports a row whose length differs from the header's.
func (t *Table) check() error {
	for i, row := range t.Rows {
		if len(row) != len(t.Header) {
			return fmt.Errorf("export: %s: row %d has %d cells, the header %d", t.Title, i+1, len(row), len(t.Header))
		}
	}
	return nil
}

// utf8BOM lets Excel in China open the file as UTF-8 rather than GBK.
const utf8BOM = "\uFEFF"

// WriteCSV writes the header and rows of t (not its title) as RFC 4180 CSV:
// UTF-8 with a byte order mark, CRLF line ends, fields quoted when they hold
// a comma, a quote, a line break or a leading space. A cell that starts
// with =, +, -, @, tab or carriage return gets a leading apostrophe, so
// that a spreadsheet shows it instead of running it as a formula (CSV
// injection); every other cell reads back exactly, except that a line
// break inside a cell is written as CRLF and reads back as LF (a lone
// carriage return is dropped).
//
// CSV has no cell types: a spreadsheet opening it may still turn "15-2" into
// a date or drop a leading zero. Use XLSX for tables meant for Excel.
func WriteCSV(w io.Writer, t Table) error {
	if err := t.check(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	rec := make([]string, len(t.Header))
	write := func(row []string) error {
		for i, c := range row {
			rec[i] = defuse(c)
		}
		return cw.Write(rec)
	}
	if err := write(t.Header); err != nil {
		return err
	}
	for _, row := range t.Rows {
		if err := write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// defuse prefixes a cell that a spreadsheet would take for a formula with
// an apostrophe (OWASP's advice against CSV injection).
func defuse(c string) string {
	if c != "" && strings.IndexByte("=+-@\t\r", c[0]) >= 0 {
		return "'" + c
	}
	return c
}
