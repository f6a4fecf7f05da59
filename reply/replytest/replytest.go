// Package replytest has test helpers for code that sends replies.
package replytest

import (
	"context"
	"sync"

	"github.com/changzhi-amr/choucha/reply"
)

// Recorder is a reply.Sender that keeps every message sent to it, for
// tests that check what a component sent without a real outbox.
type Recorder struct {
	mu   sync.Mutex
	msgs []reply.Message
}

// Send records m.
func (r *Recorder) Send(_ context.Context, m reply.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

// All returns a copy of the messages sent so far, in order.
func (r *Recorder) All() []reply.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]reply.Message(nil), r.msgs...)
}
