package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/scheduler"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/store/keys"
	"github.com/changzhi-amr/choucha/wecomapi"
	"github.com/changzhi-amr/choucha/workday"
	"github.com/redis/go-redis/v9"
)

// morningAt is the morning's clock: a reminder day of the seed plan (33
// reminders to 15 departments, see fault_reminders_e2e_test.go), at the
// start of the working day.
const morningAt = "2023-02-22T09:00:00+08:00"

// morningQuestions are the plan questions the inspectors ask, each
// answered by the real router over the seed plan at the morning's clock.
// An inspector's questions differ, so WeCom's duplicate check never
// rightly holds one of its answers back.
var morningQuestions = []string{
	"本月有哪些抽查任务", "下周有哪些任务开始", "快到期的任务", "计量科这个月查什么", "特种设备什么时候查",
	"食品生产企业抽查比例", "第二季度有哪些任务", "今年还剩哪些任务", "个体工商户怎么查", "帮助",
	"市场规范管理科的任务", "价格监督检查什么时候开始",
}

// morningRun is the morning of the bureau: the day's reminder run (the
// real scheduler.Reminders over the seed plan, its departments' reminders
// to recipients users spread over them) while inspectors ask questions
// open loop at rate, perInspector each, through the real stack (callback,
// dedupe, inbox, dispatcher, the real router, outbox paced at WeCom's corp
// and member limits, the fake WeCom). It checks every question answered
// exactly once and in each inspector's order, every reminder sent once to
// each of its department's recipients (and a second run sending none),
// nothing dropped or held back by WeCom's duplicate check, and reports
// answer latency, reminders sent and the drain time.
func morningRun(inspectors, perInspector, recipients, findings, rate int, drainMax time.Duration) error {
	fmt.Printf("scenario morning: %d inspectors × %d questions at %d/s, the reminder run of %s to %d recipients; outbox corp pacing %d/min, 25/min a member; redis appendfsync %s\n",
		inspectors, perInspector, rate, morningAt, recipients, 10_000, appendfsync)
	fmt.Printf("  %d findings reported through the findings dialog (提交检查结果 … 确认) meanwhile\n", findings)
	fmt.Printf("load average at the start: %s", loadavg())
	corpPerMin = 10_000
	shards, queueSize = 0, 0
	at, _ := time.Parse(time.RFC3339, morningAt)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return err
	}
	at = at.In(loc)
	seed, err := seedPlan()
	if err != nil {
		return err
	}
	cat, err := plan.LoadCatalog(seed)
	if err != nil {
		return err
	}
	// Every department the plan reminds gets its share of the recipients.
	depts := reminder.Unmapped(cat.Plans()[0], reminder.Options{})
	if len(depts) == 0 || recipients < len(depts) {
		return fmt.Errorf("need at least %d recipients, one a department", len(depts))
	}
	fmt.Printf("  the seed plan reminds %d departments; %d recipients spread over them\n", len(depts), recipients)
	rcpt := map[string]reply.Recipient{}
	rcptUsers := map[string]string{} // "a|b|c" → department
	var users []fakewecom.User
	for i := 0; i < inspectors; i++ {
		users = append(users, fakewecom.User{UserID: "user" + strconv.Itoa(i), Departments: []int{2 + i%5}})
	}
	for i := 0; i < recipients; i++ {
		d := depts[i%len(depts)]
		r := rcpt[d]
		u := "rcpt" + strconv.Itoa(i)
		r.Users = append(r.Users, u)
		rcpt[d] = r
		users = append(users, fakewecom.User{UserID: u, Departments: []int{2}})
	}
	for d, r := range rcpt {
		rcptUsers[strings.Join(r.Users, "|")] = d
	}

	rs, stopRedis, err := startRedis("bench-morning-")
	if err != nil {
		return err
	}
	defer stopRedis()
	var fm *morningFindings
	if findings > 0 {
		rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
		defer rdb.Close()
		photos, err := os.MkdirTemp("", "bench-photos-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(photos)
		if fm, err = setupFindings(context.Background(), rdb, "bench:", cat, at, findings, nil, photos); err != nil {
			return err
		}
		for _, u := range fm.inspector {
			users = append(users, fakewecom.User{UserID: u, Departments: []int{2}})
		}
	}
	fake := fakewecom.New(fakewecom.Options{Users: users})
	defer fake.Close()
	crypto, err := wecom.NewCrypto(token, fake.CorpID(), aesKey)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	var router *handlers.Router
	ans := newDialogAnswers()
	var t0 time.Time // the load's start: the morning's clock runs from it
	// parts is how many message/send calls each question's answer takes
	// (a long answer is several), by message id: the answers at the fake
	// are matched to the questions by it.
	var partsMu sync.Mutex
	parts := map[string]int{}
	handle := func(ctx context.Context, req *handlers.Request) (reply.Reply, error) {
		req.Now = at.Add(time.Since(t0))
		r, err := router.Handle(ctx, req)
		if err == nil {
			partsMu.Lock()
			parts[req.MsgID] = len(wecomapi.Parts(r))
			partsMu.Unlock()
			ans.answered(req.MsgID, r)
		}
		return r, err
	}
	st, err := newStackWith(rs.Addr, infoOf(fake), crypto, "outbox", handle)
	if err != nil {
		return err
	}
	defer st.close()
	deps := handlers.Deps{Plans: cat, Logger: logger}
	if fm != nil {
		fm.draw.Sender = st.sender
		deps.DialogStore = store.NewDialogs(st.rdb, "bench:")
		deps.Draw, deps.Findings = fm.draw, fm.find
	}
	if router, err = handlers.NewRouter(deps); err != nil {
		return err
	}
	warm := names("user", inspectors)
	if fm != nil {
		warm = append(warm, fm.inspector...)
	}
	if err := st.warm(warm); err != nil {
		return err
	}
	base, stop, err := serve(st.handler)
	if err != nil {
		return err
	}
	defer stop()

	opts := reminder.Options{Recipients: rcpt}
	rules, err := reminder.NewRules(opts, loc)
	if err != nil {
		return err
	}
	rem, err := scheduler.NewReminders(scheduler.RemindersOptions{Redis: st.rdb, Prefix: "bench:", Sender: st.sender,
		Catalog: cat, Rules: rules, Workdays: workday.New(loc), Config: config.Reminders{Enabled: true, CatchUpDays: 3}, Log: logger})
	if err != nil {
		return err
	}

	// Question i is asked by inspector i%inspectors, its (i/inspectors)-th.
	n := int64(inspectors * perInspector)
	const firstID = 7_000_000_000
	reqs := prepare(crypto, firstID, n, inspectors, func(id int64) string {
		i := id - firstID
		return morningQuestions[(i%int64(inspectors)+i/int64(inspectors))%int64(len(morningQuestions))]
	})
	type remOut struct {
		res  scheduler.RunResult
		took time.Duration
		err  error
	}
	remDone := make(chan remOut, 1)
	t0 = time.Now()
	go func() {
		time.Sleep(time.Second) // the 09:00 run lands in the middle of the questions
		s := time.Now()
		res, err := rem.RunReminders(context.Background(), at)
		remDone <- remOut{res, time.Since(s), err}
	}()
	type findOut struct {
		perUser map[string]int
		posted  int
		took    time.Duration
		err     error
	}
	findDone := make(chan findOut, 1)
	if fm != nil {
		go func() {
			s := time.Now()
			pu, posted, err := fm.run(base, crypto, ans, 8_000_000_000, func(msgID string) int {
				partsMu.Lock()
				defer partsMu.Unlock()
				return parts[msgID]
			})
			findDone <- findOut{pu, posted, time.Since(s), err}
		}()
	} else {
		findDone <- findOut{}
	}
	sentAt, lat, status, start, sendDone := drive([]string{base}, reqs, rate)
	ro := <-remDone
	fo := <-findDone
	if fo.err != nil {
		return fmt.Errorf("findings dialog: %w", fo.err)
	}
	// What the findings send to inspectors: every dialog answer's parts,
	// and each co-inspector's co-sign request (markdown and card).
	var cosign map[string]int
	var findMsgs int
	if fm != nil {
		if cosign, err = fm.check(context.Background()); err != nil {
			return err
		}
		for _, c := range fo.perUser {
			findMsgs += c
		}
		for _, c := range cosign {
			findMsgs += c
		}
		fmt.Printf("  findings: %d stored once each (version 1, by their reporter), %d dialog messages posted, all done %s after the start\n",
			len(fm.tasks), fo.posted, fo.took.Round(time.Millisecond))
	}
	if ro.err != nil {
		return fmt.Errorf("reminder run: %w", ro.err)
	}
	reminders := ro.res.Sent + ro.res.Late
	var accepted int
	var cbLat []time.Duration
	for i := range status {
		if status[i] == 200 {
			accepted++
			cbLat = append(cbLat, lat[i])
		}
	}
	fmt.Printf("  sending took %s; accepted %d of %d questions; callback latency p50 %s p99 %s\n",
		sendDone.Round(time.Millisecond), accepted, n, pct(cbLat, 50), pct(cbLat, 99))
	fmt.Printf("  reminder run: %s in %s (handed to the outbox)\n", ro.res, ro.took.Round(time.Millisecond))
	// Every part of every answer: a long answer is several messages.
	answerMsgs := accepted
	partsMu.Lock()
	for i := int64(0); i < n; i++ {
		if p := parts["msg:"+strconv.FormatInt(firstID+i, 10)]; p > 1 {
			answerMsgs += p - 1
		}
	}
	partsMu.Unlock()
	_, werr := fake.WaitMessages(answerMsgs+reminders+findMsgs, drainMax)
	drained := time.Since(start)
	// A second run with the day's watermark cleared, as a replica that
	// missed the first would see it: every reminder is already claimed.
	if err := st.rdb.Del(context.Background(), keys.New("bench:").Reminders()+"done:"+strconv.Itoa(at.Year())).Err(); err != nil {
		return err
	}
	again, err := rem.RunReminders(context.Background(), at.Add(time.Hour))
	if err != nil {
		return fmt.Errorf("second reminder run: %w", err)
	}
	time.Sleep(2 * time.Second) // anything sent twice arrives now
	msgs := fake.Messages()

	// Answers: per inspector, in the order asked, each its parts.
	type question struct {
		at    time.Time
		parts int
	}
	asked := map[string][]question{}
	partsMu.Lock()
	for i := int64(0); i < n; i++ {
		u := "user" + strconv.Itoa(int(firstID+i)%inspectors)
		p, ok := parts["msg:"+strconv.FormatInt(firstID+i, 10)]
		if !ok {
			p = 1 // not handled: its answer is missing below
		}
		asked[u] = append(asked[u], question{sentAt[i], p})
	}
	partsMu.Unlock()
	next := map[string]int{} // the part of its current question the next message to the user is
	got := map[string]int{}
	var e2e []time.Duration
	var answers, extra, dropped, held, remMsgs, remBad int
	remSeen := map[string]bool{}
	inspector := map[string]bool{}
	if fm != nil {
		for _, u := range fm.inspector {
			inspector[u] = true
		}
	}
	findGot := map[string]int{}
	var submitted int
	remPer := map[string]int{}
	for _, m := range msgs {
		if m.Dropped {
			dropped++
		}
		if m.Duplicate {
			held++
		}
		if d, ok := rcptUsers[m.ToUser]; ok {
			remMsgs++
			if !strings.Contains(m.Content, "抽查提醒") || remSeen[m.ToUser+"\x00"+m.Content] {
				remBad++
			}
			remSeen[m.ToUser+"\x00"+m.Content] = true
			remPer[d]++
			continue
		}
		if inspector[m.ToUser] {
			findGot[m.ToUser]++
			if strings.Contains(m.Content, "已提交") {
				submitted++
			}
			continue
		}
		k := got[m.ToUser]
		if k >= len(asked[m.ToUser]) || m.Content == "" {
			if extra < 5 {
				fmt.Printf("  extra message to %s: %.80q\n", m.ToUser, m.Content)
			}
			extra++
			continue
		}
		q := asked[m.ToUser][k]
		if next[m.ToUser] == 0 {
			answers++
			e2e = append(e2e, m.At.Sub(q.at)) // the first part
		}
		if next[m.ToUser]++; next[m.ToUser] == q.parts {
			next[m.ToUser] = 0
			got[m.ToUser]++
		}
	}
	var remUsers int
	for d, c := range remPer {
		remUsers += c * len(rcpt[d].Users)
	}
	fmt.Printf("  answers at the fake: %d of %d questions, %d extra (duplicates), %d dropped by the 30/min member limit, %d held back by WeCom's duplicate check\n",
		answers, n, extra, dropped, held)
	fmt.Printf("  reminders at the fake: %d messages (%d due), reaching %d recipient-deliveries over %d departments; %d duplicated or malformed; a second run (the day's watermark cleared, as a replica that missed the first): %s\n",
		remMsgs, reminders, remUsers, len(remPer), remBad, again)
	var findBad, findOver int
	for u := range inspector {
		if findGot[u] != fo.perUser[u]+cosign[u] {
			if findBad < 5 {
				fmt.Printf("  inspector %s got %d messages, want %d (dialog answers) + %d (co-sign requests)\n", u, findGot[u], fo.perUser[u], cosign[u])
			}
			findBad++
			if findGot[u] > fo.perUser[u]+cosign[u] {
				findOver++
			}
		}
	}
	if fm != nil {
		fmt.Printf("  findings at the fake: %d messages to %d inspectors (%d wrong in count, %d of them more), %d 已提交 confirmations for %d findings\n",
			findMsgs, len(findGot), findBad, findOver, submitted, len(fm.tasks))
	}
	if werr != nil {
		fmt.Printf("  NOT DRAINED within %s: %v\n", drainMax, werr)
	} else {
		fmt.Printf("  drained: last message %s after the first question\n", drained.Round(time.Millisecond))
	}
	fmt.Printf("  answer latency (POST → message/send at the fake): p50 %s p99 %s max %s\n", pct(e2e, 50), pct(e2e, 99), pct(e2e, 100))
	fmt.Printf("load average at the end: %s", loadavg())
	if accepted != int(n) || answers != int(n) || extra > 0 || dropped > 0 || held > 0 || werr != nil ||
		findBad > 0 || fm != nil && submitted != len(fm.tasks) ||
		reminders == 0 || remMsgs != reminders || remBad > 0 || again.Sent+again.Late > 0 || again.Skipped != ro.res.Sent+ro.res.Late+ro.res.Missed {
		return errors.New("scenario morning failed its checks")
	}
	return nil
}

// seedPlan finds seeds/changzhi-2023-plan.txt from the working directory
// up (the bench runs from the repository or from bench/callback).
func seedPlan() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "seeds", "changzhi-2023-plan.txt")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("seeds/changzhi-2023-plan.txt not found above the working directory")
		}
		dir = up
	}
}
