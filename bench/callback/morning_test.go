package main

import (
	"testing"
	"time"
)

// TestMorningSmoke keeps the morning scenario compiling and working: the
// day's reminder run over the seed plan while 40 inspectors ask plan
// questions through the real stack and router and 20 findings are reported
// through the findings dialog; every question answered once in order, every
// reminder sent once to its department's recipients and a second run
// sending none, every finding stored once and every dialog answer and
// co-sign request delivered once (morningRun checks all of it).
func TestMorningSmoke(t *testing.T) {
	appendfsync = "everysec"
	if err := morningRun(40, 2, 20, 20, 40, time.Minute); err != nil {
		t.Fatal(err)
	}
}
