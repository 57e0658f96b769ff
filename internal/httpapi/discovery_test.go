package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// assertNoNulls fails when a JSON value contains null anywhere (Entra ID: "don't send nulls").
func assertNoNulls(t *testing.T, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case nil:
		t.Errorf("%s is null", path)
	case map[string]any:
		for k, x := range v {
			assertNoNulls(t, path+"."+k, x)
		}
	case []any:
		for i, x := range v {
			assertNoNulls(t, path+"["+string(rune('0'+i%10))+"]", x)
		}
	}
}

func TestServiceProviderConfig(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{})
	res := e.get("/ServiceProviderConfig").mustStatus(t, http.StatusOK, "GET /ServiceProviderConfig")
	assert.Equal(t, "application/scim+json; charset=utf-8", res.Header.Get("Content-Type"))
	b := res.Body
	assert.Equal(t, []any{scim.SchemaServiceConfig}, b["schemas"])
	assert.Equal(t, map[string]any{"supported": true}, b["patch"])
	assert.Equal(t, map[string]any{"supported": false, "maxOperations": 0.0, "maxPayloadSize": 0.0}, b["bulk"])
	assert.Equal(t, map[string]any{"supported": true, "maxResults": 1000.0}, b["filter"])
	assert.Equal(t, map[string]any{"supported": false}, b["changePassword"])
	assert.Equal(t, map[string]any{"supported": false}, b["sort"])
	assert.Equal(t, map[string]any{"supported": true}, b["etag"])
	schemes, _ := b["authenticationSchemes"].([]any)
	require.Len(t, schemes, 1)
	scheme := schemes[0].(map[string]any)
	assert.Equal(t, "oauthbearertoken", scheme["type"])
	assert.Equal(t, "OAuth Bearer Token", scheme["name"])
	assert.NotEmpty(t, scheme["description"])
	assert.Equal(t, true, scheme["primary"])
	meta := b["meta"].(map[string]any)
	assert.Equal(t, "ServiceProviderConfig", meta["resourceType"])
	assert.Equal(t, "http://example.com/scim/v2/ServiceProviderConfig", meta["location"])
	assertNoNulls(t, "ServiceProviderConfig", b)
}

func TestServiceProviderConfigMaxResults(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{}, func(c *httpapiConfig) { c.MaxPageSize = 50 })
	res := e.get("/ServiceProviderConfig").mustStatus(t, http.StatusOK, "GET /ServiceProviderConfig")
	assert.Equal(t, 50.0, res.Body["filter"].(map[string]any)["maxResults"])
}

func TestResourceTypes(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{})
	res := e.get("/ResourceTypes").mustStatus(t, http.StatusOK, "GET /ResourceTypes")
	b := res.Body
	assert.Equal(t, []any{scim.MessageListResponse}, b["schemas"])
	assert.Equal(t, 2.0, b["totalResults"])
	assert.Equal(t, 2.0, b["itemsPerPage"])
	assert.Equal(t, 1.0, b["startIndex"])
	rts := b["Resources"].([]any)
	require.Len(t, rts, 2)
	user, group := rts[0].(map[string]any), rts[1].(map[string]any)
	assert.Equal(t, []any{scim.SchemaResourceType}, user["schemas"])
	assert.Equal(t, "User", user["id"])
	assert.Equal(t, "User", user["name"])
	assert.Equal(t, "/Users", user["endpoint"])
	assert.Equal(t, scim.SchemaUser, user["schema"])
	assert.Equal(t, []any{map[string]any{"schema": scim.SchemaEnterpriseUser, "required": false}}, user["schemaExtensions"])
	assert.Equal(t, map[string]any{"resourceType": "ResourceType", "location": "http://example.com/scim/v2/ResourceTypes/User"}, user["meta"])
	assert.Equal(t, "Group", group["name"])
	assert.Equal(t, "/Groups", group["endpoint"])
	assert.Equal(t, scim.SchemaGroup, group["schema"])
	assertNoNulls(t, "ResourceTypes", b)

	one := e.get("/ResourceTypes/Group").mustStatus(t, http.StatusOK, "GET /ResourceTypes/Group")
	assert.Equal(t, group, one.Body)
	one = e.get("/ResourceTypes/user").mustStatus(t, http.StatusOK, "GET /ResourceTypes/user")
	assert.Equal(t, "User", one.Body["name"])
	e.get("/ResourceTypes/Device").mustStatus(t, http.StatusNotFound, "GET /ResourceTypes/Device")
}

func TestSchemas(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{})
	res := e.get("/Schemas").mustStatus(t, http.StatusOK, "GET /Schemas")
	b := res.Body
	assert.Equal(t, []any{scim.MessageListResponse}, b["schemas"])
	assert.Equal(t, 4.0, b["totalResults"])
	list := b["Resources"].([]any)
	require.Len(t, list, 4)
	var ids []string
	for _, s := range list {
		sc := s.(map[string]any)
		ids = append(ids, sc["id"].(string))
		assert.Equal(t, []any{scim.SchemaSchema}, sc["schemas"])
		assert.NotEmpty(t, sc["name"])
		meta := sc["meta"].(map[string]any)
		assert.Equal(t, "Schema", meta["resourceType"])
		assert.Equal(t, "http://example.com/scim/v2/Schemas/"+sc["id"].(string), meta["location"])
		attrs := sc["attributes"].([]any)
		require.NotEmpty(t, attrs, "schema %s attributes", sc["id"])
		for _, a := range attrs {
			attr := a.(map[string]any)
			for _, k := range []string{"name", "type", "multiValued", "description", "required", "caseExact", "mutability", "returned", "uniqueness"} {
				assert.Contains(t, attr, k, "schema %s attribute %v", sc["id"], attr["name"])
			}
		}
	}
	assert.Equal(t, []string{scim.SchemaUser, scim.SchemaEnterpriseUser, scim.SchemaGroup, scim.SchemaServiceConfig}, ids)
	assertNoNulls(t, "Schemas", b)

	one := e.get("/Schemas/"+scim.SchemaEnterpriseUser).mustStatus(t, http.StatusOK, "GET /Schemas/enterprise")
	assert.Equal(t, list[1], one.Body)
	e.get("/Schemas/urn:example:nope").mustStatus(t, http.StatusNotFound, "GET unknown schema")
	e.get("/Schemas?filter="+"id+eq+%22x%22").mustStatus(t, http.StatusForbidden, "filter on /Schemas")
}

func TestDiscoveryRequiresAuth(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{})
	for _, p := range []string{"/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/Schemas/" + scim.SchemaUser} {
		e.send(request{Method: http.MethodGet, Path: p, Token: "none"}).mustStatus(t, http.StatusUnauthorized, p)
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{})
	res := e.do(request{Method: http.MethodGet, Path: "/ServiceProviderConfig", Header: map[string]string{"X-Forwarded-Proto": "https"}})
	assert.Equal(t, "https://example.com/scim/v2/ServiceProviderConfig", res.Body["meta"].(map[string]any)["location"])
	res = e.do(request{Method: http.MethodGet, Path: "/ServiceProviderConfig", Header: map[string]string{"X-Forwarded-Proto": "gopher"}})
	assert.Equal(t, "http://example.com/scim/v2/ServiceProviderConfig", res.Body["meta"].(map[string]any)["location"])

	fixed := newFakeEnv(t, &fakeStore{}, func(c *httpapiConfig) { c.BaseURL = "https://scim.example.org/scim/v2/" })
	res = fixed.get("/ResourceTypes/User")
	assert.Equal(t, "https://scim.example.org/scim/v2/ResourceTypes/User", res.Body["meta"].(map[string]any)["location"])
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	up := newFakeEnv(t, &fakeStore{})
	up.send(request{Method: http.MethodGet, Path: "//healthz", Token: "none"}).mustStatus(t, http.StatusOK, "healthz")
	up.send(request{Method: http.MethodGet, Path: "//readyz", Token: "none"}).mustStatus(t, http.StatusOK, "readyz")

	down := newFakeEnv(t, &fakeStore{pingFn: func(context.Context) error { return errors.New("dial tcp 10.0.0.1:5432: connection refused") }})
	down.send(request{Method: http.MethodGet, Path: "//healthz", Token: "none"}).mustStatus(t, http.StatusOK, "healthz while db down")
	res := down.send(request{Method: http.MethodGet, Path: "//readyz", Token: "none"}).mustStatus(t, http.StatusServiceUnavailable, "readyz while db down")
	assert.Equal(t, "503", res.Body["status"])
	assert.False(t, strings.Contains(string(res.Raw), "10.0.0.1"), "readyz leaked the cause: %s", res.Raw)
}
