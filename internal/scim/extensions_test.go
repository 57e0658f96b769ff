package scim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

const extURN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"

// extFile returns a file with one User extension whose attributes are attrs (JSON).
func extFile(attrs string) string {
	return `[{"resourceType": "User", "schema": {"id": "` + extURN + `", "attributes": [` + attrs + `]}}]`
}

// TestParseExtensionsErrors checks that every definition scimd cannot honour is refused, with a
// one-line message naming the place.
func TestParseExtensionsErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, file, want string
	}{
		// The file as a whole.
		{"empty", "  \n", "the file is empty; write [] for no extensions"},
		{"bad JSON", "[\n  {\"resourceType\": \"User\",}\n]", `line 2, column 27: invalid JSON: invalid character '}'`},
		{"truncated", `[{"resourceType": "User"`, "line 1, column 25: invalid JSON: unexpected end of the file"},
		{"trailing data", "[]\n[]", "line 2, column 1: unexpected data after the JSON array"},
		{"object", `{"extensions": []}`, "the file must hold a JSON array of extensions, not an object"},
		{"element not object", `["User"]`, "extension 1 must be a JSON object, not a string"},
		{"unknown field", `[{"resourceType": "User", "requird": true, "schema": {}}]`, `extension 1 has an unknown field "requird"`},
		{"no schema", `[{"resourceType": "User"}]`, `extension 1: missing "schema"`},
		// The extension.
		{"no resource type", `[{"schema": {"id": "urn:x:y:User", "attributes": [{"name": "a"}]}}]`, `extension 1 (urn:x:y:User): missing "resourceType"`},
		{"unknown resource type", `[{"resourceType": "Device", "schema": {"id": "urn:x:y:Device", "attributes": [{"name": "a"}]}}]`,
			`extension 1 (urn:x:y:Device): unknown resourceType "Device"; use "User" or "Group"`},
		{"required extension", `[{"resourceType": "User", "required": true, "schema": {"id": "urn:x:y:User", "attributes": [{"name": "a"}]}}]`,
			`extension 1 (urn:x:y:User): "required": true is not supported: users stored before the extension was configured have no value for it`},
		{"required not bool", `[{"resourceType": "Group", "required": "no", "schema": {"id": "urn:x:y:Group", "attributes": [{"name": "a"}]}}]`,
			`"required" must be true or false, not a string`},
		// The schema id.
		{"no id", `[{"resourceType": "User", "schema": {"attributes": [{"name": "a"}]}}]`, `extension 1: schema: missing "id"`},
		{"id not URN", `[{"resourceType": "User", "schema": {"id": "https://example.com/User", "attributes": [{"name": "a"}]}}]`,
			`schema id "https://example.com/User" is not a URN: it must start with "urn:"`},
		{"id too short", `[{"resourceType": "User", "schema": {"id": "urn:User", "attributes": [{"name": "a"}]}}]`, `needs a namespace and a name`},
		{"id empty segment", `[{"resourceType": "User", "schema": {"id": "urn:x::User", "attributes": [{"name": "a"}]}}]`, `has an empty segment`},
		{"id bad character", `[{"resourceType": "User", "schema": {"id": "urn:x:y z:User", "attributes": [{"name": "a"}]}}]`, `has the character ' '`},
		{"id quote", `[{"resourceType": "User", "schema": {"id": "urn:x:y'1:User", "attributes": [{"name": "a"}]}}]`, `has the character '\''`},
		{"id ends in version", `[{"resourceType": "User", "schema": {"id": "urn:okta:custom:1.0", "attributes": [{"name": "a"}]}}]`,
			`must end with a name that starts with a letter`},
		{"id in core namespace", `[{"resourceType": "User", "schema": {"id": "urn:ietf:params:scim:schemas:core:2.0:Custom", "attributes": [{"name": "a"}]}}]`,
			`is in the reserved namespace urn:ietf:params:scim:schemas:core:`},
		{"id is core User", `[{"resourceType": "User", "schema": {"id": "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER", "attributes": [{"name": "a"}]}}]`,
			`reserved namespace`},
		{"id is enterprise", `[{"resourceType": "User", "schema": {"id": "urn:ietf:params:scim:schemas:extension:Enterprise:2.0:User", "attributes": [{"name": "a"}]}}]`,
			`extension 1: schema id "urn:ietf:params:scim:schemas:extension:Enterprise:2.0:User" is already the id of the built-in schema urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`},
		{"id under enterprise", `[{"resourceType": "User", "schema": {"id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:x", "attributes": [{"name": "a"}]}}]`,
			`overlaps with the built-in schema urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`},
		{"two extensions, one id", `[{"resourceType": "User", "schema": {"id": "urn:x:y:Ext", "attributes": [{"name": "a"}]}},
			{"resourceType": "Group", "schema": {"id": "urn:X:Y:EXT", "attributes": [{"name": "a"}]}}]`,
			`extension 2: schema id "urn:X:Y:EXT" is already the id of extension 1 (urn:x:y:Ext)`},
		{"two extensions overlap", `[{"resourceType": "User", "schema": {"id": "urn:x:y:Ext", "attributes": [{"name": "a"}]}},
			{"resourceType": "User", "schema": {"id": "urn:x:y:Ext:More", "attributes": [{"name": "a"}]}}]`,
			`extension 2: schema id "urn:x:y:Ext:More" overlaps with extension 1 (urn:x:y:Ext)`},
		// The schema.
		{"schema unknown field", `[{"resourceType": "User", "schema": {"id": "urn:x:y:User", "attribute": []}}]`, `schema has an unknown field "attribute"`},
		{"no attributes", `[{"resourceType": "User", "schema": {"id": "urn:x:y:User", "attributes": []}}]`, `schema "attributes" must be a non-empty array`},
		{"name not string", `[{"resourceType": "User", "schema": {"id": "urn:x:y:User", "name": 1, "attributes": [{"name": "a"}]}}]`, `schema "name" must be a string, not a number`},
		// Attributes.
		{"attribute not object", extFile(`"costCenter"`), `attribute 1 must be a JSON object, not a string`},
		{"attribute without name", extFile(`{"type": "string"}`), `attribute 1: missing "name"`},
		{"attribute name with space", extFile(`{"name": "cost center"}`), `invalid attribute name "cost center"`},
		{"attribute name with digit first", extFile(`{"name": "1st"}`), `invalid attribute name "1st"`},
		{"attribute name with colon", extFile(`{"name": "a:b"}`), `invalid attribute name "a:b"`},
		{"attribute name with dot", extFile(`{"name": "a.b"}`), `invalid attribute name "a.b"`},
		{"top-level $ref", extFile(`{"name": "$ref", "type": "reference", "referenceTypes": ["uri"]}`), `invalid attribute name "$ref"`},
		{"duplicate attribute", extFile(`{"name": "costCenter"}, {"name": "CostCenter"}`), `attribute "CostCenter" is defined twice (attribute names compare case-insensitively)`},
		{"unknown attribute field", extFile(`{"name": "a", "mutabilty": "readWrite"}`), `attribute "a" has an unknown field "mutabilty"`},
		{"unknown type", extFile(`{"name": "a", "type": "text"}`), `attribute "a": unknown type "text"; use string, boolean, decimal, integer, dateTime, binary, reference, complex`},
		{"type not string", extFile(`{"name": "a", "type": 1}`), `attribute "a": "type" must be a string, not a number`},
		{"multiValued not bool", extFile(`{"name": "a", "multiValued": "true"}`), `attribute "a": "multiValued" must be true or false, not a string`},
		{"caseExact not bool", extFile(`{"name": "a", "caseExact": null}`), `"caseExact" must be true or false, not null`},
		{"unknown mutability", extFile(`{"name": "a", "mutability": "write"}`), `unknown mutability "write"; use readOnly, readWrite, immutable, writeOnly`},
		{"unknown returned", extFile(`{"name": "a", "returned": "sometimes"}`), `unknown returned "sometimes"`},
		{"unknown uniqueness", extFile(`{"name": "a", "uniqueness": "tenant"}`), `unknown uniqueness "tenant"`},
		{"uniqueness server", extFile(`{"name": "a", "uniqueness": "server"}`), `attribute "a": uniqueness "server" is not supported for extension attributes`},
		{"uniqueness global", extFile(`{"name": "a", "uniqueness": "global"}`), `uniqueness "global" is not supported`},
		{"readOnly", extFile(`{"name": "a", "mutability": "readOnly"}`), `mutability "readOnly" is not supported for extension attributes`},
		{"writeOnly returned", extFile(`{"name": "a", "mutability": "writeOnly", "returned": "default"}`), `a writeOnly attribute must be returned "never"`},
		{"canonicalValues not strings", extFile(`{"name": "a", "canonicalValues": ["x", 1]}`), `"canonicalValues" must be an array of non-empty strings`},
		{"canonicalValues on integer", extFile(`{"name": "a", "type": "integer", "canonicalValues": ["1"]}`), `"canonicalValues" is only for attributes of type "string" or "reference"`},
		{"reference without referenceTypes", extFile(`{"name": "a", "type": "reference"}`), `attribute "a": a reference attribute needs "referenceTypes" (User, Group, external, uri)`},
		{"reference with empty referenceTypes", extFile(`{"name": "a", "type": "reference", "referenceTypes": []}`), `needs "referenceTypes"`},
		{"unknown referenceType", extFile(`{"name": "a", "type": "reference", "referenceTypes": ["Device"]}`), `unknown referenceTypes value "Device"`},
		{"referenceTypes on string", extFile(`{"name": "a", "referenceTypes": ["uri"]}`), `"referenceTypes" is only for attributes of type "reference"`},
		{"subAttributes on string", extFile(`{"name": "a", "subAttributes": [{"name": "b"}]}`), `"subAttributes" is only for attributes of type "complex"`},
		{"complex without subAttributes", extFile(`{"name": "a", "type": "complex"}`), `attribute "a": a complex attribute needs "subAttributes"`},
		{"complex with empty subAttributes", extFile(`{"name": "a", "type": "complex", "subAttributes": []}`), `a complex attribute needs "subAttributes"`},
		{"nested complex", extFile(`{"name": "a", "type": "complex", "subAttributes": [{"name": "b", "type": "complex", "subAttributes": [{"name": "c"}]}]}`),
			`attribute "a.b": a sub-attribute cannot be complex`},
		{"multi-valued sub-attribute", extFile(`{"name": "a", "type": "complex", "subAttributes": [{"name": "b", "multiValued": true}]}`),
			`attribute "a.b": multi-valued sub-attributes are not supported`},
		{"duplicate sub-attribute", extFile(`{"name": "a", "type": "complex", "subAttributes": [{"name": "value"}, {"name": "Value"}]}`),
			`attribute "a": sub-attribute "Value" is defined twice`},
		{"bad sub-attribute name", extFile(`{"name": "a", "type": "complex", "subAttributes": [{"name": "b c"}]}`), `attribute 1: invalid attribute name "a.b c"`},
		{"sub-attribute unknown type", extFile(`{"name": "a", "type": "complex", "subAttributes": [{"name": "b", "type": "float"}]}`), `attribute "a.b": unknown type "float"`},
		{"$ref not reference", extFile(`{"name": "a", "type": "complex", "subAttributes": [{"name": "$ref"}]}`), `attribute "a.$ref": a "$ref" sub-attribute must have type "reference"`},
		{"immutable sub of multi", extFile(`{"name": "a", "type": "complex", "multiValued": true, "subAttributes": [{"name": "b", "mutability": "immutable"}]}`),
			`mutability "immutable" is not supported for sub-attributes of a multi-valued attribute`},
		{"readOnly sub", extFile(`{"name": "a", "type": "complex", "subAttributes": [{"name": "b", "mutability": "readOnly"}]}`), `attribute "a.b": mutability "readOnly" is not supported`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exts, err := scim.ParseExtensions([]byte(tt.file))
			require.Error(t, err)
			assert.Nil(t, exts)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

// TestParseExtensionsDefaults checks the RFC 7643 §2.2 defaults, canonical casing, what a
// schema copied from GET /Schemas may keep, and the empty file.
func TestParseExtensionsDefaults(t *testing.T) {
	t.Parallel()
	exts, err := scim.ParseExtensions([]byte("\xef\xbb\xbf[]"))
	require.NoError(t, err)
	assert.Empty(t, exts)

	exts, err = scim.ParseExtensions([]byte(`[{"resourceType": "user", "required": false, "schema": {
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"], "meta": {"resourceType": "Schema"},
		"id": "` + extURN + `", "name": "Custom", "description": "Custom attributes",
		"attributes": [
			{"name": "plain"},
			{"name": "when", "type": "DATETIME", "mutability": "IMMUTABLE", "returned": "Request", "uniqueness": "NONE"},
			{"name": "secret", "mutability": "writeOnly"},
			{"name": "secret2", "mutability": "writeOnly", "returned": "never"},
			{"name": "link", "type": "reference", "referenceTypes": ["user", "EXTERNAL"], "caseExact": true},
			{"name": "places", "type": "complex", "multiValued": true, "required": true, "subAttributes": [
				{"name": "value", "required": true}, {"name": "$ref", "type": "reference", "referenceTypes": ["uri"]},
				{"name": "type", "canonicalValues": ["home", "work"]}]}
		]}}]`))
	require.NoError(t, err)
	require.Len(t, exts, 1)
	assert.Equal(t, scim.ResourceUser, exts[0].ResourceType)
	s := exts[0].Schema
	assert.Equal(t, extURN, s.ID)
	assert.Equal(t, "Custom", s.Name)
	assert.Equal(t, "Custom attributes", s.Description)
	require.Len(t, s.Attributes, 6)
	assert.Equal(t, &scim.Attribute{Name: "plain", Type: scim.TypeString, Mutability: scim.ReadWrite, Returned: scim.ReturnedDefault,
		Uniqueness: scim.UniqueNone}, s.Attributes[0])
	when := s.Attributes[1]
	assert.Equal(t, scim.TypeDateTime, when.Type)
	assert.Equal(t, scim.Immutable, when.Mutability)
	assert.Equal(t, scim.ReturnedRequest, when.Returned)
	assert.Equal(t, scim.UniqueNone, when.Uniqueness)
	assert.Equal(t, scim.ReturnedNever, s.Attributes[2].Returned, "writeOnly defaults to returned never")
	assert.Equal(t, scim.ReturnedNever, s.Attributes[3].Returned)
	assert.Equal(t, []string{"User", "external"}, s.Attributes[4].ReferenceTypes)
	assert.True(t, s.Attributes[4].CaseExact)
	places := s.Attributes[5]
	assert.True(t, places.MultiValued)
	assert.True(t, places.Required)
	require.Len(t, places.SubAttributes, 3)
	assert.True(t, places.SubAttributes[0].Required)
	assert.Equal(t, "$ref", places.SubAttributes[1].Name)
	assert.Equal(t, []string{"home", "work"}, places.SubAttributes[2].CanonicalValues)

	// The /Schemas form of what was parsed parses to the same schema.
	raw, err := json.Marshal([]any{map[string]any{"resourceType": "User", "schema": s}})
	require.NoError(t, err)
	again, err := scim.ParseExtensions(raw)
	require.NoError(t, err)
	assert.Equal(t, s, again[0].Schema)
}

// TestExampleSchemaExtensions keeps the documented example file valid.
func TestExampleSchemaExtensions(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "schema-extensions.json"))
	require.NoError(t, err)
	exts, err := scim.ParseExtensions(data)
	require.NoError(t, err)
	require.Len(t, exts, 2)
	assert.Equal(t, scim.ResourceUser, exts[0].ResourceType)
	assert.Equal(t, scim.ResourceGroup, exts[1].ResourceType)
	var complexMulti bool
	for _, a := range exts[0].Schema.Attributes {
		complexMulti = complexMulti || (a.Type == scim.TypeComplex && a.MultiValued)
	}
	assert.True(t, complexMulti, "the example shows a multi-valued complex attribute")
	_, err = scim.NewRegistryWithExtensions(exts)
	require.NoError(t, err)
}

// TestRegistryWithExtensions checks where extensions go in the registry, and that
// NewRegistryWithExtensions refuses what ParseExtensions refuses about ids.
func TestRegistryWithExtensions(t *testing.T) {
	t.Parallel()
	exts, err := scim.ParseExtensions([]byte(`[
		{"resourceType": "Group", "schema": {"id": "urn:x:y:Group", "attributes": [{"name": "category"}]}},
		{"resourceType": "User", "schema": {"id": "` + extURN + `", "attributes": [{"name": "costCenterCode"}]}}]`))
	require.NoError(t, err)
	r, err := scim.NewRegistryWithExtensions(exts)
	require.NoError(t, err)
	var ids []string
	for _, s := range r.Schemas() {
		ids = append(ids, s.ID)
	}
	assert.Equal(t, []string{scim.SchemaUser, scim.SchemaEnterpriseUser, extURN, scim.SchemaGroup, "urn:x:y:Group", scim.SchemaServiceConfig}, ids)
	user := r.ResourceType("User")
	assert.Equal(t, []scim.SchemaExtension{{Schema: scim.SchemaEnterpriseUser}, {Schema: extURN}}, user.Extensions)
	assert.Equal(t, []scim.SchemaExtension{{Schema: "urn:x:y:Group"}}, r.ResourceType("Group").Extensions)
	assert.Same(t, exts[1].Schema, r.Schema(strings.ToUpper(extURN)))

	res, ok := r.ResolvePath(user, filter.AttrPath{URN: strings.ToLower(extURN), Attr: "COSTCENTERCODE"})
	require.True(t, ok)
	assert.True(t, res.Extension())
	assert.Equal(t, extURN+":costCenterCode", res.Path())
	_, ok = r.ResolvePath(r.ResourceType("Group"), filter.AttrPath{URN: extURN, Attr: "costCenterCode"})
	assert.False(t, ok, "a User extension is not a Group's")
	assert.Len(t, scim.NewRegistry().Schemas(), 4, "NewRegistry is unchanged")

	// Unqualified names (Entra ID's legacy "manager"): a built-in extension wins over one from
	// configuration, and among those the name must be unique.
	two, err := scim.ParseExtensions([]byte(`[
		{"resourceType": "User", "schema": {"id": "urn:x:a:User", "attributes": [{"name": "manager"}, {"name": "shared"}, {"name": "onlyA"}]}},
		{"resourceType": "User", "schema": {"id": "urn:x:b:User", "attributes": [{"name": "shared"}]}}]`))
	require.NoError(t, err)
	r2, err := scim.NewRegistryWithExtensions(two)
	require.NoError(t, err)
	u2 := r2.ResourceType("User")
	res, ok = r2.ResolveUnqualified(u2, filter.AttrPath{Attr: "manager", Sub: "value"})
	require.True(t, ok)
	assert.Equal(t, scim.SchemaEnterpriseUser+":manager.value", res.Path())
	res, ok = r2.ResolveUnqualified(u2, filter.AttrPath{Attr: "onlya"})
	require.True(t, ok)
	assert.Equal(t, "urn:x:a:User:onlyA", res.Path())
	_, ok = r2.ResolveUnqualified(u2, filter.AttrPath{Attr: "shared"})
	assert.False(t, ok, "ambiguous")
	_, ok = r2.ResolveUnqualified(u2, filter.AttrPath{URN: "urn:x:a:User", Attr: "onlyA"})
	assert.False(t, ok, "only for names without URN")

	for _, tt := range []struct {
		name string
		exts []scim.Extension
		want string
	}{
		{"no schema", []scim.Extension{{ResourceType: "User"}}, "extension 1 has no schema"},
		{"bad id", []scim.Extension{{ResourceType: "User", Schema: &scim.Schema{ID: "x"}}}, "is not a URN"},
		{"core id", []scim.Extension{{ResourceType: "User", Schema: &scim.Schema{ID: scim.SchemaGroup}}}, "reserved namespace"},
		{"same id twice", []scim.Extension{{ResourceType: "User", Schema: &scim.Schema{ID: "urn:a:b:C"}}, {ResourceType: "Group", Schema: &scim.Schema{ID: "urn:a:b:c"}}},
			"already the id of extension 1"},
		{"unknown resource type", []scim.Extension{{ResourceType: "Device", Schema: &scim.Schema{ID: "urn:a:b:C"}}}, `unknown resource type "Device"`},
	} {
		_, err := scim.NewRegistryWithExtensions(tt.exts)
		require.Error(t, err, tt.name)
		assert.Contains(t, err.Error(), tt.want, tt.name)
	}
}

// extRegistry returns a registry with one User extension of the given attributes.
func extRegistry(t *testing.T, attrs string) *scim.Registry {
	t.Helper()
	exts, err := scim.ParseExtensions([]byte(extFile(attrs)))
	require.NoError(t, err)
	r, err := scim.NewRegistryWithExtensions(exts)
	require.NoError(t, err)
	return r
}

// TestExtensionDocuments runs an extension through Normalize, Render and projections.
func TestExtensionDocuments(t *testing.T) {
	t.Parallel()
	r := extRegistry(t, `{"name": "code"}, {"name": "level", "type": "integer"}, {"name": "pin", "mutability": "writeOnly"},
		{"name": "note", "returned": "request"},
		{"name": "sites", "type": "complex", "multiValued": true, "subAttributes": [{"name": "value", "required": true}, {"name": "secret", "returned": "never"}]}`)
	user := r.ResourceType("User")
	in, err := r.Normalize(user, map[string]any{
		"userName": "ada",
		strings.ToUpper(extURN): map[string]any{
			"CODE": "c1", "level": json.Number("3"), "pin": "1234", "note": "n", "unknown": "x",
			"sites": []any{map[string]any{"value": "AMS", "secret": "s"}},
		},
		extURN + ":level": json.Number("4"), // the URN-qualified key wins over the object's
	})
	require.NoError(t, err)
	assert.Equal(t, []string{extURN + ":unknown"}, in.Unknown)
	want := map[string]any{"code": "c1", "level": json.Number("4"), "pin": "1234", "note": "n",
		"sites": []any{map[string]any{"value": "AMS", "secret": "s"}}}
	assert.Equal(t, want, in.Attributes[extURN], "stored under the canonical URN with canonical names")

	_, err = r.Normalize(user, map[string]any{"userName": "ada", extURN: map[string]any{"sites": []any{map[string]any{"secret": "s"}}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `missing required attribute "`+extURN+`:sites.value"`)

	res := &scim.Resource{ID: "1", Type: "User", Attributes: in.Attributes}
	out := r.Render(res, "https://h/scim/v2", scim.Projection{})
	assert.Equal(t, []any{scim.SchemaUser, extURN}, out["schemas"])
	assert.Equal(t, map[string]any{"code": "c1", "level": json.Number("4"), "sites": []any{map[string]any{"value": "AMS"}}}, out[extURN],
		"writeOnly, returned never and returned request are left out")

	proj, err := r.ParseProjection(user, extURN+":note,"+extURN+":pin", "")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"note": "n"}, r.Render(res, "", proj)[extURN])
	proj, err = r.ParseProjection(user, "", extURN)
	require.NoError(t, err)
	out = r.Render(res, "", proj)
	assert.NotContains(t, out, extURN, "the whole extension excluded")
	assert.Equal(t, []any{scim.SchemaUser, extURN}, out["schemas"], "schemas says what the resource has")

	// Values of attributes and schemas the registry no longer has are kept in the document
	// but not rendered, and do not list their schema.
	old := &scim.Resource{ID: "2", Type: "User", Attributes: map[string]any{
		"userName":           "grace",
		extURN:               map[string]any{"removedAttribute": "x"},
		"urn:x:removed:User": map[string]any{"a": "b"},
	}}
	out = scim.NewRegistry().Render(old, "", scim.Projection{})
	assert.Equal(t, []any{scim.SchemaUser}, out["schemas"])
	assert.NotContains(t, out, extURN)
	out = r.Render(old, "", scim.Projection{})
	assert.Equal(t, []any{scim.SchemaUser}, out["schemas"])
	assert.NotContains(t, out, extURN)
	assert.NotContains(t, out, "urn:x:removed:User")
}

// TestCheckRequiredChange checks the PATCH rule: what a document lacked before may stay
// missing, nothing may go missing.
func TestCheckRequiredChange(t *testing.T) {
	t.Parallel()
	r := extRegistry(t, `{"name": "code", "required": true}, {"name": "level", "type": "integer"}`)
	user := r.ResourceType("User")
	stale := map[string]any{"userName": "a", extURN: map[string]any{"level": 1}}
	assert.Error(t, r.CheckRequired(user, stale))
	assert.NoError(t, r.CheckRequiredChange(user, stale, map[string]any{"userName": "a", extURN: map[string]any{"level": 2}}),
		"missing before, missing after")
	assert.NoError(t, r.CheckRequiredChange(user, stale, map[string]any{"userName": "a"}))
	err := r.CheckRequiredChange(user, map[string]any{"userName": "a"}, map[string]any{"userName": "a", extURN: map[string]any{"level": 1}})
	require.Error(t, err, "a new extension object must be complete")
	assert.Contains(t, err.Error(), `missing required attribute "`+extURN+`:code"`)
	err = r.CheckRequiredChange(user, stale, map[string]any{extURN: map[string]any{"level": 1}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"userName"`)
}

// FuzzParseExtensions checks that the extension file parser never panics, and that whatever it
// accepts builds a registry whose /Schemas form parses back to the same schemas.
func FuzzParseExtensions(f *testing.F) {
	f.Add([]byte(`[]`))
	f.Add([]byte(extFile(`{"name": "a"}, {"name": "b", "type": "complex", "multiValued": true, "subAttributes": [{"name": "value"}, {"name": "$ref", "type": "reference", "referenceTypes": ["User"]}]}`)))
	f.Add([]byte(`[{"resourceType": "Group", "required": false, "schema": {"id": "urn:x:y:Group", "name": "n", "description": "d",
		"attributes": [{"name": "w", "mutability": "writeOnly"}, {"name": "c", "canonicalValues": ["a"]}]}}]`))
	f.Add([]byte(`[{"resourceType": "User", "schema": {"id": "urn:ietf:params:scim:schemas:core:2.0:User", "attributes": [{"name": "a"}]}}]`))
	f.Add([]byte("[\n{"))
	if data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "schema-extensions.json")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exts, err := scim.ParseExtensions(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error message has more than one line: %q", err)
			}
			return
		}
		r, err := scim.NewRegistryWithExtensions(exts)
		if err != nil {
			t.Fatalf("ParseExtensions accepted what NewRegistryWithExtensions refuses: %v", err)
		}
		list := []any{}
		for _, e := range exts {
			if r.Schema(e.Schema.ID) != e.Schema {
				t.Fatalf("schema %q is not in the registry", e.Schema.ID)
			}
			list = append(list, map[string]any{"resourceType": e.ResourceType, "schema": e.Schema})
		}
		raw, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		again, err := scim.ParseExtensions(raw)
		if err != nil {
			t.Fatalf("the /Schemas form of an accepted file does not parse: %v\n%s", err, raw)
		}
		if len(again) != len(exts) {
			t.Fatalf("%d extensions became %d", len(exts), len(again))
		}
		for i := range exts {
			a, b := *exts[i].Schema, *again[i].Schema
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Fatalf("round trip changed the schema:\n%s\n%s", ja, jb)
			}
		}
	})
}
