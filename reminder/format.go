package reminder

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// FormatCalendar writes reminders as plain text for the `reminders` command:
// per reminder a line with date, weekday, item, kind, department and
// recipients, then the message indented.
func FormatCalendar(w io.Writer, rs []Reminder) error {
	if len(rs) == 0 {
		_, err := fmt.Fprintln(w, "（该期间没有提醒）")
		return err
	}
	for _, r := range rs {
		shifted := ""
		if !r.Date.Equal(r.Nominal) {
			shifted = fmt.Sprintf("（原 %s 非工作日）", date(r.Nominal))
		}
		if _, err := fmt.Fprintf(w, "%s %s%s  %s %s  → %s：%s\n", date(r.Date), Weekday(r.Date), shifted,
			r.Item.ID, KindLabel(r), r.Department, DescribeRecipient(r)); err != nil {
			return err
		}
		for _, line := range strings.Split(PlainText(r.Text), "\n") {
			if _, err := fmt.Fprintf(w, "    %s\n", line); err != nil {
				return err
			}
		}
	}
	_, err := fmt.Fprintf(w, "共 %d 条提醒\n", len(rs))
	return err
}

// KindLabel is the row title with its offset, e.g. 即将截止（提前7天）.
func KindLabel(r Reminder) string {
	if r.Offset == 0 {
		return r.Label
	}
	return fmt.Sprintf("%s（提前%d天）", r.Label, r.Offset)
}

// DescribeRecipient says where r goes: userids, department ids, tag ids,
// the group robot, or 未配置接收人.
func DescribeRecipient(r Reminder) string {
	if !r.Mapped {
		return NotConfigured
	}
	return r.Recipient.String()
}

var fontTag = regexp.MustCompile(`</?font[^>]*>`)

// PlainText strips the WeCom markdown used in reminder texts.
func PlainText(md string) string {
	s := fontTag.ReplaceAllString(md, "")
	s = strings.ReplaceAll(s, "**", "")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "> ")
	}
	return strings.Join(lines, "\n")
}

// FormatUpcoming is the markdown answer to 提醒计划: the reminders of the
// next days days for the user's sections.
func FormatUpcoming(rs []Reminder, now time.Time, days int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**提醒计划（%s 起 %d 天）**\n", date(now), days)
	if len(rs) == 0 {
		b.WriteString("这段时间没有发给您所在单位的提醒。")
		return b.String()
	}
	for _, r := range rs {
		fmt.Fprintf(&b, "> %s %s 任务%s %s｜%s｜%s", date(r.Date), Weekday(r.Date), r.Item.ID,
			oneLine(r.Item.Name(), 30), KindLabel(r), r.Department)
		if !r.Mapped {
			fmt.Fprintf(&b, "（<font color=\"warning\">%s</font>）", NotConfigured)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "共 %d 条。", len(rs))
	return b.String()
}
