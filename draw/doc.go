// Package draw is the 双随机 draw: which entities of a plan item's scope are
// checked (the first random draw) and which inspectors check each of them
// (the second). A draw is a pure function of the item, the entity and
// inspector snapshots, the parameters and a 32-byte seed, so anyone holding
// the record can re-run it and get the same result (Verify). It imports
// neither Redis, WeCom nor config loading.
//
// # Algorithm choucha-draw/1
//
// Notation: H(x) is SHA-256; ‖ is concatenation; 0 is one zero byte;
// strings are UTF-8; "first 8 bytes as a number" reads them big-endian as an
// unsigned 64-bit integer; byte order compares strings or hashes byte by
// byte, as unsigned numbers.
//
// Groups. An item whose initiators (Departments.Initiators) include
// 各县区局 is drawn per county or district: one group per configured
// county (Params.Counties, in that order), holding the candidates whose
// 所属区县 is that county; the group's pool units are that county. Any other
// item has one group, 市市场监督管理局, holding every candidate; its pool
// units are the item's lead sections (Role 牵头, resolved to configured
// section names) or, when it names none, every configured section and
// 市市场监督管理局 itself. Guiding sections (指导) never change a pool: they
// guide, they do not inspect.
//
// Candidates. The entities that are active (存续, 在业) and list the item
// among their 抽查任务. A candidate's class is its risk class, with
// unclassified ones counted as Params.UnclassifiedAs. For an item without a
// risk requirement (Risk.Differentiated false) all of a group's candidates
// form one class. A candidate's key is H(seed ‖ "entity" ‖ 0 ‖ itemID ‖ 0 ‖
// creditCode); a credit code may occur only once among the candidates.
//
// Counts. The base ratio is Ratio.Percent in millionths, r = round(Percent ×
// 10⁴) (5% = 50000; the plan's ratio must be exact to 0.0001%). A class of
// n candidates draws k = min(n, ⌈n × r × m / 10⁸⌉) with integer arithmetic,
// where m is the class's multiplier in hundredths (Params.Multipliers for
// A, B, C, D; 100 for a uniform draw): 30% of 10 is exactly 3, and a 100%
// item takes everyone. If the plan gives an explicit count c (Ratio.Count,
// 10户) and the group's class counts add up to less than min(c, N), N the
// group's candidates, the group draws the difference as extra. The count
// applies to each group, so to each county for a county item.
//
// Entities. In each group and class, the k candidates with the smallest
// keys (byte order) are drawn; then the extra, if any, are the candidates
// with the smallest keys among the group's remaining ones, whatever their
// class. A group's drawn entities are listed in key order: the draw order.
//
// Pools. A group's pool is the inspectors whose 所属部门 is one of its pool
// units and who may execute the item (可执行任务 is 全部 or lists it), in
// userid byte order. Each drawn entity needs P = Params.InspectorsPerEntity
// distinct pool members who do not avoid it (回避对象). Before anything is
// drawn, every group that draws at least one entity is checked: its pool has
// at least P members and every one of its candidates, drawn or not, has at
// least P members who do not avoid it; otherwise the draw fails with all
// such problems and no result, whatever the seed.
//
// Inspectors, greedy pass. Per group, every pool member i has the number
// B_i, the first 8 bytes of H(seed ‖ "inspector" ‖ 0 ‖ itemID ‖ 0 ‖ userid).
// Each drawn entity, with key K, has numbers A_0 … A_{P−1}: A_j is bytes
// 8+8j to 15+8j, as a number, of the stream K ‖ H(K ‖ "1") ‖ H(K ‖ "2") ‖ …
// (the counters are decimal text), so for P ≤ 3 simply the rest of K after
// the first 8 bytes that ordered the entities. Every load starts at 0. The
// drawn entities are taken in draw order; for slot j = 0 … P−1, the entity
// gets, among the pool members who neither avoid it nor have been given it
// already, the one with the least load, then the least A_j XOR B_i, then the
// smaller userid; then the loads of its P inspectors go up by one. Without
// avoidance this keeps every load within one of every other. (A XOR B
// rather than a hash of each pair lets the least be found in a trie of the
// B values, without hashing the whole pool for every entity.)
//
// Inspectors, rebalancing. Then, while some loads differ by two or more:
// for each load level l present, from the highest down to the lowest + 2,
// search breadth-first for a chain from the members with load l to a member
// with load ≤ l − 2. The queue starts with the members of load l in userid
// order; everyone else is unvisited, kept in userid order. Taking the
// member u at the head of the queue, for each entity u holds, in draw order,
// visit every unvisited member w, in userid order, who neither avoids the
// entity nor holds it: w's parent is (u, that entity), and w joins the end
// of the queue, except that the first w visited with load ≤ l − 2 ends the
// search. The chain then moves, from w back to the start, each parent's
// entity from the parent to the child, in the same slot, so the start loses
// one and w gains one, and rebalancing starts again from the highest level.
// When no level finds a chain, the loads are as even as the avoidances
// allow: max − min ≤ 1 whenever any assignment achieves it.
//
// Result. The drawn entities per group in draw order with their class (empty
// for a uniform draw) and their inspectors' userids by slot. Result.Hash is
// "sha256:" and the hex of H over this UTF-8 text, each line ended by "\n",
// fields separated by one tab:
//
//	choucha-draw/1
//	item	<item id>
//	group	<group name>                    one line per group, in order, each followed by
//	entity	<credit code>	<class>	<userid>,<userid>,…   one line per drawn entity, in draw order
//
// A Record adds who drew, when, the snapshot hashes, the parameters and the
// seed; Verify re-runs the draw from them.
package draw

// Algorithm names the algorithm above. A change to anything that can change
// a result gets a new name; records keep the name they were drawn with.
const Algorithm = "choucha-draw/1"
