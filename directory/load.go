package directory

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Loaded is what Load imported.
type Loaded struct {
	Kind     string
	Meta     Meta
	Active   int       // entities with an active status (entities only)
	Warnings []Problem // avoidance entries naming no known entity (inspectors only)
}

// Load imports a directory file and makes it the current snapshot in st,
// recording who imported it and when. kind is KindEntities, KindInspectors
// or "" to tell from the file's header. On any problem nothing is saved
// and the error is an *ImportError naming every problem.
func Load(ctx context.Context, st Store, kind, name string, data []byte, opts Options, by string, at time.Time) (*Loaded, error) {
	if kind == "" {
		kind = detect(name, data, opts)
	}
	switch kind {
	case KindEntities:
		e, err := ImportEntities(name, data, opts)
		if err != nil {
			return nil, err
		}
		e.ImportedBy, e.ImportedAt = by, at
		if err := st.SaveEntities(ctx, e); err != nil {
			return nil, err
		}
		active := 0
		for i := range e.List {
			if e.List[i].Active() {
				active++
			}
		}
		return &Loaded{Kind: kind, Meta: e.Meta, Active: active}, nil
	case KindInspectors:
		ents, err := st.Entities(ctx)
		if err != nil {
			return nil, err
		}
		in, warnings, err := ImportInspectors(name, data, opts, ents)
		if err != nil {
			return nil, err
		}
		in.ImportedBy, in.ImportedAt = by, at
		if err := st.SaveInspectors(ctx, in); err != nil {
			return nil, err
		}
		return &Loaded{Kind: kind, Meta: in.Meta, Warnings: warnings}, nil
	}
	return nil, errors.New("directory: unknown kind " + kind)
}

// detect tells which directory a file holds by which importer finds fewer
// of its required header columns missing (entities on a tie).
func detect(name string, data []byte, opts Options) string {
	missing := func(err error) int {
		var ie *ImportError
		if !errors.As(err, &ie) {
			return 0
		}
		n := 0
		for _, p := range ie.Problems {
			if strings.HasPrefix(p.Message, "表头中缺少此列") || strings.Contains(p.Message, "表头") {
				n++
			}
		}
		return n
	}
	_, eErr := ImportEntities(name, data, opts)
	if eErr == nil {
		return KindEntities
	}
	_, _, iErr := ImportInspectors(name, data, opts, nil)
	if iErr == nil || missing(iErr) < missing(eErr) {
		return KindInspectors
	}
	return KindEntities
}
