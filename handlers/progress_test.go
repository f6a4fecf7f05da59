package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
)

// Item 9 (各县区局发起/消保科指导) drawn in two counties.
const (
	codeLuzhou  = "92140403MA0HX1234C" // 潞州区: zhang, li
	codeShangdi = "92140404MA0HX5678D" // 上党区: wang, zhao
)

// progressHarness adds a draw of item 9 and findings saved straight to the
// store: item 8 德润 co-signed 未发现问题, 天顺 pending 发现问题已责令改正;
// item 9 潞州区 co-signed 未按规定公示; item 11 none.
func progressHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.heads = map[string]string{"boss": "市市场监督管理局", "luzhou": "潞州区", "xiaobao": "消保科"}
	h.restart()
	ctx := t.Context()
	at := day(t, "2023-03-02")
	rec := &draw.Record{ID: draw.NewID(2023, "9", at, "abcd"), Operator: "admin", At: at, Year: 2023, ItemID: "9",
		Result: &draw.Result{ItemID: "9", Groups: []draw.Group{
			{GroupCounts: draw.GroupCounts{Group: "潞州区"}, Entities: []draw.Drawn{{CreditCode: codeLuzhou, Name: "潞州区古玩店", District: "潞州区", Inspectors: []string{"zhang", "li"}}}},
			{GroupCounts: draw.GroupCounts{Group: "上党区"}, Entities: []draw.Drawn{{CreditCode: codeShangdi, Name: "长治市花鸟市场", Inspectors: []string{"wang", "zhao"}}}},
		}}}
	if err := store.NewDraws(h.rdb, "t:").Commit(ctx, rec); err != nil {
		t.Fatal(err)
	}
	fs := store.NewFindings(h.rdb, "t:")
	for _, f := range []struct {
		item, code, name, reporter, co string
		state                          finding.State
		res                            finding.Result
		fu                             finding.FollowUp
	}{
		{"8", codeDerun, "长治市潞州区紫金街道德润加油站", "zhang", "li", finding.Cosigned, finding.Result{Category: 1}, finding.NoAction},
		{"8", codeTshun, "山西天顺能源有限公司", "zhang", "wang", finding.Pending, finding.Result{Category: 5}, finding.Rectify},
		{"9", codeLuzhou, "潞州区古玩店", "li", "zhang", finding.Cosigned, finding.Result{Category: 2}, finding.Rectify},
	} {
		x := &finding.Finding{ID: finding.ID(2023, f.item, f.code), Year: 2023, ItemID: f.item, CreditCode: f.code, EntityName: f.name,
			Reporter: f.reporter, CoInspectors: []string{f.co}, State: f.state, FirstReportedAt: h.now, ReportedAt: h.now,
			Content: finding.Content{CheckDate: day(t, "2023-03-10"), Methods: []string{"实地检查"}, Result: f.res, FollowUp: f.fu}}
		if err := fs.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *harness) admin(text string) string {
	return h.handle(&Request{Kind: KindText, UserID: "admin", Admin: true, Text: text})
}

func has(t *testing.T, who, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: reply lacks %q:\n%s", who, w, got)
		}
	}
	if len(got) > 2048 {
		t.Errorf("%s: reply is %d bytes, over one WeCom message", who, len(got))
	}
}

func hasNot(t *testing.T, who, got string, not ...string) {
	t.Helper()
	for _, w := range not {
		if strings.Contains(got, w) {
			t.Errorf("%s: reply has %q:\n%s", who, w, got)
		}
	}
}

func TestProgressHeads(t *testing.T) {
	h := progressHarness(t)
	got := h.say("boss", "进度")
	has(t, "city head", got, "抽查进度（市市场监督管理局）", "任务8", "抽3 报2 签1 问题1", "任务11", "抽1 报0 签0 问题0", "未抽取：任务2、4")
	hasNot(t, "city head", got, "任务9 ", "**逾期")

	got = h.say("luzhou", "进度")
	has(t, "county head", got, "潞州区市场监督管理局", "任务9", "抽1 报1 签1 问题1", "未抽取：任务1、3、10、13")
	hasNot(t, "county head", got, "任务8 ")

	got = h.say("xiaobao", "进度")
	has(t, "section head", got, "（消保科）", "任务9", "抽2 报1 签1 问题1", "未抽取：任务10")

	// A county head sees only their county's part of an item, not other items.
	got = h.say("luzhou", "进度 9")
	has(t, "county head 9", got, "任务9", "潞州区", "潞州区古玩店｜已会签｜未按规定公示应当公示的信息")
	hasNot(t, "county head 9", got, "长治市花鸟市场")
	has(t, "county head 8", h.say("luzhou", "进度 8"), "不是潞州区市场监督管理局发起、牵头或指导的任务")
	has(t, "county head 计量科", h.say("luzhou", "进度 计量科"), "本部门（潞州区市场监督管理局）")
	has(t, "county head 潞州区", h.say("luzhou", "进度 潞州区局"), "任务9", "抽1 报1")
	// A leader from the address book, found by their sections.
	has(t, "leader", h.handle(&Request{Kind: KindText, UserID: "lead", Leader: true, Sections: []string{"消保科"}, Text: "进度"}), "（消保科）", "任务9")
	has(t, "leader ?", h.handle(&Request{Kind: KindText, UserID: "lead2", Leader: true, Text: "进度"}), "暂时不知道您负责的科室")
	has(t, "section head 9", h.say("xiaobao", "进度任务9"), "潞州区古玩店｜", "长治市花鸟市场（上党区）｜未填报")

	// After the window closes the unreported are overdue.
	late := day(t, "2023-12-05")
	got = h.handle(&Request{Kind: KindText, UserID: "boss", Text: "进度", Now: late})
	has(t, "city head late", got, "抽3 报2 签1 问题1 **逾期1**", "合计")
	got = h.handle(&Request{Kind: KindText, UserID: "boss", Text: "进度 8", Now: late})
	has(t, "city head 8 late", got, "山西天顺能源有限公司｜待会签｜发现问题已责令改正", "山西翔宇能源有限公司｜<font color=\"warning\">未填报（已逾期）")
}

func TestProgressAdminAndInspector(t *testing.T) {
	h := progressHarness(t)
	got := h.admin("进度")
	has(t, "admin", got, "全部科室和县区局", "任务8", "任务9", "任务11", "合计")
	has(t, "admin 消保科", h.admin("进度 消保科"), "（消保科）", "任务9")
	hasNot(t, "admin 消保科", h.admin("进度 消保科"), "任务8 ")
	has(t, "admin 8", h.admin("进度 8"), "山西翔宇能源有限公司｜未填报")
	has(t, "admin ?", h.admin("进度 火星科"), "不认识“火星科”")
	has(t, "admin 12", h.admin("进度 12"), "没有任务12")

	// Inspectors see their own.
	got = h.say("zhang", "我的进度")
	has(t, "zhang", got, "我的检查进度（2023年度，共4户）", "任务8", "2户 已报2 已会签1 发现问题1", "任务9", "未填报 1 户", "瑞丰加油站")
	hasNot(t, "zhang", got, "待您会签")
	has(t, "wang", h.say("wang", "我的进度"), "共3户", "待您会签 1 户", "未填报 2 户", "山西翔宇能源有限公司", "长治市花鸟市场")
	has(t, "zhang 进度", h.say("zhang", "进度"), "我的检查进度")
	has(t, "zhang 进度 8", h.say("zhang", "进度 8"), "我的进度")
	has(t, "nobody", h.say("nobody", "我的进度"), "暂无检查任务")
}

// The lists are capped so the reply stays one message.
func TestProgressCapped(t *testing.T) {
	h := newHarness(t)
	ents := make([]draw.Drawn, 120)
	for i := range ents {
		ents[i] = draw.Drawn{CreditCode: "9114040000000" + string(rune('A'+i/26)) + string(rune('A'+i%26)) + "XXX", Name: "一个名字相当长的长治市某某某能源有限公司第" + string(rune('一'+i)) + "分公司", Inspectors: []string{"zhang", "li"}}
	}
	at := day(t, "2023-03-03")
	rec := &draw.Record{ID: draw.NewID(2023, "14", at, "abcd"), Operator: "admin", At: at, Year: 2023, ItemID: "14",
		Result: &draw.Result{ItemID: "14", Groups: []draw.Group{{Entities: ents}}}}
	if err := store.NewDraws(h.rdb, "t:").Commit(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	has(t, "admin 14", h.admin("进度 14"), "……共 120 户")
	has(t, "zhang", h.say("zhang", "我的进度"), "发送“填报”查看全部")
}

func TestFindingsExportChat(t *testing.T) {
	h := progressHarness(t)
	rep, err := h.router.Handle(context.Background(), &Request{Kind: KindText, UserID: "admin", Admin: true, Text: "导出结果 8", Now: h.now, MsgID: "e1", Channel: "console"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != reply.KindFile || rep.File == nil || !strings.HasSuffix(rep.File.Name, ".xlsx") || len(rep.File.Data) == 0 {
		t.Fatalf("reply %+v", rep)
	}
	if !strings.Contains(rep.Text, "共 1 条已会签结果；另有 1 条待会签或有异议") || !strings.Contains(rep.File.Name, "任务8检查结果（公示）") {
		t.Errorf("text %q name %q", rep.Text, rep.File.Name)
	}
	rep, err = h.router.Handle(context.Background(), &Request{Kind: KindText, UserID: "admin", Admin: true, Text: "导出结果 8 内部", Now: h.now, MsgID: "e2", Channel: "console"})
	if err != nil || rep.File == nil || !strings.Contains(rep.Text, "共 2 条") || !strings.Contains(rep.File.Name, "内部") {
		t.Fatalf("internal: %+v %v", rep, err)
	}
	// 导出 8 is still the draw's export.
	rep, err = h.router.Handle(context.Background(), &Request{Kind: KindText, UserID: "admin", Admin: true, Text: "导出 8", Now: h.now, MsgID: "e3", Channel: "console"})
	if err != nil || rep.File == nil || !strings.Contains(rep.File.Name, "抽取结果") {
		t.Fatalf("draw export: %+v %v", rep, err)
	}
	has(t, "inspector", h.say("zhang", "导出结果 8"), "仅限管理员")
	has(t, "none yet", h.admin("导出结果 11"), "还没有填报的检查结果")
}

func TestPublishedChat(t *testing.T) {
	h := progressHarness(t)
	has(t, "inspector", h.say("zhang", "已公示 8"), "仅限管理员")
	has(t, "admin", h.admin("已公示 8"), "1 条已会签检查结果为已公示（新登记 1 条）", "另有 1 条待会签或有异议")
	has(t, "again", h.admin("已公示 8"), "新登记 0 条")
	has(t, "none", h.admin("已公示 11"), "没有已会签的检查结果")
	pub, err := store.NewFindings(h.rdb, "t:").Published(t.Context(), 2023)
	if err != nil || len(pub) != 1 || !pub[finding.ID(2023, "8", codeDerun)].Equal(h.now) {
		t.Fatalf("published: %v, %v", pub, err)
	}
	log, err := store.NewAudit(h.rdb, "t:").All(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range log {
		if e.Action == "已公示" {
			acts = append(acts, e.User+" "+e.Target+" "+e.Outcome)
		}
	}
	if got := strings.Join(acts, "|"); got != "zhang 已公示 8 拒绝|admin 任务8 成功|admin 任务8 成功|admin 任务11 失败" {
		t.Errorf("audit: %s", got)
	}
}
