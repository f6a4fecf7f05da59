package export

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/plan"
)

var riskLabels = []string{"低风险", "一般风险", "较高风险", "高风险", "未分类"}

func loadPlan(t testing.TB) *plan.Plan {
	t.Helper()
	p, err := plan.Load("../seeds/changzhi-2023-plan.txt")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func planItem(t testing.TB, p *plan.Plan, id string) *plan.Item {
	t.Helper()
	it, ok := p.Item(id)
	if !ok {
		t.Fatalf("no item %s", id)
	}
	return it
}

// handFixture is a record of item 1 (各地组织发起/计量科指导, per county)
// drawn by hand: every risk class, an extra entity, an inspector missing
// from the directory and an entity missing from it.
func handFixture(t *testing.T) (*draw.Record, *plan.Item, map[string]directory.Entity, map[string]directory.Inspector) {
	p := loadPlan(t)
	ents := []directory.Entity{
		{CreditCode: "91140403MAG928PQ9Q", Name: "长治市潞州区紫金街道德润加油站", District: "潞州区", Risk: directory.RiskB, Address: "长治市潞州区紫金街道解放路37号", Industry: "机动车燃油零售"},
		{CreditCode: "91140404MAUW8PJLR8", Name: "长治市上党区苏店镇瑞丰加油站", District: "上党区", Risk: directory.RiskA, Address: "长治市上党区苏店镇西大街201号", Industry: "机动车燃油零售"},
		{CreditCode: "92140403MA0HX1234C", Name: "潞州区明亮眼镜店", District: "潞州区", Risk: directory.RiskD, Address: "长治市潞州区英雄中路8号", Industry: "眼镜零售"},
		{CreditCode: "12140400012345678X", Name: "长治市第二人民医院", District: "潞州区", Risk: directory.RiskC, Address: "长治市潞州区太行东街", Industry: "医院"},
	}
	byCode := map[string]directory.Entity{}
	for _, e := range ents {
		byCode[e.CreditCode] = e
	}
	insp := map[string]directory.Inspector{
		"zhangwei01": {Name: "张伟", UserID: "zhangwei01", Unit: "潞州区"},
		"liuyang02":  {Name: "刘洋", UserID: "liuyang02", Unit: "潞州区"},
		"wangfang03": {Name: "王芳", UserID: "wangfang03", Unit: "上党区"},
		"lina04":     {Name: "李娜", UserID: "lina04", Unit: "上党区"},
	}
	drawn := func(e directory.Entity, class directory.RiskClass, extra bool, users ...string) draw.Drawn {
		return draw.Drawn{CreditCode: e.CreditCode, Name: e.Name, District: e.District, Class: class, Extra: extra, Inspectors: users}
	}
	res := &draw.Result{ItemID: "1", Groups: []draw.Group{
		{GroupCounts: draw.GroupCounts{Group: "潞州区"}, Entities: []draw.Drawn{
			drawn(ents[3], directory.RiskC, false, "zhangwei01", "liuyang02"),
			drawn(ents[0], directory.RiskB, false, "liuyang02", "zhangwei01"),
			drawn(ents[2], directory.RiskD, true, "zhangwei01", "liuyang02"),
			// Not in the entity directory given; an inspector missing too.
			{CreditCode: "91140400MA0K0000X1", Name: "已迁出企业", District: "潞州区", Class: directory.RiskA, Inspectors: []string{"zhaolei09", "liuyang02"}},
		}},
		{GroupCounts: draw.GroupCounts{Group: "上党区"}, Entities: []draw.Drawn{
			drawn(ents[1], directory.RiskA, false, "wangfang03", "lina04"),
		}},
		{GroupCounts: draw.GroupCounts{Group: "沁县"}},
	}}
	rec := &draw.Record{
		ID: "draw-2023-1-0001", Operator: "admin01", Year: 2023, ItemID: "1",
		At:     time.Date(2023, 3, 1, 1, 30, 59, 0, time.UTC), // 09:30 in Shanghai
		Result: res, ResultHash: res.Hash(), Algorithm: draw.Algorithm,
	}
	return rec, planItem(t, p, "1"), byCode, insp
}

func TestDrawTableHand(t *testing.T) {
	rec, item, ents, insp := handFixture(t)
	const dept = "潞州区市场监督管理局（计量科指导）"
	const task, matter = "1 在用计量器具的监督检查", "集贸市场、加油站、眼镜制配场所、医疗机构、国有粮食购销企业在用的强检计量器具监督检查"
	pub := DrawTable(Publication, rec, item, ents, insp)
	wantPub := Table{
		Title:  "2023年度双随机抽查 任务1 抽取结果（公示）",
		Header: []string{"统一社会信用代码", "名称", "所属区县", "抽查任务", "抽查事项", "发起部门"},
		Rows: [][]string{
			{"12140400012345678X", "长治市第二人民医院", "潞州区", task, matter, dept},
			{"91140403MAG928PQ9Q", "长治市潞州区紫金街道德润加油站", "潞州区", task, matter, dept},
			{"92140403MA0HX1234C", "潞州区明亮眼镜店", "潞州区", task, matter, dept},
			{"91140400MA0K0000X1", "已迁出企业", "潞州区", task, matter, dept},
			{"91140404MAUW8PJLR8", "长治市上党区苏店镇瑞丰加油站", "上党区", task, matter, "上党区市场监督管理局（计量科指导）"},
		},
	}
	checkTable(t, pub, wantPub)

	in := DrawTable(Internal, rec, item, ents, insp)
	wantIn := Table{
		Title: "2023年度双随机抽查 任务1 抽取结果（内部）",
		Header: []string{"统一社会信用代码", "名称", "所属区县", "抽查任务", "抽查事项", "发起部门",
			"信用风险分类", "检查人员", "检查人员账号", "地址", "行业", "抽取批次", "抽取时间", "补足户数"},
	}
	for i, extra := range [][]string{
		{"较高风险", "张伟、刘洋", "zhangwei01;liuyang02", "长治市潞州区太行东街", "医院", "draw-2023-1-0001", "2023-03-01 09:30", ""},
		{"一般风险", "刘洋、张伟", "liuyang02;zhangwei01", "长治市潞州区紫金街道解放路37号", "机动车燃油零售", "draw-2023-1-0001", "2023-03-01 09:30", ""},
		{"高风险", "张伟、刘洋", "zhangwei01;liuyang02", "长治市潞州区英雄中路8号", "眼镜零售", "draw-2023-1-0001", "2023-03-01 09:30", "是"},
		{"低风险", "zhaolei09、刘洋", "zhaolei09;liuyang02", "", "", "draw-2023-1-0001", "2023-03-01 09:30", ""},
		{"低风险", "王芳、李娜", "wangfang03;lina04", "长治市上党区苏店镇西大街201号", "机动车燃油零售", "draw-2023-1-0001", "2023-03-01 09:30", ""},
	} {
		wantIn.Rows = append(wantIn.Rows, append(slices.Clone(wantPub.Rows[i]), extra...))
	}
	checkTable(t, in, wantIn)

	// The header is the table's own: changing it leaves the next table alone.
	pub.Header[0] = "x"
	if h := DrawTable(Publication, rec, item, ents, insp).Header[0]; h != "统一社会信用代码" {
		t.Errorf("header shared between tables: %q", h)
	}
}

func checkTable(t *testing.T, got, want Table) {
	t.Helper()
	if got.Title != want.Title {
		t.Errorf("title %q, want %q", got.Title, want.Title)
	}
	if !slices.Equal(got.Header, want.Header) {
		t.Errorf("header %q, want %q", got.Header, want.Header)
	}
	if len(got.Rows) != len(want.Rows) {
		t.Fatalf("%d rows, want %d:\n%q", len(got.Rows), len(want.Rows), got.Rows)
	}
	for i := range want.Rows {
		if !slices.Equal(got.Rows[i], want.Rows[i]) {
			t.Errorf("row %d\n got %q\nwant %q", i+1, got.Rows[i], want.Rows[i])
		}
	}
}

// For a uniform draw the record has no class: the internal table shows the
// directory's, or 未分类.
func TestDrawTableUniform(t *testing.T) {
	p := loadPlan(t)
	ents := map[string]directory.Entity{
		"91140400MA0K0000A1": {CreditCode: "91140400MA0K0000A1", Risk: directory.RiskC},
		"91140400MA0K0000A2": {CreditCode: "91140400MA0K0000A2"},
	}
	res := &draw.Result{ItemID: "15-2", Groups: []draw.Group{{GroupCounts: draw.GroupCounts{Group: plan.CityBureau}, Entities: []draw.Drawn{
		{CreditCode: "91140400MA0K0000A1", Name: "甲", District: "潞城区", Inspectors: []string{"a", "b"}},
		{CreditCode: "91140400MA0K0000A2", Name: "乙", District: "沁县", Inspectors: []string{"a", "b"}},
		{CreditCode: "91140400MA0K0000A3", Name: "丙", District: "沁源县", Inspectors: []string{"a", "b"}},
	}}}}
	rec := &draw.Record{ID: "r", Year: 2023, ItemID: "15-2", Result: res}
	tab := DrawTable(Internal, rec, planItem(t, p, "15-2"), ents, nil)
	var got []string
	for _, r := range tab.Rows {
		got = append(got, r[6])
		if r[3] != "15-2 工业产品生产许可证产品生产企业检查" || r[5] != "市市场监督管理局" || r[12] != "" {
			t.Errorf("row %q", r)
		}
	}
	if want := []string{"较高风险", "未分类", "未分类"}; !slices.Equal(got, want) {
		t.Errorf("classes %q, want %q", got, want)
	}
	if tab.Title != "2023年度双随机抽查 任务15-2 抽取结果（内部）" {
		t.Errorf("title %q", tab.Title)
	}
}

// seedDraws draws items 1 (per county, risk classes) and 17 (city, lead
// section) from the seed directories, as the bot would.
func seedDraws(t *testing.T) (p *plan.Plan, recs []*draw.Record, ents map[string]directory.Entity, insp map[string]directory.Inspector) {
	p = loadPlan(t)
	read := func(name string) []byte {
		data, err := os.ReadFile("../seeds/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	opts := directory.Options{KnownItem: func(id string) bool { _, ok := p.Item(id); return ok }}
	es, err := directory.ImportEntities("entities.csv", read("entities.csv"), opts)
	if err != nil {
		t.Fatal(err)
	}
	is, _, err := directory.ImportInspectors("inspectors.csv", read("inspectors.csv"), opts, es)
	if err != nil {
		t.Fatal(err)
	}
	ents, insp = map[string]directory.Entity{}, map[string]directory.Inspector{}
	for _, e := range es.List {
		ents[e.CreditCode] = e
	}
	for _, in := range is.List {
		insp[in.UserID] = in
	}
	for _, id := range []string{"1", "17"} {
		in := draw.Input{Item: planItem(t, p, id), Entities: es, Inspectors: is, Params: draw.DefaultParams()}
		seed := draw.Seed{byte(len(id)), 7}
		res, err := draw.Draw(in, seed)
		if err != nil {
			t.Fatalf("item %s: %v", id, err)
		}
		recs = append(recs, draw.NewRecord("draw-"+id, "admin01", time.Date(2023, 4, 3, 16, 5, 0, 0, time.UTC), p.Year, in, seed, res))
	}
	return p, recs, ents, insp
}

// Scans every cell, in memory and as written to CSV and XLSX files: the
// publication shows no risk class and no inspector; the internal table
// shows both.
func TestDrawTableLeaks(t *testing.T) {
	p, recs, ents, insp := seedDraws(t)
	hr, hitem, hents, hinsp := handFixture(t)
	cases := []struct {
		name       string
		rec        *draw.Record
		item       *plan.Item
		ents       map[string]directory.Entity
		insp       map[string]directory.Inspector
		wantLabels []string // the internal table shows at least these
	}{
		{"hand", hr, hitem, hents, hinsp, []string{"低风险", "一般风险", "较高风险", "高风险"}},
		{"seed item 1", recs[0], planItem(t, p, "1"), ents, insp, []string{"低风险", "一般风险", "较高风险", "高风险"}},
		{"seed item 17", recs[1], planItem(t, p, "17"), ents, insp, []string{"低风险"}},
	}
	for _, tc := range cases {
		// Everything private about this draw: userids and names of its inspectors.
		var private []string
		n := 0
		for _, g := range tc.rec.Result.Groups {
			for _, d := range g.Entities {
				n++
				for _, u := range d.Inspectors {
					private = append(private, u)
					if in, ok := tc.insp[u]; ok {
						private = append(private, in.Name)
					}
				}
			}
		}
		if n == 0 {
			t.Fatalf("item %s: nothing drawn", tc.rec.ItemID)
		}
		pub := DrawTable(Publication, tc.rec, tc.item, tc.ents, tc.insp)
		in := DrawTable(Internal, tc.rec, tc.item, tc.ents, tc.insp)
		if len(pub.Rows) != n || len(in.Rows) != n {
			t.Fatalf("item %s: %d and %d rows, want %d", tc.rec.ItemID, len(pub.Rows), len(in.Rows), n)
		}
		for _, f := range Formats {
			t.Run(tc.name+"/"+f, func(t *testing.T) {
				var pubCells, inCells [][]string
				if f == CSV {
					path := writeFile(t, f, pub)
					pubCells = readCSV(t, path)
					raw, _ := os.ReadFile(path)
					pubCells = append(pubCells, []string{string(raw)}) // the bytes, too
					inCells = readCSV(t, writeFile(t, f, in))
				} else {
					pubCells = readXLSX(t, writeFile(t, f, pub), pub)
					inCells = readXLSX(t, writeFile(t, f, in), in)
				}
				pubCells = append(pubCells, []string{pub.Title, SheetName(pub.Title)})
				for _, row := range pubCells {
					for _, c := range row {
						for _, bad := range append(slices.Clone(riskLabels), private...) {
							if strings.Contains(c, bad) {
								t.Fatalf("publication cell %q contains %q", c, bad)
							}
						}
					}
				}
				all := strings.Join(slices.Concat(inCells...), "\x00")
				for _, want := range append(slices.Clone(tc.wantLabels), private...) {
					if !strings.Contains(all, want) {
						t.Errorf("internal table lacks %q", want)
					}
				}
				if !slices.Equal(inCells[0][:6], pubCells[0]) {
					t.Errorf("internal header %q does not start with the publication's %q", inCells[0], pubCells[0])
				}
			})
		}
	}
}
