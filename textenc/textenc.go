// Package textenc turns the bytes of a text file as Windows tools in China
// save it into UTF-8: UTF-8 with or without BOM, UTF-16 with BOM (Excel's
// "Unicode text"), and GBK/GB18030 (what Excel and Notepad write for "CSV"
// and "text" on a Chinese system). The plan and directory importers share it
// so that a file that opens in one opens in the other.
package textenc

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Encoding names the encoding Decode found.
type Encoding string

const (
	UTF8    Encoding = "UTF-8"
	UTF8BOM Encoding = "UTF-8 BOM"
	UTF16LE Encoding = "UTF-16LE" // with BOM
	UTF16BE Encoding = "UTF-16BE" // with BOM
	GB18030 Encoding = "GB18030"  // GBK and its superset GB18030
)

// Kinds of Error; test with errors.Is.
var (
	ErrBinary  = errors.New("not a text file (NUL byte)")
	ErrUnknown = errors.New("text is neither UTF-8 nor GBK")
	ErrUTF16   = errors.New("invalid UTF-16 text")
)

// Error is why bytes could not be decoded.
type Error struct {
	Line  int   // 1-based line of the first offending byte; 0 when unknown
	Err   error // ErrBinary, ErrUnknown or ErrUTF16
	Cause error // the decoder's own error, if any
}

func (e *Error) Error() string {
	s := e.Err.Error()
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	if e.Line > 0 {
		s = fmt.Sprintf("line %d: %s", e.Line, s)
	}
	return s
}

// Unwrap returns Err and Cause, so errors.Is(err, ErrBinary) works.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// Decode returns data as UTF-8 text without BOM. Any error is an *Error.
func Decode(data []byte) (string, error) {
	s, _, err := DecodeDetect(data)
	return s, err
}

// DecodeDetect is Decode that also says which encoding it found. UTF-8 is
// tried before GBK: a GBK file that happens to be valid UTF-8 is rare and
// short, while the reverse (UTF-8 misread as GBK) would garble every file.
func DecodeDetect(data []byte) (string, Encoding, error) {
	enc := UTF8
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data, enc = data[3:], UTF8BOM
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		enc = UTF16LE
		if data[0] == 0xFE {
			enc = UTF16BE
		}
		// The BOM overrides the default endianness given here.
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", enc, &Error{Err: ErrUTF16, Cause: err}
		}
		data = out
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return "", enc, &Error{Line: 1 + bytes.Count(data[:i], []byte{'\n'}), Err: ErrBinary}
	}
	if utf8.Valid(data) {
		return string(data), enc, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err == nil && !bytes.ContainsRune(out, utf8.RuneError) {
		return string(out), GB18030, nil
	}
	return "", enc, &Error{Line: invalidUTF8Line(data), Err: ErrUnknown}
}

// invalidUTF8Line is the 1-based line of the first byte that is not UTF-8.
func invalidUTF8Line(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return line
}
