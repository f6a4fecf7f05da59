package directory

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// foldCell is the form coded cells are read in: full-width folded to
// half-width, every space removed, letters upper-cased.
func foldCell(s string) string {
	if isFoldedCell(s) {
		return s
	}
	s = width.Fold.String(s)
	return strings.ToUpper(strings.Join(strings.FieldsFunc(s, isBlank), ""))
}

// isFoldedCell reports whether foldCell would leave s as it is: printable
// ASCII without space or lower case, and CJK ideographs. It spares the
// common cell (a credit code, 存续) the allocations.
func isFoldedCell(s string) bool {
	for _, r := range s {
		if !('!' <= r && r <= '~' && !('a' <= r && r <= 'z') || 0x4E00 <= r && r <= 0x9FFF) {
			return false
		}
	}
	return true
}

// parseCreditCode reads a 统一社会信用代码 cell; msg says what is wrong.
func parseCreditCode(raw string) (code, msg string) {
	code = foldCell(raw)
	n := utf8.RuneCountInString(code)
	switch {
	case code == "":
		return "", "为空"
	case strings.Contains(code, "E+"):
		// Excel shows an all-digit code it stored as a number this way.
		return "", "被 Excel 存成了数字（科学计数法），请把该列设为文本格式后重新填写"
	case n != 18:
		return "", fmt.Sprintf("应为 18 位，实为 %d 位", n)
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(creditCharset, code[i]) < 0 {
			r, _ := utf8.DecodeRuneInString(code[i:])
			return "", fmt.Sprintf("第 %d 位 %q 不是统一社会信用代码的字符（只用数字和除 I、O、Z、S、V 外的大写字母）", i+1, r)
		}
	}
	if d, _ := CreditCheckDigit(code[:17]); d != code[17] {
		return "", fmt.Sprintf("校验位错误（应为 %c）", d)
	}
	return code, ""
}

// splitList splits a cell listing several values: ; ； , ， 、 / and
// white space all separate.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return isBlank(r) || strings.ContainsRune(";；,，、/／", r)
	})
}

// dashes are the dash variants people type in "15-2".
var dashes = strings.NewReplacer("－", "-", "—", "-", "–", "-", "‐", "-", "―", "-", "﹣", "-", "_", "-")

// itemID reads one plan item id ("8", "15-2", "１５－２", "08") into its
// canonical form ("8", "15-2").
func itemID(s string) (string, bool) {
	s = dashes.Replace(width.Fold.String(s))
	task, sub, multi := strings.Cut(s, "-")
	t, ok := positive(task)
	if !ok {
		return "", false
	}
	if !multi {
		return strconv.Itoa(t), true
	}
	n, ok := positive(sub)
	if !ok {
		return "", false
	}
	return strconv.Itoa(t) + "-" + strconv.Itoa(n), true
}

// positive reads 1 to 4 ASCII digits with a value above zero.
func positive(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n > 0
}

// parseItems reads a cell listing plan item ids: their canonical forms,
// unique and in order, and a message naming the ids that are malformed or,
// by known (nil: any), not in the plan.
func parseItems(known func(id string) bool, raw string) (ids []string, msg string) {
	var bad, unknown []string
	for _, part := range splitList(raw) {
		id, ok := itemID(part)
		switch {
		case !ok:
			bad = append(bad, strconv.Quote(part))
		case known != nil && !known(id):
			unknown = append(unknown, id)
		case !contains(ids, id):
			ids = append(ids, id)
		}
	}
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, "抽查计划中没有任务 "+strings.Join(unknown, "、"))
	}
	if len(bad) > 0 {
		msgs = append(msgs, strings.Join(bad, "、")+" 不是任务编号（应写作 1、8 或 15-2，多个用 ; 分隔）")
	}
	return ids, strings.Join(msgs, "；")
}

// memo caches a cell parser for the few distinct values a column repeats
// over 100,000 rows (所属区县, 登记状态, 抽查任务). Results are shared: copy
// a slice before handing it out.
func memo[A, B any](f func(string) (A, B)) func(string) (A, B) {
	type result struct {
		a A
		b B
	}
	m := map[string]result{}
	return func(s string) (A, B) {
		r, ok := m[s]
		if !ok {
			r.a, r.b = f(s)
			m[s] = r
		}
		return r.a, r.b
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// baseWord is a folded status or risk cell without its bracketed remark
// and leading 已: "存续（在营、开业、在册）" → "存续", "已注销" → "注销".
func baseWord(raw string) string {
	s := foldCell(raw)
	if before, _, ok := strings.Cut(s, "("); ok && before != "" {
		s = before
	}
	s = dropPunct.Replace(s)
	return strings.TrimPrefix(s, "已")
}

var dropPunct = strings.NewReplacer(",", "", "、", "", "。", "")

var riskWords = map[string]RiskClass{
	"A": RiskA, "低风险": RiskA,
	"B": RiskB, "一般风险": RiskB, "中风险": RiskB,
	"C": RiskC, "较高风险": RiskC,
	"D": RiskD, "高风险": RiskD,
	"": RiskUnclassified, "未分类": RiskUnclassified, "-": RiskUnclassified,
}

// parseRisk reads a 信用风险分类 cell: A–D (any case, with 类 or 级), the
// Chinese names, or empty/未分类 for unclassified.
func parseRisk(raw string) (RiskClass, bool) {
	s := baseWord(raw)
	if c, ok := riskWords[s]; ok {
		return c, true
	}
	for _, suf := range []string{"类企业", "类", "级"} {
		if t, ok := strings.CutSuffix(s, suf); ok && len(t) == 1 {
			c, ok := riskWords[t]
			return c, ok
		}
	}
	return "", false
}

// statusWords maps the ways registration systems write a status. The
// national publicity system writes 存续（在营、开业、在册） for one status,
// so 在营, 开业 and 在册 read as 存续; 在业 (other systems' word) is kept.
var statusWords = map[string]Status{
	"存续": StatusExisting, "在营": StatusExisting, "开业": StatusExisting, "在册": StatusExisting,
	"在业": StatusOperating,
	"注销": StatusCancelled, "吊销已注销": StatusCancelled,
	"吊销": StatusRevoked, "吊销未注销": StatusRevoked,
	"撤销": StatusWithdrawn, "撤销登记": StatusWithdrawn,
	"迁出": StatusMovedOut,
}

// parseStatus reads a 登记状态 cell.
func parseStatus(raw string) (Status, bool) {
	s, ok := statusWords[baseWord(raw)]
	return s, ok
}

// validUserID reports whether s is a WeCom userid: 1 to 64 bytes of
// letters, digits and _-@., starting with a letter or digit.
func validUserID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("_-@.", rune(c))) {
			return false
		}
	}
	return true
}

// allItemsWords mean an inspector may execute every task.
var allItemsWords = []string{"全部", "所有", "全部任务", "所有任务", "不限"}
