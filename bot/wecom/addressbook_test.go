package wecom

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// addressBook is a UserGetter over a map, with a switchable failure (the
// wecomapi client against the fake WeCom is exercised in e2e_test.go).
type addressBook struct {
	mu    sync.Mutex
	users map[string]wecomapi.User
	fail  error
	calls int
}

func (a *addressBook) GetUser(_ context.Context, id string) (wecomapi.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.fail != nil {
		return wecomapi.User{}, a.fail
	}
	u, ok := a.users[id]
	if !ok {
		return wecomapi.User{}, fmt.Errorf("user/get %s: errcode 60111: %w", id, wecomapi.ErrUserNotFound)
	}
	return u, nil
}

func TestDirectory(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := context.Background()
	book := &addressBook{users: map[string]wecomapi.User{
		"zhangsan": {UserID: "zhangsan", Name: "张三", Departments: []int{12, 3, 99, 13}, IsLeader: []int{0, 0, 0, 1}},
	}}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	d, err := NewAddressBook(AddressBookOptions{Users: book, Redis: rdb, Prefix: "t:", TTL: time.Hour,
		Departments: map[int]string{12: "计量科", 13: "计量科", 3: "市场规范管理科"},
		Logger:      quietLogger(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"市场规范管理科", "计量科"}
	if got := d.Sections(ctx, "zhangsan"); !slices.Equal(got, want) {
		t.Fatalf("sections %v, want %v", got, want)
	}
	d.Sections(ctx, "zhangsan")
	if book.calls != 1 {
		t.Fatalf("user/get called %d times, want 1 (cached)", book.calls)
	}
	// Another replica (its own memo) reads the shared Redis cache.
	d2, _ := NewAddressBook(AddressBookOptions{Users: book, Redis: rdb, Prefix: "t:", TTL: time.Hour,
		Departments: map[int]string{12: "计量科", 13: "计量科", 3: "市场规范管理科"},
		Logger:      quietLogger(), Now: func() time.Time { return now }})
	if got := d2.Sections(ctx, "zhangsan"); !slices.Equal(got, want) || book.calls != 1 {
		t.Fatalf("replica: sections %v, user/get calls %d (want cached)", got, book.calls)
	}
	if ttl := rdb.TTL(ctx, keys.New("t:").User("zhangsan")).Val(); ttl <= 0 {
		t.Fatalf("cache key without TTL: %v", ttl)
	}

	// Stale and the API failing: the stale copy is used.
	now = now.Add(2 * time.Hour)
	book.fail = errors.New("errcode -1 system busy")
	if got := d.Sections(ctx, "zhangsan"); !slices.Equal(got, want) {
		t.Fatalf("stale sections %v", got)
	}
	if book.calls != 2 {
		t.Fatalf("stale entry not refetched: %d calls", book.calls)
	}
	// Unknown user and the API failing: no sections, no error.
	if got := d.Sections(ctx, "wangwu"); got != nil {
		t.Fatalf("sections %v for unknown user with API down", got)
	}
	// API back: a stale entry is refreshed with the new departments (once
	// the in-process memo of the stale answer has expired).
	book.fail = nil
	book.users["zhangsan"] = wecomapi.User{UserID: "zhangsan", Departments: []int{3}}
	if got := d.Sections(ctx, "zhangsan"); !slices.Equal(got, want) {
		t.Fatalf("memoised sections %v", got)
	}
	now = now.Add(2 * time.Minute)
	book.users["zhangsan"] = wecomapi.User{UserID: "zhangsan", Departments: []int{3}}
	if got := d.Sections(ctx, "zhangsan"); !slices.Equal(got, []string{"市场规范管理科"}) {
		t.Fatalf("refreshed sections %v", got)
	}
	// Not found is cached as "no departments".
	calls := book.calls
	d.Sections(ctx, "nobody")
	d.Sections(ctx, "nobody")
	if book.calls != calls+1 {
		t.Fatalf("not-found not cached: %d calls", book.calls-calls)
	}
	// Forget drops the entry (change_contact).
	if err := d.Forget(ctx, "zhangsan"); err != nil {
		t.Fatal(err)
	}
	if rdb.Exists(ctx, keys.New("t:").User("zhangsan")).Val() != 0 {
		t.Fatal("Forget kept the entry")
	}
	if got := UnmappedDepartments([]int{12, 99, 3}, map[int]string{12: "a", 3: "b"}); !slices.Equal(got, []int{99}) {
		t.Fatalf("unmapped %v", got)
	}
}
