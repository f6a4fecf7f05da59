package wecom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// The official WXBizMsgCrypt sample vector (docs/WECOM.md).
const (
	vecToken  = "QDG6eK"
	vecCorpID = "wx5823bf96d3bd56c7"
	vecAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"

	vecGetSig   = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	vecGetTS    = "1409659589"
	vecGetNonce = "263014780"
	vecGetEcho  = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="

	vecPostSig   = "477715d11cdb4164915debcba66cb864d751f3e6"
	vecPostTS    = "1409659813"
	vecPostNonce = "1372623149"
	vecPostEnc   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)

func vecCrypto(t testing.TB) *Crypto {
	t.Helper()
	c, err := NewCrypto(vecToken, vecCorpID, vecAESKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOfficialVectorGET(t *testing.T) {
	c := vecCrypto(t)
	if got := c.Signature(vecGetTS, vecGetNonce, vecGetEcho); got != vecGetSig {
		t.Fatalf("signature = %s, want %s", got, vecGetSig)
	}
	plain, err := c.Open(vecGetSig, vecGetTS, vecGetNonce, vecGetEcho)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != "1616140317555161061" {
		t.Fatalf("echostr = %q", plain)
	}
}

func TestOfficialVectorPOST(t *testing.T) {
	c := vecCrypto(t)
	plain, err := c.Open(vecPostSig, vecPostTS, vecPostNonce, vecPostEnc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseIncoming(plain)
	if err != nil {
		t.Fatal(err)
	}
	if m.MsgType != MsgText || m.Content != "hello" || m.FromUserName != "mycreate" ||
		m.MsgID != "4561255354251345929" || m.AgentID != "218" || m.ToUserName != vecCorpID {
		t.Fatalf("parsed %+v", m)
	}
	if m.DedupeID() != "msg:4561255354251345929" {
		t.Fatalf("DedupeID = %s", m.DedupeID())
	}
}

func TestOpenRejects(t *testing.T) {
	c := vecCrypto(t)
	other, err := NewCrypto(vecToken, "wwOTHERCORP", vecAESKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		c       *Crypto
		sig     string
		enc     string
		wantErr error
	}{
		{"flipped signature", c, "577715d11cdb4164915debcba66cb864d751f3e6", vecPostEnc, ErrSignature},
		{"empty signature", c, "", vecPostEnc, ErrSignature},
		{"tampered ciphertext", c, c.Signature(vecPostTS, vecPostNonce, "A"+vecPostEnc[1:]), "A" + vecPostEnc[1:], ErrDecrypt},
		{"not base64", c, c.Signature(vecPostTS, vecPostNonce, "!!!"), "!!!", ErrDecrypt},
		{"short", c, c.Signature(vecPostTS, vecPostNonce, "AAAA"), "AAAA", ErrDecrypt},
		{"other corp", other, vecPostSig, vecPostEnc, ErrReceiveID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Open(tt.sig, vecPostTS, vecPostNonce, tt.enc)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestNewCryptoValidates(t *testing.T) {
	for _, tt := range []struct{ token, corp, key, want string }{
		{"", vecCorpID, vecAESKey, "WECOM_TOKEN"},
		{vecToken, "", vecAESKey, "WECOM_CORP_ID"},
		{vecToken, vecCorpID, vecAESKey[:42], "43 characters"},
		{vecToken, vecCorpID, strings.Repeat("!", 43), "base64"},
	} {
		if _, err := NewCrypto(tt.token, tt.corp, tt.key); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewCrypto(%q,%q,%q) err = %v, want mention of %q", tt.token, tt.corp, tt.key, err, tt.want)
		}
	}
}

func TestSealRoundTrip(t *testing.T) {
	c := vecCrypto(t)
	plain := []byte("<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><Content>本月任务</Content><MsgId>1</MsgId></xml>")
	body, sig, err := c.SealCallback(plain, "218", 1409659813, "n1")
	if err != nil {
		t.Fatal(err)
	}
	var env Envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	got, err := c.Open(sig, "1409659813", "n1", env.Encrypt)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	reply, err := c.SealReply(plain, 1409659813, "n2")
	if err != nil {
		t.Fatal(err)
	}
	var re struct {
		Encrypt, MsgSignature, Nonce string
		TimeStamp                    string
	}
	if err := xml.Unmarshal(reply, &re); err != nil {
		t.Fatal(err)
	}
	got, err = c.Open(re.MsgSignature, re.TimeStamp, re.Nonce, re.Encrypt)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("reply round trip: %q, %v", got, err)
	}
}

func FuzzDecrypt(f *testing.F) {
	c := vecCrypto(f)
	f.Add(vecPostEnc)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = c.Decrypt(s) // must not panic
	})
}

func TestParseEnvelope(t *testing.T) {
	tests := []struct {
		name, body, want string
		wantErr          bool
	}{
		{"official", string(vecPostBody()), vecPostEnc, false},
		{"no CDATA", "<xml><Encrypt>QUJD</Encrypt></xml>", "QUJD", false},
		{"whitespace and newlines", "\n<xml>\n <ToUserName><![CDATA[x]]></ToUserName>\n <Encrypt><![CDATA[QUJD]]></Encrypt>\n</xml>\n", "QUJD", false},
		{"xml declaration (slow path)", `<?xml version="1.0"?><xml><Encrypt>QUJD</Encrypt></xml>`, "QUJD", false},
		{"CDATA with spaces (slow path)", "<xml><Encrypt><![CDATA[ QUJD]]></Encrypt></xml>", " QUJD", false},
		{"two Encrypt (slow path keeps the last)", "<xml><Encrypt>QUJD</Encrypt><Encrypt>REVG</Encrypt></xml>", "REVG", false},
		{"empty Encrypt", "<xml><Encrypt></Encrypt></xml>", "", true},
		{"no Encrypt", "<xml><ToUserName>x</ToUserName></xml>", "", true},
		{"unclosed", "<xml><Encrypt>QUJD", "", true},
		{"not XML", "hello", "", true},
		{"empty", "", "", true},
		{"unterminated CDATA", "<xml><Encrypt><![CDATA[QUJD</Encrypt></xml>", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnvelope([]byte(tt.body))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseEnvelope = %q, %v; want %q, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add(string(vecPostBody()))
	f.Add("<xml><Encrypt><![CDATA[]]></Encrypt></xml>")
	f.Fuzz(func(t *testing.T, s string) {
		enc, err := ParseEnvelope([]byte(s))
		if err == nil && enc == "" {
			t.Fatal("empty Encrypt accepted")
		}
	})
}

func FuzzParseIncoming(f *testing.F) {
	f.Add("<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>")
	f.Add("<xml><FromUserName>u</FromUserName><MsgType>event</MsgType><Event>template_card_event</Event><SelectedItems><SelectedItem><OptionIds><OptionId>a</OptionId></OptionIds></SelectedItem></SelectedItems></xml>")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseIncoming([]byte(s))
		if err != nil {
			return
		}
		if m.FromUserName == "" || m.DedupeID() == "" {
			t.Fatalf("accepted %+v", m)
		}
		_ = m.Message()
	})
}
