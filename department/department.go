// Package department is the bureau's one vocabulary of organisational units:
// the city bureau (市市场监督管理局), its sections (计量科, 消保科, ...) and its
// county and district bureaus (潞州区, ...), with the ways people write each.
// The plan importer, the question parser, the reminders, the directories and
// the commands all resolve names through one Vocabulary built from config
// (departments.sections, departments.county_bureaus). It imports neither
// Redis, WeCom nor config loading.
package department

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/width"
)

// Canonical names of the two bureau-level units the plan names.
const (
	City        = "市市场监督管理局" // the city bureau (市市场监管局, 市局, 长治市市场监督管理局)
	AllCounties = "各县区局"     // every county/district bureau (各地, 县区局, 各县、区市场监管局)
)

// Kind is what sort of unit a name denotes.
type Kind int

const (
	KindCity        Kind = iota + 1 // the city bureau itself
	KindSection                     // a section of the city bureau
	KindCounty                      // one county or district bureau
	KindAllCounties                 // every county and district bureau
)

// Unit is a resolved unit: its canonical name and kind.
type Unit struct {
	Name string
	Kind Kind
}

// IsCityLevel reports whether the unit belongs to the city bureau (the
// bureau itself or one of its sections).
func (u Unit) IsCityLevel() bool { return u.Kind == KindCity || u.Kind == KindSection }

// Section is a section of the city bureau and the other names it goes by.
type Section struct {
	Name    string
	Aliases []string
}

// DefaultSections are 长治市市场监督管理局's sections that lead or carry out
// the 2023 plan's items, with the short forms people use.
var DefaultSections = []Section{
	{Name: "计量科"},
	{Name: "消保科", Aliases: []string{"消费者权益保护科", "消费者保护科", "消保"}},
	{Name: "特种设备安全监察科", Aliases: []string{"特种设备监察科", "特种设备安全科", "特种设备科", "特设科", "特设"}},
	{Name: "食品生产安全监督管理科", Aliases: []string{"食品生产科"}},
	{Name: "认证认可与检验检测监督管理科", Aliases: []string{"认证科"}},
	{Name: "广告监督管理科", Aliases: []string{"广告科"}},
	{Name: "产品质量安全监督管理科", Aliases: []string{"质量科"}},
	{Name: "价格监督检查和反不正当竞争科", Aliases: []string{"价监科"}},
}

// DefaultCounties are 长治市's districts and counties.
var DefaultCounties = []string{"潞州区", "上党区", "屯留区", "潞城区", "襄垣县", "平顺县", "黎城县", "壶关县", "长子县", "武乡县", "沁县", "沁源县"}

// cityWords and allCountyWords are the folded whole-name forms of the two
// bureau-level units.
var (
	cityWords      = []string{"市市场监督管理局", "市市场监管局", "市局", "市本级", "市级", "市监局"}
	allCountyWords = []string{"各县区局", "各县、区市场监管局", "各县区市场监管局", "各县区市场监督管理局", "县区市场监管局", "县区局", "各地", "各地局", "县局", "区局", "各县", "县区", "区县", "各区县", "基层"}
	// bureauSuffixes are stripped from a county name: 潞州区局, 潞州区市场监督管理局.
	bureauSuffixes = []string{"市场监督管理局", "市场监管局", "市监局", "分局", "局"}
)

// Vocabulary resolves unit names. It is immutable after New and safe for
// concurrent use.
type Vocabulary struct {
	sections []string
	counties []string
	exact    map[string]Unit // folded whole name -> unit
	words    []word          // for Find: longest first
}

type word struct {
	text string
	unit Unit
}

// New builds a vocabulary from the configured sections and county bureaus.
// Names must be non-empty and unique across both lists.
func New(sections []Section, counties []string) (*Vocabulary, error) {
	v := &Vocabulary{exact: map[string]Unit{}}
	add := func(text string, u Unit) error {
		k := Fold(text)
		if k == "" {
			return fmt.Errorf("department: empty name")
		}
		if old, dup := v.exact[k]; dup && old != u {
			return fmt.Errorf("department: %q names both %s and %s", text, old.Name, u.Name)
		}
		v.exact[k] = u
		v.words = append(v.words, word{k, u})
		return nil
	}
	for _, w := range cityWords {
		_ = add(w, Unit{City, KindCity})
	}
	for _, w := range allCountyWords {
		_ = add(w, Unit{AllCounties, KindAllCounties})
	}
	for _, s := range sections {
		name := strings.TrimSpace(s.Name)
		u := Unit{name, KindSection}
		if err := add(name, u); err != nil {
			return nil, err
		}
		for _, a := range s.Aliases {
			if err := add(a, u); err != nil {
				return nil, err
			}
		}
		v.sections = append(v.sections, name)
	}
	for _, c := range counties {
		name := strings.TrimSpace(c)
		u := Unit{name, KindCounty}
		if err := add(name, u); err != nil {
			return nil, err
		}
		for _, suf := range bureauSuffixes {
			if err := add(name+suf, u); err != nil {
				return nil, err
			}
		}
		v.counties = append(v.counties, name)
	}
	sort.SliceStable(v.words, func(i, j int) bool { return len(v.words[i].text) > len(v.words[j].text) })
	return v, nil
}

// Default is the vocabulary of 长治市市场监督管理局 (the defaults of config).
func Default() *Vocabulary {
	v, err := New(DefaultSections, DefaultCounties)
	if err != nil {
		panic(err) // the defaults are constants
	}
	return v
}

// Sections are the canonical section names, in configured order.
func (v *Vocabulary) Sections() []string { return append([]string(nil), v.sections...) }

// SectionList is the sections with their aliases, as configured.
func (v *Vocabulary) SectionList() []Section {
	aliases := map[string][]string{}
	for _, w := range v.words {
		if w.unit.Kind == KindSection && w.text != Fold(w.unit.Name) {
			aliases[w.unit.Name] = append(aliases[w.unit.Name], w.text)
		}
	}
	out := make([]Section, len(v.sections))
	for i, s := range v.sections {
		a := aliases[s]
		sort.Strings(a)
		out[i] = Section{Name: s, Aliases: a}
	}
	return out
}

// Counties are the canonical county and district bureau names, in configured order.
func (v *Vocabulary) Counties() []string { return append([]string(nil), v.counties...) }

// IsCounty reports whether name is a canonical county/district name.
func (v *Vocabulary) IsCounty(name string) bool {
	u, ok := v.exact[Fold(name)]
	return ok && u.Kind == KindCounty && u.Name == name
}

// Resolve maps a whole name as people write it (计量科, 特设科, 潞州区局,
// 潞州区市场监督管理局, 市局, 长治市市场监督管理局, 各地) to its unit.
func (v *Vocabulary) Resolve(name string) (Unit, bool) {
	k := Fold(name)
	if u, ok := v.exact[k]; ok {
		return u, true
	}
	return Bureau(name) // 长治市市场监督管理局, 各县、区市场监管局, ...
}

// Find returns the unit whose name or alias occurs in text, preferring the
// longest; ok is false when none does.
func (v *Vocabulary) Find(text string) (Unit, bool) {
	k := Fold(text)
	for _, w := range v.words {
		if strings.Contains(k, w.text) {
			return w.unit, true
		}
	}
	return Unit{}, false
}

// Word is one way of writing a unit, in Fold form.
type Word struct {
	Text string
	Unit Unit
}

// Words lists every name and alias the vocabulary knows, longest first (so
// a scanner that takes them in order consumes 潞州区局 before 区局).
func (v *Vocabulary) Words() []Word {
	out := make([]Word, len(v.words))
	for i, w := range v.words {
		out[i] = Word{Text: w.text, Unit: w.unit}
	}
	return out
}

// Members expands a unit to the concrete units it stands for: AllCounties to
// every county bureau, anything else to itself.
func (v *Vocabulary) Members(u Unit) []Unit {
	if u.Kind != KindAllCounties {
		return []Unit{u}
	}
	out := make([]Unit, len(v.counties))
	for i, c := range v.counties {
		out[i] = Unit{c, KindCounty}
	}
	return out
}

var foldPunct = strings.NewReplacer(" ", "", "\t", "", "\u3000", "", "·", "", "(", "", ")", "")

// Fold is the form names are compared in: full-width folded to half-width,
// spaces and brackets removed.
func Fold(s string) string {
	return foldPunct.Replace(width.Fold.String(strings.TrimSpace(s)))
}

var bureauPunct = strings.NewReplacer("、", "", "(", "", ")", "", "·", "")

// Bureau recognises the names of the two bureau-level units, whatever the
// configured sections and counties: the city bureau (市市场监管局, 市局,
// 长治市市场监督管理局) and every county bureau together (各地, 各县区局,
// 各县、区市场监管局). It is how the plan's 发起部门 column is read.
func Bureau(name string) (Unit, bool) {
	n := bureauPunct.Replace(width.Fold.String(strings.TrimSpace(name)))
	switch n {
	case "各地", "各地局", "各地市场监管局", "各地市场监督管理局":
		return Unit{AllCounties, KindAllCounties}, true
	case "市局", "市本级":
		return Unit{City, KindCity}, true
	}
	core := n
	for _, suf := range []string{"市场监督管理局", "市场监管局", "局"} {
		if strings.HasSuffix(core, suf) {
			core = strings.TrimSuffix(core, suf)
			break
		}
	}
	switch strings.TrimPrefix(core, "各") {
	case "县区", "区县", "县市区", "县市", "县", "区":
		if core != n || strings.HasPrefix(core, "各") {
			return Unit{AllCounties, KindAllCounties}, true
		}
	}
	if core != n && strings.HasSuffix(core, "市") && !strings.ContainsAny(core, "县区各") {
		return Unit{City, KindCity}, true // 市市场监管局, 长治市市场监督管理局
	}
	return Unit{}, false
}
