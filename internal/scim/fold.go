package scim

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Fold returns the case-folded form of s used for every case-insensitive comparison in scimd
// and stored in the *_fold columns: s in Unicode normalisation form C, then lower-cased. NFC
// first makes a precomposed "é" and "e" + combining accent compare equal.
func Fold(s string) string {
	return strings.ToLower(norm.NFC.String(s))
}
