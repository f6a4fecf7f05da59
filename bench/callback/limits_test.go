package main

import (
	"testing"
	"time"
)

// TestLimitsSmoke keeps the limits scenario compiling and working: a
// second of callbacks through the real stack and outbox, every one
// accepted and answered once, in each member's order, with none dropped
// by the fake's 30-a-minute member limit (limitsRun checks all of it).
func TestLimitsSmoke(t *testing.T) {
	appendfsync = "everysec"
	if err := limitsRun("smoke", 40, time.Second, 10, 2, 10_000, time.Minute); err != nil {
		t.Fatal(err)
	}
}
