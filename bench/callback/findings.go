package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/changzhi-amr/choucha/bot/wecom"
	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/directory"
	"github.com/changzhi-amr/choucha/draw"
	"github.com/changzhi-amr/choucha/finding"
	"github.com/changzhi-amr/choucha/handlers"
	"github.com/changzhi-amr/choucha/plan"
	"github.com/changzhi-amr/choucha/reply"
	"github.com/changzhi-amr/choucha/store"
	"github.com/changzhi-amr/choucha/workday"
	"github.com/redis/go-redis/v9"
)

// findingTask is one finding the morning reports: an entity of a
// confirmed draw, by its first inspector, co-signed by the others.
type findingTask struct {
	item, code, reporter string
	co                   []string
}

// morningFindings is what the findings dialog needs in the morning: the
// seed directories imported, every plan item of the morning's year drawn
// and saved as a confirmed draw (as 确认抽取 saves it, without telling the
// inspectors), and the tasks picked from those draws, spread over as many
// reporters as there are.
type morningFindings struct {
	store     *store.Findings
	tasks     []findingTask
	inspector []string // every userid of the inspector directory
	year      int
	draw      *handlers.DrawDeps
	find      *handlers.FindingDeps
}

// setupFindings imports the seed directories, draws the items and picks n
// tasks. sender sends what the handlers send on their own (co-sign requests).
func setupFindings(ctx context.Context, rdb redis.UniversalClient, prefix string, cat *plan.Catalog, at time.Time, n int,
	sender reply.Sender, photoDir string) (*morningFindings, error) {
	cfg := config.Defaults()
	units, err := cfg.Departments.Vocabulary()
	if err != nil {
		return nil, err
	}
	p := cat.Current(at)
	if p == nil {
		return nil, errors.New("no plan for the morning's year")
	}
	seedFile, err := seedPlan()
	if err != nil {
		return nil, err
	}
	dirs := store.NewDirectories(rdb, prefix)
	opts := directory.Options{Units: units, MaxBytes: int64(cfg.Directories.MaxFileMB) << 20,
		KnownItem: func(id string) bool { _, ok := p.Item(id); return ok }}
	for _, kind := range []string{directory.KindEntities, directory.KindInspectors} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(seedFile), kind+".csv"))
		if err != nil {
			return nil, err
		}
		if _, err := directory.Load(ctx, dirs, kind, kind+".csv", data, opts, "bench", at); err != nil {
			return nil, fmt.Errorf("import %s: %w", kind, err)
		}
	}
	ents, err := dirs.Entities(ctx)
	if err != nil {
		return nil, err
	}
	ins, err := dirs.Inspectors(ctx)
	if err != nil {
		return nil, err
	}
	params := draw.DefaultParams()
	for i, c := range []string{"A", "B", "C", "D"} {
		params.Multipliers[i] = int(cfg.Draw.RiskMultipliers[c]*100 + 0.5)
	}
	params.UnclassifiedAs = directory.RiskClass(cfg.Draw.UnclassifiedAs)
	params.InspectorsPerEntity = cfg.Draw.InspectorsPerEntity
	params.Counties = units.Counties()
	params.Sections = units.SectionList()
	draws := store.NewDraws(rdb, prefix)
	byReporter := map[string][]findingTask{}
	var drawn int
	for _, it := range p.Items() {
		in := draw.Input{Item: it, Entities: ents, Inspectors: ins, Params: params}
		seed, err := draw.NewSeed()
		if err != nil {
			return nil, err
		}
		res, err := draw.Draw(in, seed)
		if err != nil {
			continue // an item the seed directories cannot draw (no pool, no candidates)
		}
		rec := draw.NewRecord(draw.NewID(p.Year, it.ID, at, "be"), "bench", at, p.Year, in, seed, res)
		if err := draws.Commit(ctx, rec); err != nil {
			return nil, fmt.Errorf("draw %s: %w", it.ID, err)
		}
		drawn++
		for _, g := range res.Groups {
			for _, d := range g.Entities {
				if len(d.Inspectors) == 0 {
					continue
				}
				byReporter[d.Inspectors[0]] = append(byReporter[d.Inspectors[0]], findingTask{item: it.ID, code: d.CreditCode, reporter: d.Inspectors[0], co: d.Inspectors[1:]})
			}
		}
	}
	reporters := make([]string, 0, len(byReporter))
	for r := range byReporter {
		reporters = append(reporters, r)
	}
	sort.Strings(reporters)
	m := &morningFindings{store: store.NewFindings(rdb, prefix), year: p.Year}
	// Round robin: every reporter's first task, then every second one...
	seen := map[string]bool{}
	for k := 0; len(m.tasks) < n; k++ {
		added := false
		for _, r := range reporters {
			if k < len(byReporter[r]) && len(m.tasks) < n {
				t := byReporter[r][k]
				if seen[t.item+"|"+t.code] {
					continue
				}
				seen[t.item+"|"+t.code] = true
				m.tasks = append(m.tasks, t)
				added = true
			}
		}
		if !added {
			return nil, fmt.Errorf("the draws of %d items give %d findings to report, want %d", drawn, len(m.tasks), n)
		}
	}
	for _, x := range ins.List {
		m.inspector = append(m.inspector, x.UserID)
	}
	m.draw = &handlers.DrawDeps{Directories: dirs, Draws: draws, Audit: store.NewAudit(rdb, prefix), Sender: sender,
		Params: params, ConfirmTTL: cfg.Draw.ConfirmTimeout, Heads: cfg.DepartmentHeads, MaxFileBytes: opts.MaxBytes}
	m.find = &handlers.FindingDeps{Findings: m.store, Calendar: workday.New(at.Location()), PublishDays: cfg.Findings.PublishWorkdays,
		EditDays: cfg.Findings.EditDays, DialogTTL: cfg.Findings.DialogTTL,
		Photos: finding.PhotoDir{Dir: photoDir, MaxBytes: int64(cfg.Findings.MaxPhotoMB) << 20}}
	fmt.Printf("  findings: seed directories imported (%d entities, %d inspectors); %d items drawn; %d findings by %d reporters\n",
		len(ents.List), len(ins.List), drawn, len(m.tasks), m.reporters())
	return m, nil
}

// reporters is how many inspectors report.
func (m *morningFindings) reporters() int {
	r := map[string]bool{}
	for _, t := range m.tasks {
		r[t.reporter] = true
	}
	return len(r)
}

// dialogAnswers are the router's answers to the findings dialog's
// messages, by message id, for the driver's next step.
type dialogAnswers struct {
	mu   sync.Mutex
	text map[string]string
	opts map[string][]string // the option keys of the answer's card
	wait map[string]chan struct{}
}

func newDialogAnswers() *dialogAnswers {
	return &dialogAnswers{text: map[string]string{}, opts: map[string][]string{}, wait: map[string]chan struct{}{}}
}

// expect registers msgID before it is posted.
func (d *dialogAnswers) expect(msgID string) chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := make(chan struct{})
	d.wait[msgID] = c
	return c
}

// answered records the router's answer to msgID, if the driver waits for it.
func (d *dialogAnswers) answered(msgID string, r reply.Reply) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.wait[msgID]
	if !ok {
		return
	}
	var b strings.Builder
	for _, x := range r.Flatten() {
		b.WriteString(x.Text)
		if x.Card != nil {
			fmt.Fprintf(&b, "%+v", *x.Card)
			for _, o := range x.Card.Options {
				d.opts[msgID] = append(d.opts[msgID], o.Key)
			}
		}
		b.WriteString("\n")
	}
	d.text[msgID] = b.String()
	delete(d.wait, msgID)
	close(c)
}

func (d *dialogAnswers) get(msgID string) (string, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.text[msgID], d.opts[msgID]
}

// findingStep is the inspector's next message after the router's answer
// (its text and its card's option keys): the typed answer each step
// accepts (a number picks a card's option), done once the finding is
// submitted. The entity is picked by its number when the card lists it
// (its key is item|code), else typed as its credit code (which lists the
// items it is drawn in when it is drawn in several).
func findingStep(answer string, opts []string, t findingTask) (next string, done bool, err error) {
	switch {
	case strings.Contains(answer, "已提交"):
		return "", true, nil
	case strings.Contains(answer, "确认提交吗"):
		return "确认", false, nil
	case strings.Contains(answer, "现场照片"):
		return "完成", false, nil
	case strings.Contains(answer, "当前渠道不能接收照片"): // the bench fetches no media
		return "跳过", false, nil
	case strings.Contains(answer, "备注（选填"):
		return "跳过", false, nil
	case strings.Contains(answer, "后续处置？"), strings.Contains(answer, "属于哪种情形"), strings.Contains(answer, "确认按这个日期填报吗"):
		return "1", false, nil
	case strings.Contains(answer, "检查结果？"):
		return "1", false, nil // 未发现问题
	case strings.Contains(answer, "检查方式？"):
		return "1 3", false, nil
	case strings.Contains(answer, "检查日期？"):
		return "今天", false, nil
	case strings.Contains(answer, "请选择要填报的检查对象"):
		if i := slices.Index(opts, t.item+"|"+t.code); i >= 0 {
			return strconv.Itoa(i + 1), false, nil
		}
		return t.code, false, nil
	}
	return "", false, fmt.Errorf("unexpected answer %.200q", answer)
}

// findingsRun drives every reporter's findings, one after another, each
// step posted as a callback once the router has answered the one before
// (the inspector reads the answer, then types). It returns the parts of
// every answer by user, the dialog messages posted and the first error.
func (m *morningFindings) run(base string, c *wecom.Crypto, ans *dialogAnswers, firstID int64, parts func(string) int) (perUser map[string]int, posted int, err error) {
	byRep := map[string][]findingTask{}
	var order []string
	for _, t := range m.tasks {
		if byRep[t.reporter] == nil {
			order = append(order, t.reporter)
		}
		byRep[t.reporter] = append(byRep[t.reporter], t)
	}
	var mu sync.Mutex
	perUser = map[string]int{}
	var firstErr error
	var wg sync.WaitGroup
	cl := client()
	var next int64 = firstID
	for _, rep := range order {
		wg.Add(1)
		go func(rep string, tasks []findingTask) {
			defer wg.Done()
			fail := func(e error) {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", rep, e)
				}
				mu.Unlock()
			}
			for _, t := range tasks {
				say := "提交检查结果"
				for step := 0; ; step++ {
					if step > 20 {
						fail(fmt.Errorf("the dialog of %s/%s does not end; the last message %q", t.item, t.code, say))
						return
					}
					mu.Lock()
					id := next
					next++
					posted++
					mu.Unlock()
					msgID := "msg:" + strconv.FormatInt(id, 10)
					wait := ans.expect(msgID)
					now := time.Now().Unix()
					body, sig, err := c.SealCallback(textXML(c.CorpID(), rep, say, id, now), "1000002", now, "bench")
					if err != nil {
						fail(err)
						return
					}
					q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(now, 10)}, "nonce": {"bench"}}
					resp, err := cl.Post(base+"/wecom/callback?"+q.Encode(), "text/xml", strings.NewReader(string(body)))
					if err != nil {
						fail(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						fail(fmt.Errorf("callback status %d", resp.StatusCode))
						return
					}
					select {
					case <-wait:
					case <-time.After(2 * time.Minute):
						fail(fmt.Errorf("no answer to %q", say))
						return
					}
					mu.Lock()
					perUser[rep] += parts(msgID)
					mu.Unlock()
					var done bool
					text, opts := ans.get(msgID)
					say, done, err = findingStep(text, opts, t)
					if err != nil {
						fail(fmt.Errorf("finding %s/%s after %d steps: %w", t.item, t.code, step, err))
						return
					}
					if done {
						break
					}
				}
			}
		}(rep, byRep[rep])
	}
	wg.Wait()
	return perUser, posted, firstErr
}

// check wants every task stored once (version 1, by its reporter) and
// returns the co-sign requests the handlers sent on their own, by user.
func (m *morningFindings) check(ctx context.Context) (cosign map[string]int, err error) {
	cosign = map[string]int{}
	for _, t := range m.tasks {
		f, err := m.store.Get(ctx, m.year, t.item, t.code)
		if err != nil {
			return nil, err
		}
		if f == nil || f.Reporter != t.reporter || f.Version != 1 {
			return nil, fmt.Errorf("finding %s/%s stored as %+v", t.item, t.code, f)
		}
		for _, u := range f.CoInspectors {
			cosign[u] += 2 // the markdown and the card
		}
	}
	return cosign, nil
}
