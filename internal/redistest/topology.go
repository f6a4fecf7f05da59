package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a private Redis Sentinel deployment: one primary, one
// replica and three Sentinels (Debian's redis-server run with --sentinel),
// all on loopback, quick to notice a primary gone (1 s).
type Sentinel struct {
	MasterName string
	Master     *Server // the primary at start (after a failover, a replica or dead)
	Replica    *Server
	Sentinels  []*Server
}

// StartSentinel starts a Sentinel deployment for tb and registers its
// shutdown. It returns once the Sentinels know the primary, the replica
// and each other, so a failover can start at once.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	bin := serverBin(tb)
	d := &Sentinel{MasterName: "mymaster"}
	tb.Cleanup(d.Stop)
	var err error
	if d.Master, err = startFresh(tb, bin); err != nil {
		tb.Fatal(err)
	}
	if d.Replica, err = startFresh(tb, bin, "--replicaof", "127.0.0.1", port(d.Master.Addr)); err != nil {
		tb.Fatal(err)
	}
	waitInfo(tb, d.Replica.Addr, "replication", "master_link_status:up")
	for range 3 {
		s, err := startSentinelProc(tb, bin, d.Master.Addr, d.MasterName)
		if err != nil {
			tb.Fatal(err)
		}
		d.Sentinels = append(d.Sentinels, s)
	}
	for _, s := range d.Sentinels {
		waitInfo(tb, s.Addr, "sentinel", ",slaves=1,sentinels=3")
	}
	return d
}

func startSentinelProc(tb testing.TB, bin, master, name string) (*Server, error) {
	dir := tb.TempDir()
	var lastErr error
	for range 5 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		conf := filepath.Join(dir, "sentinel.conf")
		body := fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nlogfile %s\n"+
			"sentinel monitor %s 127.0.0.1 %s 2\n"+
			"sentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 10000\n",
			p, dir, filepath.Join(dir, "redis.log"), name, port(master), name, name)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			return nil, err
		}
		s, err := startProcess(bin, dir, p, conf, "--sentinel")
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// URL is the bot's redis.url for the deployment: go-redis's Sentinel form.
func (d *Sentinel) URL() string {
	u := "redis://" + d.Sentinels[0].Addr + "/0?master_name=" + d.MasterName
	for _, s := range d.Sentinels[1:] {
		u += "&addr=" + s.Addr
	}
	return u
}

// Client returns a Sentinel-aware client of the primary, closed at test end.
func (d *Sentinel) Client(tb testing.TB) redis.UniversalClient {
	var addrs []string
	for _, s := range d.Sentinels {
		addrs = append(addrs, s.Addr)
	}
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: d.MasterName, SentinelAddrs: addrs,
		MaxRetries: 20, MinRetryBackoff: 50 * time.Millisecond, MaxRetryBackoff: time.Second})
	tb.Cleanup(func() { c.Close() })
	return c
}

// MasterAddr is the primary's address as the first Sentinel reports it.
func (d *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	c := redis.NewSentinelClient(&redis.Options{Addr: d.Sentinels[0].Addr})
	defer c.Close()
	a, err := c.GetMasterAddrByName(ctx, d.MasterName).Result()
	if err != nil {
		return "", err
	}
	return a[0] + ":" + a[1], nil
}

// Stop kills every process of the deployment.
func (d *Sentinel) Stop() {
	stopAll(append([]*Server{d.Master, d.Replica}, d.Sentinels...))
}

// Cluster is a private Redis Cluster of three primaries (no replicas) on
// loopback.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts a three-primary Redis Cluster for tb (redis-server
// --cluster-enabled, redis-cli --cluster create) and registers its
// shutdown. It returns once every node reports the cluster ok.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bin := serverBin(tb)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatalf("redis-cli not found (Debian's redis-tools, installed with redis-server): %v", err)
	}
	c := &Cluster{}
	tb.Cleanup(c.Stop)
	for range 3 {
		bus, err := freePort()
		if err != nil {
			tb.Fatal(err)
		}
		dir := tb.TempDir()
		s, err := startFresh(tb, bin, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "2000")
		if err != nil {
			tb.Fatal(err)
		}
		c.Nodes = append(c.Nodes, s)
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range c.Nodes {
		waitCluster(tb, n.Addr)
	}
	return c
}

// URL is the bot's redis.url for the cluster: go-redis's Cluster form.
func (c *Cluster) URL() string {
	u := "redis://" + c.Nodes[0].Addr
	for i, n := range c.Nodes[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + n.Addr
	}
	return u
}

// Client returns a cluster client, closed at test end.
func (c *Cluster) Client(tb testing.TB) redis.UniversalClient {
	var addrs []string
	for _, n := range c.Nodes {
		addrs = append(addrs, n.Addr)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	tb.Cleanup(func() { cc.Close() })
	return cc
}

// Stop kills every node.
func (c *Cluster) Stop() { stopAll(c.Nodes) }

func stopAll(servers []*Server) {
	var wg sync.WaitGroup
	for _, s := range servers {
		if s != nil {
			wg.Go(s.Stop)
		}
	}
	wg.Wait()
}

func serverBin(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server not found in PATH: %v\ninstall it with `apt-get install -y redis-server` (or run `make test`)", err)
	}
	return bin
}

// startFresh starts a server in a new temp dir of tb on a free port.
func startFresh(tb testing.TB, bin string, extra ...string) (*Server, error) {
	dir := tb.TempDir()
	var lastErr error
	for range 5 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := startOn(bin, dir, p, extra...)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// waitInfo waits until INFO section of the server at addr contains want.
func waitInfo(tb testing.TB, addr, section, want string) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	var last string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		last, _ = c.Info(context.Background(), section).Result()
		if strings.Contains(last, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s: INFO %s never showed %q; last:\n%s", addr, section, want, last)
}

func waitCluster(tb testing.TB, addr string) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	var last string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		last, _ = c.ClusterInfo(context.Background()).Result()
		if strings.Contains(last, "cluster_state:ok") && strings.Contains(last, "cluster_known_nodes:3") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s: cluster not ok; CLUSTER INFO:\n%s", addr, last)
}
