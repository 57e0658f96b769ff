package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRouteLabelBeforeRouting checks the route label of requests that the /scim/v2 middleware
// rejects before the subrouter has routed them (401, 413, 415): they carry the pattern of the
// endpoint they were sent to, in scim_http_requests_total and in the access log, while unknown
// paths and methods stay "unmatched".
func TestRouteLabelBeforeRouting(t *testing.T) {
	t.Parallel()
	const id = "2819c223-7f76-453a-919d-413861904646"
	big := `{"userName":"` + strings.Repeat("x", 1024) + `"}`
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t, func(c *httpapiConfig) { c.MaxBodyBytes = 512 })
		for i, tc := range []struct {
			name   string
			req    request
			code   int
			method string
			route  string
		}{
			{"no token list users", request{Method: http.MethodGet, Path: "/Users", Token: "none"}, http.StatusUnauthorized, "GET", "/scim/v2/Users"},
			{"no token get user", request{Method: http.MethodGet, Path: "/Users/" + id, Token: "none"}, http.StatusUnauthorized, "GET", "/scim/v2/Users/{id}"},
			{"no token get group", request{Method: http.MethodGet, Path: "/Groups/" + id, Token: "none"}, http.StatusUnauthorized, "GET", "/scim/v2/Groups/{id}"},
			{"no token patch group", request{Method: http.MethodPatch, Path: "/Groups/" + id, Token: "none", Body: `{}`}, http.StatusUnauthorized, "PATCH", "/scim/v2/Groups/{id}"},
			{"no token service provider config", request{Method: http.MethodGet, Path: "/ServiceProviderConfig", Token: "none"}, http.StatusUnauthorized, "GET", "/scim/v2/ServiceProviderConfig"},
			{"no token escaped id", request{Method: http.MethodGet, Path: "/Users/a%2Fb", Token: "none"}, http.StatusUnauthorized, "GET", "/scim/v2/Users/{id}"},
			{"bad token trailing slash", request{Method: http.MethodGet, Path: "/Users/", Token: "wrong"}, http.StatusUnauthorized, "GET", "/scim/v2/Users"},
			{"too large create", request{Method: http.MethodPost, Path: "/Users", Body: big}, http.StatusRequestEntityTooLarge, "POST", "/scim/v2/Users"},
			{"too large patch", request{Method: http.MethodPatch, Path: "/Users/" + id, Body: big}, http.StatusRequestEntityTooLarge, "PATCH", "/scim/v2/Users/{id}"},
			{"wrong content type", request{Method: http.MethodPost, Path: "/Users", Body: `{}`, Header: map[string]string{"Content-Type": "text/plain"}}, http.StatusUnsupportedMediaType, "POST", "/scim/v2/Users"},
			{"wrong content type search", request{Method: http.MethodPost, Path: "/Groups/.search", Body: `{}`, Header: map[string]string{"Content-Type": "text/plain"}}, http.StatusUnsupportedMediaType, "POST", "/scim/v2/Groups/.search"},
			// Genuinely unknown paths and methods stay "unmatched", with or without a token.
			{"unknown path", request{Method: http.MethodGet, Path: "/Nope"}, http.StatusNotFound, "GET", "unmatched"},
			{"unknown path no token", request{Method: http.MethodGet, Path: "/Nope/" + id, Token: "none"}, http.StatusUnauthorized, "GET", "unmatched"},
			{"unknown root path", request{Method: http.MethodGet, Path: "//nope"}, http.StatusNotFound, "GET", "unmatched"},
			{"api root no token", request{Method: http.MethodGet, Path: "//scim/v2", Token: "none"}, http.StatusUnauthorized, "GET", "unmatched"},
			{"api root", request{Method: http.MethodGet, Path: "//scim/v2"}, http.StatusNotFound, "GET", "unmatched"},
			{"wrong method", request{Method: http.MethodDelete, Path: "/Users"}, http.StatusMethodNotAllowed, "DELETE", "unmatched"},
			{"wrong method no token", request{Method: http.MethodDelete, Path: "/Users", Token: "none"}, http.StatusUnauthorized, "DELETE", "unmatched"},
			{"too large unknown path", request{Method: http.MethodPost, Path: "/Nope", Body: big}, http.StatusRequestEntityTooLarge, "POST", "unmatched"},
			// Routed requests keep the pattern chi found.
			{"routed", request{Method: http.MethodGet, Path: "/Users/" + id}, http.StatusNotFound, "GET", "/scim/v2/Users/{id}"},
		} {
			labels := map[string]string{"method": tc.method, "route": tc.route, "code": fmt.Sprint(tc.code)}
			before := e.counterValue("scim_http_requests_total", labels)
			reqID := fmt.Sprintf("route-label-%d", i)
			if tc.req.Header == nil {
				tc.req.Header = map[string]string{}
			}
			tc.req.Header["X-Request-Id"] = reqID
			res := e.do(tc.req)
			require.Equal(t, tc.code, res.Code, "%s: status; body %s", tc.name, res.Raw)
			assert.Equal(t, before+1, e.counterValue("scim_http_requests_total", labels),
				"%s: scim_http_requests_total%v", tc.name, labels)
			assert.Equal(t, tc.route, accessLogRoute(t, e, reqID), "%s: access log route", tc.name)
		}

		// Whatever the request, the label is a route pattern or "unmatched", never a raw path.
		mfs, err := e.promReg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() != "route" {
						continue
					}
					v := lp.GetValue()
					assert.NotContains(t, v, id, "raw id in the route label")
					assert.NotContains(t, strings.ToLower(v), "nope", "raw path in the route label")
					assert.True(t, v == "unmatched" || strings.HasPrefix(v, "/"), "route label %q", v)
				}
			}
		}
	})
}

// accessLogRoute returns the route of the access log line of the request with id reqID.
func accessLogRoute(t *testing.T, e *env, reqID string) string {
	t.Helper()
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var rec struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
			Route     string `json:"route"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" && rec.RequestID == reqID {
			return rec.Route
		}
	}
	t.Fatalf("no access log line for request %s", reqID)
	return ""
}
