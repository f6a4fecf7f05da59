// Package directory holds the two 名录库 of 双随机: the entities that may be
// checked (检查对象名录) and the inspectors who may check them (执法检查人员名录),
// imported from CSV (UTF-8, UTF-8 with BOM, GBK) and .xlsx with their columns
// found by Chinese header. An import is validated whole: every problem is
// reported with its row and column and nothing is returned half-done. It
// imports neither Redis, WeCom nor config loading.
package directory

import (
	"context"
	"time"
)

// RiskClass is a credit-risk class (国市监信发〔2022〕6号), re-classified monthly.
// Risk classes are not public: only admins see them.
type RiskClass string

const (
	RiskA            RiskClass = "A" // 低风险
	RiskB            RiskClass = "B" // 一般风险
	RiskC            RiskClass = "C" // 较高风险
	RiskD            RiskClass = "D" // 高风险
	RiskUnclassified RiskClass = ""  // 未分类
)

// RiskClasses are the classes in rising order of risk.
var RiskClasses = []RiskClass{RiskA, RiskB, RiskC, RiskD}

// Label is the Chinese name of the class: 低风险, ..., 未分类.
func (c RiskClass) Label() string {
	switch c {
	case RiskA:
		return "低风险"
	case RiskB:
		return "一般风险"
	case RiskC:
		return "较高风险"
	case RiskD:
		return "高风险"
	}
	return "未分类"
}

// Status is the registration status (登记状态) as written: 存续, 在业, 注销,
// 吊销, 撤销, 迁出.
type Status string

const (
	StatusExisting  Status = "存续"
	StatusOperating Status = "在业"
	StatusCancelled Status = "注销"
	StatusRevoked   Status = "吊销"
	StatusWithdrawn Status = "撤销"
	StatusMovedOut  Status = "迁出"
)

// Active reports whether entities with this status may be drawn (存续, 在业).
func (s Status) Active() bool { return s == StatusExisting || s == StatusOperating }

// Entity is one row of the 检查对象名录.
type Entity struct {
	CreditCode string    // 统一社会信用代码, 18 characters, check digit valid
	Name       string    // 名称
	Items      []string  // 抽查任务: plan item ids ("1", "8", "15-2"), in file order, unique
	District   string    // 所属区县: canonical county/district name
	Risk       RiskClass // 信用风险分类
	Status     Status    // 登记状态
	Address    string    // 地址 (optional)
	Phone      string    // 联系电话 (optional)
	Industry   string    // 行业 (optional)
	Row        int       // 1-based row in the source file (the header is row 1 when it is first)
}

// Active reports whether the entity may be drawn.
func (e *Entity) Active() bool { return e.Status.Active() }

// InScope reports whether the entity falls under plan item id.
func (e *Entity) InScope(item string) bool {
	for _, it := range e.Items {
		if it == item {
			return true
		}
	}
	return false
}

// Inspector is one row of the 执法检查人员名录.
type Inspector struct {
	Name      string   // 姓名
	UserID    string   // 企业微信账号 (WeCom userid)
	BadgeNo   string   // 执法证号
	Unit      string   // 所属部门: canonical section name or county/district name
	AllItems  bool     // 可执行任务 is 全部
	Items     []string // 可执行任务: plan item ids, when not AllItems
	Avoid     []string // 回避对象: credit codes of entities the inspector must not check
	Specialty string   // 专业领域 (optional)
	Mobile    string   // 手机 (optional)
	Row       int
}

// CanExecute reports whether the inspector may execute plan item id.
func (in *Inspector) CanExecute(item string) bool {
	if in.AllItems {
		return true
	}
	for _, it := range in.Items {
		if it == item {
			return true
		}
	}
	return false
}

// Avoids reports whether the inspector must not check the entity with this code.
func (in *Inspector) Avoids(creditCode string) bool {
	for _, c := range in.Avoid {
		if c == creditCode {
			return true
		}
	}
	return false
}

// Meta describes one imported snapshot of a directory.
type Meta struct {
	Source     string // file name as given
	Hash       string // "sha256:<hex>" of the file's bytes, as imported
	Rows       int    // data rows imported
	ImportedBy string // userid or "cli:<user>"
	ImportedAt time.Time
}

// Entities is one imported snapshot of the 检查对象名录.
type Entities struct {
	Meta
	List []Entity
}

// Inspectors is one imported snapshot of the 执法检查人员名录.
type Inspectors struct {
	Meta
	List []Inspector
}

// Import is one recorded import of a directory.
type Import struct {
	Kind string `json:"kind"` // KindEntities or KindInspectors
	Meta
}

// Directory kinds.
const (
	KindEntities   = "entities"   // 检查对象名录
	KindInspectors = "inspectors" // 执法检查人员名录
)

// KindLabel is the Chinese name of a directory kind.
func KindLabel(kind string) string {
	if kind == KindInspectors {
		return "执法检查人员名录"
	}
	return "检查对象名录"
}

// Store keeps the current snapshot of each directory. A save replaces the
// snapshot and records the import in one step: readers see the old one or
// the new one, never a mix.
type Store interface {
	SaveEntities(ctx context.Context, e *Entities) error
	SaveInspectors(ctx context.Context, in *Inspectors) error
	// Entities and Inspectors return the current snapshot, or nil when none
	// was imported.
	Entities(ctx context.Context) (*Entities, error)
	Inspectors(ctx context.Context) (*Inspectors, error)
	// Imports lists the latest imports, newest first.
	Imports(ctx context.Context, n int) ([]Import, error)
	// EntitiesByHash and InspectorsByHash return the snapshot with that
	// content hash, current or replaced, or nil: a draw is verified against
	// the snapshots it used.
	EntitiesByHash(ctx context.Context, hash string) (*Entities, error)
	InspectorsByHash(ctx context.Context, hash string) (*Inspectors, error)
}
