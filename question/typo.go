package question

import (
	"slices"
	"unicode/utf8"
)

// This file corrects the typos a pinyin input method makes: a character
// replaced by another of the same (or nearly the same) sound, "本越" for
// 本月, "拍买" for 拍卖, "检验检侧" for 检验检测. The confusion groups are
// data; a correction is only taken where it turns a stretch that is no
// known word into one (the lexicon: every word the parser reads, the
// subject triggers and the department names), so correct text stays as it
// is ("消费者" keeps its 消 although 销 is in the same group).

// confusionGroups are characters typed for one another; each group's
// characters are alternatives for each other.
var confusionGroups = []string{
	"月越阅悦", "个各", "期其齐", "前钱", "务物误", "镜睛静竟境", "卖买迈", "销消", "筋精斤",
	"测侧策册", "保宝报", "科课棵", "候侯", "检简减", "验严", "证正政", "认任", "查差茶",
	"剩胜", "截节", "止只指", "设社", "计记", "量亮", "质志", "项像向相", "场厂",
	"械戒", "饮引", "酒久", "广光", "告高", "特持", "种众", "备被", "秤称",
	"站战", "局居", "县线", "区去", "监间", "器气", "购够",
	"拍排", "直值", "钢刚", "眼演", "粮良", "品频", "装庄", "图涂", "书输", "标表", "动冻",
	"许需", "周州", "度渡",
}

// confusions maps a character to the others of its groups.
var confusions = func() map[rune][]rune {
	m := map[rune][]rune{}
	for _, g := range confusionGroups {
		rs := []rune(g)
		for _, r := range rs {
			for _, o := range rs {
				if o != r && !slices.Contains(m[r], o) {
					m[r] = append(m[r], o)
				}
			}
		}
	}
	return m
}()

// lexicon is a set of known words of two or more characters, indexed by
// the characters they contain.
type lexicon struct {
	byRune map[rune][][]rune
}

func newLexicon(lists ...[]string) *lexicon {
	l := &lexicon{byRune: map[rune][][]rune{}}
	seen := map[string]bool{}
	for _, ws := range lists {
		for _, w := range ws {
			if utf8.RuneCountInString(w) < 2 || seen[w] {
				continue
			}
			seen[w] = true
			rs := []rune(w)
			for i, r := range rs {
				if !slices.Contains(rs[:i], r) {
					l.byRune[r] = append(l.byRune[r], rs)
				}
			}
		}
	}
	return l
}

// covered reports whether a known word occurs in rs over position i.
func (l *lexicon) covered(rs []rune, i int) bool {
	for _, w := range l.byRune[rs[i]] {
		for k, r := range w {
			if r != rs[i] {
				continue
			}
			from := i - k
			if from < 0 || from+len(w) > len(rs) {
				continue
			}
			if slices.Equal(rs[from:from+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// correct replaces confused characters of s where that makes a known word
// of a stretch no known word covers; s is returned unchanged (without
// allocating) when it holds no confusable character.
func (l *lexicon) correct(s string) string {
	has := false
	for _, r := range s {
		if _, ok := confusions[r]; ok {
			has = true
			break
		}
	}
	if !has {
		return s
	}
	rs := []rune(s)
	changed := false
	for i, r := range rs {
		alts, ok := confusions[r]
		if !ok || l.covered(rs, i) {
			continue
		}
		for _, alt := range alts {
			rs[i] = alt
			if l.covered(rs, i) {
				changed = true
				break
			}
			rs[i] = r
		}
	}
	if !changed {
		return s
	}
	return string(rs)
}

// baseLexicon lists the words of this package's vocabulary; a Parser adds
// its department names.
func baseLexicon() [][]string {
	lists := [][]string{
		stopWords, chatWords, listAllWords, ratioAllWords, restWords, nowWords, yearWords,
		closingSoonWords, soonWords, openingSoonWords, startWords, endWords, noWindowWords,
		riskUniformWords, riskDiffWords, riskAttrWords, weakDeptAttr, mineWords,
		HelpWords, helpContains, ThanksWords, timeLeftWords, allWords, deadlineFillers, dayFollowers,
		countWords, planStatusWords, floorWords, extraLexicon,
	}
	for _, w := range yearOffsetWords {
		lists = append(lists, w.Words)
	}
	for _, s := range Synonyms {
		lists = append(lists, s.Triggers, s.Terms)
	}
	for _, a := range attrWords {
		lists = append(lists, a.Words)
	}
	for _, w := range weekWords {
		lists = append(lists, w.Words)
	}
	for _, w := range monthRelWords {
		lists = append(lists, w.Words)
	}
	for _, w := range quarterRelWords {
		lists = append(lists, w.Words)
	}
	for _, w := range halfWords {
		lists = append(lists, w.Words)
	}
	var fest []string
	for k := range festivals {
		fest = append(fest, k, k+"前", k+"之前", k+"以前")
	}
	slices.Sort(fest)
	return append(lists, fest)
}

// extraLexicon are known words no other list holds.
var extraLexicon = []string{"任务", "序号", "编号", "多久", "多长时间", "时间", "季度", "月份", "上旬", "中旬", "下旬", "月底", "月末", "年底", "年末"}
