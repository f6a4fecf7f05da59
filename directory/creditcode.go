package directory

import "strings"

// creditCharset is GB 32100-2015's alphabet: digits and capitals without I,
// O, Z, S and V; a character's value is its index.
const creditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are the weights of the first 17 characters.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCheckDigit computes the 18th character of a 统一社会信用代码 from its
// first 17 (GB 32100-2015): 31 minus the weighted sum mod 31, 31 read as 0.
// ok is false when first17 is not 17 characters of the code's alphabet.
func CreditCheckDigit(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditCharset, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditCharset[c], true
}

// ValidCreditCode reports whether code is an 18-character 统一社会信用代码
// whose check digit is right. Letters must be upper case.
func ValidCreditCode(code string) bool {
	if len(code) != 18 {
		return false
	}
	d, ok := CreditCheckDigit(code[:17])
	return ok && d == code[17]
}
