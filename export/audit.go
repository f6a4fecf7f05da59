package export

import "time"

// AuditEntry is one row of the audit log: who did what to which object,
// with what outcome.
type AuditEntry struct {
	At      time.Time
	User    string // userid or "cli:<user>"
	Role    string // e.g. 管理员
	Action  string // e.g. 抽取, 重新抽取, 导出
	Target  string // e.g. 任务8
	Outcome string // e.g. 成功, 拒绝
	Detail  string
}

var auditHeader = []string{"时间", "用户", "角色", "操作", "对象", "结果", "说明"}

// AuditTable lists entries in the order given, times in Asia/Shanghai to
// the second.
func AuditTable(entries []AuditEntry) Table {
	t := Table{Title: "审计日志", Header: append([]string(nil), auditHeader...), Rows: make([][]string, len(entries))}
	loc := shanghai()
	for i, e := range entries {
		at := ""
		if !e.At.IsZero() {
			at = e.At.In(loc).Format(secondLayout)
		}
		t.Rows[i] = []string{at, e.User, e.Role, e.Action, e.Target, e.Outcome, e.Detail}
	}
	return t
}
