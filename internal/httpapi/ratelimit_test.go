package httpapi_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/httpapi"
)

// fakeClock is a settable clock for the rate limiter, so that no test depends on how fast it
// runs.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestTenantRateLimit(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := newFakeEnv(t, &fakeStore{}, func(c *httpapi.Config) {
		c.TenantRateLimit, c.TenantRateBurst, c.Now = 0.5, 2, clock.now
	})
	spc := func(token string) *response {
		return e.do(request{Method: http.MethodGet, Path: "/ServiceProviderConfig", Token: token})
	}

	// The burst of 2 passes; the third request of tenant A is refused with 429, a SCIM body
	// and Retry-After: one token every 2 s.
	spc(e.tokenA).mustStatus(t, http.StatusOK, "first")
	spc(e.tokenA).mustStatus(t, http.StatusOK, "second")
	res := spc(e.tokenA)
	assertSCIMError(t, res, http.StatusTooManyRequests, "", "over the limit")
	assert.Equal(t, "2", res.Header.Get("Retry-After"))
	assert.Contains(t, res.Body["detail"], "retry after 2 seconds")

	// Tenant B has its own bucket.
	spc(e.tokenB).mustStatus(t, http.StatusOK, "another tenant")

	// Refused requests take no token: after 1.5 s still refused (Retry-After rounds up), after
	// 2 s one request passes, and the next is refused again.
	clock.advance(1500 * time.Millisecond)
	res = spc(e.tokenA)
	assertSCIMError(t, res, http.StatusTooManyRequests, "", "before the refill")
	assert.Equal(t, "1", res.Header.Get("Retry-After"))
	clock.advance(500 * time.Millisecond)
	spc(e.tokenA).mustStatus(t, http.StatusOK, "after the refill")
	assertSCIMError(t, spc(e.tokenA), http.StatusTooManyRequests, "", "bucket empty again")

	// Unauthenticated requests are 401 before they reach the limiter, and do not use tokens of
	// any tenant; health probes are never limited.
	res = e.send(request{Method: http.MethodGet, Path: "/ServiceProviderConfig", Token: "none"})
	assert.Equal(t, http.StatusUnauthorized, res.Code)
	for range 5 {
		e.send(request{Method: http.MethodGet, Path: "//healthz", Token: "none"}).mustStatus(t, http.StatusOK, "healthz")
	}

	// The 429s are counted under their route, and logged with the tenant.
	assert.Equal(t, 3.0, e.counterValue("scim_http_requests_total",
		map[string]string{"method": "GET", "route": "/scim/v2/ServiceProviderConfig", "code": "429"}))
	assert.Contains(t, e.logs.String(), `"status":429`)
	assert.Contains(t, e.logs.String(), `"tenant":"tenant-a"`)
}

func TestTenantRateLimitOffByDefault(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{})
	for i := range 200 {
		res := e.get("/ServiceProviderConfig")
		require.Equal(t, http.StatusOK, res.Code, "request %d", i)
		assert.Empty(t, res.Header.Get("Retry-After"))
	}
}

func TestTenantRateLimitDefaultBurst(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := newFakeEnv(t, &fakeStore{}, func(c *httpapi.Config) {
		c.TenantRateLimit, c.Now = 5, clock.now // burst 0: twice the rate
	})
	for range 10 {
		e.get("/ServiceProviderConfig").mustStatus(t, http.StatusOK, "within the default burst of 10")
	}
	assertSCIMError(t, e.get("/ServiceProviderConfig"), http.StatusTooManyRequests, "", "11th request")
}
