package sqlstore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// TestCompileFilterCustomExtension compiles filters on an extension from configuration, whose
// URN has every character an extension id may have: its attributes are JSON paths under the
// URN key of the doc column, nothing else (no column, no side table), on both dialects, and
// an unqualified name that only the enterprise extension and the custom one share resolves to
// the enterprise attribute.
func TestCompileFilterCustomExtension(t *testing.T) {
	t.Parallel()
	const urn = "urn:example-corp:scim_ext.v2:User"
	exts, err := scim.ParseExtensions([]byte(`[{"resourceType": "User", "schema": {"id": "` + urn + `", "attributes": [
		{"name": "displayName"}, {"name": "level", "type": "integer"}, {"name": "manager"},
		{"name": "emails", "type": "complex", "multiValued": true, "subAttributes": [{"name": "value"}, {"name": "kind"}]}]}}]`))
	require.NoError(t, err)
	reg, err := scim.NewRegistryWithExtensions(exts)
	require.NoError(t, err)
	user := reg.ResourceType("User")
	compile := func(d FilterDialect, text string) (string, []any) {
		t.Helper()
		e, err := filter.Parse(text)
		require.NoError(t, err)
		where, args, err := CompileFilter(reg, user, d, e, 1)
		require.NoError(t, err, text)
		return where, args
	}

	where, args := compile(PostgresFilter, urn+`:displayName eq "Ada"`)
	assert.Equal(t, `lower(normalize((users.doc -> '`+urn+`' ->> 'displayName'), NFC)) = $1`, where,
		"not the display_name_fold column of the core displayName")
	assert.Equal(t, []any{"ada"}, args, "folded in Go")
	where, _ = compile(SQLiteFilter, urn+`:displayName eq "Ada"`)
	assert.Contains(t, where, `json_extract(users.doc, '$."`+urn+`"."displayName"')`)

	where, _ = compile(PostgresFilter, urn+`:emails[kind eq "x"]`)
	assert.Contains(t, where, `jsonb_array_elements(CASE WHEN jsonb_typeof((users.doc -> '`+urn+`' -> 'emails')) = 'array'`)
	assert.NotContains(t, where, "user_emails", "not the core emails side table")
	where, _ = compile(SQLiteFilter, urn+`:emails.value eq "x"`)
	assert.Contains(t, where, `json_each(users.doc, '$."`+urn+`"."emails"')`)

	where, args = compile(PostgresFilter, `manager eq "42"`)
	assert.Contains(t, where, `'`+scim.SchemaEnterpriseUser+`' -> 'manager' ->> 'value'`, "the built-in extension wins")
	assert.Equal(t, []any{"42"}, args)
	where, _ = compile(PostgresFilter, `level gt 3`)
	assert.Contains(t, where, `'`+urn+`' -> 'level'`, "an unqualified name only the custom extension has")
}
