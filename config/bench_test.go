package config

import "testing"

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load("../config.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
