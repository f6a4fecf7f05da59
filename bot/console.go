package bot

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/reply"
)

// ConsoleUser is who the console speaks as.
type ConsoleUser struct {
	ID       string   // default "console"
	Sections []string // plan sections, as the WeCom directory would resolve them
	Admin    bool
}

// ConsoleOptions configures RunConsole.
type ConsoleOptions struct {
	User ConsoleUser
	// Interactive forces the prompt on or off; nil: on when in is a terminal.
	Interactive *bool
	Prompt      string           // default "> "
	Now         func() time.Time // default time.Now
	Location    *time.Location   // Request.Now's zone; default Asia/Shanghai
	// ANSI forces terminal emphasis on or off; nil: on when out is a terminal.
	ANSI *bool
}

var consoleQuit = map[string]bool{"退出": true, "exit": true, "quit": true}

// RunConsole reads one message per line from in and writes the answers to
// out, through the same handler as the WeCom channel. Empty lines are
// ignored; "退出", "exit", "quit", EOF or ctx's end stop it (returning nil).
func RunConsole(ctx context.Context, in io.Reader, out io.Writer, h handlers.Handler, o ConsoleOptions) error {
	interactive := IsTerminal(in)
	if o.Interactive != nil {
		interactive = *o.Interactive
	}
	if o.Prompt == "" {
		o.Prompt = "> "
	}
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
		close(lines)
	}()
	ansi := IsTerminal(out)
	if o.ANSI != nil {
		ansi = *o.ANSI
	}
	if interactive {
		fmt.Fprintln(out, "抽查助手（控制台）。输入问题后回车；输入“帮助”查看用法，输入“退出”结束。")
		fmt.Fprintln(out, "卡片按钮回复序号即可；“/点击 键”模拟点击按钮，“/图片 路径”“/文件 路径”模拟发送图片或文件。")
	}
	for {
		if interactive {
			fmt.Fprint(out, o.Prompt)
		}
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			if interactive {
				fmt.Fprintln(out)
			}
			return nil
		case line, ok = <-lines:
		}
		if !ok {
			if err := <-readErr; err != nil {
				return fmt.Errorf("console: read: %w", err)
			}
			return nil
		}
		text := strings.TrimSpace(line)
		if text == "" {
			continue
		}
		if consoleQuit[strings.ToLower(text)] {
			return nil
		}
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		req := ConsoleRequest(text, now().In(zone(o.Location)), o.User)
		req.MsgID = consoleMsgID()
		rep, _ := Handle(ctx, h, req)
		if s := PlainText(rep, ansi); s != "" {
			fmt.Fprintln(out, s)
		}
	}
}

// Ask runs one text message through h as the console user (the one-shot
// `ask` command). A handler error becomes its user-facing message in the
// reply and is also returned, so callers can set an exit status.
func Ask(ctx context.Context, h handlers.Handler, text string, now time.Time, user ConsoleUser) (reply.Reply, error) {
	req := ConsoleRequest(text, now, user)
	req.MsgID = consoleMsgID()
	return Handle(ctx, h, req)
}

// ConsoleRequest is the request a console line makes: a text, or the
// console's forms of what WeCom delivers otherwise — "/点击 KEY" (or
// "/click KEY") a card button, "/图片 PATH" ("/image") an image and
// "/文件 PATH" ("/file") a file, whose media id is the local path.
func ConsoleRequest(line string, now time.Time, user ConsoleUser) *handlers.Request {
	if user.ID == "" {
		user.ID = "console"
	}
	req := &handlers.Request{Channel: "console", UserID: user.ID, Kind: handlers.KindText, Text: line,
		Now: now, Sections: user.Sections, Admin: user.Admin}
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(cmd) {
	case "/点击", "/click":
		if arg != "" {
			req.Kind, req.Text, req.Event = handlers.KindEvent, "", handlers.EventCard
			req.Card = &handlers.CardEvent{Key: arg}
		}
	case "/图片", "/image", "/文件", "/file":
		if arg != "" {
			req.Kind, req.Text = handlers.KindImage, ""
			if cmd == "/文件" || strings.ToLower(cmd) == "/file" {
				req.Kind = handlers.KindFile
			}
			req.Media = &handlers.Media{ID: LocalMediaPrefix + arg, FileName: filepath.Base(arg)}
		}
	}
	return req
}

// consoleMsgID is a fresh id for a console message: the clock may be
// fixed (--now), so it is random.
func consoleMsgID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "console:" + hex.EncodeToString(b)
}

// LocalMediaPrefix marks a console media id: the rest is a local file path.
const LocalMediaPrefix = "local:"

// Handle runs req through h; a handler error becomes its user-facing
// message in the reply and is also returned.
func Handle(ctx context.Context, h handlers.Handler, req *handlers.Request) (reply.Reply, error) {
	rep, err := safeCall(ctx, h, req)
	if err != nil {
		return reply.Text(handlers.UserMessage(err)), err
	}
	return rep, nil
}

func safeCall(ctx context.Context, h handlers.Handler, req *handlers.Request) (rep reply.Reply, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	if h == nil {
		return reply.Reply{}, errors.New("no handler")
	}
	return h(ctx, req)
}

func zone(loc *time.Location) *time.Location {
	if loc != nil {
		return loc
	}
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.Local
}

// IsTerminal reports whether f (an *os.File) is a terminal: the console is
// interactive when its input is one, and uses ANSI emphasis when its output is.
func IsTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
