package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/changzhi-amr/choucha/wecomapi"
	"github.com/redis/go-redis/v9"
)

// UserGetter reads one member from the address book. The WeCom API client
// (package wecomapi) implements it against user/get; an unknown userid is
// an error wrapping wecomapi.ErrUserNotFound, which the address book caches
// as "no departments" like any other answer.
type UserGetter interface {
	GetUser(ctx context.Context, userid string) (wecomapi.User, error)
}

// AddressBookOptions configures a AddressBook.
type AddressBookOptions struct {
	Users  UserGetter
	Redis  redis.UniversalClient
	Prefix string        // key prefix, e.g. "choucha:"; keys are Prefix+"wecom:user:"+userid
	TTL    time.Duration // how long an answer is fresh; default 1h
	// Departments maps WeCom department ids to plan section names
	// (config.WeCom.Departments).
	Departments map[int]string
	// MemoTTL: answers are also kept in process this long, saving the Redis
	// round trip on every message (a change_contact event seen by another
	// replica reaches this one after at most MemoTTL). Default 1m; negative
	// disables.
	MemoTTL time.Duration
	Logger  *slog.Logger
	Now     func() time.Time
}

// AddressBook resolves a userid to the plan sections the user belongs to,
// through the address book, cached in Redis. A failing address book never
// fails an answer: a stale cached entry is used, or no sections.
type AddressBook struct {
	o AddressBookOptions

	mu   sync.Mutex
	memo map[string]memoUser
}

type memoUser struct {
	user wecomapi.User
	ok   bool
	at   time.Time
}

// maxMemo bounds the in-process memo; when full it starts over.
const maxMemo = 50000

// cachedUser is the Redis value: the user and when it was fetched. The key
// lives for staleFactor×TTL so a stale copy survives an API outage.
type cachedUser struct {
	User      wecomapi.User `json:"user"`
	FetchedAt time.Time     `json:"fetched_at"`
}

const staleFactor = 7

// NewAddressBook builds a AddressBook.
func NewAddressBook(o AddressBookOptions) (*AddressBook, error) {
	if o.Users == nil {
		return nil, errors.New("bot: AddressBookOptions.Users is nil")
	}
	if o.Redis == nil {
		return nil, errors.New("bot: AddressBookOptions.Redis is nil")
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MemoTTL == 0 {
		o.MemoTTL = time.Minute
	}
	return &AddressBook{o: o, memo: map[string]memoUser{}}, nil
}

func (d *AddressBook) key(userid string) string { return keys.New(d.o.Prefix).User(userid) }

// User returns the member, from the cache when fresh, else from the address
// book; on an address-book failure the stale cached copy if any. ok is false
// when nothing is known.
func (d *AddressBook) User(ctx context.Context, userid string) (wecomapi.User, bool) {
	now := d.o.Now()
	if d.o.MemoTTL > 0 {
		d.mu.Lock()
		e, hit := d.memo[userid]
		d.mu.Unlock()
		if hit && now.Sub(e.at) < d.o.MemoTTL && now.Sub(e.at) >= 0 {
			return e.user, e.ok
		}
	}
	u, ok := d.lookup(ctx, userid)
	if d.o.MemoTTL > 0 {
		d.mu.Lock()
		if len(d.memo) >= maxMemo {
			d.memo = map[string]memoUser{}
		}
		d.memo[userid] = memoUser{user: u, ok: ok, at: now}
		d.mu.Unlock()
	}
	return u, ok
}

// lookup reads the Redis cache, then the address book.
func (d *AddressBook) lookup(ctx context.Context, userid string) (u wecomapi.User, ok bool) {
	var cached *cachedUser
	raw, err := d.o.Redis.Get(ctx, d.key(userid)).Bytes()
	switch {
	case err == nil:
		var c cachedUser
		if jerr := json.Unmarshal(raw, &c); jerr == nil {
			cached = &c
			if d.o.Now().Sub(c.FetchedAt) < d.o.TTL {
				return c.User, true
			}
		} else {
			d.o.Logger.Warn("directory: bad cache entry, refetching", "userid", userid, "err", jerr)
		}
	case errors.Is(err, redis.Nil):
	default:
		d.o.Logger.Warn("directory: cache read failed", "userid", userid, "err", err)
	}

	fresh, err := d.o.Users.GetUser(ctx, userid)
	if err != nil && !errors.Is(err, wecomapi.ErrUserNotFound) {
		if cached != nil {
			d.o.Logger.Warn("directory: user/get failed, using stale cache", "userid", userid, "err", err)
			return cached.User, true
		}
		d.o.Logger.Error("directory: user/get failed, no sections", "userid", userid, "err", err)
		return wecomapi.User{UserID: userid}, false
	}
	if err != nil { // not found: remember that too
		fresh = wecomapi.User{UserID: userid}
	}
	b, jerr := json.Marshal(cachedUser{User: fresh, FetchedAt: d.o.Now()})
	if jerr == nil {
		if serr := d.o.Redis.Set(ctx, d.key(userid), b, staleFactor*d.o.TTL).Err(); serr != nil {
			d.o.Logger.Warn("directory: cache write failed", "userid", userid, "err", serr)
		}
	}
	return fresh, true
}

// Sections returns the plan section names of the user's departments, sorted
// and without duplicates; departments missing from the mapping are skipped.
func (d *AddressBook) Sections(ctx context.Context, userid string) []string {
	u, ok := d.User(ctx, userid)
	if !ok {
		return nil
	}
	return MapSections(u.Departments, d.o.Departments)
}

// Leader reports whether the address book marks the user as a leader of
// one of their departments (is_leader_in_dept): a department head.
func (d *AddressBook) Leader(ctx context.Context, userid string) bool {
	u, ok := d.User(ctx, userid)
	if !ok {
		return false
	}
	for _, l := range u.IsLeader {
		if l == 1 {
			return true
		}
	}
	return false
}

// MapSections maps department ids to section names (sorted, unique).
func MapSections(depts []int, mapping map[int]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range depts {
		name, ok := mapping[id]
		if !ok || name == "" || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// UnmappedDepartments lists the user's department ids missing from the
// mapping (for /readyz lines and admin diagnostics).
func UnmappedDepartments(depts []int, mapping map[int]string) []int {
	var out []int
	for _, id := range depts {
		if _, ok := mapping[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// Forget drops the cached user (on a change_contact event).
func (d *AddressBook) Forget(ctx context.Context, userid string) error {
	d.mu.Lock()
	delete(d.memo, userid)
	d.mu.Unlock()
	return d.o.Redis.Del(ctx, d.key(userid)).Err()
}
