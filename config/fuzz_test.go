package config

import "testing"

// FuzzConfig: no config file, however broken, panics the loader, and every
// rejection is a *Error naming the file.
func FuzzConfig(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input, and a whole
	// config.yaml makes that slow.
	f.Add([]byte("timezone: UTC\nplans: [a.txt]\nredis:\n  url: redis://h:1/0\nhttp:\n  addr: :80\n"))
	f.Add([]byte("outbox:\n  workers: 2\n  max_backoff: 1m\nadmins: [a]\n"))
	f.Add([]byte("reminders:\n  schedule: \"0 9 * * 1-5\"\n  close_before_days: [1]\n  recipients:\n    计量科: {users: [a], webhook: abcdefgh-1}\n"))
	f.Add([]byte("plans: [a]\nreminders:\n  send_from: \"25:00\"\n"))
	f.Add([]byte("wecom:\n  departments:\n    x: y\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("- 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse("fuzz.yaml", "/nonexistent-dir", data)
		if err == nil && cfg.Location == nil {
			t.Fatal("accepted config without a Location")
		}
	})
}
