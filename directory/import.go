package directory

import (
	"slices"
	"strconv"
	"strings"

	"github.com/changzhi-amr/choucha/department"
)

// DefaultMaxBytes is the largest file the importers read when
// Options.MaxBytes is not set: a 100,000-row directory is about 10 MiB.
const DefaultMaxBytes = 30 << 20

// Options are what an import checks the file against.
type Options struct {
	// Units resolves 所属区县 and 所属部门; nil means department.Default().
	Units *department.Vocabulary
	// KnownItem reports whether a plan item id ("1", "8", "15-2") is in
	// the plan; ids reach it in canonical form. nil checks only the form.
	KnownItem func(id string) bool
	// MaxBytes refuses larger files; 0 means DefaultMaxBytes.
	MaxBytes int64
}

func (o Options) withDefaults() Options {
	if o.Units == nil {
		o.Units = department.Default()
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	return o
}

// ImportEntities reads a 检查对象名录 from a CSV (UTF-8, UTF-8 with BOM, GBK;
// comma- or tab-separated) or .xlsx file. name is the file name as given:
// it is named in errors, kept as Meta.Source, and its extension helps tell
// the format. Columns are found by their Chinese header (the Col*
// constants of the entity directory, or a synonym) in any order below up
// to a few title rows; other columns are ignored. Every row is checked and
// every problem reported at once in an *ImportError; on any problem no
// snapshot is returned. Meta.ImportedBy and ImportedAt are the caller's.
func ImportEntities(name string, data []byte, opts Options) (*Entities, error) {
	o := opts.withDefaults()
	t, err := open(name, data, &o, entityKind)
	if err != nil {
		return nil, err
	}
	items := memo(func(raw string) ([]string, string) { return parseItems(o.KnownItem, raw) })
	county := memo(func(raw string) (string, bool) { return resolveCounty(o.Units, raw) })
	risk, status := memo(parseRisk), memo(parseStatus)
	seen := map[string]int{} // credit code -> row
	var list []Entity
	t.rows(func(row int, cells []string) {
		e := Entity{Row: row}
		raw := t.cell(cells, cCode)
		if code, msg := parseCreditCode(raw); msg != "" {
			t.add(row, cCode, raw, "%s", msg)
		} else if first, dup := seen[code]; dup {
			t.add(row, cCode, raw, "与第%d行重复", first)
		} else {
			seen[code], e.CreditCode = row, code
		}
		if e.Name = t.cell(cells, cName); e.Name == "" {
			t.add(row, cName, "", "为空")
		}
		raw = t.cell(cells, cItems)
		if ids, msg := items(raw); msg != "" {
			t.add(row, cItems, raw, "%s", msg)
		} else if len(ids) == 0 {
			t.add(row, cItems, "", "为空（每个检查对象至少属于一个抽查任务）")
		} else {
			e.Items = slices.Clone(ids)
		}
		raw = t.cell(cells, cDistrict)
		if c, ok := county(raw); ok {
			e.District = c
		} else if raw == "" {
			t.add(row, cDistrict, "", "为空")
		} else {
			t.add(row, cDistrict, raw, "不是区县（应为 %s 之一）", strings.Join(o.Units.Counties(), "、"))
		}
		raw = t.cell(cells, cRisk)
		var ok bool
		if e.Risk, ok = risk(raw); !ok {
			t.add(row, cRisk, raw, "不是信用风险分类（应为 A、B、C、D 或 低风险、一般风险、较高风险、高风险，未分类留空）")
		}
		raw = t.cell(cells, cStatus)
		if e.Status, ok = status(raw); !ok && raw == "" {
			t.add(row, cStatus, "", "为空")
		} else if !ok {
			t.add(row, cStatus, raw, "不是登记状态（应为 存续、在业、注销、吊销、撤销 或 迁出）")
		}
		e.Address, e.Phone, e.Industry = t.cell(cells, cAddress), t.cell(cells, cPhone), t.cell(cells, cIndustry)
		list = append(list, e)
	})
	if err := t.err(); err != nil {
		return nil, err
	}
	return &Entities{Meta: Meta{Source: name, Hash: sha256Hex(data), Rows: len(list)}, List: list}, nil
}

// ImportInspectors reads a 执法检查人员名录 the way ImportEntities reads the
// entities. 所属部门 must be a section, a county/district bureau, or the
// city bureau itself (for officers who belong to no section, such as the
// bureau's leaders; Unit is then department.City); 各县区局 is refused as
// it is not one unit. 可执行任务 lists item ids or says 全部. 回避对象 lists
// credit codes: a malformed one is a problem, while one that names no
// entity of entities is returned as a warning, since the entity directory
// may be re-imported later; entities may be nil to skip that check.
// Warnings are returned whether or not the import succeeds.
func ImportInspectors(name string, data []byte, opts Options, entities *Entities) (*Inspectors, []Problem, error) {
	o := opts.withDefaults()
	t, err := open(name, data, &o, inspectorKind)
	if err != nil {
		return nil, nil, err
	}
	var known map[string]bool
	if entities != nil {
		known = make(map[string]bool, len(entities.List))
		for i := range entities.List {
			known[entities.List[i].CreditCode] = true
		}
	}
	items := memo(func(raw string) ([]string, string) { return parseItems(o.KnownItem, raw) })
	unit := memo(o.Units.Resolve)
	users, badges := map[string]int{}, map[string]int{} // folded -> row
	var list []Inspector
	var warnings []Problem
	t.rows(func(row int, cells []string) {
		in := Inspector{Row: row}
		if in.Name = t.cell(cells, iName); in.Name == "" {
			t.add(row, iName, "", "为空")
		}
		in.UserID = t.cell(cells, iUserID)
		key := strings.ToLower(in.UserID)
		switch first, dup := users[key]; {
		case in.UserID == "":
			t.add(row, iUserID, "", "为空")
		case !validUserID(in.UserID):
			t.add(row, iUserID, in.UserID, "不是企业微信账号（只能由字母、数字和 _-@. 组成，以字母或数字开头，不超过 64 个字符）")
		case dup:
			t.add(row, iUserID, in.UserID, "与第%d行重复（企业微信账号不区分大小写）", first)
		default:
			users[key] = row
		}
		in.BadgeNo = t.cell(cells, iBadge)
		key = foldCell(in.BadgeNo)
		if first, dup := badges[key]; in.BadgeNo == "" {
			t.add(row, iBadge, "", "为空")
		} else if dup {
			t.add(row, iBadge, in.BadgeNo, "与第%d行重复", first)
		} else {
			badges[key] = row
		}
		raw := t.cell(cells, iUnit)
		switch u, ok := unit(raw); {
		case raw == "":
			t.add(row, iUnit, "", "为空")
		case !ok:
			t.add(row, iUnit, raw, "不是已知的部门（应为科室、县区局或 %s）", department.City)
		case u.Kind == department.KindAllCounties:
			t.add(row, iUnit, raw, "应写具体的县区局（%s 之一）", strings.Join(o.Units.Counties(), "、"))
		default:
			in.Unit = u.Name
		}
		raw = t.cell(cells, iItems)
		if contains(allItemsWords, foldCell(raw)) {
			in.AllItems = true
		} else if ids, msg := items(raw); msg != "" {
			t.add(row, iItems, raw, "%s", msg)
		} else if len(ids) == 0 {
			t.add(row, iItems, "", "为空（不限任务请填写 全部）")
		} else {
			in.Items = slices.Clone(ids)
		}
		raw = t.cell(cells, iAvoid)
		var bad []string
		for _, part := range splitList(raw) {
			code, msg := parseCreditCode(part)
			switch {
			case msg != "":
				bad = append(bad, strconv.Quote(part)+" "+msg)
			case contains(in.Avoid, code):
			default:
				in.Avoid = append(in.Avoid, code)
				if known != nil && !known[code] {
					warnings = append(warnings, Problem{Row: row, Column: ColAvoid, Value: code, Message: "检查对象名录中没有此统一社会信用代码"})
				}
			}
		}
		if len(bad) > 0 {
			t.add(row, iAvoid, raw, "不是有效的统一社会信用代码：%s", strings.Join(bad, "；"))
		}
		in.Specialty, in.Mobile = t.cell(cells, iSpecialty), t.cell(cells, iMobile)
		list = append(list, in)
	})
	if err := t.err(); err != nil {
		return nil, warnings, err
	}
	return &Inspectors{Meta: Meta{Source: name, Hash: sha256Hex(data), Rows: len(list)}, List: list}, warnings, nil
}

// resolveCounty resolves a 所属区县 cell to a county or district, also when
// it is written with its province and city (长治市潞州区, 山西省长治市沁县).
func resolveCounty(units *department.Vocabulary, raw string) (string, bool) {
	for s := raw; ; {
		if u, ok := units.Resolve(s); ok && u.Kind == department.KindCounty {
			return u.Name, true
		}
		i := strings.IndexAny(s, "省市")
		if i < 0 {
			return "", false
		}
		s = s[i+len("市"):]
	}
}
