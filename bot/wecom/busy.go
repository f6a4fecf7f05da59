package wecom

import (
	"encoding/xml"
	"net/http"
)

// BusyText is the passive reply to a message spooled during a Redis outage
// that has lasted wecom.spool_busy_after (once per user per outage): the
// real answer follows through message/send once Redis is back.
//
// Why a passive reply and why so rarely: it reaches the user at once with
// no Redis, no access token and no message/send quota, which is exactly
// what is missing in an outage; but every one is an extra message. The
// managed redis-server is back within about a second, and then the answer
// itself arrives before a notice would help, so a short outage sends none;
// a longer one (a Sentinel failover, a restart that keeps failing) tells
// each user once that the answer is coming rather than leaving them to ask
// again. Events (opening the app, card clicks) get none: the user asked
// nothing.
const BusyText = "系统繁忙，稍后为您答复"

// passiveText is a self-built app's passive text reply (before encryption).
type passiveText struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content"`
}

// busyReply answers the callback with BusyText, encrypted; if that cannot
// be built, with the usual empty 200 (the message is spooled either way).
func (c *Callback) busyReply(w http.ResponseWriter, r *http.Request, m *Incoming) {
	now := c.o.Now().Unix()
	plain, err := xml.Marshal(passiveText{ToUserName: cdata{m.FromUserName}, FromUserName: cdata{c.o.Crypto.CorpID()},
		CreateTime: now, MsgType: cdata{"text"}, Content: cdata{BusyText}})
	var body []byte
	if err == nil {
		body, err = c.o.Crypto.SealReply(plain, now, r.URL.Query().Get("nonce"))
	}
	if err != nil {
		c.o.Logger.Warn("wecom: busy reply not built; answering an empty 200", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	c.o.Metrics.Answers.WithLabelValues("busy_reply").Inc()
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(body)
}
