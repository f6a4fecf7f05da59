package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/xen0n/go-workwx"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/internal/fakewecom"
)

// perCore measures accepted callbacks/s with the server side alone on one
// core: each handler runs in a child process of this program pinned to
// CPU 0 (taskset) with GOMAXPROCS=1, driven by the same closed-loop load
// generator in this process (run this process on the other core:
// `taskset -c 1`). Handlers: a bare verify+decrypt net/http handler,
// go-workwx v1.7.0's callback handler with a no-op message handler, the
// bot's callback endpoint with answers discarded, and with every answer
// through the outbox to message/send (in the same process, on the same
// core). For the bot it splits the CPU per accepted callback between the
// bot process and redis-server (/proc/<pid>/stat utime+stime).
func perCore(d time.Duration, conc int) error {
	fmt.Printf("scenario percore: closed loop, %d clients, %s a handler; load average %s", conc, d, loadavg())
	rs, stopRedis, err := startRedis("bench-callback-")
	if err != nil {
		return err
	}
	defer stopRedis()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	redisPid := 0
	if info, err := rdb.Info(context.Background(), "server").Result(); err == nil {
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "process_id:"); ok {
				redisPid, _ = strconv.Atoi(v)
			}
		}
	}
	fmt.Printf("redis: appendonly yes, appendfsync %s\n", appendfsync)
	fake := fakewecom.New(fakewecom.Options{PerUserPerMinute: -1, Users: benchUsers(0)})
	defer fake.Close()
	crypto, err := wecom.NewCrypto(token, fake.CorpID(), aesKey)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fi := infoOf(fake)
	fakeArg := strings.Join([]string{fi.URL, fi.Corp, fi.Secret, strconv.Itoa(fi.Agent)}, ",")
	results := map[string]float64{}
	for i, mode := range []string{"bare", "workwx", "discard", "answer"} {
		args := []string{self, "-child", mode, "-child-redis", rs.Addr, "-child-fake", fakeArg}
		if profile != "" {
			args = append(args, "-cpuprofile", profile+"."+mode)
		}
		if _, err := exec.LookPath("taskset"); err == nil {
			args = append([]string{"taskset", "-c", "0"}, args...)
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return fmt.Errorf("child %s: %w", mode, err)
		}
		base := strings.TrimSpace(line)
		pid := cmd.Process.Pid // taskset execs the program in place
		fake.Reset()
		sample := func() cpuSample { return cpuSample{self: procCPU(pid), redis: procCPU(redisPid)} }
		bot := mode == "discard" || mode == "answer"
		rate, acc, started, cpu0, err := closedLoopURL(base, crypto, d, conc, bot, int64(7_000_000_000+i*1_000_000_000), sample)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return err
		}
		// Wall rate depends on how much of CPU 0 other processes take;
		// the child's own CPU per callback does not: 1/CPU is the rate a
		// whole core would give.
		c := sample()
		perMsg := (c.self - cpu0.self) / time.Duration(max(acc, 1))
		perCoreRate := 1 / perMsg.Seconds()
		results[mode] = perCoreRate
		fmt.Printf("  %-8s %7.0f accepted/s wall; %6.1f µs handler-process CPU each = %6.0f/s per core", mode, rate, float64(perMsg)/1e3, perCoreRate)
		if results["workwx"] > 0 && mode != "workwx" {
			fmt.Printf(" (%.2f× go-workwx)", perCoreRate/results["workwx"])
		}
		fmt.Println()
		if mode == "answer" {
			if _, err := fake.WaitMessages(int(acc), 3*time.Minute); err != nil {
				fmt.Printf("    answers: %v\n", err)
			} else {
				el := time.Since(started)
				fmt.Printf("    all %d answers at the fake after %s: %.0f answered/s\n", acc, el.Round(time.Millisecond), float64(acc)/el.Seconds())
			}
		}
		if bot {
			c := sample()
			bt := (c.self - cpu0.self) / time.Duration(acc)
			rd := (c.redis - cpu0.redis) / time.Duration(acc)
			fmt.Printf("    CPU per accepted callback (answer: per answered, drain included): bot %.1f µs + redis-server %.1f µs = %.1f µs\n", float64(bt)/1e3, float64(rd)/1e3, float64(bt+rd)/1e3)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	fmt.Printf("load average at the end: %s", loadavg())
	return nil
}

// procCPU is a process's utime+stime from /proc/<pid>/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// fields after the command: state(3) ... utime(14) stime(15)
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

type noopRx struct{}

func (noopRx) OnIncomingMessage(*workwx.RxMessage) error { return nil }

// serveChild serves one handler of the percore scenario and prints its
// base URL once ready; it exits on SIGTERM.
func serveChild(mode, redisAddr, fakeArg string) error {
	parts := strings.Split(fakeArg, ",")
	if len(parts) != 4 {
		return fmt.Errorf("-child-fake: want URL,corp,secret,agent")
	}
	agent, _ := strconv.Atoi(parts[3])
	fi := fakeInfo{URL: parts[0], Corp: parts[1], Secret: parts[2], Agent: agent}
	crypto, err := wecom.NewCrypto(token, fi.Corp, aesKey)
	if err != nil {
		return err
	}
	var h http.Handler
	switch mode {
	case "bare":
		h = bareHandler(crypto)
	case "workwx":
		wh, err := workwx.NewHTTPHandler(token, aesKey, noopRx{})
		if err != nil {
			return err
		}
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { wh.ServeHTTP(w, r) })
	case "discard", "answer":
		kind := "none"
		if mode == "answer" {
			kind = "outbox"
		}
		st, err := newStack(redisAddr, fi, crypto, kind)
		if err != nil {
			return err
		}
		defer st.close()
		if err := st.warm(names("c", closedLoopUsers)); err != nil {
			return err
		}
		h = st.handler
	default:
		return fmt.Errorf("unknown child %q", mode)
	}
	base, stop, err := serve(h)
	if err != nil {
		return err
	}
	defer stop()
	if profile != "" { // the closed loop only: warm-up is done
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Println(base)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	return nil
}
