package wecomapi_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	"github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/message"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/wecomapi"
)

func newClient(t *testing.T, fake *fakewecom.Server, rdb *redis.Client, mod ...func(*wecomapi.Config)) *wecomapi.Client {
	t.Helper()
	cfg := wecomapi.Config{
		CorpID: fake.CorpID(), AgentID: fake.AgentID(), Secret: fake.CorpSecret(),
		APIBase: fake.URL, Redis: rdb, Prefix: "test:", Timeout: 2 * time.Second,
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := wecomapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var ctx = context.Background()

func TestNewValidates(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for _, tc := range []struct {
		cfg  wecomapi.Config
		want string
	}{
		{wecomapi.Config{AgentID: 1, Secret: "s", Redis: rdb}, "WECOM_CORP_ID"},
		{wecomapi.Config{CorpID: "c", AgentID: 1, Redis: rdb}, "WECOM_SECRET"},
		{wecomapi.Config{CorpID: "c", Secret: "s", Redis: rdb}, "WECOM_AGENT_ID"},
		{wecomapi.Config{CorpID: "c", AgentID: 1, Secret: "s", Redis: rdb, APIBase: "ftp://x"}, "WECOM_API_BASE"},
	} {
		_, err := wecomapi.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want mention of %s", tc.cfg, err, tc.want)
		}
	}
}

func TestTokenSharedThroughRedis(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	rdb := redistest.Start(t).Client(t)
	a, b := newClient(t, fake, rdb), newClient(t, fake, rdb)
	to := reply.Recipient{Users: []string{"u1"}}
	if _, err := a.SendText(ctx, to, "一"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendMarkdown(ctx, to, "**二**"); err != nil {
		t.Fatal(err)
	}
	if n := fake.Calls(fakewecom.EndpointToken); n != 1 {
		t.Errorf("gettoken called %d times, want 1 (second client reuses the Redis token)", n)
	}
	ttl := rdb.TTL(ctx, "test:"+a.TokenCacheKey()).Val()
	if ttl <= 0 || ttl > 7200*time.Second {
		t.Errorf("token TTL %v", ttl)
	}
	msgs := fake.Messages()
	if len(msgs) != 2 || msgs[0].MsgType != "text" || msgs[1].MsgType != "markdown" || msgs[1].Content != "**二**" {
		t.Errorf("messages %+v", msgs)
	}
}

func TestTokenRejectedIsDroppedAndRetriedOnce(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	rdb := redistest.Start(t).Client(t)
	c := newClient(t, fake, rdb)
	to := reply.Recipient{Users: []string{"u1"}}
	if _, err := c.SendText(ctx, to, "warm"); err != nil {
		t.Fatal(err)
	}
	old := rdb.Get(ctx, "test:"+c.TokenCacheKey()).Val()

	fake.ExpireTokens() // the next send answers 42001
	if _, err := c.SendText(ctx, to, "after expiry"); err != nil {
		t.Fatalf("42001 must be handled by refetching: %v", err)
	}
	if cur := rdb.Get(ctx, "test:"+c.TokenCacheKey()).Val(); cur == old || cur == "" {
		t.Errorf("cached token not replaced: %q", cur)
	}
	if n := fake.Calls(fakewecom.EndpointToken); n != 2 {
		t.Errorf("gettoken calls %d, want 2", n)
	}

	// The token just refreshed is rejected again: no second gettoken within
	// TokenRefreshEvery (WeCom answers the same token while it is valid);
	// the error stands, retryable, for the outbox to try later.
	fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{ErrCode: fakewecom.CodeInvalidToken})
	before := fake.Calls(fakewecom.EndpointSend)
	_, err := c.SendText(ctx, to, "x")
	var e *wecomapi.Error
	if !errors.As(err, &e) || e.Class != wecomapi.TokenInvalid || !e.Retryable() {
		t.Fatalf("err %v, want retryable token-invalid", err)
	}
	if n := fake.Calls(fakewecom.EndpointSend) - before; n != 1 {
		t.Errorf("send attempts %d, want 1", n)
	}
	if n := fake.Calls(fakewecom.EndpointToken); n != 2 {
		t.Errorf("gettoken calls %d, want still 2", n)
	}

	// Once TokenRefreshEvery has passed (its mark in Redis expired), 40014
	// twice in a row: one refresh and one retry only, then a TokenInvalid error.
	rdb.Del(ctx, c.Cache().RefreshedKey(c.TokenCacheKey()))
	fake.InjectFaults(fakewecom.EndpointSend,
		fakewecom.Fault{ErrCode: fakewecom.CodeInvalidToken}, fakewecom.Fault{ErrCode: fakewecom.CodeInvalidToken})
	before = fake.Calls(fakewecom.EndpointSend)
	_, err = c.SendText(ctx, to, "x")
	if wecomapi.Classify(err) != wecomapi.TokenInvalid {
		t.Fatalf("err %v, want token-invalid", err)
	}
	if n := fake.Calls(fakewecom.EndpointSend) - before; n != 2 {
		t.Errorf("send attempts %d, want 2", n)
	}
	if n := fake.Calls(fakewecom.EndpointToken); n != 3 {
		t.Errorf("gettoken calls %d, want 3", n)
	}
	if got := fake.Messages(); len(got) != 2 {
		t.Errorf("delivered %d", len(got))
	}
}

// An expired token seen by many concurrent calls on two replicas (clients
// sharing Redis) is fetched again once, not once per call.
func TestTokenExpiryRefreshedOnceAcrossReplicas(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	rdb := redistest.Start(t).Client(t)
	replicas := []*wecomapi.Client{newClient(t, fake, rdb), newClient(t, fake, rdb)}
	to := reply.Recipient{Users: []string{"u1"}}
	for _, c := range replicas {
		if _, err := c.SendText(ctx, to, "warm"); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 {
		before := fake.Calls(fakewecom.EndpointToken)
		rdb.Del(ctx, replicas[0].Cache().RefreshedKey(replicas[0].TokenCacheKey())) // a later expiry
		fake.ExpireTokens()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := replicas[i%2].SendText(ctx, to, "x"); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
		if n := fake.Calls(fakewecom.EndpointToken) - before; n != 1 {
			t.Errorf("round %d: %d gettoken calls for one expiry, want 1", round, n)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{Users: []fakewecom.User{{UserID: "u1"}}})
	rdb := redistest.Start(t).Client(t)
	c := newClient(t, fake, rdb, func(cfg *wecomapi.Config) { cfg.Timeout = 100 * time.Millisecond })
	to := reply.Recipient{Users: []string{"u1"}}
	cases := []struct {
		name        string
		fault       *fakewecom.Fault
		to          reply.Recipient
		content     string
		class       wecomapi.Class
		code        int
		rateLimited bool
	}{
		{"busy", &fakewecom.Fault{ErrCode: -1}, to, "x", wecomapi.Retryable, -1, false},
		{"freq", &fakewecom.Fault{ErrCode: 45009}, to, "x", wecomapi.Retryable, 45009, true},
		{"concurrency", &fakewecom.Fault{ErrCode: 45033}, to, "x", wecomapi.Retryable, 45033, true},
		{"http 500", &fakewecom.Fault{HTTPStatus: 500}, to, "x", wecomapi.Retryable, wecomapi.CodeHTTP, false},
		{"http 404", &fakewecom.Fault{HTTPStatus: 404}, to, "x", wecomapi.Permanent, wecomapi.CodeHTTP, false},
		{"slow", &fakewecom.Fault{Delay: 5 * time.Second}, to, "x", wecomapi.Retryable, wecomapi.CodeHTTP, false},
		{"too long", nil, to, strings.Repeat("x", 2049), wecomapi.Permanent, 45002, false},
		{"no valid recipient", nil, reply.Recipient{Users: []string{"ghost"}}, "x", wecomapi.Permanent, 81013, false},
		{"no recipient at all", nil, reply.Recipient{}, "x", wecomapi.Permanent, 81013, false},
	}
	if _, err := c.SendText(ctx, to, "warm"); err != nil { // fetch the token first
		t.Fatal(err)
	}
	tok := rdb.Get(ctx, "test:"+c.TokenCacheKey()).Val()
	for _, tc := range cases {
		if tc.fault != nil {
			fake.InjectFaults(fakewecom.EndpointSend, *tc.fault)
		}
		_, err := c.SendText(ctx, tc.to, tc.content)
		var e *wecomapi.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err %v is not *wecomapi.Error", tc.name, err)
			continue
		}
		if e.Class != tc.class || e.ErrCode() != tc.code || e.RateLimited() != tc.rateLimited || e.Retryable() != (tc.class != wecomapi.Permanent) {
			t.Errorf("%s: %v: class %v code %d ratelimited %v", tc.name, err, e.Class, e.Code, e.RateLimited())
		}
		if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), fake.CorpSecret()) {
			t.Errorf("%s: error text leaks a secret: %v", tc.name, err)
		}
		var ce *util.CommonError
		if tc.code > 0 && (!errors.As(err, &ce) || int(ce.ErrCode) != tc.code) {
			t.Errorf("%s: errors.As(*util.CommonError) = %v", tc.name, ce)
		}
	}
	if tc := "slow"; !wecomapi.IsTimeout(func() error {
		fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{Delay: 5 * time.Second})
		_, err := c.SendText(ctx, to, "x")
		return err
	}()) {
		t.Errorf("%s: want a timeout", tc)
	}
}

func TestWrongSecretIsPermanentAndNotLogged(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	rdb := redistest.Start(t).Client(t)
	c := newClient(t, fake, rdb, func(cfg *wecomapi.Config) { cfg.Secret = "wrong-secret-value" })
	_, err := c.SendText(ctx, reply.Recipient{Users: []string{"u1"}}, "x")
	if wecomapi.Classify(err) != wecomapi.Permanent || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("err %v", err)
	}
	fake.InjectFaults(fakewecom.EndpointToken, fakewecom.Fault{HTTPStatus: 502})
	c = newClient(t, fake, rdb)
	_, err = c.SendText(ctx, reply.Recipient{Users: []string{"u1"}}, "x")
	if wecomapi.Classify(err) != wecomapi.Retryable || strings.Contains(err.Error(), fake.CorpSecret()) {
		t.Errorf("err %v", err)
	}
}

func TestWebhookDeliverAndReply(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{WebhookKeys: []string{"robot-key-1"}})
	rdb := redistest.Start(t).Client(t)
	c := newClient(t, fake, rdb)
	if err := c.Deliver(ctx, reply.Recipient{Webhook: "robot-key-1"}, reply.Markdown("## 提醒")); err != nil {
		t.Fatal(err)
	}
	err := c.SendWebhook(ctx, "bad-key-secret", reply.KindText, "x")
	if wecomapi.Classify(err) != wecomapi.Permanent || strings.Contains(err.Error(), "bad-key-secret") {
		t.Errorf("bad key: %v", err)
	}
	long := strings.Repeat("第一行内容\n", 300) // 4800 bytes
	if err := c.SendReply(ctx, reply.Recipient{Users: []string{"u1"}}, reply.Text(long)); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages()
	if msgs[0].Endpoint != fakewecom.EndpointWebhook || msgs[0].MsgType != "markdown" {
		t.Errorf("webhook %+v", msgs[0])
	}
	var joined []string
	for _, m := range msgs[1:] {
		joined = append(joined, m.Content)
	}
	if len(msgs) != 4 || strings.Join(joined, "\n")+"\n" != long {
		t.Errorf("reply split into %d messages, rejoined equal = %v", len(msgs)-1, strings.Join(joined, "\n")+"\n" == long)
	}
}

func TestAddressBookAndMedia(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{
		Users:       []fakewecom.User{{UserID: "lisi", Name: "李四", Departments: []int{2, 5}, IsLeaderInDept: []int{0, 1}}},
		Departments: []fakewecom.Department{{ID: 1, Name: "局"}, {ID: 2, Name: "计量科", ParentID: 1}},
		Media:       map[string][]byte{"m1": []byte("\x89PNG\r\n\x1a\nimage")},
	})
	rdb := redistest.Start(t).Client(t)
	c := newClient(t, fake, rdb)
	u, err := c.GetUser(ctx, "lisi")
	if err != nil || u.Name != "李四" || len(u.Departments) != 2 || u.IsLeader[1] != 1 {
		t.Errorf("GetUser = %+v, %v", u, err)
	}
	if _, err := c.GetUser(ctx, "nobody"); !errors.Is(err, wecomapi.ErrUserNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	ds, err := c.DepartmentList(ctx, 0)
	if err != nil || len(ds) != 2 || ds[1].Name != "计量科" {
		t.Errorf("DepartmentList = %v, %v", ds, err)
	}
	data, ctype, err := c.GetMedia(ctx, "m1")
	if err != nil || ctype != "image/png" || string(data[8:]) != "image" {
		t.Errorf("GetMedia = %q %q %v", data, ctype, err)
	}
	fake.ExpireTokens()
	if _, _, err := c.GetMedia(ctx, "m1"); err != nil {
		t.Errorf("GetMedia after token expiry: %v", err)
	}
	if _, _, err := c.GetMedia(ctx, "nope"); wecomapi.Classify(err) != wecomapi.Permanent {
		t.Errorf("unknown media: %v", err)
	}
}

func TestRedisCacheWithSDK(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	rdb := redistest.Start(t).Client(t)
	rc := wecomapi.NewRedisCache(rdb, "test:")
	if v := rc.Get("missing"); v != nil {
		t.Fatalf("miss must be untyped nil, got %#v", v)
	}
	if err := rc.Set("k", "v", 0); err != nil || rc.Get("k") != "v" || !rc.IsExist("k") {
		t.Fatalf("set/get: %v", err)
	}
	if ttl := rdb.TTL(ctx, "test:k").Val(); ttl <= 0 {
		t.Errorf("a non-positive timeout still gets a TTL, got %v", ttl)
	}
	if err := rc.Delete("k"); err != nil || rc.IsExist("k") {
		t.Fatal("delete")
	}

	// The SDK, on the same cache, reuses the token our client fetched.
	c := newClient(t, fake, rdb)
	if _, err := c.GetAccessTokenContext(ctx); err != nil {
		t.Fatal(err)
	}
	fake.InstallSDK(t)
	w := work.NewWork(&config.Config{CorpID: fake.CorpID(), CorpSecret: fake.CorpSecret(), AgentID: strconv.Itoa(fake.AgentID()), Cache: rc})
	if _, err := w.GetMessage().SendText(message.SendTextRequest{
		SendRequestCommon: &message.SendRequestCommon{ToUser: "u1", AgentID: strconv.Itoa(fake.AgentID())},
		Text:              message.TextField{Content: "sdk"},
	}); err != nil {
		t.Fatal(err)
	}
	if n := fake.Calls(fakewecom.EndpointToken); n != 1 {
		t.Errorf("gettoken calls %d, want 1", n)
	}
}

func TestSplit(t *testing.T) {
	han := strings.Repeat("汉", 700) // 2100 bytes, one line
	cases := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"short", "a\nb", 10, []string{"a\nb"}},
		{"empty", "", 10, nil},
		{"lines", "aaa\nbbb\nccc", 7, []string{"aaa\nbbb", "ccc"}},
		{"exact fit without newline", "aaaa\nbbbb\n", 4, []string{"aaaa", "bbbb"}},
		{"long line hard split on runes", "汉汉汉", 7, []string{"汉汉", "汉"}},
		{"long line then short", "xxxxxxxxxx\nyy", 4, []string{"xxxx", "xxxx", "xx", "yy"}},
		{"blank lines skipped at cuts", "aaa\n\n\n\nbbb", 4, []string{"aaa", "bbb"}},
	}
	for _, tc := range cases {
		got := wecomapi.Split(tc.in, tc.max)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("%s: Split(%q, %d) = %q, want %q", tc.name, tc.in, tc.max, got, tc.want)
		}
	}
	// Property: every part fits and is valid UTF-8; order and content survive.
	in := "标题\n" + han + "\n" + strings.Repeat("一二三四五六七八九十\n", 400) + "结尾"
	parts := wecomapi.Split(in, wecomapi.MaxContentBytes)
	var rebuilt strings.Builder
	for _, p := range parts {
		if len(p) > wecomapi.MaxContentBytes || !utf8.ValidString(p) {
			t.Fatalf("bad part: %d bytes, valid %v", len(p), utf8.ValidString(p))
		}
		rebuilt.WriteString(p)
	}
	if strings.ReplaceAll(rebuilt.String(), "\n", "") != strings.ReplaceAll(in, "\n", "") {
		t.Error("content lost or reordered")
	}
}

func TestSplitAtMost(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "第%03d行：计量器具抽查任务说明\n", i)
	}
	long := b.String()
	all := wecomapi.Split(long, wecomapi.MaxContentBytes)
	parts, cut := wecomapi.SplitAtMost(long, wecomapi.MaxContentBytes, 3)
	if !cut || len(parts) != 3 || len(all) <= 3 {
		t.Fatalf("SplitAtMost: %d parts (of %d), truncated %v", len(parts), len(all), cut)
	}
	for i, p := range parts {
		if len(p) > wecomapi.MaxContentBytes || !utf8.ValidString(p) {
			t.Fatalf("part %d: %d bytes, valid %v", i, len(p), utf8.ValidString(p))
		}
	}
	if parts[0] != all[0] || parts[1] != all[1] {
		t.Error("parts before the last changed")
	}
	last := parts[2]
	if !strings.HasSuffix(last, "\n"+wecomapi.TruncatedNote) || !strings.HasPrefix(all[2], strings.TrimSuffix(last, "\n"+wecomapi.TruncatedNote)) {
		t.Errorf("last part %q", last)
	}
	// A line is never cut in the middle when a line end fits.
	if body := strings.TrimSuffix(last, "\n"+wecomapi.TruncatedNote); !strings.HasSuffix(body, "说明") {
		t.Errorf("last part cut mid-line: %q", body[len(body)-40:])
	}
	// One long line (no line ends): cut on a rune boundary.
	parts, cut = wecomapi.SplitAtMost(strings.Repeat("汉", 10000), wecomapi.MaxContentBytes, 2)
	if !cut || len(parts) != 2 || len(parts[1]) > wecomapi.MaxContentBytes || !utf8.ValidString(parts[1]) || !strings.HasSuffix(parts[1], wecomapi.TruncatedNote) {
		t.Errorf("long line: %d parts, last %d bytes", len(parts), len(parts[len(parts)-1]))
	}
	// Within the limit, or no limit: the same as Split.
	for _, n := range []int{0, len(all)} {
		if parts, cut := wecomapi.SplitAtMost(long, wecomapi.MaxContentBytes, n); cut || len(parts) != len(all) {
			t.Errorf("maxParts %d: %d parts, truncated %v", n, len(parts), cut)
		}
	}
}

// WeCom's errmsg is kept without anything that looks like a credential:
// secret query values, key=value secrets, userinfo in URLs. So are the
// errors of a bad WECOM_API_BASE.
func TestErrmsgRedacted(t *testing.T) {
	fake := fakewecom.Start(t, fakewecom.Options{})
	rdb := redistest.Start(t).Client(t)
	c := newClient(t, fake, rdb)
	secrets := []string{"TOKEN1abc", "SECRET2def", "hunter2", "KEY3ghi", "TOKEN4jkl", "PASS5mno"}
	fake.InjectFaults(fakewecom.EndpointSend, fakewecom.Fault{ErrCode: fakewecom.CodeContentTooLong,
		ErrMsg: "content size out of limit, access_token=TOKEN1abc secret=SECRET2def, from https://admin:hunter2@proxy.example/cgi-bin?x=1&key=KEY3ghi " +
			`{"access_token":"TOKEN4jkl"} password: PASS5mno, more info at https://open.work.weixin.qq.com/devtool/query?e=45002`})
	_, err := c.SendText(ctx, reply.Recipient{Users: []string{"u1"}}, "x")
	var ce *util.CommonError
	if !errors.As(err, &ce) || ce.ErrCode != 45002 {
		t.Fatalf("err %v", err)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) || strings.Contains(ce.ErrMsg, s) {
			t.Errorf("%q kept in %q", s, ce.ErrMsg)
		}
	}
	if !strings.Contains(err.Error(), "content size out of limit") || !strings.Contains(err.Error(), "query?e=45002") {
		t.Errorf("the useful part of errmsg is gone: %v", err)
	}
	if got := wecomapi.Redact("see https://u:p4ss@h/x?access_token=abc&y=2"); strings.Contains(got, "p4ss") || strings.Contains(got, "abc") || !strings.Contains(got, "y=2") {
		t.Errorf("Redact = %q", got)
	}
	_, err = wecomapi.New(wecomapi.Config{CorpID: "c", AgentID: 1, Secret: "s", Redis: rdb, APIBase: "ftp://u:p4ss@host"})
	if err == nil || strings.Contains(err.Error(), "p4ss") {
		t.Errorf("New with a bad base: %v", err)
	}
}
