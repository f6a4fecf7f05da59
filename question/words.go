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
	for _, w := range stopWords {
		if utf8.RuneCountInString(w) > 1 {
			s = strings.ReplaceAll(s, w, sep)
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
