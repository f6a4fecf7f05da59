package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/changzhi-amr/choucha/internal/redistest"
)

// A plan file sent in the console ("/文件 PATH") is previewed, loaded by
// 确认 and answered from at once; the next start (another process on the
// same Redis) names it among the loaded plans and answers from it too;
// the audit log has the load with the file's SHA-256.
func TestConsolePlanFile(t *testing.T) {
	cfg := writeConfig(t, redistest.Start(t).URL(), "")
	seed, err := os.ReadFile(seedPlan(t))
	if err != nil {
		t.Fatal(err)
	}
	next := strings.ReplaceAll(strings.ReplaceAll(string(seed), "2023年度", "2026年度"), "拍卖活动检查", "拍卖活动专项检查")
	path := filepath.Join(t.TempDir(), "2026年度计划.txt")
	if err := os.WriteFile(path, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := runCmd(t, "任务8\n/文件 "+path+"\n确认\n任务8\n计划列表\n", "chat", "--config", cfg, "--now", "2026-03-15")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	answers := strings.Split(out, "抽查计划预览")
	if len(answers) != 2 {
		t.Fatalf("no preview:\n%s", out)
	}
	before, after := answers[0], answers[1]
	for _, want := range []string{"尚未导入2026年度抽查计划", "拍卖活动检查"} {
		if !strings.Contains(before, want) {
			t.Errorf("before the load, lacks %q:\n%s", want, before)
		}
	}
	for _, want := range []string{"2026年度", "16 项编号任务、17 个抽查事项", "未注明起止时间：任务2、3、13（3项）",
		"已导入2026年度抽查计划：2026年度计划.txt", "拍卖活动专项检查", "2026年度（16项任务、17个事项）：上传文件 2026年度计划.txt", "由 console 导入"} {
		if !strings.Contains(after, want) {
			t.Errorf("after the load, lacks %q:\n%s", want, after)
		}
	}
	noMarkup(t, out)

	out, errOut, code = runCmd(t, "", "ask", "--config", cfg, "--now", "2026-03-15", "任务8")
	if code != 0 {
		t.Fatalf("ask: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "已加载抽查计划：2023年度（17项）、2026年度（17项，console 在聊天中导入）\n") {
		t.Errorf("start-up line: %s", errOut)
	}
	if !strings.Contains(out, "拍卖活动专项检查") || strings.Contains(out, "尚未导入") {
		t.Errorf("ask after restart:\n%s", out)
	}

	csv := filepath.Join(t.TempDir(), "audit.csv")
	if _, errOut, code := runCmd(t, "", "audit", "export", "--config", cfg, "--format", "csv", "-o", csv); code != 0 {
		t.Fatalf("audit export: exit %d: %s", code, errOut)
	}
	log, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256Hex([]byte(next))
	if !strings.Contains(string(log), "导入抽查计划") || !strings.Contains(string(log), hash) {
		t.Errorf("audit log lacks the load with %s:\n%s", hash, log)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
