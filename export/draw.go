package export

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/plan"
)

// Layout chooses the columns of a draw table. A value other than Internal
// is taken as Publication, which shows less.
type Layout int

const (
	// Publication is for the public (一公开): who is checked under which
	// item by whom, without risk classes or inspectors.
	Publication Layout = iota
	// Internal is for admins: the publication's columns and the risk class,
	// the inspectors, the entity's address and industry and the draw batch.
	Internal
)

// String is 公示 or 内部, as in the table titles.
func (l Layout) String() string {
	if l == Internal {
		return "内部"
	}
	return "公示"
}

// Columns of the draw tables. The publication's are the first six.
var (
	publicationHeader = []string{"统一社会信用代码", "名称", "所属区县", "抽查任务", "抽查事项", "发起部门"}
	internalHeader    = append(publicationHeader[:len(publicationHeader):len(publicationHeader)],
		"信用风险分类", "检查人员", "检查人员账号", "地址", "行业", "抽取批次", "抽取时间", "补足户数")
)

// Time layouts of the tables, in Asia/Shanghai.
const (
	minuteLayout = "2006-01-02 15:04"
	secondLayout = "2006-01-02 15:04:05"
)

// DrawTable lists the entities of rec's result, group by group in draw
// order, one row each. item is the plan item drawn (nil leaves its task
// name, matter and departments empty); entities (by credit code) give the
// internal layout the address and industry, inspectors (by userid) the
// inspectors' names; entries missing from them leave the address and
// industry empty and show the userid for the name. Names and districts are
// the ones recorded with the draw.
//
// 发起部门 is the item's initiators, 各县区局 written as the entity's own
// county bureau (潞州区市场监督管理局), followed by its lead and guiding
// sections: "潞州区市场监督管理局（计量科指导）". 信用风险分类 is the class the
// entity was drawn in (an unclassified entity counts as the draw's
// UnclassifiedAs class); for a uniform draw, which records no class, it is
// the entity's class in entities, or 未分类.
func DrawTable(layout Layout, rec *draw.Record, item *plan.Item, entities map[string]directory.Entity, inspectors map[string]directory.Inspector) Table {
	t := Table{
		Title:  fmt.Sprintf("%d年度双随机抽查 任务%s 抽取结果（%s）", rec.Year, rec.ItemID, layout),
		Header: publicationHeader,
	}
	if layout == Internal {
		t.Header = internalHeader
	}
	t.Header = append([]string(nil), t.Header...)
	if rec.Result == nil {
		return t
	}
	task, matter := rec.ItemID, ""
	var depts plan.Departments
	if item != nil {
		task = strings.TrimSpace(item.ID + " " + item.Name())
		matter, depts = item.Matter, item.Departments
	}
	at := ""
	if !rec.At.IsZero() {
		at = rec.At.In(shanghai()).Format(minuteLayout)
	}
	n := 0
	for _, g := range rec.Result.Groups {
		n += len(g.Entities)
	}
	t.Rows = make([][]string, 0, n)
	cells := make([]string, n*len(t.Header)) // one allocation for every row
	for _, g := range rec.Result.Groups {
		for _, d := range g.Entities {
			county := d.District
			if county == "" {
				county = g.Group
			}
			row := cells[:len(t.Header):len(t.Header)]
			cells = cells[len(t.Header):]
			row[0], row[1], row[2] = d.CreditCode, d.Name, d.District
			row[3], row[4], row[5] = task, matter, depts.Text(county)
			if layout == Internal {
				e, known := entities[d.CreditCode]
				class := d.Class
				if class == "" && known {
					class = e.Risk
				}
				names := make([]string, len(d.Inspectors))
				for i, u := range d.Inspectors {
					names[i] = u
					if in, ok := inspectors[u]; ok && in.Name != "" {
						names[i] = in.Name
					}
				}
				extra := ""
				if d.Extra {
					extra = "是"
				}
				row[6], row[7], row[8] = class.Label(), strings.Join(names, "、"), strings.Join(d.Inspectors, ";")
				row[9], row[10], row[11], row[12], row[13] = e.Address, e.Industry, rec.ID, at, extra
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// shanghai is Asia/Shanghai, or UTC+8 when the zone database is missing
// (China has had no daylight saving time since 1991).
var shanghai = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
})
