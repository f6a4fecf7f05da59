package plan

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// TestEncodings parses the seed plan re-encoded the ways Windows tools save
// it; each must give the golden plan.
func TestEncodings(t *testing.T) {
	seed := seedText(t)
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(seed)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal([]byte(gbk), []byte(seed)) {
		t.Fatal("GBK copy equals the UTF-8 seed")
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(seed)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, text string }{
		{"UTF-8", seed},
		{"UTF-8 BOM", "\ufeff" + seed},
		{"GBK", gbk},
		{"UTF-16LE BOM", utf16},
		{"CRLF", strings.ReplaceAll(seed, "\n", "\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(seedPath, strings.NewReader(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != "长治市市场监督管理局2023年度双随机抽查工作计划" || p.Year != 2023 {
				t.Errorf("title %q year %d", p.Title, p.Year)
			}
			if got := viewItems(p); !reflect.DeepEqual(got, goldenSeed) {
				t.Errorf("plan differs from golden:\n%+v", got)
			}
		})
	}
}

func TestParseVariants(t *testing.T) {
	const header = "序号\t抽查任务名称\t抽查事项\t抽查对象范围\t抽查比例及频次\t智慧监管（信用风险分类）要求\t抽查检查起止时间\t发起部门\n"
	tests := []struct {
		name, file, text string
		check            func(t *testing.T, p *Plan)
	}{
		{
			"title without ##, full-width serial, quoted multi-line cell", "p.txt",
			"2024年度双随机抽查工作计划\n" + header +
				"１\t甲\t\"事项一\n事项二\"\t范围\t5%/一年一次\t\t全年\t市局\n",
			func(t *testing.T, p *Plan) {
				it, ok := p.Item("1")
				if p.Year != 2024 || !ok || it.Matter != "事项一\n事项二" || it.Window.StartMonth != 1 || it.Window.EndMonth != 12 {
					t.Errorf("got year %d item %+v", p.Year, it)
				}
			},
		},
		{
			"decoration rows above the header", "p.txt",
			"填报单位：长治市市场监督管理局\t日期：2023年1月5日\n长治市2023年度双随机抽查任务清单\n" + header +
				"1\t甲\t事项\t范围\t5%/一年一次\t\t3-5月\t市局\n",
			func(t *testing.T, p *Plan) {
				if p.Year != 2023 || p.Title != "长治市2023年度双随机抽查任务清单" || p.Bureau != "长治市" {
					t.Errorf("year %d title %q bureau %q", p.Year, p.Title, p.Bureau)
				}
			},
		},
		{
			"continuation repeating the task name", "p.txt",
			"## 2023年度计划\n" + header +
				"3\t甲\t事项\t范围\t5%/一年一次\t\t3-5月\t市局\n" +
				"\t甲\t事项二\t范围二\t10%/半年一次\t\t6-8月\t各地组织发起\n",
			func(t *testing.T, p *Plan) {
				task, ok := p.Task(3)
				if !ok || len(task.Items) != 2 || task.Items[1].ID != "3-2" || task.Items[1].Ratio.PerYear != 2 {
					t.Errorf("task 3 = %+v", task)
				}
			},
		},
		{
			"extra column and trailing empty cells", "p.txt",
			"## 2023年度计划\n序号\t抽查任务名称\t抽查事项\t抽查对象范围\t抽查比例及频次\t智慧监管(信用风险分类)要求\t抽查检查起止时间\t发起部门\t备注\n" +
				"1\t甲\t事项\t范围\t5%/一年一次\t\t\t市局\t说明\t\t\n",
			func(t *testing.T, p *Plan) {
				if len(p.Tasks) != 1 || p.Tasks[0].Items[0].Departments.Initiators[0] != CityBureau {
					t.Errorf("tasks %+v", p.Tasks)
				}
			},
		},
		{
			"comma-separated .csv", "plan.csv",
			"## 2023年度计划\n序号,抽查任务名称,抽查事项,抽查对象范围,抽查比例及频次,智慧监管(信用风险分类)要求,抽查检查起止时间,发起部门\n" +
				"1,甲,事项,范围,\"5% (10户)/一年一次\",,3月-12月,\"各地组织发起/计量科指导\"\n",
			func(t *testing.T, p *Plan) {
				it, _ := p.Item("1")
				if it == nil || it.Ratio.Count != 10 || it.Departments.Sections[0].Name != "计量科" {
					t.Errorf("item %+v", it)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.file, strings.NewReader(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}
