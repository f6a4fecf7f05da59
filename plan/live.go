package plan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Upload is a plan file an admin loaded in chat, as a Store keeps it: the
// plan of its year from then on, overriding a configured plan file of the
// same year.
type Upload struct {
	Year int       `json:"year"`
	File string    `json:"file"` // file name as sent
	Hash string    `json:"hash"` // Hash of the file's bytes
	By   string    `json:"by"`   // userid of the admin who confirmed it
	At   time.Time `json:"at"`
}

// Errors of Store.Commit.
var (
	// ErrConflict: the year's plan changed since the preview.
	ErrConflict = errors.New("plan: the year's plan changed since the preview")
	// ErrExpired: the staged file is gone (its confirmation waited too long).
	ErrExpired = errors.New("plan: the staged file has expired")
)

// Store keeps uploaded plan files (store.Plans).
type Store interface {
	// Stage keeps a file's bytes by hash for at least ttl, so that its
	// preview can be confirmed; a file already loaded stays kept.
	Stage(ctx context.Context, hash string, data []byte, ttl time.Duration) error
	// Commit makes the staged file u.Hash the plan of u.Year, in one step,
	// if the year's current upload still has hash prev ("" for none);
	// ErrConflict or ErrExpired otherwise. It tells every replica.
	Commit(ctx context.Context, u Upload, prev string) error
	// Version changes whenever a plan is committed; it is cheap to read.
	Version(ctx context.Context) (int64, error)
	// Uploads returns every year's current upload and the version they
	// are of.
	Uploads(ctx context.Context) ([]Upload, int64, error)
	// File returns a kept file's bytes by hash; nil when it is not there.
	File(ctx context.Context, hash string) ([]byte, error)
}

// Entry is one year's plan in effect and where it came from.
type Entry struct {
	Plan *Plan
	File string // the configured path, or the uploaded file's name
	Hash string // Hash of the file's bytes
	// Upload is set when the plan was loaded in chat; nil for a configured
	// plan file.
	Upload *Upload
}

// Live keeps a Catalog equal to the configured plan files plus the plans
// loaded in chat (an uploaded plan overrides the configured one of its
// year). Questions read the catalog in-process; Refresh, run by Watch in
// the background and by the handler right after a commit, swaps it when the
// store's version has changed. It is safe for concurrent use.
type Live struct {
	cat   *Catalog
	base  []Entry
	store Store

	entries atomic.Pointer[[]Entry] // sorted by year

	mu      sync.Mutex // one refresh at a time; guards the fields below
	version int64
	synced  bool
	parsed  map[string]*Plan // uploaded plans by hash
}

// NewLive makes cat (which the answers, handlers and reminders read) show
// the configured plans base and, after Refresh, those loaded into st.
func NewLive(cat *Catalog, st Store, base ...Entry) (*Live, error) {
	if cat == nil || st == nil {
		return nil, errors.New("plan: Live needs a catalog and a store")
	}
	l := &Live{cat: cat, base: base, store: st, parsed: map[string]*Plan{}}
	if err := l.install(base); err != nil {
		return nil, err
	}
	return l, nil
}

// Catalog is the live catalog.
func (l *Live) Catalog() *Catalog { return l.cat }

// Entries lists the plans in effect, by year, with their origin.
func (l *Live) Entries() []Entry {
	if e := l.entries.Load(); e != nil {
		return slices.Clone(*e)
	}
	return nil
}

// Entry is the plan in effect for year.
func (l *Live) Entry(year int) (Entry, bool) {
	for _, e := range l.Entries() {
		if e.Plan.Year == year {
			return e, true
		}
	}
	return Entry{}, false
}

func (l *Live) install(entries []Entry) error {
	plans := make([]*Plan, len(entries))
	for i, e := range entries {
		plans[i] = e.Plan
	}
	if err := l.cat.Replace(plans...); err != nil {
		return err
	}
	sorted := slices.SortedFunc(slices.Values(entries), func(a, b Entry) int { return a.Plan.Year - b.Plan.Year })
	l.entries.Store(&sorted)
	return nil
}

// Refresh brings the catalog up to date with the store: one cheap version
// read when nothing changed. An uploaded file that no longer parses (or
// is missing) is left out, the configured plan of its year, if any, kept,
// and reported in the error; the others still take effect.
func (l *Live) Refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, err := l.store.Version(ctx)
	if err != nil {
		return fmt.Errorf("plan refresh: %w", err)
	}
	if l.synced && v == l.version {
		return nil
	}
	ups, v, err := l.store.Uploads(ctx)
	if err != nil {
		return fmt.Errorf("plan refresh: %w", err)
	}
	byYear := map[int]Entry{}
	for _, e := range l.base {
		byYear[e.Plan.Year] = e
	}
	var errs []error
	parsed := map[string]*Plan{}
	for _, u := range ups {
		p := l.parsed[u.Hash]
		if p == nil {
			data, err := l.store.File(ctx, u.Hash)
			if err != nil {
				return fmt.Errorf("plan refresh: %w", err)
			}
			if data == nil {
				errs = append(errs, fmt.Errorf("uploaded plan %d (%s, %s): file missing", u.Year, u.File, u.Hash))
				continue
			}
			if p, err = ParseFile(u.File, data); err != nil {
				errs = append(errs, fmt.Errorf("uploaded plan %d: %w", u.Year, err))
				continue
			}
		}
		if p.Year != u.Year {
			errs = append(errs, fmt.Errorf("uploaded plan %s is for %d, recorded as %d", u.File, p.Year, u.Year))
			continue
		}
		parsed[u.Hash] = p
		u := u
		byYear[u.Year] = Entry{Plan: p, File: u.File, Hash: u.Hash, Upload: &u}
	}
	entries := make([]Entry, 0, len(byYear))
	for _, e := range byYear {
		entries = append(entries, e)
	}
	if err := l.install(entries); err != nil {
		return fmt.Errorf("plan refresh: %w", err)
	}
	l.parsed, l.version, l.synced = parsed, v, true
	return errors.Join(errs...)
}

// Stage keeps a previewed file in the store until it is confirmed (see
// Store.Stage).
func (l *Live) Stage(ctx context.Context, hash string, data []byte, ttl time.Duration) error {
	return l.store.Stage(ctx, hash, data, ttl)
}

// Commit makes a previewed upload its year's plan (see Store.Commit). Call
// Refresh after it, so this replica answers from the new plan before the
// reply goes out; the others follow through Watch.
func (l *Live) Commit(ctx context.Context, u Upload, prev string) error {
	return l.store.Commit(ctx, u, prev)
}

// Watch refreshes the catalog whenever changed delivers (the store's
// notifications; nil: none) and every interval in any case, so a missed
// notification delays a replica by one interval at most. It returns when
// ctx ends. Refresh errors are logged.
func (l *Live) Watch(ctx context.Context, every time.Duration, changed <-chan struct{}, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case _, ok := <-changed:
			if !ok {
				changed = nil // notifications ended: the ticker alone
			}
		}
		if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "refreshing the loaded plans", "err", err)
		}
	}
}
