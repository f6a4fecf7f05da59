// Package remindertest builds plans and reminder configuration for tests of
// the reminder and scheduler packages, without the plan importer: a faithful
// subset of the 2023 seed plan, built by hand from the plan types, and a
// generated plan of any size for benchmarks.
package remindertest

import (
	"fmt"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reply"
)

type itemSpec struct {
	id           string
	serial       int
	index        int
	name, matter string
	start, end   int
	raw          string
	initiators   []string
	sections     []plan.Section
}

// Seed2023 returns tasks 1, 2, 4, 11, 15 (items 15-1 and 15-2), 16 and 17 of
// seeds/changzhi-2023-plan.txt with their windows and departments.
func Seed2023() *plan.Plan {
	city := []string{plan.CityBureau}
	specs := []itemSpec{
		{"1", 1, 1, "在用计量器具的监督检查", "集贸市场、加油站、眼镜制配场所、医疗机构、国有粮食购销企业在用的强检计量器具监督检查", 2, 12, "各地组织发起/计量科指导",
			[]string{plan.CountyBureaus}, []plan.Section{{Name: "计量科", Role: "指导"}}},
		{"2", 2, 1, "法定计量检定机构专项监督检查(包含粮食购销领域建标工作)", "法定计量检定机构专项监督检查(包含粮食购销领域建标工作)", 0, 0, "市市场监督管理局发起/计量科牵头",
			city, []plan.Section{{Name: "计量科", Role: "牵头"}}},
		{"4", 4, 1, "对重点食品生产企业的监督检查", "食品生产企业许可条件保持、管理制度执行和人员管理，环境卫生和设备管理、原料进货查验、生产过程控制、产品检验等主体责任落实", 3, 12, "市市场监督管理局", city, nil},
		{"11", 11, 1, "广告发布单位的双随机抽查", "广告行为检查: (1) 广告从业人员和广告审查人员情况; (2) 广告业务承接登记、审核档案管理制度制度的建立和执行情况", 7, 10, "市市场监管局", city, nil},
		{"15-1", 15, 1, "工业产品生产许可证产品生产企业检查", "食品相关产品质量安全监管检查", 5, 11, "市市场监管局", city, nil},
		{"15-2", 15, 2, "工业产品生产许可证产品生产企业检查", "工业产品生产许可资格检查 工业产品生产许可证获证企业条件检查", 5, 11, "市市场监管局 市市场监管局", city, nil},
		{"16", 16, 1, "对直销企业服务网点、经销商的双随机抽查", "1、直销行为检查 2、登记事项检查 3、公示信息检查", 7, 9, "市市场监管局", city, nil},
		{"17", 17, 1, "对特种设备生产许可证获证企业常规监督检查的双随机抽查", "1、特种设备生产许可证；2、书面任命质量技术负责人", 3, 12, "市市场监督管理局组织发起/特种设备安全监察科牵头",
			city, []plan.Section{{Name: "特种设备安全监察科", Role: "牵头"}}},
	}
	p := &plan.Plan{
		Title:  "长治市市场监督管理局2023年度双随机抽查工作计划",
		Bureau: plan.CityBureau,
		Year:   2023,
		Source: "remindertest.Seed2023",
	}
	var task *plan.Task
	for _, s := range specs {
		if task == nil || task.Serial != s.serial {
			task = &plan.Task{Serial: s.serial, Name: s.name}
			p.Tasks = append(p.Tasks, task)
		}
		w := plan.Window{StartMonth: s.start, EndMonth: s.end}
		if s.start != 0 {
			w.Raw = fmt.Sprintf("%d月-%d月", s.start, s.end)
		}
		task.Items = append(task.Items, &plan.Item{
			ID: s.id, Serial: s.serial, Index: s.index, Task: task,
			Matter: s.matter, Window: w,
			Departments: plan.Departments{Raw: s.raw, Initiators: s.initiators, Sections: s.sections},
		})
	}
	return p
}

// CountyBureaus are 长治市's twelve districts and counties.
var CountyBureaus = []string{
	"潞州区", "上党区", "屯留区", "潞城区", "襄垣县", "平顺县",
	"黎城县", "壶关县", "长子县", "武乡县", "沁县", "沁源县",
}

// Config maps every department of Seed2023 to a userid "u-<name>" (and the
// city bureau also to department id 1 and the 计量科 to tag 7), except the
// names in unmapped.
func Config(unmapped ...string) config.Reminders {
	rc := map[string]config.Recipient{}
	names := append([]string{plan.CityBureau, "计量科", "特种设备安全监察科"}, CountyBureaus...)
	for _, n := range names {
		rc[n] = config.Recipient{Users: []string{"u-" + n}}
	}
	c := rc[plan.CityBureau]
	c.Departments = []int{1}
	rc[plan.CityBureau] = c
	c = rc["计量科"]
	c.Tags = []int{7}
	rc["计量科"] = c
	for _, n := range unmapped {
		delete(rc, n)
	}
	return config.Reminders{
		Enabled:         true,
		Spec:            "0 9 * * *",
		SendFrom:        "08:00",
		SendTo:          "20:00",
		OpenBeforeDays:  []int{7},
		CloseBeforeDays: []int{30, 7, 1},
		CatchUpDays:     3,
		Recipients:      rc,
	}
}

// Options is Config as the reminder calendar takes it, with CountyBureaus.
func Options(unmapped ...string) reminder.Options {
	return OptionsOf(Config(unmapped...), CountyBureaus)
}

// OptionsOf converts a reminders config and a county list to reminder.Options.
func OptionsOf(cfg config.Reminders, counties []string) reminder.Options {
	rc := map[string]reply.Recipient{}
	for name, r := range cfg.Recipients {
		rc[name] = r.Recipient()
	}
	return reminder.Options{OpenBeforeDays: cfg.OpenBeforeDays, CloseBeforeDays: cfg.CloseBeforeDays,
		Recipients: rc, CountyBureaus: append([]string(nil), counties...)}
}

// Generated returns a plan of items items spread over tasks of up to three
// items, and a config with departments departments (all mapped): the first
// departments-10 are county bureaus (各县区局), the rest sections. Every
// third item is initiated by 各县区局, the others by the city bureau; each
// item has one section; windows vary over the year, every tenth has none.
func Generated(year, items, departments int) (*plan.Plan, reminder.Options) {
	if departments < 11 {
		departments = 11
	}
	counties := make([]string, departments-10)
	for i := range counties {
		counties[i] = fmt.Sprintf("县区局%03d", i+1)
	}
	sections := make([]string, 10)
	for i := range sections {
		sections[i] = fmt.Sprintf("科室%02d", i+1)
	}
	rc := map[string]config.Recipient{plan.CityBureau: {Users: []string{"city"}}}
	for _, n := range append(append([]string(nil), counties...), sections...) {
		rc[n] = config.Recipient{Users: []string{"u-" + n}}
	}
	p := &plan.Plan{Title: fmt.Sprintf("生成的%d年度计划", year), Year: year}
	var task *plan.Task
	for i := 0; i < items; i++ {
		if i%3 == 0 {
			task = &plan.Task{Serial: len(p.Tasks) + 1, Name: fmt.Sprintf("生成任务%d", len(p.Tasks)+1)}
			p.Tasks = append(p.Tasks, task)
		}
		idx := len(task.Items) + 1
		start := 1 + i%12
		end := start + (i/12)%(13-start)
		w := plan.Window{StartMonth: start, EndMonth: end, Raw: fmt.Sprintf("%d月-%d月", start, end)}
		if i%10 == 9 {
			w = plan.Window{}
		}
		init := []string{plan.CityBureau}
		if i%3 == 0 {
			init = []string{plan.CountyBureaus}
		}
		task.Items = append(task.Items, &plan.Item{
			ID: fmt.Sprintf("%d-%d", task.Serial, idx), Serial: task.Serial, Index: idx, Task: task,
			Matter: "生成的抽查事项", Window: w,
			Departments: plan.Departments{Initiators: init, Sections: []plan.Section{{Name: sections[i%10], Role: "指导"}}},
		})
	}
	return p, OptionsOf(config.Reminders{Recipients: rc, OpenBeforeDays: []int{7}, CloseBeforeDays: []int{30, 7, 1}}, counties)
}
