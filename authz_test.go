package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/reply/replytest"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/store"
)

// The four roles of the authorization matrix, as the WeCom channel
// presents them to the handlers: the admin is listed in admins, the head
// in department_heads, the inspector is in the seed inspectors directory,
// the stranger is in neither and not in the address book (no sections).
const (
	roleAdmin     = "admin"
	roleHead      = "head"
	roleInspector = "inspector"
	roleStranger  = "stranger"
)

var authzRoles = []string{roleAdmin, roleHead, roleInspector, roleStranger}

// authzUsers: userid and address-book sections per role.
var authzUsers = map[string]struct {
	id       string
	sections []string
}{
	roleAdmin:     {"admin01", nil},
	roleHead:      {"head01", []string{"计量科"}},
	roleInspector: {"cuihaiping01", []string{"计量科"}}, // seeds/inspectors.csv; TestAuthorizationMatrix takes one the draw assigned
	roleStranger:  {"stranger01", nil},
}

// authzEnv is the bot's real route table, wired as serve wires it (app.router
// over a private Redis, the seed plan and directories, the reminder calendar),
// with the notices it sends recorded.
type authzEnv struct {
	t      *testing.T
	app    *app
	h      handlers.Handler
	st     *store.Store
	sender *replytest.Recorder
	now    time.Time
	seq    int
}

func newAuthzEnv(t *testing.T) *authzEnv {
	t.Helper()
	srv := redistest.Start(t)
	cfg := writeConfig(t, srv.URL(), fmt.Sprintf(`admins: [admin01]
department_heads: {head01: 计量科}
directories:
  entities: %q
  inspectors: %q
reminders:
  recipients:
    计量科: {users: [head01]}
`, mustAbs(t, "seeds/entities.csv"), mustAbs(t, "seeds/inspectors.csv")))
	a, err := loadApp(commonFlags{config: cfg}, 0, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore(st, a.log) })
	rules, cal, err := a.reminderRules()
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(outbox.Options{Redis: st.Client, Prefix: st.Prefix, Config: a.cfg.Outbox, Logger: a.log})
	if err != nil {
		t.Fatal(err)
	}
	rem, err := scheduler.NewReminders(scheduler.RemindersOptions{
		Redis: st.Client, Prefix: st.Prefix, Sender: consoleNoSend{}, Plans: a.plans.Plans(),
		Rules: rules, Workdays: cal, Config: a.cfg.Reminders, Log: a.log, Undelivered: undelivered(ob),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.seedDirectories(ctx, st); err != nil {
		t.Fatal(err)
	}
	entities, err := os.ReadFile("seeds/entities.csv")
	if err != nil {
		t.Fatal(err)
	}
	media := func(_ context.Context, req *handlers.Request) ([]byte, string, error) {
		return entities, req.Media.FileName, nil
	}
	e := &authzEnv{t: t, app: a, st: st, sender: &replytest.Recorder{}, now: time.Date(2023, 3, 15, 9, 0, 0, 0, a.cfg.Location)}
	r, err := a.router(rem, st, e.sender, media)
	if err != nil {
		t.Fatal(err)
	}
	e.h = r.Handle
	return e
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	p, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return p + "/" + path
}

// request is what the WeCom dispatcher hands the handlers for a message of
// role's user: Admin from the admins list, Sections from the address book.
func (e *authzEnv) request(role string, kind handlers.Kind, text string) *handlers.Request {
	e.seq++
	e.now = e.now.Add(time.Minute)
	u := authzUsers[role]
	admin := false
	for _, id := range e.app.cfg.Admins {
		admin = admin || id == u.id
	}
	return &handlers.Request{Channel: "wecom", UserID: u.id, MsgID: fmt.Sprintf("m%d", e.seq), Kind: kind, Text: text,
		Now: e.now, Sections: u.sections, Admin: admin}
}

func (e *authzEnv) send(req *handlers.Request) reply.Reply {
	e.t.Helper()
	rep, err := e.h(context.Background(), req)
	if err != nil {
		e.t.Fatalf("%s %q: %v", req.UserID, req.Text, err)
	}
	return rep
}

func (e *authzEnv) say(role, text string) reply.Reply {
	e.t.Helper()
	return e.send(e.request(role, handlers.KindText, text))
}

// text is every part of rep as the user reads it (cards numbered).
func text(rep reply.Reply) string {
	var parts []string
	for _, r := range rep.Flatten() {
		switch {
		case r.Card != nil:
			parts = append(parts, r.Card.Title, r.Card.Numbered())
		default:
			parts = append(parts, r.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// Refusals, as users read them; an allowed command shows none of these.
var refusalMarks = []string{"仅限管理员使用", "仅管理员可以查看", "只有管理员可以", "供科室、县区局负责人和管理员查看", "其他科室或县区局的进度请联系管理员"}

// TestAuthorizationMatrix sends every command of the route table as each
// role and checks the cell: A allowed (no refusal, and what the command
// shows when given), D denied with its Chinese refusal. Risk classes of
// entities never reach anyone but the admin, in any reply or notice.
func TestAuthorizationMatrix(t *testing.T) {
	e := newAuthzEnv(t)
	// A confirmed draw of item 8 (a risk-differentiated item) to look at.
	if got := text(e.say(roleAdmin, "抽取 8")); !strings.Contains(got, "抽取预览") {
		t.Fatalf("preview: %s", got)
	}
	if got := text(e.say(roleAdmin, "确认")); !strings.Contains(got, "抽取完成") {
		t.Fatalf("confirm: %s", got)
	}
	rec, err := store.NewDraws(e.st.Client, e.st.Prefix).Current(context.Background(), 2023, "8")
	if err != nil || rec == nil {
		t.Fatalf("draw of item 8: %v, %v", rec, err)
	}
	var drawn []draw.Drawn
	for _, g := range rec.Result.Groups {
		drawn = append(drawn, g.Entities...)
	}
	// The inspector is one the draw assigned, so that 我的任务 and 填报
	// list drawn entities (whose classes they must not see).
	insp := authzUsers[roleInspector]
	insp.id = drawn[0].Inspectors[0]
	authzUsers[roleInspector] = insp
	t.Cleanup(func() {
		authzUsers[roleInspector] = struct {
			id       string
			sections []string
		}{"cuihaiping01", []string{"计量科"}}
	})

	file := func(role string) *handlers.Request {
		r := e.request(role, handlers.KindFile, "")
		r.Media = &handlers.Media{ID: "m1", FileName: "检查对象名录.csv"}
		return r
	}
	type cell = string // "A" allowed, "D" denied
	cases := []struct {
		cmd     string
		file    bool
		card    string // a card click with this key instead of text
		allowed string // what an allowed reply contains ("": anything but a refusal)
		denied  string // the refusal
		// deniedAs: a role's own refusal, where it differs
		deniedAs map[string]string
		cells    [4]cell // admin, head, inspector, stranger
	}{
		{cmd: "帮助", allowed: "抽查助手", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "本月哪些抽查任务", allowed: "抽查任务", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "任务8", allowed: "拍卖", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "抽取 8", allowed: "任务8已于2023-03-15", denied: "抱歉，“抽取”仅限管理员使用", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "重新抽取 8 原因：名录更新", allowed: "抽取预览", denied: "“重新抽取”仅限管理员使用", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "抽取记录", allowed: "抽取记录（", denied: "“抽取记录”仅限管理员使用", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "抽取结果 8", allowed: "抽取结果", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "导出 8", allowed: ".xlsx", denied: "“导出”仅限管理员使用", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "导出 8 内部", allowed: "内部", denied: "“导出”仅限管理员使用", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "导出结果 8", denied: "“导出结果”仅限管理员使用", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "已公示 8", denied: "“已公示”仅限管理员使用", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "名录", allowed: "名录库", cells: [4]cell{"A", "A", "A", "A"}},
		{file: true, allowed: "已导入检查对象名录", denied: "只有管理员可以通过发送文件导入名录", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "我的任务", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "我的检查对象", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "进度", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "进度 消保科", denied: "“进度”供科室、县区局负责人和管理员查看",
			deniedAs: map[string]string{roleHead: "您可以查看本部门（计量科）的进度，请发送“进度”；其他科室或县区局的进度请联系管理员"}, cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "进度 8", denied: "“进度”供科室、县区局负责人和管理员查看", cells: [4]cell{"A", "A", "D", "D"}},
		{cmd: "我的进度", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "提醒计划", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "提醒记录", denied: "“提醒记录”仅管理员可以查看", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "提醒记录 计量科", allowed: "“提醒记录”后面不用加内容", denied: "“提醒记录”仅管理员可以查看", cells: [4]cell{"A", "D", "D", "D"}},
		{cmd: "提交检查结果", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "修改", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "会签", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "草稿", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "继续", cells: [4]cell{"A", "A", "A", "A"}},
		{card: "cosign:ok", cells: [4]cell{"A", "A", "A", "A"}},
		{cmd: "确认", allowed: "当前没有待确认的操作", cells: [4]cell{"A", "A", "A", "A"}},
	}
	dialogs := store.NewDialogs(e.st.Client, e.st.Prefix)
	for _, c := range cases {
		name := c.cmd
		if c.file {
			name = "(file)"
		}
		if c.card != "" {
			name = "(card " + c.card + ")"
		}
		for i, role := range authzRoles {
			t.Run(name+"/"+role, func(t *testing.T) {
				var rep reply.Reply
				switch {
				case c.file:
					rep = e.send(file(role))
				case c.card != "":
					r := e.request(role, handlers.KindEvent, "")
					r.Event, r.Card = handlers.EventCard, &handlers.CardEvent{Key: c.card, TaskID: "t1"}
					rep = e.send(r)
				default:
					rep = e.say(role, c.cmd)
				}
				got := text(rep)
				if strings.TrimSpace(got) == "" && rep.File == nil {
					t.Fatal("empty reply")
				}
				switch c.cells[i] {
				case "A":
					for _, m := range refusalMarks {
						if strings.Contains(got, m) {
							t.Errorf("allowed, but refused:\n%s", got)
						}
					}
					if c.allowed != "" && !strings.Contains(got, c.allowed) {
						t.Errorf("allowed reply lacks %q:\n%s", c.allowed, got)
					}
				case "D":
					want := c.denied
					if w, ok := c.deniedAs[role]; ok {
						want = w
					}
					if !strings.Contains(got, want) {
						t.Errorf("denied reply lacks %q:\n%s", want, got)
					}
					if rep.Kind == reply.KindFile || rep.File != nil {
						t.Errorf("a denied command sent a file")
					}
				}
				if role != roleAdmin {
					if rep.File != nil {
						t.Errorf("a file reached %s: %s", role, rep.File.Name)
					}
					checkNoRiskClass(t, role, got, drawn)
				}
				// Leave no dialog behind for the next command.
				if s, err := dialogs.Load(context.Background(), authzUsers[role].id); err == nil && s != nil {
					e.say(role, "取消")
				}
			})
		}
	}
	// The inspector's views did list drawn entities: the check above saw them.
	if got := text(e.say(roleInspector, "我的任务")); !strings.Contains(got, drawn[0].Name) {
		t.Fatalf("the inspector's 我的任务 lacks %s:\n%s", drawn[0].Name, got)
	}
	// The admin does see the classes: the check above is not vacuous.
	if got := text(e.say(roleAdmin, "抽取结果 8")); !hasRiskClass(got, drawn) {
		t.Fatalf("the admin's 抽取结果 shows no risk class:\n%s", got)
	}
	if got := text(e.say(roleAdmin, "名录")); !strings.Contains(got, "信用风险分类") {
		t.Fatalf("the admin's 名录 shows no risk classes:\n%s", got)
	}
	// Notices the draws sent to inspectors carry no class either.
	notices := e.sender.All()
	if len(notices) == 0 {
		t.Fatal("the draws sent no notices")
	}
	for _, m := range notices {
		for _, u := range m.To.Users {
			if u == authzUsers[roleAdmin].id {
				continue
			}
			checkNoRiskClass(t, "notice to "+u, text(m.Reply), drawn)
		}
	}
}

// checkNoRiskClass fails when got shows a drawn entity's risk class: its
// credit code and a class label on one line, or the admins' class summary.
func checkNoRiskClass(t *testing.T, who, got string, drawn []draw.Drawn) {
	t.Helper()
	if strings.Contains(got, "信用风险分类（仅管理员可见）") || hasRiskClass(got, drawn) {
		t.Errorf("a risk class reached %s:\n%s", who, got)
	}
}

func hasRiskClass(got string, drawn []draw.Drawn) bool {
	labels := []string{"｜"}
	for _, c := range append(directory.RiskClasses, directory.RiskUnclassified) {
		labels = append(labels, c.Label())
	}
	for _, line := range strings.Split(got, "\n") {
		for _, d := range drawn {
			if !strings.Contains(line, d.CreditCode) {
				continue
			}
			for _, l := range labels {
				if strings.Contains(line, l) {
					return true
				}
			}
		}
	}
	return false
}
