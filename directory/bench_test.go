package directory

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/changzhi-amr/choucha/department"
)

// benchRows is a realistic entity directory of n rows: every column
// filled, items, districts, risk classes and statuses varied.
func benchRows(n int) [][]string {
	items := []string{"1", "4", "8;9", "13", "15-1;15-2", "16"}
	risks := []string{"A", "B", "C", "D", ""}
	statuses := []string{"存续（在营、开业、在册）", "在业", "注销", "吊销，未注销"}
	counties := department.DefaultCounties
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{code(i + 1), fmt.Sprintf("长治市第%d商贸有限公司", i+1), items[i%len(items)], counties[i%len(counties)],
			risks[i%len(risks)], statuses[i%len(statuses)], fmt.Sprintf("%s英雄中路%d号", counties[i%len(counties)], i%500+1),
			fmt.Sprintf("0355-%07d", i), "批发和零售业"}
	}
	return rows
}

// benchXLSX writes rows below entityHeader with excelize's stream writer.
// Its cells are inline strings where Excel writes shared strings; a
// shared-string copy (built with SetSheetRow, 20 s to make) imported in
// about the same CPU time.
func benchXLSX(b *testing.B, rows [][]string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	row := make([]any, len(entityHeader))
	for r, cells := range append([][]string{entityHeader}, rows...) {
		for i, c := range cells {
			row[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// benchImport imports data in a loop, reporting besides wall time the
// process's CPU time per import: on a busy shared machine the wall clock
// mostly measures the other tenants.
func benchImport(b *testing.B, name string, data []byte, rows int) {
	opts := seedOptions(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	cpu0 := cpuTime()
	for b.Loop() {
		got, err := ImportEntities(name, data, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(got.List) != rows {
			b.Fatalf("%d entities, want %d", len(got.List), rows)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkImportEntitiesXLSX100k imports a 100,000-row workbook.
func BenchmarkImportEntitiesXLSX100k(b *testing.B) {
	rows := benchRows(100_000)
	data := benchXLSX(b, rows)
	b.Logf("workbook %s", sizeText(int64(len(data))))
	benchImport(b, "名录.xlsx", data, len(rows))
}

// BenchmarkImportEntitiesCSV100k imports the same rows as UTF-8 CSV.
func BenchmarkImportEntitiesCSV100k(b *testing.B) {
	rows := benchRows(100_000)
	data := csvBytes(b, ',', append([][]string{entityHeader}, rows...))
	b.Logf("CSV %s", sizeText(int64(len(data))))
	benchImport(b, "名录.csv", data, len(rows))
}

// BenchmarkImportEntitiesGBK100k: the same CSV as Excel saves it in China.
func BenchmarkImportEntitiesGBK100k(b *testing.B) {
	rows := benchRows(100_000)
	data := csvBytes(b, ',', append([][]string{entityHeader}, rows...))
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(data)
	if err != nil {
		b.Fatal(err)
	}
	benchImport(b, "名录.csv", gbk, len(rows))
}
