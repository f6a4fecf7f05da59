package answer

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/retrieve"
)

// indexes caches one retrieval index per loaded plan (plans never change
// after loading).
var indexes sync.Map // *plan.Plan -> *retrieve.Index

func indexFor(p *plan.Plan) *retrieve.Index {
	if ix, ok := indexes.Load(p); ok {
		return ix.(*retrieve.Index)
	}
	ix, _ := indexes.LoadOrStore(p, retrieve.New(p))
	return ix.(*retrieve.Index)
}

// units is what q names, for the retrieval step: each subject (the words as
// typed and the plan words the synonym table gives for them), each word
// nothing else understood, and each stretch as typed that held several of
// them ("特种设备生产许可证"): an item holding the whole stretch is the more
// specific match.
func units(q *question.Query) []retrieve.Unit {
	var us []retrieve.Unit
	for _, s := range q.Subjects {
		us = append(us, retrieve.Unit{Said: s.Said, Terms: s.Terms})
	}
	for _, w := range q.Words {
		us = append(us, retrieve.Unit{Said: w})
	}
	if len(us) < 2 {
		return us
	}
	for _, p := range q.Phrases {
		if !slices.ContainsFunc(us, func(u retrieve.Unit) bool { return u.Said == p }) {
			us = append(us, retrieve.Unit{Said: p})
		}
	}
	return us
}

// readWords sorts q's Words into those some item of the plan matches and
// those none does. Without a subject or task number, the known ones become
// q's subject ("个体工商户", "广告发布"); the unknown ones are returned, for
// the note after the answer, and dropped from q.
func readWords(q question.Query, p *plan.Plan) (question.Query, []string) {
	ix := indexFor(p)
	var known, unknown []string
	for _, w := range q.Words {
		if ix.Matches(retrieve.Unit{Said: w}) {
			known = append(known, w)
		} else {
			unknown = append(unknown, w)
		}
	}
	q.Words = known
	if q.Ref == nil && len(q.Subjects) == 0 && len(known) > 0 {
		label := strings.Join(known, "、")
		if len(q.Phrases) == 1 {
			label = q.Phrases[0]
		}
		q = q.WithSubject(question.Subject{Label: excerpt(label), Said: known[0]})
	}
	return q, unknown
}

// selection is the items answering a question: those passing its filters
// and, when it names a subject, ranked by how specifically they match it.
type selection struct {
	// items and noWindow are the items to answer first (with and without a
	// window), best match first (in the plan's order when no subject was
	// asked); best are all of them, best first (no subject: items, then
	// noWindow).
	items, noWindow, best []*plan.Item
	// related are broader matches (其他相关任务), best first.
	related []*plan.Item
	tf      timeFilter
}

// all is the first items followed by the related ones.
func (s selection) all() []*plan.Item { return slices.Concat(s.best, s.related) }

// selectItems applies q's filters (the time filter only with useTime),
// then ranks what passes against what q names and cuts the ranking at the
// retrieve package's fractions of the best score.
func (a *Asker) selectItems(q *question.Query, now time.Time, s scope, useTime bool) selection {
	items, noWindow, tf := a.hardFilter(q, now, s, useTime)
	sel := selection{items: items, noWindow: noWindow, tf: tf}
	us := units(q)
	if len(us) == 0 {
		sel.best = slices.Concat(items, noWindow)
		return sel
	}
	hits := indexFor(s.Plan).Rank(us, slices.Concat(items, noWindow))
	first, related := retrieve.Split(hits)
	in := func(list []*plan.Item) func(*plan.Item) bool {
		return func(it *plan.Item) bool { return slices.Contains(list, it) }
	}
	sel.items = slices.DeleteFunc(slices.Clone(first), func(it *plan.Item) bool { return !in(items)(it) })
	sel.noWindow = slices.DeleteFunc(slices.Clone(first), func(it *plan.Item) bool { return !in(noWindow)(it) })
	sel.best, sel.related = first, related
	return sel
}

// filter returns the items of the scope's plan passing every filter of q
// — for the subject, the items answered first (selectItems also gives the
// broader ones) — and the time filter applied (none unless useTime).
func (a *Asker) filter(q *question.Query, now time.Time, s scope, useTime bool) (items, noWindow []*plan.Item, tf timeFilter) {
	sel := a.selectItems(q, now, s, useTime)
	return sel.items, sel.noWindow, sel.tf
}

// subjectLabel is how an answer's title names what q asks about:
// “眼镜制配” for one synonym, else the stretches as typed.
func subjectLabel(q *question.Query) string {
	var labels []string
	if len(q.Subjects) == 1 && len(q.Words) == 0 || len(q.Phrases) == 0 {
		for _, s := range q.Subjects {
			labels = append(labels, "“"+s.Label+"”")
		}
	} else {
		for _, p := range q.Phrases {
			labels = append(labels, "“"+excerpt(p)+"”")
		}
	}
	return strings.Join(labels, "或")
}
