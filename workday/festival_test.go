package workday

import "testing"

// Festival reads the holiday data where it covers the year and computes
// the date elsewhere; both agree with the State Council notices.
func TestFestival(t *testing.T) {
	c := New(nil)
	for _, f := range []struct {
		year int
		name string
		want string
	}{
		{2023, "春节", "2023-01-22"}, {2023, "国庆节", "2023-10-01"}, {2023, "中秋节", "2023-09-29"},
		{2023, "劳动节", "2023-05-01"}, {2023, "端午节", "2023-06-22"}, {2023, "清明节", "2023-04-05"}, {2023, "元旦节", "2023-01-01"},
		{2024, "春节", "2024-02-10"}, {2026, "春节", "2026-02-17"}, {2026, "中秋节", "2026-09-25"},
		// Beyond the data: computed.
		{2030, "春节", "2030-02-03"}, {2030, "国庆节", "2030-10-01"}, {2030, "端午节", "2030-06-05"}, {2030, "中秋节", "2030-09-12"}, {2030, "清明节", "2030-04-05"},
	} {
		got, ok := c.Festival(f.year, f.name)
		if !ok || got.Format("2006-01-02") != f.want {
			t.Errorf("Festival(%d, %s) = %s %v, want %s", f.year, f.name, got.Format("2006-01-02"), ok, f.want)
		}
	}
	if _, ok := c.Festival(2023, "圣诞节"); ok {
		t.Error("Festival knows 圣诞节")
	}
}
