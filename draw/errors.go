package draw

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInput marks input a draw cannot use: a bad ratio, an entity of an
	// unknown county, a credit code or userid used twice. The wrapping
	// error says which, in Chinese.
	ErrInput = errors.New("抽取条件有误")
	// ErrMismatch marks a record that Verify could not reproduce.
	ErrMismatch = errors.New("抽取记录核验不一致")
)

// Problem is one reason a draw cannot be made: a group's pool has fewer
// inspectors than each entity needs, or, after avoidance (回避), one
// candidate has.
type Problem struct {
	Group      string `json:"group"`
	Pool       string `json:"pool"` // the pool as messages name it: 沁县局, 计量科
	ItemID     string `json:"item"`
	CreditCode string `json:"credit_code,omitempty"` // empty for a pool problem
	Name       string `json:"name,omitempty"`
	Available  int    `json:"available"`
	Needed     int    `json:"needed"`
}

// String is the message shown to admins, e.g.
// "沁县局 可执行任务9 的检查人员只有1名（至少需要2名）".
func (p Problem) String() string {
	if p.CreditCode == "" {
		return fmt.Sprintf("%s 可执行任务%s 的检查人员只有%d名（至少需要%d名）", p.Pool, p.ItemID, p.Available, p.Needed)
	}
	return fmt.Sprintf("%s %s：回避后可执行任务%s的检查人员只有%d名（至少需要%d名）", p.CreditCode, p.Name, p.ItemID, p.Available, p.Needed)
}

// InfeasibleError is returned when the constraints cannot be met; the draw
// then has no result at all.
type InfeasibleError struct {
	ItemID   string
	Problems []Problem
}

// maxListed bounds the problems Error spells out; Problems has them all.
const maxListed = 10

func (e *InfeasibleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "任务%s 无法抽取：", e.ItemID)
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "……共%d项", len(e.Problems))
			break
		}
		if i > 0 {
			b.WriteString("；")
		}
		b.WriteString(p.String())
	}
	return b.String()
}
