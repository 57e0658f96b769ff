package sqlstore

import (
	"database/sql/driver"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// SQLiteFilterDialect is the FilterDialect of the embedded SQLite backend: JSON1 functions
// (json_extract, json_type, json_each) on the doc column, the Go function scim_fold as the fold
// (see RegisterSQLiteFunctions), GLOB for substrings (LIKE is case-insensitive for ASCII in
// SQLite, which would break caseExact attributes) and julianday() for timestamps. It has no
// state; embed it in the SQLite store's dialect.
type SQLiteFilterDialect struct{}

// SQLiteFilter is the SQLite filter dialect.
var SQLiteFilter FilterDialect = SQLiteFilterDialect{}

// SQLiteFoldFunction is the name of the SQL function RegisterSQLiteFunctions installs.
const SQLiteFoldFunction = "scim_fold"

var registerSQLite sync.Once

// RegisterSQLiteFunctions registers scim_fold(text) with the modernc.org/sqlite driver: it
// returns scim.Fold of its argument (NULL for NULL; numbers unchanged). Connections opened
// afterwards have it. Safe to call any number of times from any goroutine; call it before the
// first sql.Open("sqlite", ...).
func RegisterSQLiteFunctions() {
	registerSQLite.Do(func() {
		sqlite.MustRegisterDeterministicScalarFunction(SQLiteFoldFunction, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return scim.Fold(v), nil
			case []byte:
				return scim.Fold(string(v)), nil
			default:
				return v, nil
			}
		})
	})
}

// Placeholder implements FilterDialect.
func (SQLiteFilterDialect) Placeholder(int) string { return "?" }

// Param implements FilterDialect: timestamps compare as julian day numbers.
func (SQLiteFilterDialect) Param(ph string, t scim.AttrType) string {
	if t == scim.TypeDateTime {
		return "julianday(" + ph + ")"
	}
	return ph
}

// Arg implements FilterDialect: booleans become 0/1 (what json_type maps them to below and how
// the active column stores them), numbers int64 or float64, times RFC 3339 text in UTC.
func (SQLiteFilterDialect) Arg(t scim.AttrType, v any) any {
	switch v := v.(type) {
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	case filter.Number:
		if t == scim.TypeInteger {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				return n
			}
		}
		f, _ := strconv.ParseFloat(string(v), 64)
		return f
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// Fold implements FilterDialect.
func (SQLiteFilterDialect) Fold(expr string) string { return SQLiteFoldFunction + "(" + expr + ")" }

// Ordered implements FilterDialect: SQLite's default BINARY collation already orders UTF-8 text
// by code point.
func (SQLiteFilterDialect) Ordered(expr string) string { return expr }

// UUIDText implements FilterDialect: ids are stored as text.
func (SQLiteFilterDialect) UUIDText(expr string) string { return expr }

// SQLiteTimeLayout is how the SQLite backend stores timestamp columns: fixed-width UTC text
// with microseconds, so that text order is time order and comparisons can use the index.
const SQLiteTimeLayout = "2006-01-02T15:04:05.000000Z"

// TimeColumnArg implements FilterDialect: the time in the columns' own text form.
func (SQLiteFilterDialect) TimeColumnArg(t time.Time) any { return t.UTC().Format(SQLiteTimeLayout) }

// Match implements FilterDialect.
func (SQLiteFilterDialect) Match(expr, ph string) string { return expr + " GLOB " + ph }

// MatchPattern implements FilterDialect: GLOB has no escape character, so each of *, ? and [
// in s becomes a one-character class.
func (SQLiteFilterDialect) MatchPattern(kind MatchKind, s string) string {
	s = strings.NewReplacer(`[`, `[[]`, `*`, `[*]`, `?`, `[?]`).Replace(s)
	switch kind {
	case MatchPrefix:
		return s + "*"
	case MatchSuffix:
		return "*" + s
	}
	return "*" + s + "*"
}

// sqliteParts returns SQL for the value of r (json_extract: text, number, 0/1, or JSON text for
// objects and arrays) and for its JSON type name (json_type: null, true, false, integer, real,
// text, array, object).
func sqliteParts(r JSONRef) (value, typ string) {
	if r.each != "" && len(r.Keys) == 0 {
		return r.each + ".value", r.each + ".type"
	}
	var b strings.Builder
	b.WriteByte('$')
	for _, k := range r.Keys {
		b.WriteString(`."`)
		b.WriteString(k)
		b.WriteByte('"')
	}
	p := sqlString(b.String())
	return "json_extract(" + r.Root + ", " + p + ")", "json_type(" + r.Root + ", " + p + ")"
}

// JSONScalar implements FilterDialect.
func (SQLiteFilterDialect) JSONScalar(r JSONRef, t scim.AttrType) string {
	v, typ := sqliteParts(r)
	switch t {
	case scim.TypeBoolean:
		return "(CASE " + typ + " WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"
	case scim.TypeInteger, scim.TypeDecimal:
		return "(CASE WHEN " + typ + " IN ('integer', 'real') THEN " + v + " END)"
	case scim.TypeDateTime:
		return "julianday(CASE WHEN " + typ + " = 'text' THEN " + v + " END)"
	}
	return "(CASE WHEN " + typ + " = 'text' THEN " + v + " END)"
}

// JSONNonEmptyObject implements FilterDialect.
func (SQLiteFilterDialect) JSONNonEmptyObject(r JSONRef) string {
	v, typ := sqliteParts(r)
	return "(" + typ + " = 'object' AND " + v + " <> '{}')"
}

// JSONElements implements FilterDialect. json_each over an object would iterate its members,
// hence the guard.
func (SQLiteFilterDialect) JSONElements(r JSONRef, alias string) (from, guard string, elem JSONRef) {
	if r.each != "" && len(r.Keys) == 0 {
		from = "json_each(" + r.each + ".value) AS " + alias
		guard = r.each + ".type = 'array'"
	} else {
		_, typ := sqliteParts(r)
		var b strings.Builder
		b.WriteByte('$')
		for _, k := range r.Keys {
			b.WriteString(`."`)
			b.WriteString(k)
			b.WriteByte('"')
		}
		from = "json_each(" + r.Root + ", " + sqlString(b.String()) + ") AS " + alias
		guard = typ + " = 'array'"
	}
	return from, guard, JSONRef{Root: alias + ".value", each: alias}
}
