package answer

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/question"
	"github.com/changzhi-amr/choucha/workday"
)

// slotCases are the kinds of dates.go, ratio.go and timeleft.go, in several
// phrasings each. They join answerCases, so TestAnswers checks their item
// sets and texts, checkYears their plan-year honesty, and TestAnswerSize
// and TestNoPlanAnswersAs2023 apply to them too.
var (
	openEndNov = []string{"1", "4", "5", "6", "7", "8", "9", "10", "14", "15-1", "15-2", "17"} // still open on 11-15
	startMarch = []string{"4", "5", "6", "7", "8", "9", "10", "17"}
	bothQ1Q4   = []string{"1", "4", "5", "6", "7", "8", "9", "10", "11", "14", "15-1", "15-2", "17"}
)

var slotCases = []answerCase{
	// Deadlines: windows closing by then, still open today unless asked for all.
	{q: "年底前要做完的", now: "2023-11-15", kind: AnswerList, items: openEndNov, nw: noWin, text: []string{"## 2023年年底前（12月31日及以前）截止的抽查任务（15项）", "已截止的2项未列出"}},
	{q: "年底之前必须完成的任务", now: "2023-11-15", kind: AnswerList, items: openEndNov, nw: noWin},
	{q: "到年底为止要查完的", now: "2023-11-15", kind: AnswerList, items: openEndNov, nw: noWin},
	{q: "年内要完成的", now: "2023-11-15", kind: AnswerList, items: openEndNov, nw: noWin},
	{q: "今年所有年底前截止的", now: "2023-11-15", kind: AnswerList, items: windowed, nw: noWin, notText: []string{"未列出"}},
	{q: "计量科年底前要完成的", now: "2023-11-15", kind: AnswerList, items: []string{"1"}, nw: []string{"2", "3"}, text: []string{"计量科牵头或指导的"}},
	{q: "国庆前必须结束的", kind: AnswerList, items: []string{"16"}, text: []string{"## 2023年国庆节（10月1日）前截止的抽查任务（1项）"}},
	{q: "国庆节之前要结束的任务", kind: AnswerList, items: []string{"16"}},
	{q: "十一前截止的", kind: AnswerList, items: []string{"16"}},
	{q: "國慶前必須結束的", kind: AnswerList, items: []string{"16"}},
	{q: "国庆前必须结束的", now: "2023-11-15", kind: AnswerList, items: []string{"16"}, text: []string{"今天（11月15日）已过9月30日，以下任务均已截止"}},
	{q: "五一前截止的", kind: AnswerList, items: nil, alts: []string{"16"}, text: []string{"劳动节（5月1日）前截止的抽查任务（0项）"}},
	{q: "春节前要做完的", kind: AnswerList, items: nil, alts: []string{"16"}, text: []string{"春节（1月22日）前截止的"}},
	{q: "3月中旬前截止的", kind: AnswerList, items: nil, alts: []string{"16"}, text: []string{"3月中旬前（3月10日及以前）"}},
	{q: "11月中旬前截止的", now: "2023-09-10", kind: AnswerList, items: []string{"11", "16"}},
	{q: "十一月中旬以前截止的", now: "2023-09-10", kind: AnswerList, items: []string{"11", "16"}},
	{q: "元旦前要做完的", now: "2023-11-15", kind: AnswerList, items: openEndNov, nw: noWin, text: []string{"元旦节（次年1月1日）前"}},
	{q: "月底前", now: "2023-11-15", kind: AnswerList, items: closeNov},
	{q: "本月底前截止的", now: "2023-09-10", kind: AnswerList, items: []string{"16"}},
	{q: "这个月底之前要结束的", now: "2023-09-10", kind: AnswerList, items: []string{"16"}},
	{q: "10月底前", now: "2023-09-10", kind: AnswerList, items: []string{"11", "16"}},
	{q: "本季度末前", now: "2023-08-10", kind: AnswerList, items: []string{"16"}, text: []string{"本季度末前（9月30日及以前）截止的"}},
	{q: "第三季度末前截止的", now: "2023-08-10", kind: AnswerList, items: []string{"16"}},
	{q: "三季度结束前要完成的", now: "2023-08-10", kind: AnswerList, items: []string{"16"}},
	{q: "上半年结束前要完成的", kind: AnswerList, items: nil, alts: []string{"16"}, text: []string{"上半年末前（6月30日及以前）", "之后最先截止的任务（9月30日截止）"}},
	{q: "计量科国庆前", now: "2023-06-20", kind: AnswerList, items: nil, alts: []string{"1"}},
	{q: "10天内到期的", now: "2023-09-25", kind: AnswerList, items: []string{"16"}, text: []string{"10天内（9月25日-10月5日）截止的"}},
	{q: "一周内开始的", now: "2023-04-26", kind: AnswerList, items: []string{"15-1", "15-2"}, text: []string{"7天内"}},
	{q: "两个月内截止的", now: "2023-09-10", kind: AnswerList, items: []string{"11", "16"}},
	{q: "6月前开始的", kind: AnswerList, items: []string{"1", "4", "5", "6", "7", "8", "9", "10", "15-1", "15-2", "17"}, nw: noWin, text: []string{"6月前（5月31日及以前）开始的"}},
	{q: "9月30日前", now: "2023-09-10", kind: AnswerList, items: []string{"16"}, text: []string{"9月30日及以前截止的"}},
	// No plan for the asked year: the 2023 plan's windows, labelled.
	{q: "年底前要做完的", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: openEndNov, nw: noWin, text: []string{"## 2023年度计划中年底前（12月31日及以前）截止的"}},
	{q: "国庆前必须结束的", now: "2026-03-15", noPlan: 2026, kind: AnswerList, items: []string{"16"}, text: []string{"2023年度计划中国庆节（10月1日）前"}},

	// Ratio comparisons: by the plan's figure; floors said.
	{q: "低于5%的", kind: AnswerList, items: []string{"5", "6"}, text: []string{"5（不低于2%）、6（不低于1%）的比例是下限", "1（不低于5%）、2（不低于30%）、3（不低于5%）不会低于其下限"}},
	{q: "不到百分之五的任务", kind: AnswerList, items: []string{"5", "6"}},
	{q: "比例不足5%", kind: AnswerList, items: []string{"5", "6"}},
	{q: "比例高于5%", kind: AnswerList, items: []string{"7", "8", "9", "10", "11", "14", "15-1", "15-2", "16", "17"}, nw: []string{"2"}, text: []string{"抽查比例高于5%的"}},
	{q: "超过百分之五的", kind: AnswerList, items: []string{"7", "8", "9", "10", "11", "14", "15-1", "15-2", "16", "17"}, nw: []string{"2"}},
	{q: "5%以上", kind: AnswerList, items: []string{"1", "4", "7", "8", "9", "10", "11", "14", "15-1", "15-2", "16", "17"}, nw: []string{"2", "3", "13"}},
	{q: "至少百分之三十", kind: AnswerList, items: []string{"8", "9", "10", "11", "14", "15-1", "15-2", "16"}, nw: []string{"2"}},
	{q: "比例10％以下的", kind: AnswerList, items: []string{"1", "4", "5", "6", "7"}, nw: []string{"3", "13"}},
	{q: "不高于10%", kind: AnswerList, items: []string{"1", "4", "5", "6", "7"}, nw: []string{"3", "13"}},
	{q: "5%和10%", kind: AnswerList, items: []string{"1", "4", "7"}, nw: []string{"3", "13"}, text: []string{"抽查比例为5%或为10%的"}},
	{q: "比例5%、10%的任务", kind: AnswerList, items: []string{"1", "4", "7"}, nw: []string{"3", "13"}},
	{q: "比例在10%到30%之间", kind: AnswerList, items: []string{"7", "8", "9", "10", "11", "15-2", "16", "17"}, nw: []string{"2"}, text: []string{"抽查比例在10%到30%之间的"}},
	{q: "10-30%的", kind: AnswerList, items: []string{"7", "8", "9", "10", "11", "15-2", "16", "17"}, nw: []string{"2"}},
	{q: "比列最高的", kind: AnswerList, items: []string{"14", "15-1"}},
	{q: "低于5%或高于30%的", kind: AnswerList, items: []string{"5", "6", "14", "15-1"}},
	// Extremes: ties all listed.
	{q: "比例最高的任务", kind: AnswerList, items: []string{"14", "15-1"}, text: []string{"抽查比例最高（100%）的抽查任务（2项）", "2（不低于30%）"}},
	{q: "哪个任务比例最高", kind: AnswerList, items: []string{"14", "15-1"}},
	{q: "抽得最多的", kind: AnswerList, items: []string{"14", "15-1"}},
	{q: "抽查比例最大的是哪个", kind: AnswerList, items: []string{"14", "15-1"}},
	{q: "比例最低的", kind: AnswerList, items: []string{"6"}, text: []string{"最低（1%）", "6（不低于1%）的比例是下限"}},
	{q: "哪项抽的最少", kind: AnswerList, items: []string{"6"}},
	{q: "县区局比例最高的", kind: AnswerList, items: []string{"9", "10"}, text: []string{"各县区局发起的抽查比例最高（30%）"}},
	{q: "县区局比例最低的", kind: AnswerList, items: []string{"1"}, nw: []string{"3", "13"}},
	{q: "比例最高的任务", now: "2026-11-15", noPlan: 2026, kind: AnswerList, items: []string{"14", "15-1"}, text: []string{"## 2023年度计划中抽查比例最高（100%）"}},

	// Time left (facts checked by TestTimeLeft).
	{q: "任务7还剩几天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"7"}, text: []string{"## 任务7 对强制性产品认证活动的双随机抽查的截止日期及剩余时间", "**12月31日截止**", "最后一个工作日为12月29日"}},
	{q: "任务7还有多长时间", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"7"}},
	{q: "第七项哪天结束", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"7"}},
	{q: "任務7還剩幾天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"7"}},
	{q: "直销多久截止", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"16"}, text: []string{"**已截止**：2023年9月30日截止"}},
	{q: "直销什么时候截止", now: "2023-09-30", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"16"}, text: []string{"**今天（9月30日）截止**"}},
	{q: "任务15还剩几天", now: "2023-04-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"15-1", "15-2"}, text: []string{"**尚未开始**（5月1日开始，还有16天）"}},
	{q: "任务2还有多长时间", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"2"}, text: []string{"计划未注明起止时间（全年可查），没有规定截止日期"}},
	{q: "任务7和任务8还剩几天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"7", "8"}},
	{q: "还剩几天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: slices.Concat(november, noWin)},
	{q: "计量科的任务还剩几天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"1", "2", "3"}},
	{q: "本月截止的还剩几天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: closeNov, text: []string{"## 2023年11月截止的抽查任务的截止日期及剩余时间"}},
	{q: "快到期的还有几天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: closeNov},
	{q: "年底前截止的还剩几天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: slices.Concat(openEndNov, noWin)},
	{q: "比例最高的还剩几天", now: "2023-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"14", "15-1"}},
	{q: "牙膏还剩几天", kind: AnswerNotFound, text: []string{"没有找到与“牙膏”有关"}},
	// Another year's plan: its dates, nothing counted.
	{q: "任务7还剩几天", now: "2026-11-15", noPlan: 2026, kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"7"}, text: []string{"2023年度计划中12月31日截止", "不计算剩余天数"}, notText: []string{"还剩**"}},
	{q: "直销还有几天", now: "2026-08-15", noPlan: 2026, kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"16"}, notText: []string{"还剩**", "已截止"}},
	// A past year's own plan: real dates, so closed.
	{q: "2023年任务7还剩几天", now: "2026-11-15", kind: AnswerAttribute, attr: question.AttrTimeLeft, items: []string{"7"}, text: []string{"**已截止**：2023年12月31日截止"}},

	// Day-level dates.
	{q: "明天开始的任务", now: "2023-04-30", kind: AnswerList, items: []string{"15-1", "15-2"}, text: []string{"## 2023年5月1日（明天）开始的抽查任务（2项）"}},
	{q: "明日开始的", now: "2023-04-30", kind: AnswerList, items: []string{"15-1", "15-2"}},
	{q: "明天开始的任务", kind: AnswerList, items: nil, alts: []string{"15-1", "15-2"}, text: []string{"之后最先开始的任务（5月1日开始）"}},
	{q: "今天截止的", now: "2023-11-30", kind: AnswerList, items: closeNov, text: []string{"2023年11月30日（今天）截止的"}},
	{q: "今天有哪些任务", kind: AnswerList, items: march, nw: noWin},
	{q: "本周五截止的", now: "2023-09-27", kind: AnswerList, items: nil, alts: []string{"16"}, text: []string{"9月29日（本周五）截止"}},
	{q: "下周一开始的", now: "2023-04-26", kind: AnswerList, items: []string{"15-1", "15-2"}, text: []string{"5月1日（下周一）开始"}},
	{q: "3月1日开始的", kind: AnswerList, items: startMarch, text: []string{"2023年3月1日开始的"}},
	{q: "三月一号开始的", kind: AnswerList, items: startMarch},
	{q: "1号开始的", now: "2023-05-10", kind: AnswerList, items: []string{"15-1", "15-2"}},
	{q: "2023-03-01开始的", now: "2026-11-15", kind: AnswerList, items: startMarch},
	{q: "下周有哪些开始的", now: "2023-04-26", kind: AnswerList, items: []string{"15-1", "15-2"}},
	{q: "今天天气怎么样", kind: AnswerUnknown},
	{q: "明天开始的任务", now: "2026-04-30", noPlan: 2026, kind: AnswerList, items: []string{"15-1", "15-2"}, text: []string{"## 2023年度计划中5月1日（对应明天）开始的"}},

	// Several months, quarters: union, none dropped, none a task number.
	{q: "第二季度和第三季度", kind: AnswerList, items: windowed, nw: noWin, text: []string{"第二季度和第三季度"}, notText: []string{"任务3"}},
	{q: "二、三季度", kind: AnswerList, items: windowed, nw: noWin},
	{q: "第一季度和第四季度", kind: AnswerList, items: bothQ1Q4, nw: noWin},
	{q: "2月和3月", kind: AnswerList, items: march, nw: noWin, text: []string{"2023年2月和3月在抽查期内的"}},
	{q: "1月和2月的任务", kind: AnswerList, items: []string{"1"}, nw: noWin},
	{q: "三四月份的任务", kind: AnswerList, items: march, nw: noWin, text: []string{"2023年3月和4月在抽查期内的"}},
	{q: "2月、3月和4月", kind: AnswerList, items: march, nw: noWin, text: []string{"2023年2月、3月和4月在抽查期内的"}},
	{q: "7月和8月开始的", kind: AnswerList, items: []string{"11", "16"}},
	{q: "5月、7月开始的", kind: AnswerList, items: []string{"11", "15-1", "15-2", "16"}},
	{q: "第二季度和第三季度", now: "2026-03-15", noPlan: 2026, kind: AnswerList, items: windowed, nw: noWin, text: []string{"## 2023年度计划中第二季度和第三季度"}},
}

func init() { answerCases = append(answerCases, slotCases...) }

// Time left: each open item's closing date, calendar days and working days
// from today as package workday counts them, and the deadline's festival
// date from the holiday data.
func TestTimeLeft(t *testing.T) {
	cal := workday.New(shanghai)
	a := New(Options{Plans: seedCatalog(t), Calendar: cal})
	for _, c := range []struct {
		q, now string
	}{
		{"任务7还剩几天", "2023-11-15"}, {"任务8还剩几天", "2023-11-15"}, {"直销还剩多少天", "2023-08-20"},
		{"任务15还剩几天", "2023-04-15"}, {"还剩几天", "2023-09-28"}, {"拍卖哪天结束", "2023-10-07"},
	} {
		now := day(t, c.now)
		ans, err := a.Answer(question.Parse(c.q), now, nil)
		if err != nil {
			t.Fatal(err)
		}
		md := ans.Markdown()
		if len(ans.Left) != len(ans.Items) || len(ans.Left) == 0 {
			t.Fatalf("%s@%s: %d items, %d time-left facts\n%s", c.q, c.now, len(ans.Items), len(ans.Left), md)
		}
		today := cal.Date(now)
		for _, l := range ans.Left {
			it := l.Item
			if !it.Window.Has() {
				if l.State != LeftNoWindow {
					t.Errorf("%s: item %s has no window but state %d", c.q, it.ID, l.State)
				}
				continue
			}
			last := time.Date(2023, time.Month(it.Window.EndMonth)+1, 0, 0, 0, 0, 0, shanghai)
			start := time.Date(2023, time.Month(it.Window.StartMonth), 1, 0, 0, 0, 0, shanghai)
			days := 0
			for d := today; d.Before(last); d = d.AddDate(0, 0, 1) {
				days++
			}
			work := 0
			for d := today.AddDate(0, 0, 1); !d.After(last); d = d.AddDate(0, 0, 1) {
				if cal.IsWorkday(d) {
					work++
				}
			}
			if !l.Last.Equal(last) || !l.Start.Equal(start) || l.Days != days || l.Workdays != work {
				t.Errorf("%s@%s item %s: last %s start %s days %d workdays %d, want %s %s %d %d", c.q, c.now, it.ID,
					l.Last.Format(time.DateOnly), l.Start.Format(time.DateOnly), l.Days, l.Workdays, last.Format(time.DateOnly), start.Format(time.DateOnly), days, work)
			}
			want := fmt.Sprintf("还剩**%d天**，其中工作日**%d天**", days, work)
			if today.Before(start) {
				want = fmt.Sprintf("距截止还有%d天，其中工作日%d天", days, work)
			}
			if !strings.Contains(md, want) {
				t.Errorf("%s@%s: lacks %q\n%s", c.q, c.now, want, md)
			}
			if !cal.IsWorkday(last) && !strings.Contains(md, "最后一个工作日为"+fmt.Sprintf("%d月%d日", cal.PrevWorkday(last).Month(), cal.PrevWorkday(last).Day())) {
				t.Errorf("%s@%s: does not name the last working day before %s\n%s", c.q, c.now, last.Format(time.DateOnly), md)
			}
		}
	}
}

// A festival deadline uses the holiday data's date for the plan's year.
func TestDeadlineFestival(t *testing.T) {
	cal := workday.New(shanghai)
	a := New(Options{Plans: seedCatalog(t), Calendar: cal})
	for q, name := range map[string]string{"春节前": "春节", "国庆前": "国庆节", "五一前": "劳动节", "端午节前": "端午节", "中秋前": "中秋节", "清明前": "清明节"} {
		f, ok := cal.Festival(2023, name)
		if !ok {
			t.Fatalf("no %s in 2023", name)
		}
		ans, err := a.Answer(question.Parse(q), day(t, "2023-01-05"), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%s（%d月%d日）前", name, f.Month(), f.Day())
		if !strings.Contains(ans.Title, want) {
			t.Errorf("%s: title %q lacks %q", q, ans.Title, want)
		}
		for _, it := range slices.Concat(ans.Items, ans.NoWindow) {
			if last := it.Window.LastDay(2023, shanghai); !last.Before(f) {
				t.Errorf("%s: item %s closes %s, not before %s", q, it.ID, last.Format(time.DateOnly), f.Format(time.DateOnly))
			}
		}
	}
}
