// Package filter parses the SCIM filter language (RFC 7644 §3.4.2.2) and SCIM attribute paths
// (RFC 7644 §3.5.2 PATCH paths) into an AST. It is pure: no schema, no SQL, no HTTP. Callers
// resolve the names against the schema registry and compile the tree to whatever they need.
package filter

import (
	"strconv"
	"strings"
)

// Expr is a node of a filter: *Compare, *Present, *Logical, *Not or *ValuePath.
type Expr interface{ expr() }

// AttrPath names an attribute: an optional schema URN, an attribute and an optional
// sub-attribute, as written by the client (case is preserved; matching is case-insensitive).
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value" is
// {URN: "urn:…:2.0:User", Attr: "manager", Sub: "value"}.
type AttrPath struct {
	URN  string
	Attr string
	Sub  string
}

// String renders the path as SCIM text.
func (p AttrPath) String() string {
	var b strings.Builder
	if p.URN != "" {
		b.WriteString(p.URN)
		b.WriteByte(':')
	}
	b.WriteString(p.Attr)
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// Op is a comparison operator, always lower case.
type Op string

// The RFC 7644 §3.4.2.2 comparison operators ("pr" is the *Present node).
const (
	OpEq Op = "eq"
	OpNe Op = "ne"
	OpCo Op = "co"
	OpSw Op = "sw"
	OpEw Op = "ew"
	OpGt Op = "gt"
	OpGe Op = "ge"
	OpLt Op = "lt"
	OpLe Op = "le"
)

// Compare is `path op value`. Value is a string, a bool, nil (JSON null) or a json.Number-like
// Number; its type as written is kept so that the schema layer can check it.
type Compare struct {
	Path  AttrPath
	Op    Op
	Value any
}

// Number is a numeric literal kept as written ("42", "-1.5e3").
type Number string

// Present is `path pr`.
type Present struct {
	Path AttrPath
}

// Logical is `left and right` or `left or right`.
type Logical struct {
	And         bool // false means "or"
	Left, Right Expr
}

// Not is `not (x)`.
type Not struct {
	X Expr
}

// ValuePath is `attr[filter]`: true when one element of the multi-valued attribute Path
// satisfies Filter, whose paths name sub-attributes of that element (Path.Sub is empty). The
// Entra ID form `emails[type eq "work"].value eq "x"` parses to
// ValuePath{emails, (type eq "work") and (value eq "x")}.
type ValuePath struct {
	Path   AttrPath
	Filter Expr
}

func (*Compare) expr()   {}
func (*Present) expr()   {}
func (*Logical) expr()   {}
func (*Not) expr()       {}
func (*ValuePath) expr() {}

// Path is a PATCH target (RFC 7644 §3.5.2 "PATH" rule): attrPath, or valuePath optionally
// followed by ".subAttr". Filter is nil unless the path had "[...]". For
// `emails[type eq "work"].value` it is {Attr: {Attr: "emails"}, Filter: type eq "work",
// Sub: "value"}; for `name.givenName` it is {Attr: {Attr: "name", Sub: "givenName"}}.
type Path struct {
	Attr   AttrPath
	Filter Expr
	Sub    string
}

// Error is a parse error: Pos is the 0-based byte offset in the input where the problem was
// found and Msg says what the problem is. Error() reads "at position N: msg".
type Error struct {
	Pos int
	Msg string
}

// Error implements error: "at position N: msg".
func (e *Error) Error() string {
	return "at position " + strconv.Itoa(e.Pos) + ": " + e.Msg
}
