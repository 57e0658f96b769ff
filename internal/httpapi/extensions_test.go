package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/scim"
)

// The custom extensions of these tests, as an operator writes them in the --schema-extensions
// file: a User extension in the shape Entra ID's "Edit attribute list" names attributes
// (urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:<attribute>) and a
// Group extension.
const (
	customUserURN  = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
	customGroupURN = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:Group"
)

const customExtensionsFile = `[
  {"resourceType": "User", "schema": {
    "id": "` + customUserURN + `",
    "name": "CustomUser",
    "description": "Custom attributes of the Entra ID attribute list",
    "attributes": [
      {"name": "costCenterCode", "type": "string", "description": "Cost center"},
      {"name": "badgeNumber", "type": "integer"},
      {"name": "remoteWorker", "type": "boolean"},
      {"name": "contractEnd", "type": "dateTime"},
      {"name": "skills", "multiValued": true},
      {"name": "workLocations", "type": "complex", "multiValued": true, "subAttributes": [
        {"name": "value", "required": true},
        {"name": "building"},
        {"name": "floor", "type": "integer"},
        {"name": "primary", "type": "boolean"}
      ]},
      {"name": "pin", "mutability": "writeOnly"},
      {"name": "internalNote", "returned": "request"},
      {"name": "hireSource", "mutability": "immutable"}
    ]}},
  {"resourceType": "Group", "schema": {
    "id": "` + customGroupURN + `",
    "name": "CustomGroup",
    "attributes": [{"name": "groupCategory", "canonicalValues": ["security", "distribution"]}]}}
]`

// customRegistry returns the registry scimd builds from customExtensionsFile.
func customRegistry(t *testing.T) *scim.Registry {
	t.Helper()
	exts, err := scim.ParseExtensions([]byte(customExtensionsFile))
	require.NoError(t, err)
	reg, err := scim.NewRegistryWithExtensions(exts)
	require.NoError(t, err)
	return reg
}

// withRegistry serves (and, with eachBackend, stores) with reg.
func withRegistry(reg *scim.Registry) envOption {
	return func(c *httpapi.Config) { c.Registry = reg }
}

// customOf returns the custom User extension object of a rendered user.
func customOf(body map[string]any) map[string]any {
	m, _ := body[customUserURN].(map[string]any)
	return m
}

// TestCustomExtensionEntra provisions a user with custom extension attributes the way Entra
// ID does once an admin added them to the application's attribute list and mapped them: the
// POST body nests them under the extension URN, updates come as PATCH operations with the
// URN-qualified attribute as path (default job) or as keys of a path-less value object
// (aadOptscim062020). Everything is stored, returned, projected and filterable.
func TestCustomExtensionEntra(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t, withRegistry(customRegistry(t)))

		body := entraUser("ada@contoso.com")
		body["schemas"] = append(body["schemas"].([]any), customUserURN)
		body[customUserURN] = map[string]any{
			"costCenterCode": "CC-4711",
			"badgeNumber":    1234,
			"remoteWorker":   "True", // Entra ID's boolean strings
			"contractEnd":    "2026-12-31T00:00:00+01:00",
			"skills":         []any{"go", "sql"},
			"workLocations":  []any{map[string]any{"value": "AMS-2", "building": "North", "floor": 4, "primary": true}},
			"pin":            "8642",
			"internalNote":   "reviewed",
			"hireSource":     "referral",
			"shoeSize":       44, // not in the schema: dropped and counted as before
		}
		created := e.post("/Users", body).mustStatus(t, http.StatusCreated, "create with custom attributes")
		id := created.Body["id"].(string)
		want := map[string]any{
			"costCenterCode": "CC-4711",
			"badgeNumber":    1234.0,
			"remoteWorker":   true,
			"contractEnd":    "2026-12-30T23:00:00Z",
			"skills":         []any{"go", "sql"},
			"workLocations":  []any{map[string]any{"value": "AMS-2", "building": "North", "floor": 4.0, "primary": true}},
			"hireSource":     "referral",
		}
		assert.Equal(t, want, customOf(created.Body), "writeOnly pin and returned-on-request internalNote are left out")
		assert.Equal(t, []any{scim.SchemaUser, enterpriseURN, customUserURN}, created.Body["schemas"])
		assert.Equal(t, "8642", e.storedUser(id).Attributes[customUserURN].(map[string]any)["pin"], "writeOnly values are stored")
		assert.Equal(t, 1.0, e.counterValue("scim_unknown_attributes_total", map[string]string{"resource_type": "User"}))
		assert.Contains(t, e.logs.String(), customUserURN+":shoeSize")

		got := e.get("/Users/"+id).mustStatus(t, http.StatusOK, "GET")
		assert.Equal(t, want, customOf(got.Body))

		// Projection: returned "request" on request only, a single attribute, the whole
		// extension, and excluded attributes.
		res := e.get("/Users/"+id+"?attributes="+url.QueryEscape(customUserURN+":internalNote,userName")).mustStatus(t, http.StatusOK, "attributes")
		assert.Equal(t, map[string]any{"internalNote": "reviewed"}, customOf(res.Body))
		assert.Equal(t, "ada@contoso.com", res.Body["userName"])
		assert.NotContains(t, res.Body, "emails")
		res = e.get("/Users/"+id+"?attributes="+url.QueryEscape(customUserURN+":workLocations.building")).mustStatus(t, http.StatusOK, "sub-attribute")
		assert.Equal(t, map[string]any{"workLocations": []any{map[string]any{"building": "North"}}}, customOf(res.Body))
		res = e.get("/Users/"+id+"?attributes="+url.QueryEscape(customUserURN)).mustStatus(t, http.StatusOK, "whole extension")
		assert.Len(t, customOf(res.Body), len(want)+1, "every attribute of the extension, internalNote included, never pin")
		assert.NotContains(t, customOf(res.Body), "pin")
		res = e.get("/Users/"+id+"?excludedAttributes="+url.QueryEscape(customUserURN+":costCenterCode,"+customUserURN+":workLocations.floor")).
			mustStatus(t, http.StatusOK, "excludedAttributes")
		assert.NotContains(t, customOf(res.Body), "costCenterCode")
		assert.Equal(t, []any{map[string]any{"value": "AMS-2", "building": "North", "primary": true}}, customOf(res.Body)["workLocations"])

		// Filters, with a user that has no extension and one in the other tenant.
		e.createUser("grace@contoso.com", nil)
		other := e.do(request{Method: http.MethodPost, Path: "/Users", Token: e.tokenB, Body: body})
		other.mustStatus(t, http.StatusCreated, "same user in tenant B")
		for _, f := range []string{
			customUserURN + `:costCenterCode eq "cc-4711"`, // caseExact false
			customUserURN + `:costCenterCode sw "CC-47"`,
			customUserURN + `:badgeNumber gt 1000`,
			customUserURN + `:remoteWorker eq true`,
			customUserURN + `:contractEnd lt "2027-01-01T00:00:00Z"`,
			customUserURN + `:skills eq "SQL"`,
			customUserURN + `:workLocations[value eq "AMS-2" and floor ge 4]`,
			customUserURN + `:workLocations.building eq "north"`,
			customUserURN + `:hireSource pr`,
			`userName eq "ada@contoso.com" and ` + customUserURN + `:costCenterCode pr`,
			`not (` + customUserURN + `:costCenterCode eq "CC-0")  and ` + customUserURN + `:badgeNumber pr`,
		} {
			list := mustList(t, e.get("/Users?"+filterQuery(f)), 1, f)
			assert.Equal(t, id, list[0]["id"], f)
		}
		mustList(t, e.get("/Users?"+filterQuery(customUserURN+`:costCenterCode eq "CC-0"`)), 0, "no match")
		mustList(t, e.get("/Users?"+filterQuery(customUserURN+`:costCenterCode pr`)), 1, "the user without the extension is not present")
		res = e.get("/Users?" + filterQuery(customUserURN+`:pin eq "8642"`))
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidFilter, "writeOnly attributes are not filterable")
		res = e.get("/Users?" + filterQuery(customUserURN+`:shoeSize eq 44`))
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidFilter, "an attribute the extension does not define")

		// PATCH, default job: one operation per attribute, URN-qualified paths, Add/Replace.
		res = e.patch("/Users/"+id, map[string]any{"schemas": []any{scim.MessagePatchOp}, "Operations": []any{
			opOf("Replace", customUserURN+":costCenterCode", "CC-1000"),
			opOf("Replace", customUserURN+":remoteWorker", "False"),
			opOf("Add", customUserURN+":workLocations", []any{map[string]any{"value": "BER-1", "floor": 3}}),
			opOf("Replace", customUserURN+":workLocations[value eq \"AMS-2\"].building", "South"),
			opOf("Add", customUserURN+":skills", "rust"),
			opOf("Replace", customUserURN+":pin", "1357"),
		}}).mustStatus(t, http.StatusOK, "PATCH with URN paths")
		c := customOf(res.Body)
		assert.Equal(t, "CC-1000", c["costCenterCode"])
		assert.Equal(t, false, c["remoteWorker"])
		assert.Equal(t, []any{"go", "sql", "rust"}, c["skills"])
		assert.Equal(t, []any{
			map[string]any{"value": "AMS-2", "building": "South", "floor": 4.0, "primary": true},
			map[string]any{"value": "BER-1", "floor": 3.0},
		}, c["workLocations"])
		assert.NotContains(t, c, "pin")
		assert.Equal(t, "1357", e.storedUser(id).Attributes[customUserURN].(map[string]any)["pin"])

		// PATCH, aadOptscim062020: a path-less value object with URN-qualified keys, mixed with
		// core attributes, and the extension object form.
		res = e.patch("/Users/"+id, map[string]any{"schemas": []any{scim.MessagePatchOp}, "Operations": []any{
			opOf("replace", "", map[string]any{
				customUserURN + ":costCenterCode": "CC-2000",
				customUserURN + ":badgeNumber":    42,
				"active":                          false,
			}),
			opOf("add", "", map[string]any{customUserURN: map[string]any{"contractEnd": "2027-06-30T00:00:00Z"}}),
			opOf("remove", customUserURN+`:workLocations[value eq "BER-1"]`, nil),
		}}).mustStatus(t, http.StatusOK, "PATCH with a value object")
		c = customOf(res.Body)
		assert.Equal(t, "CC-2000", c["costCenterCode"])
		assert.Equal(t, 42.0, c["badgeNumber"])
		assert.Equal(t, "2027-06-30T00:00:00Z", c["contractEnd"])
		assert.Len(t, c["workLocations"], 1)
		assert.Equal(t, false, res.Body["active"])
		mustList(t, e.get("/Users?"+filterQuery(customUserURN+`:badgeNumber eq 42`)), 1, "filter sees the PATCH")

		// The schema is enforced like the built-in ones.
		for _, tt := range []struct {
			op       map[string]any
			scimType string
		}{
			{opOf("replace", customUserURN+":badgeNumber", "many"), scim.TypeInvalidValue},
			{opOf("add", customUserURN+":workLocations", map[string]any{"building": "East"}), scim.TypeInvalidValue}, // value is required
			{opOf("replace", customUserURN+":hireSource", "agency"), scim.TypeMutability},
			{opOf("replace", customUserURN+":shoeSize", 44), scim.TypeInvalidPath},
		} {
			res := e.patch("/Users/"+id, map[string]any{"schemas": []any{scim.MessagePatchOp}, "Operations": []any{tt.op}})
			assertSCIMError(t, res, http.StatusBadRequest, tt.scimType, tt.op["path"].(string))
		}
		bad := entraUser("bad@contoso.com")
		bad[customUserURN] = map[string]any{"badgeNumber": "12a"}
		assertSCIMError(t, e.post("/Users", bad), http.StatusBadRequest, scim.TypeInvalidValue, "POST with a wrong type")

		// Removing the whole extension would drop the immutable hireSource.
		res = e.patch("/Users/"+id, map[string]any{"schemas": []any{scim.MessagePatchOp}, "Operations": []any{
			opOf("remove", customUserURN, nil),
		}})
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeMutability, "hireSource is immutable: the whole extension cannot go")
	})
}

// TestCustomExtensionOkta sends Okta's user with attributes in a custom namespace, the body
// TestOktaAttributeMapping shows being dropped without configuration: with the namespace
// configured as an extension they are stored and returned, by POST and by PUT.
func TestCustomExtensionOkta(t *testing.T) {
	t.Parallel()
	const oktaURN = "urn:ietf:params:scim:schemas:extension:custom:2.0:User"
	exts, err := scim.ParseExtensions([]byte(`[{"resourceType": "User", "schema": {"id": "` + oktaURN + `",
		"attributes": [{"name": "badgeColor"}, {"name": "deskNumber"}]}}]`))
	require.NoError(t, err)
	reg, err := scim.NewRegistryWithExtensions(exts)
	require.NoError(t, err)
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t, withRegistry(reg))
		body := oktaUserBody("dana@okta.local", "Dana", "Lee")
		body["schemas"] = []any{scim.SchemaUser, oktaURN}
		body[oktaURN] = map[string]any{"badgeColor": "green", "deskNumber": "4.12"}
		created := e.post("/Users", body).mustStatus(t, http.StatusCreated, "create")
		id := created.Body["id"].(string)
		assert.Equal(t, map[string]any{"badgeColor": "green", "deskNumber": "4.12"}, created.Body[oktaURN])
		assert.Equal(t, 0.0, e.counterValue("scim_unknown_attributes_total", map[string]string{"resource_type": "User"}))

		body[oktaURN] = map[string]any{"badgeColor": "red"}
		put := e.put("/Users/"+id, body).mustStatus(t, http.StatusOK, "PUT")
		assert.Equal(t, map[string]any{"badgeColor": "red"}, put.Body[oktaURN], "PUT replaces the extension's values")
		list := mustList(t, e.get("/Users?"+filterQuery(oktaURN+`:badgeColor eq "red"`)), 1, "filter")
		assert.Equal(t, id, list[0]["id"])
	})
}

// TestCustomExtensionGroup covers a Group extension: create, read, filter and PATCH.
func TestCustomExtensionGroup(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t, withRegistry(customRegistry(t)))
		res := e.post("/Groups", map[string]any{
			"schemas":      []any{scim.SchemaGroup, customGroupURN},
			"displayName":  "Engineering",
			customGroupURN: map[string]any{"groupCategory": "security"},
		}).mustStatus(t, http.StatusCreated, "create group")
		id := res.Body["id"].(string)
		assert.Equal(t, []any{scim.SchemaGroup, customGroupURN}, res.Body["schemas"])
		assert.Equal(t, map[string]any{"groupCategory": "security"}, res.Body[customGroupURN])
		e.createGroup("Sales")

		list := mustList(t, e.get("/Groups?"+filterQuery(customGroupURN+`:groupCategory eq "SECURITY"`)), 1, "filter groups")
		assert.Equal(t, id, list[0]["id"])
		res = e.get("/Groups?" + filterQuery(customUserURN+`:costCenterCode eq "x"`))
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidFilter, "a User extension on /Groups")

		res = e.patch("/Groups/"+id, map[string]any{"schemas": []any{scim.MessagePatchOp}, "Operations": []any{
			opOf("Replace", customGroupURN+":groupCategory", "distribution"),
		}}).mustStatus(t, http.StatusOK, "PATCH group")
		assert.Equal(t, map[string]any{"groupCategory": "distribution"}, res.Body[customGroupURN])
		got := e.get("/Groups/"+id+"?excludedAttributes=members").mustStatus(t, http.StatusOK, "GET group")
		assert.Equal(t, map[string]any{"groupCategory": "distribution"}, got.Body[customGroupURN])
	})
}

// TestCustomExtensionDiscovery checks that /Schemas and /ResourceTypes list the extensions
// from configuration with their attributes and the RFC 7643 §2.2 defaults.
func TestCustomExtensionDiscovery(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{}, withRegistry(customRegistry(t)))

	res := e.get("/Schemas").mustStatus(t, http.StatusOK, "GET /Schemas")
	var ids []any
	for _, r := range res.Body["Resources"].([]any) {
		ids = append(ids, r.(map[string]any)["id"])
	}
	assert.Equal(t, []any{scim.SchemaUser, enterpriseURN, customUserURN, scim.SchemaGroup, customGroupURN, scim.SchemaServiceConfig}, ids)
	assert.Equal(t, 6.0, res.Body["totalResults"])

	s := e.get("/Schemas/"+customUserURN).mustStatus(t, http.StatusOK, "GET /Schemas/{id}").Body
	assert.Equal(t, "CustomUser", s["name"])
	assert.Equal(t, "Custom attributes of the Entra ID attribute list", s["description"])
	assert.Equal(t, "http://example.com/scim/v2/Schemas/"+customUserURN, s["meta"].(map[string]any)["location"])
	attrs := map[string]map[string]any{}
	for _, a := range s["attributes"].([]any) {
		m := a.(map[string]any)
		attrs[m["name"].(string)] = m
	}
	assert.Len(t, attrs, 9)
	assert.Equal(t, map[string]any{
		"name": "costCenterCode", "type": "string", "multiValued": false, "description": "Cost center", "required": false,
		"caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
	}, attrs["costCenterCode"], "omitted characteristics get the RFC 7643 §2.2 defaults")
	assert.Equal(t, "never", attrs["pin"]["returned"], "writeOnly is never returned")
	assert.Equal(t, "request", attrs["internalNote"]["returned"])
	subs := attrs["workLocations"]["subAttributes"].([]any)
	require.Len(t, subs, 4)
	assert.Equal(t, true, subs[0].(map[string]any)["required"])
	assertNoNulls(t, "Schemas", res.Body)

	group := e.get("/Schemas/"+customGroupURN).mustStatus(t, http.StatusOK, "group schema").Body
	assert.Equal(t, []any{"security", "distribution"}, group["attributes"].([]any)[0].(map[string]any)["canonicalValues"])

	user := e.get("/ResourceTypes/User").mustStatus(t, http.StatusOK, "GET /ResourceTypes/User").Body
	assert.Equal(t, []any{
		map[string]any{"schema": enterpriseURN, "required": false},
		map[string]any{"schema": customUserURN, "required": false},
	}, user["schemaExtensions"])
	groupRT := e.get("/ResourceTypes/Group").mustStatus(t, http.StatusOK, "GET /ResourceTypes/Group").Body
	assert.Equal(t, []any{map[string]any{"schema": customGroupURN, "required": false}}, groupRT["schemaExtensions"])
}

// TestCustomExtensionRemoved restarts scimd without the extension: values stored under it stay
// in the database but are no longer returned; reads, filters and PATCH keep working; a PUT
// replaces the document and drops them; configured again, the values PATCH left are back.
func TestCustomExtensionRemoved(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		withExt := newEnv(t, withRegistry(customRegistry(t)))
		body := entraUser("ada@contoso.com")
		body[customUserURN] = map[string]any{"costCenterCode": "CC-4711"}
		id := withExt.post("/Users", body).mustStatus(t, http.StatusCreated, "create").Body["id"].(string)
		other := withExt.post("/Users", body2(entraUser("grace@contoso.com"))).mustStatus(t, http.StatusCreated, "create 2").Body["id"].(string)

		without := withExt.sibling(t) // the built-in schemas only
		got := without.get("/Users/"+id).mustStatus(t, http.StatusOK, "GET without the extension")
		assert.NotContains(t, got.Body, customUserURN)
		assert.Equal(t, []any{scim.SchemaUser, enterpriseURN}, got.Body["schemas"])
		mustList(t, without.get("/Users"), 2, "list without the extension")
		res := without.get("/Users?" + filterQuery(customUserURN+`:costCenterCode eq "CC-4711"`))
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidFilter, "filter on a removed extension")
		res = without.patch("/Users/"+id, map[string]any{"schemas": []any{scim.MessagePatchOp}, "Operations": []any{
			opOf("Replace", "active", "False"),
		}}).mustStatus(t, http.StatusOK, "PATCH without the extension")
		assert.NotContains(t, res.Body, customUserURN)
		assert.Equal(t, "CC-4711", without.storedUser(id).Attributes[customUserURN].(map[string]any)["costCenterCode"], "kept in the database")

		again := withExt.sibling(t, withRegistry(customRegistry(t)))
		got = again.get("/Users/"+id).mustStatus(t, http.StatusOK, "GET with the extension again")
		assert.Equal(t, map[string]any{"costCenterCode": "CC-4711"}, customOf(got.Body))
		assert.Equal(t, false, got.Body["active"])

		without.put("/Users/"+other, entraUser("grace@contoso.com")).mustStatus(t, http.StatusOK, "PUT without the extension")
		assert.NotContains(t, again.get("/Users/"+other).mustStatus(t, http.StatusOK, "GET after PUT").Body, customUserURN,
			"a PUT replaces the whole document")
	})
}

// body2 gives a user body custom extension values.
func body2(body map[string]any) map[string]any {
	body[customUserURN] = map[string]any{"costCenterCode": "CC-9"}
	return body
}

// TestCustomExtensionRequiredAttribute: a required extension attribute is enforced on POST,
// PUT and PATCH, but a user stored before the attribute was made required can still be
// patched (Entra ID disables users it has no value for).
func TestCustomExtensionRequiredAttribute(t *testing.T) {
	t.Parallel()
	schema := func(required bool) *scim.Registry {
		exts, err := scim.ParseExtensions([]byte(`[{"resourceType": "User", "schema": {"id": "` + customUserURN + `",
			"attributes": [{"name": "costCenterCode", "required": ` + map[bool]string{true: "true", false: "false"}[required] + `},
			{"name": "badgeNumber", "type": "integer"}]}}]`))
		require.NoError(t, err)
		reg, err := scim.NewRegistryWithExtensions(exts)
		require.NoError(t, err)
		return reg
	}
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		before := newEnv(t, withRegistry(schema(false)))
		body := entraUser("ada@contoso.com")
		body[customUserURN] = map[string]any{"badgeNumber": 7}
		id := before.post("/Users", body).mustStatus(t, http.StatusCreated, "create before").Body["id"].(string)

		e := before.sibling(t, withRegistry(schema(true)))
		res := e.post("/Users", body2(entraUser("x@contoso.com")))
		res.mustStatus(t, http.StatusCreated, "create with the required attribute")
		bad := entraUser("y@contoso.com")
		bad[customUserURN] = map[string]any{"badgeNumber": 8}
		assertSCIMError(t, e.post("/Users", bad), http.StatusBadRequest, scim.TypeInvalidValue, "create without it")
		e.post("/Users", entraUser("z@contoso.com")).mustStatus(t, http.StatusCreated, "create without the extension at all")

		// The old user lacks costCenterCode: unrelated PATCHes still work.
		e.patch("/Users/"+id, map[string]any{"schemas": []any{scim.MessagePatchOp}, "Operations": []any{
			opOf("Replace", "active", "False"),
			opOf("Replace", customUserURN+":badgeNumber", 9),
		}}).mustStatus(t, http.StatusOK, "PATCH a user stored before")
		// A PATCH that adds the extension to a user without it must bring the required value.
		newID := e.post("/Users", entraUser("w@contoso.com")).mustStatus(t, http.StatusCreated, "create w").Body["id"].(string)
		res = e.patch("/Users/"+newID, map[string]any{"schemas": []any{scim.MessagePatchOp}, "Operations": []any{
			opOf("Add", customUserURN+":badgeNumber", 1),
		}})
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidValue, "PATCH adding the extension without the required attribute")
		assert.Contains(t, res.Body["detail"], customUserURN+":costCenterCode")
		// And a PUT is a whole new document: it must have it.
		assertSCIMError(t, e.put("/Users/"+id, bad), http.StatusBadRequest, scim.TypeInvalidValue, "PUT without it")
	})
}
