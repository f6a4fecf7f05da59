package plan

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// column identifies a field of the plan table.
type column int

const (
	colSerial column = iota
	colName
	colMatter
	colScope
	colRatio
	colRisk
	colWindow
	colDepartments
	numColumns
)

var columnNames = [numColumns]string{ColSerial, ColName, ColMatter, ColScope, ColRatio, ColRisk, ColWindow, ColDepartments}

// headerColumn recognises a header cell (folded) as one of the columns.
func headerColumn(cell string) (column, bool) {
	f := Fold(cell)
	switch f {
	case "序号", "编号", "序":
		return colSerial, true
	case "抽查任务名称", "任务名称", "抽查任务":
		return colName, true
	case "抽查事项", "检查事项":
		return colMatter, true
	case "抽查对象范围", "抽查对象", "检查对象范围", "对象范围":
		return colScope, true
	case "抽查比例及频次", "抽查比例和频次", "抽查比例", "比例及频次":
		return colRatio, true
	case "抽查检查起止时间", "抽查起止时间", "检查起止时间", "起止时间", "抽查时间":
		return colWindow, true
	case "发起部门", "发起部门(牵头科室)", "牵头部门":
		return colDepartments, true
	}
	if strings.Contains(f, "信用风险") || strings.HasPrefix(f, "智慧监管") {
		return colRisk, true
	}
	return 0, false
}

var (
	titleYear = regexp.MustCompile(`((?:19|20)\d{2})\s*年`)
	nameYear  = regexp.MustCompile(`(?:^|\D)((?:19|20)\d{2})(?:\D|$)`)
)

// builder assembles a Plan from table rows, whatever their source.
type builder struct {
	plan       *Plan
	sheet      string // current worksheet (xlsx)
	cols       [numColumns]int
	width      int // number of cells in the header row
	header     bool
	headerAt   string
	headerAtZh string
	firstAt    map[int]int // serial -> line of its row
	last       *Task
	titleLine  int
}

func newBuilder(file string) *builder {
	return &builder{plan: &Plan{Source: file}, firstAt: make(map[int]int)}
}

// errAt is a problem at line (and col, unless noColumn): zh is the
// Chinese reason, format and args the English message.
func (b *builder) errAt(line int, col column, value, zh, format string, args ...any) *ParseError {
	e := &ParseError{File: b.plan.Source, Sheet: b.sheet, Line: line, Msg: fmt.Sprintf(format, args...), Reason: zh}
	if col >= 0 {
		e.Field, e.Value = columnNames[col], value
	}
	return e
}

const noColumn column = -1

// isHeader reports whether the row is a header row: it has a 序号 cell and
// at least one other recognised column.
func isHeader(cells []string) bool {
	serial, other := false, false
	for _, c := range cells {
		if len(c) > 64 {
			continue // a data cell, not a column name
		}
		if col, ok := headerColumn(c); ok {
			if col == colSerial {
				serial = true
			} else {
				other = true
			}
		}
	}
	return serial && other
}

// setHeader maps the header row's columns; later headers must agree.
func (b *builder) setHeader(line int, cells []string) error {
	var cols [numColumns]int
	for i := range cols {
		cols[i] = -1
	}
	width := len(cells)
	for width > 0 && strings.TrimSpace(cells[width-1]) == "" {
		width--
	}
	for i, c := range cells[:width] {
		col, ok := headerColumn(c)
		if !ok {
			continue // an extra column (备注 …) is ignored
		}
		if cols[col] >= 0 {
			return b.errAt(line, noColumn, "", "表头中“"+columnNames[col]+"”列出现了两次", "header has column %s twice", columnNames[col])
		}
		cols[col] = i
	}
	for c, i := range cols {
		if i < 0 {
			return b.errAt(line, noColumn, "", "表头中缺少“"+columnNames[c]+"”列", "header has no column %s", columnNames[c])
		}
	}
	if b.header {
		if cols != b.cols || width != b.width {
			return b.errAt(line, noColumn, "", "表头与第一个表头（"+b.headerAtZh+"）不一致", "header differs from the first header (%s)", b.headerAt)
		}
		return nil
	}
	b.cols, b.width, b.header = cols, width, true
	b.headerAt, b.headerAtZh = b.place(line), b.placeZh(line)
	return nil
}

func (b *builder) place(line int) string {
	if b.sheet != "" {
		return fmt.Sprintf("%s!row %d", b.sheet, line)
	}
	return fmt.Sprintf("line %d", line)
}

// placeZh is place in Chinese: "第8行", "工作表 Sheet1 第8行".
func (b *builder) placeZh(line int) string {
	if b.sheet != "" {
		return fmt.Sprintf("工作表 %s 第%d行", b.sheet, line)
	}
	return fmt.Sprintf("第%d行", line)
}

// noHeaderZh is the Chinese reason of a file without a header row.
const noHeaderZh = "没有表头行（以“序号”开头的一行列名）"

// setTitle takes the plan's title, bureau and year from a title line.
func (b *builder) setTitle(line int, text string) error {
	text = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(text), "#"))
	m := titleYear.FindStringSubmatchIndex(text)
	if m == nil {
		return b.errAt(line, noColumn, "", "标题“"+text+"”中没有年度（如“2023年度”）", "title %q has no year (such as 2023年度)", text)
	}
	year, _ := strconv.Atoi(text[m[2]:m[3]])
	if b.plan.Year == 0 {
		b.plan.Title = text
		b.plan.Bureau = strings.TrimSpace(text[:m[0]])
		b.plan.Year = year
		b.titleLine = line
		return nil
	}
	if year != b.plan.Year {
		return b.errAt(line, noColumn, "", fmt.Sprintf("标题中的年度 %d 与第一个标题（%s）的 %d 不一致", year, b.placeZh(b.titleLine), b.plan.Year), "title year %d differs from %d in the first title (%s)", year, b.plan.Year, b.place(b.titleLine))
	}
	return nil
}

// row adds one data row. cells must have exactly the header's width (the
// caller pads workbook rows).
func (b *builder) row(line int, cells []string) error {
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	get := func(c column) string { return cells[b.cols[c]] }
	serialText, name := get(colSerial), get(colName)

	var task *Task
	if serialText == "" {
		if b.last == nil {
			return b.errAt(line, colSerial, serialText, "序号为空（续行），但上面没有任务", "continuation row (empty 序号) with no task above it")
		}
		if name != "" && Fold(name) != Fold(b.last.Name) {
			return b.errAt(line, colSerial, serialText, fmt.Sprintf("为空，但抽查任务名称“%s”不是上面任务%d的名称", name, b.last.Serial), "empty, but 抽查任务名称 %q is not the name of task %d above", name, b.last.Serial)
		}
		task = b.last
	} else {
		serial, ok := parseSerial(serialText)
		if !ok {
			return b.errAt(line, colSerial, serialText, "不是任务编号", "not a task number")
		}
		if at, dup := b.firstAt[serial]; dup {
			return b.errAt(line, colSerial, serialText, fmt.Sprintf("任务编号 %d 重复（首次出现在%s）", serial, b.placeZh(at)), "duplicate task number %d (first at %s)", serial, b.place(at))
		}
		if name == "" {
			return b.errAt(line, colName, name, "为空", "empty")
		}
		b.firstAt[serial] = line
		task = &Task{Serial: serial, Name: name}
	}

	it := &Item{
		Serial: task.Serial,
		Index:  len(task.Items) + 1,
		Task:   task,
		Line:   line,
		Matter: get(colMatter),
		Scope:  get(colScope),
		Risk:   ParseRisk(get(colRisk)),
	}
	var err error
	if it.Ratio, err = ParseRatio(get(colRatio)); err != nil {
		return b.errAt(line, colRatio, get(colRatio), reasonOf(err), "%s", err.Error())
	}
	if it.Window, err = ParseWindow(get(colWindow)); err != nil {
		return b.errAt(line, colWindow, get(colWindow), reasonOf(err), "%s", err.Error())
	}
	if it.Departments, err = ParseDepartments(get(colDepartments)); err != nil {
		return b.errAt(line, colDepartments, get(colDepartments), reasonOf(err), "%s", err.Error())
	}
	if task != b.last {
		b.plan.Tasks = append(b.plan.Tasks, task)
		b.last = task
	}
	task.Items = append(task.Items, it)
	return nil
}

// parseSerial reads a task number: "7", "７", "7.0" (a spreadsheet number).
func parseSerial(s string) (int, bool) {
	f := strings.TrimSuffix(Fold(s), ".")
	f = strings.TrimSuffix(f, ".0")
	if f == "" || len(f) > 6 {
		return 0, false
	}
	n, err := strconv.Atoi(f)
	if err != nil || n < 1 || f[0] == '+' {
		return 0, false
	}
	return n, true
}

// finish checks the whole file and numbers the items.
func (b *builder) finish() (*Plan, error) {
	p := b.plan
	if !b.header {
		return nil, &ParseError{File: p.Source, Msg: "no header row (a row of column names starting with 序号)", Reason: noHeaderZh}
	}
	if p.Year == 0 {
		return nil, &ParseError{File: p.Source, Msg: "no plan year: no title such as \"## 长治市市场监督管理局2023年度双随机抽查工作计划\" before the header",
			Reason: "没有计划年度：表头之前没有“长治市市场监督管理局2023年度双随机抽查工作计划”这样的标题"}
	}
	if len(p.Tasks) == 0 {
		return nil, &ParseError{File: p.Source, Msg: "no tasks: the plan table has no data rows", Reason: "没有任务：计划表格中没有数据行"}
	}
	for _, t := range p.Tasks {
		for _, it := range t.Items {
			if len(t.Items) == 1 {
				it.ID = strconv.Itoa(t.Serial)
			} else {
				it.ID = fmt.Sprintf("%d-%d", t.Serial, it.Index)
			}
		}
	}
	return p, nil
}
