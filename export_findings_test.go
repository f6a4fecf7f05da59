package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store"
)

// export findings writes an item's check results: the publication layout
// only the co-signed ones, the internal layout every one.
func TestExportFindingsCommand(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	cfg := writeConfig(t, srv.URL(), "")
	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2023, 3, 1, 9, 0, 0, 0, loc)
	rec := &draw.Record{ID: draw.NewID(2023, "8", at, "abcd"), Operator: "admin", At: at, Year: 2023, ItemID: "8",
		Result: &draw.Result{ItemID: "8", Groups: []draw.Group{{Entities: []draw.Drawn{
			{CreditCode: "91140403MAG928PQ9Q", Name: "德润加油站", Inspectors: []string{"zhang", "li"}},
			{CreditCode: "911404052725320905", Name: "天顺能源", Inspectors: []string{"wang", "li"}},
		}}}}}
	if err := store.NewDraws(rdb, "t:").Commit(ctx, rec); err != nil {
		t.Fatal(err)
	}
	fs := store.NewFindings(rdb, "t:")
	for i, st := range []finding.State{finding.Cosigned, finding.Pending} {
		e := rec.Result.Groups[0].Entities[i]
		f := &finding.Finding{ID: finding.ID(2023, "8", e.CreditCode), Year: 2023, ItemID: "8", CreditCode: e.CreditCode, EntityName: e.Name,
			Reporter: e.Inspectors[0], CoInspectors: e.Inspectors[1:], State: st, FirstReportedAt: at.Add(time.Duration(i) * time.Hour),
			Content: finding.Content{CheckDate: time.Date(2023, 3, 10, 0, 0, 0, 0, loc), Methods: []string{"实地检查"},
				Result: finding.Result{Category: 1}, FollowUp: finding.NoAction}}
		if err := fs.Save(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	read := func(path string) [][]string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	pub := filepath.Join(dir, "pub.csv")
	out, errs, code := runCmd(t, "", "export", "findings", "--config", cfg, "--now", "2023-03-15", "--task", "8", "--format", "csv", "-o", pub)
	if code != 0 || !strings.Contains(out, "1 findings") {
		t.Fatalf("code %d: %s %s", code, out, errs)
	}
	rows := read(pub)
	if len(rows) != 2 || strings.Join(rows[0], ",") != "统一社会信用代码,名称,抽查任务,抽查事项,检查日期,检查结果,发起部门" ||
		rows[1][1] != "德润加油站" || rows[1][4] != "2023-03-10" || rows[1][5] != "未发现问题" {
		t.Errorf("publication rows %q", rows)
	}
	in := filepath.Join(dir, "in.xlsx")
	if out, errs, code := runCmd(t, "", "export", "findings", "--config", cfg, "--now", "2023-03-15", "--task", "8", "--format", "xlsx", "-o", in, "--layout", "internal"); code != 0 || !strings.Contains(out, "2 findings") {
		t.Fatalf("internal: code %d: %s %s", code, out, errs)
	}
	if b, err := os.ReadFile(in); err != nil || len(b) < 4 || string(b[:2]) != "PK" {
		t.Errorf("xlsx: %v", err)
	}
	if _, _, code := runCmd(t, "", "export", "nothing", "--config", cfg, "--task", "8", "-o", in); code == 0 {
		t.Error("export nothing: want a usage error")
	}
}
