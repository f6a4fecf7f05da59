package export

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/plan"
)

// Columns of the findings tables. The publication's are the first seven.
var (
	findingsPublicationHeader = []string{"统一社会信用代码", "名称", "抽查任务", "抽查事项", "检查日期", "检查结果", "发起部门"}
	findingsInternalHeader    = append(findingsPublicationHeader[:len(findingsPublicationHeader):len(findingsPublicationHeader)],
		"检查人员", "检查方式", "后续处置", "备注", "照片数", "会签状态")
)

// FindingsTable lists the check results of a plan item, one row per
// finding in the order given. item is the plan item (nil leaves its task
// name, matter and departments empty); rec, the item's draw, gives each
// entity's county for 发起部门 (各县区局 written as the entity's own county
// bureau); inspectors (by userid) give the inspectors' names, a userid
// missing from them standing for itself.
//
// The publication layout (一公开) lists only co-signed findings: a result
// still awaiting co-signature or disputed is not published. The internal
// layout lists every finding with its co-signature state.
func FindingsTable(layout Layout, fs []*finding.Finding, item *plan.Item, rec *draw.Record, inspectors map[string]directory.Inspector) Table {
	itemID := ""
	year := 0
	if item != nil {
		itemID = item.ID
	}
	if len(fs) > 0 {
		itemID, year = fs[0].ItemID, fs[0].Year
	}
	if rec != nil {
		year = rec.Year
		if itemID == "" {
			itemID = rec.ItemID
		}
	}
	t := Table{
		Title:  fmt.Sprintf("%d年度双随机抽查 任务%s 检查结果（%s）", year, itemID, layout),
		Header: append([]string(nil), findingsPublicationHeader...),
	}
	if layout == Internal {
		t.Header = append([]string(nil), findingsInternalHeader...)
	}
	task, matter := itemID, ""
	var depts plan.Departments
	if item != nil {
		task = strings.TrimSpace(item.ID + " " + item.Name())
		matter, depts = item.Matter, item.Departments
	}
	county := map[string]string{}
	if rec != nil && rec.Result != nil {
		for _, g := range rec.Result.Groups {
			for _, d := range g.Entities {
				c := d.District
				if c == "" {
					c = g.Group
				}
				county[strings.ToUpper(d.CreditCode)] = c
			}
		}
	}
	name := func(u string) string {
		if in, ok := inspectors[u]; ok && in.Name != "" {
			return in.Name
		}
		return u
	}
	for _, f := range fs {
		if layout != Internal && f.State != finding.Cosigned {
			continue
		}
		date := ""
		if !f.CheckDate.IsZero() {
			date = f.CheckDate.Format("2006-01-02")
		}
		row := []string{f.CreditCode, f.EntityName, task, matter, date, f.Result.Label(),
			depts.Text(county[strings.ToUpper(f.CreditCode)])}
		if layout == Internal {
			people := []string{name(f.Reporter)}
			for _, u := range f.CoInspectors {
				people = append(people, name(u))
			}
			state := f.State.Label()
			if f.State == finding.Disputed && f.DisputeReason != "" {
				state += "：" + f.DisputeReason
			}
			row = append(row, strings.Join(people, "、"), strings.Join(f.Methods, "、"), f.FollowUp.Label(),
				f.Remarks, strconv.Itoa(len(f.Photos)), state)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
