package reminder

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Status is a reminder's outcome in the 提醒记录 (the reminder job records
// one per reminder; FormatRecords renders them for admins).
type Status string

// Outcomes.
const (
	StatusSent     Status = "sent"     // 已发送: on its day
	StatusLate     Status = "late"     // 补发: after its day, within catch_up_days
	StatusMissed   Status = "missed"   // 错过: too late to send
	StatusFailed   Status = "failed"   // 发送失败: retried next run
	StatusUnmapped Status = "unmapped" // 未配置接收人
)

var statusNames = map[Status]string{
	StatusSent: "已发送", StatusLate: "补发", StatusMissed: "错过",
	StatusFailed: "发送失败", StatusUnmapped: NotConfigured,
}

// Label is the Chinese name of s.
func (s Status) Label() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return string(s)
}

// Record is the latest outcome of one
type Record struct {
	ID         string    `json:"id"`
	Year       int       `json:"year"`
	Item       string    `json:"item"`
	Task       string    `json:"task"`
	Kind       string    `json:"kind"`
	Label      string    `json:"label"`
	Offset     int       `json:"offset"`
	Department string    `json:"department"`
	Due        string    `json:"due"` // YYYY-MM-DD
	Status     Status    `json:"status"`
	At         time.Time `json:"at"` // when the outcome was recorded
	Error      string    `json:"error,omitempty"`
}

// NewRecord is the record of r decided at now (its Status set by the caller).
func NewRecord(r Reminder, now time.Time) Record {
	return Record{
		ID: r.ID, Year: r.Year, Item: r.Item.ID, Task: r.Item.Name(), Kind: string(r.Kind),
		Label: KindLabel(r), Offset: r.Offset, Department: r.Department,
		Due: r.Date.Format(time.DateOnly), At: now,
	}
}

// SortRecords orders records by due date, then item and department.
func SortRecords(rs []Record) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Due != rs[j].Due {
			return rs[i].Due < rs[j].Due
		}
		return rs[i].ID < rs[j].ID
	})
}

// FormatRecords is the markdown answer to admins' 提醒记录: counts by
// outcome, then the latest limit records that need attention (missed,
// failed, unmapped), then the latest limit sends. limit <= 0
// means 20.
func FormatRecords(year int, rs []Record, limit int) string {
	if limit <= 0 {
		limit = 20
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%d 年度提醒记录**\n", year)
	if len(rs) == 0 {
		b.WriteString("还没有提醒记录。")
		return b.String()
	}
	count := map[Status]int{}
	for _, r := range rs {
		count[r.Status]++
	}
	var parts []string
	for _, s := range []Status{StatusSent, StatusLate, StatusMissed, StatusFailed, StatusUnmapped} {
		parts = append(parts, fmt.Sprintf("%s %d", s.Label(), count[s]))
	}
	fmt.Fprintf(&b, "> %s\n", strings.Join(parts, "，"))
	line := func(r Record) string {
		s := fmt.Sprintf("> %s 任务%s %s｜%s｜%s", r.Due, r.Item, r.Label, r.Department, r.Status.Label())
		if r.Error != "" && r.Error != NotConfigured {
			s += "：" + cut(r.Error, 60)
		}
		return s + "\n"
	}
	var attention, sent []Record
	for _, r := range rs {
		switch r.Status {
		case StatusMissed, StatusFailed, StatusUnmapped:
			attention = append(attention, r)
		default:
			sent = append(sent, r)
		}
	}
	if len(attention) > 0 {
		fmt.Fprintf(&b, "\n<font color=\"warning\">需关注 %d 条</font>\n", len(attention))
		start := max(0, len(attention)-limit)
		if start > 0 {
			fmt.Fprintf(&b, "> ……更早的 %d 条未列出\n", start)
		}
		for _, r := range attention[start:] {
			b.WriteString(line(r))
		}
	}
	if len(sent) > 0 {
		fmt.Fprintf(&b, "\n最近发送（共 %d 条）\n", len(sent))
		start := max(0, len(sent)-limit)
		for _, r := range sent[start:] {
			b.WriteString(line(r))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
