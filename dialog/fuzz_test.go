package dialog_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
)

// FuzzDialogInput drives the flow with arbitrary messages, one a line:
// text, "!k1,k2" a card click with those keys, "#" the previous message
// again (a platform retry), "@" a file. At every step, over the Redis
// store: no error and no panic, a reply that says something, the stored
// state is a step of the flow with a trail of its steps, its version
// moves only when the dialog moves, a repeated message changes nothing,
// and Finish runs at most once per dialog, only after every step.
func FuzzDialogInput(f *testing.F) {
	for _, s := range []string{
		"1\n1 3\n跳过",
		"!site\n!license,meter\n备注",
		"2\n上一步\n3\n1\n#\n取消",
		"!nope\n4\n1 2\n\n😀\n" + strings.Repeat("长", 201) + "\n好",
		"1\n!site\n1,2,2\n@\n跳过\n#",
		"实地检查\n营业执照\n返回\n返回\n返回\nCANCEL",
		"１\n１、３\n ok ",
	} {
		f.Add(s)
	}
	rdb := redistest.Start(f).Client(f)
	var users atomic.Int64
	f.Fuzz(func(t *testing.T, script string) {
		lines := strings.Split(script, "\n")
		if len(lines) > 40 {
			lines = lines[:40]
		}
		ctx := context.Background()
		st := store.NewDialogs(rdb, "fz:")
		e := newEnv(t, st, fmt.Sprintf("u%d", users.Add(1)))
		steps := []string{"kind", "items", "note"}
		e.start()
		var last dialog.Input
		for _, line := range lines {
			before := e.state()
			if before == nil {
				e.start()
				before = e.state()
			}
			in := e.input(line)
			switch {
			case line == "#" && last.MsgID != "":
				in = last
			case strings.HasPrefix(line, "!"):
				in.Text, in.Choice = "", strings.Split(line[1:], ",")
			case line == "@":
				in.Text, in.MediaID, in.MediaKind, in.FileName = "", "media1", "file", "a.csv"
			}
			finishedBefore := e.finished.Load()
			s, err := e.engine.Active(ctx, e.user)
			if err != nil || s == nil {
				t.Fatalf("Active = %v, %v", s, err)
			}
			rep, outcome, err := e.engine.Continue(ctx, s, in)
			if err != nil {
				t.Fatalf("%q: Continue: %v", line, err)
			}
			if strings.TrimSpace(show(rep)) == "" {
				t.Fatalf("%q: empty reply", line)
			}
			after := e.state()
			finished := e.finished.Load() - finishedBefore
			switch {
			case finished > 1:
				t.Fatalf("%q: Finish ran %d times", line, finished)
			case finished == 1 && (before.Step != "note" || !strings.HasPrefix(rep.Text, "已登记：") || after != nil):
				t.Fatalf("%q: finished from step %q with reply %q, state %+v", line, before.Step, rep.Text, after)
			}
			switch outcome {
			case dialog.Repeated, dialog.Rejected, dialog.Refused:
				if after == nil || after.Version != before.Version || after.Step != before.Step || finished != 0 {
					t.Fatalf("%q: outcome %v changed the state %+v → %+v", line, outcome, before, after)
				}
				if outcome == dialog.Repeated && in.MsgID != before.LastMsg {
					t.Fatalf("%q: a new message taken as repeated", line)
				}
			case dialog.Advanced:
				if after != nil && (after.Version <= before.Version || after.LastMsg != in.MsgID) {
					t.Fatalf("%q: advanced without saving: %+v → %+v", line, before, after)
				}
			default:
				t.Fatalf("%q: outcome %v", line, outcome)
			}
			if after != nil {
				if after.Flow != flowName || !slices.Contains(steps, after.Step) {
					t.Fatalf("%q: state %+v", line, after)
				}
				for _, step := range after.Trail {
					if !slices.Contains(steps, step) {
						t.Fatalf("%q: trail %v", line, after.Trail)
					}
				}
				if after.Step == "note" && (after.Get("kind") == "" || after.Get("items") == "") {
					t.Fatalf("%q: at the note without earlier answers: %+v", line, after.Data)
				}
				if rep.Kind == reply.KindCard && rep.Card.TaskID == "" {
					t.Fatalf("%q: card without task id", line)
				}
			}
			last = in
		}
	})
}
