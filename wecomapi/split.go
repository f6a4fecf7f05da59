package wecomapi

import (
	"strings"
	"unicode/utf8"
)

// MaxContentBytes is WeCom's limit for a text or app markdown message.
const MaxContentBytes = 2048

// RepeatNoteReserve is room Parts leaves in every part for the note the
// outbox appends to a repeat of recent content (see package outbox), so
// the marked part still fits MaxContentBytes.
const RepeatNoteReserve = 96

// PartBytes is the most Parts puts in one text or markdown part.
const PartBytes = MaxContentBytes - RepeatNoteReserve

// Split cuts s into parts of at most max bytes, in order. It cuts at line
// ends; a single line longer than max is cut on rune boundaries, never
// inside a UTF-8 character. The newline at a cut is dropped; empty parts
// are skipped. A max below 4 bytes is raised to 4 (one rune).
func Split(s string, max int) []string {
	if max < utf8.UTFMax {
		max = utf8.UTFMax
	}
	if len(s) <= max {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return []string{s}
	}
	var parts []string
	var cur strings.Builder
	flush := func() {
		p := strings.TrimRight(cur.String(), "\n")
		if strings.TrimSpace(p) != "" {
			parts = append(parts, p)
		}
		cur.Reset()
	}
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line = s[:i+1]
		}
		s = s[len(line):]
		// A line that fits once its newline is dropped still fits.
		body := strings.TrimSuffix(line, "\n")
		if cur.Len()+len(body) <= max {
			cur.WriteString(line)
			continue
		}
		flush()
		if len(body) <= max {
			cur.WriteString(line)
			continue
		}
		for len(body) > max {
			cut := max
			for cut > 0 && !utf8.RuneStart(body[cut]) {
				cut--
			}
			if cut == 0 { // invalid UTF-8: cut bytes as they are
				cut = max
			}
			parts = append(parts, body[:cut])
			body = body[cut:]
		}
		cur.WriteString(body)
		if strings.HasSuffix(line, "\n") {
			cur.WriteByte('\n')
		}
	}
	flush()
	return parts
}

// MaxParts is how many message/send calls one answer may take by default
// (Outbox.Options.MaxParts, SendReply): a longer answer is cut.
const MaxParts = 3

// TruncatedNote ends the last part of an answer cut by SplitAtMost.
const TruncatedNote = "…（内容过长，已截断）"

// SplitAtMost is Split keeping at most maxParts parts (maxParts < 1: no
// limit). When s needs more, the last part kept is shortened, at a line end
// when one fits, so that TruncatedNote fits after it on a line of its own,
// and truncated is true.
func SplitAtMost(s string, max, maxParts int) (parts []string, truncated bool) {
	parts = Split(s, max)
	if maxParts < 1 || len(parts) <= maxParts {
		return parts, false
	}
	parts = parts[:maxParts]
	last := parts[maxParts-1]
	note := "\n" + TruncatedNote
	room := max - len(note)
	if room < 0 {
		room = 0
	}
	if len(last) > room {
		cut := room
		if i := strings.LastIndexByte(last[:room], '\n'); i > 0 {
			cut = i
		}
		for cut > 0 && !utf8.RuneStart(last[cut]) {
			cut--
		}
		last = last[:cut]
	}
	if last = strings.TrimRight(last, "\n"); last == "" {
		note = TruncatedNote
	}
	parts[maxParts-1] = last + note
	return parts, true
}
