package wecom

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/silenceper/wechat/v2/util"
)

// Envelope errors. They classify rejected callbacks (metrics label reason).
var (
	ErrSignature = errors.New("wecom envelope: bad msg_signature")
	ErrDecrypt   = errors.New("wecom envelope: cannot decrypt")
	ErrReceiveID = errors.New("wecom envelope: receive id is not our CorpID")
)

// Crypto is the WeCom message crypto (WXBizMsgCrypt) for one app: signature
// check, AES-256-CBC decrypt/encrypt with the receive-id check. Safe for
// concurrent use.
type Crypto struct {
	token  string
	corpID string
	aesKey string // the 43-char EncodingAESKey
	key    []byte // decoded, 32 bytes
}

// NewCrypto validates the credentials and builds a Crypto. token and corpID
// must be non-empty; aesKey must be the 43-character EncodingAESKey.
func NewCrypto(token, corpID, aesKey string) (*Crypto, error) {
	if token == "" {
		return nil, errors.New("wecom: Token (WECOM_TOKEN) is empty")
	}
	if corpID == "" {
		return nil, errors.New("wecom: CorpID (WECOM_CORP_ID) is empty")
	}
	if len(aesKey) != 43 {
		return nil, fmt.Errorf("wecom: EncodingAESKey (WECOM_AES_KEY) must be 43 characters, got %d", len(aesKey))
	}
	key, err := base64.StdEncoding.DecodeString(aesKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("wecom: EncodingAESKey (WECOM_AES_KEY) is not valid base64 of 32 bytes")
	}
	return &Crypto{token: token, corpID: corpID, aesKey: aesKey, key: key}, nil
}

// CorpID is the receive id this Crypto accepts.
func (c *Crypto) CorpID() string { return c.corpID }

// Signature computes msg_signature = sha1(sort(token, timestamp, nonce, encrypt)).
func (c *Crypto) Signature(timestamp, nonce, encrypt string) string {
	p := [4]string{c.token, timestamp, nonce, encrypt}
	sort.Strings(p[:])
	h := sha1.New()
	for _, s := range p {
		h.Write([]byte(s))
	}
	var sum [sha1.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// Verify checks msgSignature in constant time.
func (c *Crypto) Verify(msgSignature, timestamp, nonce, encrypt string) bool {
	want := c.Signature(timestamp, nonce, encrypt)
	return subtle.ConstantTimeCompare([]byte(want), []byte(msgSignature)) == 1
}

// Decrypt decrypts an Encrypt value and checks that the receive id equals
// the CorpID. It never panics on hostile input.
//
// silenceper's util.DecryptMsg does the same (and checks the receive id) but
// reports a wrong receive id and a decrypt failure with the same kind of
// error and decodes the key on every call; we call its AESDecryptMsg with
// the pre-decoded key and tell the two apart.
func (c *Crypto) Decrypt(encrypt string) (plain []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			plain, err = nil, fmt.Errorf("%w: %v", ErrDecrypt, r)
		}
	}()
	raw, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrDecrypt, err)
	}
	_, msg, receiveID, err := util.AESDecryptMsg(raw, c.key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	if subtle.ConstantTimeCompare(receiveID, []byte(c.corpID)) != 1 {
		return nil, ErrReceiveID
	}
	return msg, nil
}

// Open verifies the signature over encrypt, then decrypts it.
func (c *Crypto) Open(msgSignature, timestamp, nonce, encrypt string) ([]byte, error) {
	if !c.Verify(msgSignature, timestamp, nonce, encrypt) {
		return nil, ErrSignature
	}
	return c.Decrypt(encrypt)
}

// Encrypt encrypts plain for our CorpID with a fresh 16-byte random prefix
// from crypto/rand (util.RandomStr reseeds a PRNG per call and is slow).
func (c *Crypto) Encrypt(plain []byte) (string, error) {
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("wecom: random: %w", err)
	}
	return c.EncryptWith(random[:], plain), nil
}

// EncryptWith encrypts plain with the given 16-byte random prefix.
func (c *Crypto) EncryptWith(random, plain []byte) string {
	return base64.StdEncoding.EncodeToString(util.AESEncryptMsg(random, plain, c.corpID, c.key))
}

// Envelope is the outer XML of a callback POST body.
type Envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	AgentID    string   `xml:"AgentID"`
	Encrypt    string   `xml:"Encrypt"`
}

// ReplyEnvelope is the encrypted passive reply WeCom accepts in a callback
// answer. The bot answers with an empty 200 and sends through message/send;
// this is for completeness, tests and the benchmark's crypto floor.
type ReplyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    int64    `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

type cdata struct {
	Value string `xml:",cdata"`
}

// SealReply encrypts plain into a passive reply envelope.
func (c *Crypto) SealReply(plain []byte, timestamp int64, nonce string) ([]byte, error) {
	enc, err := c.Encrypt(plain)
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(timestamp, 10)
	return xml.Marshal(ReplyEnvelope{
		Encrypt:      cdata{enc},
		MsgSignature: cdata{c.Signature(ts, nonce, enc)},
		TimeStamp:    timestamp,
		Nonce:        cdata{nonce},
	})
}

// SealCallback builds a POST body and its query values the way WeCom does;
// tests, the benchmark and the fake WeCom use it to produce callbacks.
func (c *Crypto) SealCallback(plain []byte, agentID string, timestamp int64, nonce string) (body []byte, msgSignature string, err error) {
	enc, err := c.Encrypt(plain)
	if err != nil {
		return nil, "", err
	}
	ts := strconv.FormatInt(timestamp, 10)
	body, err = xml.Marshal(struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName cdata    `xml:"ToUserName"`
		AgentID    cdata    `xml:"AgentID"`
		Encrypt    cdata    `xml:"Encrypt"`
	}{ToUserName: cdata{c.corpID}, AgentID: cdata{agentID}, Encrypt: cdata{enc}})
	return body, c.Signature(ts, nonce, enc), err
}

// ParseEnvelope extracts the Encrypt value of a callback body. The common
// shape (<xml>…<Encrypt><![CDATA[…]]></Encrypt>…</xml>) is scanned directly,
// which costs a fraction of encoding/xml; anything else goes through
// encoding/xml. The signature check over the result is what authenticates
// it, so the scan need not validate the rest of the document.
func ParseEnvelope(body []byte) (string, error) {
	if enc, ok := scanEncrypt(body); ok {
		return enc, nil
	}
	var env Envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return "", fmt.Errorf("wecom envelope: %w", err)
	}
	if env.Encrypt == "" {
		return "", errors.New("wecom envelope: no Encrypt element")
	}
	return env.Encrypt, nil
}

var (
	tagXML      = []byte("<xml>")
	tagXMLEnd   = []byte("</xml>")
	tagEnc      = []byte("<Encrypt>")
	tagEncEnd   = []byte("</Encrypt>")
	cdataOpen   = []byte("<![CDATA[")
	cdataClose  = []byte("]]>")
	base64Chars = func() (t [256]bool) {
		for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=" {
			t[c] = true
		}
		return t
	}()
)

// scanEncrypt finds exactly one <Encrypt> element whose content is base64,
// optionally in CDATA, inside a document that starts with <xml> and ends
// with </xml>.
func scanEncrypt(body []byte) (string, bool) {
	b := bytes.TrimSpace(body)
	if !bytes.HasPrefix(b, tagXML) || !bytes.HasSuffix(b, tagXMLEnd) {
		return "", false
	}
	i := bytes.Index(b, tagEnc)
	if i < 0 || bytes.Index(b[i+len(tagEnc):], tagEnc) >= 0 {
		return "", false
	}
	rest := b[i+len(tagEnc):]
	j := bytes.Index(rest, tagEncEnd)
	if j < 0 {
		return "", false
	}
	v := rest[:j]
	if bytes.HasPrefix(v, cdataOpen) {
		if !bytes.HasSuffix(v, cdataClose) || len(v) < len(cdataOpen)+len(cdataClose) {
			return "", false
		}
		v = v[len(cdataOpen) : len(v)-len(cdataClose)]
	}
	if len(v) == 0 {
		return "", false
	}
	for _, c := range v {
		if !base64Chars[c] {
			return "", false
		}
	}
	return string(v), true
}
