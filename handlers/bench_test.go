package handlers

import (
	"context"
	"testing"
)

// BenchmarkHandle answers each kind of question through the whole router:
// normalise, parse, route, middleware, answer from the plan, render.
//
//	go test -run '^$' -bench . -benchmem ./handlers ./question
func BenchmarkHandle(b *testing.B) {
	r, err := NewRouter(Deps{Plans: seedCatalog(b), Logger: discardLogger})
	if err != nil {
		b.Fatal(err)
	}
	now := day(b, "2023-03-15")
	for _, c := range []struct{ kind, text string }{
		{"month", "请问一下，本月有那些抽查任务？"},
		{"quarter", "第二季度"},
		{"rest-of-year", "今年剩下的"},
		{"window-event", "本月开始的"},
		{"closing-soon", "快到期的"},
		{"week", "这周"},
		{"department", "计量科的任务"},
		{"subject", "眼镜店"},
		{"free-text", "个体工商户"},
		{"task-number", "任务十五"},
		{"no-such-task", "任务12"},
		{"attribute", "拍卖抽多少"},
		{"how", "加油站怎么抽查"},
		{"no-window", "没有时间的任务"},
		{"risk", "按信用风险分类的任务"},
		{"ratio", "比例30%以上"},
		{"mine", "我科室的任务"},
		{"deadline", "国庆前必须结束的"},
		{"deadline-year-end", "年底前要做完的"},
		{"ratio-compare", "比例低于5%的"},
		{"ratio-extreme", "比例最高的任务"},
		{"ratios-several", "5%和10%"},
		{"time-left", "任务7还剩几天"},
		{"time-left-list", "还剩几天"},
		{"day", "明天开始的任务"},
		{"quarters-several", "第二季度和第三季度"},
		{"help", "帮助"},
		{"unknown", "今天天气怎么样"},
	} {
		req := &Request{Kind: KindText, Text: c.text, Now: now, Sections: []string{"计量科"}}
		b.Run(c.kind, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rep, err := r.Handle(context.Background(), req); err != nil || rep.Text == "" {
					b.Fatal(rep, err)
				}
			}
		})
	}
}
