package handlers

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/changzhi-amr/choucha/workday"
)

// The drawn entities of the findings tests.
const (
	codeDerun  = "91140403MAG928PQ9Q" // item 8: zhang, li
	codeTshun  = "911404052725320905" // item 8: zhang, wang, li
	codeXyu    = "91140406874293490Q" // item 8: wang, zhao
	codeRuifen = "91140404MAUW8PJLR8" // item 11 (7月-10月): zhang, li
)

// A 1x1 PNG.
var testPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// memSender is an outbox in memory: a second message with an id is dropped.
type memSender struct {
	mu   sync.Mutex
	ids  map[string]bool
	msgs []reply.Message
}

func (s *memSender) Send(_ context.Context, m reply.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	if m.ID != "" && s.ids[m.ID] {
		return nil
	}
	s.ids[m.ID] = true
	s.msgs = append(s.msgs, m)
	return nil
}

// to lists the ids of the messages sent to userid.
func (s *memSender) to(userid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, m := range s.msgs {
		if len(m.To.Users) == 1 && m.To.Users[0] == userid {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func (s *memSender) text(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.ID == id {
			return flat(m.Reply)
		}
	}
	return ""
}

type harness struct {
	t      *testing.T
	rdb    *redis.Client
	sender *memSender
	media  map[string][]byte
	photos string
	now    time.Time
	router *Router
	n      int
	edit   int
	heads  map[string]string // DrawDeps.Heads
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv := redistest.Start(t)
	h := &harness{t: t, rdb: srv.Client(t), sender: &memSender{}, photos: t.TempDir(),
		media: map[string][]byte{"png": testPNG, "big": append(append([]byte{}, testPNG...), make([]byte, 2<<20)...),
			"pdf": []byte("%PDF-1.4 not an image")},
		now: day(t, "2023-03-15"), edit: 7}
	ctx := t.Context()
	dirs := store.NewDirectories(h.rdb, "t:")
	insp := &directory.Inspectors{Meta: directory.Meta{Source: "t.csv", Hash: "sha256:insp", Rows: 4}}
	for _, in := range []struct{ name, id string }{{"张伟", "zhang"}, {"李娜", "li"}, {"王强", "wang"}, {"赵敏", "zhao"}} {
		insp.List = append(insp.List, directory.Inspector{Name: in.name, UserID: in.id, AllItems: true})
	}
	if err := dirs.SaveInspectors(ctx, insp); err != nil {
		t.Fatal(err)
	}
	draws := store.NewDraws(h.rdb, "t:")
	for i, d := range []struct {
		item string
		ents []draw.Drawn
	}{
		{"8", []draw.Drawn{
			{CreditCode: codeDerun, Name: "长治市潞州区紫金街道德润加油站", Inspectors: []string{"zhang", "li"}},
			{CreditCode: codeTshun, Name: "山西天顺能源有限公司", Inspectors: []string{"zhang", "wang", "li"}},
			{CreditCode: codeXyu, Name: "山西翔宇能源有限公司", Inspectors: []string{"wang", "zhao"}},
		}},
		{"11", []draw.Drawn{{CreditCode: codeRuifen, Name: "长治市上党区瑞丰加油站", Inspectors: []string{"zhang", "li"}}}},
	} {
		at := day(t, "2023-03-01").Add(time.Duration(i) * time.Hour)
		rec := &draw.Record{ID: draw.NewID(2023, d.item, at, "abcd"), Operator: "admin", At: at, Year: 2023, ItemID: d.item,
			Result: &draw.Result{ItemID: d.item, Groups: []draw.Group{{Entities: d.ents}}}}
		if err := draws.Commit(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	h.restart()
	return h
}

// restart builds a new router on the same Redis, as a new process would.
func (h *harness) restart() {
	h.t.Helper()
	media := func(_ context.Context, req *Request) ([]byte, string, error) {
		b, ok := h.media[req.Media.ID]
		if !ok {
			return nil, "", fmt.Errorf("no media %s", req.Media.ID)
		}
		return b, req.Media.ID + ".png", nil
	}
	r, err := NewRouter(Deps{
		Plans: seedCatalog(h.t), Logger: discardLogger,
		DialogStore: store.NewDialogs(h.rdb, "t:"),
		Draw: &DrawDeps{Directories: store.NewDirectories(h.rdb, "t:"), Draws: store.NewDraws(h.rdb, "t:"),
			Audit: store.NewAudit(h.rdb, "t:"), Sender: h.sender, Media: media, Heads: h.heads},
		Findings: &FindingDeps{Findings: store.NewFindings(h.rdb, "t:"), Calendar: workday.New(shanghai),
			EditDays: h.edit, Photos: finding.PhotoDir{Dir: h.photos, MaxBytes: 1 << 20}},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.router = r
}

func (h *harness) handle(req *Request) string {
	h.t.Helper()
	if req.MsgID == "" {
		h.n++
		req.MsgID = fmt.Sprintf("m%d", h.n)
	}
	if req.Now.IsZero() {
		req.Now = h.now
	}
	req.Channel = "console"
	rep, err := h.router.Handle(context.Background(), req)
	if err != nil {
		h.t.Fatalf("%s %q: %v", req.UserID, req.Text, err)
	}
	return flat(rep)
}

func (h *harness) say(user, text string) string {
	return h.handle(&Request{Kind: KindText, UserID: user, Text: text})
}

func (h *harness) image(user, media string) string {
	return h.handle(&Request{Kind: KindImage, UserID: user, Media: &Media{ID: media}})
}

func (h *harness) click(user, key string) string {
	return h.handle(&Request{Kind: KindEvent, Event: EventCard, UserID: user, Card: &CardEvent{Key: key}})
}

// step is the user's dialog step ("" when none).
func (h *harness) step(user string) string {
	h.t.Helper()
	s, err := store.NewDialogs(h.rdb, "t:").Load(context.Background(), user)
	if err != nil {
		h.t.Fatal(err)
	}
	if s == nil {
		return ""
	}
	return s.Step
}

func (h *harness) get(item, code string) *finding.Finding {
	h.t.Helper()
	f, err := store.NewFindings(h.rdb, "t:").Get(context.Background(), 2023, item, code)
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}

// expect sends text and checks the reply contains each of want and the
// dialog is then at step.
func (h *harness) expect(user, text, step string, want ...string) string {
	h.t.Helper()
	got := h.say(user, text)
	for _, w := range want {
		if !strings.Contains(got, w) {
			h.t.Errorf("%s %q: reply lacks %q:\n%s", user, clipText(text, 30), w, got)
		}
	}
	if s := h.step(user); s != step {
		h.t.Errorf("%s %q: at step %q, want %q; reply:\n%s", user, clipText(text, 30), s, step, got)
	}
	return got
}

// report runs the whole dialog for the first listed entity.
func (h *harness) report(user, pick string) {
	h.t.Helper()
	h.expect(user, "填报", "entity", "请选择要填报的检查对象")
	h.expect(user, pick, "date", "检查日期")
	h.expect(user, "3月10日", "methods", "检查方式")
	h.expect(user, "1", "result", "检查结果")
	h.expect(user, "1", "remarks", "备注")
	h.expect(user, "跳过", "photos", "照片")
	h.expect(user, "完成", "confirm", "请核对检查结果")
	h.expect(user, "确认", "", "已提交")
}

func TestFindingHappyPath(t *testing.T) {
	h := newHarness(t)
	h.expect("zhang", "提交检查结果", "entity", "3户未填报", "1. 任务8 长治市潞州区紫金街道德润加油站", "任务11 长治市上党区瑞丰加油站")
	h.expect("zhang", "1", "date", "检查日期")
	h.expect("zhang", "3月10日", "methods", "检查方式", "实地检查", "委托专业机构")
	h.expect("zhang", "1 3", "result", "未发现问题", "已注销/已被吊销/已被撤销/已迁出")
	// 5 has one follow-up: its step is skipped.
	h.expect("zhang", "5", "remarks", "备注")
	h.expect("zhang", "价格标签不规范，已当场责令改正😀", "photos", "现场照片")
	if got := h.image("zhang", "png"); !strings.Contains(got, "已收到1张照片") || h.step("zhang") != "photos" {
		t.Fatalf("photo: %s", got)
	}
	// The same photo again (another message) is kept once.
	if got := h.image("zhang", "png"); !strings.Contains(got, "已收到1张照片") {
		t.Fatalf("photo again: %s", got)
	}
	h.expect("zhang", "完成", "confirm", "检查日期：2023年3月10日", "检查方式：实地检查、网络监测",
		"检查结果：发现问题已责令改正", "后续处置：责令改正", "照片：1张", "价格标签不规范")
	deadline := finding.Deadline(workday.New(shanghai), time.Date(2023, 3, 10, 0, 0, 0, 0, shanghai), 20)
	h.expect("zhang", "确认", "", "已提交", "已请李娜会签", finding.DateLabel(deadline))

	f := h.get("8", codeDerun)
	if f == nil || f.Version != 1 || f.State != finding.Pending || f.Reporter != "zhang" || strings.Join(f.CoInspectors, ",") != "li" ||
		strings.Join(f.Methods, ",") != "实地检查,网络监测" || f.Result.Category != 5 || f.FollowUp != finding.Rectify ||
		len(f.Photos) != 1 || !f.PublishDeadline.Equal(deadline) || f.DrawID == "" {
		t.Fatalf("saved = %+v", f)
	}
	if b, err := os.ReadFile(f.Photos[0].Path); err != nil || string(b) != string(testPNG) {
		t.Fatalf("photo file: %v", err)
	}
	ask := "finding:" + f.ID + ":v1:cosign:li"
	if ids := h.sender.to("li"); len(ids) != 1 || ids[0] != ask {
		t.Fatalf("li got %v", ids)
	}
	if got := h.sender.text(ask); !strings.Contains(got, "张伟填报了长治市潞州区紫金街道德润加油站") || !strings.Contains(got, "确认无误") {
		t.Errorf("co-sign request:\n%s", got)
	}
	entries, _ := store.NewAudit(h.rdb, "t:").All(t.Context())
	if len(entries) == 0 || entries[len(entries)-1].Action != "填报检查结果" || entries[len(entries)-1].User != "zhang" {
		t.Errorf("audit = %+v", entries)
	}

	// li co-signs by the card.
	if got := h.click("li", "cosign:ok:2023:8:"+codeDerun+":1"); !strings.Contains(got, "会签已完成") {
		t.Fatalf("co-sign: %s", got)
	}
	if got := h.click("li", "cosign:ok:2023:8:"+codeDerun+":1"); !strings.Contains(got, "无需重复") {
		t.Fatalf("co-sign twice: %s", got)
	}
	if f := h.get("8", codeDerun); f.State != finding.Cosigned || f.CosignedAt.IsZero() {
		t.Fatalf("after co-sign = %+v", f)
	}
	if got := h.sender.text("finding:" + f.ID + ":v2:cosigned"); !strings.Contains(got, "已完成会签") {
		t.Errorf("reporter not told: %v", h.sender.to("zhang"))
	}
	// The reported entity is no longer offered; li sees it reported.
	h.expect("zhang", "填报", "entity", "2户未填报")
	h.expect("zhang", "取消", "", "已取消填报")
	h.expect("li", "填报", "entity", "2户未填报")
	h.expect("li", "德润", "entity", "张伟已填报")
}

func TestFindingCancelAndBack(t *testing.T) {
	h := newHarness(t)
	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "上一步", "entity", "已经是第一步了")
	h.expect("zhang", "取消", "", "已取消填报")
	if h.say("zhang", "1") == "" || h.step("zhang") != "" {
		t.Fatal("a number after cancel restarted the dialog")
	}

	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "1", "date")
	h.expect("zhang", "上一步", "entity", "请选择要填报的检查对象")
	h.expect("zhang", "1", "date")
	h.expect("zhang", "昨天", "methods")
	h.expect("zhang", "返回", "date", "检查日期")
	h.expect("zhang", "今天", "methods")
	h.expect("zhang", "2", "result")
	h.expect("zhang", "6", "sub", "违反市场监管相关规定", "违反其他部门相关规定")
	h.expect("zhang", "2", "remarks") // 6.2 → 抄告相关部门 only
	// Back from remarks goes to the sub-reason, not the skipped follow-up.
	h.expect("zhang", "上一步", "sub")
	h.expect("zhang", "上一步", "result")
	h.expect("zhang", "2", "follow", "责令改正", "移送办案机构")
	h.expect("zhang", "2", "remarks")
	h.expect("zhang", "跳过", "photos")
	h.image("zhang", "png")
	h.image("zhang", "png")
	// Photos stay on their step: one 上一步 leaves it.
	h.expect("zhang", "上一步", "remarks")
	h.expect("zhang", "跳过", "photos", "已收到1张照片")
	h.expect("zhang", "完成", "confirm", "后续处置：移送办案机构", "照片：1张")
	h.expect("zhang", "上一步", "photos")
	h.expect("zhang", "完成", "confirm")
	h.expect("zhang", "取消", "", "没有保存任何内容")
	if f := h.get("8", codeDerun); f != nil {
		t.Fatalf("cancelled dialog saved %+v", f)
	}
}

// Each step explains a wrong answer and asks again.
func TestFindingInvalidInput(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("检", 10000)
	steps := []struct {
		step, advance string // the step, and the answer that moves past it
		bad           map[string]string
	}{
		{"entity", "1", map[string]string{"asdf": "没有找到", "": "请回复序号", long: "没有找到", "😀": "请回复序号", "99": "没有找到", "2月30日": "没有找到", "image": "需要文字回复"}},
		{"date", "3月10日", map[string]string{"asdf": "没看懂日期", "": "没看懂日期", long: "没看懂日期", "😀": "没看懂日期", "99": "没看懂日期",
			"2月30日": "2023年2月只有28天，没有30日", "3月20日": "晚于今天", "2月27日": "早于抽取日期", "image": "需要文字回复"}},
		{"methods", "1", map[string]string{"asdf": "请回复选项的序号（1-5）", "": "请回复选项的序号", long: "请回复选项的序号", "😀": "请回复选项的序号", "99": "1-5", "0": "1-5", "2月30日": "请回复选项的序号", "image": "请回复选项的序号"}},
		{"result", "6", map[string]string{"asdf": "1-10", "": "1-10", long: "1-10", "😀": "1-10", "99": "1-10", "1 2": "只能选一项", "2月30日": "1-10", "image": "1-10"}},
		{"sub", "1", map[string]string{"asdf": "1-2", "": "1-2", long: "1-2", "😀": "1-2", "3": "1-2", "2月30日": "1-2", "image": "1-2"}},
		{"remarks", "跳过", map[string]string{long: "备注最多500字，您发送了10000字", strings.Repeat("字", 501): "您发送了501字", "image": "需要文字回复"}},
		{"photos", "完成", map[string]string{"asdf": "请发送图片", long: "请发送图片", "😀": "请发送图片", "99": "请发送图片", "2月30日": "请发送图片",
			"file": "只接收图片", "pdf": "不是图片", "big": "超过1 MB", "lost": "下载失败"}},
		{"confirm", "确认", map[string]string{"asdf": "请回复“确认”提交", "": "请回复“确认”提交", long: "请回复“确认”提交", "😀": "请回复“确认”提交", "99": "请回复“确认”提交", "image": "请回复“确认”提交"}},
	}
	h.expect("zhang", "填报", "entity")
	for _, st := range steps {
		for in, want := range st.bad {
			var got string
			switch in {
			case "image":
				got = h.image("zhang", "png")
			case "file":
				got = h.handle(&Request{Kind: KindFile, UserID: "zhang", Media: &Media{ID: "png", FileName: "a.png"}})
			case "pdf", "big", "lost":
				got = h.image("zhang", in)
			default:
				got = h.say("zhang", in)
			}
			if !strings.Contains(got, want) {
				t.Errorf("%s: %q: reply lacks %q:\n%s", st.step, clipText(in, 20), want, got)
			}
			if s := h.step("zhang"); s != st.step {
				t.Fatalf("%s: %q moved the dialog to %q:\n%s", st.step, clipText(in, 20), s, got)
			}
			if len(got) > 3000 {
				t.Errorf("%s: %q: reply echoes the input (%d bytes)", st.step, clipText(in, 20), len(got))
			}
		}
		h.say("zhang", st.advance)
	}
	if h.step("zhang") != "" || h.get("8", codeDerun) == nil {
		t.Fatal("the dialog did not finish after the invalid answers")
	}
}

// A message handled twice (same id) advances the dialog once.
func TestFindingSameMessageTwice(t *testing.T) {
	h := newHarness(t)
	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "1", "date")
	req := func() *Request { return &Request{Kind: KindText, UserID: "zhang", Text: "3月10日", MsgID: "dup"} }
	first := h.handle(req())
	second := h.handle(req())
	if h.step("zhang") != "methods" || first != second {
		t.Fatalf("step %s; replies:\n%s\n---\n%s", h.step("zhang"), first, second)
	}
	// An image retried by the platform is stored once.
	for _, s := range []string{"1", "1", "跳过"} {
		h.say("zhang", s)
	}
	img := func() *Request {
		return &Request{Kind: KindImage, UserID: "zhang", MsgID: "img", Media: &Media{ID: "png"}}
	}
	h.handle(img())
	if got := h.handle(img()); !strings.Contains(got, "已收到1张照片") {
		t.Fatalf("retried image: %s", got)
	}
}

func TestFindingOtherInspectorsEntity(t *testing.T) {
	h := newHarness(t)
	h.expect("nobody", "填报", "", "暂无检查任务")
	h.expect("zhao", "填报", "entity", "1户未填报", "山西翔宇能源有限公司")
	h.expect("zhao", "德润加油站", "entity", "不是您的检查对象", "由张伟、李娜负责检查")
	h.expect("zhao", codeDerun, "entity", "由张伟、李娜负责检查")
	h.expect("zhao", strings.ToLower(codeXyu), "date")
	// Someone reporting the same entity first wins.
	h.expect("wang", "填报", "entity")
	h.expect("wang", "翔宇", "date")
	for _, s := range []string{"3月10日", "1", "1", "跳过", "跳过"} {
		h.say("wang", s)
		h.say("zhao", s)
	}
	h.expect("wang", "确认", "", "已提交")
	h.expect("zhao", "确认", "", "刚刚已由王强填报", "没有保存")
	if f := h.get("8", codeXyu); f.Reporter != "wang" || f.Version != 1 {
		t.Fatalf("saved %+v", f)
	}
}

func TestFindingOutsideWindow(t *testing.T) {
	h := newHarness(t)
	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "瑞丰", "date")
	h.expect("zhang", "3月10日", "date-confirm", "不在任务11的实施时间（7月-10月）内")
	h.expect("zhang", "2", "date", "检查日期")
	h.expect("zhang", "3.10", "date-confirm")
	h.expect("zhang", "1", "methods")
}

// Two co-inspectors answer at the same moment: both are recorded.
func TestCosignConcurrent(t *testing.T) {
	h := newHarness(t)
	h.report("zhang", "天顺")
	f := h.get("8", codeTshun)
	if got := strings.Join(h.sender.to("wang"), ",") + ";" + strings.Join(h.sender.to("li"), ","); !strings.Contains(got, "cosign:wang") || !strings.Contains(got, "cosign:li") {
		t.Fatalf("co-sign requests: %s", got)
	}
	key := fmt.Sprintf("cosign:ok:2023:8:%s:%d", codeTshun, f.Version)
	var wg sync.WaitGroup
	replies := make([]string, 4)
	for i, u := range []string{"wang", "li", "wang", "li"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := h.router.Handle(context.Background(), &Request{Kind: KindEvent, Event: EventCard, UserID: u,
				MsgID: fmt.Sprintf("c%d", i), Now: h.now, Card: &CardEvent{Key: key}})
			if err != nil {
				t.Error(err)
			}
			replies[i] = flat(rep)
		}()
	}
	wg.Wait()
	f = h.get("8", codeTshun)
	if f.State != finding.Cosigned || len(f.Cosigns) != 2 {
		t.Fatalf("after both: %+v\n%v", f, replies)
	}
	ok, dup := 0, 0
	for _, r := range replies {
		switch {
		case strings.Contains(r, "已确认会签"):
			ok++
		case strings.Contains(r, "无需重复"):
			dup++
		}
	}
	if ok != 2 || dup != 2 {
		t.Fatalf("replies: %q", replies)
	}
}

// A dispute reaches the reporter; the reporter's edit keeps the history and
// asks for a new co-signature; the edit window closes.
func TestDisputeThenEdit(t *testing.T) {
	h := newHarness(t)
	h.report("zhang", "德润")
	h.expect("zhang", "会签", "", "没有待会签")
	h.expect("li", "会签", "decide", "德润加油站", "确认无误", "有异议")
	h.expect("li", "2", "reason", "理由")
	h.expect("li", "", "reason", "没有收到内容")
	h.expect("li", "检查日期应为3月9日", "", "已记录您", "转告填报人张伟")
	f := h.get("8", codeDerun)
	if f.State != finding.Disputed || f.DisputeReason != "检查日期应为3月9日" {
		t.Fatalf("disputed = %+v", f)
	}
	if got := h.sender.text(fmt.Sprintf("finding:%s:v2:dispute:li", f.ID)); !strings.Contains(got, "李娜对您填报的") || !strings.Contains(got, "检查日期应为3月9日") {
		t.Fatalf("reporter told: %v", h.sender.to("zhang"))
	}

	h.expect("li", "修改", "", "没有可修改")
	h.expect("zhang", "修改", "entity", "请选择要修改的检查结果", "德润加油站")
	h.expect("zhang", "1", "date", "原填：2023年3月10日")
	h.expect("zhang", "3月9日", "methods", "原填：实地检查")
	h.expect("zhang", "2", "result", "原填：未发现问题")
	h.expect("zhang", "2", "follow")
	h.expect("zhang", "1", "remarks")
	h.expect("zhang", "未公示年报", "photos")
	h.expect("zhang", "完成", "confirm", "2023年3月9日", "未按规定公示应当公示的信息", "后续处置：责令改正")
	h.expect("zhang", "确认", "", "已修改（第3版，原记录保留）", "已请李娜会签")
	f = h.get("8", codeDerun)
	if f.Version != 3 || f.State != finding.Pending || len(f.History) != 1 || f.History[0].Version != 2 ||
		f.History[0].Result.Category != 1 || f.History[0].State != finding.Disputed || f.Result.Category != 2 ||
		!f.CheckDate.Equal(time.Date(2023, 3, 9, 0, 0, 0, 0, shanghai)) || f.Remarks != "未公示年报" {
		t.Fatalf("edited = %+v", f)
	}
	// The old card is stale; the new one works.
	if got := h.click("li", "cosign:ok:2023:8:"+codeDerun+":1"); !strings.Contains(got, "已被修改") {
		t.Fatalf("stale card: %s", got)
	}
	if got := h.click("li", "cosign:ok:2023:8:"+codeDerun+":3"); !strings.Contains(got, "会签已完成") {
		t.Fatalf("new card: %s", got)
	}
	h.now = h.now.AddDate(0, 0, 8)
	h.expect("zhang", "修改", "", "已超过修改期限")
}

// A new process on the same Redis continues the dialog where it was.
func TestFindingRestartMidDialog(t *testing.T) {
	h := newHarness(t)
	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "1", "date")
	h.expect("zhang", "3月10日", "methods")
	h.expect("zhang", "1", "result")
	h.restart()
	h.expect("zhang", "上一步", "methods")
	h.expect("zhang", "1 2", "result")
	h.expect("zhang", "1", "remarks")
	h.restart()
	h.expect("zhang", "跳过", "photos")
	h.image("zhang", "png")
	h.restart()
	h.expect("zhang", "完成", "confirm", "照片：1张", "实地检查、书面检查")
	h.expect("zhang", "确认", "", "已提交")
}

// The process handling 确认 died after saving the finding and before it
// finished the dialog and answered; the next one handles the same 确认
// again (the dialog as it was): the inspector is told it was submitted,
// not that they themselves reported it first, and it is stored once.
func TestFindingConfirmReplayedAfterSave(t *testing.T) {
	h := newHarness(t)
	h.expect("zhang", "填报", "entity")
	h.expect("zhang", "1", "date")
	h.expect("zhang", "3月10日", "methods")
	h.expect("zhang", "1", "result")
	h.expect("zhang", "1", "remarks")
	h.expect("zhang", "跳过", "photos")
	h.expect("zhang", "完成", "confirm")
	key := keys.New("t:").Dialog("zhang")
	before, err := h.rdb.Dump(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	h.expect("zhang", "确认", "", "已提交")
	if err := h.rdb.RestoreReplace(t.Context(), key, 0, before).Err(); err != nil {
		t.Fatal(err)
	}
	h.restart()
	if got := h.expect("zhang", "确认", "", "已提交"); strings.Contains(got, "没有保存") {
		t.Fatalf("the replayed 确认 answered:\n%s", got)
	}
	if f := h.get("8", codeDerun); f == nil || f.Version != 1 || f.Reporter != "zhang" {
		t.Fatalf("saved = %+v", f)
	}
	if ids := h.sender.to("li"); len(ids) != 1 {
		t.Errorf("li got %v", ids)
	}
}
