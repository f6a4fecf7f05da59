package bot

import (
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/reply"
)

func TestPlainText(t *testing.T) {
	md := "## 2023年3月的任务（1项）\n> （依据2023年度计划）\n**7** 认证｜10%\n<font color=\"comment\">可以这样问：“任务7”</font>"
	plain := PlainText(reply.Markdown(md), false)
	want := "2023年3月的任务（1项）\n  （依据2023年度计划）\n7 认证｜10%\n可以这样问：“任务7”"
	if plain != want {
		t.Fatalf("plain:\n%s\nwant:\n%s", plain, want)
	}
	ansi := PlainText(reply.Markdown(md), true)
	if !strings.Contains(ansi, ansiBold+"7"+ansiReset) || !strings.Contains(ansi, ansiDim+"可以这样问") || strings.Contains(ansi, "**") {
		t.Fatalf("ansi: %q", ansi)
	}
	card := reply.Reply{Kind: reply.KindCard, Card: &reply.Card{Title: "确认抽取", Description: "任务8",
		Options: []reply.Option{{Key: "yes", Text: "确认"}, {Key: "no", Text: "取消"}}, Hint: "（回复序号）"}}
	both := reply.Text("先回答问题").Then(card).Then(reply.Reply{Kind: reply.KindCardUpdate, Update: &reply.CardUpdate{ResponseCode: "x"}})
	if got := PlainText(both, false); got != "先回答问题\n\n确认抽取\n任务8\n1. 确认\n2. 取消\n（回复序号）" {
		t.Fatalf("sequence:\n%s", got)
	}
	f := reply.Reply{Kind: reply.KindFile, File: &reply.File{Name: "抽取结果.xlsx", Data: []byte("12345")}}
	if got := PlainText(f, false); got != "[文件] 抽取结果.xlsx（5 字节）" {
		t.Fatalf("file: %q", got)
	}
}
