package question

import "strings"

// tradPairs lists traditional characters (and common variant forms) that
// occur in the plan's vocabulary, the question keywords and the subject
// synonyms, each followed by its simplified form. Normalize folds them, so
// "眼鏡店" reads as "眼镜店" and "任務7" as "任务7".
const tradPairs = "" +
	"務务鏡镜檢检計计產产認认證证廣广種种設设備备動动個个體体戶户時时間间開开結结" +
	"東东單单場场機机構构質质價价銷销醫医療疗眾众衆众鋼钢監监點点發发擔担麼么還还" +
	"幾几嗎吗這这們们從从與与專专項项號号頁页歲岁員员長长區区縣县級级風风險险類类" +
	"別别進进來来過过會会對对為为於于爲为麽么剩剩" +
	// plan and synonym words
	"劃划雙双隨随廳厅業业營营衛卫災灾術术裝装飾饰標标識识書书圖图輔辅說说規规範范" +
	"準准糧粮購购貿贸農农藥药品品電电視视臺台台台報报刊刊紙纸聞闻網网絡络環环" +
	"鍋锅爐炉梯梯壓压氣气罐罐車车輛辆線线據据總总數数應应實实現现況况據据條条" +
	"證证許许可可獲获廠厂飲饮醬酱製制肉肉腸肠碼码衡衡稱称器器測测驗验資资質质" +
	"軟软硬硬導导稅税財财務务倉仓儲储運运輸输鄉乡鎮镇園园區区號号縣县潞潞州州" +
	"長长治治屯屯壺壶黎黎襄襄陽阳澤泽沁沁武武鄉乡寶宝島岛勢势點点問问題题詢询" +
	"請请麻麻煩烦幫帮謝谢該该樣样麼么嗎吗呢呢誰谁負负責责牽牵頭头組组織织指指" +
	"導导內内容容詳详細细具具體体範范圍围象象頻频率率戶户家家次次佔占比比" +
	"剩剩餘余後后還还沒没完完結结束束截截止止期期將将馬马啟启屆届過过週周禮礼拜拜" +
	"季季度度半半年年份份歷历記记錄录讓让給给嗎吗麼么註注築筑強强務务實实驗验" +
	"沒没寫写標标僅仅鬥斗無无規规確确註注態态勢势營营閱阅讀读節节費费償偿權权護护決决傳传統统覽览盤盘綫线紀纪錶表鐘钟" +
	// dates and ratios
	"慶庆當当離离達达夠够滿满際际國国須须" +
	// Derived from OpenCC's TSCharacters.txt: every traditional form of a
	// character of the seed plan, the vocabulary (question/, department/)
	// and the typo confusion groups not listed above, leaving out
	// characters that are also simplified ones (乾, 覆, 像, 俱).
	"兩两箇个臨临爭争産产兒儿黨党關关齣出畫划彆别辦办勞劳賣卖卽即髮发變变檯台颱台閤合啓启復复複复審审傢家侷局層层崗岗佈布幹干榦干並并併并幷并庫库異异噹当彔录録录願愿執执敎教朮术楊杨査查欄栏覈核檔档鑪炉翫玩蓋盖眞真鞦秋競竞簽签籤签經经續续穫获証证評评訴诉診诊説说貨货貲资載载較较轄辖違违遲迟遞递鑑鉴鑒鉴門门麪面麫面麵面順顺鬚须領领齊齐嚴严側侧買买冊册凍冻減减剛刚隻只嚮向曏向悅悦戰战塗涂簡简勝胜誤误課课邁迈錢钱閲阅靜静誌志"

// tradMap is tradPairs as a rune map (pairs whose two runes are equal are
// listed only for completeness and left out).
var tradMap = func() map[rune]rune {
	rs := []rune(tradPairs)
	if len(rs)%2 != 0 {
		panic("question: tradPairs has an odd number of runes")
	}
	m := make(map[rune]rune, len(rs)/2)
	for i := 0; i < len(rs); i += 2 {
		if rs[i] != rs[i+1] {
			m[rs[i]] = rs[i+1]
		}
	}
	return m
}()

// Simplify folds the traditional characters of tradPairs to simplified;
// other text is unchanged.
func Simplify(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { _, ok := tradMap[r]; return ok }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if t, ok := tradMap[r]; ok {
			return t
		}
		return r
	}, s)
}
