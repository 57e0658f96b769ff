package sqlstore

import (
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// PostgresFilterDialect is the FilterDialect of Postgres: jsonb operators on the doc column,
// lower(normalize(x, NFC)) as the fold (the *_fold columns are folded in Go by scim.Fold), LIKE
// for substrings and explicit casts of typed parameters. It has no state; embed it in the
// Postgres store's dialect.
//
// lower() follows the database's LC_CTYPE: on a UTF-8 locale (C.UTF-8, en_US.UTF-8, ...) it
// folds non-ASCII letters like scim.Fold; on the plain "C" locale only ASCII. This matters only
// for case-insensitive filters on attributes read from the JSON document, not for the indexed
// userName, displayName and emails.value, whose folded form is stored.
type PostgresFilterDialect struct{}

// PostgresFilter is the Postgres filter dialect.
var PostgresFilter FilterDialect = PostgresFilterDialect{}

// Placeholder implements FilterDialect.
func (PostgresFilterDialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// Param implements FilterDialect: numbers, booleans and timestamps get explicit casts so that
// comparisons with computed expressions are typed.
func (PostgresFilterDialect) Param(ph string, t scim.AttrType) string {
	switch t {
	case scim.TypeBoolean:
		return ph + "::boolean"
	case scim.TypeInteger, scim.TypeDecimal:
		return ph + "::numeric"
	case scim.TypeDateTime:
		return ph + "::timestamptz"
	}
	return ph
}

// Arg implements FilterDialect. Numbers are sent as their literal text and cast to numeric by
// the server, so decimals keep every digit.
func (PostgresFilterDialect) Arg(t scim.AttrType, v any) any {
	if n, ok := v.(filter.Number); ok {
		return string(n)
	}
	return v
}

// Fold implements FilterDialect.
func (PostgresFilterDialect) Fold(expr string) string { return "lower(normalize(" + expr + ", NFC))" }

// Ordered implements FilterDialect: the "C" collation orders by code point, like SQLite.
func (PostgresFilterDialect) Ordered(expr string) string { return "(" + expr + ") COLLATE \"C\"" }

// UUIDText implements FilterDialect.
func (PostgresFilterDialect) UUIDText(expr string) string { return "(" + expr + ")::text" }

// TimeColumnArg implements FilterDialect: timestamptz columns compare with a time.Time.
func (PostgresFilterDialect) TimeColumnArg(t time.Time) any { return t.UTC() }

// Match implements FilterDialect.
func (PostgresFilterDialect) Match(expr, ph string) string {
	return expr + " LIKE " + ph + ` ESCAPE '\'`
}

// MatchPattern implements FilterDialect: %, _ and \ in s are escaped with \.
func (PostgresFilterDialect) MatchPattern(kind MatchKind, s string) string {
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
	switch kind {
	case MatchPrefix:
		return s + "%"
	case MatchSuffix:
		return "%" + s
	}
	return "%" + s + "%"
}

// pgJSON returns the jsonb expression of r.
func pgJSON(r JSONRef) string {
	var b strings.Builder
	b.WriteString(r.Root)
	for _, k := range r.Keys {
		b.WriteString(" -> ")
		b.WriteString(sqlString(k))
	}
	return b.String()
}

// pgText returns the text of the scalar at r (NULL for JSON null or absent).
func pgText(r JSONRef) string {
	if len(r.Keys) == 0 {
		return "(" + r.Root + " #>> '{}')"
	}
	return "(" + pgJSON(JSONRef{Root: r.Root, Keys: r.Keys[:len(r.Keys)-1]}) + " ->> " + sqlString(r.Keys[len(r.Keys)-1]) + ")"
}

// rfc3339Pattern guards the cast of document strings to timestamptz, which would otherwise
// fail the whole query on a malformed value.
const rfc3339Pattern = `'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$'`

// JSONScalar implements FilterDialect.
func (PostgresFilterDialect) JSONScalar(r JSONRef, t scim.AttrType) string {
	j := "(" + pgJSON(r) + ")"
	switch t {
	case scim.TypeBoolean:
		return "(CASE WHEN jsonb_typeof(" + j + ") = 'boolean' THEN " + j + "::boolean END)"
	case scim.TypeInteger, scim.TypeDecimal:
		return "(CASE WHEN jsonb_typeof(" + j + ") = 'number' THEN " + j + "::numeric END)"
	case scim.TypeDateTime:
		txt := pgText(r)
		return "(CASE WHEN jsonb_typeof(" + j + ") = 'string' AND " + txt + " ~* " + rfc3339Pattern + " THEN " + txt + "::timestamptz END)"
	}
	return pgText(r)
}

// JSONNonEmptyObject implements FilterDialect.
func (PostgresFilterDialect) JSONNonEmptyObject(r JSONRef) string {
	j := "(" + pgJSON(r) + ")"
	return "(jsonb_typeof(" + j + ") = 'object' AND " + j + " <> '{}'::jsonb)"
}

// JSONElements implements FilterDialect. A non-array (absent, null, scalar) iterates as an empty
// array instead of failing the query.
func (PostgresFilterDialect) JSONElements(r JSONRef, alias string) (from, guard string, elem JSONRef) {
	j := "(" + pgJSON(r) + ")"
	from = "jsonb_array_elements(CASE WHEN jsonb_typeof(" + j + ") = 'array' THEN " + j + " ELSE '[]'::jsonb END) AS " + alias + "(v)"
	return from, "", JSONRef{Root: alias + ".v"}
}

// sqlString quotes s as a SQL string literal. Only registry names reach it, never client
// input, and the compiler has already checked them against a strict character set.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
