package question

import (
	"strings"
	"unicode/utf8"
)

// words splits what the parser left of a message into the stretches it
// did not understand: stop words go (multi-character ones anywhere, single
// characters only at a stretch's edges, so "个体工商户" keeps its 个), and
// stretches shorter than two characters are dropped.
func words(s string) []string {
	for _, list := range [][]string{stopWords, chatWords} {
		for _, w := range list {
			if utf8.RuneCountInString(w) > 1 {
				s = strings.ReplaceAll(s, w, sep)
			}
		}
	}
	for _, c := range connectors {
		s = strings.ReplaceAll(s, c, sep)
	}
	var out []string
	for _, seg := range strings.Split(s, sep) {
		seg = strings.Trim(seg, edgeStops)
		if utf8.RuneCountInString(seg) >= 2 {
			out = append(out, seg)
		}
	}
	return out
}

// connectors join two things asked about ("个体工商户和企业"): each is
// scored on its own.
var connectors = []string{"和", "与", "或", "、", ",", ";"}

// chatWords are the talk around a question ("领导让我问下", "来着"): like
// stopWords they are dropped, so that they neither count as a subject nor
// earn a "未能识别" note (leaving them out changes nothing).
var chatWords = []string{"领导让我", "领导", "让我", "问一问", "问问", "问下", "说一说", "说说", "说下", "能不能", "能否", "可不可以",
	"我想", "想看", "看看", "给我列", "给我", "发给我", "发我", "列出", "列下", "告诉我", "来着", "干些啥", "干啥", "干什么", "做什么", "啥活", "些啥", "有啥"}
