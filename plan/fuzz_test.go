package plan

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// FuzzParse feeds the text importer arbitrary files: it must never panic,
// must return either a plan or a *ParseError, and a plan it returns must be
// well-formed.
func FuzzParse(f *testing.F) {
	seedBytes, err := os.ReadFile(seedPath)
	if err != nil {
		f.Fatal(err)
	}
	seed := string(seedBytes)
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(seed)
	f.Add(seedBytes)
	f.Add([]byte(gbk))
	f.Add([]byte("\ufeff" + seed))
	f.Add([]byte(strings.ReplaceAll(seed, "\n", "\r\n")))
	f.Add([]byte(strings.Replace(seed, "2月-12月", "13月-2月", 1)))
	f.Add([]byte(strings.Replace(seed, "10%/一年一次", "待定", 1)))
	f.Add([]byte(strings.Replace(seed, "5% (10户)", "5%（10户）", 1)))
	f.Add([]byte(strings.Replace(seed, "\n15\t", "\n\t", 1)))
	f.Add([]byte(strings.Replace(seed, "\t市市场监管局 市市场监管局", "\t", 1)))
	f.Add([]byte("## 2023年度计划\n序号\t抽查任务名称\t抽查事项\t抽查对象范围\t抽查比例及频次\t智慧监管(信用风险分类)要求\t抽查检查起止时间\t发起部门\n\t\t\"x\ny\"\t\t5%\t\t\t市局\n"))
	f.Add([]byte{})
	f.Add([]byte("\xff\xfe\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.txt", bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			_ = err.Error()
			return
		}
		if p.Year == 0 || len(p.Tasks) == 0 {
			t.Fatalf("plan without year or tasks: %+v", p)
		}
		seen := map[string]bool{}
		for _, it := range p.Items() {
			if it.ID == "" || seen[it.ID] || it.Task == nil {
				t.Fatalf("bad item %+v", it)
			}
			seen[it.ID] = true
			if got, ok := p.Item(it.ID); !ok || got != it {
				t.Fatalf("Item(%q) does not find the item", it.ID)
			}
			w := it.Window
			if w.Has() && (w.StartMonth < 1 || w.EndMonth > 12 || w.StartMonth > w.EndMonth) {
				t.Fatalf("bad window %+v", w)
			}
			if it.Ratio.Percent < 0 || it.Ratio.Percent > 100 {
				t.Fatalf("bad ratio %+v", it.Ratio)
			}
			if len(it.Departments.Initiators)+len(it.Departments.Sections) == 0 {
				t.Fatalf("no departments: %+v", it.Departments)
			}
		}
	})
}

func BenchmarkParseSeed(b *testing.B) {
	data, err := os.ReadFile(seedPath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(seedPath, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSeedGBK(b *testing.B) {
	data, err := os.ReadFile(seedPath)
	if err != nil {
		b.Fatal(err)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(seedPath, bytes.NewReader(gbk)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadXLSX(b *testing.B) {
	data, _ := writeXLSX(b, loadSeed(b), xlsxLayout{title: true, merge: true})
	path := b.TempDir() + "/plan.xlsx"
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFold(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Fold("请问 任务１５－２ 的抽查比例（不低于５％）是多少？")
		_ = Fold("对强制性产品认证活动的双随机抽查")
	}
}

// FuzzFields fuzzes the cell parsers directly, where FuzzParse rarely
// reaches with well-formed rows.
func FuzzFields(f *testing.F) {
	for _, s := range []string{
		"不低于5%/一年一次", "5% (10户)/一年一次", "5%（10户）／一年两次", "待定", "150%",
		"2月-12月", "13月-2月", "三月至十二月", "全年", "3月-年底",
		"各地组织发起/计量科指导", "市市场监管局 市市场监管局", "各县、区市场监管局", "计量科 牵头",
		"根据企业信用风险分类结果, 对低风险、一般风险、较高风险、", "１５－２",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseRatio(s); err == nil && (r.Percent < 0 || r.Percent > 100 || r.Count < 0 || r.PerYear < 0 || r.Raw != s) {
			t.Fatalf("ParseRatio(%q) = %+v", s, r)
		}
		if w, err := ParseWindow(s); err == nil && (w.StartMonth < 0 || w.EndMonth > 12 || w.StartMonth > w.EndMonth || w.Has() && w.StartMonth < 1) {
			t.Fatalf("ParseWindow(%q) = %+v", s, w)
		}
		if d, err := ParseDepartments(s); err == nil && len(d.Initiators)+len(d.Sections) == 0 {
			t.Fatalf("ParseDepartments(%q) = %+v", s, d)
		}
		_ = ParseRisk(s)
		if f := Fold(s); Fold(f) != f {
			t.Fatalf("Fold is not idempotent on %q: %q then %q", s, f, Fold(f))
		}
	})
}
