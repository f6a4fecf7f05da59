package question

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize prepares a message for parsing: full-width digits, letters and
// punctuation become half-width, ASCII letters lower-case, traditional
// characters of the plan's vocabulary simplified (tradPairs), whitespace goes,
// 那些 becomes 哪些, and politeness or filler words ("请问", "帮我查一下",
// trailing "吗"/"呢" and question marks) are dropped. A message made only of
// question marks becomes "?" (the help request).
func Normalize(s string) string {
	t := normalizeChars(s)
	if t == "" {
		return ""
	}
	if strings.Trim(t, "?") == "" {
		return "?"
	}
	return normalizeWords(t)
}

// normalizeChars folds the characters of s (width, case, traditional forms)
// and drops whitespace, keeping numbers separated by spaces apart ("任务1 2
// 3" reads as 1、2、3).
func normalizeChars(s string) string {
	if strings.ContainsAny(s, " \t\u3000") {
		for reSpacedNumbers.MatchString(s) { // overlapping: "1 2 3"
			s = reSpacedNumbers.ReplaceAllString(s, "${1}${2}、${3}${4}")
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\u3000' || unicode.IsSpace(r):
			continue
		case r >= '\uFF01' && r <= '\uFF5E':
			r -= 0xFEE0
		case r == '。':
			r = '.'
		case r == '—' || r == '–' || r == '―':
			r = '-'
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		if t, ok := tradMap[r]; ok { // 任務 → 任务
			r = t
		}
		b.WriteRune(r)
	}
	return b.String()
}

// normalizeWords drops the filler words of t (normalizeChars' result).
func normalizeWords(t string) string {
	t = strings.ReplaceAll(t, "那些", "哪些")
	t = strings.ReplaceAll(t, "那个", "哪个")
	for _, f := range fillerAnywhere {
		t = strings.ReplaceAll(t, f, "")
	}
	// Leading politeness, repeated ("请问帮我查询…").
	for changed := true; changed; {
		changed = false
		for _, p := range fillerPrefixes {
			if strings.HasPrefix(t, p) && len(t) > len(p) {
				t = t[len(p):]
				changed = true
			}
		}
	}
	// Trailing thanks, punctuation and sentence-final particles.
	for _, suf := range []string{"谢谢你", "谢谢", "多谢"} {
		if strings.HasSuffix(strings.TrimRight(t, trailingDrop), suf) && len(strings.TrimRight(t, trailingDrop)) > len(suf) {
			t = strings.TrimSuffix(strings.TrimRight(t, trailingDrop), suf)
		}
	}
	for {
		r, n := utf8.DecodeLastRuneInString(t)
		if n == 0 || !strings.ContainsRune(trailingDrop, r) {
			break
		}
		t = t[:len(t)-n]
	}
	return t
}

// fillerAnywhere are dropped wherever they occur.
var fillerAnywhere = []string{"请问", "麻烦你", "麻烦", "帮我", "帮忙", "一下"}

// fillerPrefixes are dropped at the start only ("查" inside "抽查" stays).
var fillerPrefixes = []string{
	"您好", "你好", "请", "我想知道", "想知道", "我想问", "我想查", "告诉我", "我要查", "我要",
	"查询", "查查", "查看", "看看", "查", "问", ",", ".",
}

// trailingDrop are runes dropped at the end of a message.
const trailingDrop = "?!.,;:~吗呢吧啊呀哈、，"
