package directory

import "testing"

func TestParseStatus(t *testing.T) {
	tests := map[string]Status{
		"存续": StatusExisting, "存续（在营、开业、在册）": StatusExisting, "存续(在营、开业、在册)": StatusExisting,
		"在营": StatusExisting, "开业": StatusExisting, "在册": StatusExisting, " 在业 ": StatusOperating,
		"注销": StatusCancelled, "已注销": StatusCancelled, "吊销，已注销": StatusCancelled,
		"吊销": StatusRevoked, "吊销，未注销": StatusRevoked, "吊销,未注销": StatusRevoked,
		"撤销": StatusWithdrawn, "撤销登记": StatusWithdrawn, "迁出": StatusMovedOut, "已迁出": StatusMovedOut,
	}
	for raw, want := range tests {
		if got, ok := parseStatus(raw); !ok || got != want {
			t.Errorf("parseStatus(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{"", "正常", "歇业", "（在营）", "存续中"} {
		if got, ok := parseStatus(raw); ok {
			t.Errorf("parseStatus(%q) = %q, want not ok", raw, got)
		}
	}
}

func TestParseRisk(t *testing.T) {
	tests := map[string]RiskClass{
		"A": RiskA, "a": RiskA, "Ａ": RiskA, "A类": RiskA, "A级": RiskA, "A类企业": RiskA, "低风险": RiskA, "低风险（A类）": RiskA,
		"B": RiskB, "一般风险": RiskB, "c": RiskC, "较高风险": RiskC, "D级": RiskD, "高风险": RiskD,
		"": RiskUnclassified, " ": RiskUnclassified, "未分类": RiskUnclassified,
	}
	for raw, want := range tests {
		if got, ok := parseRisk(raw); !ok || got != want {
			t.Errorf("parseRisk(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{"E", "AB", "类", "风险", "很高", "1"} {
		if got, ok := parseRisk(raw); ok {
			t.Errorf("parseRisk(%q) = %q, want not ok", raw, got)
		}
	}
}

func TestItemID(t *testing.T) {
	tests := map[string]string{"1": "1", "08": "8", "１５－２": "15-2", "15—2": "15-2", "15-02": "15-2", "9999": "9999"}
	for raw, want := range tests {
		if got, ok := itemID(raw); !ok || got != want {
			t.Errorf("itemID(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{"", "0", "15-0", "15-", "-2", "a", "1.5", "10000", "15-2-1", "+1", "一"} {
		if got, ok := itemID(raw); ok {
			t.Errorf("itemID(%q) = %q, want not ok", raw, got)
		}
	}
}

func TestValidUserID(t *testing.T) {
	for _, s := range []string{"zhangsan", "ZhangSan", "zhang.san@lz", "a-b_c", "1"} {
		if !validUserID(s) {
			t.Errorf("validUserID(%q) = false", s)
		}
	}
	for _, s := range []string{"", "_a", ".a", "张三", "a b", "a/b", string(make([]byte, 65))} {
		if validUserID(s) {
			t.Errorf("validUserID(%q) = true", s)
		}
	}
}

func TestHeaderFolding(t *testing.T) {
	for _, h := range []string{"统一社会信用代码", " 统一社会 信用代码 ", "*统一社会信用代码", "统一社会信用代码（必填）", "统一社会信用代码:", "社会信用代码"} {
		if col, ok := entityKind.byName[foldHeader(h)]; !ok || col != cCode {
			t.Errorf("header %q not read as %s", h, ColCreditCode)
		}
	}
	for _, h := range []string{"UserID", "企业微信ID", "企业微信帐号"} {
		if col, ok := inspectorKind.byName[foldHeader(h)]; !ok || col != iUserID {
			t.Errorf("header %q not read as %s", h, ColUserID)
		}
	}
}

func TestColumnLetter(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := columnLetter(i); got != want {
			t.Errorf("columnLetter(%d) = %q, want %q", i, got, want)
		}
	}
}
