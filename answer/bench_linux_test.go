package answer

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/question"
)

// threadCPU is the calling thread's CPU time (Linux RUSAGE_THREAD): with
// the benchmark locked to its thread it is the work done, whatever else
// loads the machine.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSlotCases parses, answers and renders every question of
// slotCases (dates, deadlines, time left, ratios, several periods) at its
// own date; per-question figures are the op's divided by their number.
//
//	go test -run '^$' -bench SlotCases -benchtime 200x ./answer
func BenchmarkSlotCases(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a := New(Options{Plans: seedCatalog(b)})
	type c struct {
		q   string
		now time.Time
	}
	var cs []c
	for _, sc := range slotCases {
		now := "2023-03-15"
		if sc.now != "" {
			now = sc.now
		}
		cs = append(cs, c{sc.q, day(b, now)})
	}
	cpu := threadCPU()
	b.ResetTimer()
	for b.Loop() {
		for _, x := range cs {
			ans, err := a.Answer(question.Parse(x.q), x.now, nil)
			if err != nil || ans.Markdown() == "" {
				b.Fatal(x.q, err)
			}
		}
	}
	n := float64(b.N * len(cs))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/question")
	b.ReportMetric(float64(threadCPU()-cpu)/n, "cpu-ns/question")
}
