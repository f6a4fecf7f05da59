package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
)

func open(t *testing.T, o Options) *Spool {
	t.Helper()
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// drain reads and acknowledges everything, returning the records.
func drain(t *testing.T, s *Spool) []string {
	t.Helper()
	var got []string
	for {
		rec, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			return got
		}
		got = append(got, string(rec))
		if err := s.Ack(); err != nil {
			t.Fatal(err)
		}
	}
}

func segments(t *testing.T, s *Spool) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(s.Dir(), "*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

func appendN(t *testing.T, s *Spool, from, n int) []string {
	t.Helper()
	var want []string
	for i := from; i < from+n; i++ {
		rec := fmt.Sprintf("record %03d", i)
		if err := s.Append([]byte(rec)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		want = append(want, rec)
	}
	return want
}

func equal(a, b []string) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// Records come back in order across segments, a segment file goes only
// once all its records are acknowledged, and an empty spool leaves no file.
func TestOrderAcrossSegmentsAndRemoval(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir(), SegmentBytes: 64})
	want := appendN(t, s, 0, 20) // 18-byte frames: several segments
	if s.Len() != 20 {
		t.Fatalf("Len %d", s.Len())
	}
	segs := segments(t, s)
	if len(segs) < 4 {
		t.Fatalf("%d segments, want several", len(segs))
	}
	// Half-way through the first segment: the file stays.
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(); err != nil {
		t.Fatal(err)
	}
	if got := segments(t, s); len(got) != len(segs) {
		t.Fatalf("a partly consumed segment was removed: %v", got)
	}
	got := append([]string{want[0]}, drain(t, s)...)
	if !equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	if n := len(segments(t, s)); n != 0 || s.Bytes() != 0 || s.Len() != 0 {
		t.Fatalf("after draining: %d segments, %d bytes, %d records", n, s.Bytes(), s.Len())
	}
	// Appending after a full drain starts a new segment.
	more := appendN(t, s, 20, 2)
	if got := drain(t, s); !equal(got, more) {
		t.Fatalf("read %q, want %q", got, more)
	}
}

// A process that dies (here: closes without acknowledging) leaves its
// records for the next Open of the same directory, in order, with new
// appends behind them; records acknowledged in a segment not yet removed
// are seen again (the consumer dedupes).
func TestReopenReplays(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, SegmentBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	want := appendN(t, s, 0, 10)
	if _, err := s.Next(); err != nil { // consumed, segment not finished
		t.Fatal(err)
	}
	if err := s.Ack(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, Options{Dir: dir, SegmentBytes: 64})
	if s.Len() != 10 {
		t.Fatalf("reopened Len %d, want 10 (the first record's segment was not finished)", s.Len())
	}
	want = append(want, appendN(t, s, 10, 3)...)
	if got := drain(t, s); !equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	if len(s.Torn()) != 0 {
		t.Fatalf("torn %+v", s.Torn())
	}
}

// A record torn by a crash (a short frame, a frame with a bad checksum, or
// zeros the file system left) is skipped; every record before it is read.
func TestTornLastRecord(t *testing.T) {
	for name, tail := range map[string]func(frame []byte) []byte{
		"short header":   func(f []byte) []byte { return f[:5] },
		"short payload":  func(f []byte) []byte { return f[:len(f)-3] },
		"bad checksum":   func(f []byte) []byte { f[len(f)-1] ^= 0xff; return f },
		"zeros":          func(f []byte) []byte { return make([]byte, 4096) },
		"length too big": func(f []byte) []byte { f[3] = 0x7f; return f },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			want := appendN(t, s, 0, 3)
			seg := segments(t, s)[0]
			s.Close()
			// The frame a crash cut: what Append would have written.
			frame := []byte("\x0a\x00\x00\x00\x00\x00\x00\x00record 003")
			frame[4], frame[5], frame[6], frame[7] = byteCRC(frame)
			f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			bad := tail(append([]byte(nil), frame...))
			if _, err := f.Write(bad); err != nil {
				t.Fatal(err)
			}
			f.Close()

			s = open(t, Options{Dir: dir})
			torn := s.Torn()
			if len(torn) != 1 || torn[0].Skipped != int64(len(bad)) || torn[0].Offset != 3*18 {
				t.Fatalf("torn %+v, want one of %d bytes at 54", torn, len(bad))
			}
			if s.Len() != 3 {
				t.Fatalf("Len %d, want 3", s.Len())
			}
			// New records go to a new segment, after the good ones.
			want = append(want, appendN(t, s, 3, 1)...)
			if got := drain(t, s); !equal(got, want) {
				t.Fatalf("read %q, want %q", got, want)
			}
			if n := len(segments(t, s)); n != 0 {
				t.Fatalf("%d segments left after draining", n)
			}
		})
	}
	// A segment holding nothing but a torn frame is removed at Open.
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	s.Close()
	if err := os.WriteFile(filepath.Join(dir, "0", "00000000000000000007.seg"), []byte{1, 2, 3}, 0o600); err != nil {
		t.Fatal(err)
	}
	s = open(t, Options{Dir: dir})
	if s.Len() != 0 || len(segments(t, s)) != 0 || len(s.Torn()) != 1 {
		t.Fatalf("Len %d, segments %v, torn %+v", s.Len(), segments(t, s), s.Torn())
	}
}

func byteCRC(frame []byte) (byte, byte, byte, byte) {
	c := checksum(frame[0:4], frame[8:])
	return byte(c), byte(c >> 8), byte(c >> 16), byte(c >> 24)
}

// MaxBytes bounds the files; consuming makes room again.
func TestFull(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir(), MaxBytes: 100, SegmentBytes: 40})
	appendN(t, s, 0, 5) // 90 bytes
	if err := s.Append([]byte("record 005")); !errors.Is(err, ErrFull) {
		t.Fatalf("append to a full spool: %v", err)
	}
	if s.Len() != 5 {
		t.Fatalf("Len %d after a refused append", s.Len())
	}
	// The first segment (three records) consumed: its space is free.
	drainN := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := s.Next(); err != nil {
				t.Fatal(err)
			}
			if err := s.Ack(); err != nil {
				t.Fatal(err)
			}
		}
	}
	drainN(3)
	if err := s.Append([]byte("record 005")); err != nil {
		t.Fatalf("append after consuming: %v (bytes %d)", err, s.Bytes())
	}
	if err := s.Append(nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty record: %v", err)
	}
	if err := s.Append(make([]byte, MaxRecord+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("huge record: %v", err)
	}
}

// Concurrent appends (sharing fsyncs) lose and duplicate nothing, and keep
// each appender's own order.
func TestConcurrentAppends(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir(), SegmentBytes: 1024})
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				if err := s.Append([]byte(strconv.Itoa(w) + ":" + strconv.Itoa(i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	next := map[string]int{}
	got := drain(t, s)
	for _, r := range got {
		var w, i int
		if _, err := fmt.Sscanf(r, "%d:%d", &w, &i); err != nil {
			t.Fatal(err)
		}
		k := strconv.Itoa(w)
		if next[k] != i {
			t.Fatalf("writer %d: got %d, want %d", w, i, next[k])
		}
		next[k]++
	}
	if len(got) != writers*each {
		t.Fatalf("read %d records, want %d", len(got), writers*each)
	}
}

// Two processes (two opens) sharing a directory get different slots; a
// slot freed by Close is taken again with its records.
func TestSlots(t *testing.T) {
	dir := t.TempDir()
	a := open(t, Options{Dir: dir})
	b := open(t, Options{Dir: dir})
	if a.Dir() == b.Dir() {
		t.Fatalf("both in %s", a.Dir())
	}
	appendN(t, a, 0, 2)
	a.Close()
	c := open(t, Options{Dir: dir})
	if c.Dir() != a.Dir() || c.Len() != 2 {
		t.Fatalf("reopened %s with %d records, want %s with 2", c.Dir(), c.Len(), a.Dir())
	}
	if err := a.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}

	// Two more processes spool and stop; the next one started takes the
	// first free slot and the other one's segments too, behind its own.
	d := open(t, Options{Dir: dir, SegmentBytes: 20})
	e := open(t, Options{Dir: dir, SegmentBytes: 20})
	want := appendN(t, d, 10, 3)
	want = append(want, appendN(t, e, 20, 3)...)
	d.Close()
	e.Close()
	f := open(t, Options{Dir: dir})
	if f.Dir() != d.Dir() || f.Adopted() != 2 {
		t.Fatalf("reopened %s adopting %d segments, want %s adopting e's 2", f.Dir(), f.Adopted(), d.Dir())
	}
	if got := drain(t, f); !equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	if segs, _ := filepath.Glob(filepath.Join(e.Dir(), "*"+segSuffix)); len(segs) != 0 {
		t.Fatalf("adopted segments still in %s: %v", e.Dir(), segs)
	}
}

// BenchmarkAppend: durable appends of a callback-sized record (600 bytes)
// from many goroutines at once, as callbacks arrive during an outage; the
// fsyncs are shared (group commit).
func BenchmarkAppend(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := make([]byte, 600)
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Append(rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
