package wecom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/changzhi-amr/choucha/handlers"
)

// xmlSafe reports whether s can travel in XML character data at all
// (XML 1.0 Char production); WeCom never sends anything else.
func xmlSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return false
		}
	}
	return true
}

// innerText is a text message's inner XML as WeCom builds it (CDATA).
type innerText struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content"`
	MsgID        string   `xml:"MsgId"`
	AgentID      int      `xml:"AgentID"`
}

// FuzzCallbackRoundTrip: a text message sealed into a callback as WeCom
// does it comes out of the envelope and the inner XML as the same user,
// text and message id; the same callback with another nonce, timestamp
// or signature is refused, and a changed Encrypt never panics.
func FuzzCallbackRoundTrip(f *testing.F) {
	c := vecCrypto(f)
	f.Add("mycreate", "hello", uint64(4561255354251345929), int64(1409659813), "1372623149", uint32(218))
	f.Add("zhangsan", "本月哪些抽查任务？", uint64(1), int64(1700000000), "n", uint32(1000002))
	f.Add("u", "a]]>b<c>&amp;\r\n  ", uint64(0), int64(-1), "", uint32(0))
	f.Add("李 四", strings.Repeat("任务8", 700), uint64(1<<63), int64(1<<40), "<&>", uint32(1))
	f.Fuzz(func(t *testing.T, from, content string, msgID uint64, ts int64, nonce string, agent uint32) {
		if strings.TrimSpace(from) == "" || !xmlSafe(from) || !xmlSafe(content) {
			return
		}
		plain, err := xml.Marshal(innerText{ToUserName: cdata{vecCorpID}, FromUserName: cdata{from}, CreateTime: ts,
			MsgType: cdata{MsgText}, Content: cdata{content}, MsgID: strconv.FormatUint(msgID, 10), AgentID: int(agent)})
		if err != nil {
			t.Fatal(err)
		}
		body, sig, err := c.SealCallback(plain, strconv.FormatUint(uint64(agent), 10), ts, nonce)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := ParseEnvelope(body)
		if err != nil {
			t.Fatalf("envelope of a sealed callback: %v\n%s", err, body)
		}
		tss := strconv.FormatInt(ts, 10)
		got, err := c.Open(sig, tss, nonce, enc)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, %v; want %q", got, err, plain)
		}
		for _, bad := range [][3]string{{sig, tss, nonce + "x"}, {sig, tss + "1", nonce}, {strings.ToUpper(sig[:1]) + "0" + sig[2:], tss, nonce}} {
			if bad[0] == sig && bad[1] == tss && bad[2] == nonce {
				continue
			}
			if _, err := c.Open(bad[0], bad[1], bad[2], enc); !errors.Is(err, ErrSignature) {
				t.Fatalf("Open with %q accepted: %v", bad, err)
			}
		}
		// A changed ciphertext re-signed (an attacker with the token but
		// not the key) decrypts to garbage or fails; it never panics.
		raw := []byte(enc)
		raw[len(raw)/2] ^= 1
		_, _ = c.Open(c.Signature(tss, nonce, string(raw)), tss, nonce, string(raw))

		m, err := ParseIncoming(got)
		if err != nil {
			t.Fatalf("ParseIncoming of %q: %v", got, err)
		}
		msg := m.Message()
		want := strings.ReplaceAll(strings.ReplaceAll(content, "\r\n", "\n"), "\r", "\n")
		r := msg.Request
		if r.UserID != strings.ReplaceAll(strings.ReplaceAll(from, "\r\n", "\n"), "\r", "\n") || r.Kind != handlers.KindText ||
			r.Text != want || r.MsgID != "msg:"+strconv.FormatUint(msgID, 10) {
			t.Fatalf("message %+v\nfrom %q content %q id %d", r, from, content, msgID)
		}
	})
}

// FuzzOpen: any query and Encrypt value is either refused with one of
// the envelope errors or opens to what was signed; never a panic.
func FuzzOpen(f *testing.F) {
	c := vecCrypto(f)
	f.Add(vecPostSig, vecPostTS, vecPostNonce, vecPostEnc)
	f.Add(vecGetSig, vecGetTS, vecGetNonce, vecGetEcho)
	f.Add("", "", "", "")
	f.Add("x", "1", "2", "AAAA")
	f.Fuzz(func(t *testing.T, sig, ts, nonce, enc string) {
		for _, s := range []string{sig, c.Signature(ts, nonce, enc)} {
			plain, err := c.Open(s, ts, nonce, enc)
			if err != nil {
				if !errors.Is(err, ErrSignature) && !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrReceiveID) {
					t.Fatalf("unexpected error kind %v", err)
				}
				continue
			}
			if !c.Verify(s, ts, nonce, enc) {
				t.Fatal("opened without a valid signature")
			}
			if again, err := c.Decrypt(enc); err != nil || !bytes.Equal(again, plain) {
				t.Fatalf("Decrypt disagrees with Open: %q %v", again, err)
			}
		}
	})
}
