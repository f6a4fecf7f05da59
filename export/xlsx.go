package export

import (
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// textFormat is Excel's built-in number format "@" (text): a cell edited
// later stays text instead of becoming a number or a date.
const textFormat = 49

// Column widths, in Excel's units (about one Latin digit; a Chinese
// character takes two).
const (
	minColWidth = 6
	maxColWidth = 60
)

// WriteXLSX writes t as an .xlsx workbook with one sheet named after the
// title (see SheetName). The header row is bold and frozen; columns are as
// wide as their longest line (within limits); every cell is a text cell in
// the text format, so credit codes, leading zeros and ids such as "15-2"
// stay as written (a cell longer than Excel's 32,767 characters is cut,
// characters XML cannot hold become U+FFFD). It streams the rows, so large
// tables take little memory beyond the table itself; past 16 MiB of sheet
// data the stream goes to a temporary file, removed before returning.
func WriteXLSX(w io.Writer, t Table) error {
	if err := t.check(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close() // removes the stream's temporary file, if any
	sheet := SheetName(t.Title)
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: t.Title}); err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: textFormat})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: textFormat, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if n := len(t.Header); n > 0 {
		if err := sw.SetColStyle(1, n, text); err != nil {
			return err
		}
		for i, wd := range columnWidths(t) {
			if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{
			Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
		}); err != nil {
			return err
		}
	}
	row := make([]any, len(t.Header))
	set := func(r int, cells []string, opts ...excelize.RowOpts) error {
		for i, c := range cells {
			row[i] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, r)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, row, opts...)
	}
	if err := set(1, t.Header, excelize.RowOpts{StyleID: bold}); err != nil {
		return err
	}
	for i, cells := range t.Rows {
		if err := set(i+2, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// columnWidths fits each column to its longest line, counting wide (CJK)
// characters twice, with a little padding, between minColWidth and
// maxColWidth.
func columnWidths(t Table) []float64 {
	widest := make([]int, len(t.Header))
	measure := func(cells []string) {
		for i, c := range cells {
			if widest[i] < maxColWidth {
				widest[i] = max(widest[i], displayWidth(c))
			}
		}
	}
	measure(t.Header)
	for _, r := range t.Rows {
		measure(r)
	}
	out := make([]float64, len(widest))
	for i, w := range widest {
		out[i] = float64(min(max(w+2, minColWidth), maxColWidth))
	}
	return out
}

// displayWidth is the width of the longest line of s, a wide or fullwidth
// character counting 2.
func displayWidth(s string) int {
	best, cur := 0, 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			i++
			if b == '\n' {
				best, cur = max(best, cur), 0
			} else {
				cur++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			cur += 2
		default:
			cur++
		}
	}
	return max(best, cur)
}

// maxSheetName is Excel's limit on a sheet name, in UTF-16 code units.
const maxSheetName = 31

// SheetName turns a title into a valid Excel sheet name: the characters
// : \ / ? * [ ] and control characters become "_", leading and trailing
// apostrophes and spaces go, the name is cut to 31 UTF-16 code units, and
// an empty name becomes "Sheet1" and the reserved "History" "History_".
func SheetName(title string) string {
	clean := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, title)
	trim := func(s string) string { return strings.Trim(s, "' ") }
	clean = trim(clean)
	n := 0
	for i, r := range clean {
		n += utf16.RuneLen(r)
		if n > maxSheetName {
			clean = trim(clean[:i])
			break
		}
	}
	switch {
	case clean == "":
		return "Sheet1"
	case strings.EqualFold(clean, "History"):
		return clean + "_"
	}
	return clean
}
