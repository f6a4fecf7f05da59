package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/changzhi-amr/choucha/internal/redistest"
	"github.com/changzhi-amr/choucha/workday"
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
		"已导入2026年度抽查计划：2026年度计划.txt", "拍卖活动专项检查", "2026年度（16个任务、17项）：上传文件 2026年度计划.txt", "由 console 导入"} {
		if !strings.Contains(after, want) {
			t.Errorf("after the load, lacks %q:\n%s", want, after)
		}
	}
	noMarkup(t, out)

	out, errOut, code = runCmd(t, "", "ask", "--config", cfg, "--now", "2026-03-15", "任务8")
	if code != 0 {
		t.Fatalf("ask: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "已加载抽查计划：2023年度（16个任务，17项）、2026年度（16个任务，17项，console 在聊天中导入）\n") {
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

func fileMsg(corp, user, media, name string, id int) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[file]]></MsgType><MediaId><![CDATA[%s]]></MediaId>"+
		"<FileName><![CDATA[%s]]></FileName><MsgId>%d</MsgId><AgentID>1000002</AgentID></xml>", corp, user, time.Now().Unix(), media, name, id)
}

// Through WeCom with two serve replicas on one Redis: an admin sends this
// year's plan as GBK text to one, confirms it, and a member asking the
// other replica is answered from it (the other replica heard of the load
// through Redis).
func TestServeWeComPlanFile(t *testing.T) {
	const admin, other = "admin1", "zhangsan"
	year := time.Now().In(workday.Location()).Year()
	seed, err := os.ReadFile(seedPlan(t))
	if err != nil {
		t.Fatal(err)
	}
	next := strings.ReplaceAll(strings.ReplaceAll(string(seed), "2023年度", fmt.Sprintf("%d年度", year)), "拍卖活动检查", "拍卖活动专项检查")
	data, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(next))
	if err != nil {
		t.Fatal(err)
	}
	fake, _, c, cfg := seedServeSetup(t, admin, other, map[string][]byte{"PLAN_MEDIA": data}, "")
	a, b := startServe(t, cfg), startServe(t, cfg)

	post(t, a, c, fileMsg(fake.CorpID(), admin, "PLAN_MEDIA", "计划.txt", 8101))
	got, err := fake.WaitMessages(2, 10*time.Second)
	if err != nil {
		t.Fatalf("no preview: %v\n%s", err, a.stderr.String())
	}
	if got[0].ToUser != admin || !strings.Contains(got[0].Content, fmt.Sprintf("抽查计划预览：%d年度", year)) ||
		!strings.Contains(got[0].Content, "共 **16** 项编号任务、**17** 个抽查事项") {
		t.Fatalf("preview %+v", got[0])
	}
	post(t, a, c, textMsg(fake.CorpID(), admin, "确认", 8102))
	got, err = fake.WaitMessages(3, 10*time.Second)
	if err != nil {
		t.Fatalf("no confirmation: %v\n%s", err, a.stderr.String())
	}
	if !strings.Contains(got[2].Content, fmt.Sprintf("已导入%d年度抽查计划：计划.txt", year)) {
		t.Fatalf("confirmation %+v", got[2])
	}
	// The other replica, asked by another member: it hears of the load
	// through Redis (at once by pub/sub, else within its 5 s check), so
	// it is asked until it answers from the new plan.
	deadline := time.Now().Add(15 * time.Second)
	for id := 8103; ; id++ {
		post(t, b, c, textMsg(fake.CorpID(), other, "任务8", id))
		got, err = fake.WaitMessages(id-8103+4, 10*time.Second)
		if err != nil {
			t.Fatalf("no answer: %v\n%s", err, b.stderr.String())
		}
		ans := got[len(got)-1]
		if ans.ToUser != other || !strings.Contains(ans.Content, "拍卖活动") {
			t.Fatalf("replica b answered %+v", ans)
		}
		if strings.Contains(ans.Content, "拍卖活动专项检查") && !strings.Contains(ans.Content, "尚未导入") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica b still answers from the old plan: %+v", ans)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
