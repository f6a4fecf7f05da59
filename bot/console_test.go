package bot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/reply"
)

func TestRunConsoleFromPipe(t *testing.T) {
	var seen []handlers.Request
	h := func(_ context.Context, req *handlers.Request) (reply.Reply, error) {
		seen = append(seen, *req)
		switch req.Text {
		case "坏":
			return reply.Reply{}, handlers.Errorf("bad", "看不懂这个问题")
		case "空":
			return reply.Reply{}, nil
		}
		return reply.Markdown("答：" + req.Text + "\n"), nil
	}
	in, w := pipe(t) // a real pipe, as in `echo 本月任务 | choucha serve`
	go func() {
		fmt.Fprint(w, "本月任务\n\n   \n坏\n空\n  计量科的任务  \n退出\n不应处理\n")
		w.Close()
	}()
	var out bytes.Buffer
	now := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	err := RunConsole(context.Background(), in, &out, h, ConsoleOptions{
		User: ConsoleUser{Sections: []string{"计量科"}}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	want := "答：本月任务\n看不懂这个问题\n答：计量科的任务\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q (no prompt from a pipe)", out.String(), want)
	}
	if len(seen) != 4 || seen[0].UserID != "console" || seen[0].Channel != "console" ||
		seen[0].Kind != handlers.KindText || seen[0].Sections[0] != "计量科" || seen[0].Now.Location().String() != "Asia/Shanghai" {
		t.Fatalf("requests %+v", seen)
	}
}

func TestRunConsoleInteractiveAndEOF(t *testing.T) {
	on := true
	h := func(_ context.Context, req *handlers.Request) (reply.Reply, error) {
		return reply.Text("好"), nil
	}
	var out bytes.Buffer
	if err := RunConsole(context.Background(), strings.NewReader("问"), &out, h, ConsoleOptions{Interactive: &on}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasSuffix(got, "> 好\n> ") || !strings.Contains(got, "退出") {
		t.Fatalf("interactive output %q", got)
	}
}

func TestRunConsoleCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := func(_ context.Context, req *handlers.Request) (reply.Reply, error) {
		cancel() // Ctrl-C while answering
		return reply.Text("好"), nil
	}
	r, w := pipe(t)
	fmt.Fprintln(w, "问")
	var out bytes.Buffer
	if err := RunConsole(ctx, r, &out, h, ConsoleOptions{}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "好\n" {
		t.Fatalf("output %q", out.String())
	}
}

func TestAsk(t *testing.T) {
	h := func(_ context.Context, req *handlers.Request) (reply.Reply, error) {
		if req.Text == "x" {
			return reply.Reply{}, fmt.Errorf("internal")
		}
		return reply.Text(req.UserID + ":" + req.Text), nil
	}
	now := time.Now()
	r, err := Ask(context.Background(), h, "本月", now, ConsoleUser{ID: "zhangsan"})
	if err != nil || r.Text != "zhangsan:本月" {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = Ask(context.Background(), h, "x", now, ConsoleUser{})
	if err == nil || r.Text != handlers.UserMessage(err) {
		t.Fatalf("%+v %v", r, err)
	}
}

// pipe is an os.Pipe whose write end stays open (the reader never sees EOF).
func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}
