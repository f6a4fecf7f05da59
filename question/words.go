package question

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// words splits what the parser left of a message into the stretches it
// did not understand: stop words, talk (chatWords) and connectors go
// (multi-character stop words anywhere, single characters only at a
// stretch's edges, so "个体工商户" keeps its 个), except inside the
// subject vocabulary ("食品相关产品" keeps its 相关), and stretches shorter
// than two characters are dropped.
func words(s string) []string {
	protect := make([]bool, len(s))
	for _, w := range vocabWords {
		mark(s, w, protect, nil)
	}
	drop := make([]bool, len(s))
	for _, w := range dropWords {
		mark(s, w, drop, protect)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if drop[i] {
			if i == 0 || !drop[i-1] {
				b.WriteString(sep)
			}
			continue
		}
		b.WriteByte(s[i])
	}
	var out []string
	for _, seg := range strings.Split(b.String(), sep) {
		seg = strings.Trim(seg, edgeStops)
		if utf8.RuneCountInString(seg) >= 2 && !interjection(seg) {
			out = append(out, seg)
		}
	}
	return out
}

// mark sets set[i] for the bytes of every occurrence of w in s that
// touches no byte of unless.
func mark(s, w string, set, unless []bool) {
	for from := 0; ; {
		j := strings.Index(s[from:], w)
		if j < 0 {
			return
		}
		i := from + j
		from = i + 1
		if unless != nil && slices.Contains(unless[i:i+len(w)], true) {
			continue
		}
		for k := i; k < i+len(w); k++ {
			set[k] = true
		}
	}
}

// dropWords are the stop words and talk of two or more characters, and
// the connectors.
var dropWords = func() []string {
	var out []string
	for _, w := range slices.Concat(stopWords, chatWords) {
		if utf8.RuneCountInString(w) > 1 {
			out = append(out, w)
		}
	}
	return append(out, connectors...)
}()

// vocabWords are the synonym table's words (triggers and plan terms) that
// hold a stop word, talk or a connector ("食品相关产品"): those stay.
var vocabWords = func() []string {
	var out []string
	for _, s := range Synonyms {
		for _, w := range slices.Concat(s.Triggers, s.Terms) {
			holds := slices.ContainsFunc(dropWords, func(x string) bool { return strings.Contains(w, x) })
			if holds && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}()

// connectors join two things asked about ("个体工商户和企业"): each is
// scored on its own.
var connectors = []string{"和", "与", "或", "、", ",", ";"}

// chatWords are the talk around a question ("领导让我问下", "来着"): like
// stopWords they are dropped, so that they neither count as a subject nor
// earn a "未能识别" note (leaving them out changes nothing).
var chatWords = []string{"领导让我", "领导", "让我", "问一问", "问问", "问下", "说一说", "说说", "说下", "能不能", "能否", "可不可以",
	"我想", "想看", "看看", "给我列", "给我", "发给我", "发我", "列出", "列下", "告诉我", "来着", "哪个啥", "那啥", "我问", "问个事", "就是说", "就是", "干些啥", "干啥", "干什么", "做什么", "啥活", "些啥", "有啥"}

// interjections are the characters of laughter and sentence-final talk
// (哈哈, 啦啦啦, 嗯嗯, 呵呵): a stretch made only of them means nothing, so
// leaving it out changes nothing and is not reported as not understood.
const interjections = "啊阿呀哈啦嘛呢吧哦噢嗯呵嘿咯喔唉哎诶嘻哇呐咧呗哟嗨额呃"

// interjection reports whether every character of w is an interjection.
func interjection(w string) bool {
	for _, r := range w {
		if !strings.ContainsRune(interjections, r) {
			return false
		}
	}
	return true
}
