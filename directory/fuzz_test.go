package directory

import (
	"errors"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// addSeeds adds the valid files of a directory in each format the
// importers read, and some broken ones.
func addSeeds(f *testing.F, header []string, rows [][]string) {
	table := append([][]string{header}, rows...)
	csvData := csvBytes(f, ',', table)
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes(csvData)
	f.Add(csvData)
	f.Add(append([]byte("\ufeff"), csvData...))
	f.Add(gbk)
	f.Add(csvBytes(f, '\t', table))
	f.Add(csvBytes(f, ',', append([][]string{{"标题"}, {}}, table...)))
	f.Add(xlsxBytes(f, sheet{"S", table}))
	f.Add(csvBytes(f, ',', table[:1]))
	f.Add([]byte("\"a,\"\"b\n"))
	f.Add([]byte{})
}

// FuzzImportEntities: any input gives either a well-formed snapshot or an
// *ImportError with problems, never a panic. Run it with a short
// -fuzzminimizetime (e.g. 50x): minimizing a mutated workbook otherwise
// takes the worker most of the run.
func FuzzImportEntities(f *testing.F) {
	addSeeds(f, entityHeader, entityRows)
	opts := seedOptions(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"f.csv", "f.xlsx"} {
			got, err := ImportEntities(name, data, opts)
			if checkError(t, got == nil, err) {
				continue
			}
			if got.Rows != len(got.List) || got.Source != name {
				t.Fatalf("meta %+v for %d entities", got.Meta, len(got.List))
			}
			seen := map[string]bool{}
			last := 0
			for _, e := range got.List {
				if !ValidCreditCode(e.CreditCode) || seen[e.CreditCode] || e.Name == "" || len(e.Items) == 0 || e.District == "" || e.Status == "" || e.Row <= last {
					t.Fatalf("bad entity %+v (previous row %d)", e, last)
				}
				seen[e.CreditCode], last = true, e.Row
			}
		}
	})
}

// FuzzImportInspectors is FuzzImportEntities for the inspectors.
func FuzzImportInspectors(f *testing.F) {
	addSeeds(f, inspectorHeader, inspectorRows)
	opts := seedOptions(f)
	ents := someEntities()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"f.csv", "f.xlsx"} {
			got, warnings, err := ImportInspectors(name, data, opts, ents)
			for _, w := range warnings {
				if w.Row <= 0 || w.Column != ColAvoid || !ValidCreditCode(w.Value) {
					t.Fatalf("bad warning %+v", w)
				}
			}
			if checkError(t, got == nil, err) {
				continue
			}
			if got.Rows != len(got.List) {
				t.Fatalf("meta %+v for %d inspectors", got.Meta, len(got.List))
			}
			users := map[string]bool{}
			for _, in := range got.List {
				if in.Name == "" || !validUserID(in.UserID) || users[in.UserID] || in.BadgeNo == "" || in.Unit == "" || in.AllItems == (len(in.Items) > 0) {
					t.Fatalf("bad inspector %+v", in)
				}
				users[in.UserID] = true
				for _, c := range in.Avoid {
					if !ValidCreditCode(c) {
						t.Fatalf("bad avoided code %q", c)
					}
				}
			}
		}
	})
}

// checkError reports whether the import failed, checking that it failed
// with problems and returned no snapshot, or succeeded without error.
func checkError(t *testing.T, noSnapshot bool, err error) bool {
	t.Helper()
	if err == nil {
		if noSnapshot {
			t.Fatal("neither a snapshot nor an error")
		}
		return false
	}
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Problems) == 0 || !noSnapshot {
		t.Fatalf("error %T %v with snapshot %v", err, err, !noSnapshot)
	}
	for _, p := range ie.Problems {
		if p.Row < 0 || p.Message == "" {
			t.Fatalf("bad problem %+v", p)
		}
	}
	_ = err.Error()
	return true
}
