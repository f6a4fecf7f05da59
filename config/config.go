// Package config loads config.yaml: which plans to load, where Redis is, how
// the bot answers, the WeCom channel's non-secret settings and the reminder
// rules. Secrets (corp secret, token, EncodingAESKey) never live here: they
// come from the environment (see WeComFromEnv).
package config

import (
	"time"

	"github.com/changzhi-amr/choucha/reply"
)

// Config is the whole config.yaml. Zero values are filled by Defaults.
type Config struct {
	// Timezone is the bot's zone for "本月", reminders and logs.
	Timezone string `yaml:"timezone"` // default Asia/Shanghai
	// Plans are plan files (.txt tab-separated or .xlsx), one per year;
	// relative paths are relative to the config file's directory.
	Plans []string `yaml:"plans"`

	Redis     Redis     `yaml:"redis"`
	Answers   Answers   `yaml:"answers"`
	HTTP      HTTP      `yaml:"http"`
	WeCom     WeCom     `yaml:"wecom"`
	Outbox    Outbox    `yaml:"outbox"`
	Reminders Reminders `yaml:"reminders"`
	// Departments is the bureau's vocabulary of units.
	Departments Departments `yaml:"departments"`
	// Directories are the 名录库 files loaded when none was imported yet.
	Directories Directories `yaml:"directories"`
	// Draw tunes the random draws.
	Draw Draw `yaml:"draw"`
	// Findings tunes the check results inspectors report.
	Findings Findings `yaml:"findings"`
	// Dialogs tunes the guided conversations (填报, 会签, ...).
	Dialogs Dialogs `yaml:"dialogs"`
	// DepartmentHeads maps a WeCom userid to the section or county bureau
	// the user heads (科室/县区局负责人); the address book's leader flag
	// makes heads too.
	DepartmentHeads map[string]string `yaml:"department_heads"`
	// Admins are WeCom userids allowed to run admin commands.
	Admins []string `yaml:"admins"`

	// Dir is the directory of the loaded config file (not in YAML).
	Dir string `yaml:"-"`
	// Location is Timezone loaded (not in YAML).
	Location *time.Location `yaml:"-"`
}

// Redis says where state lives.
type Redis struct {
	// URL of an existing server, Sentinel deployment or Cluster (see
	// ParseRedisURL). Empty: the bot starts
	// and manages its own redis-server with append-only persistence in Dir.
	URL string `yaml:"url"`
	// Dir is the managed server's data directory, relative to the config
	// file's directory (store.Open gets Config.Dir as its baseDir).
	Dir string `yaml:"dir"` // default data/redis
	// Prefix of every key the bot writes. Default "choucha:".
	Prefix string `yaml:"prefix"`
	// UnhealthyAfter: the managed redis-server is restarted when it dies;
	// down longer than this (restarts failing), /healthz answers 503.
	// Default 30s. Unused with URL.
	UnhealthyAfter time.Duration `yaml:"unhealthy_after"`
}

// Answers tunes the question answering.
type Answers struct {
	// ClosingSoonDays: "快到期的" lists windows closing within this many days.
	ClosingSoonDays int `yaml:"closing_soon_days"` // default 30
}

// HTTP is the serve command's listener.
type HTTP struct {
	Addr         string `yaml:"addr"`          // default :8080
	CallbackPath string `yaml:"callback_path"` // default /wecom/callback
}

// WeCom holds the channel's non-secret settings.
type WeCom struct {
	// MaxTimestampSkew: callbacks older or newer than this are rejected.
	MaxTimestampSkew time.Duration `yaml:"max_timestamp_skew"` // default 10m
	// UserCacheTTL: how long address-book answers (user/get) are cached.
	UserCacheTTL time.Duration `yaml:"user_cache_ttl"` // default 1h
	// DedupeTTL: how long a MsgId / event key is remembered.
	DedupeTTL time.Duration `yaml:"dedupe_ttl"` // default 24h
	// Departments maps WeCom department ids to the plan's department or
	// section names, e.g. 12: 计量科, so "我科室的任务" works.
	Departments map[int]string `yaml:"departments"`
	// SpoolDir keeps verified callbacks while Redis is unavailable
	// (relative to the config file's directory); empty: no spool.
	SpoolDir string `yaml:"spool_dir"` // default data/spool
	// SpoolMaxMB bounds the spool's files; beyond it callbacks get 503.
	SpoolMaxMB int `yaml:"spool_max_mb"` // default 256
	// SpoolBusyAfter: a message spooled this long into an outage gets the
	// passive reply 系统繁忙，稍后为您答复 (once per user per outage); 0: never.
	SpoolBusyAfter time.Duration `yaml:"spool_busy_after"` // default 5s
}

// Outbox tunes outgoing delivery.
type Outbox struct {
	Workers        int           `yaml:"workers"`          // default 4
	MaxAttempts    int           `yaml:"max_attempts"`     // default 8, then dead letter
	InitialBackoff time.Duration `yaml:"initial_backoff"`  // default 1s
	MaxBackoff     time.Duration `yaml:"max_backoff"`      // default 5m
	PerUserPerMin  int           `yaml:"per_user_per_min"` // default 25 (WeCom drops above 30)
	CorpPerMin     int           `yaml:"corp_per_min"`     // default 9000 (WeCom: 10,000 calls/min)
}

// Reminders configures the reminder calendar (see package reminder).
type Reminders struct {
	Enabled bool   `yaml:"enabled"`  // default true
	Spec    string `yaml:"schedule"` // cron spec, default "0 9 * * *"
	// QuietStart/QuietEnd bound the hours in which reminders may be sent.
	SendFrom string `yaml:"send_from"` // default "08:00"
	SendTo   string `yaml:"send_to"`   // default "20:00"
	// Offsets in days.
	OpenBeforeDays  []int `yaml:"open_before_days"`  // default [7]
	CloseBeforeDays []int `yaml:"close_before_days"` // default [30, 7, 1]
	// CatchUpDays: reminders missed while down at most this long are sent late.
	CatchUpDays int `yaml:"catch_up_days"` // default 3
	// PublishBeforeWorkdays: the initiating department is reminded this
	// many working days before a finding's publication deadline.
	PublishBeforeWorkdays int `yaml:"publish_before_workdays"` // default 3
	// InspectBeforeWorkdays: inspectors with unreported assignments are
	// reminded this many working days before the item's window closes.
	InspectBeforeWorkdays int `yaml:"inspect_before_workdays"` // default 5
	// Recipients maps a plan department or section name (计量科, 市市场监督管理局,
	// 潞州区, ...) to WeCom recipients.
	Recipients map[string]Recipient `yaml:"recipients"`
}

// Departments lists the bureau's units (see package department): the city
// bureau's sections and its county/district bureaus, one source for the
// plan, the questions, the reminders and the directories.
type Departments struct {
	// Sections are the city bureau's sections (科室).
	Sections []string `yaml:"sections"`
	// SectionAliases maps another name people use to a section, e.g. 特设科: 特种设备安全监察科.
	SectionAliases map[string]string `yaml:"section_aliases"`
	// CountyBureaus are the county and district bureaus: what "各地/各县区局"
	// in the plan means, and the 所属区县 of the directories.
	CountyBureaus []string `yaml:"county_bureaus"`
}

// Directories are the 检查对象名录 and 执法检查人员名录 files (CSV in UTF-8 or
// GBK, or .xlsx) the bot imports at start when Redis has no snapshot yet;
// admins replace them with `choucha import` or by sending a file.
type Directories struct {
	Entities   string `yaml:"entities"`    // default none (config.yaml names the seeds)
	Inspectors string `yaml:"inspectors"`  // default none
	MaxFileMB  int    `yaml:"max_file_mb"` // largest import, default 30
}

// Draw tunes the random draws (see package draw).
type Draw struct {
	// RiskMultipliers: each credit-risk class draws the plan's ratio times
	// its multiplier (A, B, C, D; non-decreasing, A at least 1).
	RiskMultipliers map[string]float64 `yaml:"risk_multipliers"`
	// UnclassifiedAs is the class unclassified entities are drawn in.
	UnclassifiedAs string `yaml:"unclassified_as"` // default B
	// InspectorsPerEntity: distinct inspectors per drawn entity (at least 2).
	InspectorsPerEntity int `yaml:"inspectors_per_entity"`
	// ConfirmTimeout: a draw's preview waits this long for 确认.
	ConfirmTimeout time.Duration `yaml:"confirm_timeout"` // default 10m
}

// Findings tunes the check results (see package finding).
type Findings struct {
	// MediaDir keeps the photos, named by SHA-256 (relative to the config
	// file's directory unless absolute).
	MediaDir string `yaml:"media_dir"` // default data/media
	// MaxPhotoMB: larger photos are refused.
	MaxPhotoMB int `yaml:"max_photo_mb"` // default 10
	// PublishWorkdays: results are published within this many working
	// days of the check.
	PublishWorkdays int `yaml:"publish_workdays"` // default 20
	// EditDays: a reporter may edit a result this many days after
	// submitting it.
	EditDays int `yaml:"edit_days"` // default 7
	// DialogTTL: how long the 填报 dialog waits for the next answer.
	DialogTTL time.Duration `yaml:"dialog_ttl"` // default 2h
}

// Dialogs tunes the guided conversations (see package dialog).
type Dialogs struct {
	// TTL: how long a dialog waits for the next answer, unless its flow
	// has its own (findings.dialog_ttl, draw.confirm_timeout).
	TTL time.Duration `yaml:"ttl"` // default 30m
	// DraftDays: a dialog left longer than its TTL is kept this many days
	// as a draft, for 继续 and 草稿; 0: not kept. A draw confirmation is
	// never kept.
	DraftDays int `yaml:"draft_days"` // default 7
}

// Recipient is where a department's messages go (reply.Recipient as
// written in config.yaml).
type Recipient struct {
	Users       []string `yaml:"users"`       // WeCom userids
	Departments []int    `yaml:"departments"` // WeCom department ids
	Tags        []int    `yaml:"tags"`        // WeCom tag ids
	Webhook     string   `yaml:"webhook"`     // group robot webhook key
}

// Recipient converts the configured recipient to the outgoing message's.
func (r Recipient) Recipient() reply.Recipient {
	return reply.Recipient{Users: r.Users, Departments: r.Departments, Tags: r.Tags, Webhook: r.Webhook}
}
