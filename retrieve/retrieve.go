// Package retrieve ranks a plan's items against the words of a question
// that name what it is about ("特种设备生产许可证", "广告发布", "个体工商户").
// It scores each item with BM25F over character bigrams of three fields —
// the task name, 抽查事项 and 抽查对象范围, weighted — and splits the ranking
// at fixed fractions of the best score into the items to answer first and
// the broader ones after them. Chinese has no spaces to split words on;
// bigrams need no dictionary, and the plan is small enough (tens of items)
// to score every item for every question. It is pure and safe for
// concurrent use.
package retrieve

import (
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/changzhi-amr/choucha/plan"
)

// Fields of an item, in the order of Weights.
const (
	FieldName   = iota // 抽查任务名称
	FieldMatter        // 抽查事项
	FieldScope         // 抽查对象范围
	numFields
)

// Weights of the fields: the name says what a task is, the scope whom it
// checks; the matter is long and mentions much in passing.
var Weights = [numFields]float64{FieldName: 2, FieldMatter: 1, FieldScope: 2}

// BM25 parameters: term-frequency saturation and length normalisation
// (the usual values).
const (
	k1 = 1.2
	b  = 0.75
)

// Cut-offs, as fractions of the best item's score among those ranked.
const (
	// First: items scoring at least this are answered first.
	First = 0.75
	// Related: items scoring at least this (and less than First) are
	// listed after them as 其他相关任务; below it they are left out.
	Related = 0.35
	// MinCoverage: the words as typed match an item only when the item
	// holds at least this share of their bigrams, weighted by IDF, so
	// "医疗器械" does not match 医疗机构 through 医疗 alone.
	MinCoverage = 0.5
)

// Unit is one thing a question names.
type Unit struct {
	// Said is the words as typed ("眼镜店", "广告发布"), already normalised.
	Said string
	// Terms are the plan's words they stand for, from the synonym table
	// ("眼镜制配"): an item matches a term only when it contains it whole.
	Terms []string
}

// Hit is an item that matches at least one unit.
type Hit struct {
	Item  *plan.Item
	Score float64
}

// Index holds one plan's items prepared for scoring.
type Index struct {
	docs   []doc
	pos    map[*plan.Item]int
	df     map[string]int
	avgLen [numFields]float64
	maxIDF float64
}

type doc struct {
	item *plan.Item
	text string                     // every field folded, for whole-term matches
	has  [numFields]map[string]bool // the field's tokens
	len  [numFields]int
}

// New indexes the items of p.
func New(p *plan.Plan) *Index {
	items := p.Items()
	ix := &Index{pos: make(map[*plan.Item]int, len(items)), df: map[string]int{}}
	var total [numFields]int
	for i, it := range items {
		d := doc{item: it}
		fields := [numFields]string{FieldName: it.Name(), FieldMatter: it.Matter, FieldScope: it.Scope}
		seen := map[string]bool{}
		for f, text := range fields {
			folded := plan.Fold(text)
			d.text += folded + "\n"
			toks, n := tokens(folded, true)
			d.has[f] = map[string]bool{}
			for _, t := range toks {
				d.has[f][t] = true
				if !seen[t] {
					seen[t] = true
					ix.df[t]++
				}
			}
			d.len[f] = n
			total[f] += n
		}
		ix.docs = append(ix.docs, d)
		ix.pos[it] = i
	}
	for f := range total {
		if len(items) > 0 {
			ix.avgLen[f] = max(1, float64(total[f])/float64(len(items)))
		}
	}
	ix.maxIDF = ix.idf("")
	return ix
}

// idf is the BM25 inverse document frequency of token t (always positive).
func (ix *Index) idf(t string) float64 {
	n, df := float64(len(ix.docs)), float64(ix.df[t])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// tokens splits folded text into runs of letters and digits and returns
// the runs' bigrams (a one-character run: the character), and with
// unigrams also every character; n is the number of characters.
func tokens(s string, unigrams bool) (out []string, n int) {
	var run []rune
	flush := func() {
		switch {
		case len(run) == 1:
			if !unigrams {
				out = append(out, string(run))
			}
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				out = append(out, string(run[i:i+2]))
			}
		}
		run = run[:0]
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		n++
		run = append(run, r)
		if unigrams {
			out = append(out, string(r))
		}
	}
	flush()
	return out, n
}

// phrase is one string to look for, as distinct tokens with their IDFs.
type phrase struct {
	toks []string
	idfs []float64
	sum  float64
	term string // non-empty for a synonym term: must occur whole
}

func (ix *Index) phrase(s string, term bool) phrase {
	s = plan.Fold(s)
	toks, _ := tokens(s, false)
	var p phrase
	for _, t := range toks {
		if slices.Contains(p.toks, t) {
			continue
		}
		idf := ix.idf(t)
		p.toks, p.idfs, p.sum = append(p.toks, t), append(p.idfs, idf), p.sum+idf
	}
	if term {
		p.term = s
	}
	return p
}

// score is the phrase's BM25F score on d, 0 when d does not match it.
func (ix *Index) score(d *doc, p phrase) float64 {
	if len(p.toks) == 0 {
		return 0
	}
	if p.term != "" && !strings.Contains(d.text, p.term) {
		return 0
	}
	var s, covered float64
	for i, t := range p.toks {
		// A token counts once per field (how often the long 抽查事项
		// repeats a word says little), weighted and length-normalised.
		var tf float64
		for f := range numFields {
			if d.has[f][t] {
				tf += Weights[f] / (1 - b + b*float64(d.len[f])/ix.avgLen[f])
			}
		}
		if tf > 0 {
			s += p.idfs[i] * tf / (k1 + tf)
			covered += p.idfs[i]
		}
	}
	if covered < MinCoverage*p.sum {
		return 0
	}
	return s
}

// compiled is a unit's phrases: the words as typed and each term.
func (ix *Index) compile(u Unit) []phrase {
	var ps []phrase
	if u.Said != "" {
		ps = append(ps, ix.phrase(u.Said, false))
	}
	for _, t := range u.Terms {
		ps = append(ps, ix.phrase(t, true))
	}
	return ps
}

// unitScore is the best score of the unit's phrases on d.
func (ix *Index) unitScore(d *doc, ps []phrase) float64 {
	best := 0.0
	for _, p := range ps {
		best = max(best, ix.score(d, p))
	}
	return best
}

// Rank scores the items among (all the plan's items when among is nil)
// against units: an item's score is the sum over the units of its best
// phrase score. It returns the items that match at least one unit, best
// first, in plan order on equal scores.
func (ix *Index) Rank(units []Unit, among []*plan.Item) []Hit {
	compiled := make([][]phrase, len(units))
	for i, u := range units {
		compiled[i] = ix.compile(u)
	}
	var hits []Hit
	visit := func(d *doc) {
		s := 0.0
		for _, ps := range compiled {
			s += ix.unitScore(d, ps)
		}
		if s > 0 {
			hits = append(hits, Hit{Item: d.item, Score: s})
		}
	}
	if among == nil {
		for i := range ix.docs {
			visit(&ix.docs[i])
		}
	} else {
		for _, it := range among {
			if i, ok := ix.pos[it]; ok {
				visit(&ix.docs[i])
			}
		}
	}
	slices.SortStableFunc(hits, func(x, y Hit) int {
		switch {
		case x.Score > y.Score:
			return -1
		case x.Score < y.Score:
			return 1
		}
		return ix.pos[x.Item] - ix.pos[y.Item]
	})
	return hits
}

// Matches reports whether any item of the plan matches u.
func (ix *Index) Matches(u Unit) bool {
	ps := ix.compile(u)
	for i := range ix.docs {
		if ix.unitScore(&ix.docs[i], ps) > 0 {
			return true
		}
	}
	return false
}

// Split cuts a ranking (best first) into the items to answer first (score
// at least First × the best) and the related ones after them (at least
// Related × the best); the rest are left out.
func Split(hits []Hit) (first, related []*plan.Item) {
	if len(hits) == 0 {
		return nil, nil
	}
	best := hits[0].Score
	for _, h := range hits {
		switch {
		case h.Score >= First*best:
			first = append(first, h.Item)
		case h.Score >= Related*best:
			related = append(related, h.Item)
		}
	}
	return first, related
}
