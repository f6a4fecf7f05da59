package main

import (
	"testing"
	"time"
)

// TestMorningSmoke keeps the morning scenario compiling and working: the
// day's reminder run over the seed plan while 40 inspectors ask plan
// questions through the real stack and router; every question answered
// once in order, every reminder sent once to its department's recipients
// and a second run sending none (morningRun checks all of it).
func TestMorningSmoke(t *testing.T) {
	appendfsync = "everysec"
	if err := morningRun(40, 2, 20, 40, time.Minute); err != nil {
		t.Fatal(err)
	}
}
