package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load reads a plan file, choosing the format by extension: .xlsx/.xlsm as
// a workbook (ParseXLSX), .txt/.tsv/.csv/.tab or no extension as text
// (Parse). Errors from the content are *ParseError naming the path.
func Load(path string) (*Plan, error) {
	ext := strings.ToLower(filepath.Ext(path))
	var parse func(string, *os.File) (*Plan, error)
	switch ext {
	case ".xlsx", ".xlsm":
		parse = func(name string, f *os.File) (*Plan, error) { return ParseXLSX(name, f) }
	case ".txt", ".tsv", ".csv", ".tab", "":
		parse = func(name string, f *os.File) (*Plan, error) { return Parse(name, f) }
	case ".xls":
		return nil, &ParseError{File: path, Msg: "old Excel .xls format is not supported: save the plan as .xlsx", Reason: xlsZh}
	default:
		return nil, &ParseError{File: path, Msg: fmt.Sprintf("unknown plan file type %q (use .txt, .tsv, .csv or .xlsx)", ext),
			Reason: fmt.Sprintf("不支持的文件类型 %q（请用 .txt、.tsv、.csv 或 .xlsx）", ext)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load plan: %w", err)
	}
	defer f.Close()
	return parse(path, f)
}

// LoadCatalog loads every file and builds a Catalog of them.
func LoadCatalog(paths ...string) (*Catalog, error) {
	plans := make([]*Plan, 0, len(paths))
	for _, path := range paths {
		p, err := Load(path)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return NewCatalog(plans...)
}
