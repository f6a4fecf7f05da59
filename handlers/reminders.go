package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/reply"
)

// Reminders answers the reminder questions. Package scheduler implements it
// over the reminder calendar and the records in Redis.
type Reminders interface {
	// Upcoming is the markdown list of reminders the departments will get
	// in the coming days.
	UpcomingMarkdown(ctx context.Context, now time.Time, departments []string) (string, error)
	// Records is the markdown list of what was sent, late, missed or failed
	// for the plan year of now (admins only).
	RecordsMarkdown(ctx context.Context, now time.Time) (string, error)
}

const (
	remindersPlanWord    = "提醒计划"
	remindersRecordsWord = "提醒记录"
)

// reminderRoutes are the reminder entries of the route table.
func reminderRoutes(r Reminders) []Route {
	return []Route{
		{Name: "reminder-records", Match: Match{Exact: []string{remindersRecordsWord, "提醒日志"}},
			Handler: func(ctx context.Context, req *Request) (reply.Reply, error) {
				if r == nil {
					return reply.Text(remindersOff), nil
				}
				if !req.Admin {
					return reply.Text("“提醒记录”仅管理员可以查看。您可以发送“提醒计划”查看本部门将收到的提醒。"), nil
				}
				md, err := r.RecordsMarkdown(ctx, req.Now)
				if err != nil {
					return reply.Reply{}, err
				}
				return reply.Markdown(md), nil
			}},
		{Name: "reminder-plan", Match: Match{Prefix: remindersPlanWord},
			Handler: func(ctx context.Context, req *Request) (reply.Reply, error) {
				if r == nil {
					return reply.Text(remindersOff), nil
				}
				depts := req.Sections
				if rest := strings.TrimPrefix(question.Normalize(req.Text), remindersPlanWord); rest != "" {
					depts = []string{reminderDepartment(rest)}
				}
				if len(depts) == 0 {
					return reply.Text("暂时不知道您所在的部门（您的企业微信部门尚未在配置中对应到计划中的科室或县区局）。\n" +
						"可以指定部门查看，例如：“提醒计划 计量科”“提醒计划 潞州区”“提醒计划 市局”。"), nil
				}
				md, err := r.UpcomingMarkdown(ctx, req.Now, depts)
				if err != nil {
					return reply.Reply{}, err
				}
				return reply.Markdown(md), nil
			}},
	}
}

const remindersOff = "提醒功能未启用（控制台模式或配置中 reminders.enabled 为 false）。可以用命令 `choucha reminders --from 日期 --to 日期` 查看提醒日历。"

// reminderDepartment maps what a user typed after 提醒计划 to the name the
// reminder calendar uses: the city bureau's canonical name, a section, or a
// county bureau by its own name (潞州区).
func reminderDepartment(s string) string {
	switch s {
	case "市局", "市市场监管局", "市市场监督管理局", "市级":
		return "市市场监督管理局"
	case "县区局", "各县区局", "各地":
		return "各县区局"
	}
	if c := question.CanonicalDepartment(s); c != "" && strings.HasSuffix(c, "科") {
		return c
	}
	return s
}
