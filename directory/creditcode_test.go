package directory

import "testing"

func TestValidCreditCode(t *testing.T) {
	// The standard's own example and a published company code, then mutations.
	valid := []string{"91350100M000100Y43", "91110000710935732K"}
	for _, c := range valid {
		if !ValidCreditCode(c) {
			t.Errorf("ValidCreditCode(%q) = false, want true", c)
		}
	}
	invalid := []string{
		"91350100M000100Y44", // wrong check digit
		"91350100M000100Y4",  // 17 characters
		"91350100M000100Y431",
		"91350100m000100Y43", // lower case
		"91350100I000100Y43", // I is not in the alphabet
		"",
	}
	for _, c := range invalid {
		if ValidCreditCode(c) {
			t.Errorf("ValidCreditCode(%q) = true, want false", c)
		}
	}
}
