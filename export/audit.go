package export

import "github.com/changzhi-amr/choucha/audit"

var auditHeader = []string{"时间", "用户", "角色", "渠道", "操作", "对象", "结果", "说明"}

// AuditTable lists entries in the order given, times in Asia/Shanghai to
// the second.
func AuditTable(entries []audit.Entry) Table {
	t := Table{Title: "审计日志", Header: append([]string(nil), auditHeader...), Rows: make([][]string, len(entries))}
	loc := shanghai()
	for i, e := range entries {
		at := ""
		if !e.At.IsZero() {
			at = e.At.In(loc).Format(secondLayout)
		}
		t.Rows[i] = []string{at, e.User, e.Role, e.Channel, e.Action, e.Target, e.Outcome, e.Detail}
	}
	return t
}
