package handlers

import (
	"context"

	"github.com/changzhi-amr/choucha/reply"
)

// handleExport sends an item's draw as a file (admins).
func (d *draws) handleExport(ctx context.Context, req *Request) (reply.Reply, error) {
	if !req.Admin {
		return d.refuse(ctx, req, "导出")
	}
	return reply.Text("导出功能尚未完成。"), nil
}
