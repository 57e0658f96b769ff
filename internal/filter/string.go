package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Binding strength of the nodes, for deciding where String needs parentheses.
const (
	precOr = iota + 1
	precAnd
	precTerm
)

// String renders e as canonical SCIM filter text: lower-case operators and keywords,
// JSON-quoted strings, single spaces, and parentheses only where the tree needs them, so that
// Parse(String(e)) returns a tree equal to e. A nil or unknown node renders as "<nil>" or
// "<invalid>", which does not parse.
func String(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, precOr)
	return b.String()
}

// String renders the PATCH path as SCIM text: `attr`, `attr[filter]` or `attr[filter].sub`.
func (p *Path) String() string {
	var b strings.Builder
	b.WriteString(p.Attr.String())
	if p.Filter != nil {
		b.WriteByte('[')
		writeExpr(&b, p.Filter, precOr)
		b.WriteByte(']')
		if p.Sub != "" {
			b.WriteByte('.')
			b.WriteString(p.Sub)
		}
	}
	return b.String()
}

// precedence returns how tightly e binds.
func precedence(e Expr) int {
	if l, ok := e.(*Logical); ok && l != nil {
		if l.And {
			return precAnd
		}
		return precOr
	}
	return precTerm
}

// writeExpr writes e, in parentheses when it binds less tightly than min.
func writeExpr(b *strings.Builder, e Expr, min int) {
	if precedence(e) < min {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch x := e.(type) {
	case *Logical:
		if x == nil {
			b.WriteString("<nil>")
			return
		}
		p := precedence(x)
		writeExpr(b, x.Left, p)
		if x.And {
			b.WriteString(" and ")
		} else {
			b.WriteString(" or ")
		}
		// Parse is left-associative: a right operand of the same strength needs parentheses.
		writeExpr(b, x.Right, p+1)
	case *Not:
		if x == nil {
			b.WriteString("<nil>")
			return
		}
		b.WriteString("not (")
		writeExpr(b, x.X, precOr)
		b.WriteByte(')')
	case *Compare:
		if x == nil {
			b.WriteString("<nil>")
			return
		}
		b.WriteString(x.Path.String())
		b.WriteByte(' ')
		b.WriteString(string(x.Op))
		b.WriteByte(' ')
		writeValue(b, x.Value)
	case *Present:
		if x == nil {
			b.WriteString("<nil>")
			return
		}
		b.WriteString(x.Path.String())
		b.WriteString(" pr")
	case *ValuePath:
		if x == nil {
			b.WriteString("<nil>")
			return
		}
		b.WriteString(x.Path.String())
		b.WriteByte('[')
		writeExpr(b, x.Filter, precOr)
		b.WriteByte(']')
	case nil:
		b.WriteString("<nil>")
	default:
		b.WriteString("<invalid>")
	}
}

// writeValue writes a comparison value as a JSON literal.
func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case Number:
		b.WriteString(string(x))
	case string:
		writeString(b, x)
	default:
		// Not produced by Parse; hand-built trees may hold Go numbers.
		fmt.Fprint(b, x)
	}
}

// writeString writes s as a JSON string, escaping only what JSON requires (quote, backslash,
// control characters) so that the text stays readable in logs and never grows beyond what a
// client had to write to produce s.
func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b.WriteString(`\ufffd`) // invalid UTF-8 in a hand-built tree
			} else {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		i++
	}
	b.WriteByte('"')
}
