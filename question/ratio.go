package question

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file reads ratio constraints: comparisons with one or more numbers
// ("比例高于5%", "不到百分之十", "5%和10%的", "至少30%", "10％以下") and
// extremes ("比例最高的", "抽得最少的").

// Extreme asks for the items with the highest or lowest base ratio.
type Extreme int

const (
	ExtremeNone Extreme = iota
	ExtremeMax          // 比例最高 / 最大 / 抽得最多
	ExtremeMin          // 比例最低 / 最小 / 抽得最少
)

// ratioOps maps a comparison word before or after the number to its
// operator. "高于5%" is strict, "5%以上" and "不低于5%" are not (以上 and
// 以下 include the number, as in Chinese regulations).
var ratioOps = map[string]RatioOp{
	"不低于": RatioGE, "不少于": RatioGE, "不小于": RatioGE, "大于等于": RatioGE, "至少": RatioGE, "最少": RatioGE, "最低": RatioGE,
	"达到": RatioGE, ">=": RatioGE, "≥": RatioGE, "及以上": RatioGE, "或以上": RatioGE, "以上": RatioGE, "或更高": RatioGE, "及更高": RatioGE,
	"大于": RatioGT, "高于": RatioGT, "超过": RatioGT, "多于": RatioGT, "超出": RatioGT, ">": RatioGT,
	"不高于": RatioLE, "不超过": RatioLE, "不大于": RatioLE, "不多于": RatioLE, "小于等于": RatioLE, "最多": RatioLE, "至多": RatioLE, "最高": RatioLE,
	"<=": RatioLE, "≤": RatioLE, "及以下": RatioLE, "或以下": RatioLE, "以下": RatioLE, "以内": RatioLE, "或更低": RatioLE,
	"小于": RatioLT, "低于": RatioLT, "少于": RatioLT, "不到": RatioLT, "不足": RatioLT, "未达到": RatioLT, "<": RatioLT,
	"等于": RatioEq, "=": RatioEq,
}

const ratioPre = `(不低于|不少于|不小于|大于等于|至少|最少|最低|达到|>=|≥|大于|高于|超过|多于|超出|>|不高于|不超过|不大于|不多于|小于等于|最多|至多|最高|<=|≤|小于|低于|少于|不到|不足|未达到|<|等于|=)?`

var (
	// reRatioValue is one number with its comparison: "比例不低于5%",
	// "百分之三十以上", "5个百分点".
	reRatioValue = regexp.MustCompile(`(?:抽查|抽取)?(?:比例|占比)?(?:为|是|在)?` + ratioPre +
		`(?:(\d+(?:\.\d+)?)(?:%|个百分点|百分点)|百分之(\d+(?:\.\d+)?|[零一二两三四五六七八九十百]+))` +
		`(及以上|或以上|以上|或更高|及更高|及以下|或以下|以下|以内|或更低)?`)
	// reRatioRange is "10%到30%之间", "10-30%", "在10%至30%".
	reRatioRange = regexp.MustCompile(`(?:抽查|抽取)?(?:比例|占比)?(?:在|为|是)?(\d+(?:\.\d+)?)%?(?:到|至|-|~)(\d+(?:\.\d+)?)%(?:之间|以内|范围内)?`)
	reExtremeDo  = regexp.MustCompile(`抽(?:查|取)?(?:得|的)?(最多|最少)`)
)

var (
	extremeWords   = []string{"最高", "最大", "最低", "最小", "最多", "最少"}
	extremeContext = []string{"抽查比例", "抽取比例", "比例", "占比", "百分比"}
)

// parseRatio reads every ratio comparison of the question into q.Ratios
// (an item passing any of them matches; q.Ratio is the first) and an
// extreme into q.Extreme. A ratio q already has (比例100%的) comes first.
func parseRatio(sc *scanner, q *Query) {
	if strings.Contains(sc.s, "比列") { // a common typo
		sc.s = strings.ReplaceAll(sc.s, "比列", "比例")
	}
	if q.Ratio.Op != RatioNone {
		q.Ratios = append(q.Ratios, q.Ratio)
	}
	if strings.Contains(sc.s, "%") && q.Ratio.Op == RatioNone {
		if m := sc.takeRe(reRatioRange); m != nil {
			lo, _ := strconv.ParseFloat(m[1], 64)
			hi, _ := strconv.ParseFloat(m[2], 64)
			q.Ratio = RatioFilter{Op: RatioGE, Percent: min(lo, hi)}
			q.Ratios = []RatioFilter{q.Ratio, {Op: RatioLE, Percent: max(lo, hi)}}
			q.RatioRange = true
			return
		}
	}
	for strings.ContainsAny(sc.s, "%百") {
		m := sc.takeRe(reRatioValue)
		if m == nil {
			break
		}
		var p float64
		if m[2] != "" {
			p, _ = strconv.ParseFloat(m[2], 64)
		} else if v, err := strconv.ParseFloat(m[3], 64); err == nil {
			p = v
		} else {
			p = float64(percentNumber(m[3]))
		}
		if p <= 0 && m[2] == "" {
			continue
		}
		f := RatioFilter{Op: RatioEq, Percent: p}
		if op, ok := ratioOps[m[1]]; ok {
			f.Op = op
		}
		if op, ok := ratioOps[m[4]]; ok && f.Op == RatioEq {
			f.Op = op
		}
		if !slices.Contains(q.Ratios, f) {
			q.Ratios = append(q.Ratios, f)
		}
	}
	if len(q.Ratios) > 0 {
		q.Ratio = q.Ratios[0]
	}
	if len(q.Ratios) < 2 {
		q.Ratios = nil
	}

	// Extremes: "抽得最多", or 最高/最低… with 比例 anywhere in the question.
	if m := sc.takeRe(reExtremeDo); m != nil {
		q.Extreme = extremeOf(m[1])
		return
	}
	if !slices.ContainsFunc(extremeContext, func(w string) bool { return strings.Contains(sc.s, w) }) {
		return
	}
	for _, w := range extremeWords {
		if sc.take(w) {
			q.Extreme = extremeOf(w)
			sc.takeAny(extremeContext)
			return
		}
	}
}

func extremeOf(w string) Extreme {
	switch w {
	case "最高", "最大", "最多":
		return ExtremeMax
	}
	return ExtremeMin
}

// percentNumber reads a Chinese numeral up to 一百 (百分之五, 百分之三十,
// 百分之一百); 0 if it cannot.
func percentNumber(s string) int {
	switch s {
	case "百", "一百":
		return 100
	}
	return number(s)
}
