package handlers

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/changzhi-amr/choucha/audit"
	"github.com/changzhi-amr/choucha/directory"
)

// gbk encodes UTF-8 text (without its BOM) as GBK, as Excel on a Chinese
// Windows saves a CSV.
func gbk(t *testing.T, utf8 []byte) []byte {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(bytes.TrimPrefix(utf8, []byte("\ufeff")))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A broken inspectors' file: row 3 has no userid, row 4 an unknown unit,
// row 5 an item the plan does not have.
const brokenInspectors = "姓名,企业微信账号,执法证号,所属部门,可执行任务,回避对象,专业领域,手机\n" +
	"张三,zhangsan01,14040001,计量科,1;2,,,\n" +
	"李四,,14040002,计量科,1,,,\n" +
	"王五,wangwu01,14040003,不存在科,1,,,\n" +
	"赵六,zhaoliu01,14040004,计量科,99,,,\n"

// A broken entities' file: row 2's credit code has a wrong check digit.
const brokenEntities = "统一社会信用代码,名称,抽查任务,所属区县,信用风险分类,登记状态\n" +
	"91140403MAG928PQ9X,长治市潞州区紫金街道德润加油站,1,潞州区,一般风险,存续\n"

// Directory files sent in chat: an admin's valid file replaces the
// snapshot; a broken one is answered with its problems by row and changes
// nothing; a non-admin's is refused unread.
func TestDirectoryFileThroughChat(t *testing.T) {
	t.Parallel()
	seedInspectors := readSeed(t, "inspectors.csv")
	cases := []struct {
		name     string
		user     string
		file     string
		data     []byte
		fetchErr error
		maxBytes int64
		want     []string
		outcome  string
		action   string
		fetched  bool   // the file is downloaded
		imported string // the kind whose snapshot is replaced; "": none
	}{
		{name: "admin GBK inspectors", user: admin1, file: "执法检查人员名录.csv",
			data:    gbk(t, withoutLines(t, seedInspectors, "崔海平")),
			want:    []string{"已导入执法检查人员名录：执法检查人员名录.csv，共 131 行", "新名录已替换原名录"},
			outcome: audit.OK, action: "导入执法检查人员名录", fetched: true, imported: directory.KindInspectors},
		{name: "admin entities", user: admin2, file: "entities.csv",
			data:    withoutLines(t, readSeed(t, "entities.csv"), "长治市祥瑞拍卖有限公司"),
			want:    []string{"已导入检查对象名录：entities.csv，共 2161 行（存续/在业 2120 户）"},
			outcome: audit.OK, action: "导入检查对象名录", fetched: true, imported: directory.KindEntities},
		{name: "broken inspectors", user: admin1, file: "人员.csv", data: gbk(t, []byte(brokenInspectors)),
			want: []string{"名录未导入，原有名录保持不变", "有 3 个问题", "第3行 企业微信账号: 为空",
				"第4行 所属部门 \"不存在科\": 不是已知的部门", "第5行 可执行任务 \"99\": 抽查计划中没有任务 99"},
			outcome: audit.Failed, action: "导入名录", fetched: true},
		{name: "broken entities", user: admin1, file: "对象.csv", data: []byte(brokenEntities),
			want:    []string{"名录未导入，原有名录保持不变", "第2行 统一社会信用代码 \"91140403MAG928PQ9X\": 校验位错误（应为 Q）"},
			outcome: audit.Failed, action: "导入名录", fetched: true},
		{name: "not a directory", user: admin1, file: "照片.csv", data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
			want:    []string{"名录未导入，原有名录保持不变", "既不是 .xlsx 工作簿也不是文本文件"},
			outcome: audit.Failed, action: "导入名录", fetched: true},
		{name: "too large", user: admin1, file: "big.csv", data: bytes.Repeat([]byte("x"), 2<<20), maxBytes: 1 << 20,
			want:    []string{"超过名录导入上限 1 MB，未导入"},
			outcome: audit.Refused, action: "导入名录", fetched: true},
		{name: "download fails", user: admin1, file: "人员.csv", fetchErr: errors.New("media/get: 40007"),
			want:    []string{"文件下载失败"},
			outcome: audit.Failed, action: "导入名录", fetched: true},
		{name: "non-admin", user: outsider, file: "执法检查人员名录.csv", data: gbk(t, withoutLines(t, seedInspectors, "崔海平")),
			want:    []string{"只有管理员可以通过发送文件导入名录"},
			outcome: audit.Refused, action: "导入名录"},
	}
	e := newDrawEnv(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			e.t = t // the env's helpers fail this case
			e.maxFile = c.maxBytes
			e.media = func(_ context.Context, req *Request) ([]byte, string, error) {
				calls.Add(1)
				if req.Media == nil || req.Media.ID != "media-1" {
					t.Errorf("fetching %+v", req.Media)
				}
				return c.data, c.file, c.fetchErr
			}
			e.router = e.newRouter()
			ctx := context.Background()
			entsBefore, _ := e.dirs.Entities(ctx)
			inspBefore, _ := e.dirs.Inspectors(ctx)

			req := e.request(c.user, "")
			req.Kind, req.Media = KindFile, &Media{ID: "media-1", FileName: c.file}
			rep, err := e.router.Handle(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got := all(rep)
			for _, s := range c.want {
				if !strings.Contains(got, s) {
					t.Errorf("reply lacks %q:\n%s", s, got)
				}
			}
			if fetched := calls.Load() > 0; fetched != c.fetched {
				t.Errorf("file fetched: %v, want %v", fetched, c.fetched)
			}
			wantAudit(t, e.lastAudit(), c.user, c.action, c.file, c.outcome)

			ents, _ := e.dirs.Entities(ctx)
			insp, _ := e.dirs.Inspectors(ctx)
			if changed := ents.Hash != entsBefore.Hash; changed != (c.imported == directory.KindEntities) {
				t.Errorf("entities replaced: %v", changed)
			}
			if changed := insp.Hash != inspBefore.Hash; changed != (c.imported == directory.KindInspectors) {
				t.Errorf("inspectors replaced: %v", changed)
			}
			switch c.imported {
			case directory.KindInspectors:
				if insp.ImportedBy != c.user || !insp.ImportedAt.Equal(req.Now) || insp.Source != c.file || len(insp.List) != 131 {
					t.Errorf("imported %+v", insp.Meta)
				}
				// GBK decoded: the names read as written.
				if insp.List[0].Name != "秦峰飞" || insp.List[0].Unit != "计量科" {
					t.Errorf("first inspector %+v", insp.List[0])
				}
				if got := all(e.say(nil, admin1, "名录")); !strings.Contains(got, "执法检查人员名录**：131 名") || !strings.Contains(got, "由 "+c.user+" 导入") {
					t.Errorf("名录 after the import:\n%s", got)
				}
			case directory.KindEntities:
				if ents.ImportedBy != c.user || len(ents.List) != 2161 {
					t.Errorf("imported %+v", ents.Meta)
				}
			}
			// Back to the seed directories for the next case.
			switch c.imported {
			case directory.KindEntities:
				e.importFile("../seeds/entities.csv", directory.KindEntities)
			case directory.KindInspectors:
				e.importFile("../seeds/inspectors.csv", directory.KindInspectors)
			}
		})
	}
}
