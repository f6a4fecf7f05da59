package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/department"
	"github.com/changzhi-amr/choucha/dialog"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// Match says which requests a route takes. Set exactly one field. Text
// matches (Exact, Prefix, Regexp) see the message after question.Normalize
// and only apply to text messages.
type Match struct {
	Exact  []string       // whole normalised message equals one of these
	Prefix string         // normalised message starts with this
	Regexp *regexp.Regexp // normalised message matches
	// Func decides from the request and its parsed question (q is the zero
	// Query for non-text messages).
	Func func(req *Request, q *question.Query) bool
	Any  bool // the fallback: takes everything; must be last
}

func (m Match) kinds() int {
	n := 0
	for _, set := range []bool{len(m.Exact) > 0, m.Prefix != "", m.Regexp != nil, m.Func != nil, m.Any} {
		if set {
			n++
		}
	}
	return n
}

// Route is one entry of the ordered route table.
type Route struct {
	Name    string
	Match   Match
	Handler Handler
}

// Router dispatches a request to the first matching route of its table.
type Router struct {
	routes  []Route
	exact   map[string]int // normalised exact text -> route index
	handler []Handler      // routes' handlers wrapped in middleware
	log     *slog.Logger
	parser  *question.Parser
	conv    Handler // the conversation seam with its middleware; nil: none
	draws   *draws  // nil without Deps.Draw
}

// Resume finishes work a crash interrupted: inspectors not yet told of a
// saved draw are told (idempotent through the outbox). serve calls it at
// start.
func (r *Router) Resume(ctx context.Context, now time.Time) error {
	if r.draws == nil {
		return nil
	}
	return r.draws.NotifyPending(ctx, now)
}

// NewRouter builds the bot's router from the route table Routes(deps), with
// panic recovery, error translation and logging around every route, and
// deps.Middleware outside those.
func NewRouter(deps Deps) (*Router, error) {
	deps = deps.withDefaults()
	var dr *draws
	if deps.Draw != nil && deps.DialogStore != nil {
		dr = &draws{DrawDeps: *deps.Draw, plans: deps.Plans, units: deps.Units, log: deps.Logger}
		if deps.Live != nil {
			dr.uploads = &planUploads{d: dr, live: deps.Live}
		}
	}
	var fx *findings
	if dr != nil && deps.Findings != nil {
		fx = newFindings(*deps.Findings, dr, deps.Logger)
	}
	if deps.DialogStore != nil && deps.Conversations == nil {
		var flows []*dialog.Flow
		if dr != nil {
			flows = append(flows, dr.flow())
		}
		if dr != nil && dr.uploads != nil {
			flows = append(flows, dr.uploads.flow())
		}
		if fx != nil {
			flows = append(append(flows, fx.flow()), fx.cosignFlows()...)
		}
		eng, err := dialog.New(deps.DialogStore, deps.DialogTTL, flows...)
		if err != nil {
			return nil, err
		}
		if deps.DraftKeep >= 0 {
			eng.KeepDrafts(deps.DraftKeep)
		}
		dl := &Dialogs{Engine: eng, Parser: question.NewParser(deps.Units)}
		deps.Conversations = dl
		if dr != nil {
			dr.dialogs = dl
		}
		if fx != nil {
			fx.dialogs = dl
		}
	}
	r, err := newRouter(table(deps, dr, fx), deps.Logger, deps.Tally, deps.Middleware...)
	if err != nil {
		return nil, err
	}
	r.draws = dr
	r.parser = question.NewParser(deps.Units)
	if c := deps.Conversations; c != nil {
		var h Handler = func(ctx context.Context, req *Request) (reply.Reply, error) {
			start := time.Now()
			rep, handled, err := c.Continue(ctx, req, r.route)
			if !handled && err == nil {
				return r.route(ctx, req) // counted by its route
			}
			deps.Tally.add("dialog", time.Since(start), err)
			return rep, err
		}
		h = Logging(deps.Logger, "dialog")(Errors(deps.Logger, "dialog")(Recover(deps.Logger, "dialog")(h)))
		for k := len(deps.Middleware) - 1; k >= 0; k-- {
			h = deps.Middleware[k](h)
		}
		r.conv = h
	}
	return r, nil
}

// New builds a router from an ordered table. It fails on an empty or
// duplicate route name, a duplicate exact text (after normalisation, across
// all routes), a route without a handler or with zero or several match
// kinds, and a route placed after the fallback; it never silently replaces.
// mws wrap every route, the first outermost.
func New(routes []Route, log *slog.Logger, mws ...Middleware) (*Router, error) {
	return newRouter(routes, log, nil, mws...)
}

// newRouter is New with a Tally counting the handled requests (nil: none).
func newRouter(routes []Route, log *slog.Logger, tally *Tally, mws ...Middleware) (*Router, error) {
	if log == nil {
		log = slog.Default()
	}
	r := &Router{exact: map[string]int{}, log: log, parser: question.NewParser(department.Default())}
	names := map[string]bool{}
	for i, rt := range routes {
		switch {
		case rt.Name == "":
			return nil, fmt.Errorf("route %d: empty name", i)
		case names[rt.Name]:
			return nil, fmt.Errorf("route %d: duplicate route name %q", i, rt.Name)
		case rt.Handler == nil:
			return nil, fmt.Errorf("route %q: no handler", rt.Name)
		case rt.Match.kinds() != 1:
			return nil, fmt.Errorf("route %q: set exactly one of Exact, Prefix, Regexp, Func, Any (have %d)", rt.Name, rt.Match.kinds())
		case i > 0 && routes[i-1].Match.Any:
			return nil, fmt.Errorf("route %q: placed after the fallback %q, it could never match", rt.Name, routes[i-1].Name)
		}
		names[rt.Name] = true
		for _, text := range rt.Match.Exact {
			n := question.Normalize(text)
			if n == "" {
				return nil, fmt.Errorf("route %q: exact text %q is empty after normalisation", rt.Name, text)
			}
			if j, dup := r.exact[n]; dup {
				return nil, fmt.Errorf("route %q: exact text %q already registered by route %q", rt.Name, text, routes[j].Name)
			}
			r.exact[n] = i
		}
		if p := rt.Match.Prefix; p != "" && question.Normalize(p) != p {
			return nil, fmt.Errorf("route %q: prefix %q is not normalised (want %q)", rt.Name, p, question.Normalize(p))
		}
		h := logging(log, rt.Name, tally)(Errors(log, rt.Name)(Recover(log, rt.Name)(rt.Handler)))
		for k := len(mws) - 1; k >= 0; k-- {
			h = mws[k](h)
		}
		r.routes = append(r.routes, rt)
		r.handler = append(r.handler, h)
	}
	return r, nil
}

// Routes returns the names of the routes in order.
func (r *Router) Routes() []string {
	names := make([]string, len(r.routes))
	for i, rt := range r.routes {
		names[i] = rt.Name
	}
	return names
}

type queryKey struct{}

// QueryFrom returns the question the router parsed for this request.
func QueryFrom(ctx context.Context) (question.Query, bool) {
	q, ok := ctx.Value(queryKey{}).(question.Query)
	return q, ok
}

// Handle answers req: the user's running conversation first (see
// Conversations), else the first matching route. A user's mistake is never
// a Go error: it is a polite reply. With no matching route (only possible
// in a table without fallback) the reply is empty.
func (r *Router) Handle(ctx context.Context, req *Request) (reply.Reply, error) {
	if req == nil {
		return reply.Reply{}, errors.New("handlers: nil request")
	}
	if r.conv != nil {
		return r.conv(ctx, req)
	}
	return r.route(ctx, req)
}

// route answers req with the first matching route.
func (r *Router) route(ctx context.Context, req *Request) (reply.Reply, error) {
	var q question.Query
	var norm string
	if req.Kind == KindText || req.Kind == "" {
		q = r.parser.Parse(req.Text)
		norm = q.Norm
	}
	ctx = context.WithValue(ctx, queryKey{}, q)
	i, ok := r.match(req, &q, norm)
	if !ok {
		r.log.DebugContext(ctx, "no route", "user", req.UserID, "kind", req.Kind)
		return reply.Reply{}, nil
	}
	return r.handler[i](ctx, req)
}

func (r *Router) match(req *Request, q *question.Query, norm string) (int, bool) {
	isText := req.Kind == KindText || req.Kind == ""
	exact := -1
	if isText {
		if i, ok := r.exact[norm]; ok {
			exact = i
		}
	}
	for i, rt := range r.routes {
		m := rt.Match
		switch {
		case len(m.Exact) > 0:
			if exact == i {
				return i, true
			}
		case m.Prefix != "":
			if isText && strings.HasPrefix(norm, m.Prefix) {
				return i, true
			}
		case m.Regexp != nil:
			if isText && m.Regexp.MatchString(norm) {
				return i, true
			}
		case m.Func != nil:
			if m.Func(req, q) {
				return i, true
			}
		case m.Any:
			return i, true
		}
	}
	return 0, false
}
