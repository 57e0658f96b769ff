package sqlstore

// Temporary stand-in for filter.Parse while H1's parser is being written; replaced by
// filter.Parse once it exists.

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/scimd/scimd/internal/filter"
)

type tmpParser struct {
	s   string
	pos int
}

func parseFilter(s string) (filter.Expr, error) {
	p := &tmpParser{s: s}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("trailing input at %d", p.pos)
	}
	return e, nil
}

func (p *tmpParser) ws() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *tmpParser) word() string {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(" ()[]\"", rune(p.s[p.pos])) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *tmpParser) peekWord() string {
	save := p.pos
	w := p.word()
	p.pos = save
	return w
}

func (p *tmpParser) or() (filter.Expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peekWord(), "or") {
		p.word()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &filter.Logical{Left: l, Right: r}
	}
	return l, nil
}

func (p *tmpParser) and() (filter.Expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peekWord(), "and") {
		p.word()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &filter.Logical{And: true, Left: l, Right: r}
	}
	return l, nil
}

func (p *tmpParser) unary() (filter.Expr, error) {
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return e, nil
	}
	if strings.EqualFold(p.peekWord(), "not") {
		p.word()
		p.ws()
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &filter.Not{X: e}, nil
	}
	return p.attrExpr()
}

func splitPath(w string) filter.AttrPath {
	var ap filter.AttrPath
	if i := strings.LastIndex(w, ":"); i >= 0 {
		ap.URN, w = w[:i], w[i+1:]
	}
	if i := strings.Index(w, "."); i >= 0 {
		ap.Attr, ap.Sub = w[:i], w[i+1:]
	} else {
		ap.Attr = w
	}
	return ap
}

func (p *tmpParser) attrExpr() (filter.Expr, error) {
	w := p.word()
	if w == "" {
		return nil, fmt.Errorf("expected attribute at %d", p.pos)
	}
	path := splitPath(w)
	if p.pos < len(p.s) && p.s[p.pos] == '[' {
		p.pos++
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != ']' {
			return nil, fmt.Errorf("missing ]")
		}
		p.pos++
		if p.pos < len(p.s) && p.s[p.pos] == '.' {
			p.pos++
			sub := p.word()
			cmp, err := p.comparison(filter.AttrPath{Attr: sub})
			if err != nil {
				return nil, err
			}
			inner = &filter.Logical{And: true, Left: inner, Right: cmp}
		}
		return &filter.ValuePath{Path: path, Filter: inner}, nil
	}
	return p.comparison(path)
}

func (p *tmpParser) comparison(path filter.AttrPath) (filter.Expr, error) {
	op := strings.ToLower(p.word())
	if op == "pr" {
		return &filter.Present{Path: path}, nil
	}
	p.ws()
	var v any
	if p.pos < len(p.s) && p.s[p.pos] == '"' {
		dec := json.NewDecoder(strings.NewReader(p.s[p.pos:]))
		var s string
		if err := dec.Decode(&s); err != nil {
			return nil, err
		}
		p.pos += int(dec.InputOffset())
		v = s
	} else {
		w := p.word()
		switch {
		case w == "true":
			v = true
		case w == "false":
			v = false
		case w == "null":
			v = nil
		case w != "" && (unicode.IsDigit(rune(w[0])) || w[0] == '-'):
			v = filter.Number(w)
		default:
			return nil, fmt.Errorf("bad value %q", w)
		}
	}
	return &filter.Compare{Path: path, Op: filter.Op(op), Value: v}, nil
}
