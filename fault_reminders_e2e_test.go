package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/internal/redistest"
)

// reminderDay has 33 reminders (none due in the week before, so no 补发),
// to 15 departments.
const reminderDay = "2023-02-22"

var reCalendarLine = regexp.MustCompile(`(?m)^` + reminderDay + ` .*→ (\S+?)：`)

// A serve process is SIGKILLed in the middle of the day's reminder run
// (--now fixes the day, the job runs every second, each send takes effect
// at WeCom before it answers slowly); the next process finishes the run:
// every reminder of the day reached its department exactly once.
func TestServeKilledMidReminders(t *testing.T) {
	t.Parallel()
	fake := fakewecom.Start(t, fakewecom.Options{PerUserPerMinute: -1})
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	depts := []string{"上党区", "壶关县", "屯留区", "市市场监督管理局", "平顺县", "武乡县", "沁县", "沁源县", "消保科",
		"潞城区", "潞州区", "特种设备安全监察科", "襄垣县", "计量科", "长子县", "黎城县"}
	var rc strings.Builder
	user := map[string]string{}
	for i, d := range depts {
		user[d] = fmt.Sprintf("r%02d", i)
		fmt.Fprintf(&rc, "    %s: {users: [%s]}\n", d, user[d])
	}
	cfg := writeConfig(t, srv.URL(), "reminders:\n  enabled: true\n  schedule: \"@every 1s\"\n  recipients:\n"+rc.String()+
		"outbox:\n  initial_backoff: 20ms\n  max_backoff: 100ms\n")
	out, errOut, code := runCmd(t, "", "reminders", "--config", cfg, "--from", reminderDay, "--to", reminderDay)
	if code != 0 {
		t.Fatalf("reminders: %s", errOut)
	}
	want := map[string]int{} // userid → reminders due
	for _, m := range reCalendarLine.FindAllStringSubmatch(out, -1) {
		want[user[m[1]]]++
	}
	total := 0
	for _, n := range want {
		total += n
	}
	if total != 33 {
		t.Fatalf("the calendar lists %d reminders on %s, want 33:\n%s", total, reminderDay, out)
	}

	env := append(weComEnv(fake), quickTakeover...)
	now := "--now=" + reminderDay + "T10:00"
	fake.SetRule(fakewecom.EndpointSend, slowDeliveries(300*time.Millisecond))
	a := startServeProcessEnv(t, cfg, env, now)
	waitFor(t, "the run to be under way", func() bool { return len(fake.Messages()) >= 5 })
	a.kill()
	mid := len(fake.Messages())
	fake.ClearFaults()
	if mid >= total {
		t.Fatalf("the run finished (%d messages) before the kill", mid)
	}

	b := startServeProcessEnv(t, cfg, env, now)
	waitDelivered(t, fake, total, 30*time.Second, b.stderr)
	time.Sleep(2500 * time.Millisecond) // two more runs of the job: room for a second copy
	if st := waitSettled(t, rdb, &b.serveProc); st.Dead != 0 {
		t.Fatalf("outbox dead letters: %+v", st)
	}
	got := map[string]int{}
	seen := map[string]bool{}
	for _, m := range fake.Delivered() {
		got[m.ToUser]++
		if !strings.Contains(m.Content, "抽查提醒") || strings.Contains(m.Content, "与您近期收到的消息内容相同") || seen[m.ToUser+m.Content] {
			t.Errorf("to %s: %q", m.ToUser, m.Content)
		}
		seen[m.ToUser+m.Content] = true
	}
	for u, n := range want {
		if got[u] != n {
			t.Errorf("%s got %d reminders, want %d", u, got[u], n)
		}
	}
	if len(fake.Delivered()) != total {
		t.Errorf("%d reminders delivered, want %d", len(fake.Delivered()), total)
	}
	t.Logf("killed with %d of %d sent; %d accepted by WeCom in all", mid, total, len(fake.Messages()))
}
