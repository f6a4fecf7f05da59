package handlers

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/store"
)

// planEnv is a drawEnv whose plans are live: admins send plan files, the
// files are kept in its Redis, and replicas with their own catalogs read
// them.
type planEnv struct {
	*drawEnv
	st    *store.Plans
	base  []plan.Entry
	mu    sync.Mutex
	files map[string][]byte // media id → bytes
	fetch int               // files fetched
}

const seedPlanPath = "../seeds/changzhi-2023-plan.txt"

func readSeedPlan(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(seedPlanPath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newPlanEnv(t *testing.T) *planEnv {
	t.Helper()
	e := &planEnv{drawEnv: newDrawEnv(t), files: map[string][]byte{}}
	e.clock = time.Date(2026, 3, 15, 9, 0, 0, 0, shanghai)
	e.st = store.NewPlans(e.rdb, e.prefix)
	e.base = []plan.Entry{{Plan: e.plans.Plans()[0], File: seedPlanPath, Hash: plan.Hash(readSeedPlan(t))}}
	live, err := plan.NewLive(e.plans, e.st, e.base...)
	if err != nil {
		t.Fatal(err)
	}
	e.live = live
	e.media = func(_ context.Context, req *Request) ([]byte, string, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.fetch++
		return e.files[req.Media.ID], req.Media.FileName, nil
	}
	e.router = e.newRouter()
	return e
}

// replica is another instance of the bot over the same Redis, with its
// own catalog of the configured seed plan.
func (e *planEnv) replica() (*Router, *plan.Live) {
	e.t.Helper()
	cat := seedCatalog(e.t)
	base := []plan.Entry{{Plan: cat.Plans()[0], File: e.base[0].File, Hash: e.base[0].Hash}}
	live, err := plan.NewLive(cat, store.NewPlans(e.rdb, e.prefix), base...)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := live.Refresh(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return e.routerOver(cat, live), live
}

// sendFile sends a file as user through r (nil: e.router).
func (e *planEnv) sendFile(r *Router, user, name string, data []byte) string {
	e.t.Helper()
	if r == nil {
		r = e.router
	}
	e.mu.Lock()
	id := "media-" + name
	e.files[id] = data
	e.mu.Unlock()
	req := e.request(user, "")
	req.Kind, req.Media = KindFile, &Media{ID: id, FileName: name}
	rep, err := r.Handle(context.Background(), req)
	if err != nil {
		e.t.Fatalf("%s sends %s: %v", user, name, err)
	}
	return all(rep)
}

func (e *planEnv) text(r *Router, user, text string) string {
	e.t.Helper()
	return all(e.say(r, user, text))
}

// uploads is what the store has loaded.
func (e *planEnv) uploads() []plan.Upload {
	e.t.Helper()
	ups, _, err := e.st.Uploads(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return ups
}

// edited is the seed plan text with replacements (old, new, ...) made.
func edited(t *testing.T, pairs ...string) []byte {
	t.Helper()
	s := string(readSeedPlan(t))
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("seed has no %q", pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return []byte(s)
}

// plan2026 is the seed plan as next year's, with task 8 renamed, so that
// answers show which plan they come from.
func plan2026(t *testing.T) []byte {
	return edited(t, "2023年度", "2026年度", "拍卖活动检查", "拍卖活动专项检查")
}

// planXLSX writes p as a bureau's workbook: a title row, the header, one
// row an item, continuation rows with empty 序号 and 抽查任务名称.
func planXLSX(t *testing.T, p *plan.Plan, edit func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetCellValue("Sheet1", "A1", p.Title))
	header := []any{"序号", "抽查任务名称", "抽查事项", "抽查对象范围", "抽查比例及频次", "智慧监管（信用风险分类）要求", "抽查检查起止时间", "发起部门"}
	must(f.SetSheetRow("Sheet1", "A2", &header))
	row := 3
	for _, it := range p.Items() {
		var serial any = it.Serial
		name := it.Name()
		if it.Index > 1 {
			serial, name = "", ""
		}
		cells := []any{serial, name, it.Matter, it.Scope, it.Ratio.Raw, it.Risk.Raw, it.Window.Raw, it.Departments.Raw}
		cell, err := excelize.CoordinatesToCellName(1, row)
		must(err)
		must(f.SetSheetRow("Sheet1", cell, &cells))
		row++
	}
	if edit != nil {
		edit(f)
	}
	buf, err := f.WriteToBuffer()
	must(err)
	return buf.Bytes()
}

func mustParse(t *testing.T, name string, data []byte) *plan.Plan {
	t.Helper()
	p, err := plan.ParseFile(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// An admin sends next year's plan as UTF-8 text, GBK text or .xlsx: the
// summary counts its tasks and items, lists windows and what is odd;
// 确认 loads it, the answers on this replica and, after its refresh, on
// another come from it; the load is audited with the file's SHA-256.
func TestPlanFileThroughChat(t *testing.T) {
	t.Parallel()
	utf8 := plan2026(t)
	cases := []struct {
		name, file string
		data       []byte
		contRow    string // where the continuation row 15-2 is
	}{
		{"UTF-8 text", "2026年度抽查计划.txt", utf8, "第32行"},
		{"GBK text", "2026年度抽查计划.txt", gbk(t, utf8), "第32行"},
		{"xlsx", "2026年度抽查计划.xlsx", planXLSX(t, mustParse(t, "x.txt", utf8), nil), "第17行"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newPlanEnv(t)
			r2, live2 := e.replica()
			contains(t, "replica before", e.text(r2, outsider, "任务8"), "尚未导入2026年度抽查计划", "拍卖活动检查")

			got := e.sendFile(nil, admin1, c.file, c.data)
			contains(t, "preview", got,
				"抽查计划预览：2026年度", "文件 "+c.file, "指纹 "+shortHash(plan.Hash(c.data)),
				"共 **16** 项编号任务、**17** 个抽查事项（任务15有2个）",
				"2月-12月：任务1（1项）", "3月-11月：任务8、9、10（3项）",
				"未注明起止时间：任务2、3、13（3项）",
				"任务编号不连续：没有任务12（编号1–17，共16项任务）",
				c.contRow+"序号为空，作为任务15的第2个事项（15-2）",
				"目前没有2026年度计划，确认后新增", "回复“确认”导入")
			if len(e.uploads()) != 0 {
				t.Fatal("loaded before 确认")
			}
			wantAudit(t, e.lastAudit(), admin1, planAction, c.file, audit.OK)

			got = e.text(nil, admin1, "确认")
			contains(t, "confirmation", got, "已导入2026年度抽查计划："+c.file+"，16 项编号任务、17 个抽查事项")
			last := e.lastAudit()
			wantAudit(t, last, admin1, planAction, c.file, audit.OK)
			contains(t, "audit detail", last.Detail, "2026年度", plan.Hash(c.data))
			if ups := e.uploads(); len(ups) != 1 || ups[0].Year != 2026 || ups[0].Hash != plan.Hash(c.data) || ups[0].By != admin1 || ups[0].File != c.file {
				t.Fatalf("uploads %+v", ups)
			}

			// This replica answers from the new plan at once.
			got = e.text(nil, outsider, "任务8")
			contains(t, "answer", got, "拍卖活动专项检查")
			if strings.Contains(got, "尚未导入") {
				t.Errorf("answer still from 2023:\n%s", got)
			}
			// The other one after its refresh (Watch runs it in serve).
			if err := live2.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			got = e.text(r2, outsider, "任务8")
			contains(t, "replica answer", got, "拍卖活动专项检查")
			if strings.Contains(got, "尚未导入") {
				t.Errorf("replica answer still from 2023:\n%s", got)
			}
			contains(t, "计划列表", e.text(r2, admin2, "计划列表"),
				"**2023年度**（16个任务、17项）：配置文件 changzhi-2023-plan.txt",
				"**2026年度**（16个任务、17项）：上传文件 "+c.file+"；指纹 "+shortHash(plan.Hash(c.data))+"；2026-03-15 09:0",
				"由 admin1 导入")
		})
	}
}

// A plan for a year already loaded says which plan it replaces; when two
// admins preview the same year, the second 确认 is refused rather than
// silently overwriting the first; sending the loaded file again is a no-op.
func TestPlanFileReplaces(t *testing.T) {
	t.Parallel()
	e := newPlanEnv(t)
	same := e.sendFile(nil, admin1, "changzhi-2023-plan.txt", readSeedPlan(t))
	contains(t, "same file", same, "内容完全相同，无需重新导入")

	a := edited(t, "拍卖活动检查", "拍卖活动检查（甲）")
	b := edited(t, "拍卖活动检查", "拍卖活动检查（乙）")
	contains(t, "preview a", e.sendFile(nil, admin1, "甲.txt", a),
		"将替换已导入的2023年度计划（配置文件 changzhi-2023-plan.txt，指纹 "+shortHash(e.base[0].Hash))
	contains(t, "preview b", e.sendFile(nil, admin2, "乙.txt", b), "将替换已导入的2023年度计划（配置文件")
	// Another file while a preview waits is not taken for an answer.
	contains(t, "file during preview", e.sendFile(nil, admin1, "丙.txt", b), "甲.txt 还在等待确认。请先回复“确认”导入它，或回复“取消”")
	contains(t, "confirm a", e.text(nil, admin1, "确认"), "已导入2023年度抽查计划：甲.txt", "原计划（配置文件 changzhi-2023-plan.txt")
	contains(t, "confirm b", e.text(nil, admin2, "确认"), "预览之后2023年度计划已被其他管理员更新，本次没有导入")
	wantAudit(t, e.lastAudit(), admin2, planAction, "乙.txt", audit.Refused)
	if ups := e.uploads(); len(ups) != 1 || ups[0].File != "甲.txt" {
		t.Fatalf("uploads %+v", ups)
	}
	contains(t, "answer", e.text(nil, outsider, "任务8"), "拍卖活动检查（甲）")

	// Sent again, b now replaces a, and says so.
	contains(t, "preview b again", e.sendFile(nil, admin2, "乙.txt", b), "将替换已导入的2023年度计划（甲.txt，指纹 "+shortHash(plan.Hash(a))+"，2026-03-15 09:0", "由 admin1 导入")
	contains(t, "confirm b again", e.text(nil, admin2, "确认"), "已导入2023年度抽查计划：乙.txt")
	contains(t, "answer", e.text(nil, outsider, "任务8"), "拍卖活动检查（乙）")
}

// A broken file is answered with its problem by row and column in Chinese,
// and nothing is loaded or waits for 确认.
func TestPlanFileBroken(t *testing.T) {
	t.Parallel()
	e := newPlanEnv(t)
	lines := strings.Split(string(plan2026(t)), "\n")
	cells := strings.Split(lines[13], "\t")
	cells[6] = "13月-2月"
	lines[13] = strings.Join(cells, "\t")
	badText := []byte(strings.Join(lines, "\n"))

	good := mustParse(t, "x.txt", plan2026(t))
	badXLSX := planXLSX(t, good, func(f *excelize.File) {
		if err := f.SetCellValue("Sheet1", "E9", "待定"); err != nil {
			t.Fatal(err)
		}
	})
	noYear := edited(t, "## 长治市市场监督管理局2023年度双随机抽查工作计划", "")
	cases := []struct {
		name, file string
		data       []byte
		want       []string
	}{
		{"window", "计划.txt", badText, []string{"计划.txt:第14行:抽查检查起止时间 \"13月-2月\": 月份 13 超出范围（应为1–12）"}},
		{"window GBK", "计划.txt", gbk(t, badText), []string{"计划.txt:第14行:抽查检查起止时间 \"13月-2月\": 月份 13 超出范围"}},
		{"xlsx ratio", "计划.xlsx", badXLSX, []string{"计划.xlsx:工作表 Sheet1 第9行:抽查比例及频次 \"待定\": 不是抽查比例（应为百分比，如“不低于5%/一年一次”）"}},
		{"no title", "计划.txt", noYear, []string{"计划.txt: 没有计划年度"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := e.sendFile(nil, admin1, c.file, c.data)
			contains(t, "reply", got, append([]string{"抽查计划未导入，已加载的计划保持不变"}, c.want...)...)
			wantAudit(t, e.lastAudit(), admin1, planAction, c.file, audit.Failed)
			contains(t, "no dialog", e.text(nil, admin1, "确认"), "当前没有待确认的操作")
			if ups := e.uploads(); len(ups) != 0 {
				t.Fatalf("loaded %+v", ups)
			}
		})
	}
}

// 取消, or any answer but 确认, discards the preview; a non-admin's file
// is refused unread.
func TestPlanFileCancelAndRefuse(t *testing.T) {
	t.Parallel()
	e := newPlanEnv(t)
	data := plan2026(t)
	for _, answer := range []string{"取消", "算了吧不要了"} {
		e.sendFile(nil, admin1, "2026.txt", data)
		got := e.text(nil, admin1, answer)
		contains(t, answer, got, "没有导入抽查计划")
		wantAudit(t, e.lastAudit(), admin1, planAction, "2026.txt", audit.Cancel)
		if ups := e.uploads(); len(ups) != 0 {
			t.Fatalf("loaded after %s: %+v", answer, ups)
		}
		contains(t, "answer", e.text(nil, outsider, "任务8"), "尚未导入2026年度抽查计划")
	}

	e.mu.Lock()
	before := e.fetch
	e.mu.Unlock()
	got := e.sendFile(nil, outsider, "2026.txt", data)
	contains(t, "non-admin", got, "只有管理员可以通过发送文件导入名录或抽查计划")
	e.mu.Lock()
	fetched := e.fetch != before
	e.mu.Unlock()
	if fetched {
		t.Error("a non-admin's file was downloaded")
	}
	if last := e.lastAudit(); last.User != outsider || last.Outcome != audit.Refused {
		t.Errorf("audit %+v", last)
	}
	if ups := e.uploads(); len(ups) != 0 {
		t.Fatalf("loaded %+v", ups)
	}
}

// Directory files still go to the directories: a plan header is what
// makes a file a plan.
func TestLooksLikePlanKeepsDirectories(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"entities.csv", "inspectors.csv"} {
		if plan.LooksLikePlan(readSeed(t, f)) {
			t.Errorf("%s taken for a plan", f)
		}
	}
	for name, data := range map[string][]byte{
		"text": plan2026(t), "GBK": gbk(t, plan2026(t)), "xlsx": planXLSX(t, mustParse(t, "x.txt", plan2026(t)), nil),
	} {
		if !plan.LooksLikePlan(data) {
			t.Errorf("%s plan not recognised", name)
		}
	}
}
