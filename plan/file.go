package plan

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/changzhi-amr/choucha/textenc"
)

// xlsZh is the Chinese reason of an old Excel .xls file.
const xlsZh = "不支持旧版 Excel .xls 格式，请另存为 .xlsx"

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1} // .xls, .doc
)

// ParseFile reads a plan from a file's bytes, whatever its name says: a
// zip is read as an .xlsx workbook (ParseXLSX), an old Office file is
// refused, anything else is read as text (Parse). name is used in errors
// and as Plan.Source. Any error is a *ParseError.
func ParseFile(name string, data []byte) (*Plan, error) {
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return ParseXLSX(name, bytes.NewReader(data))
	case bytes.HasPrefix(data, oleMagic):
		return nil, &ParseError{File: name, Msg: "old Excel .xls format is not supported: save the plan as .xlsx", Reason: xlsZh}
	}
	return Parse(name, bytes.NewReader(data))
}

// Hash is the content hash of a plan file as the bot records it:
// "sha256:" and the hex of its SHA-256.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// headerScanRows is how far down a file LooksLikePlan looks for the header.
const headerScanRows = 40

// headerScanBytes is how much of a text file LooksLikePlan decodes.
const headerScanBytes = 64 << 10

// LooksLikePlan reports whether a file sent to the bot is a plan rather
// than a directory: within its first rows (of any sheet) there is a header
// with 序号 and at least three other plan columns (抽查事项, 抽查比例及频次,
// 抽查检查起止时间, …). A plan with a broken header still has most of its
// columns, so it is recognised and its errors reported as a plan's.
func LooksLikePlan(data []byte) bool {
	if bytes.HasPrefix(data, zipMagic) {
		return xlsxLooksLikePlan(data)
	}
	// The header is near the top: decode only the first whole lines, so
	// that a large directory file is not decoded twice.
	if len(data) > headerScanBytes {
		data = data[:headerScanBytes]
		if i := bytes.LastIndexByte(data, '\n'); i > 0 {
			data = data[:i+1]
		}
	}
	text, err := textenc.Decode(data)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 0; n < headerScanRows && sc.Scan(); n++ {
		line := sc.Text()
		sep := "\t"
		if !strings.Contains(line, sep) {
			sep = ","
		}
		cells := strings.Split(line, sep)
		for i := range cells {
			cells[i] = strings.Trim(cells[i], "\" ")
		}
		if planHeader(cells) {
			return true
		}
	}
	return false
}

func xlsxLooksLikePlan(data []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return false
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.Rows(sheet)
		if err != nil {
			continue
		}
		for n := 0; n < headerScanRows && rows.Next(); n++ {
			cells, err := rows.Columns()
			if err != nil {
				break
			}
			if planHeader(cells) {
				rows.Close()
				return true
			}
		}
		rows.Close()
	}
	return false
}

// planHeader: 序号 and at least three other plan columns.
func planHeader(cells []string) bool {
	var seen [numColumns]bool
	n := 0
	for _, c := range cells {
		if len(c) > 64 {
			continue
		}
		if col, ok := headerColumn(c); ok && !seen[col] {
			seen[col] = true
			n++
		}
	}
	return seen[colSerial] && n >= 4
}
