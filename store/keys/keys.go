// Package keys is the one list of every Redis key the bot writes: its
// name, what it holds, its lifetime and the hash tag that keeps keys used
// together in one script or transaction on one Redis Cluster slot. Every
// package that touches Redis builds its keys here, and tests use the same
// constructors instead of literal strings.
//
// All keys start with the configured prefix (redis.prefix, "choucha:").
//
//	key                                       type    TTL              used by
//	{wecom}:seen:<id>                         string  wecom.dedupe_ttl bot: dedupe of inbound messages; "<ms>\n<message>" while unanswered, "1" after
//	{wecom}:inbox                             zset    none (index)     bot: unanswered inbound messages → lease time (ms)
//	{wecom}:inbox:claims                      hash    none (index)     bot: inbound id → times recovered
//	wecom:welcomed:<YYYY-MM-DD>:<userid>      string  to midnight      bot: first enter_agent of the day
//	wecom:user:<userid>                       string  wecom.user_cache_ttl  bot/wecom: address-book cache
//	gowork_access_token_<corp>_<agent>        string  token expiry     wecomapi: access token shared by replicas (the SDK's name)
//	{<token key>}:refreshed                   string  refresh interval wecomapi: when the token was last refreshed (SameSlot)
//	{outbox}:*                                various see outbox       outbox: the durable outgoing queue (keys.Outbox)
//	{reminders}:*                             various see Reminders    scheduler: reminder claims, records, lease
//	{outbox}:sent:<lane>:<digest>             hash    dup window+      outbox: recent content to one recipient lane → the parts that sent it, their repeat number and expiry (keys.OutboxSent)
//	dialog:{<userid>}                         hash    TTL (+ drafts)   dialog store: one running dialog per user; kept dialogs.draft_days past its TTL so it can be shelved
//	dialog:{<userid>}:draft:<flow>            string  draft_days       dialog store: a timed-out dialog kept as a draft (JSON state)
//	dialog:{<userid>}:drafts                  zset    draft_days       dialog store: the user's drafts, flow → time shelved (ms)
//	dir:{dir}:entities, dir:{dir}:inspectors  string  none             store.Directories: the current snapshot (gzipped JSON)
//	dir:{dir}:<kind>:<hash>                   string  none             store.Directories: every imported snapshot by content hash
//	dir:{dir}:imports                         list    none (100 kept)  store.Directories: import history
//	draw:{<year>}:rec:<id>                    string  none             store.Draws: a draw's audit record (gzipped JSON)
//	draw:{<year>}:item:<item>                 list    none             store.Draws: the item's draws, current first
//	draw:{<year>}:all                         zset    none             store.Draws: the year's draws by time
//	draw:{<year>}:notified                    set     none             store.Draws: draws whose inspectors were told
//	{finding:<year>}:rec:<id>                 hash    none             store.Findings: a finding ("v" version, "s" JSON)
//	{finding:<year>}:item:<item>              zset    none             store.Findings: an item's findings by report time
//	{finding:<year>}:user:<userid>            zset    none             store.Findings: findings a user reported or co-signs
//	{finding:<year>}:all                      zset    none             store.Findings: the year's findings by report time
//	{finding:<year>}:published                hash    none             store.Findings: finding id → when marked published (已公示)
//	audit:log                                 list    none             store.Audit: the audit log
//	plan:{plan}:current                       hash    none             store.Plans: plan year → its upload (JSON: file, hash, who, when)
//	plan:{plan}:file:<sha256 hex>             string  confirm TTL, then none  store.Plans: an uploaded plan file (gzip), staged for its preview, kept once loaded
//	plan:{plan}:version                       string  none             store.Plans: counter raised by every plan load; replicas poll it
//	plan:{plan}:history                       list    none (100 kept)  store.Plans: every plan load, newest first (JSON)
//	plan:{plan}:changed                       pub/sub —                store.Plans: a plan was loaded (replicas refresh at once)
//	keys:version                              string  none             store.MigrateKeys: the key layout Redis holds ("2": hash-tagged)
//
// Hash tags and Redis Cluster. Every Lua script, MULTI/EXEC block and
// multi-key command uses keys of one hash tag, so each runs on one Cluster
// slot: {wecom} (the inbound dedupe keys, the inbox index and its claims,
// used together by the inbox's claim script and MULTI), {outbox} (the
// whole outbox: its scripts build keys from prefixes, and pacing counts
// corp-wide), {reminders} (a claim and the records, one MULTI), {<userid>} (a user's dialog and drafts), {dir}, {<year>}
// (draws), {finding:<year>}. Keys used alone carry no tag. Pipelines may
// mix tags (go-redis splits them per node).
//
// The price of a fixed tag is that all its keys live on one Cluster node:
// every inbound message's dedupe key (kept wecom.dedupe_ttl, 24h) and the
// whole outbox sit on one shard. At WeCom's own ceiling (10,000 sends a
// minute per corp) that is a few hundred commands a second and, at 1 KB a
// message, well under 200 MB a day: far below what one Redis node serves.
// Spreading them (one tag per message) would make recovery scan every
// shard and split the inbox's claim from its index; it is not worth it.
//
// The inbound, outbox and reminder keys had no tags before
// (wecom:seen:<id>, wecom:inbox, wecom:inbox:claims, outbox:*,
// reminders:*); store.MigrateKeys moves what an earlier version left
// under those names.
package keys

import (
	"strconv"
	"strings"
)

// Keys builds key names under one prefix.
type Keys struct{ prefix string }

// New returns the key builder for prefix (redis.prefix).
func New(prefix string) Keys { return Keys{prefix: prefix} }

// Prefix is the configured prefix.
func (k Keys) Prefix() string { return k.prefix }

// inboundTag is the hash tag of the inbound dedupe keys and the inbox.
const inboundTag = "{wecom}:"

// Seen is the dedupe key of an inbound message id.
func (k Keys) Seen(id string) string { return k.prefix + inboundTag + "seen:" + id }

// SeenPrefix is Seen without the id (for scripts that build it).
func (k Keys) SeenPrefix() string { return k.prefix + inboundTag + "seen:" }

// Inbox is the index of unanswered inbound messages.
func (k Keys) Inbox() string { return k.prefix + inboundTag + "inbox" }

// InboxClaims counts recoveries per inbound message.
func (k Keys) InboxClaims() string { return k.prefix + inboundTag + "inbox:claims" }

// Welcomed marks the user's first enter_agent on day (YYYY-MM-DD).
func (k Keys) Welcomed(day, userid string) string {
	return k.prefix + "wecom:welcomed:" + day + ":" + userid
}

// User is the address-book cache entry of a WeCom user.
func (k Keys) User(userid string) string { return k.prefix + "wecom:user:" + userid }

// Outbox is the outbox's key prefix; the outbox names its own keys under
// it (see package outbox). The {outbox} hash tag keeps them on one Cluster
// slot.
func (k Keys) Outbox() string { return k.prefix + "{outbox}:" }

// OutboxSent records which outbox parts sent one content (digest) to one
// recipient lane within WeCom's duplicate-check window, and the repeat
// number each got: "<message id>:<part>" → "<n>:<expiry ms>". It is under
// Outbox (and its hash tag, if any), though its script uses it alone.
func (k Keys) OutboxSent(lane, digest string) string {
	return k.Outbox() + "sent:" + lane + ":" + digest
}

// SameSlot is a key named key+suffix that is on key's Cluster slot, for a
// key named outside this package (the SDK's token key) that a script uses
// with a companion: key itself when it has a hash tag, else "{key}" (a
// key without a tag hashes as a whole, so the tag "key" hashes alike).
func SameSlot(key, suffix string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key + suffix
		}
	}
	return "{" + key + "}" + suffix
}

// Reminders is the reminder job's key prefix (see package scheduler). The
// {reminders} hash tag keeps a reminder's claim and the records it is
// written with (one MULTI) on one Cluster slot.
func (k Keys) Reminders() string { return k.prefix + "{reminders}:" }

// Dialog is the user's running dialog. The user id is the hash tag, so the
// dialog and its drafts live on one Cluster slot.
func (k Keys) Dialog(userid string) string { return k.prefix + "dialog:{" + userid + "}" }

// DialogDraft is a dialog kept after it expired, by flow name.
func (k Keys) DialogDraft(userid, flow string) string {
	return k.prefix + "dialog:{" + userid + "}:draft:" + flow
}

// DialogDrafts indexes the user's drafts by time.
func (k Keys) DialogDrafts(userid string) string { return k.prefix + "dialog:{" + userid + "}:drafts" }

// Directory is an imported directory snapshot ("entities" or "inspectors"),
// gzipped JSON. The {dir} hash tag keeps both snapshots and their import
// history on one Cluster slot, so one transaction replaces a snapshot and
// records the import.
func (k Keys) Directory(kind string) string { return k.prefix + "dir:{dir}:" + kind }

// DirectorySnapshot is a directory snapshot by content hash, kept after it
// is replaced so old draws can be verified.
func (k Keys) DirectorySnapshot(kind, hash string) string {
	return k.prefix + "dir:{dir}:" + kind + ":" + hash
}

// DirectoryImports is the import history (newest first), meta JSON.
func (k Keys) DirectoryImports() string { return k.prefix + "dir:{dir}:imports" }

// DrawRecord is one draw's audit record (gzipped JSON) of plan year year.
// The {draw:<year>} hash tag keeps a year's records and indexes together.
func (k Keys) DrawRecord(year int, id string) string {
	return k.prefix + "draw:{" + strconv.Itoa(year) + "}:rec:" + id
}

// DrawItem lists an item's draws of year, newest (the current one) first.
func (k Keys) DrawItem(year int, item string) string {
	return k.prefix + "draw:{" + strconv.Itoa(year) + "}:item:" + item
}

// DrawAll indexes a year's draws by time (unix ms).
func (k Keys) DrawAll(year int) string { return k.prefix + "draw:{" + strconv.Itoa(year) + "}:all" }

// DrawNotified holds the ids of a year's draws whose inspectors were all
// told (the outbox has their messages).
func (k Keys) DrawNotified(year int) string {
	return k.prefix + "draw:{" + strconv.Itoa(year) + "}:notified"
}

// findingTag is the hash tag of a year's findings: a finding and its
// indexes are written by one script on one Cluster slot.
func (k Keys) findingTag(year int) string {
	return k.prefix + "{finding:" + strconv.Itoa(year) + "}:"
}

// FindingRecord is one finding of year: a hash of its version and JSON.
func (k Keys) FindingRecord(year int, id string) string { return k.findingTag(year) + "rec:" + id }

// FindingItem indexes an item's findings of year by report time (ms).
func (k Keys) FindingItem(year int, item string) string { return k.findingTag(year) + "item:" + item }

// FindingUser indexes the findings of year a user reported or co-signs.
func (k Keys) FindingUser(year int, userid string) string {
	return k.findingTag(year) + "user:" + userid
}

// FindingAll indexes a year's findings by report time (ms).
func (k Keys) FindingAll(year int) string { return k.findingTag(year) + "all" }

// FindingPublished marks a year's findings published (已公示): finding id
// → RFC 3339 time it was marked.
func (k Keys) FindingPublished(year int) string { return k.findingTag(year) + "published" }

// KeysVersion records the key layout Redis holds (see store.MigrateKeys).
func (k Keys) KeysVersion() string { return k.prefix + "keys:version" }

// AuditLog is the audit log: a list of entry JSON, oldest first, kept forever.
func (k Keys) AuditLog() string { return k.prefix + "audit:log" }

// planTag is the hash tag of the uploaded plans: one script stages,
// commits and counts them on one Cluster slot.
func (k Keys) planTag() string { return k.prefix + "plan:{plan}:" }

// PlanCurrent maps a plan year to its current upload (JSON).
func (k Keys) PlanCurrent() string { return k.planTag() + "current" }

// PlanFile is an uploaded plan file by the hex of its SHA-256 (gzip).
func (k Keys) PlanFile(hexHash string) string { return k.planTag() + "file:" + hexHash }

// PlanVersion is raised by every plan load.
func (k Keys) PlanVersion() string { return k.planTag() + "version" }

// PlanHistory lists every plan load, newest first (JSON).
func (k Keys) PlanHistory() string { return k.planTag() + "history" }

// PlanChanged is the pub/sub channel told of every plan load.
func (k Keys) PlanChanged() string { return k.planTag() + "changed" }
