package httpapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/scim"
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

// TestTenantMaxInFlight holds requests of tenant A inside the store and checks that the one
// over --tenant-max-inflight is refused at once, that tenant B is not affected, and that a
// finished request frees its place.
func TestTenantMaxInFlight(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	st := &fakeStore{listUsersFn: func(ctx context.Context, tenantID string, q scim.Query, withGroups bool) (*scim.ListResult, error) {
		entered <- struct{}{}
		<-release
		return &scim.ListResult{}, nil
	}}
	e := newFakeEnv(t, st, func(c *httpapi.Config) { c.TenantMaxInFlight = 2 })
	list := func(token string) *response {
		return e.send(request{Method: http.MethodGet, Path: "/Users", Token: token})
	}

	var wg sync.WaitGroup
	results := make([]*response, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = list(e.tokenA)
		}()
	}
	<-entered
	<-entered // both of A's places are taken

	res := list(e.tokenA)
	assertSCIMError(t, res, http.StatusTooManyRequests, "", "third concurrent request")
	assert.Equal(t, "1", res.Header.Get("Retry-After"))
	assert.Contains(t, res.Body["detail"], "at most 2 at once")
	assertSCIMError(t, e.do(request{Method: http.MethodGet, Path: "/ServiceProviderConfig", Token: e.tokenA}),
		http.StatusTooManyRequests, "", "every request of the tenant counts")
	e.do(request{Method: http.MethodGet, Path: "/ServiceProviderConfig", Token: e.tokenB}).
		mustStatus(t, http.StatusOK, "another tenant is not affected")

	close(release)
	wg.Wait()
	for i, r := range results {
		assert.Equal(t, http.StatusOK, r.Code, "held request %d", i)
	}
	list(e.tokenA).mustStatus(t, http.StatusOK, "places are freed when requests finish")
	list(e.tokenA).mustStatus(t, http.StatusOK, "and stay free")
	assert.Equal(t, 4.0, e.counterValue("scim_http_requests_total",
		map[string]string{"method": "GET", "route": "/scim/v2/Users", "code": "200"}), "two held, two after")
}
