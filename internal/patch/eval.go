package patch

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// This file evaluates the filter of a PATCH value path (`emails[type eq "work" and primary eq
// true]`) in Go, against one element of a complex attribute. The store compiles list filters
// to SQL; PATCH needs the same semantics on a document it already holds.

// checkFilter validates a value-path filter against the sub-attributes of the complex
// attribute a, so that evaluation never meets a name it cannot resolve. Unknown sub-attributes
// and nested value paths are 400 invalidPath (the filter is part of the path); an ordering
// comparison on a boolean or binary sub-attribute is 400 invalidFilter (RFC 7644 §3.4.2.2).
func checkFilter(a *scim.Attribute, e filter.Expr) error {
	switch x := e.(type) {
	case *filter.Compare:
		sub := filterSub(a, x.Path)
		if sub == nil {
			return scim.InvalidPath("the filter on %q names %q, which is not one of its sub-attributes", a.Name, x.Path.String())
		}
		if sub.Type == scim.TypeComplex {
			return scim.InvalidFilter("the filter on %q cannot compare the complex attribute %q", a.Name, sub.Name)
		}
		switch x.Op {
		case filter.OpEq, filter.OpNe, filter.OpCo, filter.OpSw, filter.OpEw:
		case filter.OpGt, filter.OpGe, filter.OpLt, filter.OpLe:
			if sub.Type == scim.TypeBoolean || sub.Type == scim.TypeBinary {
				return scim.InvalidFilter("operator %q is not supported for the %s attribute %q", x.Op, sub.Type, a.Name+"."+sub.Name)
			}
		default:
			return scim.InvalidFilter("unsupported operator %q", x.Op)
		}
		return nil
	case *filter.Present:
		if filterSub(a, x.Path) == nil {
			return scim.InvalidPath("the filter on %q names %q, which is not one of its sub-attributes", a.Name, x.Path.String())
		}
		return nil
	case *filter.Logical:
		if x.Left == nil || x.Right == nil {
			return scim.InvalidPath("incomplete filter on %q", a.Name)
		}
		if err := checkFilter(a, x.Left); err != nil {
			return err
		}
		return checkFilter(a, x.Right)
	case *filter.Not:
		if x.X == nil {
			return scim.InvalidPath("incomplete filter on %q", a.Name)
		}
		return checkFilter(a, x.X)
	case *filter.ValuePath:
		return scim.InvalidPath("the filter on %q cannot contain another [...] filter", a.Name)
	}
	return scim.InvalidPath("unsupported filter on %q", a.Name)
}

// filterSub resolves a path inside a value filter: a sub-attribute name ("type"), or the
// attribute's own name and a sub-attribute ("emails.type"), compared case-insensitively.
func filterSub(a *scim.Attribute, p filter.AttrPath) *scim.Attribute {
	if p.URN != "" {
		return nil
	}
	if p.Sub == "" {
		return findSub(a, p.Attr)
	}
	if !strings.EqualFold(p.Attr, a.Name) {
		return nil
	}
	return findSub(a, p.Sub)
}

// findSub returns the sub-attribute of a named name (case-insensitive), or nil.
func findSub(a *scim.Attribute, name string) *scim.Attribute {
	for _, s := range a.SubAttributes {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// matches reports whether elem, one element of the complex attribute a, satisfies e. e must
// have passed checkFilter; anything it cannot evaluate is false. Strings compare with the
// sub-attribute's caseExact (case-insensitively through scim.Fold otherwise), numbers
// numerically, dateTimes chronologically and booleans as booleans.
func matches(a *scim.Attribute, e filter.Expr, elem map[string]any) bool {
	switch x := e.(type) {
	case *filter.Compare:
		sub := filterSub(a, x.Path)
		if sub == nil {
			return false
		}
		return compare(sub, x.Op, elem[sub.Name], x.Value)
	case *filter.Present:
		sub := filterSub(a, x.Path)
		return sub != nil && !scim.IsUnassigned(elem[sub.Name])
	case *filter.Logical:
		if x.And {
			return matches(a, x.Left, elem) && matches(a, x.Right, elem)
		}
		return matches(a, x.Left, elem) || matches(a, x.Right, elem)
	case *filter.Not:
		return !matches(a, x.X, elem)
	}
	return false
}

// compare evaluates `sub op lit` for the element's value v.
func compare(sub *scim.Attribute, op filter.Op, v, lit any) bool {
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			return compare(sub, op, nil, lit)
		}
		// A multi-valued sub-attribute matches when one of its values does.
		for _, x := range list {
			if compare(sub, op, x, lit) {
				return true
			}
		}
		return false
	}
	switch op {
	case filter.OpEq:
		if lit == nil {
			return scim.IsUnassigned(v)
		}
		return equalLiteral(sub, v, lit)
	case filter.OpNe:
		if lit == nil {
			return !scim.IsUnassigned(v)
		}
		return !equalLiteral(sub, v, lit)
	case filter.OpCo, filter.OpSw, filter.OpEw:
		vs, ok1 := v.(string)
		ls, ok2 := lit.(string)
		if !ok1 || !ok2 || !isStringType(sub.Type) {
			return false
		}
		if !sub.CaseExact {
			vs, ls = scim.Fold(vs), scim.Fold(ls)
		}
		switch op {
		case filter.OpCo:
			return strings.Contains(vs, ls)
		case filter.OpSw:
			return strings.HasPrefix(vs, ls)
		default:
			return strings.HasSuffix(vs, ls)
		}
	case filter.OpGt, filter.OpGe, filter.OpLt, filter.OpLe:
		c, ok := order(sub, v, lit)
		if !ok {
			return false
		}
		switch op {
		case filter.OpGt:
			return c > 0
		case filter.OpGe:
			return c >= 0
		case filter.OpLt:
			return c < 0
		default:
			return c <= 0
		}
	}
	return false
}

func isStringType(t scim.AttrType) bool {
	return t == scim.TypeString || t == scim.TypeReference || t == scim.TypeBinary || t == scim.TypeDateTime
}

// equalLiteral reports whether the document value v equals the filter literal lit for sub.
func equalLiteral(sub *scim.Attribute, v, lit any) bool {
	switch sub.Type {
	case scim.TypeBoolean:
		vb, ok1 := asBool(v)
		lb, ok2 := asBool(lit)
		return ok1 && ok2 && vb == lb
	case scim.TypeInteger, scim.TypeDecimal:
		vf, ok1 := asFloat(v)
		lf, ok2 := asFloat(lit)
		return ok1 && ok2 && vf == lf
	case scim.TypeDateTime:
		if c, ok := compareTimes(v, lit); ok {
			return c == 0
		}
		return false
	}
	vs, ok1 := v.(string)
	ls, ok2 := lit.(string)
	if !ok1 || !ok2 {
		return false
	}
	if sub.CaseExact {
		return vs == ls
	}
	return scim.Fold(vs) == scim.Fold(ls)
}

// order compares v with lit for gt/ge/lt/le: -1, 0 or 1, and false when they are not
// comparable.
func order(sub *scim.Attribute, v, lit any) (int, bool) {
	switch sub.Type {
	case scim.TypeInteger, scim.TypeDecimal:
		vf, ok1 := asFloat(v)
		lf, ok2 := asFloat(lit)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch {
		case vf < lf:
			return -1, true
		case vf > lf:
			return 1, true
		}
		return 0, true
	case scim.TypeDateTime:
		return compareTimes(v, lit)
	case scim.TypeString, scim.TypeReference:
		vs, ok1 := v.(string)
		ls, ok2 := lit.(string)
		if !ok1 || !ok2 {
			return 0, false
		}
		if !sub.CaseExact {
			vs, ls = scim.Fold(vs), scim.Fold(ls)
		}
		return strings.Compare(vs, ls), true
	}
	return 0, false
}

func compareTimes(v, lit any) (int, bool) {
	vs, ok1 := v.(string)
	ls, ok2 := lit.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	vt, err1 := time.Parse(time.RFC3339Nano, vs)
	lt, err2 := time.Parse(time.RFC3339Nano, ls)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return vt.Compare(lt), true
}

// asBool reads a boolean; the strings "true" and "false" in any case count, because Entra ID
// filters on `roles[primary eq "True"]` (entra.md §4.15).
func asBool(v any) (bool, bool) {
	switch b := v.(type) {
	case bool:
		return b, true
	case string:
		switch {
		case strings.EqualFold(b, "true"):
			return true, true
		case strings.EqualFold(b, "false"):
			return false, true
		}
	}
	return false, false
}

func asFloat(v any) (float64, bool) {
	var s string
	switch n := v.(type) {
	case json.Number:
		s = string(n)
	case filter.Number:
		s = string(n)
	case float64:
		return n, !math.IsNaN(n)
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
