package dialog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/store/keys"
)

// The flow under test: a single choice among three options, a multiple
// choice, and an optional free-text note.
var (
	kindOptions = []reply.Option{{Key: "site", Text: "实地检查"}, {Key: "doc", Text: "书面检查"}, {Key: "online", Text: "网络检查"}}
	itemOptions = []reply.Option{{Key: "license", Text: "营业执照"}, {Key: "price", Text: "价格公示"}, {Key: "meter", Text: "计量器具"}}
)

const (
	flowName     = "inspect"
	flowTTL      = 10 * time.Minute
	kindPrompt   = "请选择检查方式"
	itemsPrompt  = "请选择检查事项"
	notePrompt   = "请输入备注"
	maxNoteRunes = 200
)

// inspectFlow builds the flow; finished counts Finish calls.
func inspectFlow(name string, ttl time.Duration, finished *atomic.Int32) *dialog.Flow {
	return &dialog.Flow{
		Name: name, Title: "检查登记", First: "kind", TTL: ttl,
		Steps: []dialog.Step{
			{
				Name:    "kind",
				Prompt:  func(*dialog.State) string { return kindPrompt },
				Options: func(*dialog.State) []reply.Option { return kindOptions },
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					if len(in.Choice) != 1 {
						return "", fmt.Errorf("kind: the engine passed choice %q", in.Choice)
					}
					s.Set("kind", in.Choice[0])
					return "items", nil
				},
			},
			{
				Name:     "items",
				Multiple: true,
				Prompt:   func(*dialog.State) string { return itemsPrompt },
				Options:  func(*dialog.State) []reply.Option { return itemOptions },
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					if len(in.Choice) == 0 {
						return "", errors.New("items: the engine passed no choice")
					}
					s.Set("items", strings.Join(in.Choice, ","))
					return "note", nil
				},
			},
			{
				Name:     "note",
				Optional: true,
				Prompt:   func(*dialog.State) string { return notePrompt },
				Parse: func(_ context.Context, s *dialog.State, in dialog.Input) (string, error) {
					switch {
					case utf8.RuneCountInString(in.Text) > maxNoteRunes:
						return "", dialog.Invalid("备注最多 %d 字，请精简后重新发送。", maxNoteRunes)
					case in.Text != "" && !strings.ContainsFunc(in.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
						return "", dialog.Invalid("备注需要文字说明，不能只有表情或符号。")
					}
					s.Set("note", in.Text)
					return dialog.Done, nil
				},
			},
		},
		Finish: func(_ context.Context, s *dialog.State, _ dialog.Input) (reply.Reply, error) {
			finished.Add(1)
			note := s.Get("note")
			if note == "" {
				note = "（无备注）"
			}
			return reply.Text("已登记：" + s.Get("kind") + "/" + s.Get("items") + "/" + note), nil
		},
	}
}

// memStore is an in-memory dialog.Store with the same contract as the
// Redis one: states are copied through JSON, saves and deletes compare
// versions.
type memStore struct {
	mu   sync.Mutex
	m    map[string]memEntry
	ttls map[string]time.Duration // the last TTL each user's state was saved with
}

type memEntry struct {
	v    int64
	body []byte
}

func newMemStore() *memStore {
	return &memStore{m: map[string]memEntry{}, ttls: map[string]time.Duration{}}
}

func (m *memStore) Load(_ context.Context, user string) (*dialog.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[user]
	if !ok {
		return nil, nil
	}
	var s dialog.State
	if err := json.Unmarshal(e.body, &s); err != nil {
		return nil, err
	}
	s.Version = e.v
	return &s, nil
}

func (m *memStore) Save(_ context.Context, user string, s *dialog.State, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m[user].v != s.Version {
		return dialog.ErrConflict
	}
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	m.m[user] = memEntry{v: s.Version + 1, body: body}
	m.ttls[user] = ttl
	s.Version++
	return nil
}

func (m *memStore) Delete(_ context.Context, user string, version int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m[user].v != version {
		return dialog.ErrConflict
	}
	delete(m.m, user)
	return nil
}

// env is one user's dialog over one store.
type env struct {
	t        *testing.T
	engine   *dialog.Engine
	store    dialog.Store
	user     string
	finished *atomic.Int32
	seq      int
	now      time.Time
	// ttl is the time the user's state has left (PTTL on Redis; the TTL of
	// the last save in memory).
	ttl func() time.Duration
	// rdb and key are set on Redis.
	rdb *redis.Client
	key string
}

// forEachStore runs f on the in-memory store and on the Redis store.
func forEachStore(t *testing.T, f func(t *testing.T, newEnv func(t *testing.T) *env)) {
	t.Run("memory", func(t *testing.T) {
		f(t, func(t *testing.T) *env {
			m := newMemStore()
			e := newEnv(t, m, "u1")
			e.ttl = func() time.Duration {
				m.mu.Lock()
				defer m.mu.Unlock()
				if _, ok := m.m[e.user]; !ok {
					return -2 * time.Millisecond // as PTTL of a missing key
				}
				return m.ttls[e.user]
			}
			return e
		})
	})
	t.Run("redis", func(t *testing.T) {
		rdb := redistest.Start(t).Client(t)
		var n atomic.Int64
		f(t, func(t *testing.T) *env {
			prefix := fmt.Sprintf("t%d:", n.Add(1))
			e := newEnv(t, store.NewDialogs(rdb, prefix), "u1")
			e.rdb, e.key = rdb, keys.New(prefix).Dialog(e.user)
			e.ttl = func() time.Duration { return rdb.PTTL(context.Background(), e.key).Val() }
			return e
		})
	})
}

func newEnv(t *testing.T, st dialog.Store, user string) *env {
	t.Helper()
	e := &env{t: t, store: st, user: user, finished: &atomic.Int32{},
		now: time.Date(2023, 3, 15, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	var err error
	e.engine, err = dialog.New(st, 0, inspectFlow(flowName, flowTTL, e.finished))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// input is a new message: a fresh id, a later time.
func (e *env) input(text string) dialog.Input {
	e.seq++
	e.now = e.now.Add(time.Second)
	return dialog.Input{MsgID: fmt.Sprintf("m%d", e.seq), Text: text, Now: e.now, UserID: e.user}
}

func (e *env) start() reply.Reply {
	e.t.Helper()
	r, err := e.engine.Start(context.Background(), flowName, e.input("开始"), nil)
	if err != nil {
		e.t.Fatalf("Start: %v", err)
	}
	return r
}

// send applies in to the running dialog, loaded afresh as the handlers do.
func (e *env) send(in dialog.Input) (reply.Reply, dialog.Outcome) {
	e.t.Helper()
	s, err := e.engine.Active(context.Background(), e.user)
	if err != nil || s == nil {
		e.t.Fatalf("Active = %v, %v; want a running dialog", s, err)
	}
	r, o, err := e.engine.Continue(context.Background(), s, in)
	if err != nil {
		e.t.Fatalf("Continue(%q %q): %v", in.Text, in.Choice, err)
	}
	return r, o
}

func (e *env) say(text string) (reply.Reply, dialog.Outcome) {
	e.t.Helper()
	return e.send(e.input(text))
}

func (e *env) click(keys ...string) (reply.Reply, dialog.Outcome) {
	e.t.Helper()
	in := e.input("")
	in.Choice = keys
	return e.send(in)
}

// state is what the store holds for the user (nil: none).
func (e *env) state() *dialog.State {
	e.t.Helper()
	s, err := e.store.Load(context.Background(), e.user)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// at starts the dialog and answers until it is at step.
func (e *env) at(step string) {
	e.t.Helper()
	e.start()
	answers := map[string][]string{"kind": nil, "items": {"1"}, "note": {"1", "2"}}[step]
	for _, a := range answers {
		if _, o := e.say(a); o != dialog.Advanced {
			e.t.Fatalf("answer %q: outcome %v", a, o)
		}
	}
	if s := e.state(); s == nil || s.Step != step {
		e.t.Fatalf("at %s: state %+v", step, s)
	}
}

// show renders a reply as the console would: cards numbered.
func show(r reply.Reply) string {
	var parts []string
	for _, x := range r.Flatten() {
		if x.Card != nil {
			parts = append(parts, x.Card.Numbered())
		} else {
			parts = append(parts, x.Text)
		}
	}
	return strings.Join(parts, "\n\n")
}

// stepOf names the step a reply asks, checking the form of its prompt:
// the option steps as cards with their options, the note as text.
func stepOf(t *testing.T, r reply.Reply) string {
	t.Helper()
	switch {
	case r.Kind == reply.KindCard && strings.Contains(r.Card.Description, kindPrompt):
		if !reflect.DeepEqual(r.Card.Options, kindOptions) || r.Card.Multiple {
			t.Fatalf("kind card %+v", r.Card)
		}
		return "kind"
	case r.Kind == reply.KindCard && strings.Contains(r.Card.Description, itemsPrompt):
		if !reflect.DeepEqual(r.Card.Options, itemOptions) || !r.Card.Multiple {
			t.Fatalf("items card %+v", r.Card)
		}
		return "items"
	case r.Kind == reply.KindText && strings.Contains(r.Text, notePrompt):
		return "note"
	}
	return ""
}

func wantStep(t *testing.T, r reply.Reply, step string) {
	t.Helper()
	if got := stepOf(t, r); got != step {
		t.Fatalf("reply asks %q, want step %q:\n%s", got, step, show(r))
	}
}

func TestHappyPath(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		type answer struct {
			text   string
			choice []string
		}
		for _, c := range []struct {
			name    string
			answers [3]answer
			want    string
		}{
			{"typed numbers", [3]answer{{text: "2"}, {text: "1 3"}, {text: "现场已整改"}}, "已登记：doc/license,meter/现场已整改"},
			{"option text", [3]answer{{text: "网络检查"}, {text: "价格公示"}, {text: "跳过"}}, "已登记：online/price/（无备注）"},
			{"card keys", [3]answer{{choice: []string{"site"}}, {choice: []string{"meter", "license"}}, {text: "ok 1"}}, "已登记：site/meter,license/ok 1"},
			{"full-width digits and separators", [3]answer{{text: "３"}, {text: "３、１，2"}, {text: "无"}}, "已登记：online/meter,license,price/（无备注）"},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := newEnv(t)
				r := e.start()
				wantStep(t, r, "kind")
				if s := e.state(); s.Step != "kind" || len(s.Trail) != 0 || s.Flow != flowName || s.Version != 1 {
					t.Fatalf("after Start: %+v", s)
				}
				send := func(a answer) (reply.Reply, dialog.Outcome) {
					if a.choice != nil {
						return e.click(a.choice...)
					}
					return e.say(a.text)
				}
				for i, step := range []string{"items", "note"} {
					r, o := send(c.answers[i])
					if o != dialog.Advanced {
						t.Fatalf("answer %d: outcome %v: %s", i, o, show(r))
					}
					wantStep(t, r, step)
					s := e.state()
					if s.Step != step || len(s.Trail) != i+1 || s.Version != int64(i+2) {
						t.Fatalf("after answer %d: %+v", i, s)
					}
				}
				r, o := send(c.answers[2])
				if o != dialog.Advanced || r.Kind != reply.KindText || r.Text != c.want {
					t.Fatalf("Finish reply %+v (%v), want %q", r, o, c.want)
				}
				if s := e.state(); s != nil {
					t.Fatalf("state kept after Finish: %+v", s)
				}
				if e.rdb != nil && e.rdb.Exists(context.Background(), e.key).Val() != 0 {
					t.Fatalf("Redis key %s kept after Finish", e.key)
				}
				if n := e.finished.Load(); n != 1 {
					t.Fatalf("Finish ran %d times", n)
				}
				if s, err := e.engine.Active(context.Background(), e.user); s != nil || err != nil {
					t.Fatalf("Active after Finish = %+v, %v", s, err)
				}
			})
		}
	})
}

func TestCancelAtEveryStep(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		for _, step := range []string{"kind", "items", "note"} {
			for _, word := range []string{"取消", " 退出 ", "Cancel"} {
				t.Run(step+"/"+strings.TrimSpace(word), func(t *testing.T) {
					e := newEnv(t)
					e.at(step)
					r, o := e.say(word)
					if o != dialog.Advanced || r.Kind != reply.KindText || !strings.Contains(r.Text, "已取消") {
						t.Fatalf("%q at %s: %+v (%v)", word, step, r, o)
					}
					if s := e.state(); s != nil {
						t.Fatalf("state kept after cancel: %+v", s)
					}
					if e.finished.Load() != 0 {
						t.Fatal("cancel ran Finish")
					}
				})
			}
		}
	})
}

func TestBackAtEveryStep(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		t.Run("kind", func(t *testing.T) {
			e := newEnv(t)
			e.at("kind")
			before := e.state()
			r, o := e.say("上一步")
			if o != dialog.Rejected || !strings.Contains(show(r), "已经是第一步了") {
				t.Fatalf("back at the first step: %v %s", o, show(r))
			}
			wantStep(t, r, "kind")
			if after := e.state(); !reflect.DeepEqual(before, after) {
				t.Fatalf("state changed:\n%+v\n%+v", before, after)
			}
			if strings.Contains(show(r), "“上一步”返回修改") {
				t.Fatalf("the first step offers 上一步: %s", show(r))
			}
		})
		t.Run("items", func(t *testing.T) {
			e := newEnv(t)
			e.at("items")
			r, o := e.say("返回")
			if o != dialog.Advanced {
				t.Fatalf("outcome %v", o)
			}
			wantStep(t, r, "kind")
			if s := e.state(); s.Step != "kind" || len(s.Trail) != 0 {
				t.Fatalf("state %+v", s)
			}
			r, _ = e.say("3")
			wantStep(t, r, "items")
			if !strings.Contains(show(r), "“上一步”返回修改") {
				t.Fatalf("the second step does not offer 上一步: %s", show(r))
			}
		})
		t.Run("note", func(t *testing.T) {
			e := newEnv(t) // answered kind 1 (site), items 2 (price)
			e.at("note")
			r, o := e.say("上一步")
			wantStep(t, r, "items")
			if s := e.state(); o != dialog.Advanced || s.Step != "items" || !reflect.DeepEqual(s.Trail, []string{"kind"}) {
				t.Fatalf("back from note: %v %+v", o, s)
			}
			r, _ = e.say("back")
			wantStep(t, r, "kind")
			// Answer again, differently: the new answers count.
			e.say("2")
			e.say("1 3")
			r, o = e.say("改过了")
			if o != dialog.Advanced || r.Text != "已登记：doc/license,meter/改过了" {
				t.Fatalf("after going back: %+v", r)
			}
		})
	})
}

func TestSkipOnlyOnOptionalStep(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		for _, step := range []string{"kind", "items"} {
			t.Run(step, func(t *testing.T) {
				e := newEnv(t)
				e.at(step)
				before := e.state()
				if strings.Contains(show(e.engine.Prompt(before, "")), "跳过") {
					t.Fatalf("step %s offers 跳过", step)
				}
				for _, w := range []string{"跳过", "skip"} {
					r, o := e.say(w)
					if o != dialog.Rejected {
						t.Fatalf("%q on %s: outcome %v", w, step, o)
					}
					wantStep(t, r, step)
					if after := e.state(); !reflect.DeepEqual(before, after) {
						t.Fatalf("state changed:\n%+v\n%+v", before, after)
					}
				}
			})
		}
		t.Run("note", func(t *testing.T) {
			e := newEnv(t)
			e.at("note")
			if !strings.Contains(show(e.engine.Prompt(e.state(), "")), "跳过") {
				t.Fatal("the optional step does not offer 跳过")
			}
			r, o := e.say("跳过")
			if o != dialog.Advanced || r.Text != "已登记：site/price/（无备注）" || e.state() != nil {
				t.Fatalf("skip: %+v (%v)", r, o)
			}
		})
	})
}

func TestInvalidInputAtEveryStep(t *testing.T) {
	long := strings.Repeat("检", 10000)
	type tc struct {
		step   string
		text   string
		choice []string
		want   string // in the explanation
	}
	var cases []tc
	for _, in := range []struct{ text, want string }{
		{"随便说点什么", "请回复选项的序号（1-3）"},
		{"", "请回复选项的序号（1-3）"},
		{"   ", "请回复选项的序号（1-3）"},
		{long, "请回复选项的序号（1-3）"},
		{strings.Repeat("1", 10000), "请回复选项的序号（1-3）"},
		{"😀👍", "请回复选项的序号（1-3）"},
		{"0", "请回复选项的序号（1-3）"},
		{"4", "请回复选项的序号（1-3）"},
		{"-1", "请回复选项的序号（1-3）"},
		{"1.5", "请回复选项的序号（1-3）"},
	} {
		cases = append(cases, tc{step: "kind", text: in.text, want: in.want}, tc{step: "items", text: in.text, want: in.want})
	}
	cases = append(cases,
		tc{step: "kind", text: "1 2", want: "只能选一项"},
		tc{step: "kind", text: "1、3", want: "只能选一项"},
		tc{step: "kind", choice: []string{"gone"}, want: "已失效"},
		tc{step: "kind", choice: []string{"site", "doc"}, want: "只能选一项"},
		tc{step: "items", text: "1 4", want: "可多选"},
		tc{step: "items", choice: []string{"license", "gone"}, want: "已失效"},
		tc{step: "items", choice: []string{"site"}, want: "已失效"}, // a key of the previous step's card
		// The free-text step: nonsense and numbers are notes; these are not.
		tc{step: "note", text: "", want: "没有收到内容"},
		tc{step: "note", text: long, want: "最多 200 字"},
		tc{step: "note", text: "😀👍", want: "不能只有表情或符号"},
		tc{step: "note", choice: []string{"meter"}, want: "已失效"},
	)
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		for _, c := range cases {
			name := c.step + "/" + c.text
			if utf8.RuneCountInString(name) > 40 {
				name = string([]rune(name)[:40]) + "…"
			}
			if c.choice != nil {
				name = c.step + "/card:" + strings.Join(c.choice, ",")
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t)
				e.at(c.step)
				before := e.state()
				var r reply.Reply
				var o dialog.Outcome
				if c.choice != nil {
					r, o = e.click(c.choice...)
				} else {
					r, o = e.say(c.text)
				}
				if o != dialog.Rejected {
					t.Fatalf("outcome %v, want Rejected: %s", o, show(r))
				}
				wantStep(t, r, c.step)
				text := show(r)
				if !strings.Contains(text, c.want) {
					t.Fatalf("reply does not explain %q:\n%s", c.want, text)
				}
				if n := utf8.RuneCountInString(text); n > 500 {
					t.Fatalf("reply of %d runes (the input echoed?)", n)
				}
				if after := e.state(); !reflect.DeepEqual(before, after) {
					t.Fatalf("state changed:\n%+v\n%+v", before, after)
				}
				if e.finished.Load() != 0 {
					t.Fatal("an invalid answer finished the flow")
				}
				// The step still takes a valid answer.
				valid := map[string]string{"kind": "1", "items": "2", "note": "好"}[c.step]
				next := map[string]string{"kind": "items", "items": "note", "note": ""}[c.step]
				if r, o := e.say(valid); o != dialog.Advanced || (next != "" && stepOf(t, r) != next) {
					t.Fatalf("valid answer after the invalid one: %v %s", o, show(r))
				}
			})
		}
	})
}

func TestRepeatedMessageAdvancesOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		t.Run("answer", func(t *testing.T) {
			e := newEnv(t)
			e.at("kind")
			in := e.input("2")
			if _, o := e.send(in); o != dialog.Advanced {
				t.Fatalf("first delivery: %v", o)
			}
			after := e.state()
			r, o := e.send(in)
			if o != dialog.Repeated {
				t.Fatalf("second delivery: %v", o)
			}
			wantStep(t, r, "items")
			if s := e.state(); !reflect.DeepEqual(s, after) {
				t.Fatalf("the second delivery changed the state:\n%+v\n%+v", after, s)
			}
		})
		t.Run("card click", func(t *testing.T) {
			e := newEnv(t)
			e.at("items")
			in := e.input("")
			in.Choice = []string{"price"}
			e.send(in)
			after := e.state()
			if r, o := e.send(in); o != dialog.Repeated || stepOf(t, r) != "note" || !reflect.DeepEqual(e.state(), after) {
				t.Fatalf("second click: %v %s %+v", o, show(r), e.state())
			}
		})
		t.Run("back", func(t *testing.T) {
			e := newEnv(t)
			e.at("note")
			in := e.input("上一步")
			e.send(in)
			r, o := e.send(in) // would go back to kind if applied again
			if o != dialog.Repeated || e.state().Step != "items" {
				t.Fatalf("second 上一步: %v, step %s", o, e.state().Step)
			}
			wantStep(t, r, "items")
		})
		t.Run("the message that started the dialog", func(t *testing.T) {
			e := newEnv(t)
			in := e.input("开始检查")
			if _, err := e.engine.Start(context.Background(), flowName, in, nil); err != nil {
				t.Fatal(err)
			}
			before := e.state()
			r, o := e.send(in)
			if o != dialog.Repeated || !reflect.DeepEqual(e.state(), before) {
				t.Fatalf("start message applied as an answer: %v %+v", o, e.state())
			}
			wantStep(t, r, "kind")
		})
	})
}

// Two replicas load the same state and apply different messages at once:
// one saves, the other gets ErrConflict and changes nothing.
func TestConcurrentContinueConflict(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		for _, c := range []struct {
			step   string
			a, b   string
			check  func(t *testing.T, e *env, aWon bool)
			finish bool
		}{
			{step: "kind", a: "1", b: "2", check: func(t *testing.T, e *env, aWon bool) {
				s := e.state()
				want := map[bool]string{true: "site", false: "doc"}[aWon]
				if s.Step != "items" || s.Get("kind") != want || s.Version != 2 || !reflect.DeepEqual(s.Trail, []string{"kind"}) {
					t.Fatalf("state %+v, want items with kind %s", s, want)
				}
			}},
			{step: "items", a: "取消", b: "1", check: func(t *testing.T, e *env, aWon bool) {
				if s := e.state(); aWon != (s == nil) || (!aWon && s.Step != "note") {
					t.Fatalf("cancel won: %v; state %+v", aWon, s)
				}
			}},
			{step: "note", a: "甲", b: "乙", finish: true, check: func(t *testing.T, e *env, aWon bool) {
				if s := e.state(); s != nil {
					t.Fatalf("state %+v after Finish", s)
				}
			}},
			{step: "note", a: "上一步", b: "丙", check: func(t *testing.T, e *env, aWon bool) {
				if s := e.state(); aWon != (s != nil) || (aWon && s.Step != "items") {
					t.Fatalf("back won: %v; state %+v", aWon, s)
				}
			}},
		} {
			t.Run(c.step+"/"+c.a+"~"+c.b, func(t *testing.T) {
				for i := 0; i < 20; i++ {
					e := newEnv(t)
					e.at(c.step)
					ctx := context.Background()
					sa, _ := e.engine.Active(ctx, e.user)
					sb, _ := e.engine.Active(ctx, e.user)
					ina, inb := e.input(c.a), e.input(c.b)
					var ra, rb reply.Reply
					var erra, errb error
					var wg sync.WaitGroup
					gate := make(chan struct{})
					wg.Add(2)
					go func() { defer wg.Done(); <-gate; ra, _, erra = e.engine.Continue(ctx, sa, ina) }()
					go func() { defer wg.Done(); <-gate; rb, _, errb = e.engine.Continue(ctx, sb, inb) }()
					close(gate)
					wg.Wait()
					aWon := erra == nil
					switch {
					case erra == nil && errors.Is(errb, dialog.ErrConflict):
						if ra.IsZero() || !rb.IsZero() {
							t.Fatalf("replies %+v / %+v", ra, rb)
						}
					case errb == nil && errors.Is(erra, dialog.ErrConflict):
						if rb.IsZero() || !ra.IsZero() {
							t.Fatalf("replies %+v / %+v", ra, rb)
						}
					default:
						t.Fatalf("run %d: errors %v / %v, want exactly one ErrConflict", i, erra, errb)
					}
					c.check(t, e, aWon)
					if n := e.finished.Load(); c.finish && n != 1 {
						t.Fatalf("run %d: Finish ran %d times", i, n)
					}
				}
			})
		}
		// The loser always loses, whatever it does, when the winner is
		// already done: deterministic forms of the races above.
		for _, c := range []struct{ step, first, late string }{
			{"kind", "1", "2"},
			{"kind", "1", "取消"},
			{"items", "1", "上一步"},
			{"items", "取消", "1"},
			{"note", "甲", "乙"},
			{"note", "甲", "取消"},
			{"note", "上一步", "乙"},
		} {
			t.Run("late/"+c.step+"/"+c.first+"~"+c.late, func(t *testing.T) {
				e := newEnv(t)
				e.at(c.step)
				ctx := context.Background()
				stale, _ := e.engine.Active(ctx, e.user)
				e.say(c.first)
				after := e.state()
				finished := e.finished.Load()
				r, _, err := e.engine.Continue(ctx, stale, e.input(c.late))
				if !errors.Is(err, dialog.ErrConflict) {
					t.Fatalf("%q on a stale state: %+v, %v; want ErrConflict", c.late, r, err)
				}
				if s := e.state(); !reflect.DeepEqual(s, after) {
					t.Fatalf("the stale message changed the state:\n%+v\n%+v", after, s)
				}
				if e.finished.Load() != finished {
					t.Fatal("the stale message ran Finish")
				}
			})
		}
	})
}

func TestTTL(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		within := func(t *testing.T, e *env, want time.Duration) {
			t.Helper()
			if got := e.ttl(); got > want || got < want-5*time.Second {
				t.Fatalf("TTL %v, want %v", got, want)
			}
		}
		t.Run("flow TTL, refreshed by every answer", func(t *testing.T) {
			e := newEnv(t)
			e.start()
			within(t, e, flowTTL)
			if e.rdb != nil {
				e.rdb.PExpire(context.Background(), e.key, time.Minute)
			}
			e.say("1")
			within(t, e, flowTTL)
			e.say("上一步")
			within(t, e, flowTTL)
		})
		t.Run("engine TTL and default", func(t *testing.T) {
			for _, c := range []struct {
				engine, want time.Duration
			}{{45 * time.Minute, 45 * time.Minute}, {0, dialog.DefaultTTL}} {
				e := newEnv(t)
				var err error
				e.engine, err = dialog.New(e.store, c.engine, inspectFlow("plain", 0, e.finished))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.engine.Start(context.Background(), "plain", e.input("开始"), nil); err != nil {
					t.Fatal(err)
				}
				within(t, e, c.want)
				e.say("2")
				within(t, e, c.want)
			}
		})
		t.Run("expiry ends the dialog", func(t *testing.T) {
			e := newEnv(t)
			if e.rdb == nil {
				t.Skip("the in-memory store does not expire")
			}
			var err error
			e.engine, err = dialog.New(e.store, 0, inspectFlow("short", 100*time.Millisecond, e.finished))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.engine.Start(context.Background(), "short", e.input("开始"), nil); err != nil {
				t.Fatal(err)
			}
			time.Sleep(250 * time.Millisecond)
			if s, err := e.engine.Active(context.Background(), e.user); s != nil || err != nil {
				t.Fatalf("Active after the TTL = %+v, %v", s, err)
			}
		})
	})
}

func TestStartReplacesRunningDialog(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		e := newEnv(t)
		first := e.start()
		e.say("1")
		e.say("1 2")
		old := e.state()
		in := e.input("重新登记")
		r, err := e.engine.Start(context.Background(), flowName, in, map[string]string{"case": "C-7"})
		if err != nil {
			t.Fatal(err)
		}
		wantStep(t, r, "kind")
		if r.Card.TaskID == first.Card.TaskID {
			t.Fatalf("the new dialog's card reuses task id %s", r.Card.TaskID)
		}
		s := e.state()
		want := &dialog.State{Flow: flowName, Step: "kind", Data: map[string]string{"case": "C-7"},
			Version: old.Version + 1, LastMsg: in.MsgID, Started: s.Started, Updated: s.Updated}
		if !reflect.DeepEqual(s, want) || !s.Started.Equal(in.Now) {
			t.Fatalf("after the second Start:\n%+v\nwant\n%+v", s, want)
		}
		// The new dialog runs from its first step; the old answers are gone.
		e.say("3")
		e.say("2")
		if r, _ := e.say("跳过"); r.Text != "已登记：online/price/（无备注）" || e.finished.Load() != 1 {
			t.Fatalf("the replacing dialog finished with %+v", r)
		}
	})
}

// Every card the engine asks with on the way through a dialog (answers,
// 上一步, a restart) has its own task id: WeCom refuses a task id twice.
func TestCardTaskIDsUniquePerStepVisit(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		e := newEnv(t)
		seen := map[string]bool{}
		note := func(r reply.Reply) {
			t.Helper()
			if r.Card == nil {
				return
			}
			if seen[r.Card.TaskID] {
				t.Fatalf("task id %s sent twice", r.Card.TaskID)
			}
			seen[r.Card.TaskID] = true
		}
		note(e.start())
		for _, a := range []string{"1", "上一步", "2", "1", "上一步", "上一步", "3", "2 3"} {
			r, _ := e.say(a)
			note(r)
		}
		note(e.start())
		r, _ := e.say("1")
		note(r)
		if len(seen) != 9 {
			t.Fatalf("%d cards", len(seen))
		}
	})
}

// A card asked again after an answer it could not use gets a task id of its
// own (WeCom wants task ids unique per app), and its options keep working.
func TestRepromptedCardsGetFreshTaskIDs(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(*testing.T) *env) {
		e := newEnv(t)
		first := e.start()
		if first.Card == nil {
			t.Fatalf("the first step is not a card: %s", show(first))
		}
		seen := map[string]bool{first.Card.TaskID: true}
		for _, bad := range []string{"9", "abc", "9", "0"} {
			r, o := e.say(bad)
			if o != dialog.Rejected || r.Card == nil {
				t.Fatalf("%q: outcome %v, reply %s", bad, o, show(r))
			}
			if seen[r.Card.TaskID] {
				t.Fatalf("%q: task id %s sent before", bad, r.Card.TaskID)
			}
			seen[r.Card.TaskID] = true
		}
		if _, o := e.click(first.Card.Options[0].Key); o != dialog.Advanced {
			t.Fatalf("the first card's option after re-asks: outcome %v", o)
		}
	})
}
