package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Column names of the plan table, as printed in the 2023 plan's header.
// ParseError.Field holds one of these when a cell is at fault.
const (
	ColSerial      = "序号"
	ColName        = "抽查任务名称"
	ColMatter      = "抽查事项"
	ColScope       = "抽查对象范围"
	ColRatio       = "抽查比例及频次"
	ColRisk        = "智慧监管(信用风险分类)要求"
	ColWindow      = "抽查检查起止时间"
	ColDepartments = "发起部门"
)

// ParseError is why a plan file was refused. The whole file is refused on
// the first error.
type ParseError struct {
	File  string // file name as given to Parse/Load
	Sheet string // worksheet name for .xlsx; empty for text
	Line  int    // 1-based line (text) or row (sheet); 0 when about the whole file
	Field string // column name (Col* constants) when a cell is at fault
	Value string // the offending cell text, as in the file
	Msg   string // what is wrong
	Err   error  // underlying error, if any
	// Reason is what is wrong in Chinese, for the people who send plan
	// files (Chinese renders it); "" where only Msg is known.
	Reason string
}

// Error formats the error as `file:line: field "value": msg`, or with
// `file:Sheet!row N` for workbooks.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		b.WriteByte(':')
		b.WriteString(e.Sheet)
		if e.Line > 0 {
			b.WriteString("!row ")
			b.WriteString(strconv.Itoa(e.Line))
		}
	} else if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(e.Value))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// Chinese renders the error for the people who send plan files:
// `file:第N行:列名 "值": 原因`, with `file:Sheet1!第N行` for workbooks and
// the row or column left out when the error is about the whole file. A
// long cell value is cut to its first 40 characters.
func (e *ParseError) Chinese() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		b.WriteString(":工作表 ")
		b.WriteString(e.Sheet)
		if e.Line > 0 {
			b.WriteString(" 第" + strconv.Itoa(e.Line) + "行")
		}
	} else if e.Line > 0 {
		b.WriteString(":第" + strconv.Itoa(e.Line) + "行")
	}
	if e.Field != "" {
		b.WriteString(":" + e.Field + " ")
		v := []rune(e.Value)
		if len(v) > 40 {
			v = append(v[:40], '…')
		}
		b.WriteString(strconv.Quote(string(v)))
	}
	b.WriteString(": ")
	if e.Reason != "" {
		b.WriteString(e.Reason)
	} else {
		b.WriteString(e.Msg)
	}
	return b.String()
}

// fieldError is what the cell parsers return; the builder adds the place.
type fieldError struct{ msg, zh string }

func (e *fieldError) Error() string { return e.msg }

// errorf is a cell's problem: zh is the Chinese reason, format and args the
// English message.
func errorf(zh, format string, args ...any) error {
	return &fieldError{msg: fmt.Sprintf(format, args...), zh: zh}
}

// reasonOf is err's Chinese reason when it is a cell parser's error.
func reasonOf(err error) string {
	if fe, ok := err.(*fieldError); ok {
		return fe.zh
	}
	return ""
}
