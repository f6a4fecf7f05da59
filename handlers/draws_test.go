package handlers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/store/keys"
)

// Item 8 (拍卖活动检查, 30%, risk-differentiated, city bureau) in the seed
// directories: 20 active entities in scope — 12 低风险, 4 一般风险 plus one
// unclassified (drawn as 一般风险), 3 较高风险 — so with the default
// multipliers ×1, ×1.5, ×2 the quotas are ⌈12×30%⌉=4, ⌈5×45%⌉=3,
// ⌈3×60%⌉=2: 9 entities. Its pool is every city section: 消保科's five, 田杰利
// (价监科, item 8) and the two "全部" inspectors of 广告科 and 特设科.
const (
	item8Classes = "低风险 4/12，一般风险 3/5，较高风险 2/3，高风险 0/0"
	item8Drawn   = 9
	item8Pool    = 8
)

var riskLabels = []string{"低风险", "一般风险", "较高风险", "高风险", "未分类"}

// entityCodes lists the credit codes of rec.
func entityCodes(rec *draw.Record) []string {
	var out []string
	for _, d := range drawn(rec) {
		out = append(out, d.CreditCode)
	}
	return out
}

// checkNotices checks that each inspector of rec got exactly one notice,
// id "draw:<id>:to:<userid>", naming exactly their entities, and that
// nothing else of rec was sent.
func checkNotices(t *testing.T, e *drawEnv, rec *draw.Record) {
	t.Helper()
	as := assigned(rec)
	prefix := "draw:" + rec.ID + ":to:"
	var want []string
	for u := range as {
		want = append(want, prefix+u)
	}
	slices.Sort(want)
	if got := e.sender.ids(prefix); !slices.Equal(got, want) {
		t.Fatalf("notices of %s:\n got %v\nwant %v", rec.ID, got, want)
	}
	_, calls := e.sender.sent()
	for u, codes := range as {
		id := prefix + u
		if calls[id] != 1 {
			t.Errorf("%s sent %d times, want once", id, calls[id])
		}
		m, _ := e.sender.message(id)
		if len(m.To.Users) != 1 || m.To.Users[0] != u || m.Reply.Kind != reply.KindMarkdown {
			t.Errorf("%s: to %v, kind %s", id, m.To, m.Reply.Kind)
		}
		if !strings.Contains(m.Reply.Text, fmt.Sprintf("共 %d 户", len(codes))) {
			t.Errorf("%s does not count %d entities:\n%s", id, len(codes), m.Reply.Text)
		}
		for _, c := range entityCodes(rec) {
			if mine := slices.Contains(codes, c); strings.Contains(m.Reply.Text, c) != mine {
				t.Errorf("%s: mentions %s = %v, assigned = %v:\n%s", id, c, !mine, mine, m.Reply.Text)
			}
		}
	}
}

// checkNothingSaved checks that no draw of 2023 exists and no notice was sent.
func checkNothingSaved(t *testing.T, e *drawEnv) {
	t.Helper()
	if recs := e.records(); len(recs) != 0 {
		t.Errorf("%d draws saved, want none: %s", len(recs), recs[0].ID)
	}
	if ids := e.sender.ids("draw:"); len(ids) != 0 {
		t.Errorf("notices sent: %v", ids)
	}
}

// checkNothingPending checks that the user has no draw waiting for 确认.
func checkNothingPending(t *testing.T, e *drawEnv, user string) {
	t.Helper()
	if got := all(e.say(nil, user, "确认")); !strings.Contains(got, "当前没有待确认的操作") {
		t.Errorf("确认 with nothing pending: %s", got)
	}
}

func wantAudit(t *testing.T, got audit.Entry, user, action, target, outcome string) {
	t.Helper()
	if got.User != user || got.Action != action || got.Target != target || got.Outcome != outcome {
		t.Errorf("audit entry %+v; want user %s action %s target %s outcome %s", got, user, action, target, outcome)
	}
}

// The whole life of one item's draws: preview, 确认, the inspectors' notices,
// 我的任务, 抽取结果 for each role, a refused second draw, a re-draw with its
// reason, and 抽取记录.
func TestDrawPreviewConfirmAndViews(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	ctx := context.Background()

	// Preview: counts per class, pool size, and a card; nothing saved.
	rep := e.say(nil, admin1, "抽取 8")
	parts := rep.Flatten()
	if len(parts) != 2 || parts[0].Kind != reply.KindMarkdown || parts[1].Kind != reply.KindCard {
		t.Fatalf("preview parts: %s", all(rep))
	}
	for _, s := range []string{"抽取预览：2023年度 任务8 拍卖活动检查", "按风险分类递加比例", "共 20 户候选",
		fmt.Sprintf("将抽取 **%d** 户，每户 2 名检查人员", item8Drawn),
		fmt.Sprintf("**市市场监督管理局**：抽 %d/20 户（%s）；检查人员 %d 名", item8Drawn, item8Classes, item8Pool)} {
		if !strings.Contains(parts[0].Text, s) {
			t.Errorf("preview lacks %q:\n%s", s, parts[0].Text)
		}
	}
	card := parts[1].Card
	if card.TaskID == "" || len(card.Options) != 2 || card.Options[0].Key != "confirm" || card.Options[1].Key != "cancel" ||
		!strings.Contains(card.Description, "任务8") {
		t.Errorf("card %+v", card)
	}
	checkNothingSaved(t, e)
	wantAudit(t, e.lastAudit(), admin1, "抽取", "任务8", audit.OK)

	// 确认: the record, the summary, one notice per inspector.
	rep = e.say(nil, admin1, "确认")
	rec := e.current("8")
	if rec == nil {
		t.Fatalf("no draw saved after 确认: %s", all(rep))
	}
	if rep.Kind != reply.KindMarkdown || !strings.Contains(rep.Text, "抽取完成：2023年度 任务8") ||
		!strings.Contains(rep.Text, "批次 **"+rec.ID+"**") || !strings.Contains(rep.Text, fmt.Sprintf("共抽取 %d 户", item8Drawn)) {
		t.Errorf("summary:\n%s", all(rep))
	}
	if rec.Operator != admin1 || rec.Year != 2023 || rec.ItemID != "8" || rec.Replaces != "" || len(drawn(rec)) != item8Drawn {
		t.Errorf("record %s by %s, year %d, item %s, replaces %q, %d drawn", rec.ID, rec.Operator, rec.Year, rec.ItemID, rec.Replaces, len(drawn(rec)))
	}
	for _, d := range drawn(rec) {
		if len(d.Inspectors) != 2 || d.Inspectors[0] == d.Inspectors[1] {
			t.Errorf("%s has inspectors %v, want two distinct", d.CreditCode, d.Inspectors)
		}
	}
	// The record re-runs from the stored snapshots (第47条).
	ents, _ := e.dirs.Entities(ctx)
	insp, _ := e.dirs.Inspectors(ctx)
	it, _ := e.plans.Plans()[0].Item("8")
	if err := draw.Verify(rec, it, ents, insp); err != nil {
		t.Errorf("saved draw does not verify: %v", err)
	}
	checkNotices(t, e, rec)
	if ok, err := e.draws.Notified(ctx, rec); err != nil || !ok {
		t.Errorf("draw not marked notified: %v %v", ok, err)
	}
	last := e.lastAudit()
	wantAudit(t, last, admin1, "抽取", "任务8", audit.OK)
	if !strings.Contains(last.Detail, rec.ID) || !strings.Contains(last.Detail, rec.Seed.String()) {
		t.Errorf("audit detail lacks the batch and the seed: %s", last.Detail)
	}
	checkNothingPending(t, e, admin1)

	// 我的任务 for an inspector of the draw: exactly their entities, with
	// the window and the days left (3月-11月 from 3月15日: 260 days).
	as := assigned(rec)
	var inspector string
	for u := range as {
		if inspector == "" || u < inspector {
			inspector = u
		}
	}
	mine := all(e.say(nil, inspector, "我的任务"))
	for _, s := range []string{fmt.Sprintf("共%d户", len(as[inspector])), "任务8 拍卖活动检查", "3月-11月，2023年11月30日截止，还剩260天"} {
		if !strings.Contains(mine, s) {
			t.Errorf("我的任务 of %s lacks %q:\n%s", inspector, s, mine)
		}
	}
	for _, c := range entityCodes(rec) {
		if want := slices.Contains(as[inspector], c); strings.Contains(mine, c) != want {
			t.Errorf("我的任务 of %s: mentions %s = %v, want %v:\n%s", inspector, c, !want, want, mine)
		}
	}
	if got := all(e.say(nil, outsider, "我的任务")); !strings.Contains(got, "暂无检查任务") {
		t.Errorf("我的任务 of someone not drawn: %s", got)
	}

	// 抽取结果: everyone sees the entities; only admins the risk classes
	// and the inspectors.
	var names []string
	for u := range as {
		names = append(names, e.inspectorName(u), u)
	}
	for _, c := range []struct {
		user  string
		admin bool
	}{{outsider, false}, {inspector, false}, {admin2, true}} {
		got := all(e.say(nil, c.user, "抽取结果 8"))
		if !strings.Contains(got, fmt.Sprintf("任务8 抽取结果（%d户）", item8Drawn)) || !strings.Contains(got, rec.ID) {
			t.Errorf("抽取结果 for %s:\n%s", c.user, got)
		}
		for _, d := range drawn(rec) {
			if !strings.Contains(got, d.Name+"（"+d.CreditCode+"）") {
				t.Errorf("抽取结果 for %s lacks %s", c.user, d.Name)
			}
		}
		for _, l := range riskLabels {
			if strings.Contains(got, l) && !c.admin {
				t.Errorf("抽取结果 for non-admin %s shows the risk class %s:\n%s", c.user, l, got)
			}
		}
		for _, n := range names {
			if strings.Contains(got, n) && !c.admin {
				t.Errorf("抽取结果 for non-admin %s names inspector %s:\n%s", c.user, n, got)
			}
		}
		if c.admin {
			for _, d := range drawn(rec) {
				line := fmt.Sprintf("%s（%s）｜%s｜%s、%s", d.Name, d.CreditCode, d.Class.Label(),
					e.inspectorName(d.Inspectors[0]), e.inspectorName(d.Inspectors[1]))
				if !strings.Contains(got, line) {
					t.Errorf("抽取结果 for admin lacks %q:\n%s", line, got)
				}
			}
		}
	}

	// A second 抽取 is refused; nothing new is saved.
	got := all(e.say(nil, admin2, "抽取 8"))
	if !strings.Contains(got, "已于2023-03-15") || !strings.Contains(got, rec.ID) || !strings.Contains(got, "重新抽取 8 原因") {
		t.Errorf("second 抽取: %s", got)
	}
	wantAudit(t, e.lastAudit(), admin2, "抽取", "任务8", audit.Refused)
	checkNothingPending(t, e, admin2)

	// 重新抽取 needs a reason.
	for _, text := range []string{"重新抽取 8", "重新抽取 8 原因：", "重新抽取 8，"} {
		if got := all(e.say(nil, admin1, text)); !strings.Contains(got, "重新抽取需要写明原因") {
			t.Errorf("%s: %s", text, got)
		}
		checkNothingPending(t, e, admin1)
	}

	// 重新抽取 with a reason + 确认: a new current draw replacing the old.
	got = all(e.say(nil, admin1, "重新抽取 8 原因：名录更新"))
	if !strings.Contains(got, "将替换批次 "+rec.ID) || !strings.Contains(got, "原因：名录更新") {
		t.Errorf("re-draw preview:\n%s", got)
	}
	got = all(e.say(nil, admin1, "确认"))
	cur := e.current("8")
	if cur == nil || cur.ID == rec.ID || cur.Replaces != rec.ID || cur.Reason != "名录更新" {
		t.Fatalf("after the re-draw the current draw is %+v:\n%s", cur, got)
	}
	if !strings.Contains(got, "批次 **"+cur.ID+"**") {
		t.Errorf("re-draw summary:\n%s", got)
	}
	wantAudit(t, e.lastAudit(), admin1, "重新抽取", "任务8", audit.OK)
	checkNotices(t, e, cur)
	recs := e.records()
	if len(recs) != 2 || recs[0].ID != rec.ID || recs[1].ID != cur.ID {
		t.Fatalf("draws of 2023: %d", len(recs))
	}
	if old, err := e.draws.Get(ctx, rec.ID); err != nil || old == nil || old.ResultHash != rec.ResultHash {
		t.Errorf("the replaced draw is not kept unchanged: %v %v", old, err)
	}
	got = all(e.say(nil, admin2, "抽取记录"))
	for _, s := range []string{"2023年度抽取记录（2次）", "**" + rec.ID + "** 任务8｜9户｜03-15", "（已被重新抽取替换）",
		"**" + cur.ID + "** 任务8｜9户", "（重新抽取，原因：名录更新）"} {
		if !strings.Contains(got, s) {
			t.Errorf("抽取记录 lacks %q:\n%s", s, got)
		}
	}
	// 抽取结果 and 我的任务 follow the current draw.
	if got := all(e.say(nil, admin1, "抽取结果 8")); !strings.Contains(got, cur.ID) || strings.Contains(got, rec.ID) {
		t.Errorf("抽取结果 after the re-draw:\n%s", got)
	}
	for u, codes := range assigned(cur) {
		got := all(e.say(nil, u, "我的任务"))
		if !strings.Contains(got, fmt.Sprintf("共%d户", len(codes))) {
			t.Errorf("我的任务 of %s after the re-draw:\n%s", u, got)
		}
	}
}

// Commands that must not draw: a non-admin, unknown or ambiguous items,
// 确认 with nothing pending.
func TestDrawRefusedAndBadItems(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	cases := []struct {
		user, text string
		want       []string
		outcome    string // the audit entry's outcome; "": none written
		action     string
	}{
		{outsider, "抽取 8", []string{"抱歉，“抽取”仅限管理员使用"}, audit.Refused, "抽取"},
		{outsider, "重新抽取 8 原因：名录更新", []string{"“重新抽取”仅限管理员使用"}, audit.Refused, "重新抽取"},
		{outsider, "抽取记录", []string{"“抽取记录”仅限管理员使用"}, audit.Refused, "抽取记录"},
		{admin1, "抽取 99", []string{"2023年度计划中没有任务99", "1、2、3、4、5、6、7、8、9、10、11、13、14、15、16、17"}, audit.Failed, "抽取"},
		{admin1, "抽取 12", []string{"没有任务12"}, audit.Failed, "抽取"},
		{admin1, "抽取 15", []string{"任务15有2个抽查事项", "“抽取 15-1”或“抽取 15-2”"}, audit.Failed, "抽取"},
		{admin1, "抽取 15-3", []string{"没有抽查事项15-3"}, audit.Failed, "抽取"},
		{admin1, "抽取", []string{"请在“抽取”后写任务编号"}, audit.Failed, "抽取"},
		{admin1, "抽取 拍卖", []string{"没看懂“拍卖”是哪个任务"}, audit.Failed, "抽取"},
		{admin1, "重新抽取 8 原因：名录更新", []string{"任务8还没有抽取过", "请直接发送“抽取 8”"}, "", ""},
		{admin1, "确认", []string{"当前没有待确认的操作"}, "", ""},
		{admin1, "抽取结果 8", []string{"2023年度任务8尚未抽取"}, "", ""},
		{admin1, "抽取记录", []string{"2023年度还没有抽取记录"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.user+" "+c.text, func(t *testing.T) {
			before := len(e.auditEntries())
			got := all(e.say(nil, c.user, c.text))
			for _, s := range c.want {
				if !strings.Contains(got, s) {
					t.Errorf("reply lacks %q:\n%s", s, got)
				}
			}
			if strings.Contains(got, "抽取预览") || strings.Contains(got, "抽取完成") {
				t.Errorf("a draw was started:\n%s", got)
			}
			entries := e.auditEntries()
			switch {
			case c.outcome == "" && len(entries) != before:
				t.Errorf("audit entry written: %+v", entries[len(entries)-1])
			case c.outcome != "" && len(entries) != before+1:
				t.Errorf("%d audit entries written, want 1", len(entries)-before)
			case c.outcome != "":
				if got := entries[len(entries)-1]; got.User != c.user || got.Action != c.action || got.Outcome != c.outcome {
					t.Errorf("audit entry %+v; want %s %s %s", got, c.user, c.action, c.outcome)
				}
			}
			checkNothingSaved(t, e)
			checkNothingPending(t, e, c.user)
		})
	}
	// The refusal's entry records the role.
	for _, en := range e.auditEntries() {
		if en.User == outsider && en.Role != roleInspector {
			t.Errorf("refusal of %s recorded with role %q", outsider, en.Role)
		}
		if en.User == admin1 && en.Role != roleAdmin {
			t.Errorf("entry of %s recorded with role %q", admin1, en.Role)
		}
	}
}

// Anything but 确认 after a preview cancels it: nothing saved, the
// cancellation audited, nothing left pending.
func TestDrawCancelledByAnythingElse(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	cases := []struct {
		name string
		req  func(*Request)
	}{
		{"other text", func(r *Request) { r.Text = "好的吧" }},
		{"取消", func(r *Request) { r.Text = "取消" }},
		{"算了", func(r *Request) { r.Text = "算了" }},
		{"跳过", func(r *Request) { r.Text = "跳过" }},
		{"the cancel option's number", func(r *Request) { r.Text = "2" }},
		{"a question", func(r *Request) { r.Text = "本月哪些抽查任务" }},
		{"another draw", func(r *Request) { r.Text = "抽取 9" }},
		{"the card's cancel button", func(r *Request) {
			r.Kind, r.Text, r.Event = KindEvent, "", EventCard
			r.Card = &CardEvent{Key: "cancel"}
		}},
		{"an image", func(r *Request) {
			r.Kind, r.Text, r.Media = KindImage, "", &Media{ID: "img1"}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			preview := e.say(nil, admin1, "抽取 8")
			if card := cardOf(preview); card == nil {
				t.Fatalf("no preview: %s", all(preview))
			}
			req := e.request(admin1, "")
			c.req(req)
			rep, err := e.router.Handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got := all(rep)
			if !strings.Contains(got, "取消") || strings.Contains(got, "抽取完成") {
				t.Errorf("reply:\n%s", got)
			}
			checkNothingSaved(t, e)
			wantAudit(t, e.lastAudit(), admin1, "抽取", "任务8", audit.Cancel)
			checkNothingPending(t, e, admin1)
		})
	}
	// A re-draw cancelled is audited as 重新抽取, and the current draw stays.
	e.say(nil, admin1, "抽取 8")
	e.say(nil, admin1, "确认")
	rec := e.current("8")
	if rec == nil {
		t.Fatal("no draw")
	}
	for _, text := range []string{"取消", "不对"} {
		if cardOf(e.say(nil, admin1, "重新抽取 8 原因：名录更新")) == nil {
			t.Fatal("no re-draw preview")
		}
		e.say(nil, admin1, text)
		wantAudit(t, e.lastAudit(), admin1, "重新抽取", "任务8", audit.Cancel)
		if cur := e.current("8"); cur == nil || cur.ID != rec.ID || len(e.records()) != 1 {
			t.Errorf("%s: the re-draw was saved", text)
		}
	}
}

// When telling the inspectors fails after the commit, the draw stays
// saved, the admin is not told that everyone was notified, and Resume
// sends the notices later.
func TestDrawNotifyFails(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	ctx := context.Background()
	var failing sync.Mutex
	down := true
	e.sender.fail = func(msg reply.Message) error {
		failing.Lock()
		defer failing.Unlock()
		if down && strings.HasPrefix(msg.ID, "draw:") {
			return fmt.Errorf("redis: connection refused")
		}
		return nil
	}
	e.say(nil, admin1, "抽取 8")
	got := all(e.say(nil, admin1, "确认"))
	rec := e.current("8")
	if rec == nil {
		t.Fatalf("the draw was not saved:\n%s", got)
	}
	if !strings.Contains(got, "批次 **"+rec.ID+"**") || strings.Contains(got, "已逐一向检查人员发出") || !strings.Contains(got, "补发") {
		t.Errorf("summary when the notices failed:\n%s", got)
	}
	if ok, _ := e.draws.Notified(ctx, rec); ok {
		t.Error("marked notified though no notice was sent")
	}
	failing.Lock()
	down = false
	failing.Unlock()
	if err := e.newRouter().Resume(ctx, e.clock); err != nil {
		t.Fatal(err)
	}
	checkNotices(t, e, rec)
}

// The preview's dialog lives in Redis: a restarted bot (or another
// replica) takes the 确认.
func TestDrawConfirmAfterRestart(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	if cardOf(e.say(nil, admin1, "抽取 8")) == nil {
		t.Fatal("no preview")
	}
	restarted := e.newRouter()
	got := all(e.say(restarted, admin1, "确认"))
	rec := e.current("8")
	if rec == nil || !strings.Contains(got, "批次 **"+rec.ID+"**") {
		t.Fatalf("确认 after a restart: %v\n%s", rec, got)
	}
	checkNotices(t, e, rec)
	// The dialog is over on both.
	for _, r := range []*Router{e.router, restarted} {
		if got := all(e.say(r, admin1, "确认")); !strings.Contains(got, "当前没有待确认的操作") {
			t.Errorf("second 确认: %s", got)
		}
	}
	if n := len(e.records()); n != 1 {
		t.Errorf("%d draws, want 1", n)
	}
}

// withoutLines drops the lines of data that contain any of drop.
func withoutLines(t *testing.T, data []byte, drop ...string) []byte {
	t.Helper()
	var out [][]byte
	removed := 0
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		keep := true
		for _, d := range drop {
			if bytes.Contains(l, []byte(d)) {
				keep = false
			}
		}
		if keep {
			out = append(out, l)
		} else {
			removed++
		}
	}
	if removed != len(drop) {
		t.Fatalf("removed %d lines, want %d", removed, len(drop))
	}
	return bytes.Join(out, nil)
}

func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../seeds/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A directory imported between the preview and 确认 voids the preview.
func TestDrawDirectoriesChangedBeforeConfirm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, kind string
		drop             string // a line of the seed file dropped in the new import
	}{
		{"entities", "entities.csv", directory.KindEntities, "长治市祥瑞拍卖有限公司"},
		{"inspectors", "inspectors.csv", directory.KindInspectors, "崔海平"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newDrawEnv(t)
			if cardOf(e.say(nil, admin1, "抽取 8")) == nil {
				t.Fatal("no preview")
			}
			e.importData(c.file, c.kind, withoutLines(t, readSeed(t, c.file), c.drop))
			got := all(e.say(nil, admin1, "确认"))
			if !strings.Contains(got, "预览之后名录已更新") || !strings.Contains(got, "抽取 8") {
				t.Errorf("确认 after a new directory:\n%s", got)
			}
			checkNothingSaved(t, e)
			wantAudit(t, e.lastAudit(), admin1, "抽取", "任务8", audit.Failed)
			checkNothingPending(t, e, admin1)
			// A new preview on the new directory goes through.
			if cardOf(e.say(nil, admin1, "抽取 8")) == nil {
				t.Fatal("no new preview")
			}
			e.say(nil, admin1, "确认")
			if rec := e.current("8"); rec == nil {
				t.Fatal("no draw after a fresh preview")
			}
		})
	}
}

// Two admins preview the same item and confirm at once, each on their own
// replica: one draw is saved, the other admin is told; the same for
// re-draws of it.
func TestDrawTwoAdminsConfirmAtOnce(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	r1, r2 := e.router, e.newRouter()
	for round := range 4 {
		before := e.current("8")
		text := "抽取 8"
		if before != nil {
			text = fmt.Sprintf("重新抽取 8 原因：第%d轮", round)
		}
		for _, a := range []struct {
			r    *Router
			user string
		}{{r1, admin1}, {r2, admin2}} {
			if cardOf(e.say(a.r, a.user, text)) == nil {
				t.Fatalf("round %d: no preview for %s", round, a.user)
			}
		}
		reqs := []*Request{e.request(admin1, "确认"), e.request(admin2, "确认")}
		reqs[1].Now = reqs[0].Now // the same second
		var wg sync.WaitGroup
		replies := make([]string, 2)
		start := make(chan struct{})
		for i, r := range []*Router{r1, r2} {
			wg.Go(func() {
				<-start
				rep, err := r.Handle(context.Background(), reqs[i])
				if err != nil {
					t.Error(err)
				}
				replies[i] = all(rep)
			})
		}
		close(start)
		wg.Wait()
		recs := e.records()
		if len(recs) != round+1 {
			t.Fatalf("round %d: %d draws saved, want %d\n%s\n---\n%s", round, len(recs), round+1, replies[0], replies[1])
		}
		cur := e.current("8")
		if before != nil && cur.Replaces != before.ID {
			t.Errorf("round %d: the new draw replaces %q, want %s", round, cur.Replaces, before.ID)
		}
		won, lost := 0, 1
		if cur.Operator == admin2 {
			won, lost = 1, 0
		}
		if !strings.Contains(replies[won], "批次 **"+cur.ID+"**") {
			t.Errorf("round %d: winner's reply:\n%s", round, replies[won])
		}
		if !strings.Contains(replies[lost], "刚刚已由其他管理员抽取") || !strings.Contains(replies[lost], cur.ID) ||
			!strings.Contains(replies[lost], "没有保存") {
			t.Errorf("round %d: the other admin's reply:\n%s", round, replies[lost])
		}
		checkNotices(t, e, cur)
		loser := []string{admin1, admin2}[lost]
		found := false
		for _, en := range e.auditEntries() {
			if en.User == loser && en.Outcome == audit.Refused && en.Detail == "他人已先抽取" && en.At.Equal(reqs[lost].Now) {
				found = true
			}
		}
		if !found {
			t.Errorf("round %d: the lost race of %s is not audited", round, loser)
		}
	}
	if n := len(e.sender.ids("draw:")); n == 0 {
		t.Error("no notices at all")
	}
}

// A draw the inspectors' directory cannot staff is refused at the preview
// with the unit named, and nothing is saved.
func TestDrawInfeasible(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, item string
		drop       []string // inspectors removed from the seed directory
		want       string
	}{
		// 沁县 keeps 连霞利 (全部) of its four inspectors able to check item 9.
		{"county", "9", []string{"韩华超", "任斌鹏", "韩鑫"}, "沁县局 可执行任务9 的检查人员只有1名（至少需要2名）"},
		// 特设科 leads item 17; 常峰刚 (全部) stays.
		{"lead section", "17", []string{"秦志艳", "冯伟", "马芳红", "王杰", "常静", "王飞华"}, "特种设备安全监察科 可执行任务17 的检查人员只有1名（至少需要2名）"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newDrawEnv(t)
			e.importData("inspectors.csv", directory.KindInspectors, withoutLines(t, readSeed(t, "inspectors.csv"), c.drop...))
			rep := e.say(nil, admin1, "抽取 "+c.item)
			got := all(rep)
			if cardOf(rep) != nil || !strings.Contains(got, "无法抽取2023年度任务"+c.item+"，未保存任何内容") || !strings.Contains(got, c.want) {
				t.Errorf("reply:\n%s", got)
			}
			last := e.lastAudit()
			wantAudit(t, last, admin1, "抽取", "任务"+c.item, audit.Failed)
			if !strings.Contains(last.Detail, c.want) {
				t.Errorf("audit detail: %s", last.Detail)
			}
			checkNothingSaved(t, e)
			checkNothingPending(t, e, admin1)
		})
	}
}

// commitDirect saves a draw of item as the bot would, without telling
// anyone: the state a crash between the commit and the notices leaves.
func (e *drawEnv) commitDirect(item string) *draw.Record {
	e.t.Helper()
	ctx := context.Background()
	p := e.plans.Plans()[0]
	it, ok := p.Item(item)
	if !ok {
		e.t.Fatalf("no item %s", item)
	}
	ents, err := e.dirs.Entities(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	insp, err := e.dirs.Inspectors(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	in := draw.Input{Item: it, Entities: ents, Inspectors: insp, Params: draw.DefaultParams()}
	seed, _ := e.nextSeed()
	res, err := draw.Draw(in, seed)
	if err != nil {
		e.t.Fatal(err)
	}
	rec := draw.NewRecord(draw.NewID(p.Year, item, e.clock, "c0de"), admin1, e.clock, p.Year, in, seed, res)
	if err := e.draws.Commit(ctx, rec); err != nil {
		e.t.Fatal(err)
	}
	return rec
}

// A crash between the commit and the notices: Resume at the next start
// tells the inspectors once; a second Resume sends nothing.
func TestDrawResumeAfterCrash(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	ctx := context.Background()
	notified := e.commitDirect("8")
	if err := e.draws.MarkNotified(ctx, notified); err != nil {
		t.Fatal(err)
	}
	rec := e.commitDirect("16")
	if ok, _ := e.draws.Notified(ctx, rec); ok {
		t.Fatal("fresh draw marked notified")
	}
	if err := e.newRouter().Resume(ctx, e.clock); err != nil {
		t.Fatal(err)
	}
	checkNotices(t, e, rec)
	if ids := e.sender.ids("draw:" + notified.ID); len(ids) != 0 {
		t.Errorf("a draw already notified was notified again: %v", ids)
	}
	if ok, err := e.draws.Notified(ctx, rec); err != nil || !ok {
		t.Errorf("resumed draw not marked notified: %v %v", ok, err)
	}
	total, _ := e.sender.sent()
	for range 2 {
		if err := e.newRouter().Resume(ctx, e.clock); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := e.sender.sent(); again != total {
		t.Errorf("a second Resume sent %d messages", again-total)
	}
	checkNotices(t, e, rec)
}

// The crash came after some notices were queued: through the real outbox,
// Resume queues only the missing ones.
func TestDrawResumeThroughOutbox(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	ctx := context.Background()
	ob, err := outbox.New(outbox.Options{Redis: e.rdb, Prefix: e.prefix, Logger: discardLogger})
	if err != nil {
		t.Fatal(err)
	}
	rec := e.commitDirect("8")
	users := make([]string, 0)
	for u := range assigned(rec) {
		users = append(users, u)
	}
	slices.Sort(users)
	// The first notice went out before the crash.
	first := reply.Message{ID: "draw:" + rec.ID + ":to:" + users[0], To: reply.User(users[0]), Reply: reply.Markdown("抽查任务通知")}
	if err := ob.Send(ctx, first); err != nil {
		t.Fatal(err)
	}
	withOutbox := func() *Router {
		r, err := NewRouter(Deps{Plans: e.plans, Logger: discardLogger, DialogStore: store.NewDialogs(e.rdb, e.prefix),
			Draw: &DrawDeps{Directories: e.dirs, Draws: e.draws, Audit: e.audit, Sender: ob, Params: draw.DefaultParams()}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for range 3 {
		if err := withOutbox().Resume(ctx, e.clock); err != nil {
			t.Fatal(err)
		}
		st, err := ob.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued != int64(len(users)) {
			t.Fatalf("outbox holds %d messages, want one per inspector (%d)", st.Queued, len(users))
		}
	}
}

// The process handling 确认 died after saving the draw and before it
// finished the dialog and answered; the next one handles the same 确认
// again (the dialog as it was): it answers with the summary of the draw
// that was saved, instead of calling it another admin's, and nothing is
// drawn or sent twice.
func TestDrawConfirmReplayedAfterCommit(t *testing.T) {
	t.Parallel()
	e := newDrawEnv(t)
	ctx := context.Background()
	if cardOf(e.say(nil, admin1, "抽取 8")) == nil {
		t.Fatal("no preview")
	}
	key := keys.New(e.prefix).Dialog(admin1)
	before, err := e.rdb.Dump(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	first := all(e.say(nil, admin1, "确认"))
	rec := e.current("8")
	if rec == nil || !strings.Contains(first, "批次 **"+rec.ID+"**") {
		t.Fatalf("确认: %v\n%s", rec, first)
	}
	if err := e.rdb.RestoreReplace(ctx, key, 0, before).Err(); err != nil {
		t.Fatal(err)
	}
	again := all(e.say(e.newRouter(), admin1, "确认"))
	if !strings.Contains(again, "抽取完成") || !strings.Contains(again, "批次 **"+rec.ID+"**") || strings.Contains(again, "其他管理员") {
		t.Fatalf("the replayed 确认 answered:\n%s", again)
	}
	if n := len(e.records()); n != 1 {
		t.Errorf("%d draws, want 1", n)
	}
	checkNotices(t, e, rec)
}
