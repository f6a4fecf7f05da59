package textenc

import (
	"errors"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

const sample = "统一社会信用代码,名称\n91350100M000100Y43,长治市某某有限公司（潞州）\n"

func encode(t *testing.T, s string, enc interface{ String(string) (string, error) }) []byte {
	t.Helper()
	out, err := enc.String(s)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

func TestDecodeDetect(t *testing.T) {
	gbk := encode(t, sample, simplifiedchinese.GBK.NewEncoder())
	tests := []struct {
		name string
		data []byte
		enc  Encoding
	}{
		{"UTF-8", []byte(sample), UTF8},
		{"UTF-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, sample...), UTF8BOM},
		{"GBK", gbk, GB18030},
		{"GB18030", encode(t, sample+"𠀀\n", simplifiedchinese.GB18030.NewEncoder()), GB18030},
		{"UTF-16LE BOM", encode(t, sample, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder()), UTF16LE},
		{"UTF-16BE BOM", encode(t, sample, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder()), UTF16BE},
		{"empty", nil, UTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "UTF-8" && tt.name != "empty" && string(tt.data) == sample {
				t.Fatal("test data is not re-encoded")
			}
			text, enc, err := DecodeDetect(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			want := sample
			switch tt.name {
			case "GB18030":
				want = sample + "𠀀\n"
			case "empty":
				want = ""
			}
			if text != want || enc != tt.enc {
				t.Errorf("got %q %s, want %q %s", text, enc, want, tt.enc)
			}
			if s, err := Decode(tt.data); err != nil || s != text {
				t.Errorf("Decode = %q, %v", s, err)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		kind error
		line int
		msg  string
	}{
		{"zip", "PK\x03\x04\x00\x00", ErrBinary, 1, "line 1: not a text file (NUL byte)"},
		{"NUL on line 3", "a\nb\nc\x00", ErrBinary, 3, "line 3: not a text file (NUL byte)"},
		{"neither UTF-8 nor GBK", "## 2023年度计划\n\xff\xfe\xff", ErrUnknown, 2, "line 2: text is neither UTF-8 nor GBK"},
		{"lone 0xFF", "名称\n\n\xff", ErrUnknown, 3, "line 3: text is neither UTF-8 nor GBK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data))
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if !errors.Is(err, tt.kind) || te.Line != tt.line || err.Error() != tt.msg {
				t.Errorf("got %v (line %d), want %v line %d %q", err, te.Line, tt.kind, tt.line, tt.msg)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("\xff\xfe\x00"))
	f.Add([]byte("\xfe\xff\xd8\x00"))
	f.Add([]byte("\xef\xbb\xbf\x80"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, _, err := DecodeDetect(data)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) || te.Line < 0 {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		for i := 0; i < len(text); i++ {
			if text[i] == 0 {
				t.Fatal("decoded text has a NUL byte")
			}
		}
	})
}
