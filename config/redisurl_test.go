package config

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRedisURL(t *testing.T) {
	ok := []struct {
		url   string
		mode  RedisMode
		addrs []string
		check func(t *testing.T, u *RedisURL)
	}{
		{"redis://:pw@10.0.0.5:6380/2", RedisSingle, []string{"10.0.0.5:6380"}, func(t *testing.T, u *RedisURL) {
			if u.Single.DB != 2 || u.Single.Password != "pw" {
				t.Errorf("db %d password %q", u.Single.DB, u.Single.Password)
			}
		}},
		{"rediss://h:6379", RedisSingle, []string{"h:6379"}, func(t *testing.T, u *RedisURL) {
			if u.Single.TLSConfig == nil {
				t.Error("rediss without TLS")
			}
		}},
		{"unix:///run/redis.sock?db=1", RedisSingle, []string{"/run/redis.sock"}, nil},
		{"redis://s1:26379/3?master_name=mymaster&addr=s2:26379&addr=s3:26379&password=secret", RedisSentinel,
			[]string{"s1:26379", "s2:26379", "s3:26379"}, func(t *testing.T, u *RedisURL) {
				if f := u.Failover; f.MasterName != "mymaster" || f.DB != 3 || f.Password != "secret" || f.SentinelPassword != "" {
					t.Errorf("failover options %+v", f)
				}
			}},
		{"redis://:sentinelpw@s1:26379?master_name=m", RedisSentinel, []string{"s1:26379"}, func(t *testing.T, u *RedisURL) {
			if u.Failover.SentinelPassword != "sentinelpw" {
				t.Errorf("sentinel password %q", u.Failover.SentinelPassword)
			}
		}},
		{"redis://:pw@n1:7000?addr=n2:7001&addr=n3:7002", RedisCluster, []string{"n1:7000", "n2:7001", "n3:7002"}, func(t *testing.T, u *RedisURL) {
			if u.Cluster.Password != "pw" {
				t.Errorf("cluster password %q", u.Cluster.Password)
			}
		}},
		{"redis://n1:7000/0?addr=n2:7001", RedisCluster, []string{"n1:7000", "n2:7001"}, nil},
	}
	for _, c := range ok {
		t.Run(c.url, func(t *testing.T) {
			u, err := ParseRedisURL(c.url)
			if err != nil {
				t.Fatal(err)
			}
			var addrs []string
			switch u.Mode {
			case RedisSingle:
				addrs = []string{u.Single.Addr}
			case RedisSentinel:
				addrs = u.Failover.SentinelAddrs
			case RedisCluster:
				addrs = u.Cluster.Addrs
			}
			if u.Mode != c.mode || !slices.Equal(addrs, c.addrs) {
				t.Fatalf("mode %s addrs %v, want %s %v", u.Mode, addrs, c.mode, c.addrs)
			}
			if c.check != nil {
				c.check(t, u)
			}
		})
	}

	bad := []struct{ url, want string }{
		{"http://h:1", `scheme "http"`},
		{"redis-sentinel://h1:26379,h2:26379/mymaster", "master_name=NAME"},
		{"redis-cluster://h1:7000,h2:7001", "addr=node2"},
		{"redis://", "no host:port"},
		{"redis://h1:7000,h2:7001", "addr=host:port"},
		{"redis://h:1/x", `invalid database number: "x"`},
		{"redis://h:1?master_name=", "master_name is empty"},
		{"redis://h:1?master_name=m&addr=nope", "addr param: nope"},
		{"redis://h:1/2?addr=h2:2", "only database 0"},
		{"redis://h:1?colour=red", "unexpected option: colour"},
		{"redis://h:1?addr=h2:2&colour=red", "unexpected option: colour"},
		{"redis://:hunter2@h:1/%zz", "not a URL"},
	}
	for _, c := range bad {
		t.Run(c.url, func(t *testing.T) {
			_, err := ParseRedisURL(c.url)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the password reached the error: %v", err)
			}
		})
	}
}

func TestRedactURLHidesSentinelPrimaryPassword(t *testing.T) {
	got := RedactURL("redis://:spw@s1:26379?master_name=m&password=ppw")
	if strings.Contains(got, "spw") || strings.Contains(got, "ppw") {
		t.Fatalf("RedactURL left a password: %s", got)
	}
}
