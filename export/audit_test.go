package export

import (
	"slices"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/audit"
)

func auditEntries() []audit.Entry {
	return []audit.Entry{
		{At: time.Date(2023, 3, 1, 1, 30, 59, 999, time.UTC), User: "admin01", Role: "管理员", Channel: "wecom", Action: "抽取", Target: "任务15-2", Outcome: "成功", Detail: "种子 0a1b…，批次 draw-2023-15-2-0001"},
		{At: time.Date(2023, 12, 31, 16, 0, 0, 0, time.UTC), User: "cli:root", Role: "管理员", Channel: "cli", Action: "重新抽取", Target: "任务8", Outcome: "成功", Detail: "原因：名录有误，\"重新导入\"后重抽\n第二行"},
		{User: "zhangwei01", Role: "检查人员", Channel: "wecom", Action: "导出", Target: "任务1", Outcome: "拒绝", Detail: "无权限"},
	}
}

func TestAuditTable(t *testing.T) {
	got := AuditTable(auditEntries())
	want := Table{
		Title:  "审计日志",
		Header: []string{"时间", "用户", "角色", "渠道", "操作", "对象", "结果", "说明"},
		Rows: [][]string{
			{"2023-03-01 09:30:59", "admin01", "管理员", "wecom", "抽取", "任务15-2", "成功", "种子 0a1b…，批次 draw-2023-15-2-0001"},
			{"2024-01-01 00:00:00", "cli:root", "管理员", "cli", "重新抽取", "任务8", "成功", "原因：名录有误，\"重新导入\"后重抽\n第二行"},
			{"", "zhangwei01", "检查人员", "wecom", "导出", "任务1", "拒绝", "无权限"},
		},
	}
	checkTable(t, got, want)
	if e := AuditTable(nil); len(e.Rows) != 0 || !slices.Equal(e.Header, want.Header) {
		t.Errorf("empty log: %+v", e)
	}
}
