// Package finding is the result of one spot check (检查结果): what an
// inspector found at a drawn entity, how it was checked, what follows, and
// the co-signature of the other inspector(s) of the check (行政处罚法 第42条:
// at least two officers). Results use the categories of the national
// publicity system (GS52—2017) and are published within N working days of
// the check (default 20). It imports neither Redis, WeCom nor config.
package finding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Check methods (检查方式).
var Methods = []string{"实地检查", "书面检查", "网络监测", "检验检测", "委托专业机构"}

// MaxRemarks is the longest remark, in characters (runes).
const MaxRemarks = 500

// MaxPhotos is the most photos one finding keeps.
const MaxPhotos = 20

// DefaultPublishDays is the working days from the check to publication
// (冀政办发〔2015〕22号, widely applied).
const DefaultPublishDays = 20

// State is where a finding stands in its co-signature.
type State string

const (
	Pending  State = "pending"  // 待会签
	Cosigned State = "cosigned" // 已会签
	Disputed State = "disputed" // 有异议
)

// Label is the Chinese name of the state.
func (s State) Label() string {
	switch s {
	case Pending:
		return "待会签"
	case Cosigned:
		return "已会签"
	case Disputed:
		return "有异议"
	}
	return string(s)
}

// Photo is a picture taken at the check, stored by content hash.
type Photo struct {
	SHA256 string `json:"sha256"` // hex
	Size   int64  `json:"size"`
	Name   string `json:"name,omitempty"` // as sent, if any
	Path   string `json:"path"`           // where the bytes are kept
}

// Content is what the reporter states and may edit.
type Content struct {
	CheckDate time.Time `json:"check_date"` // midnight of the check's civil date
	Methods   []string  `json:"methods"`    // from Methods
	Result    Result    `json:"result"`
	FollowUp  FollowUp  `json:"follow_up"`
	Remarks   string    `json:"remarks,omitempty"`
	Photos    []Photo   `json:"photos,omitempty"`
}

// Cosign is one co-inspector's answer.
type Cosign struct {
	UserID string    `json:"user"`
	Agree  bool      `json:"agree"`
	Reason string    `json:"reason,omitempty"` // the dispute's reason
	At     time.Time `json:"at"`
}

// Revision is an earlier version of a finding, kept when it is edited.
type Revision struct {
	Version int64 `json:"version"`
	Content
	State      State     `json:"state"`
	Cosigns    []Cosign  `json:"cosigns,omitempty"`
	ReportedAt time.Time `json:"reported_at"` // when this version was submitted
	ReplacedAt time.Time `json:"replaced_at"`
}

// Finding is the result of checking one drawn entity under one plan item.
// There is one per (year, item, entity): ID says which.
type Finding struct {
	ID           string   `json:"id"`
	Year         int      `json:"year"`
	ItemID       string   `json:"item"`
	DrawID       string   `json:"draw"`
	CreditCode   string   `json:"credit_code"`
	EntityName   string   `json:"entity_name"`
	Reporter     string   `json:"reporter"`      // userid
	CoInspectors []string `json:"co_inspectors"` // userids that co-sign
	Content
	State         State      `json:"state"`
	Cosigns       []Cosign   `json:"cosigns,omitempty"`
	DisputeReason string     `json:"dispute_reason,omitempty"`
	Version       int64      `json:"version"` // set by the store: 1 for the first save
	History       []Revision `json:"history,omitempty"`
	// FirstReportedAt is when the finding was first submitted (the edit
	// window runs from it); ReportedAt when this version was.
	FirstReportedAt time.Time `json:"first_reported_at"`
	ReportedAt      time.Time `json:"reported_at"`
	CosignedAt      time.Time `json:"cosigned_at,omitzero"`
	PublishDeadline time.Time `json:"publish_deadline"`
}

// ID names the finding of an entity under an item of year:
// 2023-8-91140403MAG928PQ9Q.
func ID(year int, item, creditCode string) string {
	return fmt.Sprintf("%d-%s-%s", year, item, strings.ToUpper(creditCode))
}

// Calendar counts working days (workday.Calendar).
type Calendar interface {
	AddWorkdays(t time.Time, n int) time.Time
}

// Deadline is the last day to publish a result checked on checkDate:
// n working days later (DefaultPublishDays when n <= 0).
func Deadline(cal Calendar, checkDate time.Time, n int) time.Time {
	if n <= 0 {
		n = DefaultPublishDays
	}
	return cal.AddWorkdays(checkDate, n)
}

// ValidationError lists what is wrong with a finding, in Chinese.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string { return strings.Join(e.Problems, "；") }

// Validate checks that f is complete and consistent: an entity, a
// reporter, a check date, known methods, a result with its sub-reason, a
// follow-up that fits the result, remarks of at most MaxRemarks characters.
func (f *Finding) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if f.Year < 2000 || f.ItemID == "" {
		add("缺少计划年度或抽查事项")
	}
	if strings.TrimSpace(f.CreditCode) == "" || strings.TrimSpace(f.EntityName) == "" {
		add("缺少检查对象")
	}
	if f.Reporter == "" {
		add("缺少填报人")
	}
	if slices.ContainsFunc(f.CoInspectors, func(u string) bool { return strings.EqualFold(u, f.Reporter) }) {
		add("填报人不能为自己会签")
	}
	p = append(p, f.Content.problems()...)
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func (c *Content) problems() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if c.CheckDate.IsZero() {
		add("缺少检查日期")
	}
	if len(c.Methods) == 0 {
		add("请至少选择一种检查方式")
	}
	for i, m := range c.Methods {
		if !slices.Contains(Methods, m) {
			add("检查方式“%s”不在可选范围（%s）内", m, strings.Join(Methods, "、"))
		}
		if slices.Contains(c.Methods[:i], m) {
			add("检查方式“%s”重复", m)
		}
	}
	if err := c.Result.Validate(); err != nil {
		add("%s", err.Error())
	} else if !slices.Contains(c.Result.FollowUps(), c.FollowUp) {
		add("后续处置“%s”与检查结果“%s”不符（可选：%s）", c.FollowUp.Label(), c.Result.Label(), labels(c.Result.FollowUps()))
	}
	if n := utf8.RuneCountInString(c.Remarks); n > MaxRemarks {
		add("备注最多%d字，现有%d字", MaxRemarks, n)
	}
	if len(c.Photos) > MaxPhotos {
		add("照片最多%d张", MaxPhotos)
	}
	return p
}

func labels(fs []FollowUp) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.Label()
	}
	return strings.Join(s, "、")
}

// Errors of the co-signature and of edits.
var (
	ErrNotCoInspector = errors.New("finding: not a co-inspector of this check")
	ErrAnswered       = errors.New("finding: this co-inspector has answered")
	ErrNotReporter    = errors.New("finding: only the reporter may edit")
	ErrEditClosed     = errors.New("finding: the edit window is over")
)

// Answer returns userid's co-signature, if given.
func (f *Finding) Answer(userid string) (Cosign, bool) {
	for _, c := range f.Cosigns {
		if strings.EqualFold(c.UserID, userid) {
			return c, true
		}
	}
	return Cosign{}, false
}

// IsCoInspector reports whether userid co-signs f.
func (f *Finding) IsCoInspector(userid string) bool {
	return slices.ContainsFunc(f.CoInspectors, func(u string) bool { return strings.EqualFold(u, userid) })
}

// Cosign records userid's agreement (agree) or dispute (with reason). The
// finding is cosigned when every co-inspector agreed, disputed as soon as
// one disputes.
func (f *Finding) Cosign(userid string, agree bool, reason string, at time.Time) error {
	if !f.IsCoInspector(userid) {
		return ErrNotCoInspector
	}
	if _, ok := f.Answer(userid); ok {
		return ErrAnswered
	}
	reason = strings.TrimSpace(reason)
	if !agree && reason == "" {
		return errors.New("finding: a dispute needs a reason")
	}
	f.Cosigns = append(f.Cosigns, Cosign{UserID: userid, Agree: agree, Reason: reason, At: at})
	if !agree {
		f.State, f.DisputeReason = Disputed, reason
		return nil
	}
	if f.State == Disputed {
		return nil
	}
	for _, u := range f.CoInspectors {
		if c, ok := f.Answer(u); !ok || !c.Agree {
			return nil
		}
	}
	f.State, f.CosignedAt = Cosigned, at
	return nil
}

// PendingFor reports whether userid still has to co-sign f.
func (f *Finding) PendingFor(userid string) bool {
	_, answered := f.Answer(userid)
	return f.IsCoInspector(userid) && !answered && f.State == Pending
}

// EditableUntil is the end of the edit window: days after the first report
// (days <= 0: no edits).
func (f *Finding) EditableUntil(days int) time.Time {
	return f.FirstReportedAt.AddDate(0, 0, days)
}

// CanEdit says whether userid may edit f at now, or why not.
func (f *Finding) CanEdit(userid string, now time.Time, days int) error {
	if !strings.EqualFold(userid, f.Reporter) {
		return ErrNotReporter
	}
	if days <= 0 || now.After(f.EditableUntil(days)) {
		return ErrEditClosed
	}
	return nil
}

// Revise replaces f's content with c as of at, keeping the current
// version in History; the co-inspectors must co-sign again, and the
// publication deadline follows the new check date.
func (f *Finding) Revise(c Content, at time.Time, deadline time.Time) {
	f.History = append(f.History, Revision{
		Version: f.Version, Content: f.Content, State: f.State, Cosigns: f.Cosigns,
		ReportedAt: f.ReportedAt, ReplacedAt: at,
	})
	f.Content = c
	f.State, f.Cosigns, f.DisputeReason, f.CosignedAt = Pending, nil, "", time.Time{}
	f.ReportedAt, f.PublishDeadline = at, deadline
}

// ErrConflict is returned by Store.Save when the stored version is not the
// one the finding was read at (someone else saved it meanwhile).
var ErrConflict = errors.New("finding: changed concurrently")

// Store keeps the findings of each plan year.
type Store interface {
	// Save stores f with its indexes in one step if the stored version is
	// f.Version (0: none stored yet), then sets f.Version to the new one;
	// else ErrConflict and nothing is written.
	Save(ctx context.Context, f *Finding) error
	// Get returns the finding of an entity under an item of year, or nil.
	Get(ctx context.Context, year int, item, creditCode string) (*Finding, error)
	// ListByItem returns an item's findings of year, oldest report first.
	ListByItem(ctx context.Context, year int, item string) ([]*Finding, error)
	// ListByUser returns the findings of year userid reported or co-signs,
	// oldest report first.
	ListByUser(ctx context.Context, year int, userid string) ([]*Finding, error)
}
