// Package audit is the record of what admins did and what was refused:
// who, when, which action on what, and the outcome (行政处罚法 第47条 asks
// for full-process records). Entries are appended, never changed; admins
// export them. It imports neither Redis nor WeCom: the store implements Log.
package audit

import (
	"context"
	"time"
)

// Outcomes of an audited action.
const (
	OK      = "成功"
	Refused = "拒绝"
	Failed  = "失败"
	Cancel  = "取消"
)

// Entry is one audited action.
type Entry struct {
	At      time.Time `json:"at"`
	User    string    `json:"user"`    // WeCom userid, or "cli:<user>"
	Role    string    `json:"role"`    // 管理员, 科室负责人, 检查人员, 未知
	Channel string    `json:"channel"` // wecom, console, cli
	Action  string    `json:"action"`  // 抽取, 重新抽取, 导入检查对象名录, 导出, ...
	Target  string    `json:"target"`  // 任务8, a file name, a draw id
	Outcome string    `json:"outcome"` // OK, Refused, Failed, Cancel
	Detail  string    `json:"detail,omitempty"`
}

// Log appends and lists entries.
type Log interface {
	Append(ctx context.Context, e Entry) error
	// All lists every entry, oldest first.
	All(ctx context.Context) ([]Entry, error)
}
