package answer

import (
	"testing"

	"github.com/changzhi-amr/choucha/question"
)

// BenchmarkAnswer parses, answers and renders every question of
// answerCases in turn, each at its own date; ns/op is per question.
func BenchmarkAnswer(b *testing.B) {
	a := New(Options{Plans: seedCatalog(b)})
	type input struct {
		text     string
		now      string
		sections []string
	}
	var in []input
	for _, c := range answerCases {
		now := c.now
		if now == "" {
			now = "2023-03-15"
		}
		in = append(in, input{c.q, now, c.sections})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := in[i%len(in)]
		ans, err := a.Answer(question.Parse(c.text), day(b, c.now), c.sections)
		if err != nil {
			b.Fatal(err)
		}
		_ = ans.Markdown()
	}
}

// BenchmarkAnswerSubject is the retrieval-heavy kind: a subject of
// several words with an attribute.
func BenchmarkAnswerSubject(b *testing.B) {
	a := New(Options{Plans: seedCatalog(b)})
	now := day(b, "2023-03-15")
	for _, q := range []string{"特种设备生产许可证抽多少", "个体工商户", "本月的食品任务", "国有粮食购销企业什么时候查"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ans, err := a.Answer(question.Parse(q), now, nil)
				if err != nil {
					b.Fatal(err)
				}
				_ = ans.Markdown()
			}
		})
	}
}
