package filter

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// tokenKind classifies a token.
type tokenKind int

const (
	tokEOF      tokenKind = iota
	tokLParen             // (
	tokRParen             // )
	tokLBracket           // [
	tokRBracket           // ]
	tokString             // a JSON string literal; text holds the decoded value
	tokWord               // a run of other characters: names, operators, keywords, numbers
	tokError              // a lexical error; err says what
)

// token is one lexical unit. pos is the byte offset of its first character; raw is its text as
// written in the input.
type token struct {
	kind tokenKind
	pos  int
	raw  string
	text string // decoded value of a tokString
	err  *Error // set for tokError
}

// describe names the token in an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokString:
		return "string " + shorten(t.raw)
	default:
		return shorten(t.raw)
	}
}

// shorten quotes client text for an error message and keeps it short.
func shorten(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// lexer splits the input into tokens on demand, so that the parser reports the first problem
// in reading order. Whitespace is spaces and tabs (url.ParseQuery has already turned "+" into
// a space).
type lexer struct {
	src string
	pos int
}

// isDelim reports whether c ends a word.
func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '(', ')', '[', ']', '"':
		return true
	}
	return false
}

// isControl reports whether c is an ASCII control character.
func isControl(c byte) bool {
	return c < 0x20 || c == 0x7f
}

// next returns the next token. After tokEOF or tokError it keeps returning the same.
func (l *lexer) next() token {
	for l.pos < len(l.src) && (l.src[l.pos] == ' ' || l.src[l.pos] == '\t') {
		l.pos++
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tokEOF, pos: start}
	}
	c := l.src[start]
	single := func(k tokenKind) token {
		l.pos++
		return token{kind: k, pos: start, raw: l.src[start:l.pos]}
	}
	switch {
	case c == '(':
		return single(tokLParen)
	case c == ')':
		return single(tokRParen)
	case c == '[':
		return single(tokLBracket)
	case c == ']':
		return single(tokRBracket)
	case c == '"':
		return l.lexString()
	case isControl(c):
		return l.fail(start, fmt.Sprintf("unexpected control character %q", c))
	}
	for l.pos < len(l.src) && !isDelim(l.src[l.pos]) {
		if isControl(l.src[l.pos]) {
			return l.fail(l.pos, fmt.Sprintf("unexpected control character %q", l.src[l.pos]))
		}
		l.pos++
	}
	return token{kind: tokWord, pos: start, raw: l.src[start:l.pos]}
}

// fail returns an error token and stops the lexer.
func (l *lexer) fail(pos int, msg string) token {
	l.pos = len(l.src)
	return token{kind: tokError, pos: pos, err: &Error{Pos: pos, Msg: msg}}
}

// lexString reads a JSON string literal (RFC 8259 §7) starting at the opening quote. The input
// is known to be valid UTF-8. Raw control characters, unknown escapes, lone surrogates and NUL
// are errors: NUL cannot be stored in a Postgres text column, and the rest is not JSON.
func (l *lexer) lexString() token {
	s := l.src
	start := l.pos
	var b strings.Builder
	i := start + 1
	for {
		if i >= len(s) {
			return l.fail(start, "unterminated string")
		}
		c := s[i]
		switch {
		case c == '"':
			l.pos = i + 1
			return token{kind: tokString, pos: start, raw: s[start:l.pos], text: b.String()}
		case c == '\\':
			if i+1 >= len(s) {
				return l.fail(start, "unterminated string")
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, n, err := unicodeEscape(s, i)
				if err != nil {
					l.pos = len(s)
					return token{kind: tokError, pos: err.Pos, err: err}
				}
				b.WriteRune(r)
				i += n
				continue
			default:
				return l.fail(i, fmt.Sprintf("invalid escape %q in string", s[i:i+2]))
			}
			i += 2
		case isControl(c) && c != 0x7f:
			return l.fail(i, fmt.Sprintf("control character %q in string must be escaped", c))
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// unicodeEscape decodes the \uXXXX escape at s[i] (and the low surrogate that must follow a
// high one) and returns the rune and the number of bytes consumed.
func unicodeEscape(s string, i int) (rune, int, *Error) {
	r, ok := hex4(s, i+2)
	if !ok {
		return 0, 0, &Error{Pos: i, Msg: `invalid \u escape in string: expected four hex digits`}
	}
	switch {
	case r == 0:
		return 0, 0, &Error{Pos: i, Msg: `NUL character (\u0000) not allowed in string`}
	case utf16.IsSurrogate(r):
		if r >= 0xDC00 || i+12 > len(s) || s[i+6] != '\\' || s[i+7] != 'u' {
			return 0, 0, &Error{Pos: i, Msg: `unpaired surrogate in \u escape`}
		}
		lo, ok := hex4(s, i+8)
		if !ok {
			return 0, 0, &Error{Pos: i + 6, Msg: `invalid \u escape in string: expected four hex digits`}
		}
		pair := utf16.DecodeRune(r, lo)
		if pair == 0xFFFD {
			return 0, 0, &Error{Pos: i, Msg: `unpaired surrogate in \u escape`}
		}
		return pair, 12, nil
	}
	return r, 6, nil
}

// hex4 parses four hex digits at s[i:i+4].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// isNumber reports whether s is a JSON number (RFC 8259 §6).
func isNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
