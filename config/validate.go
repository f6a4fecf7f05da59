package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// Validate checks every value of an already loaded or built config and
// reports all problems found. Plan paths are checked as they are (Load has
// already made them absolute).
func (c *Config) Validate() error {
	return c.validate("config", nil)
}

// checker collects problems with their key paths and lines.
type checker struct {
	file string
	root *yaml.Node
	errs []error
}

// add records a problem at the key path given as segments.
func (ck *checker) add(path []string, format string, args ...any) {
	ck.errs = append(ck.errs, &Error{
		File: ck.file,
		Line: lineOf(ck.root, path...),
		Key:  renderPath(path),
		Msg:  fmt.Sprintf(format, args...),
	})
}

// renderPath writes segments as a.b[0].c; index segments are "[N]" (see idx).
func renderPath(path []string) string {
	var b strings.Builder
	for i, seg := range path {
		if i > 0 && !strings.HasPrefix(seg, "[") {
			b.WriteString(".")
		}
		b.WriteString(seg)
	}
	return b.String()
}

// idx is the path segment of a sequence index.
func idx(i int) string { return "[" + strconv.Itoa(i) + "]" }

// p builds a path; it exists to keep the calls short.
func p(segs ...string) []string { return segs }

func (c *Config) validate(file string, root *yaml.Node) error {
	ck := &checker{file: file, root: root}

	if strings.TrimSpace(c.Timezone) == "" {
		ck.add(p("timezone"), "must not be empty (for example %s)", DefaultTimezone)
	} else if _, err := time.LoadLocation(c.Timezone); err != nil {
		ck.add(p("timezone"), "%q is not a known time zone (for example %s)", c.Timezone, DefaultTimezone)
	}

	if len(c.Plans) == 0 {
		ck.add(p("plans"), "at least one plan file is needed (for example seeds/changzhi-2023-plan.txt)")
	}
	seen := map[string]int{}
	for i, pl := range c.Plans {
		key := p("plans", idx(i))
		if strings.TrimSpace(pl) == "" {
			ck.add(key, "must not be empty")
			continue
		}
		if j, dup := seen[pl]; dup {
			ck.add(key, "%s is listed twice (also plans[%d])", pl, j)
			continue
		}
		seen[pl] = i
		st, err := os.Stat(pl)
		switch {
		case errors.Is(err, os.ErrNotExist):
			ck.add(key, "plan file %s does not exist", pl)
		case err != nil:
			ck.add(key, "plan file %s: %v", pl, err)
		case !st.Mode().IsRegular():
			ck.add(key, "plan file %s is not a regular file", pl)
		}
	}

	c.validateRedis(ck)
	c.validateDepartments(ck)
	c.validateDraw(ck)

	if c.Answers.ClosingSoonDays <= 0 {
		ck.add(p("answers", "closing_soon_days"), "must be a positive number of days, got %d", c.Answers.ClosingSoonDays)
	}

	c.validateHTTP(ck)

	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"max_timestamp_skew", c.WeCom.MaxTimestampSkew},
		{"user_cache_ttl", c.WeCom.UserCacheTTL},
		{"dedupe_ttl", c.WeCom.DedupeTTL},
	} {
		if d.v <= 0 {
			ck.add(p("wecom", d.key), "must be a positive duration such as 10m or 24h, got %v", d.v)
		}
	}
	if c.WeCom.SpoolMaxMB <= 0 {
		ck.add(p("wecom", "spool_max_mb"), "must be a positive number of megabytes, got %d", c.WeCom.SpoolMaxMB)
	}
	if c.WeCom.SpoolBusyAfter < 0 {
		ck.add(p("wecom", "spool_busy_after"), "must be a duration such as 5s, or 0 for never, got %v", c.WeCom.SpoolBusyAfter)
	}
	for _, id := range sortedInts(c.WeCom.Departments) {
		key := p("wecom", "departments", strconv.Itoa(id))
		if id <= 0 {
			ck.add(key, "WeCom department id must be positive, got %d", id)
		}
		if strings.TrimSpace(c.WeCom.Departments[id]) == "" {
			ck.add(key, "department %d maps to an empty name", id)
		}
	}

	c.validateOutbox(ck)
	c.validateReminders(ck)

	for i, a := range c.Admins {
		if !validUserID(a) {
			ck.add(p("admins", idx(i)), "%q is not a WeCom userid (letters, digits, _ - . @, at most 64)", a)
		}
	}

	return errors.Join(ck.errs...)
}

func (c *Config) validateRedis(ck *checker) {
	if c.Redis.URL != "" {
		if _, err := ParseRedisURL(c.Redis.URL); err != nil {
			ck.add(p("redis", "url"), "%s is not a Redis URL: %v; the forms are %s", RedactURL(c.Redis.URL), err, RedisURLForms)
		}
	} else if strings.TrimSpace(c.Redis.Dir) == "" {
		ck.add(p("redis", "dir"), "must not be empty when redis.url is empty (the bot keeps its own Redis data there)")
	}
	if c.Redis.UnhealthyAfter <= 0 {
		ck.add(p("redis", "unhealthy_after"), "must be a positive duration such as 30s, got %v", c.Redis.UnhealthyAfter)
	}
	if c.Redis.Prefix == "" {
		ck.add(p("redis", "prefix"), "must not be empty (default choucha:)")
	} else if strings.ContainsAny(c.Redis.Prefix, " \t\r\n") {
		ck.add(p("redis", "prefix"), "%q must not contain spaces", c.Redis.Prefix)
	}
	if strings.ContainsAny(c.Redis.Prefix, "{}") {
		ck.add(p("redis", "prefix"), "%q must not contain { or }: the bot's keys carry their own Redis Cluster hash tags", c.Redis.Prefix)
	}
}

func (c *Config) validateHTTP(ck *checker) {
	host, port, err := net.SplitHostPort(c.HTTP.Addr)
	if err != nil {
		ck.add(p("http", "addr"), "%q is not HOST:PORT or :PORT (for example :8080)", c.HTTP.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		ck.add(p("http", "addr"), "%q has no valid port number", c.HTTP.Addr)
	} else if strings.ContainsAny(host, " /") {
		ck.add(p("http", "addr"), "%q has an invalid host", c.HTTP.Addr)
	}
	cp := c.HTTP.CallbackPath
	switch {
	case !strings.HasPrefix(cp, "/"):
		ck.add(p("http", "callback_path"), "%q must start with /", cp)
	case cp == "/" || cp == "/healthz" || cp == "/readyz" || cp == "/metrics":
		ck.add(p("http", "callback_path"), "%q is taken by the bot's own endpoints (/healthz, /readyz, /metrics)", cp)
	case strings.ContainsAny(cp, "?# \t"):
		ck.add(p("http", "callback_path"), "%q must be a plain path without query, fragment or spaces", cp)
	}
}

func (c *Config) validateOutbox(ck *checker) {
	o := c.Outbox
	for _, n := range []struct {
		key string
		v   int
	}{
		{"workers", o.Workers},
		{"max_attempts", o.MaxAttempts},
		{"per_user_per_min", o.PerUserPerMin},
		{"corp_per_min", o.CorpPerMin},
	} {
		if n.v <= 0 {
			ck.add(p("outbox", n.key), "must be a positive number, got %d", n.v)
		}
	}
	if o.PerUserPerMin > 30 {
		ck.add(p("outbox", "per_user_per_min"), "%d is above WeCom's 30 messages a minute to one member (the excess is dropped silently)", o.PerUserPerMin)
	}
	if o.CorpPerMin > 10000 {
		ck.add(p("outbox", "corp_per_min"), "%d is above WeCom's 10000 API calls a minute per corp", o.CorpPerMin)
	}
	if o.InitialBackoff <= 0 {
		ck.add(p("outbox", "initial_backoff"), "must be a positive duration such as 1s, got %v", o.InitialBackoff)
	}
	if o.MaxBackoff <= 0 {
		ck.add(p("outbox", "max_backoff"), "must be a positive duration such as 5m, got %v", o.MaxBackoff)
	} else if o.InitialBackoff > o.MaxBackoff {
		ck.add(p("outbox", "max_backoff"), "%v is shorter than outbox.initial_backoff %v", o.MaxBackoff, o.InitialBackoff)
	}
}

func (c *Config) validateReminders(ck *checker) {
	r := c.Reminders
	if _, err := cron.ParseStandard(r.Spec); err != nil {
		ck.add(p("reminders", "schedule"), "%q is not a cron schedule (minute hour day month weekday, for example \"0 9 * * *\"): %v", r.Spec, err)
	}
	from, errFrom := ParseClock(r.SendFrom)
	if errFrom != nil {
		ck.add(p("reminders", "send_from"), "%q is not a time of day HH:MM", r.SendFrom)
	}
	to, errTo := ParseClock(r.SendTo)
	if errTo != nil {
		ck.add(p("reminders", "send_to"), "%q is not a time of day HH:MM", r.SendTo)
	}
	if errFrom == nil && errTo == nil && from >= to {
		ck.add(p("reminders", "send_to"), "%s must be later than reminders.send_from %s", r.SendTo, r.SendFrom)
	}
	for _, l := range []struct {
		key  string
		days []int
	}{
		{"open_before_days", r.OpenBeforeDays},
		{"close_before_days", r.CloseBeforeDays},
	} {
		seen := map[int]bool{}
		for i, d := range l.days {
			key := p("reminders", l.key, idx(i))
			switch {
			case d < 0:
				ck.add(key, "offset must be 0 or more days, got %d", d)
			case d > 366:
				ck.add(key, "offset %d is more than a year", d)
			case seen[d]:
				ck.add(key, "offset %d is listed twice", d)
			}
			seen[d] = true
		}
	}
	if r.CatchUpDays < 0 {
		ck.add(p("reminders", "catch_up_days"), "must be 0 or more days, got %d", r.CatchUpDays)
	}
	if r.PublishBeforeWorkdays < 1 || r.PublishBeforeWorkdays > 60 {
		ck.add(p("reminders", "publish_before_workdays"), "must be between 1 and 60 working days, got %d", r.PublishBeforeWorkdays)
	}
	if r.InspectBeforeWorkdays < 1 || r.InspectBeforeWorkdays > 60 {
		ck.add(p("reminders", "inspect_before_workdays"), "must be between 1 and 60 working days, got %d", r.InspectBeforeWorkdays)
	}

	names := make([]string, 0, len(r.Recipients))
	for name := range r.Recipients {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rc := r.Recipients[name]
		key := p("reminders", "recipients", name)
		if strings.TrimSpace(name) == "" {
			ck.add(key, "department name must not be empty")
		}
		if len(rc.Users) == 0 && len(rc.Departments) == 0 && len(rc.Tags) == 0 && rc.Webhook == "" {
			ck.add(key, "names no recipient: set users, departments, tags or webhook")
		}
		for i, u := range rc.Users {
			if !validUserID(u) {
				ck.add(append(key, "users", idx(i)), "%q is not a WeCom userid (letters, digits, _ - . @, at most 64)", u)
			}
		}
		for i, d := range rc.Departments {
			if d <= 0 {
				ck.add(append(key, "departments", idx(i)), "WeCom department id must be positive, got %d", d)
			}
		}
		for i, t := range rc.Tags {
			if t <= 0 {
				ck.add(append(key, "tags", idx(i)), "WeCom tag id must be positive, got %d", t)
			}
		}
		if rc.Webhook != "" && !webhookKeyRE.MatchString(rc.Webhook) {
			ck.add(append(key, "webhook"), "is not a group robot webhook key (the key=... part of the robot's URL: letters, digits and -)")
		}
	}

}

func (c *Config) validateDepartments(ck *checker) {
	d := c.Departments
	seen := map[string]string{}
	names := func(field string, list []string) {
		for i, b := range list {
			key := p("departments", field, idx(i))
			switch {
			case strings.TrimSpace(b) == "":
				ck.add(key, "must not be empty")
			case seen[b] != "":
				ck.add(key, "%s is already listed in departments.%s", b, seen[b])
			}
			seen[b] = field
		}
	}
	names("sections", d.Sections)
	names("county_bureaus", d.CountyBureaus)
	if len(d.CountyBureaus) == 0 {
		ck.add(p("departments", "county_bureaus"), "at least one county or district bureau is needed (what 各县区局 in the plan means)")
	}
	aliases := make([]string, 0, len(d.SectionAliases))
	for a := range d.SectionAliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	for _, a := range aliases {
		if name := d.SectionAliases[a]; seen[name] != "sections" {
			ck.add(p("departments", "section_aliases", a), "%q is not one of departments.sections", name)
		}
	}
	if _, err := d.Vocabulary(); err != nil {
		ck.add(p("departments"), "%v", err)
	}
}

// ParseClock parses a time of day "HH:MM" (00:00 to 23:59) into the
// duration since midnight.
func ParseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// SendWindow is the part of each day in which reminders may be sent, as
// durations since midnight: [from, to). It assumes a validated config.
func (r Reminders) SendWindow() (from, to time.Duration) {
	from, _ = ParseClock(r.SendFrom)
	to, _ = ParseClock(r.SendTo)
	return from, to
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

var (
	userIDRE     = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)
	webhookKeyRE = regexp.MustCompile(`^[A-Za-z0-9-]{8,128}$`)
)

func validUserID(s string) bool { return userIDRE.MatchString(s) }

// normalizeWebhook accepts the robot's whole URL as well as its key, and
// keeps only the key.
func normalizeWebhook(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		if u, err := url.Parse(s); err == nil {
			if k := u.Query().Get("key"); k != "" {
				return k
			}
		}
	}
	return s
}

// RedactURL hides the password in a URL (a Redis URL, WECOM_API_BASE), for
// errors and logs.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	// go-redis's Sentinel URLs carry the primary's password as an option.
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func sortedInts(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func (c *Config) validateDraw(ck *checker) {
	for _, f := range []struct{ key, path string }{{"entities", c.Directories.Entities}, {"inspectors", c.Directories.Inspectors}} {
		if f.path == "" {
			continue
		}
		if st, err := os.Stat(f.path); err != nil || !st.Mode().IsRegular() {
			ck.add(p("directories", f.key), "file %s does not exist (leave it empty to import by command only)", f.path)
		}
	}
	if c.Directories.MaxFileMB <= 0 || c.Directories.MaxFileMB > 1024 {
		ck.add(p("directories", "max_file_mb"), "must be between 1 and 1024, got %d", c.Directories.MaxFileMB)
	}
	d := c.Draw
	prev := 0.0
	for _, class := range []string{"A", "B", "C", "D"} {
		m, ok := d.RiskMultipliers[class]
		key := p("draw", "risk_multipliers", class)
		switch {
		case !ok:
			ck.add(key, "is missing (give all of A, B, C, D)")
		case class == "A" && m < 1:
			ck.add(key, "%g is below 1: class A must be drawn at least at the plan's ratio", m)
		case m < prev:
			ck.add(key, "%g is below the class before it (%g): the multipliers must not decrease with risk", m, prev)
		case m > 10:
			ck.add(key, "%g is above 10", m)
		}
		prev = max(prev, m)
	}
	for k := range d.RiskMultipliers {
		if k != "A" && k != "B" && k != "C" && k != "D" {
			ck.add(p("draw", "risk_multipliers", k), "unknown class (A, B, C, D)")
		}
	}
	switch d.UnclassifiedAs {
	case "A", "B", "C", "D":
	default:
		ck.add(p("draw", "unclassified_as"), "%q is not a risk class (A, B, C or D)", d.UnclassifiedAs)
	}
	if d.InspectorsPerEntity < 2 || d.InspectorsPerEntity > 10 {
		ck.add(p("draw", "inspectors_per_entity"), "must be between 2 (行政处罚法 第42条) and 10, got %d", d.InspectorsPerEntity)
	}
	if d.ConfirmTimeout < time.Minute || d.ConfirmTimeout > 24*time.Hour {
		ck.add(p("draw", "confirm_timeout"), "must be between 1m and 24h, got %v", d.ConfirmTimeout)
	}
	if f := c.Findings; f.MediaDir == "" {
		ck.add(p("findings", "media_dir"), "must not be empty")
	} else if f.MaxPhotoMB < 1 || f.MaxPhotoMB > 100 {
		ck.add(p("findings", "max_photo_mb"), "must be between 1 and 100, got %d", f.MaxPhotoMB)
	} else if f.PublishWorkdays < 1 || f.PublishWorkdays > 60 {
		ck.add(p("findings", "publish_workdays"), "must be between 1 and 60, got %d", f.PublishWorkdays)
	} else if f.EditDays < 0 || f.EditDays > 365 {
		ck.add(p("findings", "edit_days"), "must be between 0 and 365, got %d", f.EditDays)
	}
	if t := c.Findings.DialogTTL; t < time.Minute || t > 24*time.Hour {
		ck.add(p("findings", "dialog_ttl"), "must be between 1m and 24h, got %v", t)
	}
	if t := c.Dialogs.TTL; t < time.Minute || t > 24*time.Hour {
		ck.add(p("dialogs", "ttl"), "must be between 1m and 24h, got %v", t)
	}
	if n := c.Dialogs.DraftDays; n < 0 || n > 90 {
		ck.add(p("dialogs", "draft_days"), "must be between 0 (no drafts) and 90, got %d", n)
	}
	if v, err := c.Departments.Vocabulary(); err == nil {
		users := make([]string, 0, len(c.DepartmentHeads))
		for u := range c.DepartmentHeads {
			users = append(users, u)
		}
		sort.Strings(users)
		for _, u := range users {
			if _, ok := v.Resolve(c.DepartmentHeads[u]); !ok {
				ck.add(p("department_heads", u), "%q is not a section or county bureau of departments.*", c.DepartmentHeads[u])
			}
		}
	}
}
