package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // a bare machine without /usr/share/zoneinfo still knows Asia/Shanghai

	"github.com/changzhi-amr/choucha/department"
	"gopkg.in/yaml.v3"
)

// DefaultTimezone is the zone used when timezone is not set.
const DefaultTimezone = "Asia/Shanghai"

// DefaultCountyBureaus are 长治市's districts and counties: what "各地/各县区局"
// in the plan means.
var DefaultCountyBureaus = department.DefaultCounties

// movedKeys are keys of earlier versions and where they live now.
var movedKeys = map[string]string{"reminders.county_bureaus": "departments.county_bureaus"}

// defaultDepartments are 长治市市场监督管理局's sections and county bureaus.
func defaultDepartments() Departments {
	d := Departments{SectionAliases: map[string]string{}, CountyBureaus: append([]string(nil), DefaultCountyBureaus...)}
	for _, s := range department.DefaultSections {
		d.Sections = append(d.Sections, s.Name)
		for _, a := range s.Aliases {
			d.SectionAliases[a] = s.Name
		}
	}
	return d
}

// Vocabulary builds the unit vocabulary the departments describe.
func (d Departments) Vocabulary() (*department.Vocabulary, error) {
	aliases := map[string][]string{}
	for alias, name := range d.SectionAliases {
		aliases[name] = append(aliases[name], alias)
	}
	sections := make([]department.Section, len(d.Sections))
	for i, name := range d.Sections {
		a := aliases[name]
		sort.Strings(a)
		sections[i] = department.Section{Name: name, Aliases: a}
	}
	return department.New(sections, d.CountyBureaus)
}

// Defaults returns a config with every default filled in and no plans. Its
// Location is Asia/Shanghai and its Dir is empty.
func Defaults() *Config {
	loc, err := time.LoadLocation(DefaultTimezone)
	if err != nil { // cannot happen: tzdata is embedded
		loc = time.FixedZone("CST", 8*3600)
	}
	return &Config{
		Timezone: DefaultTimezone,
		Redis: Redis{
			Dir:            "data/redis",
			Prefix:         "choucha:",
			UnhealthyAfter: 30 * time.Second,
		},
		Answers: Answers{ClosingSoonDays: 30},
		HTTP: HTTP{
			Addr:         ":8080",
			CallbackPath: "/wecom/callback",
		},
		WeCom: WeCom{
			MaxTimestampSkew: 10 * time.Minute,
			UserCacheTTL:     time.Hour,
			DedupeTTL:        24 * time.Hour,
			Departments:      map[int]string{},
			SpoolDir:         "data/spool",
			SpoolMaxMB:       256,
			SpoolBusyAfter:   5 * time.Second,
		},
		Outbox: Outbox{
			Workers:        4,
			MaxAttempts:    8,
			InitialBackoff: time.Second,
			MaxBackoff:     5 * time.Minute,
			PerUserPerMin:  25,
			CorpPerMin:     9000,
		},
		Reminders: Reminders{
			Enabled:         true,
			Spec:            "0 9 * * *",
			SendFrom:        "08:00",
			SendTo:          "20:00",
			OpenBeforeDays:  []int{7},
			CloseBeforeDays: []int{30, 7, 1},
			CatchUpDays:     3,
			Recipients:      map[string]Recipient{},

			PublishBeforeWorkdays: 3,
			InspectBeforeWorkdays: 5,
		},
		Departments: defaultDepartments(),
		Directories: Directories{MaxFileMB: 30},
		Draw: Draw{
			RiskMultipliers:     map[string]float64{"A": 1, "B": 1.5, "C": 2, "D": 3},
			UnclassifiedAs:      "B",
			InspectorsPerEntity: 2,
			ConfirmTimeout:      10 * time.Minute,
		},
		Findings:        Findings{MediaDir: "data/media", MaxPhotoMB: 10, PublishWorkdays: 20, EditDays: 7, DialogTTL: 2 * time.Hour},
		Dialogs:         Dialogs{TTL: 30 * time.Minute, DraftDays: 7},
		DepartmentHeads: map[string]string{},
		Admins:          []string{},
		Location:        loc,
	}
}

// Load reads, defaults and validates the config file at path. Keys absent
// from the file keep their defaults; unknown keys are errors. Relative plan
// paths are resolved against the file's directory. Every problem found is
// reported, each naming the file, the line where known, and the key path:
//
//	config.yaml:42: reminders.send_from: "25:00" is not a time of day HH:MM
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return parse(path, filepath.Dir(abs), data)
}

// parse decodes data (the content of file, which lives in dir).
func parse(file, dir string, data []byte) (*Config, error) {
	cfg := Defaults()
	cfg.Dir = dir

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, data, err)
	}
	var root *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	if root != nil && !(root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		if root.Kind != yaml.MappingNode {
			return nil, &Error{File: file, Line: root.Line, Msg: "the file must be a YAML mapping of keys (timezone:, plans:, redis:, ...)"}
		}
		// Our own walk names unknown keys by their full path; the decoder's
		// KnownFields check below stays as a backstop.
		if errs := unknownKeys(file, root, reflect.TypeOf(Config{}), nil); len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
			return nil, yamlErrorAt(file, root, err)
		}
	}

	for i, p := range cfg.Plans {
		if p != "" && !filepath.IsAbs(p) {
			cfg.Plans[i] = filepath.Join(dir, p)
		}
	}
	for _, f := range []*string{&cfg.Directories.Entities, &cfg.Directories.Inspectors} {
		if *f != "" && !filepath.IsAbs(*f) {
			*f = filepath.Join(dir, *f)
		}
	}
	for name, r := range cfg.Reminders.Recipients {
		r.Webhook = normalizeWebhook(r.Webhook)
		cfg.Reminders.Recipients[name] = r
	}
	if err := cfg.validate(file, root); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil { // validate already checked it
		return nil, fmt.Errorf("%s: timezone: %w", file, err)
	}
	cfg.Location = loc
	return cfg, nil
}

// Error is one problem in a config file.
type Error struct {
	File string // the config file as given to Load
	Line int    // 1-based line in the file, 0 when unknown
	Key  string // key path such as reminders.send_from or plans[0]; may be empty
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into file:line: message.
func yamlError(file string, data []byte, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		e := &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
		if lines := strings.Split(string(data), "\n"); line >= 1 && line <= len(lines) &&
			strings.Contains(lines[line-1][:len(lines[line-1])-len(strings.TrimLeft(lines[line-1], " \t"))], "\t") {
			e.Msg += " (indent with spaces, not tabs)"
		}
		return e
	}
	return &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// yamlErrorAt turns a decode error into one error per problem, each naming
// the key found at the reported line.
func yamlErrorAt(file string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return yamlError(file, nil, err)
	}
	var errs []error
	for _, s := range te.Errors {
		e := &Error{File: file, Msg: s}
		if m := yamlLineRE.FindStringSubmatch(s); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
			if !strings.Contains(e.Msg, "already defined") {
				e.Key = pathAtLine(root, e.Line)
			}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// pathAtLine finds the key path of the deepest value on line.
func pathAtLine(n *yaml.Node, line int) string {
	var best string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Line == line && path != "" {
			best = path
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], joinKey(path, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(n, "")
	return best
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// unknownKeys reports mapping keys that t has no field for, by full path.
func unknownKeys(file string, n *yaml.Node, t reflect.Type, path []string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var errs []error
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // the decoder reports the type mismatch
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" || v.Kind == yaml.AliasNode {
				continue // merges and aliases: the decoder checks them
			}
			ft, ok := fields[k.Value]
			p := append(append([]string(nil), path...), k.Value)
			if !ok {
				msg := "unknown key (known keys here: " + strings.Join(names, ", ") + ")"
				if moved, ok := movedKeys[strings.Join(p, ".")]; ok {
					msg = "this key moved to " + moved
				}
				errs = append(errs, &Error{File: file, Line: k.Line, Key: strings.Join(p, "."), Msg: msg})
				continue
			}
			errs = append(errs, unknownKeys(file, v, ft, p)...)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := append(append([]string(nil), path...), n.Content[i].Value)
			errs = append(errs, unknownKeys(file, n.Content[i+1], t.Elem(), p)...)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, c := range n.Content {
			p := append([]string(nil), path...)
			if len(p) > 0 {
				p[len(p)-1] = fmt.Sprintf("%s[%d]", p[len(p)-1], i)
			}
			errs = append(errs, unknownKeys(file, c, t.Elem(), p)...)
		}
	}
	return errs
}

// lineOf is the line of the value at key path (segments; sequence indexes
// as "[N]", see idx), or 0 when the file does not set it.
func lineOf(root *yaml.Node, path ...string) int {
	n := root
	if n == nil {
		return 0
	}
	for _, seg := range path {
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return 0
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(seg, "["), "]"))
			if err != nil || i < 0 || i >= len(n.Content) {
				return 0
			}
			n = n.Content[i]
		default:
			return 0
		}
	}
	return n.Line
}
