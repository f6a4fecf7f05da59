// Package spool is a durable first-in first-out queue of records on local
// disk, for what must not be lost while the shared store (Redis) is away:
// the WeCom channel spools a callback it verified and decrypted when Redis
// cannot take it, answers WeCom 200, and hands the record to Redis when it
// is back.
//
// Records are appended to segment files (NNNNNNNNNNNNNNNNNNNN.seg); each is
// framed as
//
//	length   uint32, little endian: the payload's size (> 0)
//	checksum uint32, little endian: CRC-32C of the length bytes and the payload
//	payload
//
// and Append returns only after the file (and, for a new segment, the
// directory) is fsynced. Concurrent Appends share one fsync (group commit).
// A record torn by a crash (a short or corrupt frame at the end of a
// segment) is detected at Open by its length or checksum and skipped with
// the rest of that segment: the records before it are kept. A process
// appends only to a segment it created; segments found at Open are only
// read.
//
// One consumer reads in order with Next and Ack. A segment file is removed
// once every record in it has been acknowledged, so a process that dies
// replays at most the records of the segment it was consuming: the consumer
// must tolerate seeing a record again (the channel dedupes by message id).
//
// A spool directory belongs to one process at a time: Open takes the first
// slot Dir/0, Dir/1, … that no other process holds (an flock on its LOCK
// file), so several processes may share a Dir, and a process restarted
// after a crash finds its slot (and what is spooled there) again. Open also
// takes over the segments of any other slot no process holds, so what a
// process that never came back spooled is drained too.
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Errors of Append.
var (
	ErrFull     = errors.New("spool: full")
	ErrClosed   = errors.New("spool: closed")
	ErrTooLarge = errors.New("spool: record too large")
	ErrEmpty    = errors.New("spool: empty record")
)

// MaxRecord is the largest payload accepted (a WeCom callback is at most 1 MiB).
const MaxRecord = 4 << 20

// MaxSlots is how many processes can share one spool directory.
const MaxSlots = 64

const (
	frameHeader = 8
	segSuffix   = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options configures a spool.
type Options struct {
	// Dir is the spool's root directory (created if missing); the spool
	// lives in the first free slot below it.
	Dir string
	// MaxBytes bounds the disk space of the segment files; an Append
	// beyond it fails with ErrFull. Default 256 MiB.
	MaxBytes int64
	// SegmentBytes: a segment that reached this size is closed and a new
	// one started. Default min(4 MiB, MaxBytes/4).
	SegmentBytes int64
}

// Torn describes a torn or corrupt frame found at Open and skipped.
type Torn struct {
	Segment string // file name
	Offset  int64  // where the bad frame starts
	Skipped int64  // bytes from there to the end of the file
}

// Spool is an open spool. Its methods are safe for concurrent use; Next and
// Ack are meant for one consumer.
type Spool struct {
	o    Options
	dir  string
	slot int
	lock *os.File

	mu      sync.Mutex
	cond    *sync.Cond // signals sync completion
	segs    []*segment // oldest first; the last is active when active != nil
	active  *segment   // the segment appends go to; nil until the first Append
	nextSeq uint64
	written int64 // logical bytes appended (all segments of this process)
	synced  int64 // logical bytes known durable
	syncing bool
	err     error // sticky: a failed fsync
	closed  bool
	bytes   int64 // disk bytes of all segment files
	records int   // records not acknowledged
	pending int64 // frame size of the record Next returned, until Ack
	torn    []Torn
	adopted int // segments taken over from free slots at Open
}

type segment struct {
	seq  uint64
	path string
	f    *os.File
	base int64 // logical offset of the file's first byte (active segment)
	size int64 // valid bytes (old segments) or bytes written (active)
	read int64 // bytes consumed
	n    int   // records not consumed
	old  bool  // found at Open: read-only, size is its valid prefix
	disk int64 // the file's size on disk
}

// Open opens the first free slot of o.Dir, reading what a previous process
// left there. Torn frames are skipped (see Spool.Torn).
func Open(o Options) (*Spool, error) {
	if o.Dir == "" {
		return nil, errors.New("spool: Options.Dir is empty")
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 20
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = min(4<<20, max(o.MaxBytes/4, 1))
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{o: o, nextSeq: 1}
	s.cond = sync.NewCond(&s.mu)
	for slot := 0; slot < MaxSlots; slot++ {
		dir := filepath.Join(o.Dir, strconv.Itoa(slot))
		lock, err := lockSlot(dir)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.dir, s.slot, s.lock = dir, slot, lock
		break
	}
	if s.lock == nil {
		return nil, fmt.Errorf("spool: all %d slots of %s are held by other processes", MaxSlots, o.Dir)
	}
	err := s.adopt()
	if err == nil {
		err = s.load()
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// segSeqs lists the sequence numbers of dir's segment files, in order.
func segSeqs(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var seqs []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil {
			continue // not ours
		}
		seqs = append(seqs, seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

// adopt moves the segments of every other slot no process holds (left by
// a process that did not come back) behind this slot's own, so they are
// drained too. A rename is atomic: after a crash half-way each segment is
// in one slot or the other, whole.
func (s *Spool) adopt() error {
	own, err := segSeqs(s.dir)
	if err != nil {
		return err
	}
	next := uint64(1)
	if len(own) > 0 {
		next = own[len(own)-1] + 1
	}
	for slot := 0; slot < MaxSlots; slot++ {
		dir := filepath.Join(s.o.Dir, strconv.Itoa(slot))
		if slot == s.slot {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "LOCK")); err != nil {
			continue // never used
		}
		lock, err := lockSlot(dir)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			continue // its process is alive
		}
		if err != nil {
			return err
		}
		seqs, err := segSeqs(dir)
		for _, seq := range seqs {
			if err != nil {
				break
			}
			if err = os.Rename(filepath.Join(dir, fmt.Sprintf("%020d%s", seq, segSuffix)), s.segPath(next)); err == nil {
				next++
				s.adopted++
			}
		}
		if err == nil && len(seqs) > 0 {
			if err = syncDir(s.dir); err == nil {
				err = syncDir(dir)
			}
		}
		lock.Close()
		if err != nil {
			return fmt.Errorf("spool: adopting %s: %w", dir, err)
		}
	}
	return nil
}

func lockSlot(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, err
		}
		return nil, fmt.Errorf("spool: lock %s: %w", dir, err)
	}
	return f, nil
}

// load reads the slot's segments, validating every frame.
func (s *Spool) load() error {
	seqs, err := segSeqs(s.dir)
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		s.nextSeq = seq + 1
		seg := &segment{seq: seq, path: s.segPath(seq), old: true}
		if err := s.scan(seg); err != nil {
			return err
		}
		if seg.n == 0 {
			// Nothing readable (an empty file, or only a torn frame).
			seg.f.Close()
			if err := os.Remove(seg.path); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
			continue
		}
		s.segs = append(s.segs, seg)
		s.bytes += seg.disk
		s.records += seg.n
	}
	return nil
}

func (s *Spool) segPath(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d%s", seq, segSuffix))
}

// scan opens an old segment and counts its valid frames.
func (s *Spool) scan(seg *segment) error {
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	seg.f = f
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	seg.disk = st.Size()
	var off int64
	for off < seg.disk {
		n, err := readFrame(f, off, seg.disk, nil)
		if err != nil {
			s.torn = append(s.torn, Torn{Segment: filepath.Base(seg.path), Offset: off, Skipped: seg.disk - off})
			break
		}
		off += frameHeader + int64(n)
		seg.n++
	}
	seg.size = off
	return nil
}

// errFrame is a torn or corrupt frame.
var errFrame = errors.New("spool: torn or corrupt record")

// readFrame reads the frame at off of a file whose valid data ends at end;
// it returns the payload's length, and the payload in *dst when dst is set.
func readFrame(f *os.File, off, end int64, dst *[]byte) (int, error) {
	if end-off < frameHeader {
		return 0, errFrame
	}
	var h [frameHeader]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return 0, fmt.Errorf("%w: %w", errFrame, err)
	}
	n := binary.LittleEndian.Uint32(h[0:4])
	if n == 0 || n > MaxRecord || int64(n) > end-off-frameHeader {
		return 0, errFrame
	}
	p := make([]byte, n)
	if got, err := f.ReadAt(p, off+frameHeader); got < len(p) {
		return 0, fmt.Errorf("%w: %w", errFrame, err)
	}
	if checksum(h[0:4], p) != binary.LittleEndian.Uint32(h[4:8]) {
		return 0, errFrame
	}
	if dst != nil {
		*dst = p
	}
	return int(n), nil
}

func checksum(length, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum(length, castagnoli), castagnoli, payload)
}

// Dir is the slot directory this spool holds.
func (s *Spool) Dir() string { return s.dir }

// Adopted is how many segments Open took over from slots no process held.
func (s *Spool) Adopted() int { return s.adopted }

// Torn lists the torn or corrupt frames skipped at Open.
func (s *Spool) Torn() []Torn { return s.torn }

// Len is the number of records appended and not acknowledged.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records
}

// Bytes is the disk space of the segment files.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Append adds rec at the tail and returns once it is durable on disk. It
// fails with ErrFull when the spool's files would exceed MaxBytes.
func (s *Spool) Append(rec []byte) error {
	if len(rec) == 0 {
		return ErrEmpty
	}
	if len(rec) > MaxRecord {
		return ErrTooLarge
	}
	frame := make([]byte, frameHeader+len(rec))
	binary.LittleEndian.PutUint32(frame[0:4], uint32(len(rec)))
	binary.LittleEndian.PutUint32(frame[4:8], checksum(frame[0:4], rec))
	copy(frame[frameHeader:], rec)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if s.bytes+int64(len(frame)) > s.o.MaxBytes {
		return ErrFull
	}
	if s.active != nil && s.active.size >= s.o.SegmentBytes {
		if err := s.seal(); err != nil {
			return err
		}
	}
	if s.active == nil {
		if err := s.create(); err != nil {
			return err
		}
	}
	a := s.active
	if _, err := a.f.Write(frame); err != nil {
		// A partial write leaves a torn frame; later frames would follow
		// it unreadably. Stop appending here.
		s.err = fmt.Errorf("spool: write %s: %w", a.path, err)
		return s.err
	}
	a.size += int64(len(frame))
	a.disk += int64(len(frame))
	a.n++
	s.bytes += int64(len(frame))
	s.records++
	s.written += int64(len(frame))
	end := s.written
	// Group commit: one caller fsyncs for everyone written so far; the
	// others wait for it.
	for s.synced < end {
		if err := s.usable(); err != nil {
			return err
		}
		if s.syncing {
			s.cond.Wait()
			continue
		}
		s.syncing = true
		target, f := s.written, a.f
		s.mu.Unlock()
		err := f.Sync()
		s.mu.Lock()
		s.syncing = false
		if err != nil {
			s.err = fmt.Errorf("spool: fsync %s: %w", a.path, err)
		} else {
			s.synced = max(s.synced, target)
		}
		s.cond.Broadcast()
	}
	return nil
}

func (s *Spool) usable() error {
	if s.closed {
		return ErrClosed
	}
	return s.err
}

// create starts a new active segment and makes its name durable.
func (s *Spool) create() error {
	seq := s.nextSeq
	path := s.segPath(seq)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	s.nextSeq++
	s.active = &segment{seq: seq, path: path, f: f, base: s.written}
	s.segs = append(s.segs, s.active)
	return nil
}

// seal ends the active segment: everything in it is made durable first.
func (s *Spool) seal() error {
	for s.syncing {
		s.cond.Wait()
	}
	if err := s.usable(); err != nil {
		return err
	}
	if s.synced < s.written {
		if err := s.active.f.Sync(); err != nil {
			s.err = fmt.Errorf("spool: fsync %s: %w", s.active.path, err)
			s.cond.Broadcast()
			return s.err
		}
		s.synced = s.written
		s.cond.Broadcast()
	}
	s.active = nil
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool: fsync %s: %w", dir, err)
	}
	return nil
}

// readable is how far seg can be read: durable bytes only.
func (s *Spool) readable(seg *segment) int64 {
	if seg.old || seg != s.active {
		return seg.size
	}
	return min(seg.size, s.synced-seg.base)
}

// Next returns the oldest record not acknowledged, or nil when there is
// none (yet durable). The same record is returned until Ack.
func (s *Spool) Next() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	for len(s.segs) > 0 {
		seg := s.segs[0]
		end := s.readable(seg)
		if seg.read < end {
			var p []byte
			n, err := readFrame(seg.f, seg.read, end, &p)
			if err != nil {
				return nil, fmt.Errorf("spool: %s at %d: %w", filepath.Base(seg.path), seg.read, err)
			}
			s.pending = frameHeader + int64(n)
			return p, nil
		}
		if seg == s.active {
			return nil, nil // appended but not yet durable, or empty
		}
		// A sealed segment read to its end (cannot normally happen: Ack
		// removes it): drop it.
		if err := s.drop(seg); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// Ack consumes the record Next returned. A segment whose records are all
// consumed is removed.
func (s *Spool) Ack() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == 0 || len(s.segs) == 0 {
		return errors.New("spool: Ack without Next")
	}
	seg := s.segs[0]
	seg.read += s.pending
	seg.n--
	s.records--
	s.pending = 0
	if seg.read < seg.size {
		return nil
	}
	if seg == s.active {
		// Everything appended has been consumed, so everything is
		// durable and no fsync is in flight: start afresh.
		s.active = nil
	}
	return s.drop(seg)
}

// drop closes and removes the head segment.
func (s *Spool) drop(seg *segment) error {
	s.segs = s.segs[1:]
	s.bytes -= seg.disk
	s.records -= seg.n
	seg.f.Close()
	if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Close syncs and closes the files and releases the slot. What is not
// acknowledged stays on disk for the next Open.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	for s.syncing {
		s.cond.Wait()
	}
	s.closed = true
	var errs []error
	for _, seg := range s.segs {
		if seg == s.active && s.err == nil {
			// Appends waiting for a group fsync are covered by this one.
			if err := seg.f.Sync(); err != nil {
				errs = append(errs, err)
			} else {
				s.synced = s.written
			}
		}
		errs = append(errs, seg.f.Close())
	}
	s.segs, s.active = nil, nil
	s.cond.Broadcast()
	if s.lock != nil {
		errs = append(errs, s.lock.Close()) // releases the flock
	}
	return errors.Join(errs...)
}
