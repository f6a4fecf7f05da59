// Command choucha is 抽查助手, a WeCom bot for a market supervision bureau's
// annual 双随机、一公开 spot-check programme.
//
//	choucha ask [--now T] [--user ID] [--config FILE] "问题"   one question, answer on stdout
//	choucha chat [--now T] [--user ID] [--config FILE]         console, one message a line
//	choucha serve [--addr HOST:PORT] [--config FILE]            WeCom app (console without credentials)
//	choucha reminders --from D --to D [--dept NAME]            the reminder calendar, nothing sent
//	choucha outbox list|retry [ID|--all]                       dead letters of the outbox
//	choucha import entities|inspectors FILE                    replace a directory (名录)
//	choucha draw --task 8 --user ADMIN [--yes]                 draw an item; draw list; draw verify ID
//	choucha export draw --task 8 --format xlsx -o FILE         a draw for publication (or --layout internal)
//	choucha export findings --task 8 --format xlsx -o FILE     an item's check results (or --layout internal)
//	choucha audit export [-o FILE]                             the audit log
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks a command-line mistake: usage is printed, exit code 2.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"serve"}
	}
	cmds := map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) error{
		"ask":       cmdAsk,
		"chat":      cmdChat,
		"serve":     cmdServe,
		"reminders": cmdReminders,
		"outbox":    cmdOutbox,
		"import":    cmdImport,
		"draw":      cmdDraw,
		"export":    cmdExport,
		"audit":     cmdAudit,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err := cmd(ctx, args[1:], stdin, stdout, stderr); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(stderr, usage)
			return 2
		}
		fmt.Fprintf(stderr, "错误: %v\n", err)
		return 1
	}
	return 0
}

const usage = `抽查助手 choucha

  choucha ask [--now 2023-03-15[T09:00]] [--user ID] [--config FILE] "问题"
  choucha chat [--now ...] [--user ID] [--config FILE]
  choucha serve [--addr HOST:PORT] [--config FILE]
  choucha reminders --from 2023-01-01 --to 2023-12-31 [--dept 计量科] [--config FILE]
  choucha outbox list|retry [ID|--all] [--config FILE]
  choucha import entities|inspectors FILE [--user NAME] [--config FILE]
  choucha draw --task 8 --user ADMIN [--yes] [--year 2023] [--reason TEXT] [--now ...] [--config FILE]
  choucha draw list [--year 2023]
  choucha draw verify DRAW_ID
  choucha export draw --task 8 --format xlsx|csv -o FILE [--layout publication|internal] [--year 2023]
  choucha export findings --task 8 --format xlsx|csv -o FILE [--layout publication|internal] [--year 2023]
  choucha audit export [-o FILE] [--format csv|xlsx]
`
