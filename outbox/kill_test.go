package outbox_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/outbox"
	"github.com/changzhi-amr/choucha/wecomapi"
)

// childEnv makes the test binary act as a bot process running only the
// outbox: "<redis addr> <fake URL> <corp id> <secret> <agent id>". It
// prints READY and delivers until it is killed.
const childEnv = "OUTBOX_TEST_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(childProcess(v))
	}
	os.Exit(m.Run())
}

// childLease is the child's lease: the survivor resends its messages once
// it has run out (on Redis's clock).
const childLease = 4 * time.Second

func childProcess(v string) int {
	f := strings.Fields(v)
	if len(f) != 5 {
		fmt.Println("ERR bad", childEnv)
		return 2
	}
	agent, _ := strconv.Atoi(f[4])
	rdb := redis.NewClient(&redis.Options{Addr: f[0]})
	api, err := wecomapi.New(wecomapi.Config{CorpID: f[2], Secret: f[3], AgentID: agent, APIBase: f[1],
		Redis: rdb, Prefix: "t:", Timeout: childLease / 2})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	ob, err := outbox.New(outbox.Options{Redis: rdb, Prefix: "t:", Deliverer: api,
		Config:       config.Outbox{Workers: 4, MaxAttempts: 5, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		PollInterval: 5 * time.Millisecond, LeaseTTL: childLease, DeliverTimeout: childLease / 2})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	fmt.Println("READY")
	_ = ob.Run(context.Background()) // until SIGKILL
	return 0
}

// A bot process SIGKILLed while all four of its outbox workers are inside
// message/send, after WeCom delivered each message and before it answered:
// another process takes the leases over and resends, and each message
// reaches its user exactly once (before, this was 4 duplicates per kill).
func TestKilledProcessMidSendDeliversOnce(t *testing.T) {
	e := newEnv(t, fakewecom.Options{})
	// Every send delivers and then hangs until the caller is gone.
	e.fake.SetRule(fakewecom.EndpointSend, func(int) (fakewecom.Fault, bool) {
		return fakewecom.Fault{Deliver: true, Delay: time.Hour}, true
	})
	queue := e.outbox(nil) // enqueues only
	want := map[string]int{}
	for i := range 4 {
		text := fmt.Sprintf("第%d条答复", i)
		send(t, queue, fmt.Sprintf("answer:%d", i), fmt.Sprintf("user%d", i), text)
		want[text] = 1
	}
	send(t, queue, "answer:later", "user0", "排在后面的答复") // waits behind user0's first
	want["排在后面的答复"] = 1

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %s %s %d", childEnv,
		e.redis.Addr, e.fake.URL, e.fake.CorpID(), e.fake.CorpSecret(), e.fake.AgentID()))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if sc := bufio.NewScanner(out); !sc.Scan() || sc.Text() != "READY" {
		t.Fatalf("child process: %q %v", sc.Text(), sc.Err())
	}
	waitFor(t, "four deliveries in flight", func() bool { return len(e.fake.Delivered()) == 4 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if s := stats(t, queue); s.InFlight != 4 {
		t.Fatalf("after the kill: %+v, want the four leases left behind", s)
	}

	e.fake.SetRule(fakewecom.EndpointSend, nil) // WeCom answers again
	survivor := e.outbox(nil)
	run(t, survivor)
	waitFor(t, "the survivor to drain the queue", func() bool {
		s := stats(t, survivor)
		return s.Pending() == 0 && s.Dead == 0
	})
	got := delivered(e.fake)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reached the users:\n%v\nwant each once:\n%v", got, want)
	}
	dups := 0
	for _, m := range e.fake.Messages() {
		if m.Duplicate {
			dups++
		}
	}
	if dups != 4 {
		t.Errorf("%d resends suppressed by the duplicate check, want 4 (one per killed worker)", dups)
	}
}
