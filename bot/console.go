package bot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
}

var consoleQuit = map[string]bool{"退出": true, "exit": true, "quit": true}

// RunConsole reads one message per line from in and writes the answers to
// out, through the same handler as the WeCom channel. Empty lines are
// ignored; "退出", "exit", "quit", EOF or ctx's end stop it (returning nil).
func RunConsole(ctx context.Context, in io.Reader, out io.Writer, h handlers.Handler, o ConsoleOptions) error {
	interactive := isTerminal(in)
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
	if interactive {
		fmt.Fprintln(out, "抽查助手（控制台）。输入问题后回车；输入“帮助”查看用法，输入“退出”结束。")
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
		rep, _ := Ask(ctx, h, text, now().In(zone(o.Location)), o.User)
		if rep.Text != "" {
			fmt.Fprintln(out, strings.TrimRight(rep.Text, "\n"))
		}
	}
}

// Ask runs one text message through h as the console user (the one-shot
// `ask` command). A handler error becomes its user-facing message in the
// reply and is also returned, so callers can set an exit status.
func Ask(ctx context.Context, h handlers.Handler, text string, now time.Time, user ConsoleUser) (reply.Reply, error) {
	if user.ID == "" {
		user.ID = "console"
	}
	req := &handlers.Request{
		Channel:  "console",
		UserID:   user.ID,
		Kind:     handlers.KindText,
		Text:     text,
		Now:      now,
		Sections: user.Sections,
		Admin:    user.Admin,
	}
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

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
