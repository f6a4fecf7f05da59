package plan

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold returns the matching form of s: full-width ASCII (digits, letters,
// punctuation such as （）：％) becomes half-width, dash and quote variants
// become their ASCII form, circled numbers ①..⑳ become digits, every kind of
// white space is removed and letters are lower-cased. CJK characters are
// kept as they are. Use it on both sides of a comparison; keep the original
// text for display.
func Fold(s string) string {
	if isFolded(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII block
			r -= 0xFEE0
		case r >= 0x2460 && r <= 0x2473: // ① .. ⑳
			n := int(r-0x2460) + 1
			if n >= 10 {
				b.WriteByte(byte('0' + n/10))
			}
			b.WriteByte(byte('0' + n%10))
			continue
		}
		switch r {
		case 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63, 0x2500:
			r = '-'
		case 0x301C, 0x223C:
			r = '~'
		case 0x201C, 0x201D, 0x201E:
			r = '"'
		case 0x2018, 0x2019, 0x201A:
			r = '\''
		case 0xFE6A:
			r = '%'
		case 0xFE59:
			r = '('
		case 0xFE5A:
			r = ')'
		case 0x200B, 0x200C, 0x200D, 0xFEFF: // zero-width characters and BOM
			continue
		}
		if r == utf8.RuneError || unicode.IsSpace(r) {
			if r == utf8.RuneError {
				b.WriteRune(r)
			}
			continue
		}
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// isFolded reports whether s is plain ASCII without upper case or space, or
// CJK text that Fold would leave unchanged; it keeps the common case free of
// allocation.
func isFolded(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		// CJK ideographs and the CJK punctuation Fold keeps (、。《》【】)
		if !(r >= 0x4E00 && r <= 0x9FFF || r == 0x3001 || r == 0x3002 || r >= 0x3008 && r <= 0x3011) {
			return false
		}
		i += n
	}
	return true
}
