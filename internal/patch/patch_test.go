package patch

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

const ent = scim.SchemaEnterpriseUser

// body wraps operations JSON in a PatchOp body.
func body(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
}

// sampleUser returns a fresh User document as the store holds it.
func sampleUser() map[string]any {
	return map[string]any{
		"userName":    "bjensen@example.com",
		"externalId":  "ext-1",
		"displayName": "Babs Jensen",
		"active":      true,
		"name":        map[string]any{"givenName": "Barbara", "familyName": "Jensen"},
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@home.example", "type": "home"},
		},
		ent: map[string]any{
			"department": "Sales",
			"manager":    map[string]any{"value": "mgr-1"},
		},
	}
}

// sampleGroup returns a fresh Group document as the store holds it.
func sampleGroup() map[string]any {
	return map[string]any{"displayName": "Engineering", "externalId": "g-ext"}
}

func requireSCIMError(t *testing.T, err error, status int, scimType string) {
	t.Helper()
	require.Error(t, err)
	se, ok := scim.AsError(err)
	require.True(t, ok, "error %v is not a *scim.Error", err)
	assert.Equal(t, status, se.Status, "status of %v", err)
	assert.Equal(t, scimType, se.Type, "scimType of %v", err)
}

func TestParse(t *testing.T) {
	t.Parallel()
	ops, err := Parse([]byte(`{"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y"},
		{"OP":"ADD","Path":"nickName","VALUE":"Babs"},{"op":"remove","path":"members[value eq \"7f\"]"},
		{"op":"replace","value":{"active":false}}],"id":"ignored","schemas":["URN:ietf:params:scim:api:messages:2.0:patchop"]}`))
	require.NoError(t, err)
	require.Len(t, ops, 4)
	assert.Equal(t, OpReplace, ops[0].Op)
	require.NotNil(t, ops[0].Path)
	assert.Equal(t, "emails", ops[0].Path.Attr.Attr)
	assert.NotNil(t, ops[0].Path.Filter)
	assert.Equal(t, "value", ops[0].Path.Sub)
	assert.Equal(t, "x@y", ops[0].Value)
	assert.Equal(t, OpAdd, ops[1].Op)
	assert.Equal(t, "nickName", ops[1].Path.Attr.Attr)
	assert.Equal(t, "Babs", ops[1].Value)
	assert.Equal(t, OpRemove, ops[2].Op)
	assert.Nil(t, ops[2].Value)
	assert.Nil(t, ops[3].Path)
	assert.Equal(t, map[string]any{"active": false}, ops[3].Value)

	// A null value is a value: replace with null clears (entra.md §5.12).
	ops, err = Parse([]byte(body(`{"op":"replace","path":"title","value":null}`)))
	require.NoError(t, err)
	assert.Nil(t, ops[0].Value)
	// An empty path is no path.
	ops, err = Parse([]byte(body(`{"op":"add","path":"","value":{"title":"x"}}`)))
	require.NoError(t, err)
	assert.Nil(t, ops[0].Path)
	// Numbers stay json.Number.
	ops, err = Parse([]byte(body(`{"op":"add","path":"title","value":1.50}`)))
	require.NoError(t, err)
	assert.Equal(t, "1.50", ops[0].Value.(interface{ String() string }).String())
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		scimType string
	}{
		{"not JSON", `{"schemas":`, scim.TypeInvalidSyntax},
		{"not an object", `[]`, scim.TypeInvalidSyntax},
		{"trailing data", body(`{"op":"add","path":"title","value":"x"}`) + `{}`, scim.TypeInvalidSyntax},
		{"no schemas", `{"Operations":[{"op":"add","path":"title","value":"x"}]}`, scim.TypeInvalidSyntax},
		{"wrong schema", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"add","path":"title","value":"x"}]}`, scim.TypeInvalidSyntax},
		{"no Operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, scim.TypeInvalidValue},
		{"null Operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":null}`, scim.TypeInvalidValue},
		{"empty Operations", body(``), scim.TypeInvalidValue},
		{"Operations not an array", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":{"op":"add"}}`, scim.TypeInvalidSyntax},
		{"operation not an object", body(`"add"`), scim.TypeInvalidSyntax},
		{"no op", body(`{"path":"title","value":"x"}`), scim.TypeInvalidSyntax},
		{"op not a string", body(`{"op":1,"path":"title","value":"x"}`), scim.TypeInvalidSyntax},
		{"unknown op", body(`{"op":"move","path":"title","value":"x"}`), scim.TypeInvalidSyntax},
		{"path not a string", body(`{"op":"add","path":5,"value":"x"}`), scim.TypeInvalidPath},
		{"malformed path", body(`{"op":"add","path":"emails[type eq","value":"x"}`), scim.TypeInvalidPath},
		{"malformed filter in path", body(`{"op":"remove","path":"emails[type xx \"work\"]"}`), scim.TypeInvalidPath},
		{"remove without path", body(`{"op":"remove","value":{"title":"x"}}`), scim.TypeNoTarget},
		{"add without value", body(`{"op":"add","path":"title"}`), scim.TypeInvalidValue},
		{"replace without value", body(`{"op":"Replace","path":"title"}`), scim.TypeInvalidValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.body))
			requireSCIMError(t, err, http.StatusBadRequest, tc.scimType)
		})
	}
}

func TestParsePathErrorNamesPosition(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(body(`{"op":"add","path":"emails[type eq","value":"x"}`)))
	se, ok := scim.AsError(err)
	require.True(t, ok)
	assert.Contains(t, se.Detail, "Operations[0]")
	assert.Contains(t, se.Detail, "position")
}

// applyBody parses body and applies it to doc.
func applyBody(t *testing.T, rtName string, doc map[string]any, b string) (*Result, error) {
	t.Helper()
	reg := scim.NewRegistry()
	ops, err := Parse([]byte(b))
	require.NoError(t, err, "parse %s", b)
	return Apply(reg, reg.ResourceType(rtName), doc, ops)
}

func TestApplyUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  func() map[string]any // sampleUser when nil
		ops  string
		// want edits a fresh copy of the input document into the expected result.
		want    func(d map[string]any)
		unknown []string
	}{
		{
			name: "entra 4.4 multi-valued replace by filter and sub-attribute (fixture azuread/update_user)",
			ops: `{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
				{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"},
				{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"},
				{"op":"Replace","path":"active","value":false}`,
			want: func(d map[string]any) {
				d["emails"].([]any)[0].(map[string]any)["value"] = "updatedEmail@microsoft.com"
				d["name"].(map[string]any)["familyName"] = "updatedFamilyName"
				d["userName"] = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
				d["active"] = false
			},
		},
		{
			name: "entra 4.4 multi-attribute replace without flag",
			ops: `{"op":"Replace","path":"displayName","value":"Pvlo"},
				{"op":"Replace","path":"emails[type eq \"work\"].value","value":"TestBcwqnm@test.microsoft.com"},
				{"op":"Replace","path":"name.givenName","value":"Gtfd"},
				{"op":"Replace","path":"name.familyName","value":"Pkqf"},
				{"op":"Replace","path":"externalId","value":"Eqpj"},
				{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Eqpj"}`,
			want: func(d map[string]any) {
				d["displayName"] = "Pvlo"
				d["emails"].([]any)[0].(map[string]any)["value"] = "TestBcwqnm@test.microsoft.com"
				d["name"] = map[string]any{"givenName": "Gtfd", "familyName": "Pkqf"}
				d["externalId"] = "Eqpj"
				d[ent].(map[string]any)["employeeNumber"] = "Eqpj"
			},
		},
		{
			name: "entra 4.4 aadOptscim062020 path-less value with dotted and URN-qualified keys",
			ops: `{"op":"replace","path":"emails[type eq \"work\"].value","value":"TestMhvaes@test.microsoft.com"},
				{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}`,
			want: func(d map[string]any) {
				d["emails"].([]any)[0].(map[string]any)["value"] = "TestMhvaes@test.microsoft.com"
				d["displayName"] = "Bjfe"
				d["name"] = map[string]any{"givenName": "Kkom", "familyName": "Unua"}
				d[ent].(map[string]any)["employeeNumber"] = "Aklq"
			},
		},
		{
			name: "entra 4.4 Add nickName (default casing)",
			ops:  `{"op":"Add","path":"nickName","value":"Babs"}`,
			want: func(d map[string]any) { d["nickName"] = "Babs" },
		},
		{
			name: "entra 4.4 add nickName (flag casing)",
			ops:  `{"op":"add","path":"nickName","value":"Babs"}`,
			want: func(d map[string]any) { d["nickName"] = "Babs" },
		},
		{
			name: "entra 4.5 manager Add as a bare id string",
			ops:  `{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"271"}`,
			want: func(d map[string]any) { d[ent].(map[string]any)["manager"] = map[string]any{"value": "271"} },
		},
		{
			name: "entra 4.5 manager added to a user without the extension",
			doc: func() map[string]any {
				d := sampleUser()
				delete(d, ent)
				return d
			},
			ops:  `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"271"}`,
			want: func(d map[string]any) { d[ent] = map[string]any{"manager": map[string]any{"value": "271"}} },
		},
		{
			name: "entra 4.5 manager replace replaces the whole reference",
			doc: func() map[string]any {
				d := sampleUser()
				d[ent].(map[string]any)["manager"] = map[string]any{"value": "mgr-1", "$ref": "https://x/Users/mgr-1"}
				return d
			},
			ops:  `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"mgr-2"}`,
			want: func(d map[string]any) { d[ent].(map[string]any)["manager"] = map[string]any{"value": "mgr-2"} },
		},
		{
			name: "entra 4.5 manager.value replace drops the stale $ref",
			doc: func() map[string]any {
				d := sampleUser()
				d[ent].(map[string]any)["manager"] = map[string]any{"value": "mgr-1", "$ref": "https://x/Users/mgr-1"}
				return d
			},
			ops:  `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"mgr-2"}`,
			want: func(d map[string]any) { d[ent].(map[string]any)["manager"] = map[string]any{"value": "mgr-2"} },
		},
		{
			name: "entra 4.5 manager replace with empty string clears it",
			ops:  `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}`,
			want: func(d map[string]any) { delete(d[ent].(map[string]any), "manager") },
		},
		{
			name: "manager replace with null clears it and an empty extension disappears",
			doc: func() map[string]any {
				d := sampleUser()
				delete(d[ent].(map[string]any), "department")
				return d
			},
			ops:  `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":null}`,
			want: func(d map[string]any) { delete(d, ent) },
		},
		{
			name: "entra 4.5 remove manager[value eq id] clears a matching manager (path without URN)",
			ops:  `{"op":"remove","path":"manager[value eq \"mgr-1\"]"}`,
			want: func(d map[string]any) { delete(d[ent].(map[string]any), "manager") },
		},
		{
			name: "entra 4.5 remove manager[value eq id] with another manager is a no-op",
			ops:  `{"op":"remove","path":"manager[value eq \"someone-else\"]"}`,
			want: func(map[string]any) {},
		},
		{
			name: "entra 4.5 remove manager re-sent after it is gone is a no-op",
			doc: func() map[string]any {
				d := sampleUser()
				delete(d[ent].(map[string]any), "manager")
				return d
			},
			ops:  `{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq \"mgr-1\"]"}`,
			want: func(map[string]any) {},
		},
		{
			name: "entra 4.5 legacy manager path without URN and a one-element array",
			ops:  `{"op":"Add","path":"manager","value":[{"$ref":"http://example.com/scim/Users/00aa","value":"00aa"}]}`,
			want: func(d map[string]any) {
				d[ent].(map[string]any)["manager"] = map[string]any{"value": "00aa", "$ref": "http://example.com/scim/Users/00aa"}
			},
		},
		{
			name: "remove manager with a matching value clears it (reference code PatchManager)",
			ops:  `{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"mgr-1"}}`,
			want: func(d map[string]any) { delete(d[ent].(map[string]any), "manager") },
		},
		{
			name: "remove manager with another value keeps it",
			ops:  `{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"mgr-9"}`,
			want: func(map[string]any) {},
		},
		{
			name: "entra 4.6 disable with the string False",
			ops:  `{"op":"Replace","path":"active","value":"False"}`,
			want: func(d map[string]any) { d["active"] = false },
		},
		{
			name: "entra 4.6 disable with boolean false (flag)",
			ops:  `{"op":"replace","path":"active","value":false}`,
			want: func(d map[string]any) { d["active"] = false },
		},
		{
			name: "entra 4.6 disable with lower-case string false",
			ops:  `{"op":"Replace","path":"active","value":"false"}`,
			want: func(d map[string]any) { d["active"] = false },
		},
		{
			name: "entra 4.7 restore with the string True",
			doc: func() map[string]any {
				d := sampleUser()
				d["active"] = false
				return d
			},
			ops:  `{"op":"Replace","path":"active","value":"True"}`,
			want: func(d map[string]any) { d["active"] = true },
		},
		{
			name: "okta update_user_patch path-less deactivate",
			ops:  `{"op":"replace","value":{"active":false}}`,
			want: func(d map[string]any) { d["active"] = false },
		},
		{
			name: "path-less value object with a string boolean",
			ops:  `{"op":"replace","value":{"active":"False"}}`,
			want: func(d map[string]any) { d["active"] = false },
		},
		{
			name: "entra 4.15 roles Add with a JSON string value",
			ops:  `{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b0\",\"value\":\"25\",\"displayName\":\"Role1234\"}"}]}`,
			want: func(d map[string]any) {
				d["roles"] = []any{map[string]any{"value": `{"id":"06b0","value":"25","displayName":"Role1234"}`}}
			},
		},
		{
			name: "entra 4.15 AssertiveAppRoleAssignmentsComplex roles replace",
			doc: func() map[string]any {
				d := sampleUser()
				d["roles"] = []any{map[string]any{"value": "Old"}}
				return d
			},
			ops: `{"op":"replace","path":"roles","value":[
				{"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"User","value":"User"},
				{"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"Test","value":"Test"}]}`,
			want: func(d map[string]any) {
				d["roles"] = []any{
					map[string]any{"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "User", "value": "User"},
					map[string]any{"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Test", "value": "Test"},
				}
			},
		},
		{
			name: "entra 4.15 roles[primary eq \"True\"] creates the primary role",
			ops: `{"op":"Add","path":"roles[primary eq \"True\"].value","value":"Admin"},
				{"op":"Add","path":"roles[primary eq \"True\"].type","value":"WindowsAzureActiveDirectoryRole"}`,
			want: func(d map[string]any) {
				d["roles"] = []any{map[string]any{"primary": true, "value": "Admin", "type": "WindowsAzureActiveDirectoryRole"}}
			},
		},
		{
			name: "entra 5.6 several work-address ops build one element",
			ops: `{"op":"Add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"},
				{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Springfield"},
				{"op":"Replace","path":"addresses[type eq \"work\"].region","value":"IL"},
				{"op":"Replace","path":"addresses[type eq \"work\"].postalCode","value":"62701"},
				{"op":"Add","path":"addresses[type eq \"work\"].country","value":"US"}`,
			want: func(d map[string]any) {
				d["addresses"] = []any{map[string]any{
					"type": "work", "streetAddress": "1 Main St", "locality": "Springfield",
					"region": "IL", "postalCode": "62701", "country": "US",
				}}
			},
		},
		{
			name: "entra 4.4 replace of a missing work email creates it",
			doc: func() map[string]any {
				d := sampleUser()
				d["emails"] = []any{map[string]any{"value": "babs@home.example", "type": "home"}}
				return d
			},
			ops: `{"op":"Replace","path":"emails[type eq \"work\"].value","value":"w@x.example"}`,
			want: func(d map[string]any) {
				d["emails"] = []any{
					map[string]any{"value": "babs@home.example", "type": "home"},
					map[string]any{"value": "w@x.example", "type": "work"},
				}
			},
		},
		{
			name: "entra 4.4 replace of one typed element leaves the others untouched",
			ops:  `{"op":"replace","path":"emails[type eq \"home\"].value","value":"new@home.example"}`,
			want: func(d map[string]any) { d["emails"].([]any)[1].(map[string]any)["value"] = "new@home.example" },
		},
		{
			name: "filter with and of eq comparisons creates from both",
			doc: func() map[string]any {
				d := sampleUser()
				delete(d, "emails")
				return d
			},
			ops: `{"op":"add","path":"emails[type eq \"work\" and primary eq true].value","value":"w@x.example"}`,
			want: func(d map[string]any) {
				d["emails"] = []any{map[string]any{"type": "work", "primary": true, "value": "w@x.example"}}
			},
		},
		{
			name: "entra 5.12 null-update of a missing filtered element is a no-op",
			doc: func() map[string]any {
				d := sampleUser()
				delete(d, "emails")
				return d
			},
			ops:  `{"op":"replace","path":"emails[type eq \"work\"].value","value":""}`,
			want: func(map[string]any) {},
		},
		{
			name: "entra 5.12 replace with empty string and null clears optional attributes",
			ops: `{"op":"replace","path":"displayName","value":""},
				{"op":"replace","path":"name.givenName","value":null},
				{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":""}`,
			want: func(d map[string]any) {
				delete(d, "displayName")
				d["name"] = map[string]any{"familyName": "Jensen"}
				delete(d[ent].(map[string]any), "department")
			},
		},
		{
			name: "clearing every sub-attribute removes the object",
			ops:  `{"op":"replace","path":"name.givenName","value":""},{"op":"remove","path":"name.familyName"}`,
			want: func(d map[string]any) { delete(d, "name") },
		},
		{
			name: "path-less replace with null and empty values clears",
			ops:  `{"op":"replace","value":{"displayName":null,"title":"","name.familyName":""}}`,
			want: func(d map[string]any) {
				delete(d, "displayName")
				d["name"] = map[string]any{"givenName": "Barbara"}
			},
		},
		{
			name: "multi-valued add merges, skips duplicates and moves primary",
			ops: `{"op":"add","path":"emails","value":[{"value":"babs@home.example","type":"home"},
				{"value":"other@example.com","type":"other","primary":"True"}]}`,
			want: func(d map[string]any) {
				emails := d["emails"].([]any)
				emails[0].(map[string]any)["primary"] = false
				d["emails"] = append(emails, map[string]any{"value": "other@example.com", "type": "other", "primary": true})
			},
		},
		{
			name: "multi-valued add of a single object",
			ops:  `{"op":"add","path":"phoneNumbers","value":{"value":"+1 555","type":"work"}}`,
			want: func(d map[string]any) {
				d["phoneNumbers"] = []any{map[string]any{"value": "+1 555", "type": "work"}}
			},
		},
		{
			name: "multi-valued replace replaces everything",
			ops:  `{"op":"replace","path":"emails","value":[{"value":"only@example.com","type":"work"}]}`,
			want: func(d map[string]any) {
				d["emails"] = []any{map[string]any{"value": "only@example.com", "type": "work"}}
			},
		},
		{
			name: "setting primary on one element clears it on the other",
			ops:  `{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}`,
			want: func(d map[string]any) {
				d["emails"].([]any)[0].(map[string]any)["primary"] = false
				d["emails"].([]any)[1].(map[string]any)["primary"] = true
			},
		},
		{
			name: "replace a whole filtered element",
			ops:  `{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"h2@home.example","type":"home"}}`,
			want: func(d map[string]any) {
				d["emails"].([]any)[1] = map[string]any{"value": "h2@home.example", "type": "home"}
			},
		},
		{
			name: "add to a filtered element merges sub-attributes",
			ops:  `{"op":"add","path":"emails[value eq \"BABS@HOME.EXAMPLE\"]","value":{"display":"Home"}}`,
			want: func(d map[string]any) { d["emails"].([]any)[1].(map[string]any)["display"] = "Home" },
		},
		{
			name: "remove by filter",
			ops:  `{"op":"remove","path":"emails[type eq \"home\"]"}`,
			want: func(d map[string]any) { d["emails"] = d["emails"].([]any)[:1] },
		},
		{
			name: "remove by filter with not and or",
			ops:  `{"op":"remove","path":"emails[not (type eq \"nope\") and (primary eq true or type eq \"home\")]"}`,
			want: func(d map[string]any) { delete(d, "emails") },
		},
		{
			name: "remove a sub-attribute of filtered elements",
			ops:  `{"op":"remove","path":"emails[type eq \"work\"].primary"}`,
			want: func(d map[string]any) { delete(d["emails"].([]any)[0].(map[string]any), "primary") },
		},
		{
			name: "remove a sub-attribute of every element",
			ops:  `{"op":"remove","path":"emails.type"}`,
			want: func(d map[string]any) {
				delete(d["emails"].([]any)[0].(map[string]any), "type")
				delete(d["emails"].([]any)[1].(map[string]any), "type")
			},
		},
		{
			name: "remove a whole multi-valued attribute",
			ops:  `{"op":"remove","path":"emails"}`,
			want: func(d map[string]any) { delete(d, "emails") },
		},
		{
			name: "remove emails by value array removes only those (Entra members shape, generalised)",
			ops:  `{"op":"remove","path":"emails","value":[{"value":"BABS@home.example"}]}`,
			want: func(d map[string]any) { d["emails"] = d["emails"].([]any)[:1] },
		},
		{
			name: "extension URN path add merges into the extension",
			ops:  `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"costCenter":"42","manager":"mgr-2","bogus":1}}`,
			want: func(d map[string]any) {
				d[ent].(map[string]any)["costCenter"] = "42"
				d[ent].(map[string]any)["manager"] = map[string]any{"value": "mgr-2"}
			},
			unknown: []string{ent + ":bogus"},
		},
		{
			name: "extension object under its URN in a path-less value",
			ops:  `{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}}`,
			want: func(d map[string]any) { d[ent].(map[string]any)["department"] = "R&D" },
		},
		{
			name: "remove the extension URN path",
			ops:  `{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}`,
			want: func(d map[string]any) { delete(d, ent) },
		},
		{
			name: "URN-qualified core attribute and case-insensitive names",
			ops: `{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:DisplayName","value":"B"},
				{"op":"replace","path":"NAME.FamilyName","value":"J"},
				{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:Department","value":"D"}`,
			want: func(d map[string]any) {
				d["displayName"] = "B"
				d["name"].(map[string]any)["familyName"] = "J"
				d[ent].(map[string]any)["department"] = "D"
			},
		},
		{
			name: "path-less value ignores echoed readOnly attributes and lists unknown ones",
			ops:  `{"op":"replace","value":{"id":"x","meta":{"created":"2020-01-01T00:00:00Z"},"schemas":[],"groups":[{"value":"g"}],"title":"Boss","foo":"bar","name.nope":"x"}}`,
			want: func(d map[string]any) { d["title"] = "Boss" },
			unknown: []string{
				"foo", "name.nope",
			},
		},
		{
			name: "path-less add of complex and multi-valued attributes",
			ops:  `{"op":"add","value":{"name":{"middleName":"J"},"ims":[{"value":"babs","type":"xmpp"}]}}`,
			want: func(d map[string]any) {
				d["name"].(map[string]any)["middleName"] = "J"
				d["ims"] = []any{map[string]any{"value": "babs", "type": "xmpp"}}
			},
		},
		{
			name: "replace of a complex attribute merges sub-attributes (RFC 7644 §3.5.2.3)",
			ops:  `{"op":"replace","path":"name","value":{"givenName":"B"}}`,
			want: func(d map[string]any) { d["name"].(map[string]any)["givenName"] = "B" },
		},
		{
			name: "add of null changes nothing",
			ops:  `{"op":"add","path":"title","value":null},{"op":"add","path":"emails","value":[]}`,
			want: func(map[string]any) {},
		},
		{
			name: "add on an existing single value replaces it",
			ops:  `{"op":"add","path":"displayName","value":"New"}`,
			want: func(d map[string]any) { d["displayName"] = "New" },
		},
		{
			name: "emails.value without filter and without emails creates one element",
			doc: func() map[string]any {
				d := sampleUser()
				delete(d, "emails")
				return d
			},
			ops:  `{"op":"add","path":"emails.value","value":"a@b.example"}`,
			want: func(d map[string]any) { d["emails"] = []any{map[string]any{"value": "a@b.example"}} },
		},
		{
			name: "same value twice is not a change",
			ops:  `{"op":"replace","path":"userName","value":"bjensen@example.com"},{"op":"add","path":"emails","value":[{"value":"bjensen@example.com","type":"work","primary":true}]}`,
			want: func(map[string]any) {},
		},
		{
			name: "externalId",
			ops:  `{"op":"replace","path":"externalId","value":"ext-2"}`,
			want: func(d map[string]any) { d["externalId"] = "ext-2" },
		},
		{
			name: "remove of an absent attribute is a no-op",
			ops:  `{"op":"remove","path":"title"},{"op":"remove","path":"name.middleName"}`,
			want: func(map[string]any) {},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mk := sampleUser
			if tc.doc != nil {
				mk = tc.doc
			}
			res, err := applyBody(t, scim.ResourceUser, mk(), body(tc.ops))
			require.NoError(t, err)
			want := mk()
			tc.want(want)
			assert.Equal(t, want, res.Attributes)
			assert.Equal(t, !deepEqual(mk(), want), res.Changed, "Changed")
			assert.Equal(t, tc.unknown, res.Unknown, "Unknown")
			assert.Nil(t, res.Password)
			assert.Empty(t, res.MemberOps)
		})
	}
}

func TestApplyPassword(t *testing.T) {
	t.Parallel()
	for _, ops := range []string{
		`{"op":"replace","path":"password","value":"s3cret!"}`,
		`{"op":"Add","path":"password","value":"s3cret!"}`,
		`{"op":"replace","value":{"password":"s3cret!"}}`,
	} {
		res, err := applyBody(t, scim.ResourceUser, sampleUser(), body(ops))
		require.NoError(t, err, ops)
		require.NotNil(t, res.Password, ops)
		assert.Equal(t, "s3cret!", *res.Password, ops)
		assert.False(t, res.Changed, ops)
		assert.NotContains(t, res.Attributes, "password", ops)
	}
	res, err := applyBody(t, scim.ResourceUser, sampleUser(), body(`{"op":"replace","path":"password","value":""}`))
	require.NoError(t, err)
	assert.Nil(t, res.Password, "an empty password sets nothing, as in POST")
}

func member(id string) scim.Member { return scim.Member{Value: id} }

func mustFilter(s string) filter.Expr {
	e, err := filter.Parse(s)
	if err != nil {
		panic(err)
	}
	return e
}

func TestApplyGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ops     string
		want    func(d map[string]any)
		wantOps []scim.MemberOp
	}{
		{
			name: "entra fixture azuread/update_group: rename, add, remove by value array",
			ops: `{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"},
				{"op":"Add","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]},
				{"op":"Remove","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}`,
			want: func(d map[string]any) { d["displayName"] = "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" },
			wantOps: []scim.MemberOp{
				{Kind: scim.MemberAdd, Members: []scim.Member{member("f648f8d5ea4e4cd38e9c")}},
				{Kind: scim.MemberRemove, Members: []scim.Member{member("f648f8d5ea4e4cd38e9c")}},
			},
		},
		{
			name: "entra 4.11 rename",
			ops:  `{"op":"Replace","path":"displayName","value":"Renamed"}`,
			want: func(d map[string]any) { d["displayName"] = "Renamed" },
		},
		{
			name:    "entra 4.12 add several members with $ref null and types",
			ops:     `{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"},{"value":"g2","type":"group"},{"value":"u3","type":"User","display":"Three"}]}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberAdd, Members: []scim.Member{member("u1"), {Value: "g2", Type: scim.ResourceGroup}, {Value: "u3", Type: scim.ResourceUser, Display: "Three"}}}},
		},
		{
			name:    "entra 4.13 default remove by value array removes exactly those",
			ops:     `{"op":"Remove","path":"members","value":[{"value":"u1091"}]}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberRemove, Members: []scim.Member{member("u1091")}}},
		},
		{
			name:    "entra 4.13 aadOptscim062020 remove by filter",
			ops:     `{"op":"remove","path":"members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberRemove, Members: []scim.Member{member("7f4bc1a3-285e-48ae-8202-5accb43efb0e")}}},
		},
		{
			name:    "remove by filter joined with or",
			ops:     `{"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberRemove, Members: []scim.Member{member("a"), member("b")}}},
		},
		{
			name:    "remove by any other member filter: evaluated by the store",
			ops:     `{"op":"remove","path":"members[type eq \"Group\" and not (display sw \"Keep\")]"}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberRemoveWhere, Filter: mustFilter(`type eq "Group" and not (display sw "Keep")`)}},
		},
		{
			name:    "remove by value with another operator",
			ops:     `{"op":"remove","path":"members[value sw \"7f\"]"}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberRemoveWhere, Filter: mustFilter(`value sw "7f"`)}},
		},
		{
			name:    "postman remove all members without a value",
			ops:     `{"op":"remove","path":"members"}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberRemoveAll}},
		},
		{
			name: "remove with an empty value array removes nothing",
			ops:  `{"op":"remove","path":"members","value":[]}`,
			want: func(map[string]any) {},
		},
		{
			name: "okta fixture okta/update_group_membership",
			ops: `{"op":"remove","path":"members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"},
				{"op":"add","path":"members","value":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]},
				{"op":"replace","path":"members","value":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"},
				{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}]}`,
			want: func(map[string]any) {},
			wantOps: []scim.MemberOp{
				{Kind: scim.MemberRemove, Members: []scim.Member{member("89bb1940-b905-4575-9e7f-6f887cfb368e")}},
				{Kind: scim.MemberAdd, Members: []scim.Member{{Value: "23a35c27-23d3-4c03-b4c5-6443c09e7173", Display: "test.user@okta.local"}}},
				{Kind: scim.MemberReplace, Members: []scim.Member{
					{Value: "23a35c27-23d3-4c03-b4c5-6443c09e7173", Display: "test.user@okta.local"},
					{Value: "89bb1940-b905-4575-9e7f-6f887cfb368e", Display: "test.user@okta.local"},
				}},
			},
		},
		{
			name:    "okta replace members with [] empties the group",
			ops:     `{"op":"replace","path":"members","value":[]}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberRemoveAll}},
		},
		{
			name: "okta fixture okta/update_group_name: path-less rename echoing id",
			ops:  `{"op":"replace","value":{"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","displayName":"Test SCIMv2"}}`,
			want: func(d map[string]any) { d["displayName"] = "Test SCIMv2" },
		},
		{
			name: "entra rename via path-less value object, with externalId",
			ops:  `{"op":"Replace","value":{"displayName":"x","externalId":"e2"}}`,
			want: func(d map[string]any) {
				d["displayName"] = "x"
				d["externalId"] = "e2"
			},
		},
		{
			name:    "path-less replace of members",
			ops:     `{"op":"replace","value":{"members":[{"value":"u1"}]}}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberReplace, Members: []scim.Member{member("u1")}}},
		},
		{
			name:    "entra 5.13 postman member add with a bare id string",
			ops:     `{"op":"add","path":"members","value":"string id 1"}`,
			want:    func(map[string]any) {},
			wantOps: []scim.MemberOp{{Kind: scim.MemberAdd, Members: []scim.Member{member("string id 1")}}},
		},
		{
			name: "add of no members is nothing",
			ops:  `{"op":"add","path":"members","value":[]}`,
			want: func(map[string]any) {},
		},
		{
			name: "externalId removal",
			ops:  `{"op":"remove","path":"externalId"}`,
			want: func(d map[string]any) { delete(d, "externalId") },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := applyBody(t, scim.ResourceGroup, sampleGroup(), body(tc.ops))
			require.NoError(t, err)
			want := sampleGroup()
			tc.want(want)
			assert.Equal(t, want, res.Attributes)
			assert.NotContains(t, res.Attributes, "members")
			assert.Equal(t, tc.wantOps, res.MemberOps)
			assert.Equal(t, !deepEqual(sampleGroup(), want), res.Changed)
		})
	}
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		rt       string // User when ""
		ops      string
		scimType string
	}{
		{"unknown attribute", "", `{"op":"replace","path":"foo","value":"x"}`, scim.TypeInvalidPath},
		{"unknown sub-attribute", "", `{"op":"replace","path":"name.foo","value":"x"}`, scim.TypeInvalidPath},
		{"sub-attribute of a simple attribute", "", `{"op":"replace","path":"userName.foo","value":"x"}`, scim.TypeInvalidPath},
		{"unknown extension attribute", "", `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:foo","value":"x"}`, scim.TypeInvalidPath},
		{"unknown schema URN", "", `{"op":"replace","path":"urn:example:ext:1.0:User:foo","value":"x"}`, scim.TypeInvalidPath},
		{"unknown sub-attribute in filter", "", `{"op":"replace","path":"emails[foo eq \"x\"].value","value":"x"}`, scim.TypeInvalidPath},
		{"unknown sub-attribute after filter", "", `{"op":"replace","path":"emails[type eq \"work\"].foo","value":"x"}`, scim.TypeInvalidPath},
		{"filter on a simple attribute", "", `{"op":"remove","path":"userName[value eq \"x\"]"}`, scim.TypeInvalidPath},
		{"ordering on a boolean in a filter", "", `{"op":"remove","path":"emails[primary gt true]"}`, scim.TypeInvalidFilter},
		{"members on a user", "", `{"op":"add","path":"members","value":[{"value":"x"}]}`, scim.TypeInvalidPath},
		{"readOnly id", "", `{"op":"replace","path":"id","value":"x"}`, scim.TypeMutability},
		{"readOnly meta sub-attribute", "", `{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}`, scim.TypeMutability},
		{"readOnly groups", "", `{"op":"add","path":"groups","value":[{"value":"g1"}]}`, scim.TypeMutability},
		{"readOnly groups remove", "", `{"op":"remove","path":"groups"}`, scim.TypeMutability},
		{"readOnly manager.displayName", "", `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}`, scim.TypeMutability},
		{"wrong type boolean", "", `{"op":"replace","path":"active","value":12}`, scim.TypeInvalidValue},
		{"wrong type boolean string", "", `{"op":"replace","path":"active","value":"yes"}`, scim.TypeInvalidValue},
		{"wrong type string", "", `{"op":"replace","path":"userName","value":5}`, scim.TypeInvalidValue},
		{"wrong type complex", "", `{"op":"replace","path":"name","value":5}`, scim.TypeInvalidValue},
		{"wrong type in path-less value", "", `{"op":"replace","value":{"active":"maybe"}}`, scim.TypeInvalidValue},
		{"array for a single value", "", `{"op":"replace","path":"displayName","value":["a","b"]}`, scim.TypeInvalidValue},
		{"two primaries in one value", "", `{"op":"add","path":"emails","value":[{"value":"a@x","primary":true},{"value":"b@x","primary":true}]}`, scim.TypeInvalidValue},
		{"primary on two matched elements", "", `{"op":"replace","path":"emails.primary","value":true}`, scim.TypeInvalidValue},
		{"several values for one filtered element", "", `{"op":"replace","path":"emails[type eq \"work\"]","value":[{"value":"a@x"},{"value":"b@x"}]}`, scim.TypeInvalidValue},
		{"path-less value not an object", "", `{"op":"add","value":"x"}`, scim.TypeInvalidValue},
		{"extension value not an object", "", `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":"x"}`, scim.TypeInvalidValue},
		{"remove by filter matching nothing", "", `{"op":"remove","path":"emails[type eq \"other\"]"}`, scim.TypeNoTarget},
		{"replace by non-eq filter matching nothing", "", `{"op":"replace","path":"emails[value co \"zzz\"].type","value":"work"}`, scim.TypeNoTarget},
		{"replace by or filter matching nothing", "", `{"op":"replace","path":"emails[type eq \"a\" or type eq \"b\"].value","value":"x@y"}`, scim.TypeNoTarget},
		{"remove required userName", "", `{"op":"remove","path":"userName"}`, scim.TypeMutability},
		{"clear required userName", "", `{"op":"replace","path":"userName","value":""}`, scim.TypeMutability},
		{"clear required userName path-less", "", `{"op":"replace","value":{"userName":null}}`, scim.TypeMutability},
		{"remove password", "", `{"op":"remove","path":"password"}`, scim.TypeMutability},
		{"password not a string", "", `{"op":"replace","path":"password","value":5}`, scim.TypeInvalidValue},
		{"remove required group displayName", scim.ResourceGroup, `{"op":"remove","path":"displayName"}`, scim.TypeMutability},
		{"members sub-attribute", scim.ResourceGroup, `{"op":"replace","path":"members.value","value":"x"}`, scim.TypeMutability},
		{"members filter with sub-attribute", scim.ResourceGroup, `{"op":"replace","path":"members[value eq \"x\"].display","value":"x"}`, scim.TypeMutability},
		{"members unknown sub-attribute", scim.ResourceGroup, `{"op":"replace","path":"members.foo","value":"x"}`, scim.TypeInvalidPath},
		{"members filter for add", scim.ResourceGroup, `{"op":"add","path":"members[value eq \"x\"]","value":{"value":"x"}}`, scim.TypeInvalidPath},
		{"member value not a string", scim.ResourceGroup, `{"op":"add","path":"members","value":[{"value":5}]}`, scim.TypeInvalidValue},
		{"member not an object", scim.ResourceGroup, `{"op":"add","path":"members","value":[5]}`, scim.TypeInvalidValue},
		{"member without value", scim.ResourceGroup, `{"op":"add","path":"members","value":[{"display":"x"}]}`, scim.TypeInvalidValue},
		{"member with a bad type", scim.ResourceGroup, `{"op":"add","path":"members","value":[{"value":"x","type":"Robot"}]}`, scim.TypeInvalidValue},
		{"members value a number", scim.ResourceGroup, `{"op":"replace","path":"members","value":7}`, scim.TypeInvalidValue},
		{"password on a group", scim.ResourceGroup, `{"op":"replace","path":"password","value":"x"}`, scim.TypeInvalidPath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt, doc := scim.ResourceUser, sampleUser()
			if tc.rt == scim.ResourceGroup {
				rt, doc = scim.ResourceGroup, sampleGroup()
			}
			res, err := applyBody(t, rt, doc, body(tc.ops))
			assert.Nil(t, res)
			requireSCIMError(t, err, http.StatusBadRequest, tc.scimType)
		})
	}
}

func TestApplyErrorNamesOperation(t *testing.T) {
	t.Parallel()
	_, err := applyBody(t, scim.ResourceUser, sampleUser(), body(`{"op":"add","path":"title","value":"x"},{"op":"replace","path":"active","value":3}`))
	se, ok := scim.AsError(err)
	require.True(t, ok)
	assert.Contains(t, se.Detail, "Operations[1]")
	assert.Contains(t, se.Detail, `"active"`)
}

func TestApplyOperationsBuiltByHand(t *testing.T) {
	t.Parallel()
	reg := scim.NewRegistry()
	rt := reg.ResourceType(scim.ResourceUser)
	_, err := Apply(reg, rt, sampleUser(), []Operation{{Op: "copy"}})
	requireSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidSyntax)
	_, err = Apply(reg, rt, sampleUser(), []Operation{{Op: "Remove"}})
	requireSCIMError(t, err, http.StatusBadRequest, scim.TypeNoTarget)
	res, err := Apply(reg, rt, sampleUser(), nil)
	require.NoError(t, err)
	assert.Equal(t, sampleUser(), res.Attributes)
	assert.False(t, res.Changed)
	_, err = Apply(reg, rt, nil, []Operation{{Op: "add", Value: map[string]any{"title": "x"}}})
	requireSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue) // no userName
	_, err = Apply(reg, nil, sampleUser(), nil)
	require.Error(t, err)
	_, isSCIM := scim.AsError(err)
	assert.False(t, isSCIM, "a nil resource type is a programming error, not a client error")
}

func TestApplyRequiredMissingBefore(t *testing.T) {
	t.Parallel()
	// A document that already lacks userName cannot be patched into validity by accident:
	// CheckRequired reports it as invalidValue.
	doc := sampleUser()
	delete(doc, "userName")
	_, err := applyBody(t, scim.ResourceUser, doc, body(`{"op":"add","path":"title","value":"x"}`))
	requireSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)
}

func TestApplyDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	doc := sampleUser()
	ops := body(`{"op":"replace","path":"emails[type eq \"work\"].value","value":"x@y"},
		{"op":"remove","path":"emails[type eq \"home\"]"},
		{"op":"add","path":"emails","value":[{"value":"n@y","primary":true}]},
		{"op":"replace","path":"name.givenName","value":"X"},
		{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"},
		{"op":"add","path":"addresses[type eq \"work\"].locality","value":"Here"}`)
	res, err := applyBody(t, scim.ResourceUser, doc, ops)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Equal(t, sampleUser(), doc, "the input document must not change")

	// Mutating the result must not reach the input either.
	res.Attributes["name"].(map[string]any)["givenName"] = "Y"
	res.Attributes[ent].(map[string]any)["department"] = "Z"
	assert.Equal(t, sampleUser(), doc)

	// A failing PATCH leaves the input untouched too.
	_, err = applyBody(t, scim.ResourceUser, doc, body(`{"op":"replace","path":"name.givenName","value":"Q"},{"op":"remove","path":"userName"}`))
	require.Error(t, err)
	assert.Equal(t, sampleUser(), doc)
}
