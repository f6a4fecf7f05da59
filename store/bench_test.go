package store

import (
	"testing"

	"github.com/changzhi-amr/choucha/config"
	"github.com/changzhi-amr/choucha/internal/redistest"
)

// BenchmarkRoundTrip is one Redis round trip (SET) through the store's pool,
// from parallel goroutines as the callback path does.
func BenchmarkRoundTrip(b *testing.B) {
	srv := redistest.Start(b)
	s, err := Open(b.Context(), config.Redis{URL: srv.URL(), Prefix: "choucha:"}, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(b.Context())
	key := s.Prefix + "bench"
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Client.Set(b.Context(), key, "1", 0).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
