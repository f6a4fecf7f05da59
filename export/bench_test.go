package export

import (
	"fmt"
	"io"
	"testing"
)

// benchTable is an internal draw table of n rows: 14 columns of the
// lengths the real ones have.
func benchTable(n int) Table {
	t := Table{Title: "2023年度双随机抽查 任务1 抽取结果（内部）", Header: internalHeader}
	districts := []string{"潞州区", "上党区", "屯留区", "潞城区", "襄垣县", "平顺县", "黎城县", "壶关县", "长子县", "武乡县", "沁县", "沁源县"}
	classes := []string{"低风险", "一般风险", "较高风险", "高风险"}
	for i := range n {
		d := districts[i%len(districts)]
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("91140400MA%08dX", i), fmt.Sprintf("长治市%s第%d号加油站有限公司", d, i), d,
			"1 在用计量器具的监督检查", "集贸市场、加油站、眼镜制配场所、医疗机构、国有粮食购销企业在用的强检计量器具监督检查",
			d + "市场监督管理局（计量科指导）", classes[i%4], "张伟、刘洋",
			fmt.Sprintf("zhangwei%02d;liuyang%02d", i%50, i%37), fmt.Sprintf("长治市%s解放路%d号", d, i%500),
			"机动车燃油零售", "draw-2023-1-0001", "2023-03-01 09:30", "",
		})
	}
	return t
}

// go test -run '^$' -bench . -benchmem ./export
func BenchmarkWriteXLSX100k(b *testing.B) { benchWrite(b, XLSX, 100_000) }
func BenchmarkWriteCSV100k(b *testing.B)  { benchWrite(b, CSV, 100_000) }

func benchWrite(b *testing.B, format string, n int) {
	t := benchTable(n)
	cw := &countingWriter{}
	b.ReportAllocs()
	for b.Loop() {
		cw.n = 0
		if err := Write(cw, format, t); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cw.n), "file-bytes")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
