package export

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
)

func findingsFixture(t *testing.T) ([]*finding.Finding, *draw.Record) {
	day := time.Date(2023, 3, 10, 0, 0, 0, 0, shanghai())
	fs := []*finding.Finding{
		{ID: "2023-1-A", Year: 2023, ItemID: "1", CreditCode: "91140403MAG928PQ9Q", EntityName: "德润加油站",
			Reporter: "zhangwei01", CoInspectors: []string{"liuyang02"}, State: finding.Cosigned,
			Content: finding.Content{CheckDate: day, Methods: []string{"实地检查"}, Result: finding.Result{Category: 1},
				FollowUp: finding.NoAction, Photos: []finding.Photo{{SHA256: "x"}, {SHA256: "y"}}}},
		{ID: "2023-1-B", Year: 2023, ItemID: "1", CreditCode: "91140404MAUW8PJLR8", EntityName: "瑞丰加油站",
			Reporter: "wangfang03", CoInspectors: []string{"ghost"}, State: finding.Disputed, DisputeReason: "日期不对",
			Content: finding.Content{CheckDate: day, Methods: []string{"实地检查", "书面检查"}, Result: finding.Result{Category: 6, Sub: 1},
				FollowUp: finding.Transfer, Remarks: "=SUM(1)"}},
	}
	rec := &draw.Record{Year: 2023, ItemID: "1", Result: &draw.Result{Groups: []draw.Group{
		{GroupCounts: draw.GroupCounts{Group: "潞州区"}, Entities: []draw.Drawn{{CreditCode: "91140403MAG928PQ9Q"}}},
		{GroupCounts: draw.GroupCounts{Group: "上党区"}, Entities: []draw.Drawn{{CreditCode: "91140404MAUW8PJLR8", District: "上党区"}}},
	}}}
	return fs, rec
}

func TestFindingsTablePublication(t *testing.T) {
	p := loadPlan(t)
	it := planItem(t, p, "1")
	fs, rec := findingsFixture(t)
	tb := FindingsTable(Publication, fs, it, rec, nil)
	want := []string{"统一社会信用代码", "名称", "抽查任务", "抽查事项", "检查日期", "检查结果", "发起部门"}
	if !slices.Equal(tb.Header, want) {
		t.Fatalf("header %v", tb.Header)
	}
	if len(tb.Rows) != 1 {
		t.Fatalf("publication lists only co-signed findings: %v", tb.Rows)
	}
	r := tb.Rows[0]
	if r[0] != "91140403MAG928PQ9Q" || r[4] != "2023-03-10" || r[5] != "未发现问题" || !strings.HasPrefix(r[6], "潞州区市场监督管理局") {
		t.Errorf("row %q", r)
	}
	if !strings.HasPrefix(r[2], "1 ") || r[3] != it.Matter {
		t.Errorf("task/matter %q %q", r[2], r[3])
	}
	if !strings.Contains(tb.Title, "任务1") || !strings.Contains(tb.Title, "公示") {
		t.Errorf("title %q", tb.Title)
	}
}

func TestFindingsTableInternal(t *testing.T) {
	p := loadPlan(t)
	it := planItem(t, p, "1")
	fs, rec := findingsFixture(t)
	insp := map[string]directory.Inspector{"zhangwei01": {Name: "张伟"}, "liuyang02": {Name: "刘洋"}, "wangfang03": {Name: "王芳"}}
	tb := FindingsTable(Internal, fs, it, rec, insp)
	want := []string{"统一社会信用代码", "名称", "抽查任务", "抽查事项", "检查日期", "检查结果", "发起部门",
		"检查人员", "检查方式", "后续处置", "备注", "照片数", "会签状态"}
	if !slices.Equal(tb.Header, want) {
		t.Fatalf("header %v", tb.Header)
	}
	if len(tb.Rows) != 2 {
		t.Fatalf("rows %v", tb.Rows)
	}
	a, b := tb.Rows[0], tb.Rows[1]
	if a[7] != "张伟、刘洋" || a[8] != "实地检查" || a[9] != "无需后续处置" || a[11] != "2" || a[12] != "已会签" {
		t.Errorf("row a %q", a)
	}
	if b[5] != "发现问题待后续处理（违反市场监管相关规定）" || b[7] != "王芳、ghost" || b[8] != "实地检查、书面检查" ||
		b[9] != "移送办案机构" || b[11] != "0" || b[12] != "有异议：日期不对" || !strings.HasPrefix(b[6], "上党区市场监督管理局") {
		t.Errorf("row b %q", b)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "'=SUM(1)") {
		t.Errorf("remarks not defused: %s", buf.String())
	}
	buf.Reset()
	if err := WriteXLSX(&buf, tb); err != nil {
		t.Fatal(err)
	}
}

func TestFindingsTableEmpty(t *testing.T) {
	tb := FindingsTable(Publication, nil, nil, nil, nil)
	if len(tb.Rows) != 0 || len(tb.Header) != 7 {
		t.Errorf("%+v", tb)
	}
}
