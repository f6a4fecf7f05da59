package plan

import (
	"strconv"
	"strings"
)

// Items returns every item of the plan in order (15-1 and 15-2 in place
// of task 15).
func (p *Plan) Items() []*Item {
	n := 0
	for _, t := range p.Tasks {
		if t != nil {
			n += len(t.Items)
		}
	}
	items := make([]*Item, 0, n)
	for _, t := range p.Tasks {
		if t != nil {
			items = append(items, t.Items...)
		}
	}
	return items
}

// Task returns the task with the plan's serial number (no task 12 in the
// 2023 plan).
func (p *Plan) Task(serial int) (*Task, bool) {
	for _, t := range p.Tasks {
		if t.Serial == serial {
			return t, true
		}
	}
	return nil, false
}

// Item returns the item with the given ID: "7" (a single-item task), "15-2"
// (an item of a multi-item task; "7-1" also finds single-item task 7).
// Full-width digits and dashes and surrounding spaces are accepted. A bare
// number of a multi-item task ("15") is not one item: ok is false, use Task.
func (p *Plan) Item(id string) (*Item, bool) {
	f := Fold(id)
	serialText, indexText, multi := strings.Cut(f, "-")
	serial, ok := parseSerial(serialText)
	if !ok {
		return nil, false
	}
	t, ok := p.Task(serial)
	if !ok {
		return nil, false
	}
	if !multi {
		if len(t.Items) != 1 {
			return nil, false
		}
		return t.Items[0], true
	}
	index, err := strconv.Atoi(indexText)
	if err != nil || index < 1 || index > len(t.Items) || indexText[0] == '+' {
		return nil, false
	}
	return t.Items[index-1], true
}
