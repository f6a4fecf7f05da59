package store

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
)

// packJSON is v as gzipped JSON: directory snapshots and draw records are
// large and read whole.
func packJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// unpackJSON reads what packJSON wrote into v.
func unpackJSON(b []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	defer zr.Close()
	dec := json.NewDecoder(io.LimitReader(zr, 1<<30))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	return nil
}
