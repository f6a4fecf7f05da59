package handlers

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
)

// recSender records every Send: how often each message id was sent and the
// last message with that id. It is not idempotent itself, so a test sees
// a message sent twice.
type recSender struct {
	mu    sync.Mutex
	calls map[string]int
	msgs  map[string]reply.Message
	order []string
	fail  func(msg reply.Message) error // non-nil: fails the sends it returns an error for
}

func newRecSender() *recSender {
	return &recSender{calls: map[string]int{}, msgs: map[string]reply.Message{}}
}

func (s *recSender) Send(_ context.Context, msg reply.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(msg); err != nil {
			return err
		}
	}
	s.calls[msg.ID]++
	s.msgs[msg.ID] = msg
	s.order = append(s.order, msg.ID)
	return nil
}

// sent returns the number of Send calls in all and per id.
func (s *recSender) sent() (int, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order), copyCounts(s.calls)
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *recSender) message(id string) (reply.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	return m, ok
}

// ids lists the ids sent with prefix, sorted.
func (s *recSender) ids(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.calls {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (s *recSender) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls, s.msgs, s.order = map[string]int{}, map[string]reply.Message{}, nil
}

// Users of the draw tests.
const (
	admin1   = "admin1"
	admin2   = "admin2"
	outsider = "zhangsan" // neither admin nor inspector
)

// drawEnv is one Redis with the real stores, the seed plan and the seed
// directories, and routers built over them like app.router.
type drawEnv struct {
	t       *testing.T
	rdb     *redis.Client
	prefix  string
	plans   *plan.Catalog
	live    *plan.Live // nil: no plan files in chat
	dirs    *store.Directories
	draws   *store.Draws
	audit   *store.Audit
	sender  *recSender
	media   MediaFetcher
	maxFile int64 // DrawDeps.MaxFileBytes
	router  *Router
	clock   time.Time // advanced by each request
	mu      sync.Mutex
	msgSeq  int
	seedSeq byte
}

// newDrawEnv starts a private Redis, imports the seed directories and
// builds a router.
func newDrawEnv(t *testing.T) *drawEnv {
	t.Helper()
	rdb := redistest.Start(t).Client(t)
	e := &drawEnv{t: t, rdb: rdb, prefix: "dt:", plans: seedCatalog(t), sender: newRecSender(),
		clock: time.Date(2023, 3, 15, 9, 0, 0, 0, shanghai)}
	e.dirs = store.NewDirectories(rdb, e.prefix)
	e.draws = store.NewDraws(rdb, e.prefix)
	e.audit = store.NewAudit(rdb, e.prefix)
	e.importFile("../seeds/entities.csv", directory.KindEntities)
	e.importFile("../seeds/inspectors.csv", directory.KindInspectors)
	e.router = e.newRouter()
	return e
}

func (e *drawEnv) importOptions() directory.Options {
	p := e.plans.Current(e.clock)
	return directory.Options{Units: department.Default(), KnownItem: func(id string) bool { _, ok := p.Item(id); return ok }}
}

// importFile imports a directory file as app.seedDirectories does.
func (e *drawEnv) importFile(path, kind string) {
	e.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.importData(path, kind, data)
}

func (e *drawEnv) importData(name, kind string, data []byte) *directory.Loaded {
	e.t.Helper()
	l, err := directory.Load(context.Background(), e.dirs, kind, name, data, e.importOptions(), "config", e.clock)
	if err != nil {
		e.t.Fatalf("import %s: %v", name, err)
	}
	return l
}

// newRouter builds a router over e's Redis as app.router does: another
// replica, or the bot after a restart.
func (e *drawEnv) newRouter() *Router {
	e.t.Helper()
	return e.routerOver(e.plans, e.live)
}

// routerOver is newRouter over other plans: a replica with its own catalog.
func (e *drawEnv) routerOver(plans *plan.Catalog, live *plan.Live) *Router {
	e.t.Helper()
	r, err := NewRouter(Deps{
		Plans:       plans,
		Live:        live,
		Logger:      discardLogger,
		DialogStore: store.NewDialogs(e.rdb, e.prefix),
		Draw: &DrawDeps{
			Directories:  store.NewDirectories(e.rdb, e.prefix),
			Draws:        store.NewDraws(e.rdb, e.prefix),
			Audit:        store.NewAudit(e.rdb, e.prefix),
			Sender:       e.sender,
			Params:       draw.DefaultParams(),
			ConfirmTTL:   10 * time.Minute,
			Media:        e.media,
			MaxFileBytes: e.maxFile,
			NewSeed:      e.nextSeed,
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// nextSeed is a deterministic seed per draw.
func (e *drawEnv) nextSeed() (draw.Seed, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seedSeq++
	var s draw.Seed
	for i := range s {
		s[i] = e.seedSeq + byte(i)
	}
	return s, nil
}

// request is a text request from user at the next minute of e's clock.
func (e *drawEnv) request(user, text string) *Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msgSeq++
	e.clock = e.clock.Add(time.Minute)
	return &Request{Channel: "test", UserID: user, MsgID: fmt.Sprintf("m%d", e.msgSeq), Kind: KindText, Text: text,
		Now: e.clock, Admin: user == admin1 || user == admin2}
}

// say sends text as user through r (nil: e.router) and returns the reply.
func (e *drawEnv) say(r *Router, user, text string) reply.Reply {
	e.t.Helper()
	if r == nil {
		r = e.router
	}
	rep, err := r.Handle(context.Background(), e.request(user, text))
	if err != nil {
		e.t.Fatalf("%s %q: %v", user, text, err)
	}
	return rep
}

// all is the text of every part of rep (a card as its numbered form).
func all(rep reply.Reply) string {
	var parts []string
	for _, p := range rep.Flatten() {
		switch {
		case p.Card != nil:
			parts = append(parts, p.Card.Numbered())
		case p.Update != nil:
			parts = append(parts, "[card update "+p.Update.ResponseCode+"]")
		default:
			parts = append(parts, p.Text)
		}
	}
	return strings.Join(parts, "\n---\n")
}

// cardOf returns the card among rep's parts, or nil.
func cardOf(rep reply.Reply) *reply.Card {
	for _, p := range rep.Flatten() {
		if p.Kind == reply.KindCard {
			return p.Card
		}
	}
	return nil
}

// auditEntries lists the audit log.
func (e *drawEnv) auditEntries() []audit.Entry {
	e.t.Helper()
	es, err := e.audit.All(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// lastAudit is the latest entry.
func (e *drawEnv) lastAudit() audit.Entry {
	e.t.Helper()
	es := e.auditEntries()
	if len(es) == 0 {
		e.t.Fatal("audit log is empty")
	}
	return es[len(es)-1]
}

// current is the item's current draw of 2023.
func (e *drawEnv) current(item string) *draw.Record {
	e.t.Helper()
	rec, err := e.draws.Current(context.Background(), 2023, item)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}

// records lists the 2023 draws.
func (e *drawEnv) records() []*draw.Record {
	e.t.Helper()
	recs, err := e.draws.List(context.Background(), 2023)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// inspectorName is the inspector's name in the current directory.
func (e *drawEnv) inspectorName(userid string) string {
	e.t.Helper()
	in, err := e.dirs.Inspectors(context.Background())
	if err != nil || in == nil {
		e.t.Fatalf("inspectors: %v", err)
	}
	for _, x := range in.List {
		if x.UserID == userid {
			return x.Name
		}
	}
	return ""
}

// assigned maps each inspector of rec to the credit codes they check.
func assigned(rec *draw.Record) map[string][]string {
	out := map[string][]string{}
	for _, g := range rec.Result.Groups {
		for _, d := range g.Entities {
			for _, u := range d.Inspectors {
				out[u] = append(out[u], d.CreditCode)
			}
		}
	}
	return out
}

// drawn lists rec's drawn entities.
func drawn(rec *draw.Record) []draw.Drawn {
	var out []draw.Drawn
	for _, g := range rec.Result.Groups {
		out = append(out, g.Entities...)
	}
	return out
}
