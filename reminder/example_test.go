package reminder_test

import (
	"os"

	"github.com/changzhi-amr/choucha/reminder"
	"github.com/changzhi-amr/choucha/reminder/remindertest"
)

// The calendar of the 特种设备安全监察科 for the 2023 plan, as
// `reminders --from 2023-01-01 --to 2023-12-31 --dept 特种设备安全监察科`
// prints it (here with that section left unmapped in the config).
func ExampleFormatCalendar() {
	rules, err := reminder.NewRules(remindertest.Options("特种设备安全监察科"), loc)
	if err != nil {
		panic(err)
	}
	rs := reminder.Calendar(remindertest.Seed2023(), rules, cal, d("2023-01-01"), d("2023-03-31"), "特种设备安全监察科")
	_ = reminder.FormatCalendar(os.Stdout, rs)
	// Output:
	// 2023-02-22 周三  17 即将开始（提前7天）  → 特种设备安全监察科：未配置接收人
	//     抽查提醒｜即将开始
	//     任务：17 对特种设备生产许可证获证企业常规监督检查的双随机抽查
	//     事项：1、特种设备生产许可证；2、书面任命质量技术负责人
	//     抽查时间：3月-12月（2023-03-01 至 2023-12-31）
	//     接收单位：特种设备安全监察科（牵头）
	//     距抽查开始还有 7 天（2023-03-01 开始）。请提前做好准备：核对检查对象名录库和执法检查人员名录库，确定抽取方案。
	//     作为牵头科室，请统筹组织实施，掌握整体进度。
	// 2023-03-01 周三  17 已开始  → 特种设备安全监察科：未配置接收人
	//     抽查提醒｜已开始
	//     任务：17 对特种设备生产许可证获证企业常规监督检查的双随机抽查
	//     事项：1、特种设备生产许可证；2、书面任命质量技术负责人
	//     抽查时间：3月-12月（2023-03-01 至 2023-12-31）
	//     接收单位：特种设备安全监察科（牵头）
	//     抽查时间已开始，2023-12-31 截止，还有 305 天。请按计划抽取检查对象和执法检查人员，组织实施检查。
	//     作为牵头科室，请统筹组织实施，掌握整体进度。
	// 共 2 条提醒
}
