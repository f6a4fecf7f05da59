package main

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
)

// weComBursts is a message/send rule that answers bursts of faults: HTTP
// 500, 42001 (token expired), 45009 (rate limit), deliver-then-500 and
// one deliver-then-hang past the client's timeout, with normal answers
// between the bursts.
func weComBursts(n int) (fakewecom.Fault, bool) {
	switch {
	case n >= 3 && n <= 5:
		return fakewecom.Fault{HTTPStatus: http.StatusInternalServerError}, true
	case n >= 9 && n <= 10:
		return fakewecom.Fault{ErrCode: fakewecom.CodeTokenExpired}, true
	case n >= 14 && n <= 17:
		return fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit}, true
	case n >= 21 && n <= 22:
		return fakewecom.Fault{Deliver: true, HTTPStatus: http.StatusInternalServerError}, true
	case n == 26:
		return fakewecom.Fault{Deliver: true, Delay: 12 * time.Second}, true // the client's timeout is 10 s
	case n >= 30 && n <= 32:
		return fakewecom.Fault{ErrCode: fakewecom.CodeFreqLimit}, true
	case n >= 40 && n <= 41:
		return fakewecom.Fault{Deliver: true, ErrCode: fakewecom.CodeBusy}, true
	}
	return fakewecom.Fault{}, false
}

// Redis is SIGKILLed and restarted while a steady stream of callbacks
// reaches a serve process of its own, and the fake WeCom answers bursts
// of 500, 42001, 45009, deliver-then-fail and one deliver-then-hang:
// every callback is accepted, and every accepted message reaches its
// member exactly once (copies a retry sent after a delivered-but-failed
// call are held back by WeCom's duplicate check, as the fake models it).
func TestServeRedisRestartAndWeComFaultsUnderLoad(t *testing.T) {
	t.Parallel()
	const users, perUser = 10, 6
	var book []fakewecom.User
	for i := 0; i < users; i++ {
		book = append(book, fakewecom.User{UserID: "u" + strconv.Itoa(i)})
	}
	fake := fakewecom.Start(t, fakewecom.Options{Users: book, PerUserPerMinute: -1})
	fake.SetRule(fakewecom.EndpointSend, weComBursts)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	cfg := writeConfig(t, srv.URL(), "reminders:\n  enabled: false\noutbox:\n  initial_backoff: 20ms\n  max_backoff: 200ms\n")
	c, err := wecom.NewCrypto(testToken, fake.CorpID(), testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	p := startServeProcessEnv(t, cfg, weComEnv(fake))

	// 60 callbacks, one every 25 ms; Redis is killed after the 20th and
	// comes back a second later.
	var wg sync.WaitGroup
	errs := make(chan error, users*perUser)
	id := 50000
	for i := 0; i < users*perUser; i++ {
		if i == 20 {
			srv.Kill()
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Second)
				if err := srv.Revive(); err != nil {
					errs <- err
				}
			}()
		}
		id++
		u, task := "u"+strconv.Itoa(i%users), strconv.Itoa(1+i/users)
		plain := textMsg(fake.CorpID(), u, "任务"+task, id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := postUntilAccepted(&p.serveProc, c, plain); err != nil {
				errs <- err
			}
		}()
		time.Sleep(25 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitDelivered(t, fake, users*perUser, 40*time.Second, p.stderr)
	if st := waitSettled(t, rdb, &p.serveProc); st.Dead != 0 {
		t.Fatalf("outbox dead letters: %+v\n%s", st, p.stderr.String())
	}
	got := map[string]int{}
	for _, m := range fake.Delivered() {
		task := reTaskAnswer.FindStringSubmatch(m.Content)
		if task == nil {
			t.Fatalf("answer to %s names no task: %q", m.ToUser, m.Content)
		}
		got[m.ToUser+"/"+task[1]]++
	}
	for i := 0; i < users*perUser; i++ {
		k := "u" + strconv.Itoa(i%users) + "/" + strconv.Itoa(1+i/users)
		if got[k] != 1 {
			t.Errorf("%s answered %d times, want once", k, got[k])
		}
	}
	if len(got) != users*perUser {
		t.Errorf("answers for %d (member, task) pairs, want %d: %v", len(got), users*perUser, got)
	}
	if hit := fake.FaultsServed(fakewecom.EndpointSend); hit < 15 {
		t.Errorf("only %d faults served", hit)
	}
	t.Logf("sends %d, faults %d, accepted %d, delivered %d", fake.Calls(fakewecom.EndpointSend),
		fake.FaultsServed(fakewecom.EndpointSend), len(fake.Messages()), len(fake.Delivered()))
}

// waitDelivered waits until n messages reached their members (not
// counting those WeCom's duplicate check held back).
func waitDelivered(t *testing.T, fake *fakewecom.Server, n int, timeout time.Duration, log fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for len(fake.Delivered()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages delivered after %v\n%s", len(fake.Delivered()), n, timeout, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// weComEnv is setWeComEnv's environment, for a process of its own.
func weComEnv(fake *fakewecom.Server) []string {
	return []string{"WECOM_CORP_ID=" + fake.CorpID(), "WECOM_AGENT_ID=" + strconv.Itoa(fake.AgentID()),
		"WECOM_SECRET=" + fake.CorpSecret(), "WECOM_TOKEN=" + testToken, "WECOM_AES_KEY=" + testAESKey,
		"WECOM_API_BASE=" + fake.URL}
}
