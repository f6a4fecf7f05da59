package directory

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Problem is one thing wrong with an imported file (or, among warnings, one
// thing worth a look). Message is in Simplified Chinese for the people who
// keep the file.
type Problem struct {
	Row     int    // 1-based row in the file; 0 when about the whole file
	Column  string // canonical column name (Col* constants); empty when about a row or the file
	Value   string // the cell as written; empty when about the column or file
	Message string
}

// maxValueRunes bounds how much of a cell a message repeats.
const maxValueRunes = 40

// String renders the problem as `第12行 统一社会信用代码 "…": 校验位错误（应为 3）`.
func (p Problem) String() string {
	var parts []string
	if p.Row > 0 {
		parts = append(parts, fmt.Sprintf("第%d行", p.Row))
	}
	if p.Column != "" {
		parts = append(parts, p.Column)
	}
	if p.Value != "" {
		v := p.Value
		if utf8.RuneCountInString(v) > maxValueRunes {
			v = string([]rune(v)[:maxValueRunes]) + "…"
		}
		parts = append(parts, strconv.Quote(v))
	}
	if len(parts) == 0 {
		return p.Message
	}
	return strings.Join(parts, " ") + ": " + p.Message
}

// ImportError is why a file was refused: every problem found, in row order.
// Nothing of the file is imported.
type ImportError struct {
	File     string // file name as given
	Sheet    string // worksheet of an .xlsx; empty for text files
	Problems []Problem
}

// maxShown caps the problems Error lists; the rest are counted.
const maxShown = 30

// Error renders the problems in Chinese, naming the file: one line when
// there is one problem, else a count and up to maxShown lines.
func (e *ImportError) Error() string {
	where := e.File
	if e.Sheet != "" {
		where += "（工作表 " + e.Sheet + "）"
	}
	if len(e.Problems) == 1 {
		return where + ": " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: 有 %d 个问题，整个文件未导入:", where, len(e.Problems))
	for i, p := range e.Problems {
		if i == maxShown {
			fmt.Fprintf(&b, "\n另有 %d 个问题", len(e.Problems)-maxShown)
			break
		}
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}
