package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits against abusive input: longer input, or deeper nesting of parentheses, "not" and
// value-path brackets, is an error rather than a deep recursion.
const (
	MaxLength = 8192
	MaxDepth  = 50
)

// Parse parses a whole filter (RFC 7644 §3.4.2.2). Operators and the keywords and, or, not,
// true, false and null are case-insensitive; "not" binds tighter than "and", which binds
// tighter than "or". Besides the RFC grammar it accepts what identity providers send:
//   - the Entra ID form `emails[type eq "work"].value eq "x"`, parsed as
//     ValuePath{emails, (type eq "work") and (value eq "x")};
//   - a bare word as a string value (`externalId eq jyoung`, as in Microsoft's documentation);
//   - inside brackets, a sub-attribute qualified by its parent (`emails[emails.type eq "work"]`),
//     normalised to the bare sub-attribute name.
//
// Every error is an *Error.
func Parse(s string) (Expr, error) {
	p, err := newParser(s, "filter", MaxLength)
	if err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectEnd(`"and", "or" or end of filter`); err != nil {
		return nil, err
	}
	return e, nil
}

// ParsePath parses a PATCH path (RFC 7644 §3.5.2 PATH rule): an attribute path
// (`name.givenName`, `urn:…:enterprise:2.0:User:manager`) or a value path optionally followed
// by a sub-attribute (`members[value eq "x"]`, `emails[type eq "work"].value`). Like every
// URN-qualified name, a bare schema URN splits at its last colon:
// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` is
// {URN: "urn:…:enterprise:2.0", Attr: "User"}; callers that accept extension URNs as paths
// compare Attr.String() with their schema ids.
func ParsePath(s string) (*Path, error) {
	p, err := newParser(s, "path", MaxLength)
	if err != nil {
		return nil, err
	}
	ap, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	path := &Path{Attr: ap}
	if p.tok.kind == tokLBracket {
		vp, sub, err := p.parseValuePath(ap)
		if err != nil {
			return nil, err
		}
		path.Filter, path.Sub = vp.Filter, sub
	}
	if err := p.expectEnd(`end of path`); err != nil {
		return nil, err
	}
	return path, nil
}

// ParseAttrPath parses one item of the attributes, excludedAttributes or sortBy parameters
// (RFC 7644 §3.10 attrPath): `userName`, `name.givenName`,
// `urn:…:enterprise:2.0:User:manager.value`. A bare schema URN
// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, which RFC 7644 §3.9 allows in
// attributes) cannot be told apart from a URN-qualified attribute without the schema, so, like
// every URN-qualified name, it splits at its last colon: {URN: "urn:…:enterprise:2.0",
// Attr: "User"}. Callers compare p.String() with their schema ids first.
func ParseAttrPath(s string) (AttrPath, error) {
	p, err := newParser(s, "attribute path", MaxLength)
	if err != nil {
		return AttrPath{}, err
	}
	ap, err := p.parseAttrPath()
	if err != nil {
		return AttrPath{}, err
	}
	if err := p.expectEnd("end of attribute path"); err != nil {
		return AttrPath{}, err
	}
	return ap, nil
}

// parser is a recursive-descent parser over the lexer with one token of lookahead.
type parser struct {
	lx    lexer
	tok   token
	what  string // "filter", "path", "attribute path": for end-of-input messages
	depth int
	// maxDepth is MaxDepth; tests lift it to check round trips of inputs at the limit.
	maxDepth int

	// inValue is the attribute whose [...] filter is being parsed, or nil outside brackets.
	inValue *AttrPath
}

// newParser checks the input as a whole and reads the first token.
func newParser(s, what string, maxLen int) (*parser, error) {
	if len(s) > maxLen {
		return nil, &Error{Pos: maxLen, Msg: fmt.Sprintf("%s longer than %d bytes", what, maxLen)}
	}
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return nil, &Error{Pos: i, Msg: "invalid UTF-8"}
	}
	p := &parser{lx: lexer{src: s}, what: what, maxDepth: MaxDepth}
	p.advance()
	if p.tok.kind == tokEOF {
		return nil, &Error{Pos: p.tok.pos, Msg: "empty " + what}
	}
	return p, nil
}

// advance moves to the next token.
func (p *parser) advance() { p.tok = p.lx.next() }

// unexpected reports that the current token is not what was expected.
func (p *parser) unexpected(expected string) *Error {
	switch p.tok.kind {
	case tokError:
		return p.tok.err
	case tokEOF:
		return &Error{Pos: p.tok.pos, Msg: fmt.Sprintf("unexpected end of %s, expected %s", p.what, expected)}
	}
	return &Error{Pos: p.tok.pos, Msg: fmt.Sprintf("expected %s, found %s", expected, p.tok.describe())}
}

// expectEnd checks that the input is used up.
func (p *parser) expectEnd(expected string) error {
	switch p.tok.kind {
	case tokEOF:
		return nil
	case tokRParen:
		return &Error{Pos: p.tok.pos, Msg: `unexpected ")" without matching "("`}
	case tokRBracket:
		return &Error{Pos: p.tok.pos, Msg: `unexpected "]" without matching "["`}
	}
	return p.unexpected(expected)
}

// isWord reports whether the current token is the keyword kw (case-insensitive).
func (p *parser) isWord(kw string) bool {
	return p.tok.kind == tokWord && strings.EqualFold(p.tok.raw, kw)
}

// enter counts one level of nesting and refuses too many.
func (p *parser) enter() error {
	p.depth++
	if p.depth > p.maxDepth {
		return &Error{Pos: p.tok.pos, Msg: fmt.Sprintf("%s nested too deeply (more than %d levels)", p.what, p.maxDepth)}
	}
	return nil
}

// parseOr parses `and-expression *("or" and-expression)`, left-associative.
func (p *parser) parseOr() (Expr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.advance()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &Logical{And: false, Left: left, Right: right}
	}
	return left, nil
}

// parseAnd parses `term *("and" term)`, left-associative.
func (p *parser) parseAnd() (Expr, error) {
	left, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.advance()
		right, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		left = &Logical{And: true, Left: left, Right: right}
	}
	return left, nil
}

// parseTerm parses `"not" "(" filter ")"`, `"(" filter ")"` or an attribute expression.
func (p *parser) parseTerm() (Expr, error) {
	switch {
	case p.isWord("not"):
		p.advance()
		if p.tok.kind != tokLParen {
			return nil, p.unexpected(`"(" after "not"`)
		}
		x, err := p.parseParens()
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case p.tok.kind == tokLParen:
		return p.parseParens()
	case p.isWord("and") || p.isWord("or"):
		return nil, p.unexpected(`attribute name, "not" or "("`)
	}
	return p.parseAttrExpr()
}

// parseParens parses `"(" filter ")"`; the current token is "(".
func (p *parser) parseParens() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	open := p.tok.pos
	p.advance()
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokRParen:
	case tokEOF:
		return nil, &Error{Pos: p.tok.pos, Msg: fmt.Sprintf(`missing closing parenthesis for "(" at position %d`, open)}
	default:
		return nil, p.unexpected(`"and", "or" or ")"`)
	}
	p.advance()
	p.depth--
	return x, nil
}

// parseAttrExpr parses `attrPath "pr"`, `attrPath compareOp value` or a value path with its
// optional Entra ID tail `.sub op value`.
func (p *parser) parseAttrExpr() (Expr, error) {
	ap, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tokLBracket {
		if p.inValue != nil {
			return nil, &Error{Pos: p.tok.pos, Msg: "nested value path not allowed"}
		}
		vp, sub, err := p.parseValuePath(ap)
		if err != nil {
			return nil, err
		}
		if sub == "" {
			return vp, nil
		}
		// Entra ID: `emails[type eq "work"].value eq "x"` means one element with both.
		cmp, err := p.parseComparison(AttrPath{Attr: sub})
		if err != nil {
			return nil, err
		}
		vp.Filter = &Logical{And: true, Left: vp.Filter, Right: cmp}
		return vp, nil
	}
	return p.parseComparison(ap)
}

// parseComparison parses `"pr"` or `compareOp value` after the path.
func (p *parser) parseComparison(path AttrPath) (Expr, error) {
	if p.tok.kind != tokWord {
		return nil, p.unexpected("comparison operator")
	}
	op := Op(strings.ToLower(p.tok.raw))
	switch op {
	case "pr":
		p.advance()
		return &Present{Path: path}, nil
	case OpEq, OpNe, OpCo, OpSw, OpEw, OpGt, OpGe, OpLt, OpLe:
	default:
		return nil, p.unexpected("comparison operator")
	}
	p.advance()
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &Compare{Path: path, Op: op, Value: v}, nil
}

// parseValue parses a comparison value: a JSON string, true, false, null or a JSON number.
// Leniency: any other bare word is taken as a string, because Microsoft documents Entra ID
// filters such as `externalId eq jyoung` without quotes. The keywords and, or and not are
// refused so that a forgotten value reads as an error, not as the string "and".
func (p *parser) parseValue() (any, error) {
	switch p.tok.kind {
	case tokString:
		v := p.tok.text
		p.advance()
		return v, nil
	case tokWord:
	default:
		return nil, p.unexpected("value")
	}
	w := p.tok.raw
	var v any
	switch strings.ToLower(w) {
	case "true":
		v = true
	case "false":
		v = false
	case "null":
		v = nil
	case "and", "or", "not":
		return nil, p.unexpected("value")
	default:
		if isNumber(w) {
			v = Number(w)
		} else {
			v = w
		}
	}
	p.advance()
	return v, nil
}

// parseValuePath parses `"[" valFilter "]" [ "." subAttr ]` after ap; the current token is
// "[". sub is "" when no ".subAttr" follows.
func (p *parser) parseValuePath(ap AttrPath) (vp *ValuePath, sub string, err error) {
	if ap.Sub != "" {
		return nil, "", &Error{Pos: p.tok.pos, Msg: fmt.Sprintf("a [...] filter must follow a multi-valued attribute, not the sub-attribute %q", ap.String())}
	}
	if err := p.enter(); err != nil {
		return nil, "", err
	}
	open := p.tok.pos
	p.advance()
	p.inValue = &ap
	f, err := p.parseOr()
	p.inValue = nil
	if err != nil {
		return nil, "", err
	}
	switch p.tok.kind {
	case tokRBracket:
	case tokEOF:
		return nil, "", &Error{Pos: p.tok.pos, Msg: fmt.Sprintf(`missing closing bracket for "[" at position %d`, open)}
	default:
		return nil, "", p.unexpected(`"and", "or" or "]"`)
	}
	p.depth--
	p.advance()
	vp = &ValuePath{Path: ap, Filter: f}
	if p.tok.kind == tokWord && p.tok.raw[0] == '.' {
		name := p.tok.raw[1:]
		if name == "" {
			return nil, "", &Error{Pos: p.tok.pos + 1, Msg: `expected sub-attribute name after "."`}
		}
		if err := checkSubName(name, p.tok.pos+1); err != nil {
			return nil, "", err
		}
		sub = name
		p.advance()
	}
	return vp, sub, nil
}

// parseAttrPath parses the current word as `[URN ":"] attrName ["." subAttr]`. Inside a value
// filter the name is a sub-attribute of the bracketed attribute: no URN, and a
// qualified `emails.type` inside `emails[...]` is normalised to `type`.
func (p *parser) parseAttrPath() (AttrPath, error) {
	if p.tok.kind != tokWord {
		return AttrPath{}, p.unexpected("attribute name")
	}
	w, pos := p.tok.raw, p.tok.pos
	ap, err := splitAttrPath(w, pos)
	if err != nil {
		return AttrPath{}, err
	}
	if p.inValue != nil {
		switch {
		case ap.URN != "":
			return AttrPath{}, &Error{Pos: pos, Msg: fmt.Sprintf("inside %s[...] name a sub-attribute without schema URN, found %s", p.inValue.String(), shorten(w))}
		case ap.Sub != "" && strings.EqualFold(ap.Attr, p.inValue.Attr):
			if err := checkSubName(ap.Sub, pos+len(ap.Attr)+1); err != nil {
				return AttrPath{}, err
			}
			ap = AttrPath{Attr: ap.Sub}
		case ap.Sub != "":
			return AttrPath{}, &Error{Pos: pos, Msg: fmt.Sprintf("inside %s[...] name a sub-attribute of %s, found %s", p.inValue.String(), p.inValue.Attr, shorten(w))}
		}
	}
	p.advance()
	return ap, nil
}

// splitAttrPath splits w, written at pos, into URN, attribute and sub-attribute. A name that
// starts with "urn:" (any case) is URN-qualified and the attribute is what follows the last
// colon, so the dots of "2.0" stay in the URN.
func splitAttrPath(w string, pos int) (AttrPath, error) {
	var ap AttrPath
	rest, restPos := w, pos
	if len(w) >= 4 && strings.EqualFold(w[:4], "urn:") {
		i := strings.LastIndexByte(w, ':')
		if i == 3 {
			return AttrPath{}, &Error{Pos: pos, Msg: fmt.Sprintf("schema URN missing in %s", shorten(w))}
		}
		if err := checkURN(w[:i], pos); err != nil {
			return AttrPath{}, err
		}
		ap.URN = w[:i]
		rest, restPos = w[i+1:], pos+i+1
		if rest == "" {
			return AttrPath{}, &Error{Pos: restPos, Msg: fmt.Sprintf("expected attribute name after schema URN %s", shorten(ap.URN))}
		}
	}
	name, sub, dotted := strings.Cut(rest, ".")
	if err := checkName(name, restPos); err != nil {
		return AttrPath{}, err
	}
	ap.Attr = name
	if dotted {
		subPos := restPos + len(name) + 1
		if sub == "" {
			return AttrPath{}, &Error{Pos: subPos, Msg: fmt.Sprintf(`expected sub-attribute name after "." in %s`, shorten(w))}
		}
		if err := checkName(sub, subPos); err != nil {
			return AttrPath{}, err
		}
		ap.Sub = sub
	}
	return ap, nil
}

// checkName checks an attribute name (RFC 7643 §2.1 ATTRNAME: ALPHA *(ALPHA / DIGIT / "-" /
// "_"), plus "$ref") written at pos.
func checkName(name string, pos int) error {
	if strings.EqualFold(name, "$ref") {
		return nil
	}
	if name == "" {
		return &Error{Pos: pos, Msg: "expected attribute name"}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isAlpha(c):
		case i > 0 && (isDigit(c) || c == '-' || c == '_'):
		case c == '.':
			return &Error{Pos: pos + i, Msg: fmt.Sprintf(`unexpected "." after sub-attribute in %s`, shorten(name))}
		case i == 0:
			return &Error{Pos: pos, Msg: fmt.Sprintf("invalid attribute name %s: must start with a letter", shorten(name))}
		default:
			r, _ := utf8.DecodeRuneInString(name[i:])
			return &Error{Pos: pos + i, Msg: fmt.Sprintf("invalid character %q in attribute name %s", r, shorten(name))}
		}
	}
	return nil
}

// checkSubName checks a sub-attribute name that ends up alone inside a value filter, where
// the keywords and, or and not could not be read back as names.
func checkSubName(name string, pos int) error {
	if err := checkName(name, pos); err != nil {
		return err
	}
	switch strings.ToLower(name) {
	case "and", "or", "not":
		return &Error{Pos: pos, Msg: fmt.Sprintf("%s is a keyword, not a sub-attribute name", shorten(name))}
	}
	return nil
}

// checkURN checks the characters of a schema URN (RFC 8141 NSS characters that can appear in
// a filter) and that it has no empty segment.
func checkURN(urn string, pos int) error {
	for i := 0; i < len(urn); i++ {
		c := urn[i]
		switch {
		case isAlpha(c) || isDigit(c) || strings.IndexByte("-._~!$&'*+,;=@/%", c) >= 0:
		case c == ':':
			if i+1 < len(urn) && urn[i+1] == ':' {
				return &Error{Pos: pos + i + 1, Msg: fmt.Sprintf("empty segment in schema URN %s", shorten(urn))}
			}
		default:
			r, _ := utf8.DecodeRuneInString(urn[i:])
			return &Error{Pos: pos + i, Msg: fmt.Sprintf("invalid character %q in schema URN %s", r, shorten(urn))}
		}
	}
	return nil
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
