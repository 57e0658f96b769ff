package sqlstore

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// This file compiles a parsed SCIM filter (RFC 7644 §3.4.2.2) into a parameterised SQL WHERE
// fragment. The compiler is shared by every SQL backend; what differs between Postgres and SQLite
// (placeholders, case folding, JSON access, typed casts, pattern matching) sits behind
// FilterDialect, implemented in filter_postgres.go and filter_sqlite.go.
//
// Invariants:
//   - Every value from the filter is a bind parameter. Attribute names never come from the
//     filter text: JSON keys are the registry's canonical Attribute.Name and Schema.ID, checked
//     against a strict character set and then quoted as SQL string literals.
//   - Every fragment the compiler produces is two-valued where it matters: "not" is compiled as
//     "(x) IS NOT TRUE", so an absent attribute (SQL NULL) makes a comparison false and its
//     negation true, as a SCIM client expects.
//   - Column references are qualified with the resource's table name ("users" or "groups"), so
//     the caller must select FROM that table without an alias.

// JSONRef names a JSON value inside a SQL row: Root is a SQL expression holding JSON (the
// document column, or one element of a JSON array produced by FilterDialect.JSONElements) and
// Keys are the object keys to follow from it. The compiler only ever appends Keys; Root and the
// unexported fields are set by the dialect.
type JSONRef struct {
	Root string
	Keys []string
	// each is the alias of the SQLite json_each row Root belongs to ("" otherwise): the element's
	// own value and JSON type are the columns value and type of that row.
	each string
}

// with returns r extended by keys.
func (r JSONRef) with(keys ...string) JSONRef {
	k := make([]string, 0, len(r.Keys)+len(keys))
	k = append(k, r.Keys...)
	k = append(k, keys...)
	return JSONRef{Root: r.Root, Keys: k, each: r.each}
}

// MatchKind is a substring operator: contains, starts with or ends with.
type MatchKind int

// The substring operators of RFC 7644 §3.4.2.2.
const (
	MatchContains MatchKind = iota + 1 // co
	MatchPrefix                        // sw
	MatchSuffix                        // ew
)

// FilterDialect is what the filter compiler needs from a SQL backend. Implementations must be
// stateless; PostgresFilter and SQLiteFilter are the two scimd ships.
//
// Typed values passed to Arg are: string (for string, reference and binary attributes), bool,
// filter.Number already checked to parse as an integer or decimal, and time.Time (UTC).
type FilterDialect interface {
	// Placeholder returns the bind parameter marker of the n-th argument (1-based): "$n" on
	// Postgres, "?" on SQLite (so arguments must be appended in textual order, which the
	// compiler does).
	Placeholder(n int) string
	// Param wraps a placeholder so that it compares with values of type t, e.g. "$3::numeric".
	Param(placeholder string, t scim.AttrType) string
	// Arg converts a typed filter value of type t into the driver argument Param expects.
	Arg(t scim.AttrType, v any) any
	// Fold returns SQL that case-folds the text expression expr exactly like scim.Fold.
	Fold(expr string) string
	// Ordered returns expr (text) with the collation used for gt/ge/lt/le, so that string order
	// is code point order on every backend.
	Ordered(expr string) string
	// UUIDText returns the text form of a UUID-valued column (for substring and order
	// operators on ids).
	UUIDText(expr string) string
	// TimeColumnArg returns the bind argument that compares with a timestamp column
	// (created_at, last_modified) as it is stored, so that the comparison can use the column's
	// index and keeps the column's full (microsecond) precision on every backend.
	TimeColumnArg(t time.Time) any
	// Match returns a predicate testing text expression expr against the pattern bound at
	// placeholder; MatchPattern builds that pattern from a literal, escaping every wildcard.
	Match(expr, placeholder string) string
	// MatchPattern returns the pattern for Match that finds s as kind, with s's wildcard and
	// escape characters taken literally.
	MatchPattern(kind MatchKind, s string) string
	// JSONScalar returns SQL for the scalar at r converted for comparisons of type t (text,
	// boolean, number, timestamp); NULL when r is absent, null or holds another JSON type.
	JSONScalar(r JSONRef, t scim.AttrType) string
	// JSONNonEmptyObject returns a predicate true when r holds a JSON object with members.
	JSONNonEmptyObject(r JSONRef) string
	// JSONElements returns a FROM item iterating over the elements of the JSON array at r,
	// aliased alias, a predicate to AND into the subquery's WHERE ("" for none) so that
	// non-arrays yield no rows, and a reference to one element.
	JSONElements(r JSONRef, alias string) (from, guard string, elem JSONRef)
}

// CompileFilter returns a boolean SQL expression for e over the table of rt ("users" or
// "groups", selected without an alias), with placeholders numbered from argStart, and its
// arguments in placeholder order. A nil e compiles to TRUE.
//
// Unknown attributes, a sub-attribute of a simple attribute, a value of the wrong type for its
// attribute, gt/ge/lt/le on booleans or binaries, co/sw/ew on non-strings, and filters on
// attributes that are never returned (password) are a 400 invalidFilter *scim.Error whose detail
// names the attribute. Any other error is internal.
//
// Semantics worth knowing: "ne" is the negation of "eq" (an absent attribute is "not equal";
// on a multi-valued attribute "ne" means no element equals); "eq null" means not present and
// "ne null" present; "pr" means present and not null, not "" for strings, and at least one
// element for multi-valued attributes; a complex attribute without a sub-attribute in a
// comparison compares its "value" sub-attribute (emails co "x" is emails.value co "x").
func CompileFilter(reg *scim.Registry, rt *scim.ResourceType, d FilterDialect, e filter.Expr, argStart int) (where string, args []any, err error) {
	if reg == nil || rt == nil || d == nil {
		return "", nil, fmt.Errorf("compile filter: nil registry, resource type or dialect")
	}
	if argStart < 1 {
		argStart = 1
	}
	c := &compiler{reg: reg, rt: rt, d: d, argStart: argStart}
	switch rt.Name {
	case scim.ResourceUser:
		c.table = "users"
	case scim.ResourceGroup:
		c.table = "groups"
	default:
		return "", nil, fmt.Errorf("compile filter: no table for resource type %q", rt.Name)
	}
	if e == nil {
		return sqlTrue, nil, nil
	}
	where, err = c.expr(e, nil)
	if err != nil {
		return "", nil, err
	}
	return where, c.args, nil
}

const (
	sqlTrue  = "TRUE"
	sqlFalse = "FALSE"
)

// compiler holds the state of one CompileFilter call.
type compiler struct {
	reg      *scim.Registry
	rt       *scim.ResourceType
	d        FilterDialect
	table    string
	argStart int
	args     []any
	aliases  int
}

// bind appends a typed argument and returns its (cast) placeholder.
func (c *compiler) bind(t scim.AttrType, v any) string {
	c.args = append(c.args, c.d.Arg(t, v))
	return c.d.Param(c.d.Placeholder(c.argStart+len(c.args)-1), t)
}

// alias returns a fresh table alias with the given prefix.
func (c *compiler) alias(prefix string) string {
	c.aliases++
	return prefix + strconv.Itoa(c.aliases)
}

// col qualifies a column of the resource's table.
func (c *compiler) col(name string) string { return c.table + "." + name }

// scope is the element a value path's inner filter talks about.
type scope struct {
	parent *scim.Attribute
	name   string // canonical name of parent, for messages
	src    *source
}

func (c *compiler) expr(e filter.Expr, sc *scope) (string, error) {
	switch e := e.(type) {
	case *filter.Logical:
		l, err := c.expr(e.Left, sc)
		if err != nil {
			return "", err
		}
		r, err := c.expr(e.Right, sc)
		if err != nil {
			return "", err
		}
		op := " OR "
		if e.And {
			op = " AND "
		}
		return "(" + l + op + r + ")", nil
	case *filter.Not:
		x, err := c.expr(e.X, sc)
		if err != nil {
			return "", err
		}
		return not(x), nil
	case *filter.Compare:
		if sc != nil {
			return c.elemCompare(sc, e)
		}
		return c.compare(e)
	case *filter.Present:
		if sc != nil {
			return c.elemPresent(sc, e.Path)
		}
		return c.present(e.Path)
	case *filter.ValuePath:
		if sc != nil {
			return "", scim.InvalidFilter("value filters cannot be nested: %q inside %q", e.Path.String(), sc.name)
		}
		return c.valuePath(e)
	case nil:
		return "", scim.InvalidFilter("empty filter expression")
	default:
		return "", fmt.Errorf("compile filter: unexpected node %T", e)
	}
}

// not negates a two-valued or three-valued predicate so that NULL (unknown, i.e. absent) counts
// as false before negation.
func not(x string) string { return "(" + x + ") IS NOT TRUE" }

// operand is a scalar SQL expression a comparison can be made on.
type operand struct {
	sql    string
	attr   *scim.Attribute // definition governing type and caseExact
	folded bool            // sql already holds scim.Fold of the value (a *_fold column)
	uuid   bool            // sql holds a UUID id: values that are not UUIDs never equal it
	tcol   bool            // sql is a timestamp column (bound with d.TimeColumnArg)
	// constant, when not nil, is the operand's value known in Go (meta.resourceType).
	constant *string
}

// source is a set of elements of a multi-valued attribute, for EXISTS subqueries: rows of a
// side table or elements of a JSON array. A source with from == "" is a single-valued complex
// attribute, whose "element" is the attribute itself.
type source struct {
	from  string
	where string
	// field returns the operand of a sub-attribute of one element (sub is nil for the element
	// itself, for multi-valued simple attributes); ok is false when this source cannot serve it.
	field func(sub *scim.Attribute) (operand, bool)
	json  bool
}

// exists wraps pred (over one element) into a predicate over the resource.
func (s *source) exists(pred string) string {
	if s.from == "" {
		return pred
	}
	where := s.where
	if pred != "" {
		if where != "" {
			where += " AND "
		}
		where += pred
	}
	if where == "" {
		where = sqlTrue
	}
	return "EXISTS (SELECT 1 FROM " + s.from + " WHERE " + where + ")"
}

// target is a resolved top-level path.
type target struct {
	res  scim.Resolved
	name string // canonical path for messages
	op   *operand
	// src and sub: the path reads sub (nil: the element itself) of every element of src.
	src *source
	sub *scim.Attribute
	// complexRef is a single-valued complex attribute without sub-attribute (only "pr").
	complexRef *JSONRef
}

// resolve looks p up in the registry and reports precise errors.
func (c *compiler) resolvePath(p filter.AttrPath) (scim.Resolved, error) {
	base, ok := c.reg.ResolvePath(c.rt, filter.AttrPath{URN: p.URN, Attr: p.Attr})
	if !ok && p.URN == "" {
		// Entra ID filters on extension attributes without their URN ("manager eq ...").
		if base, ok = c.reg.ResolveUnqualified(c.rt, filter.AttrPath{Attr: p.Attr}); ok {
			p.URN = base.Schema.ID
		}
	}
	if !ok {
		return scim.Resolved{}, scim.InvalidFilter("unknown attribute %q in filter for %s", p.String(), c.rt.Name)
	}
	if p.Sub == "" {
		return base, c.filterable(base, p)
	}
	if base.Attr.Type != scim.TypeComplex {
		return scim.Resolved{}, scim.InvalidFilter("attribute %q has no sub-attributes; %q is not valid in a filter", base.Path(), p.String())
	}
	full, ok := c.reg.ResolvePath(c.rt, p)
	if !ok {
		return scim.Resolved{}, scim.InvalidFilter("attribute %q has no sub-attribute %q", base.Path(), p.Sub)
	}
	return full, c.filterable(full, p)
}

// filterable rejects attributes a client may not filter on.
func (c *compiler) filterable(r scim.Resolved, p filter.AttrPath) error {
	if r.Attr.Returned == scim.ReturnedNever || (r.Sub != nil && r.Sub.Returned == scim.ReturnedNever) {
		return scim.InvalidFilter("attribute %q cannot be used in a filter", r.Path())
	}
	return nil
}

// docRef returns the JSON location of top-level attribute a of res in the document column.
func (c *compiler) docRef(res scim.Resolved) (JSONRef, error) {
	if res.Schema == nil {
		return JSONRef{}, scim.InvalidFilter("filtering on %q is not supported", res.Path())
	}
	ref := JSONRef{Root: c.col("doc")}
	if res.Extension() {
		ref = ref.with(res.Schema.ID)
	}
	ref = ref.with(res.Attr.Name)
	return ref, checkKeys(ref.Keys)
}

// keyPattern is what a JSON key from the registry may contain; anything else is a bug in a
// schema definition and must not reach SQL.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_$][A-Za-z0-9_$:.\-]*$`)

func checkKeys(keys []string) error {
	for _, k := range keys {
		if !keyPattern.MatchString(k) {
			return fmt.Errorf("compile filter: schema attribute name %q is not a safe JSON key", k)
		}
	}
	return nil
}

// valueSub returns the "value" sub-attribute a complex attribute is compared through.
func valueSub(a *scim.Attribute, name string) (*scim.Attribute, error) {
	for _, s := range a.SubAttributes {
		if s.Name == "value" {
			return s, nil
		}
	}
	return nil, scim.InvalidFilter("complex attribute %q needs a sub-attribute in a comparison", name)
}

// target resolves a top-level path into what compare and present work on. forCompare says
// whether a complex attribute without sub-attribute should be read through its "value".
func (c *compiler) target(p filter.AttrPath, forCompare bool) (*target, error) {
	res, err := c.resolvePath(p)
	if err != nil {
		return nil, err
	}
	t := &target{res: res, name: res.Path()}
	if op, ok, err := c.hotColumn(res); err != nil || ok {
		t.op = op
		return t, err
	}
	a, sub := res.Attr, res.Sub
	if a.Type == scim.TypeComplex && sub == nil && forCompare {
		if sub, err = valueSub(a, t.name); err != nil {
			return nil, err
		}
	}
	if a.MultiValued {
		src, err := c.multiSource(res, []*scim.Attribute{sub})
		if err != nil {
			return nil, err
		}
		t.src, t.sub = src, sub
		return t, nil
	}
	ref, err := c.docRef(res)
	if err != nil {
		return nil, err
	}
	if a.Type == scim.TypeComplex && sub == nil {
		t.complexRef = &ref
		return t, nil
	}
	leaf := a
	if sub != nil {
		ref, leaf = ref.with(sub.Name), sub
		if err := checkKeys(ref.Keys); err != nil {
			return nil, err
		}
	}
	t.op = &operand{sql: c.d.JSONScalar(ref, leaf.Type), attr: leaf}
	return t, nil
}

// hotColumn maps the attributes that have their own indexed columns.
func (c *compiler) hotColumn(res scim.Resolved) (*operand, bool, error) {
	if res.Schema != nil && res.Extension() {
		return nil, false, nil
	}
	leaf := res.Leaf()
	switch path := res.Path(); path {
	case "id":
		return &operand{sql: c.col("id"), attr: leaf, uuid: true}, true, nil
	case "externalId":
		return &operand{sql: c.col("external_id"), attr: leaf}, true, nil
	case "displayName":
		return &operand{sql: c.col("display_name_fold"), attr: leaf, folded: true}, true, nil
	case "meta.created":
		return &operand{sql: c.col("created_at"), attr: leaf, tcol: true}, true, nil
	case "meta.lastModified":
		return &operand{sql: c.col("last_modified"), attr: leaf, tcol: true}, true, nil
	case "meta.resourceType":
		name := c.rt.Name
		return &operand{attr: leaf, constant: &name}, true, nil
	case "meta":
		return nil, true, scim.InvalidFilter("complex attribute %q needs a sub-attribute in a filter", path)
	case "meta.location", "meta.version":
		return nil, true, scim.InvalidFilter("filtering on %q is not supported", path)
	case "userName":
		if c.table == "users" {
			return &operand{sql: c.col("user_name_fold"), attr: leaf, folded: true}, true, nil
		}
	case "active":
		if c.table == "users" {
			return &operand{sql: c.col("active"), attr: leaf}, true, nil
		}
	}
	return nil, false, nil
}

// multiSource picks the element source of multi-valued attribute res.Attr able to serve every
// sub-attribute in subs (nil meaning the element itself): a side table when one has all of them,
// else the JSON array in the document.
func (c *compiler) multiSource(res scim.Resolved, subs []*scim.Attribute) (*source, error) {
	name := res.Attr.Name
	if !res.Extension() {
		if src := c.tableSource(name); src != nil {
			var missing *scim.Attribute
			for _, s := range subs {
				if _, ok := src.field(s); !ok {
					missing = s
					break
				}
			}
			if missing == nil {
				return src, nil
			}
			if name == "groups" || name == "members" {
				return nil, scim.InvalidFilter("filtering on %q is not supported", name+"."+missing.Name)
			}
		}
	}
	ref, err := c.docRef(res)
	if err != nil {
		return nil, err
	}
	alias := c.alias("e")
	from, guard, elem := c.d.JSONElements(ref, alias)
	src := &source{from: from, where: guard, json: true}
	src.field = func(sub *scim.Attribute) (operand, bool) {
		if sub == nil {
			if res.Attr.Type == scim.TypeComplex {
				return operand{}, false
			}
			return operand{sql: c.d.JSONScalar(elem, res.Attr.Type), attr: res.Attr}, true
		}
		r := elem.with(sub.Name)
		if checkKeys(r.Keys) != nil {
			return operand{}, false
		}
		return operand{sql: c.d.JSONScalar(r, sub.Type), attr: sub}, true
	}
	for _, s := range subs {
		if _, ok := src.field(s); !ok && s != nil {
			return nil, fmt.Errorf("compile filter: schema attribute name %q is not a safe JSON key", s.Name)
		}
	}
	return src, nil
}

// tableSource returns the side-table source of a core multi-valued attribute, or nil.
func (c *compiler) tableSource(attr string) *source {
	switch {
	case c.table == "users" && attr == "emails":
		a := c.alias("ue")
		return &source{
			from:  "user_emails " + a,
			where: a + ".tenant_id = users.tenant_id AND " + a + ".user_id = users.id",
			field: func(sub *scim.Attribute) (operand, bool) {
				switch {
				case sub == nil:
					return operand{}, true // presence only: a row is an element
				case sub.Name == "value":
					return operand{sql: a + ".value_fold", attr: sub, folded: true}, true
				case sub.Name == "type":
					return operand{sql: a + ".type", attr: sub}, true
				}
				return operand{}, false
			},
		}
	case c.table == "users" && attr == "groups":
		a := c.alias("gm")
		return &source{
			from:  "group_members " + a,
			where: a + ".tenant_id = users.tenant_id AND " + a + ".member_id = users.id",
			field: func(sub *scim.Attribute) (operand, bool) {
				switch {
				case sub == nil:
					return operand{}, true
				case sub.Name == "value":
					return operand{sql: a + ".group_id", attr: sub, uuid: true}, true
				case sub.Name == "display":
					g := c.alias("g")
					return operand{sql: "(SELECT " + g + ".display_name_fold FROM groups " + g + " WHERE " + g + ".tenant_id = " + a + ".tenant_id AND " + g + ".id = " + a + ".group_id)", attr: sub, folded: true}, true
				case sub.Name == "type":
					direct := "direct"
					return operand{attr: sub, constant: &direct}, true
				}
				return operand{}, false
			},
		}
	case c.table == "groups" && attr == "members":
		a := c.alias("gm")
		src := c.memberSource(a)
		src.from = "group_members " + a
		src.where = a + ".tenant_id = groups.tenant_id AND " + a + ".group_id = groups.id"
		return src
	}
	return nil
}

// memberSource is the source of a group's members whose rows are group_members rows named a;
// the caller sets from and where (none when a is the table of the statement itself).
func (c *compiler) memberSource(a string) *source {
	return &source{
		field: func(sub *scim.Attribute) (operand, bool) {
			switch {
			case sub == nil:
				return operand{}, true
			case sub.Name == "value":
				return operand{sql: a + ".member_id", attr: sub, uuid: true}, true
			case sub.Name == "type":
				return operand{sql: a + ".member_type", attr: sub}, true
			case sub.Name == "display":
				// A user member's display is its displayName, else its userName, as rendered
				// (findMembers) and as Entra ID and Okta expect.
				u, g := c.alias("u"), c.alias("g")
				return operand{sql: "COALESCE((SELECT COALESCE(" + u + ".display_name_fold, " + u + ".user_name_fold) FROM users " + u + " WHERE " + u + ".tenant_id = " + a + ".tenant_id AND " + u + ".id = " + a + ".member_id), " +
					"(SELECT " + g + ".display_name_fold FROM groups " + g + " WHERE " + g + ".tenant_id = " + a + ".tenant_id AND " + g + ".id = " + a + ".member_id))", attr: sub, folded: true}, true
			}
			return operand{}, false
		},
	}
}

// CompileMemberFilter compiles the inner filter of a PATCH path members[filter] (RFC 7644
// §3.5.2.2: remove the members the filter matches) into a predicate over one row of
// group_members, referred to by the table's own name, as in
// "DELETE FROM group_members WHERE … AND (predicate)". It accepts what CompileFilter accepts
// inside members[...] of a Groups filter: value, type and display with every operator, and,
// or, not. Placeholders are numbered from argStart.
func CompileMemberFilter(reg *scim.Registry, d FilterDialect, inner filter.Expr, argStart int) (where string, args []any, err error) {
	if reg == nil || d == nil {
		return "", nil, fmt.Errorf("compile member filter: nil registry or dialect")
	}
	rt := reg.ResourceType(scim.ResourceGroup)
	if rt == nil {
		return "", nil, fmt.Errorf("compile member filter: no Group resource type")
	}
	if argStart < 1 {
		argStart = 1
	}
	c := &compiler{reg: reg, rt: rt, d: d, table: "groups", argStart: argStart}
	res, err := c.resolvePath(filter.AttrPath{Attr: "members"})
	if err != nil {
		return "", nil, err
	}
	if inner == nil {
		return "", nil, scim.InvalidFilter("empty value filter on %q", "members")
	}
	if _, err := c.innerSubs(res.Attr, "members", inner, nil); err != nil {
		return "", nil, err
	}
	where, err = c.expr(inner, &scope{parent: res.Attr, name: "members", src: c.memberSource("group_members")})
	if err != nil {
		return "", nil, err
	}
	return where, c.args, nil
}

func (c *compiler) compare(e *filter.Compare) (string, error) {
	t, err := c.target(e.Path, true)
	if err != nil {
		return "", err
	}
	if e.Value == nil {
		return c.compareNull(e.Op, t.name, func() (string, error) { return c.presentTarget(t) })
	}
	if t.op != nil {
		return c.compareOperand(*t.op, e.Op, e.Value, t.name)
	}
	o, ok := t.src.field(t.sub)
	if !ok {
		return "", scim.InvalidFilter("filtering on %q is not supported", t.name)
	}
	if e.Op == filter.OpNe {
		// "ne" on a multi-valued attribute: no element is equal.
		eq, err := c.compareOperand(o, filter.OpEq, e.Value, t.name)
		if err != nil {
			return "", err
		}
		return not(t.src.exists(eq)), nil
	}
	pred, err := c.compareOperand(o, e.Op, e.Value, t.name)
	if err != nil {
		return "", err
	}
	return t.src.exists(pred), nil
}

// compareNull compiles "eq null" (not present) and "ne null" (present).
func (c *compiler) compareNull(op filter.Op, name string, present func() (string, error)) (string, error) {
	switch op {
	case filter.OpEq, filter.OpNe:
	default:
		return "", scim.InvalidFilter("operator %q cannot compare %q with null", op, name)
	}
	p, err := present()
	if err != nil {
		return "", err
	}
	if op == filter.OpEq {
		return not(p), nil
	}
	return p, nil
}

func (c *compiler) present(p filter.AttrPath) (string, error) {
	t, err := c.target(p, false)
	if err != nil {
		return "", err
	}
	return c.presentTarget(t)
}

func (c *compiler) presentTarget(t *target) (string, error) {
	switch {
	case t.op != nil:
		return c.presentOperand(*t.op), nil
	case t.complexRef != nil:
		return c.d.JSONNonEmptyObject(*t.complexRef), nil
	}
	if t.sub == nil && t.res.Attr.Type == scim.TypeComplex {
		// Complex elements (JSON objects or side-table rows): at least one element exists.
		return t.src.exists(""), nil
	}
	o, ok := t.src.field(t.sub)
	if !ok {
		return "", scim.InvalidFilter("filtering on %q is not supported", t.name)
	}
	return t.src.exists(c.presentOperand(o)), nil
}

// presentOperand is "pr" on a scalar: not null, and not "" for strings.
func (c *compiler) presentOperand(o operand) string {
	if o.constant != nil {
		if *o.constant != "" {
			return sqlTrue
		}
		return sqlFalse
	}
	if isString(o.attr.Type) && !o.uuid {
		return "(" + o.sql + ") <> ''"
	}
	return "(" + o.sql + ") IS NOT NULL"
}

func isString(t scim.AttrType) bool {
	return t == scim.TypeString || t == scim.TypeReference || t == scim.TypeBinary
}

var sqlOps = map[filter.Op]string{
	filter.OpEq: "=",
	filter.OpGt: ">",
	filter.OpGe: ">=",
	filter.OpLt: "<",
	filter.OpLe: "<=",
}

var matchKinds = map[filter.Op]MatchKind{
	filter.OpCo: MatchContains,
	filter.OpSw: MatchPrefix,
	filter.OpEw: MatchSuffix,
}

// compareOperand compiles `o op v` for a non-null v, checking op and v against o's type.
func (c *compiler) compareOperand(o operand, op filter.Op, v any, name string) (string, error) {
	typ := o.attr.Type
	_, ordering := sqlOps[op]
	ordering = ordering && op != filter.OpEq
	kind, matching := matchKinds[op]
	switch {
	case op == filter.OpNe:
		eq, err := c.compareOperand(o, filter.OpEq, v, name)
		if err != nil {
			return "", err
		}
		return not(eq), nil
	case op == filter.OpEq:
	case ordering:
		if typ == scim.TypeBoolean || typ == scim.TypeBinary {
			return "", scim.InvalidFilter("operator %q is not defined for %s attribute %q", op, typ, name)
		}
	case matching:
		if typ != scim.TypeString && typ != scim.TypeReference {
			return "", scim.InvalidFilter("operator %q is only defined for string attributes; %q is %s", op, name, typ)
		}
	default:
		return "", scim.InvalidFilter("unknown operator %q for %q", op, name)
	}

	val, err := typedValue(typ, v, name)
	if err != nil {
		return "", err
	}
	if o.constant != nil {
		return constantCompare(*o.constant, op, val.(string)), nil
	}

	switch typ {
	case scim.TypeString, scim.TypeReference, scim.TypeBinary:
		s := val.(string)
		lhs := o.sql
		switch {
		case o.uuid:
			if op == filter.OpEq {
				id, err := uuid.Parse(s)
				if err != nil || len(s) != len(id.String()) {
					return sqlFalse, nil // not an id scimd could have issued
				}
				return lhs + " = " + c.bind(typ, id.String()), nil
			}
			lhs, s = c.d.UUIDText(lhs), strings.ToLower(s)
		case o.folded:
			s = scim.Fold(s)
		case !o.attr.CaseExact:
			lhs, s = c.d.Fold(lhs), scim.Fold(s)
		}
		switch {
		case matching:
			return c.d.Match(lhs, c.bind(typ, c.d.MatchPattern(kind, s))), nil
		case ordering:
			return c.d.Ordered(lhs) + " " + sqlOps[op] + " " + c.bind(typ, s), nil
		default:
			return lhs + " = " + c.bind(typ, s), nil
		}
	case scim.TypeDateTime:
		if t, ok := val.(time.Time); ok && o.tcol {
			c.args = append(c.args, c.d.TimeColumnArg(t))
			return o.sql + " " + sqlOps[op] + " " + c.d.Placeholder(c.argStart+len(c.args)-1), nil
		}
		return o.sql + " " + sqlOps[op] + " " + c.bind(typ, val), nil
	case scim.TypeBoolean, scim.TypeInteger, scim.TypeDecimal:
		return o.sql + " " + sqlOps[op] + " " + c.bind(typ, val), nil
	default:
		return "", scim.InvalidFilter("attribute %q of type %s cannot be compared", name, typ)
	}
}

// constantCompare evaluates a comparison whose left side is known in Go (meta.resourceType,
// groups.type), case-insensitively since their values are canonical names.
func constantCompare(have string, op filter.Op, want string) string {
	h, w := scim.Fold(have), scim.Fold(want)
	var ok bool
	switch op {
	case filter.OpEq:
		ok = h == w
	case filter.OpCo:
		ok = strings.Contains(h, w)
	case filter.OpSw:
		ok = strings.HasPrefix(h, w)
	case filter.OpEw:
		ok = strings.HasSuffix(h, w)
	case filter.OpGt:
		ok = h > w
	case filter.OpGe:
		ok = h >= w
	case filter.OpLt:
		ok = h < w
	case filter.OpLe:
		ok = h <= w
	}
	if ok {
		return sqlTrue
	}
	return sqlFalse
}

// typedValue checks that filter literal v fits attribute type t and converts it: string, bool,
// filter.Number or time.Time (UTC).
func typedValue(t scim.AttrType, v any, name string) (any, error) {
	switch t {
	case scim.TypeString, scim.TypeReference, scim.TypeBinary:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, scim.InvalidFilter("attribute %q is a %s; compare it with a quoted string, not %s", name, t, literal(v))
	case scim.TypeBoolean:
		switch v := v.(type) {
		case bool:
			return v, nil
		case string:
			// Lenient: some clients quote booleans ("True"), as Entra ID does in PATCH values.
			if b, err := strconv.ParseBool(v); err == nil && (strings.EqualFold(v, "true") || strings.EqualFold(v, "false")) {
				return b, nil
			}
		}
		return nil, scim.InvalidFilter("attribute %q is a boolean; compare it with true or false, not %s", name, literal(v))
	case scim.TypeInteger:
		if n, ok := v.(filter.Number); ok {
			if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
				return n, nil
			}
		}
		return nil, scim.InvalidFilter("attribute %q is an integer; %s is not an integer", name, literal(v))
	case scim.TypeDecimal:
		if n, ok := v.(filter.Number); ok && scim.ValidDecimal(string(n)) {
			return n, nil
		}
		return nil, scim.InvalidFilter("attribute %q is a decimal; %s is not a number scimd can compare (a float64, with at most %d digits after the decimal point)",
			name, literal(v), scim.MaxDecimalScale)
	case scim.TypeDateTime:
		if s, ok := v.(string); ok {
			if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return ts.UTC(), nil
			}
		}
		return nil, scim.InvalidFilter("attribute %q is a dateTime; %s is not an RFC 3339 date and time such as \"2011-05-13T04:42:34Z\"", name, literal(v))
	}
	return nil, scim.InvalidFilter("attribute %q of type %s cannot be compared", name, t)
}

// literal renders a filter value for an error detail.
func literal(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 64 {
			v = v[:64] + "…"
		}
		return strconv.Quote(v)
	case filter.Number:
		return "the number " + string(v)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}

// valuePath compiles attr[filter]: true when one element satisfies the whole inner filter.
func (c *compiler) valuePath(vp *filter.ValuePath) (string, error) {
	if vp.Path.Sub != "" {
		return "", scim.InvalidFilter("value filter %q must name an attribute, not a sub-attribute", vp.Path.String())
	}
	res, err := c.resolvePath(vp.Path)
	if err != nil {
		return "", err
	}
	name := res.Path()
	if res.Attr.Type != scim.TypeComplex {
		return "", scim.InvalidFilter("value filter on %q needs a complex attribute", name)
	}
	if vp.Filter == nil {
		return "", scim.InvalidFilter("empty value filter on %q", name)
	}
	subs, err := c.innerSubs(res.Attr, name, vp.Filter, nil)
	if err != nil {
		return "", err
	}
	var src *source
	if res.Attr.MultiValued {
		if src, err = c.multiSource(res, subs); err != nil {
			return "", err
		}
	} else {
		ref, err := c.docRef(res)
		if err != nil {
			return "", err
		}
		src = &source{json: true, field: func(sub *scim.Attribute) (operand, bool) {
			if sub == nil {
				return operand{}, false
			}
			r := ref.with(sub.Name)
			if checkKeys(r.Keys) != nil {
				return operand{}, false
			}
			return operand{sql: c.d.JSONScalar(r, sub.Type), attr: sub}, true
		}}
	}
	inner, err := c.expr(vp.Filter, &scope{parent: res.Attr, name: name, src: src})
	if err != nil {
		return "", err
	}
	return src.exists(inner), nil
}

// innerSubs collects (and checks) the sub-attributes an inner value filter names.
func (c *compiler) innerSubs(parent *scim.Attribute, name string, e filter.Expr, acc []*scim.Attribute) ([]*scim.Attribute, error) {
	switch e := e.(type) {
	case *filter.Logical:
		acc, err := c.innerSubs(parent, name, e.Left, acc)
		if err != nil {
			return nil, err
		}
		return c.innerSubs(parent, name, e.Right, acc)
	case *filter.Not:
		return c.innerSubs(parent, name, e.X, acc)
	case *filter.Compare:
		s, err := innerSub(parent, name, e.Path)
		if err != nil {
			return nil, err
		}
		return append(acc, s), nil
	case *filter.Present:
		s, err := innerSub(parent, name, e.Path)
		if err != nil {
			return nil, err
		}
		return append(acc, s), nil
	case *filter.ValuePath:
		return nil, scim.InvalidFilter("value filters cannot be nested: %q inside %q", e.Path.String(), name)
	case nil:
		return nil, scim.InvalidFilter("empty value filter on %q", name)
	}
	return nil, fmt.Errorf("compile filter: unexpected node %T", e)
}

// innerSub resolves a path inside parent[...] to one of parent's sub-attributes.
func innerSub(parent *scim.Attribute, name string, p filter.AttrPath) (*scim.Attribute, error) {
	if p.URN != "" || p.Sub != "" {
		return nil, scim.InvalidFilter("inside %q[...] name a sub-attribute of %q only, not %q", name, name, p.String())
	}
	for _, s := range parent.SubAttributes {
		if strings.EqualFold(s.Name, p.Attr) {
			if s.Returned == scim.ReturnedNever {
				return nil, scim.InvalidFilter("attribute %q cannot be used in a filter", name+"."+s.Name)
			}
			return s, nil
		}
	}
	return nil, scim.InvalidFilter("attribute %q has no sub-attribute %q", name, p.Attr)
}

func (c *compiler) elemOperand(sc *scope, p filter.AttrPath) (operand, string, error) {
	sub, err := innerSub(sc.parent, sc.name, p)
	if err != nil {
		return operand{}, "", err
	}
	full := sc.name + "." + sub.Name
	o, ok := sc.src.field(sub)
	if !ok {
		return operand{}, "", scim.InvalidFilter("filtering on %q is not supported", full)
	}
	return o, full, nil
}

func (c *compiler) elemCompare(sc *scope, e *filter.Compare) (string, error) {
	o, full, err := c.elemOperand(sc, e.Path)
	if err != nil {
		return "", err
	}
	if e.Value == nil {
		return c.compareNull(e.Op, full, func() (string, error) { return c.presentOperand(o), nil })
	}
	return c.compareOperand(o, e.Op, e.Value, full)
}

func (c *compiler) elemPresent(sc *scope, p filter.AttrPath) (string, error) {
	o, _, err := c.elemOperand(sc, p)
	if err != nil {
		return "", err
	}
	return c.presentOperand(o), nil
}
