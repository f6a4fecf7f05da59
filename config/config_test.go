package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeConfig writes body as config.yaml into a new directory that also
// holds plans/p.txt, and returns the config path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "plans"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plans", "p.txt"), []byte("plan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadRepoConfig(t *testing.T) {
	cfg, err := Load("../config.yaml")
	if err != nil {
		t.Fatalf("Load(config.yaml): %v", err)
	}
	repo, _ := filepath.Abs("..")
	if cfg.Dir != repo {
		t.Errorf("Dir = %q, want %q", cfg.Dir, repo)
	}
	want := filepath.Join(repo, "seeds", "changzhi-2023-plan.txt")
	if !reflect.DeepEqual(cfg.Plans, []string{want}) {
		t.Errorf("Plans = %q, want [%q]", cfg.Plans, want)
	}
	if cfg.Redis.URL != "" {
		t.Errorf("redis.url = %q, want empty (managed Redis)", cfg.Redis.URL)
	}
	// The shipped file spells out the defaults: it must equal them, but for
	// the seed files it names (plans and directories have no default).
	if cfg.Directories.Entities != filepath.Join(repo, "seeds", "entities.csv") || cfg.Directories.Inspectors != filepath.Join(repo, "seeds", "inspectors.csv") {
		t.Errorf("directories = %+v, want the seed directories", cfg.Directories)
	}
	def := Defaults()
	def.Dir, def.Plans, def.Location = cfg.Dir, cfg.Plans, cfg.Location
	def.Directories.Entities, def.Directories.Inspectors = cfg.Directories.Entities, cfg.Directories.Inspectors
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("config.yaml differs from Defaults():\n got %+v\nwant %+v", cfg, def)
	}
}

func TestRepoConfigHasEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	var walk func(t reflect.Type, prefix string)
	walk = func(typ reflect.Type, prefix string) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || name == "" {
				continue
			}
			if !strings.Contains(string(data), name+":") {
				missing = append(missing, prefix+name)
			}
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
				walk(f.Type, prefix+name+".")
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	if len(missing) > 0 {
		t.Errorf("config.yaml lacks keys: %v", missing)
	}
}

func TestLoadDefaults(t *testing.T) {
	path := writeConfig(t, "plans: [plans/p.txt]\n")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"timezone", cfg.Timezone, "Asia/Shanghai"},
		{"location", cfg.Location.String(), "Asia/Shanghai"},
		{"redis.url", cfg.Redis.URL, ""},
		{"redis.dir", cfg.Redis.Dir, "data/redis"},
		{"redis.prefix", cfg.Redis.Prefix, "choucha:"},
		{"answers.closing_soon_days", cfg.Answers.ClosingSoonDays, 30},
		{"http.addr", cfg.HTTP.Addr, ":8080"},
		{"http.callback_path", cfg.HTTP.CallbackPath, "/wecom/callback"},
		{"wecom.max_timestamp_skew", cfg.WeCom.MaxTimestampSkew, 10 * time.Minute},
		{"wecom.user_cache_ttl", cfg.WeCom.UserCacheTTL, time.Hour},
		{"wecom.dedupe_ttl", cfg.WeCom.DedupeTTL, 24 * time.Hour},
		{"wecom.spool_dir", cfg.WeCom.SpoolDir, "data/spool"},
		{"wecom.spool_max_mb", cfg.WeCom.SpoolMaxMB, 256},
		{"wecom.spool_busy_after", cfg.WeCom.SpoolBusyAfter, 5 * time.Second},
		{"outbox.workers", cfg.Outbox.Workers, 4},
		{"outbox.max_attempts", cfg.Outbox.MaxAttempts, 8},
		{"outbox.initial_backoff", cfg.Outbox.InitialBackoff, time.Second},
		{"outbox.max_backoff", cfg.Outbox.MaxBackoff, 5 * time.Minute},
		{"outbox.per_user_per_min", cfg.Outbox.PerUserPerMin, 25},
		{"outbox.corp_per_min", cfg.Outbox.CorpPerMin, 9000},
		{"reminders.enabled", cfg.Reminders.Enabled, true},
		{"reminders.schedule", cfg.Reminders.Spec, "0 9 * * *"},
		{"reminders.send_from", cfg.Reminders.SendFrom, "08:00"},
		{"reminders.send_to", cfg.Reminders.SendTo, "20:00"},
		{"reminders.open_before_days", cfg.Reminders.OpenBeforeDays, []int{7}},
		{"reminders.close_before_days", cfg.Reminders.CloseBeforeDays, []int{30, 7, 1}},
		{"reminders.catch_up_days", cfg.Reminders.CatchUpDays, 3},
		{"departments.county_bureaus", cfg.Departments.CountyBureaus, []string{
			"潞州区", "上党区", "屯留区", "潞城区", "襄垣县", "平顺县",
			"黎城县", "壶关县", "长子县", "武乡县", "沁县", "沁源县"}},
		{"admins", len(cfg.Admins), 0},
		{"findings.dialog_ttl", cfg.Findings.DialogTTL, 2 * time.Hour},
		{"dialogs.ttl", cfg.Dialogs.TTL, 30 * time.Minute},
		{"dialogs.draft_days", cfg.Dialogs.DraftDays, 7},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	from, to := cfg.Reminders.SendWindow()
	if from != 8*time.Hour || to != 20*time.Hour {
		t.Errorf("SendWindow = %v, %v", from, to)
	}
}

func TestLoadOverrides(t *testing.T) {
	path := writeConfig(t, `
timezone: UTC
plans:
  - plans/p.txt
redis:
  url: redis://127.0.0.1:1/2
departments:
  county_bureaus: [潞州区]
reminders:
  enabled: false
  open_before_days: []
  recipients:
    计量科:
      users: [zhangsan, li.si]
      departments: [12]
    各地:
      webhook: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa
wecom:
  departments:
    12: 计量科
  dedupe_ttl: 48h
dialogs:
  ttl: 45m
  draft_days: 0
admins: [zhangsan]
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Location.String() != "UTC" || cfg.Reminders.Enabled || len(cfg.Reminders.OpenBeforeDays) != 0 {
		t.Errorf("overrides not applied: %+v", cfg.Reminders)
	}
	if !reflect.DeepEqual(cfg.Reminders.CloseBeforeDays, []int{30, 7, 1}) {
		t.Errorf("untouched key lost its default: %v", cfg.Reminders.CloseBeforeDays)
	}
	if got := cfg.Reminders.Recipients["各地"].Webhook; got != "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa" {
		t.Errorf("webhook URL not reduced to its key: %q", got)
	}
	if cfg.WeCom.Departments[12] != "计量科" || cfg.WeCom.DedupeTTL != 48*time.Hour {
		t.Errorf("wecom = %+v", cfg.WeCom)
	}
	if cfg.Dialogs.TTL != 45*time.Minute || cfg.Dialogs.DraftDays != 0 {
		t.Errorf("dialogs = %+v", cfg.Dialogs)
	}
	if !reflect.DeepEqual(cfg.Departments.CountyBureaus, []string{"潞州区"}) {
		t.Errorf("county_bureaus = %v", cfg.Departments.CountyBureaus)
	}
}

func TestRelativePlanPaths(t *testing.T) {
	path := writeConfig(t, "plans: [plans/p.txt, ./plans/../plans/q.txt]\n")
	dir := filepath.Dir(path)
	if err := os.WriteFile(filepath.Join(dir, "plans", "q.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Load from another working directory: paths follow the file, not the cwd.
	t.Chdir(t.TempDir())
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "plans", "p.txt"), filepath.Join(dir, "plans", "q.txt")}
	if !reflect.DeepEqual(cfg.Plans, want) {
		t.Errorf("Plans = %q, want %q", cfg.Plans, want)
	}
	if cfg.Dir != dir {
		t.Errorf("Dir = %q, want %q", cfg.Dir, dir)
	}

	// A relative config path works too, and an absolute plan path is kept.
	abs := filepath.Join(dir, "plans", "p.txt")
	t.Chdir(dir)
	if err := os.WriteFile("c2.yaml", []byte("plans: ["+abs+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load("c2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Plans[0] != abs || cfg.Dir != dir {
		t.Errorf("Plans = %q, Dir = %q", cfg.Plans, cfg.Dir)
	}
}

func TestLoadBad(t *testing.T) {
	const plan = "plans: [plans/p.txt]\n"
	cases := []struct {
		name string
		body string
		want []string // substrings of the error
	}{
		{"unknown top key", plan + "colour: red\n", []string{"config.yaml:2: colour: unknown key"}},
		{"unknown nested key", plan + "reminders:\n  send_form: \"08:00\"\n", []string{"config.yaml:3: reminders.send_form: unknown key", "send_from"}},
		{"unknown recipient key", plan + "reminders:\n  recipients:\n    计量科:\n      user: [a]\n", []string{"reminders.recipients.计量科.user: unknown key"}},
		{"syntax", plan + "redis: [\n", []string{"config.yaml:", "invalid YAML"}},
		{"tab indent", plan + "answers:\n\tclosing_soon_days: 3\n", []string{"config.yaml:3: invalid YAML", "not tabs"}},
		{"duplicate key", plan + "timezone: UTC\ntimezone: UTC\n", []string{"config.yaml:3:", `mapping key "timezone" already defined`}},
		{"unknown key via merge", plan + "x: &b\n  y: 1\n", []string{"x: unknown key"}},
		{"not a mapping", "- a\n- b\n", []string{"must be a YAML mapping"}},
		{"wrong type", plan + "answers:\n  closing_soon_days: soon\n", []string{"config.yaml:3: answers.closing_soon_days:", "soon"}},
		{"bad duration", plan + "wecom:\n  dedupe_ttl: 5\n", []string{"config.yaml:3: wecom.dedupe_ttl:"}},
		{"no plans", "timezone: UTC\n", []string{"plans: at least one plan"}},
		{"empty file", "", []string{"plans: at least one plan"}},
		{"missing plan", "plans: [plans/p.txt, nope.txt]\n", []string{"config.yaml:1: plans[1]: plan file", "nope.txt does not exist"}},
		{"plan is a dir", "plans: [plans]\n", []string{"plans[0]: plan file", "not a regular file"}},
		{"duplicate plan", "plans: [plans/p.txt, plans/p.txt]\n", []string{"plans[1]:", "twice"}},
		{"timezone", plan + "timezone: Mars/Olympus\n", []string{"config.yaml:2: timezone: \"Mars/Olympus\""}},
		{"redis url", plan + "redis:\n  url: http://x\n", []string{"config.yaml:3: redis.url:", "not a Redis URL"}},
		{"redis url password hidden", plan + "redis:\n  url: \"redis://:hunter2@h:1/x\"\n", []string{"redis.url:", "xxxxx"}},
		{"redis sentinel url", plan + "redis:\n  url: \"redis://s1:26379?master_name=&password=hunter2\"\n", []string{"config.yaml:3: redis.url:", "master_name is empty", "master_name=NAME"}},
		{"redis cluster url", plan + "redis:\n  url: \"redis://n1:7000/1?addr=n2:7001\"\n", []string{"config.yaml:3: redis.url:", "only database 0"}},
		{"redis dir", plan + "redis:\n  dir: \"\"\n", []string{"redis.dir: must not be empty"}},
		{"redis prefix", plan + "redis:\n  prefix: \"\"\n", []string{"redis.prefix: must not be empty"}},
		{"redis prefix tag", plan + "redis:\n  prefix: \"a{b}:\"\n", []string{"config.yaml:3: redis.prefix:", "hash tags"}},
		{"closing soon", plan + "answers:\n  closing_soon_days: 0\n", []string{"config.yaml:3: answers.closing_soon_days: must be a positive"}},
		{"http addr", plan + "http:\n  addr: \"8080\"\n", []string{"config.yaml:3: http.addr:"}},
		{"http port", plan + "http:\n  addr: \":99999\"\n", []string{"http.addr:", "port"}},
		{"callback path", plan + "http:\n  callback_path: wecom\n", []string{"config.yaml:3: http.callback_path: \"wecom\" must start with /"}},
		{"callback path taken", plan + "http:\n  callback_path: /healthz\n", []string{"http.callback_path:", "taken"}},
		{"skew", plan + "wecom:\n  max_timestamp_skew: -1s\n", []string{"wecom.max_timestamp_skew: must be a positive duration"}},
		{"dialog ttl", plan + "dialogs:\n  ttl: 30s\n", []string{"config.yaml:3: dialogs.ttl: must be between 1m and 24h"}},
		{"draft days", plan + "dialogs:\n  draft_days: -1\n", []string{"dialogs.draft_days: must be between 0"}},
		{"findings dialog ttl", plan + "findings:\n  dialog_ttl: 48h\n", []string{"findings.dialog_ttl: must be between 1m and 24h"}},
		{"user cache", plan + "wecom:\n  user_cache_ttl: 0s\n", []string{"wecom.user_cache_ttl: must be a positive duration"}},
		{"wecom spool", plan + "wecom:\n  spool_max_mb: 0\n  spool_busy_after: -1s\n", []string{"wecom.spool_max_mb: must be a positive number", "wecom.spool_busy_after: must be a duration"}},
		{"wecom department", plan + "wecom:\n  departments:\n    0: 计量科\n    5: \"\"\n", []string{"wecom.departments.0: WeCom department id must be positive", "wecom.departments.5: department 5 maps to an empty name"}},
		{"workers", plan + "outbox:\n  workers: 0\n", []string{"config.yaml:3: outbox.workers: must be a positive number"}},
		{"max attempts", plan + "outbox:\n  max_attempts: -2\n", []string{"outbox.max_attempts: must be a positive"}},
		{"per user", plan + "outbox:\n  per_user_per_min: 31\n", []string{"outbox.per_user_per_min:", "30"}},
		{"corp per min", plan + "outbox:\n  corp_per_min: 0\n", []string{"outbox.corp_per_min: must be a positive"}},
		{"backoff", plan + "outbox:\n  initial_backoff: 0s\n", []string{"outbox.initial_backoff: must be a positive"}},
		{"backoff order", plan + "outbox:\n  initial_backoff: 10m\n", []string{"outbox.max_backoff:", "shorter than outbox.initial_backoff"}},
		{"cron", plan + "reminders:\n  schedule: every day\n", []string{"config.yaml:3: reminders.schedule: \"every day\" is not a cron schedule"}},
		{"cron six fields", plan + "reminders:\n  schedule: \"0 0 9 * * *\"\n", []string{"reminders.schedule:"}},
		{"send_from", plan + "reminders:\n  send_from: \"25:00\"\n", []string{`config.yaml:3: reminders.send_from: "25:00" is not a time of day HH:MM`}},
		{"send_to", plan + "reminders:\n  send_to: 8pm\n", []string{`reminders.send_to: "8pm" is not a time of day HH:MM`}},
		{"send order", plan + "reminders:\n  send_from: \"20:00\"\n  send_to: \"08:00\"\n", []string{"config.yaml:4: reminders.send_to:", "later than reminders.send_from"}},
		{"open offset", plan + "reminders:\n  open_before_days: [7, -1]\n", []string{"config.yaml:3: reminders.open_before_days[1]: offset must be 0 or more"}},
		{"close offset", plan + "reminders:\n  close_before_days:\n    - 30\n    - -3\n", []string{"config.yaml:5: reminders.close_before_days[1]:"}},
		{"close offset dup", plan + "reminders:\n  close_before_days: [7, 7]\n", []string{"reminders.close_before_days[1]: offset 7 is listed twice"}},
		{"catch up", plan + "reminders:\n  catch_up_days: -1\n", []string{"reminders.catch_up_days: must be 0 or more"}},
		{"empty recipient", plan + "reminders:\n  recipients:\n    计量科: {}\n", []string{"config.yaml:4: reminders.recipients.计量科: names no recipient"}},
		{"bad user", plan + "reminders:\n  recipients:\n    消保科:\n      users: [\"zhang san\"]\n", []string{"reminders.recipients.消保科.users[0]:", "not a WeCom userid"}},
		{"bad dept id", plan + "reminders:\n  recipients:\n    消保科:\n      departments: [0]\n", []string{"reminders.recipients.消保科.departments[0]:"}},
		{"bad tag id", plan + "reminders:\n  recipients:\n    消保科:\n      tags: [-4]\n", []string{"reminders.recipients.消保科.tags[0]:"}},
		{"bad webhook", plan + "reminders:\n  recipients:\n    市市场监督管理局:\n      webhook: \"key with spaces\"\n", []string{"config.yaml:5: reminders.recipients.市市场监督管理局.webhook: is not a group robot webhook key"}},
		{"webhook url without key", plan + "reminders:\n  recipients:\n    潞州区:\n      webhook: https://example.invalid/send\n", []string{"reminders.recipients.潞州区.webhook:"}},
		{"county dup", plan + "departments:\n  county_bureaus: [沁县, 沁县]\n", []string{"departments.county_bureaus[1]: 沁县 is already listed in departments.county_bureaus"}},
		{"county empty", plan + "departments:\n  county_bureaus: [\"\"]\n", []string{"departments.county_bureaus[0]: must not be empty"}},
		{"county is a section", plan + "departments:\n  county_bureaus: [计量科]\n", []string{"departments.county_bureaus[0]: 计量科 is already listed in departments.sections"}},
		{"alias of no section", plan + "departments:\n  section_aliases: {质监科: 质量科}\n", []string{"departments.section_aliases.质监科: \"质量科\" is not one of departments.sections"}},
		{"moved key", plan + "reminders:\n  county_bureaus: [沁县]\n", []string{"reminders.county_bureaus: this key moved to departments.county_bureaus"}},
		{"admin", plan + "admins: [\"\"]\n", []string{"config.yaml:2: admins[0]:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, c.body)
			cfg, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q; cfg=%+v", c.want, cfg)
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\ndoes not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error leaks the Redis password: %q", msg)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.File != path {
				t.Errorf("error is not a *config.Error naming %s: %#v", path, err)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	path := writeConfig(t, "plans: [plans/p.txt]\nanswers:\n  closing_soon_days: -1\nreminders:\n  send_from: \"8\"\n")
	_, err := Load(path)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"answers.closing_soon_days", "reminders.send_from"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %s", err, w)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("err = %v", err)
	}
}

func TestValidateBuilt(t *testing.T) {
	c := Defaults()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "plans") {
		t.Errorf("Defaults without plans: err = %v", err)
	}
	c.Plans = []string{"../seeds/changzhi-2023-plan.txt"}
	if err := c.Validate(); err != nil {
		t.Errorf("Defaults with the seed plan: %v", err)
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]time.Duration{"00:00": 0, "08:30": 8*time.Hour + 30*time.Minute, "23:59": 23*time.Hour + 59*time.Minute} {
		if got, err := ParseClock(in); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "8:00", "24:00", "12:60", "ab:cd", "12:00:00", "-1:00", "+1:00"} {
		if _, err := ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) accepted", in)
		}
	}
}

func TestLoadAliases(t *testing.T) {
	path := writeConfig(t, `plans: [plans/p.txt]
reminders:
  recipients:
    计量科: &heads
      users: [zhangsan]
    消保科: *heads
    沁县:
      <<: *heads
      tags: [3]
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Reminders.Recipients
	if len(r["消保科"].Users) != 1 || r["沁县"].Users[0] != "zhangsan" || r["沁县"].Tags[0] != 3 {
		t.Errorf("recipients = %+v", r)
	}
}
