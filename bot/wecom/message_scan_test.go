package wecom

import (
	"encoding/xml"
	"reflect"
	"testing"
)

var scanSeeds = []string{
	"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[mycreate]]></FromUserName><CreateTime>1409659813</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>4561255354251345929</MsgId><AgentID>218</AgentID></xml>",
	"<xml>\n  <FromUserName>u</FromUserName>\n  <CreateTime> 12 </CreateTime>\n  <MsgType>event</MsgType><Event>enter_agent</Event><EventKey></EventKey>\n</xml>\n",
	"<xml><FromUserName>u</FromUserName><MsgType>location</MsgType><Location_X>36.19</Location_X><Label><![CDATA[长治市 <路> & 号]]></Label></xml>",
	"<xml><FromUserName>u</FromUserName><Unknown>x</Unknown><MsgType>text</MsgType><Content>a &amp; b</Content></xml>",
	"<xml><FromUserName>u</FromUserName><MsgType>event</MsgType><Event>template_card_event</Event><SelectedItems><SelectedItem><QuestionKey>q</QuestionKey></SelectedItem></SelectedItems></xml>",
	"<xml><CreateTime>abc</CreateTime></xml>",
	"<xml><Content>a\r\nb</Content></xml>",
	"<xml><Content a=\"1\">x</Content></xml>",
	"<xml><Content/></xml>",
	"<xml><Content>1</Content><Content>2</Content></xml>",
	"<xml><!-- c --><Content>x</Content></xml>",
}

// TestScanIncomingFastPath: the common shapes take the fast path.
func TestScanIncomingFastPath(t *testing.T) {
	for _, s := range scanSeeds[:3] {
		if _, ok := scanIncoming([]byte(s)); !ok {
			t.Errorf("fast path refused %q", s)
		}
	}
	for _, s := range scanSeeds[3:] {
		if _, ok := scanIncoming([]byte(s)); ok && s != scanSeeds[9] {
			t.Errorf("fast path took %q", s)
		}
	}
}

// FuzzScanIncoming: whenever the scan succeeds, encoding/xml must succeed
// with the same result.
func FuzzScanIncoming(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := scanIncoming([]byte(s))
		if !ok {
			return
		}
		var slow Incoming
		if err := xml.Unmarshal([]byte(s), &slow); err != nil {
			t.Fatalf("scan accepted what encoding/xml rejects (%v): %q", err, s)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("scan and encoding/xml differ on %q:\n%+v\n%+v", s, fast, slow)
		}
	})
}
