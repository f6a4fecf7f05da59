package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/changzhi-amr/choucha/department"
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
func reminderRoutes(r Reminders, units *department.Vocabulary) []Route {
	return []Route{
		{Name: "reminder-records", Match: Match{Regexp: remindersRecordsRe},
			Handler: func(ctx context.Context, req *Request) (reply.Reply, error) {
				if r == nil {
					return reply.Text(remindersOff), nil
				}
				if !req.Admin {
					return reply.Text("“提醒记录”仅管理员可以查看。您可以发送“提醒计划”查看本部门将收到的提醒。"), nil
				}
				// 提醒记录 takes no argument: say so rather than let the
				// argument fall through to a plan search that finds nothing.
				if rest := remindersRecordsRe.FindStringSubmatch(question.Normalize(req.Text))[1]; rest != "" {
					return reply.Text(fmt.Sprintf("“提醒记录”后面不用加内容（收到的是“%s”）：它列出本年度所有部门的提醒记录（已发送、迟发、漏发、失败）。\n"+
						"请只发送“提醒记录”；要看某个部门将收到的提醒，发送“提醒计划 计量科”这样的“提醒计划 部门名”。", rest)), nil
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
					u, ok := units.Resolve(rest)
					if !ok {
						return reply.Text(fmt.Sprintf("没有名为“%s”的科室或县区局，无法查看它的提醒计划。\n可以指定：%s、%s、市局、各县区局，例如“提醒计划 %s”。",
							rest, strings.Join(units.Sections(), "、"), strings.Join(units.Counties(), "、"), units.Sections()[0])), nil
					}
					depts = []string{u.Name}
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

// remindersRecordsRe matches 提醒记录 (or 提醒日志) with whatever follows it in
// the normalised message; the group is that rest.
var remindersRecordsRe = regexp.MustCompile(`^(?:提醒记录|提醒日志)(.*)$`)

const remindersOff = "提醒功能未启用（控制台模式或配置中 reminders.enabled 为 false）。可以用命令 `choucha reminders --from 日期 --to 日期` 查看提醒日历。"
