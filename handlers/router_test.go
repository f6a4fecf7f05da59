package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

func replyWith(text string) Handler {
	return func(context.Context, *Request) (reply.Reply, error) { return reply.Text(text), nil }
}

func textReq(s string) *Request { return &Request{Kind: KindText, Text: s, UserID: "u1"} }

func TestNewRefusesBadTables(t *testing.T) {
	cases := []struct {
		name   string
		routes []Route
		want   string
	}{
		{"duplicate name", []Route{
			{Name: "a", Match: Match{Exact: []string{"x"}}, Handler: replyWith("1")},
			{Name: "a", Match: Match{Exact: []string{"y"}}, Handler: replyWith("2")},
		}, `duplicate route name "a"`},
		{"duplicate exact text", []Route{
			{Name: "a", Match: Match{Exact: []string{"帮助"}}, Handler: replyWith("1")},
			{Name: "b", Match: Match{Exact: []string{"菜单", "帮助"}}, Handler: replyWith("2")},
		}, `exact text "帮助" already registered by route "a"`},
		{"duplicate after normalisation", []Route{
			{Name: "a", Match: Match{Exact: []string{"?"}}, Handler: replyWith("1")},
			{Name: "b", Match: Match{Exact: []string{"？"}}, Handler: replyWith("2")},
		}, "already registered"},
		{"duplicate within one route", []Route{
			{Name: "a", Match: Match{Exact: []string{"Help", "help"}}, Handler: replyWith("1")},
		}, "already registered"},
		{"empty name", []Route{{Match: Match{Any: true}, Handler: replyWith("1")}}, "empty name"},
		{"no handler", []Route{{Name: "a", Match: Match{Any: true}}}, "no handler"},
		{"no match", []Route{{Name: "a", Handler: replyWith("1")}}, "exactly one"},
		{"two match kinds", []Route{{Name: "a", Match: Match{Prefix: "x", Any: true}, Handler: replyWith("1")}}, "exactly one"},
		{"after fallback", []Route{
			{Name: "fallback", Match: Match{Any: true}, Handler: replyWith("1")},
			{Name: "late", Match: Match{Exact: []string{"x"}}, Handler: replyWith("2")},
		}, "after the fallback"},
		{"unnormalised prefix", []Route{{Name: "a", Match: Match{Prefix: "Ｘ"}, Handler: replyWith("1")}}, "not normalised"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := New(c.routes, discardLogger)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New = %v, %v; want error containing %q", r, err, c.want)
			}
		})
	}
}

func TestFirstMatchWins(t *testing.T) {
	routes := []Route{
		{Name: "exact", Match: Match{Exact: []string{"菜单"}}, Handler: replyWith("exact")},
		{Name: "prefix", Match: Match{Prefix: "任务"}, Handler: replyWith("prefix")},
		{Name: "regexp", Match: Match{Regexp: regexp.MustCompile(`^\d+$`)}, Handler: replyWith("regexp")},
		{Name: "func", Match: Match{Func: func(_ *Request, q *question.Query) bool { return q.Intent == question.List }}, Handler: replyWith("func")},
		{Name: "prefix-shadowed", Match: Match{Prefix: "任务7"}, Handler: replyWith("shadowed")},
		{Name: "fallback", Match: Match{Any: true}, Handler: replyWith("fallback")},
	}
	r, err := New(routes, discardLogger)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{"菜单", "exact"},
		{" 菜单？", "exact"}, // normalised before matching
		{"任务7", "prefix"}, // the earlier prefix route wins over prefix-shadowed
		{"１２", "regexp"},
		{"本月哪些抽查任务", "func"},
		{"你好世界", "fallback"},
	} {
		rep, err := r.Handle(context.Background(), textReq(c.in))
		if err != nil || rep.Text != c.want {
			t.Errorf("%q → %q, %v; want %q", c.in, rep.Text, err, c.want)
		}
	}
	if got := strings.Join(r.Routes(), ","); got != "exact,prefix,regexp,func,prefix-shadowed,fallback" {
		t.Errorf("Routes() = %s", got)
	}
}

func TestNoRouteIsEmptyReply(t *testing.T) {
	r, err := New([]Route{{Name: "a", Match: Match{Exact: []string{"x"}}, Handler: replyWith("x")}}, discardLogger)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Handle(context.Background(), textReq("y"))
	if err != nil || rep.Text != "" {
		t.Fatalf("got %+v, %v", rep, err)
	}
	if _, err := r.Handle(context.Background(), nil); err == nil {
		t.Fatal("nil request: want error")
	}
}

func TestPanicBecomesPoliteReply(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	r, err := New([]Route{
		{Name: "boom", Match: Match{Exact: []string{"boom"}}, Handler: func(context.Context, *Request) (reply.Reply, error) {
			var m map[string]int
			m["x"]++ // nil map write: a real runtime panic
			return reply.Reply{}, nil
		}},
		{Name: "fallback", Match: Match{Any: true}, Handler: replyWith("ok")},
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Handle(context.Background(), textReq("boom"))
	if err != nil {
		t.Fatalf("panic leaked as error: %v", err)
	}
	if rep.Text != panicMessage {
		t.Fatalf("reply = %q", rep.Text)
	}
	out := logs.String()
	for _, s := range []string{`"level":"ERROR"`, `"msg":"handler panic"`, `"route":"boom"`, "assignment to entry in nil map", `"stack"`} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %s:\n%s", s, out)
		}
	}
	// The router keeps working after a panic.
	if rep, _ := r.Handle(context.Background(), textReq("hi")); rep.Text != "ok" {
		t.Fatalf("after panic: %q", rep.Text)
	}
}

func TestErrorsBecomeMessages(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	secret := errors.New("dial tcp 10.0.0.1:6379: connection refused")
	r, err := New([]Route{
		{Name: "app", Match: Match{Exact: []string{"app"}}, Handler: func(context.Context, *Request) (reply.Reply, error) {
			return reply.Reply{}, fmt.Errorf("wrapped: %w", &Error{Code: "no_plan", Message: "抽查计划尚未加载，请联系管理员。"})
		}},
		{Name: "internal", Match: Match{Exact: []string{"internal"}}, Handler: func(context.Context, *Request) (reply.Reply, error) {
			return reply.Reply{}, fmt.Errorf("load state: %w", secret)
		}},
		{Name: "cancelled", Match: Match{Exact: []string{"cancelled"}}, Handler: func(ctx context.Context, _ *Request) (reply.Reply, error) {
			return reply.Reply{}, ctx.Err()
		}},
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Handle(context.Background(), textReq("app"))
	if err != nil || rep.Text != "抽查计划尚未加载，请联系管理员。" {
		t.Errorf("app error → %q, %v", rep.Text, err)
	}
	rep, err = r.Handle(context.Background(), textReq("internal"))
	if err != nil || rep.Text != UserMessage(secret) || strings.Contains(rep.Text, "10.0.0.1") {
		t.Errorf("internal error → %q, %v", rep.Text, err)
	}
	if !strings.Contains(logs.String(), "connection refused") || !strings.Contains(logs.String(), `"msg":"handler failed"`) {
		t.Errorf("internal error not logged with detail:\n%s", logs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Handle(ctx, textReq("cancelled")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled → %v", err)
	}
}

func TestMiddlewareOrder(t *testing.T) {
	var order []string
	mw := func(name string) Middleware {
		return func(next Handler) Handler {
			return func(ctx context.Context, req *Request) (reply.Reply, error) {
				order = append(order, name)
				return next(ctx, req)
			}
		}
	}
	r, err := New([]Route{{Name: "a", Match: Match{Any: true}, Handler: func(context.Context, *Request) (reply.Reply, error) {
		order = append(order, "handler")
		return reply.Text("a"), nil
	}}}, discardLogger, mw("outer"), mw("inner"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Handle(context.Background(), textReq("x")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "outer,inner,handler" {
		t.Fatalf("order = %s", got)
	}
}

// The bot's own table: builds, and routes each kind of message as named.
func TestBotRoutes(t *testing.T) {
	tally := &Tally{} // says which route took each message
	deps := Deps{Plans: seedCatalog(t), Logger: discardLogger, Tally: tally}
	r, err := NewRouter(deps)
	if err != nil {
		t.Fatal(err)
	}
	now := day(t, "2023-03-15")
	cases := []struct {
		req   Request
		route string
		text  string
	}{
		{Request{Kind: KindText, Text: "帮助"}, "help", "抽查助手能回答这些问题"},
		{Request{Kind: KindText, Text: "？"}, "help", "抽查助手能回答这些问题"},
		{Request{Kind: KindText, Text: "HELP"}, "help", "抽查助手"},
		{Request{Kind: KindText, Text: "请问你能做什么呀老师"}, "help-phrase", "抽查助手"},
		{Request{Kind: KindEvent, Event: "enter_agent"}, "enter", "您好，我是抽查助手"},
		{Request{Kind: KindText, Text: "谢谢！"}, "thanks", "不客气"},
		{Request{Kind: KindText, Text: "本月哪些抽查任务，谢谢"}, "list", "（9项）"},
		{Request{Kind: KindImage, Media: &Media{ID: "media1"}}, "not-text", "已收到您发送的图片"},
		{Request{Kind: KindEvent, Event: EventCard, Card: &CardEvent{Key: "ok"}}, "not-text", "已经结束或已过期"},
		{Request{Kind: KindText, Text: "  "}, "empty", "请输入您的问题"},
		{Request{Kind: KindText, Text: "我科室的任务"}, "mine", "暂时不知道您所在的科室"},
		{Request{Kind: KindText, Text: "我科室的任务", Sections: []string{"特种设备安全监察科"}}, "mine", "**17** "},
		{Request{Kind: KindText, Text: "任务12"}, "task", "没有任务12"},
		{Request{Kind: KindText, Text: "拍卖抽多少"}, "attribute", "30%/一年一次"},
		{Request{Kind: KindText, Text: "本月哪些抽查任务"}, "list", "2023年3月正在进行的抽查任务（9项）"},
		{Request{Kind: KindText, Text: "个体工商户"}, "fallback", "**13** "},
		{Request{Kind: KindText, Text: "今天天气怎么样"}, "fallback", "没能理解"},
	}
	for _, c := range cases {
		req := c.req
		req.Now, req.UserID, req.Channel = now, "zhangsan", "console"
		rep, err := r.Handle(context.Background(), &req)
		if err != nil {
			t.Errorf("%q: %v", req.Text, err)
			continue
		}
		if !strings.Contains(rep.Text, c.text) {
			t.Errorf("%q: reply lacks %q:\n%s", req.Text, c.text, rep.Text)
		}
		if got := tally.Take().Routes; got[c.route] != 1 || len(got) != 1 {
			t.Errorf("%q: routed to %v, not %s", req.Text, got, c.route)
		}
	}
}

func TestNoPlanIsPoliteError(t *testing.T) {
	r, err := NewRouter(Deps{Logger: discardLogger})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Handle(context.Background(), &Request{Kind: KindText, Text: "本月哪些抽查任务", Now: day(t, "2023-03-15")})
	if err != nil || !strings.Contains(rep.Text, "抽查计划尚未加载") {
		t.Fatalf("got %q, %v", rep.Text, err)
	}
}

// The router is shared by the channel's workers.
func TestConcurrentHandle(t *testing.T) {
	r, err := NewRouter(Deps{Plans: seedCatalog(t), Logger: discardLogger})
	if err != nil {
		t.Fatal(err)
	}
	now := day(t, "2023-03-15")
	done := make(chan string)
	for _, s := range []string{"本月哪些抽查任务", "任务15", "加油站", "快到期的", "计量科", "比例30%以上", "个体工商户", "帮助"} {
		go func() {
			var last string
			for range 20 {
				rep, err := r.Handle(context.Background(), &Request{Kind: KindText, Text: s, Now: now})
				if err != nil || (last != "" && rep.Text != last) {
					done <- fmt.Sprintf("%s: %v / unstable reply", s, err)
					return
				}
				last = rep.Text
			}
			done <- ""
		}()
	}
	for range 8 {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

func TestDepsAsk(t *testing.T) {
	d := Deps{Plans: seedCatalog(t)}
	ans, err := d.Ask(&Request{Text: "本月哪些抽查任务", Now: day(t, "2023-03-15")})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ans.IDs(), ","); got != "1,4,5,6,7,8,9,10,17" {
		t.Errorf("ids = %s", got)
	}
	if got := strings.Join(ans.NoWindowIDs(), ","); got != "2,3,13" {
		t.Errorf("no window = %s", got)
	}
	if _, err := (Deps{}).Ask(&Request{Text: "本月", Now: day(t, "2023-03-15")}); err == nil {
		t.Error("no plans: want an *Error")
	}
}
