package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/bot"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/store/keys"
)

// redis.url names a Sentinel deployment or a Cluster (also by one node's
// plain URL); every store's scripts and transactions work there, and
// MigrateKeys moves layout-1 keys spread over a Cluster's nodes. A URL
// naming a Sentinel without master_name, or a Cluster database other
// than 0, is refused with what to write instead.
func TestOpenSentinelAndCluster(t *testing.T) {
	sen := redistest.StartSentinel(t)
	cl := redistest.StartCluster(t)
	ctx := t.Context()
	for _, c := range []struct {
		name, url string
		mode      config.RedisMode
	}{
		{"sentinel", sen.URL(), config.RedisSentinel},
		{"cluster", cl.URL(), config.RedisCluster},
		{"cluster by one node", "redis://" + cl.Nodes[1].Addr + "/0", config.RedisCluster},
	} {
		t.Run(c.name, func(t *testing.T) {
			prefix := strings.ReplaceAll(c.name, " ", "-") + ":"
			s, err := Open(ctx, config.Redis{URL: c.url, Prefix: prefix}, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(ctx)
			if s.Mode != c.mode {
				t.Fatalf("mode %s, want %s", s.Mode, c.mode)
			}
			if c.mode == config.RedisCluster {
				if _, ok := s.Client.(*redis.ClusterClient); !ok {
					t.Fatalf("client %T", s.Client)
				}
			}
			exerciseStores(t, s.Client, prefix)
		})
	}

	for _, c := range []struct{ url, want string }{
		{"redis://" + sen.Sentinels[1].Addr + "/0", "is a Sentinel: name the primary with ?master_name=NAME"},
		{"redis://" + cl.Nodes[0].Addr + "/2", "Redis Cluster has only database 0"},
	} {
		s, err := Open(ctx, config.Redis{URL: c.url, Prefix: "x:"}, t.TempDir(), nil)
		if err == nil {
			s.Close(ctx)
			t.Fatalf("Open(%s) succeeded", c.url)
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "redis.url") {
			t.Errorf("Open(%s): %v, want %q", c.url, err, c.want)
		}
	}
}

// exerciseStores runs every store's multi-key scripts and transactions
// once through rdb, and a migration of layout-1 keys.
func exerciseStores(t *testing.T, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	ctx := t.Context()
	k := keys.New(prefix)

	// Dialogs: save, shelve into a draft, unshelve, delete.
	d := NewDialogs(rdb, prefix)
	st := sampleState()
	if err := d.Save(ctx, "u1", st, time.Hour); err != nil {
		t.Fatalf("dialog save: %v", err)
	}
	if err := d.Shelve(ctx, "u1", st, time.Hour); err != nil {
		t.Fatalf("dialog shelve: %v", err)
	}
	drafts, err := d.Drafts(ctx, "u1")
	if err != nil || len(drafts) != 1 {
		t.Fatalf("drafts %v %v", drafts, err)
	}
	if err := d.Unshelve(ctx, "u1", drafts[0], 0, time.Hour); err != nil {
		t.Fatalf("dialog unshelve: %v", err)
	}
	run, err := d.Load(ctx, "u1")
	if err != nil || run == nil {
		t.Fatalf("load %v %v", run, err)
	}
	if err := d.Delete(ctx, "u1", run.Version); err != nil {
		t.Fatalf("dialog delete: %v", err)
	}

	// Findings: a save with its indexes, a conflicting one, published marks.
	fs := NewFindings(rdb, prefix)
	f := newFinding("8", "91140403MAG928PQ9Q", "alice", "bob")
	if err := fs.Save(ctx, f); err != nil {
		t.Fatalf("finding save: %v", err)
	}
	if err := fs.Save(ctx, newFinding("8", "91140403MAG928PQ9Q", "bob")); !errors.Is(err, finding.ErrConflict) {
		t.Fatalf("conflicting finding save: %v", err)
	}
	if l, err := fs.ListByUser(ctx, 2023, "bob"); err != nil || len(l) != 1 {
		t.Fatalf("findings of bob %v %v", l, err)
	}
	if n, err := fs.MarkPublished(ctx, 2023, []string{f.ID}, time.Now()); err != nil || n != 1 {
		t.Fatalf("mark published %d %v", n, err)
	}

	// Draws: commit, a conflicting commit, notified.
	ds := NewDraws(rdb, prefix)
	rec := &draw.Record{ID: "d1", Year: 2023, ItemID: "8", At: time.Now(), Result: &draw.Result{}}
	if err := ds.Commit(ctx, rec); err != nil {
		t.Fatalf("draw commit: %v", err)
	}
	if err := ds.Commit(ctx, &draw.Record{ID: "d2", Year: 2023, ItemID: "8", At: time.Now()}); !errors.Is(err, draw.ErrConflict) {
		t.Fatalf("conflicting draw commit: %v", err)
	}
	if err := ds.MarkNotified(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if cur, err := ds.Current(ctx, 2023, "8"); err != nil || cur == nil || cur.ID != "d1" {
		t.Fatalf("current draw %v %v", cur, err)
	}

	// Audit.
	a := NewAudit(rdb, prefix)
	if err := a.Append(ctx, audit.Entry{User: "admin", Action: "test"}); err != nil {
		t.Fatal(err)
	}

	// Layout-1 inbound keys on whatever nodes their names hash to.
	for _, id := range []string{"msg:1", "msg:2", "msg:3"} {
		rdb.Set(ctx, prefix+"wecom:seen:"+id, "1", time.Hour)
	}
	rdb.ZAdd(ctx, prefix+"wecom:inbox", redis.Z{Score: 1, Member: "msg:1"})
	m, err := MigrateKeys(ctx, rdb, prefix, nil)
	if err != nil || m.Inbox != 1 || m.Seen != 2 {
		t.Fatalf("migrated %+v %v", m, err)
	}
	if v := rdb.Get(ctx, k.Seen("msg:3")).Val(); v != "1" {
		t.Fatalf("seen msg:3 = %q after the migration", v)
	}
	if n := rdb.ZCard(ctx, k.Inbox()).Val(); n != 1 {
		t.Fatalf("inbox %d", n)
	}
	// The inbox's claim script (index, claims, dedupe key) finds the
	// entry answered and drops it.
	in, err := bot.NewInbox(bot.InboxOptions{Redis: rdb, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := in.Recover(ctx, nil); err != nil || n != 0 || rdb.ZCard(ctx, k.Inbox()).Val() != 0 {
		t.Fatalf("recovery: %d %v, inbox %d", n, err, rdb.ZCard(ctx, k.Inbox()).Val())
	}
}
