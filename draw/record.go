package draw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/plan"
)

// Record is the audit record of one draw (第47条 full-process records): who
// drew, when, every input by hash or value, the seed and the result. It
// round-trips through JSON.
type Record struct {
	ID             string    `json:"id"`
	Operator       string    `json:"operator"` // userid or "cli:<user>"
	At             time.Time `json:"at"`
	Year           int       `json:"year"` // the plan's year
	ItemID         string    `json:"item"`
	EntitiesHash   string    `json:"entities_hash"`   // directory.Entities.Hash
	InspectorsHash string    `json:"inspectors_hash"` // directory.Inspectors.Hash
	Params         Params    `json:"params"`
	Seed           Seed      `json:"seed"` // 64 hex digits
	Algorithm      string    `json:"algorithm"`
	ResultHash     string    `json:"result_hash"`
	Result         *Result   `json:"result"`
	// Replaces is the id of the item's earlier draw this one replaces (a
	// re-draw), with the reason given; both empty for a first draw.
	Replaces string `json:"replaces,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// ErrConflict is returned by Store.Commit when the item's current draw is
// not the one the caller expected (another admin drew it meanwhile).
var ErrConflict = errors.New("draw: the item was drawn meanwhile")

// Store keeps the draw records of each plan year.
type Store interface {
	// Commit saves rec as its item's current draw if the item's current
	// draw is rec.Replaces ("" for none); else ErrConflict and nothing saved.
	Commit(ctx context.Context, rec *Record) error
	// Get returns a draw by id, or nil.
	Get(ctx context.Context, id string) (*Record, error)
	// Current returns the item's current draw of year, or nil.
	Current(ctx context.Context, year int, item string) (*Record, error)
	// List returns every draw of year, oldest first (re-drawn ones too).
	List(ctx context.Context, year int) ([]*Record, error)
	// MarkNotified records that rec's inspectors were all told; Notified
	// reports it.
	MarkNotified(ctx context.Context, rec *Record) error
	Notified(ctx context.Context, rec *Record) (bool, error)
}

// YearOfID is the plan year an id made by NewID names, or 0.
func YearOfID(id string) int {
	y, _, ok := strings.Cut(id, "-")
	if !ok || len(y) != 4 {
		return 0
	}
	n := 0
	for _, c := range y {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// NewID names a draw: year, item, time and a random suffix, e.g.
// 2023-8-20230315T090000-3f9a.
func NewID(year int, item string, at time.Time, random string) string {
	return fmt.Sprintf("%d-%s-%s-%s", year, item, at.Format("20060102T150405"), random)
}

// NewRecord records res, drawn from in with seed.
func NewRecord(id, operator string, at time.Time, year int, in Input, seed Seed, res *Result) *Record {
	return &Record{
		ID: id, Operator: operator, At: at.Round(0), Year: year,
		ItemID:         in.Item.ID,
		EntitiesHash:   in.Entities.Hash,
		InspectorsHash: in.Inspectors.Hash,
		Params:         in.Params.clone(),
		Seed:           seed,
		Algorithm:      Algorithm,
		ResultHash:     res.Hash(),
		Result:         res,
	}
}

// Verify re-runs the draw of rec from the item and the two snapshots and
// returns nil when it reproduces rec exactly. Otherwise the error wraps
// ErrMismatch and says, in Chinese, what differs: the algorithm, the item,
// a snapshot's hash, the result hash, or the result itself.
func Verify(rec *Record, item *plan.Item, entities *directory.Entities, inspectors *directory.Inspectors) error {
	mismatch := func(format string, args ...any) error {
		return fmt.Errorf("%w：%s", ErrMismatch, fmt.Sprintf(format, args...))
	}
	switch {
	case rec.Algorithm != Algorithm:
		return mismatch("记录的算法是 %s，本程序是 %s", rec.Algorithm, Algorithm)
	case item.ID != rec.ItemID:
		return mismatch("记录的是任务%s，给出的是任务%s", rec.ItemID, item.ID)
	case entities.Hash != rec.EntitiesHash:
		return mismatch("检查对象名录快照不同（记录 %s，给出 %s）", rec.EntitiesHash, entities.Hash)
	case inspectors.Hash != rec.InspectorsHash:
		return mismatch("检查人员名录快照不同（记录 %s，给出 %s）", rec.InspectorsHash, inspectors.Hash)
	case rec.Result == nil:
		return mismatch("记录中没有抽取结果")
	}
	if h := rec.Result.Hash(); h != rec.ResultHash {
		return mismatch("记录中的结果与记录的结果哈希不符（%s，记录 %s）", h, rec.ResultHash)
	}
	res, err := Draw(Input{Item: item, Entities: entities, Inspectors: inspectors, Params: rec.Params}, rec.Seed)
	if err != nil {
		return fmt.Errorf("%w：重新抽取失败：%w", ErrMismatch, err)
	}
	if h := res.Hash(); h != rec.ResultHash {
		return mismatch("重新抽取的结果哈希是 %s，记录是 %s", h, rec.ResultHash)
	}
	// The hash leaves out names and counts; compare those too.
	a, errA := json.Marshal(res)
	b, errB := json.Marshal(rec.Result)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		return mismatch("重新抽取的结果与记录中的名称或户数不同")
	}
	return nil
}

// Overlap is an entity drawn under more than one item in the records given,
// so that its checks can be combined in one visit.
type Overlap struct {
	CreditCode string   `json:"credit_code"`
	Name       string   `json:"name"`
	Items      []string `json:"items"` // item ids, in the order of the records
}

// Overlaps lists, by credit code, the entities drawn under two or more
// distinct items in records (pass the year's current records: a superseded
// draw of the same item would only repeat its item).
func Overlaps(records []*Record) []Overlap {
	byCode := map[string]*Overlap{}
	for _, r := range records {
		if r == nil || r.Result == nil {
			continue
		}
		for _, g := range r.Result.Groups {
			for _, d := range g.Entities {
				o := byCode[d.CreditCode]
				if o == nil {
					o = &Overlap{CreditCode: d.CreditCode, Name: d.Name}
					byCode[d.CreditCode] = o
				}
				if !slices.Contains(o.Items, r.ItemID) {
					o.Items = append(o.Items, r.ItemID)
				}
			}
		}
	}
	var out []Overlap
	for _, o := range byCode {
		if len(o.Items) > 1 {
			out = append(out, *o)
		}
	}
	slices.SortFunc(out, func(a, b Overlap) int { return strings.Compare(a.CreditCode, b.CreditCode) })
	return out
}
