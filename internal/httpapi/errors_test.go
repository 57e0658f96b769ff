package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// assertSCIMError checks the RFC 7644 §3.12 error body of res.
func assertSCIMError(t *testing.T, res *response, status int, scimType string, what string) {
	t.Helper()
	require.Equal(t, status, res.Code, "%s: status; body %s", what, res.Raw)
	assert.Equal(t, "application/scim+json; charset=utf-8", res.Header.Get("Content-Type"), what)
	require.NotNil(t, res.Body, "%s: body is not JSON: %q", what, res.Raw)
	assert.Equal(t, []any{scim.MessageError}, res.Body["schemas"], what)
	assert.Equal(t, fmt.Sprint(status), res.Body["status"], "%s: status is a string", what)
	if scimType != "" {
		assert.Equal(t, scimType, res.Body["scimType"], what)
	}
	assert.NotEmpty(t, res.Body["detail"], what)
}

// assertNoLeak fails when a response body carries Go, SQL or stack text.
func assertNoLeak(t *testing.T, res *response, what string) {
	t.Helper()
	body := strings.ToLower(string(res.Raw))
	for _, bad := range []string{"goroutine", ".go:", "runtime error", "nil pointer", "select ", "insert ", "pq:", "sqlstate", "pgx", "panic"} {
		assert.NotContains(t, body, bad, "%s: response leaks %q: %s", what, bad, res.Raw)
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{listUsersFn: emptyList})
	for name, header := range map[string]string{
		"no header":       "",
		"basic":           "Basic dXNlcjpwYXNz",
		"bearer no token": "Bearer",
		"bearer space":    "Bearer ",
		"two spaces":      "Bearer  " + e.tokenA,
		"trailing space":  "Bearer " + e.tokenA + " ",
		"two tokens":      "Bearer " + e.tokenA + " " + e.tokenA,
		"no scheme":       e.tokenA,
		"unknown token":   "Bearer not-a-token",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := e.send(request{Method: http.MethodGet, Path: "/Users", Token: "none", Header: map[string]string{"Authorization": header}})
			assertSCIMError(t, res, http.StatusUnauthorized, "", name)
			assert.True(t, strings.HasPrefix(res.Header.Get("WWW-Authenticate"), `Bearer realm="scimd"`),
				"%s: WWW-Authenticate %q", name, res.Header.Get("WWW-Authenticate"))
		})
	}
	t.Run("scheme case-insensitive", func(t *testing.T) {
		t.Parallel()
		res := e.send(request{Method: http.MethodGet, Path: "/Users", Token: "none", Header: map[string]string{"Authorization": "bEaReR " + e.tokenA}})
		res.mustStatus(t, http.StatusOK, "lower-case bearer")
	})
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{listUsersFn: emptyList})
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/Nope", http.StatusNotFound, ""},
		{http.MethodGet, "/Users/a/b", http.StatusNotFound, ""},
		{http.MethodGet, "//nope", http.StatusNotFound, ""},
		{http.MethodDelete, "/Users", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodPost, "/Users/abc", http.StatusMethodNotAllowed, "GET, HEAD, PUT, PATCH, DELETE"},
		{http.MethodPut, "/ServiceProviderConfig", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"BREW", "/Groups", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodPost, "/Users/.search/x", http.StatusNotFound, ""},
	} {
		what := tc.method + " " + tc.path
		res := e.do(request{Method: tc.method, Path: tc.path})
		assertSCIMError(t, res, tc.status, "", what)
		assert.Equal(t, tc.allow, res.Header.Get("Allow"), what)
	}
}

// TestHead checks that HEAD is served wherever GET is, with GET's status and headers and no
// body, including the probes, and that authentication still applies.
func TestHead(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{listUsersFn: emptyList})
	for _, tc := range []struct {
		path   string
		token  string
		status int
		route  string
	}{
		{"//healthz", "none", http.StatusOK, "/healthz"},
		{"//readyz", "none", http.StatusOK, "/readyz"},
		{"/ServiceProviderConfig", "", http.StatusOK, "/scim/v2/ServiceProviderConfig"},
		{"/Users?filter=userName+eq+%22x%22", "", http.StatusOK, "/scim/v2/Users"},
		{"/Users", "none", http.StatusUnauthorized, "/scim/v2/Users"},
		{"/Nope", "", http.StatusNotFound, "unmatched"},
	} {
		get := e.do(request{Method: http.MethodGet, Path: tc.path, Token: tc.token})
		head := e.do(request{Method: http.MethodHead, Path: tc.path, Token: tc.token})
		assert.Equal(t, tc.status, head.Code, tc.path)
		assert.Equal(t, get.Code, head.Code, tc.path)
		assert.Equal(t, get.Header.Get("Content-Type"), head.Header.Get("Content-Type"), tc.path)
		assert.Equal(t, 1.0, e.counterValue("scim_http_requests_total",
			map[string]string{"method": "HEAD", "route": tc.route, "code": strconv.Itoa(tc.status)}), tc.path)
	}
}

func TestTolerantPaths(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{listUsersFn: emptyList})
	for _, p := range []string{
		"/Users?aadOptscim062020",
		"//scim/v2//Users?aadOptscim062020&filter=userName+eq+%22x%22",
		"/Users/",
		"/Users?unknownParam=1&sortBy=userName&sortOrder=descending",
	} {
		res := e.get(p).mustStatus(t, http.StatusOK, p)
		assert.Equal(t, []any{}, res.Body["Resources"], p)
		assert.Equal(t, 0.0, res.Body["totalResults"], p)
	}
}

func TestBodyErrors(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{}, func(c *httpapiConfig) { c.MaxBodyBytes = 512 })
	big := `{"userName":"` + strings.Repeat("x", 1024) + `"}`
	for _, tc := range []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
		scimType    string
	}{
		{"too large", http.MethodPost, "/Users", "application/scim+json", big, http.StatusRequestEntityTooLarge, ""},
		{"too large patch", http.MethodPatch, "/Users/x", "application/scim+json", big, http.StatusRequestEntityTooLarge, ""},
		{"text/plain", http.MethodPost, "/Users", "text/plain", `{"userName":"a"}`, http.StatusUnsupportedMediaType, ""},
		{"form", http.MethodPut, "/Users/x", "application/x-www-form-urlencoded", `a=b`, http.StatusUnsupportedMediaType, ""},
		{"bad media type", http.MethodPatch, "/Groups/x", "application/", `{}`, http.StatusUnsupportedMediaType, ""},
		{"malformed json", http.MethodPost, "/Users", "application/scim+json", `{"userName": "a",}`, http.StatusBadRequest, scim.TypeInvalidSyntax},
		{"junk", http.MethodPost, "/Users", "application/json", `junk`, http.StatusBadRequest, scim.TypeInvalidSyntax},
		{"not an object", http.MethodPost, "/Users", "application/json; charset=utf-8", `["userName"]`, http.StatusBadRequest, scim.TypeInvalidSyntax},
		{"trailing garbage", http.MethodPost, "/Groups", "application/scim+json", `{"displayName":"g"} {}`, http.StatusBadRequest, scim.TypeInvalidSyntax},
		{"empty body", http.MethodPost, "/Users", "", ``, http.StatusBadRequest, scim.TypeInvalidSyntax},
		{"missing userName", http.MethodPost, "/Users", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"x"}`, http.StatusBadRequest, scim.TypeInvalidValue},
		{"wrong type", http.MethodPost, "/Users", "", `{"userName":"a","active":{"x":1}}`, http.StatusBadRequest, ""},
		{"missing displayName", http.MethodPost, "/Groups", "", `{"members":[]}`, http.StatusBadRequest, scim.TypeInvalidValue},
		{"search junk", http.MethodPost, "/Users/.search", "", `[]`, http.StatusBadRequest, scim.TypeInvalidSyntax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hdr := map[string]string{"Content-Type": tc.contentType}
			res := e.do(request{Method: tc.method, Path: tc.path, Body: tc.body, Header: hdr})
			assertSCIMError(t, res, tc.status, tc.scimType, tc.name)
			assertNoLeak(t, res, tc.name)
		})
	}
	t.Run("malformed json names the position", func(t *testing.T) {
		t.Parallel()
		res := e.post("/Users", "{\n\"userName\": tru\n}")
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidSyntax, "position")
		assert.Contains(t, res.Body["detail"], "line 2")
	})
	t.Run("too large without Content-Length", func(t *testing.T) {
		t.Parallel()
		// A reader of unknown length: the limit is enforced while reading.
		r := httptest.NewRequest(http.MethodPost, "/scim/v2/Users", io.MultiReader(strings.NewReader(big)))
		require.EqualValues(t, -1, r.ContentLength)
		r.Header.Set("Authorization", "Bearer "+e.tokenA)
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, w.Body.String())
	})
}

func TestInternalErrorsAreHidden(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	e := newFakeEnv(t, st)

	// A panicking store (fakeStore's unimplemented ListUsers dereferences nil).
	res := e.do(request{Method: http.MethodGet, Path: "/Users", Header: map[string]string{"X-Request-Id": "req-panic-1"}})
	assertSCIMError(t, res, http.StatusInternalServerError, "", "panic")
	assert.Equal(t, "internal server error", res.Body["detail"])
	assert.Equal(t, "req-panic-1", res.Header.Get("X-Request-Id"))
	assertNoLeak(t, res, "panic")
	logs := e.logs.String()
	assert.Contains(t, logs, "panic serving request")
	assert.Contains(t, logs, "req-panic-1")
	assert.Contains(t, logs, "goroutine", "the stack is logged")

	// Errors from the store that are not *scim.Error.
	for name, storeErr := range map[string]error{
		"sql":      errors.New(`ERROR: syntax error at or near "SELECT" (SQLSTATE 42601)`),
		"wrapped":  fmt.Errorf("get user: %w", errors.New("pgx: conn busy")),
		"deadline": context.DeadlineExceeded,
		"down":     scim.ErrUnavailable,
	} {
		st := &fakeStore{getUserFn: func(context.Context, string, string, bool) (*scim.Resource, error) { return nil, storeErr }}
		e := newFakeEnv(t, st)
		res := e.do(request{Method: http.MethodGet, Path: "/Users/abc", Header: map[string]string{"X-Request-Id": "req-" + name}})
		assertNoLeak(t, res, name)
		switch name {
		case "sql", "wrapped":
			assertSCIMError(t, res, http.StatusInternalServerError, "", name)
			assert.Equal(t, "internal server error", res.Body["detail"], name)
			assert.Contains(t, e.logs.String(), "req-"+name, "%s: cause logged with the request id", name)
		default:
			assertSCIMError(t, res, http.StatusServiceUnavailable, "", name)
			assert.NotEmpty(t, res.Header.Get("Retry-After"), name)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{listUsersFn: emptyList})
	for _, tc := range []struct {
		query    string
		scimType string
		detail   string
	}{
		{"filter=userName+eq", scim.TypeInvalidFilter, "position"},
		{"filter=userName+zz+%22x%22", scim.TypeInvalidFilter, "position"},
		{"filter=(userName+eq+%22x%22", scim.TypeInvalidFilter, "position"},
		{"filter=userName+eq+%22x", scim.TypeInvalidFilter, "position"},
		{"startIndex=abc", scim.TypeInvalidValue, "startIndex"},
		{"count=1.5", scim.TypeInvalidValue, "count"},
		{"count=ten", scim.TypeInvalidValue, "count"},
	} {
		res := e.get("/Users?" + tc.query)
		assertSCIMError(t, res, http.StatusBadRequest, tc.scimType, tc.query)
		assert.Contains(t, res.Body["detail"], tc.detail, tc.query)
		assertNoLeak(t, res, tc.query)
	}
}

func TestListParameters(t *testing.T) {
	t.Parallel()
	var got scim.Query
	st := &fakeStore{listUsersFn: func(_ context.Context, _ string, q scim.Query, _ bool) (*scim.ListResult, error) {
		got = q
		return &scim.ListResult{Total: 7}, nil
	}}
	e := newFakeEnv(t, st, func(c *httpapiConfig) { c.DefaultPageSize = 20; c.MaxPageSize = 50 })
	for _, tc := range []struct {
		query             string
		startIndex, count int
	}{
		{"", 1, 20},
		{"startIndex=0", 1, 20},
		{"startIndex=-5&count=-1", 1, 0},
		{"startIndex=3&count=10", 3, 10},
		{"count=5000", 1, 50},
		{"StartIndex=4&COUNT=2", 4, 2},
	} {
		res := e.get("/Users?"+tc.query).mustStatus(t, http.StatusOK, tc.query)
		assert.Equal(t, tc.startIndex, got.StartIndex, "%s: startIndex", tc.query)
		assert.Equal(t, tc.count, got.Count, "%s: count", tc.query)
		assert.Equal(t, float64(tc.startIndex), res.Body["startIndex"], tc.query)
		assert.Equal(t, 7.0, res.Body["totalResults"], tc.query)
		assert.Equal(t, 0.0, res.Body["itemsPerPage"], tc.query)
		assert.Equal(t, []any{}, res.Body["Resources"], tc.query)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{listUsersFn: emptyList})
	res := e.do(request{Method: http.MethodGet, Path: "/Users", Header: map[string]string{"X-Request-Id": "abc-123"}})
	assert.Equal(t, "abc-123", res.Header.Get("X-Request-Id"))
	res = e.do(request{Method: http.MethodGet, Path: "/Users", Header: map[string]string{"X-Request-Id": "bad id\"with<junk>"}})
	assert.Len(t, res.Header.Get("X-Request-Id"), 32, "a generated id replaces an unsafe one")
	res = e.get("/Users")
	assert.Len(t, res.Header.Get("X-Request-Id"), 32)
	logs := e.logs.String()
	assert.Contains(t, logs, `"request_id":"abc-123"`)
	assert.Contains(t, logs, `"tenant":"tenant-a"`)
	assert.Contains(t, logs, `"route":"/scim/v2/Users"`)
	assert.NotContains(t, logs, e.tokenA, "the token is never logged")
}

func TestHTTPMetrics(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{listUsersFn: emptyList, getUserFn: func(context.Context, string, string, bool) (*scim.Resource, error) {
		return nil, scim.ErrNotFound
	}})
	e.get("/Users")
	e.get("/Users/one")
	e.get("/Users/two")
	e.get("/no/such/route")
	e.send(request{Method: http.MethodGet, Path: "//elsewhere", Token: "none"})
	assert.Equal(t, 1.0, e.counterValue("scim_http_requests_total", map[string]string{"method": "GET", "route": "/scim/v2/Users", "code": "200"}))
	assert.Equal(t, 2.0, e.counterValue("scim_http_requests_total", map[string]string{"method": "GET", "route": "/scim/v2/Users/{id}", "code": "404"}))
	assert.Equal(t, 2.0, e.counterValue("scim_http_requests_total", map[string]string{"method": "GET", "route": "unmatched", "code": "404"}))

	mfs, err := e.promReg.Gather()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				assert.NotContains(t, lp.GetValue(), "one", "raw path in label %s", lp.GetName())
				assert.NotContains(t, lp.GetValue(), "elsewhere", "raw path in label %s", lp.GetName())
			}
		}
	}
	for _, n := range []string{"scim_http_requests_total", "scim_http_request_duration_seconds", "scim_http_requests_in_flight", "scim_unknown_attributes_total", "scim_provisioning_operations_total"} {
		assert.True(t, names[n], "metric %s registered", n)
	}
}
