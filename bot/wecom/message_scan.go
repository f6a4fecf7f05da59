package wecom

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// scanIncoming parses the flat shape WeCom sends (<xml> with one level of
// <Name>text</Name> or <Name><![CDATA[text]]></Name> children) without
// encoding/xml, which is most of the callback's parsing cost. Anything else
// (nesting such as SelectedItems, attributes, entities, comments, CR,
// unusual characters, a bad number) returns ok=false and the caller uses
// encoding/xml. FuzzScanIncoming checks that whenever it succeeds it agrees
// with encoding/xml.
func scanIncoming(b []byte) (m Incoming, ok bool) {
	b = bytes.TrimLeft(b, " \t\n")
	b = bytes.TrimRight(b, " \t\n")
	if !bytes.HasPrefix(b, tagXML) || !bytes.HasSuffix(b, tagXMLEnd) {
		return m, false
	}
	b = b[len(tagXML) : len(b)-len(tagXMLEnd)]
	m.XMLName.Local = "xml"
	for {
		b = bytes.TrimLeft(b, " \t\n")
		if len(b) == 0 {
			return m, true
		}
		if b[0] != '<' {
			return m, false
		}
		end := bytes.IndexByte(b, '>')
		if end < 2 {
			return m, false
		}
		name := b[1:end]
		if !plainName(name) {
			return m, false
		}
		b = b[end+1:]
		var val []byte
		if bytes.HasPrefix(b, cdataOpen) {
			e := bytes.Index(b[len(cdataOpen):], cdataClose)
			if e < 0 {
				return m, false
			}
			val = b[len(cdataOpen) : len(cdataOpen)+e]
			b = b[len(cdataOpen)+e+len(cdataClose):]
		} else {
			e := bytes.IndexByte(b, '<')
			if e < 0 {
				return m, false
			}
			val = b[:e]
			if bytes.IndexByte(val, '&') >= 0 || bytes.IndexByte(val, '>') >= 0 {
				return m, false
			}
			b = b[e:]
		}
		if !plainText(val) {
			return m, false
		}
		// The closing tag must follow at once.
		if len(b) < len(name)+3 || b[0] != '<' || b[1] != '/' || !bytes.Equal(b[2:2+len(name)], name) || b[2+len(name)] != '>' {
			return m, false
		}
		b = b[len(name)+3:]
		if !m.set(name, val) {
			return m, false
		}
	}
}

// plainName accepts ASCII letters, digits and '_' starting with a letter.
func plainName(n []byte) bool {
	for i, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return len(n) > 0
}

// plainText accepts what encoding/xml passes through unchanged: valid
// UTF-8 in XML's character range, without CR (which it normalises).
func plainText(v []byte) bool {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError || r > 0xFFFD && r < 0x10000 {
			return false
		}
		i += size
	}
	return true
}

// set assigns a known field; unknown names are ignored (as encoding/xml
// does); a field with structure (SelectedItems) is not handled here.
func (m *Incoming) set(name, val []byte) bool {
	s := string(val)
	switch string(name) {
	case "ToUserName":
		m.ToUserName = s
	case "FromUserName":
		m.FromUserName = s
	case "CreateTime":
		t := bytes.TrimSpace(val)
		if len(t) == 0 {
			m.CreateTime = 0
			return true
		}
		n, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			return false
		}
		m.CreateTime = n
	case "MsgType":
		m.MsgType = s
	case "MsgId":
		m.MsgID = s
	case "AgentID":
		m.AgentID = s
	case "Content":
		m.Content = s
	case "MediaId":
		m.MediaID = s
	case "PicUrl":
		m.PicURL = s
	case "Format":
		m.Format = s
	case "ThumbMediaId":
		m.ThumbMediaID = s
	case "FileName":
		m.FileName = s
	case "Location_X":
		m.LocationX = s
	case "Location_Y":
		m.LocationY = s
	case "Scale":
		m.Scale = s
	case "Label":
		m.Label = s
	case "Title":
		m.Title = s
	case "Description":
		m.Description = s
	case "Url":
		m.URL = s
	case "Event":
		m.Event = s
	case "EventKey":
		m.EventKey = s
	case "TaskId":
		m.TaskID = s
	case "CardType":
		m.CardType = s
	case "ResponseCode":
		m.ResponseCode = s
	case "ChangeType":
		m.ChangeType = s
	case "UserID":
		m.UserID = s
	case "SelectedItems", "xml":
		return false
	}
	return true
}
