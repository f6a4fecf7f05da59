package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPhotoDir is where photos are kept unless configured.
const DefaultPhotoDir = "data/media"

// DefaultMaxPhotoBytes is the largest photo taken: 10 MB.
const DefaultMaxPhotoBytes = 10 << 20

// Photo errors.
var (
	ErrNotImage = errors.New("finding: not an image")
	ErrTooLarge = errors.New("finding: photo too large")
)

// PhotoDir keeps photos as files named by their SHA-256, so a photo sent
// twice is stored once.
type PhotoDir struct {
	Dir      string // DefaultPhotoDir when empty
	MaxBytes int64  // DefaultMaxPhotoBytes when <= 0
}

// Put checks that data is a JPEG, PNG, GIF, WebP or BMP image of at most
// MaxBytes and stores it. The file is written to a temporary name and
// renamed, so a reader never sees half a photo.
func (d PhotoDir) Put(data []byte, name string) (Photo, error) {
	max := d.MaxBytes
	if max <= 0 {
		max = DefaultMaxPhotoBytes
	}
	if int64(len(data)) > max {
		return Photo{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), max)
	}
	ext, ok := imageExt(data)
	if !ok {
		return Photo{}, ErrNotImage
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	dir := d.Dir
	if dir == "" {
		dir = DefaultPhotoDir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Photo{}, fmt.Errorf("photo dir: %w", err)
	}
	path := filepath.Join(dir, hexSum+ext)
	if _, err := os.Stat(path); err != nil {
		tmp, err := os.CreateTemp(dir, ".photo-*")
		if err != nil {
			return Photo{}, fmt.Errorf("photo: %w", err)
		}
		_, werr := tmp.Write(data)
		cerr := tmp.Close()
		if werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), path)
		}
		if werr != nil {
			_ = os.Remove(tmp.Name())
			return Photo{}, fmt.Errorf("photo: %w", werr)
		}
	}
	if name = strings.TrimSpace(name); name != "" {
		name = filepath.Base(name)
	}
	return Photo{SHA256: hexSum, Size: int64(len(data)), Name: name, Path: path}, nil
}

// imageExt names the image type data starts with.
func imageExt(data []byte) (string, bool) {
	switch http.DetectContentType(data) {
	case "image/jpeg":
		return ".jpg", true
	case "image/png":
		return ".png", true
	case "image/gif":
		return ".gif", true
	case "image/webp":
		return ".webp", true
	case "image/bmp":
		return ".bmp", true
	}
	return "", false
}
