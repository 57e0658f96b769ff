package patch

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// testAttr builds a multi-valued complex attribute with one sub-attribute of every type the
// evaluator distinguishes.
func testAttr() *scim.Attribute {
	sub := func(name string, typ scim.AttrType, caseExact bool) *scim.Attribute {
		return &scim.Attribute{Name: name, Type: typ, CaseExact: caseExact, Mutability: scim.ReadWrite}
	}
	return &scim.Attribute{
		Name:        "things",
		Type:        scim.TypeComplex,
		MultiValued: true,
		Mutability:  scim.ReadWrite,
		SubAttributes: []*scim.Attribute{
			sub("value", scim.TypeString, false),
			sub("code", scim.TypeString, true),
			sub("type", scim.TypeString, false),
			sub("primary", scim.TypeBoolean, false),
			sub("count", scim.TypeInteger, false),
			sub("weight", scim.TypeDecimal, false),
			sub("when", scim.TypeDateTime, false),
			sub("cert", scim.TypeBinary, true),
			sub("$ref", scim.TypeReference, false),
			{Name: "nested", Type: scim.TypeComplex, Mutability: scim.ReadWrite},
		},
	}
}

func cmp(attr string, op filter.Op, v any) *filter.Compare {
	return &filter.Compare{Path: filter.AttrPath{Attr: attr}, Op: op, Value: v}
}

func and(l, r filter.Expr) filter.Expr { return &filter.Logical{And: true, Left: l, Right: r} }
func or(l, r filter.Expr) filter.Expr  { return &filter.Logical{Left: l, Right: r} }

func TestMatches(t *testing.T) {
	t.Parallel()
	elem := map[string]any{
		"value":   "Barbara@Example.com",
		"code":    "AbC",
		"type":    "work",
		"primary": true,
		"count":   json.Number("42"),
		"weight":  json.Number("1.5"),
		"when":    "2024-01-02T03:04:05Z",
		"$ref":    "https://example.com/Users/1",
	}
	tests := []struct {
		name string
		expr filter.Expr
		want bool
	}{
		{"eq string case-insensitive", cmp("value", filter.OpEq, "barbara@example.COM"), true},
		{"eq string caseExact miss", cmp("code", filter.OpEq, "abc"), false},
		{"eq string caseExact hit", cmp("code", filter.OpEq, "AbC"), true},
		{"eq name in any case", cmp("TYPE", filter.OpEq, "Work"), true},
		{"eq qualified by attribute name", &filter.Compare{Path: filter.AttrPath{Attr: "things", Sub: "type"}, Op: filter.OpEq, Value: "work"}, true},
		{"eq wrong attribute qualifier", &filter.Compare{Path: filter.AttrPath{Attr: "other", Sub: "type"}, Op: filter.OpEq, Value: "work"}, false},
		{"eq urn is no sub-attribute", &filter.Compare{Path: filter.AttrPath{URN: "urn:x", Attr: "type"}, Op: filter.OpEq, Value: "work"}, false},
		{"ne string", cmp("type", filter.OpNe, "home"), true},
		{"ne string equal", cmp("type", filter.OpNe, "WORK"), false},
		{"eq bool", cmp("primary", filter.OpEq, true), true},
		{"eq bool false", cmp("primary", filter.OpEq, false), false},
		{"eq bool as Entra string True", cmp("primary", filter.OpEq, "True"), true},
		{"eq bool as string false", cmp("primary", filter.OpEq, "false"), false},
		{"eq bool against garbage string", cmp("primary", filter.OpEq, "yes"), false},
		{"eq integer", cmp("count", filter.OpEq, filter.Number("42")), true},
		{"eq integer written as decimal", cmp("count", filter.OpEq, filter.Number("42.0")), true},
		{"eq integer string literal is no number", cmp("count", filter.OpEq, "42"), false},
		{"gt integer", cmp("count", filter.OpGt, filter.Number("41")), true},
		{"gt integer equal", cmp("count", filter.OpGt, filter.Number("42")), false},
		{"ge integer equal", cmp("count", filter.OpGe, filter.Number("42")), true},
		{"lt decimal", cmp("weight", filter.OpLt, filter.Number("2")), true},
		{"le decimal", cmp("weight", filter.OpLe, filter.Number("1.5")), true},
		{"le decimal below", cmp("weight", filter.OpLe, filter.Number("1.4")), false},
		{"eq dateTime other offset", cmp("when", filter.OpEq, "2024-01-02T04:04:05+01:00"), true},
		{"gt dateTime", cmp("when", filter.OpGt, "2024-01-01T00:00:00Z"), true},
		{"lt dateTime", cmp("when", filter.OpLt, "2024-01-01T00:00:00Z"), false},
		{"gt dateTime unparsable", cmp("when", filter.OpGt, "yesterday"), false},
		{"gt string folded", cmp("type", filter.OpGt, "HOME"), true},
		{"lt string caseExact", cmp("code", filter.OpLt, "abc"), true},
		{"co", cmp("value", filter.OpCo, "EXAMPLE"), true},
		{"co caseExact miss", cmp("code", filter.OpCo, "bc"), false},
		{"co caseExact hit", cmp("code", filter.OpCo, "bC"), true},
		{"sw", cmp("value", filter.OpSw, "barb"), true},
		{"sw miss", cmp("value", filter.OpSw, "arb"), false},
		{"ew", cmp("value", filter.OpEw, ".COM"), true},
		{"ew reference", cmp("$ref", filter.OpEw, "/users/1"), true},
		{"co on non-string", cmp("count", filter.OpCo, "4"), false},
		{"eq null on present", cmp("value", filter.OpEq, nil), false},
		{"eq null on absent", cmp("cert", filter.OpEq, nil), true},
		{"ne null on present", cmp("value", filter.OpNe, nil), true},
		{"ne on absent", cmp("cert", filter.OpNe, "x"), true},
		{"eq on absent", cmp("cert", filter.OpEq, "x"), false},
		{"pr present", &filter.Present{Path: filter.AttrPath{Attr: "value"}}, true},
		{"pr absent", &filter.Present{Path: filter.AttrPath{Attr: "cert"}}, false},
		{"pr unknown", &filter.Present{Path: filter.AttrPath{Attr: "nope"}}, false},
		{"unknown attribute", cmp("nope", filter.OpEq, "x"), false},
		{"and both", and(cmp("type", filter.OpEq, "work"), cmp("primary", filter.OpEq, true)), true},
		{"and one", and(cmp("type", filter.OpEq, "work"), cmp("primary", filter.OpEq, false)), false},
		{"or one", or(cmp("type", filter.OpEq, "home"), cmp("primary", filter.OpEq, true)), true},
		{"or none", or(cmp("type", filter.OpEq, "home"), cmp("primary", filter.OpEq, false)), false},
		{"not", &filter.Not{X: cmp("type", filter.OpEq, "home")}, true},
		{"not of match", &filter.Not{X: cmp("type", filter.OpEq, "work")}, false},
		{"value path is never true", &filter.ValuePath{Path: filter.AttrPath{Attr: "things"}, Filter: cmp("type", filter.OpEq, "work")}, false},
	}
	a := testAttr()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, matches(a, tc.expr, elem))
		})
	}
}

func TestMatchesEmptyAndListValues(t *testing.T) {
	t.Parallel()
	a := testAttr()
	assert.True(t, matches(a, cmp("value", filter.OpEq, nil), map[string]any{"value": ""}), "empty string is unassigned")
	assert.True(t, matches(a, cmp("value", filter.OpEq, nil), map[string]any{"value": []any{}}), "empty list is unassigned")
	assert.True(t, matches(a, cmp("value", filter.OpEq, "b"), map[string]any{"value": []any{"a", "B"}}), "one list value matches")
	assert.False(t, matches(a, cmp("value", filter.OpEq, "c"), map[string]any{"value": []any{"a", "b"}}))
	assert.True(t, matches(a, cmp("count", filter.OpEq, filter.Number("3")), map[string]any{"count": float64(3)}), "float64 documents compare numerically")
}

func TestCheckFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		expr     filter.Expr
		scimType string // "" means valid
	}{
		{"eq", cmp("type", filter.OpEq, "work"), ""},
		{"all string operators", and(cmp("value", filter.OpCo, "x"), or(cmp("value", filter.OpSw, "x"), cmp("value", filter.OpEw, "x"))), ""},
		{"ordering on integer", cmp("count", filter.OpGe, filter.Number("1")), ""},
		{"ordering on dateTime", cmp("when", filter.OpLt, "2024-01-01T00:00:00Z"), ""},
		{"present", &filter.Present{Path: filter.AttrPath{Attr: "value"}}, ""},
		{"not", &filter.Not{X: cmp("type", filter.OpEq, "work")}, ""},
		{"unknown sub-attribute", cmp("nope", filter.OpEq, "x"), scim.TypeInvalidPath},
		{"unknown in present", &filter.Present{Path: filter.AttrPath{Attr: "nope"}}, scim.TypeInvalidPath},
		{"unknown on the right of and", and(cmp("type", filter.OpEq, "work"), cmp("nope", filter.OpEq, "x")), scim.TypeInvalidPath},
		{"unknown under not", &filter.Not{X: cmp("nope", filter.OpEq, "x")}, scim.TypeInvalidPath},
		{"nested value path", &filter.ValuePath{Path: filter.AttrPath{Attr: "things"}, Filter: cmp("type", filter.OpEq, "work")}, scim.TypeInvalidPath},
		{"gt on boolean", cmp("primary", filter.OpGt, true), scim.TypeInvalidFilter},
		{"le on binary", cmp("cert", filter.OpLe, "AAAA"), scim.TypeInvalidFilter},
		{"compare a complex sub-attribute", cmp("nested", filter.OpEq, "x"), scim.TypeInvalidFilter},
		{"unknown operator", cmp("type", filter.Op("xx"), "x"), scim.TypeInvalidFilter},
		{"incomplete logical", &filter.Logical{And: true, Left: cmp("type", filter.OpEq, "x")}, scim.TypeInvalidPath},
		{"nil expression", nil, scim.TypeInvalidPath},
	}
	a := testAttr()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkFilter(a, tc.expr)
			if tc.scimType == "" {
				assert.NoError(t, err)
				return
			}
			se, ok := scim.AsError(err)
			require.True(t, ok, "error %v is not a *scim.Error", err)
			assert.Equal(t, http.StatusBadRequest, se.Status)
			assert.Equal(t, tc.scimType, se.Type)
		})
	}
}
