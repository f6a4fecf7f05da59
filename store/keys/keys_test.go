package keys

import (
	"strings"
	"testing"
)

// slot is the Redis Cluster slot of key: CRC16 (XMODEM) of its hash tag,
// the part between the first "{" and the next "}" when not empty, or of
// the whole key, modulo 16384.
func slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for _, b := range []byte(key) {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

func TestSlot(t *testing.T) {
	// Redis's own examples (CLUSTER KEYSLOT).
	for key, want := range map[string]int{"123456789": 12739, "{user1000}.following": 3443, "somekey": 11058, "foo{hash_tag}": 2515, "foo{}{bar}": 8363} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
	if slot("{user1000}.following") != slot("{user1000}.followers") {
		t.Error("a hash tag does not decide the slot")
	}
}

// Keys used together in one script, MULTI/EXEC or multi-key command are on
// one Cluster slot.
func TestKeysUsedTogetherShareASlot(t *testing.T) {
	k := New("choucha:")
	token := k.Prefix() + "gowork_access_token_ww123_1000002"
	groups := map[string][]string{
		"inbox (claim script, release MULTI)": {k.Seen("msg:1"), k.Seen("evt:u:1:event:enter_agent"), k.SeenPrefix() + "x", k.Inbox(), k.InboxClaims()},
		"outbox (scripts)": {k.Outbox() + "ready", k.Outbox() + "lease", k.Outbox() + "owner", k.Outbox() + "dead",
			k.Outbox() + "hold", k.Outbox() + "lanes", k.Outbox() + "msg:answer:msg:1", k.Outbox() + "id:x",
			k.Outbox() + "lane:u:zhangsan", k.Outbox() + "rate:u:zhangsan", k.Outbox() + "rate:corp"},
		"reminders (record MULTI)": {k.Reminders() + "claim:2023/8/opens-before/7/计量科", k.Reminders() + "records:2023",
			k.Reminders() + "lease", k.Reminders() + "done:2023"},
		"dialog (shelve, unshelve)":  {k.Dialog("zhangsan"), k.DialogDraft("zhangsan", "inspect"), k.DialogDrafts("zhangsan")},
		"directories (save MULTI)":   {k.Directory("entities"), k.DirectorySnapshot("entities", "h"), k.DirectoryImports()},
		"draws (commit script)":      {k.DrawRecord(2023, "d1"), k.DrawItem(2023, "8"), k.DrawAll(2023), k.DrawNotified(2023)},
		"findings (save script)":     {k.FindingRecord(2023, "f"), k.FindingItem(2023, "8"), k.FindingAll(2023), k.FindingUser(2023, "u"), k.FindingPublished(2023)},
		"token (drop script)":        {token, SameSlot(token, ":refreshed")},
		"tagged token (drop script)": {"p:{t}x", SameSlot("p:{t}x", ":refreshed")},
	}
	for name, ks := range groups {
		for _, key := range ks[1:] {
			if slot(key) != slot(ks[0]) {
				t.Errorf("%s: %s (slot %d) and %s (slot %d) are on different slots", name, ks[0], slot(ks[0]), key, slot(key))
			}
		}
	}
	if SameSlot("p:{t}x", ":r") != "p:{t}x:r" || SameSlot("p:x", ":r") != "{p:x}:r" {
		t.Error("SameSlot names")
	}
}
