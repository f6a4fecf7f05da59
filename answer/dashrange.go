package answer

import (
	"fmt"

	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/question"
)

// maxDashRange bounds a range of task numbers written with a dash.
const maxDashRange = 30

// dashRange reads "任务1-5" as the tasks 1 to 5 when the plan has no item
// "1-5": the parser cannot tell a range from an item number such as "15-2"
// without the plan. Only a second number above the first is a range (an
// item's index is never read as one when the plan has that item).
func dashRange(p *plan.Plan, q *question.Query) {
	if len(q.Refs) != 1 || q.Ref == nil {
		return
	}
	r := *q.Ref
	if r.Index <= r.Serial || r.Index-r.Serial > maxDashRange {
		return
	}
	if _, ok := p.Item(r.String()); ok {
		return
	}
	q.Refs = q.Refs[:0]
	for s := r.Serial; s <= r.Index; s++ {
		q.Refs = append(q.Refs, question.Ref{Serial: s})
	}
	q.Ref = &q.Refs[0]
}

// refRange is "1-17" when refs are whole tasks numbered one after another
// (a range asked for), so a heading need not list every number.
func refRange(refs []question.Ref) (string, bool) {
	if len(refs) < 3 {
		return "", false
	}
	for i, r := range refs {
		if r.Index != 0 || r.Serial != refs[0].Serial+i {
			return "", false
		}
	}
	return fmt.Sprintf("%d-%d", refs[0].Serial, refs[len(refs)-1].Serial), true
}
