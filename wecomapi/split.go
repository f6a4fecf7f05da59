package wecomapi

import (
	"strings"
	"unicode/utf8"
)

// MaxContentBytes is WeCom's limit for a text or app markdown message.
const MaxContentBytes = 2048

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
