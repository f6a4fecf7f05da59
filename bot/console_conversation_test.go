package bot

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
)

// photoFlow asks a choice, then a photo, then anything.
func photoFlow() *dialog.Flow {
	fixed := func(s string) func(*dialog.State) string { return func(*dialog.State) string { return s } }
	return &dialog.Flow{
		Name: "photo", Title: "现场检查", First: "kind",
		Steps: []dialog.Step{
			{
				Name: "kind", Prompt: fixed("请选择检查方式"),
				Options: func(*dialog.State) []reply.Option {
					return []reply.Option{{Key: "site", Text: "实地检查"}, {Key: "doc", Text: "书面检查"}}
				},
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					s.Set("kind", in.Choice[0])
					return "photo", nil
				},
			},
			{
				Name: "photo", Prompt: fixed("请发送现场照片"),
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					if in.MediaKind != string(handlers.KindImage) {
						return "", dialog.Invalid("这一步需要一张图片。")
					}
					s.Set("photo", in.MediaID)
					s.Set("file", in.FileName)
					return "end", nil
				},
			},
			{
				Name: "end", Prompt: fixed("照片已收到，请回复任意内容提交"),
				Parse: func(context.Context, *dialog.State, dialog.Input) (string, error) { return dialog.Done, nil },
			},
		},
		Finish: func(context.Context, *dialog.State, dialog.Input) (reply.Reply, error) {
			return reply.Text("已提交"), nil
		},
	}
}

// The acceptance test, console side: "/点击 KEY" and "/图片 PATH"
// reach the running conversation as a card click and an image.
func TestConsoleClickAndImageReachConversation(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	st := store.NewDialogs(rdb, "t:")
	e, err := dialog.New(st, 0, photoFlow())
	if err != nil {
		t.Fatal(err)
	}
	dialogs := &handlers.Dialogs{Engine: e}
	router, err := handlers.NewRouter(handlers.Deps{Conversations: dialogs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2023, 3, 15, 9, 0, 0, 0, time.UTC)
	req := ConsoleRequest("现场检查", now, ConsoleUser{})
	req.MsgID = "console:start"
	if _, err := dialogs.Start(ctx, req, "photo", nil); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	in := strings.NewReader("/点击 doc\n/图片 /tmp/x.jpg\n")
	if err := RunConsole(ctx, in, &out, router.Handle, ConsoleOptions{Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	s, err := st.Load(ctx, "console")
	if err != nil || s == nil {
		t.Fatalf("the console user's dialog: %+v, %v", s, err)
	}
	if s.Step != "end" || s.Get("kind") != "doc" || s.Get("photo") != LocalMediaPrefix+"/tmp/x.jpg" || s.Get("file") != "x.jpg" {
		t.Fatalf("the dialog did not get the click and the image: %+v", s)
	}
	got := out.String()
	photo := strings.Index(got, "请发送现场照片")
	end := strings.Index(got, "照片已收到，请回复任意内容提交")
	if photo < 0 || end < photo {
		t.Fatalf("the flow's prompts are not printed in order:\n%s", got)
	}
	for _, bad := range []string{"目前只能回答文字问题", "已收到您发送的图片", "已经结束或已过期", "已失效"} {
		if strings.Contains(got, bad) {
			t.Fatalf("printed the answer %q:\n%s", bad, got)
		}
	}

	// Once the dialog is over, the same lines get the routes' answers.
	out.Reset()
	in = strings.NewReader("取消\n/点击 doc\n/图片 /tmp/x.jpg\n")
	if err := RunConsole(ctx, in, &out, router.Handle, ConsoleOptions{Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	got = out.String()
	if !strings.Contains(got, "已取消") || !strings.Contains(got, "已经结束或已过期") || !strings.Contains(got, "已收到您发送的图片") {
		t.Fatalf("without a dialog:\n%s", got)
	}
}
