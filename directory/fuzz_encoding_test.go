package directory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// FuzzImportEntitiesEncodings: the same table read as UTF-8 CSV, as GBK
// CSV and as an .xlsx workbook imports to the same entities, or is refused
// with the same problems (rows and columns) in each, the error naming the
// file.
func FuzzImportEntitiesEncodings(f *testing.F) {
	f.Add(csvBytes(f, ',', append([][]string{entityHeader}, entityRows...)))
	f.Add(csvBytes(f, ',', append([][]string{entityHeader}, entityRows[:1]...)))
	f.Add(csvBytes(f, ',', [][]string{entityHeader, {"91140400MA0GRXXX0X", "坏代码", "8", "潞州区", "A", "存续"}}))
	f.Add(csvBytes(f, ',', [][]string{{"名称", "统一社会信用代码"}, {"x", "y"}}))
	f.Add([]byte("统一社会信用代码,名称\n\"a\nb\",c\n"))
	opts := seedOptions(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) || bytes.HasPrefix(data, []byte("\ufeff")) {
			return
		}
		gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(data)
		if err != nil {
			return // not representable in GBK
		}
		if back, err := simplifiedchinese.GBK.NewDecoder().Bytes(gbk); err != nil || !bytes.Equal(back, data) {
			return // GBK round trip changes it (e.g. U+20AC)
		}
		base, baseErr := ImportEntities("名录.csv", data, opts)
		check := func(label, name string, got *Entities, err error) {
			t.Helper()
			if (err == nil) != (baseErr == nil) {
				t.Fatalf("%s: error %v, UTF-8 error %v", label, err, baseErr)
			}
			if err != nil {
				var ie, be *ImportError
				if !errors.As(err, &ie) || !errors.As(baseErr, &be) {
					t.Fatalf("%s: %T %v / %T %v", label, err, err, baseErr, baseErr)
				}
				if ie.File != name || !strings.HasPrefix(err.Error(), name) {
					t.Fatalf("%s: error does not name the file %q: %v", label, name, err)
				}
				if len(ie.Problems) != len(be.Problems) {
					t.Fatalf("%s: %d problems, UTF-8 %d:\n%v\n%v", label, len(ie.Problems), len(be.Problems), err, baseErr)
				}
				for i := range ie.Problems {
					a, b := ie.Problems[i], be.Problems[i]
					if a.Row != b.Row || a.Column != b.Column || a.Message != b.Message {
						t.Fatalf("%s: problem %d %+v, UTF-8 %+v", label, i, a, b)
					}
				}
				return
			}
			if !reflect.DeepEqual(got.List, base.List) {
				t.Fatalf("%s: entities differ from UTF-8:\n%+v\n%+v", label, got.List, base.List)
			}
		}
		got, err := ImportEntities("名录-gbk.csv", gbk, opts)
		check("GBK", "名录-gbk.csv", got, err)

		// The same records as a workbook, when the CSV is a plain table
		// (one line a record, cells an .xlsx can hold).
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		records, err := r.ReadAll()
		if err != nil || len(records) == 0 || bytes.Count(data, []byte("\n")) > len(records) || bytes.ContainsRune(data, '\r') {
			return
		}
		for _, rec := range records {
			for _, c := range rec {
				if strings.ContainsFunc(c, func(r rune) bool { return r < 0x20 || r == 0xFFFE || r == 0xFFFF }) || strings.Contains(c, "\"") || len(c) > 32767 {
					return
				}
			}
		}
		if strings.ContainsAny(string(data), "\t;") {
			return // the CSV reader may have guessed another separator
		}
		x := xlsxBytes(t, sheet{"名录", records})
		got, err = ImportEntities("名录.xlsx", x, opts)
		if err != nil && baseErr != nil {
			var ie *ImportError
			if !errors.As(err, &ie) || ie.File != "名录.xlsx" || len(ie.Problems) == 0 {
				t.Fatalf("xlsx: %v", err)
			}
			return // an .xlsx reports its problems by cell; the counts may differ
		}
		check("xlsx", "名录.xlsx", got, err)
	})
}
