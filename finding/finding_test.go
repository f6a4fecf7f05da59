package finding

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/workday"
)

var loc = workday.Location()

func date(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func valid() *Finding {
	return &Finding{
		ID: ID(2023, "8", "91140403MAG928PQ9Q"), Year: 2023, ItemID: "8", DrawID: "d1",
		CreditCode: "91140403MAG928PQ9Q", EntityName: "德润加油站", Reporter: "a", CoInspectors: []string{"b"},
		Content: Content{CheckDate: date("2023-03-06"), Methods: []string{"实地检查"},
			Result: Result{Category: 1}, FollowUp: NoAction},
		State: Pending,
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(f *Finding)
		want string
	}{
		{"ok", func(*Finding) {}, ""},
		{"no methods", func(f *Finding) { f.Methods = nil }, "至少选择一种检查方式"},
		{"unknown method", func(f *Finding) { f.Methods = []string{"电话询问"} }, "不在可选范围"},
		{"duplicate method", func(f *Finding) { f.Methods = []string{"实地检查", "实地检查"} }, "重复"},
		{"no result", func(f *Finding) { f.Result = Result{} }, "请选择检查结果"},
		{"result 11", func(f *Finding) { f.Result = Result{Category: 11} }, "请选择检查结果"},
		{"6 without sub", func(f *Finding) { f.Result = Result{Category: 6}; f.FollowUp = Transfer }, "需要选择具体情形"},
		{"1 with sub", func(f *Finding) { f.Result = Result{Category: 1, Sub: 1} }, "没有细分原因"},
		{"follow-up unfit", func(f *Finding) { f.FollowUp = Transfer }, "与检查结果“未发现问题”不符"},
		{"6.2 transfer unfit", func(f *Finding) { f.Result = Result{Category: 6, Sub: 2}; f.FollowUp = Transfer }, "可选：抄告相关部门"},
		{"remarks 501", func(f *Finding) { f.Remarks = strings.Repeat("字", 501) }, "备注最多500字，现有501字"},
		{"remarks 500", func(f *Finding) { f.Remarks = strings.Repeat("字", 500) }, ""},
		{"no date", func(f *Finding) { f.CheckDate = time.Time{} }, "缺少检查日期"},
		{"self cosign", func(f *Finding) { f.CoInspectors = []string{"A"} }, "不能为自己会签"},
		{"no entity", func(f *Finding) { f.CreditCode = "" }, "缺少检查对象"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := valid()
			c.edit(f)
			err := f.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate = %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Validate = %v; want %q", err, c.want)
			}
		})
	}
}

// Every valid result has at least one follow-up, and each one validates.
func TestFollowUpTable(t *testing.T) {
	for _, k := range Kinds {
		subs := []int{0}
		if len(k.Subs) > 0 {
			subs = nil
			for i := range k.Subs {
				subs = append(subs, i+1)
			}
		}
		for _, sub := range subs {
			r := Result{Category: k.Code, Sub: sub}
			fs := r.FollowUps()
			if len(fs) == 0 {
				t.Errorf("%s: no follow-up", r.Label())
			}
			for _, fu := range fs {
				f := valid()
				f.Result, f.FollowUp = r, fu
				if err := f.Validate(); err != nil {
					t.Errorf("%s / %s: %v", r.Label(), fu.Label(), err)
				}
			}
		}
	}
	if got := (Result{Category: 10, Sub: 2}).Label(); got != "已被吊销" {
		t.Errorf("10.2 = %s", got)
	}
	if got := (Result{Category: 6, Sub: 1}).Label(); got != "发现问题待后续处理（违反市场监管相关规定）" {
		t.Errorf("6.1 = %s", got)
	}
	if got := (Result{Category: 1}).FollowUps(); len(got) != 1 || got[0] != NoAction {
		t.Errorf("1 → %v", got)
	}
}

func TestCosign(t *testing.T) {
	f := valid()
	f.CoInspectors = []string{"b", "c"}
	at := date("2023-03-07")
	if err := f.Cosign("a", true, "", at); !errors.Is(err, ErrNotCoInspector) {
		t.Fatalf("reporter cosigns: %v", err)
	}
	if err := f.Cosign("b", true, "", at); err != nil || f.State != Pending {
		t.Fatalf("b: %v %s", err, f.State)
	}
	if err := f.Cosign("B", true, "", at); !errors.Is(err, ErrAnswered) {
		t.Fatalf("b twice: %v", err)
	}
	if !f.PendingFor("c") || f.PendingFor("b") {
		t.Fatal("PendingFor")
	}
	if err := f.Cosign("c", false, "", at); err == nil {
		t.Fatal("dispute without reason accepted")
	}
	if err := f.Cosign("c", true, "", at); err != nil || f.State != Cosigned || !f.CosignedAt.Equal(at) {
		t.Fatalf("c: %v %s", err, f.State)
	}

	g := valid()
	if err := g.Cosign("b", false, "日期不对", at); err != nil || g.State != Disputed || g.DisputeReason != "日期不对" {
		t.Fatalf("dispute: %v %+v", err, g)
	}
}

func TestReviseKeepsHistory(t *testing.T) {
	f := valid()
	f.Version, f.FirstReportedAt, f.ReportedAt = 2, date("2023-03-06"), date("2023-03-06")
	_ = f.Cosign("b", false, "结果不对", date("2023-03-07"))
	c := f.Content
	c.Result, c.FollowUp = Result{Category: 5}, Rectify
	f.Revise(c, date("2023-03-08"), date("2023-04-06"))
	if len(f.History) != 1 || f.History[0].Version != 2 || f.History[0].Result.Category != 1 || f.History[0].State != Disputed {
		t.Fatalf("history = %+v", f.History)
	}
	if f.State != Pending || f.Cosigns != nil || f.DisputeReason != "" || f.Result.Category != 5 {
		t.Fatalf("revised = %+v", f)
	}
	if err := f.CanEdit("b", date("2023-03-08"), 7); !errors.Is(err, ErrNotReporter) {
		t.Errorf("co-inspector edits: %v", err)
	}
	if err := f.CanEdit("a", date("2023-03-14"), 7); err == nil {
		t.Errorf("edit after 8 days allowed")
	}
	if err := f.CanEdit("a", date("2023-03-12"), 7); err != nil {
		t.Errorf("edit within 7 days: %v", err)
	}
}

func TestDeadline(t *testing.T) {
	cal := workday.New(loc)
	// 2023-09-28 (Thu): 9-29..10-06 off, 10-07 and 10-08 make-up workdays.
	cases := []struct {
		check, want string
		n           int
	}{
		{"2023-03-06", "2023-04-03", 20},
		{"2023-09-28", "2023-11-01", 20},
		{"2023-09-28", "2023-10-08", 2},
		{"2023-03-06", "2023-04-03", 0},
	}
	for _, c := range cases {
		if got := Deadline(cal, date(c.check), c.n); !got.Equal(date(c.want)) {
			t.Errorf("Deadline(%s, %d) = %s; want %s", c.check, c.n, got.Format("2006-01-02"), c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	today := date("2023-03-15").Add(10 * time.Hour)
	cases := []struct{ in, want, err string }{
		{"今天", "2023-03-15", ""},
		{"昨天", "2023-03-14", ""},
		{"前天", "2023-03-13", ""},
		{"3月5日", "2023-03-05", ""},
		{"3月5号", "2023-03-05", ""},
		{"３月５日", "2023-03-05", ""},
		{"2023-03-05", "2023-03-05", ""},
		{"2023/3/5", "2023-03-05", ""},
		{"2023年3月5日", "2023-03-05", ""},
		{"20230305", "2023-03-05", ""},
		{"3.5", "2023-03-05", ""},
		{"3-5", "2023-03-05", ""},
		{"2月30日", "", "2023年2月只有28天，没有30日"},
		{"2024-02-30", "", "2024年2月只有29天"},
		{"13月1日", "", "没有13月"},
		{"明天见", "", "没看懂日期"},
		{"", "", "没看懂日期"},
		{"😀", "", "没看懂日期"},
	}
	for _, c := range cases {
		got, err := ParseDate(c.in, today)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !got.Equal(date(c.want)) {
			t.Errorf("%q = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
	if _, err := ParseDate(strings.Repeat("1", 10000), today); err == nil || len(err.Error()) > 200 {
		t.Errorf("long input: %v", err)
	}
}

// A 1x1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func TestPhotoDir(t *testing.T) {
	d := PhotoDir{Dir: t.TempDir(), MaxBytes: 1000}
	p, err := d.Put(pngBytes, "a/b.png")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "b.png" || p.Size != int64(len(pngBytes)) || !strings.HasSuffix(p.Path, p.SHA256+".png") {
		t.Errorf("photo = %+v", p)
	}
	if b, err := os.ReadFile(p.Path); err != nil || string(b) != string(pngBytes) {
		t.Errorf("stored bytes: %v", err)
	}
	again, err := d.Put(pngBytes, "")
	if err != nil || again.Path != p.Path {
		t.Errorf("again = %+v, %v", again, err)
	}
	if _, err := d.Put([]byte("%PDF-1.4 not an image"), "x.pdf"); !errors.Is(err, ErrNotImage) {
		t.Errorf("pdf: %v", err)
	}
	if _, err := d.Put(append(append([]byte{}, pngBytes...), make([]byte, 1000)...), "big.png"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big: %v", err)
	}
}
