// Package auth issues and checks scimd's bearer tokens. A token is a random secret shown to the
// administrator once; only its SHA-256 hash is stored. The package knows nothing of HTTP: the
// HTTP layer hands it the bearer value and gets back the token record or a 401 *scim.Error.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

// Prefix starts every scimd token. It makes a leaked token recognisable to secret scanners and
// to people, and lets Authenticate reject a value that is not a scimd token without a query.
const Prefix = "scimd_"

// secretBytes is the entropy of a token: 256 bits from crypto/rand.
const secretBytes = 32

// encoding is lower-case base32 without padding: case-insensitive to read aloud, no characters
// that need escaping in a header, a shell or a URL.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// lastChars are the characters that may end a token: 32 bytes fill 51 characters and 1 bit of
// the 52nd, so only the 2 characters whose 4 low bits are zero can come last.
const lastChars = "aq"

// TokenLen is the length of a token: the prefix and 52 base32 characters (256 bits).
const TokenLen = len(Prefix) + (secretBytes*8+4)/5

// Generate returns a new token and the hash to store for it. The secret must be shown to the
// administrator once and then forgotten: it cannot be recovered from the hash.
func Generate() (secret string, hash []byte, err error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read random bytes: %w", err)
	}
	secret = Prefix + encoding.EncodeToString(b)
	return secret, Hash(secret), nil
}

// Hash returns the SHA-256 of the whole token, the value the store keeps and looks tokens up
// by. A fast hash is right here (unlike for passwords): the secret has 256 bits of entropy, so
// there is nothing to brute-force, and a fast hash keeps authentication cheap on every request.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// LooksLikeToken reports whether s has the shape of a scimd token: the prefix, the right
// length and only lower-case base32 characters after the prefix. It says nothing about whether
// the token exists.
func LooksLikeToken(s string) bool {
	if len(s) != TokenLen || !strings.HasPrefix(s, Prefix) {
		return false
	}
	for i := len(Prefix); i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return strings.IndexByte(lastChars, s[len(s)-1]) >= 0
}
