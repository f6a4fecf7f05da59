package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
)

// limitsRun is the scenario that models WeCom's limits: the outbox paces
// message/send at corp calls a minute (WeCom: 10,000 a corp) and 25 a
// member (WeCom drops above 30, which the fake marks), callbacks arrive
// open loop at rate for d from users senders spread over replicas bot
// stacks sharing one Redis. It checks that every callback was accepted
// and answered exactly once, none dropped, each member's answers in the
// order asked, and reports the drain time, the busiest minute at the
// fake, and callback and end-to-end latency.
func limitsRun(name string, rate int, d time.Duration, users, replicas, corp int, drainMax time.Duration) error {
	fmt.Printf("scenario %s: %d callbacks/s for %s from %d users over %d replica(s); outbox corp pacing %d/min, 25/min a member; redis appendfsync %s\n",
		name, rate, d, users, replicas, corp, appendfsync)
	fmt.Printf("load average at the start: %s", loadavg())
	corpPerMin = corp
	shards, queueSize = 0, 0 // the dispatcher's defaults, as served
	rs, stopRedis, err := startRedis("bench-callback-")
	if err != nil {
		return err
	}
	defer stopRedis()
	fake := fakewecom.New(fakewecom.Options{Users: benchUsers(users)}) // WeCom's 30/min a member: beyond it Dropped
	defer fake.Close()
	crypto, err := wecom.NewCrypto(token, fake.CorpID(), aesKey)
	if err != nil {
		return err
	}
	var bases []string
	for i := 0; i < replicas; i++ {
		st, err := newStack(rs.Addr, infoOf(fake), crypto, "outbox")
		if err != nil {
			return err
		}
		defer st.close()
		if err := st.warm(names("user", users)); err != nil {
			return err
		}
		base, stop, err := serve(st.handler)
		if err != nil {
			return err
		}
		defer stop()
		bases = append(bases, base)
	}
	n := int64(float64(rate) * d.Seconds())
	const firstID = 5_000_000_000
	reqs := prepare(crypto, firstID, n, users, func(id int64) string { return "问" + strconv.FormatInt(id, 10) })
	sentAt, lat, status, start, sendDone := drive(bases, reqs, rate)
	var accepted int
	var cbLat []time.Duration
	refused := map[int]int{}
	for i := range status {
		if status[i] == 200 {
			accepted++
			cbLat = append(cbLat, lat[i])
		} else {
			refused[status[i]]++
		}
	}
	fmt.Printf("  sending took %s; accepted %d of %d (%.0f/s); callback latency p50 %s p99 %s max %s\n",
		sendDone.Round(time.Millisecond), accepted, n, float64(accepted)/sendDone.Seconds(), pct(cbLat, 50), pct(cbLat, 99), pct(cbLat, 100))
	if len(refused) > 0 {
		fmt.Printf("  NOT ACCEPTED by HTTP status (0: no answer): %v\n", refused)
	}
	msgs, werr := fake.WaitMessages(accepted, drainMax)
	drained := time.Since(start)
	time.Sleep(2 * time.Second) // anything sent twice arrives now
	msgs = fake.Messages()
	seen := map[int64]int{}
	last := map[string]int64{}
	var e2e []time.Duration
	var dropped, dup, outOfOrder int
	var times []time.Time
	for _, m := range msgs {
		id, err := strconv.ParseInt(strings.TrimPrefix(m.Content, "答：问"), 10, 64)
		if err != nil || id < firstID || id >= firstID+n {
			return fmt.Errorf("unexpected answer %q", m.Content)
		}
		seen[id]++
		if seen[id] > 1 {
			dup++
			continue
		}
		if m.Dropped {
			dropped++
		}
		if id < last[m.ToUser] {
			outOfOrder++
		}
		last[m.ToUser] = id
		e2e = append(e2e, m.At.Sub(sentAt[id-firstID]))
		times = append(times, m.At)
	}
	fmt.Printf("  answers at the fake: %d distinct of %d accepted, %d duplicates, %d dropped by the 30/min member limit, %d out of per-user order\n",
		len(seen), accepted, dup, dropped, outOfOrder)
	if werr != nil {
		fmt.Printf("  NOT DRAINED within %s: %v\n", drainMax, werr)
	} else {
		fmt.Printf("  drained: last answer %s after the first callback (%.0f answers/s overall); busiest 60 s at the fake: %d message/send (WeCom's cap 10,000)\n",
			drained.Round(time.Millisecond), float64(len(seen))/drained.Seconds(), busiestMinute(times))
	}
	fmt.Printf("  end-to-end (POST → message/send at the fake): p50 %s p99 %s max %s\n", pct(e2e, 50), pct(e2e, 99), pct(e2e, 100))
	fmt.Printf("load average at the end: %s", loadavg())
	if accepted != int(n) || len(seen) != accepted || dup > 0 || dropped > 0 || outOfOrder > 0 || werr != nil {
		return fmt.Errorf("scenario %s failed its checks", name)
	}
	return nil
}

// drive posts reqs open loop at rate, spread round-robin over bases, and
// returns when each was sent, its latency and status, the start and how
// long sending took.
func drive(bases []string, reqs []callback, rate int) (sentAt []time.Time, lat []time.Duration, status []int, start time.Time, took time.Duration) {
	n := len(reqs)
	sentAt, lat, status = make([]time.Time, n), make([]time.Duration, n), make([]int, n)
	cl := client()
	var wg sync.WaitGroup
	start = time.Now()
	interval := time.Second / time.Duration(rate)
	for i := 0; i < n; i++ {
		if w := time.Until(start.Add(time.Duration(i) * interval)); w > 0 {
			time.Sleep(w)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sentAt[i] = time.Now()
			lat[i], status[i] = postCallback(cl, bases[i%len(bases)], reqs[i].query, reqs[i].body)
		}(i)
	}
	wg.Wait()
	return sentAt, lat, status, start, time.Since(start)
}

// busiestMinute is the most messages in any 60 s window of the sorted ts.
func busiestMinute(ts []time.Time) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= time.Minute {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}
