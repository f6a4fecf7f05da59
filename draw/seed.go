package draw

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Seed is the 32 random bytes that, with the inputs, decide a draw. It is
// written as 64 lower-case hex digits.
type Seed [32]byte

// NewSeed reads a seed from crypto/rand. The caller generates it only after
// the preview, so that nobody can choose the inputs knowing the seed.
func NewSeed() (Seed, error) {
	var s Seed
	if _, err := rand.Read(s[:]); err != nil {
		return s, fmt.Errorf("draw: seed: %w", err)
	}
	return s, nil
}

// ParseSeed reads the 64-hex-digit form.
func ParseSeed(text string) (Seed, error) {
	var s Seed
	if len(text) != 2*len(s) {
		return s, fmt.Errorf("draw: seed %q: want %d hex digits", text, 2*len(s))
	}
	if _, err := hex.Decode(s[:], []byte(text)); err != nil {
		return s, fmt.Errorf("draw: seed %q: %w", text, err)
	}
	return s, nil
}

func (s Seed) String() string { return hex.EncodeToString(s[:]) }

// MarshalText writes the hex form (records store the seed as a string).
func (s Seed) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the hex form.
func (s *Seed) UnmarshalText(text []byte) error {
	v, err := ParseSeed(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
