package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimd/scimd/internal/scim"
)

// tenantLimiter is a token bucket per tenant, in this replica's memory. It keeps one tenant's
// burst (an initial Entra ID sync of a large directory, a script gone wrong) from taking every
// database connection that the other tenants on the same replicas need. Entra ID and Okta back
// off on 429 and honour Retry-After.
type tenantLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	// nextSweep is when idle buckets are next dropped, so that the map holds only tenants
	// seen recently however many tenants there are.
	nextSweep time.Time
}

type bucket struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

// idleBucket is how long a tenant's bucket is kept without requests. After that long
// without requests a bucket would be full again anyway, so dropping it changes nothing.
const idleBucket = 10 * time.Minute

// newTenantLimiter returns nil (no limit) when perSecond is not positive. A burst below 1
// becomes twice the rate, at least 1.
func newTenantLimiter(perSecond float64, burst int, now func() time.Time) *tenantLimiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = max(1, int(math.Ceil(2*perSecond)))
	}
	if now == nil {
		now = time.Now
	}
	return &tenantLimiter{limit: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from tenantID's bucket. When there is none it returns false and how
// long until there is one.
func (l *tenantLimiter) allow(tenantID string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.nextSweep) {
		for id, b := range l.buckets {
			if now.Sub(b.lastSeen) > idleBucket {
				delete(l.buckets, id)
			}
		}
		l.nextSweep = now.Add(idleBucket)
	}
	b := l.buckets[tenantID]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[tenantID] = b
	}
	b.lastSeen = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	r := b.lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

// rateLimit answers 429 with Retry-After (whole seconds, at least 1) when the request's tenant
// is over its rate. It runs after authenticate, so only authenticated requests count, each
// against its own tenant.
func (s *server) rateLimit(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := s.limiter.allow(info(r).tenantID)
		if !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			s.writeError(w, r, scim.Errorf(http.StatusTooManyRequests, "",
				"too many requests for this tenant; retry after %d seconds", secs))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// inflightLimiter caps how many requests of one tenant this replica serves at once. The rate
// limit bounds requests per second, but a few slow requests (filters that scan, a large
// group's member list) can still hold every database connection; this bound leaves the pool
// to the other tenants. Requests over it are refused at once rather than queued, so that a
// waiting request never holds a server goroutine and a client's backoff does the queueing.
type inflightLimiter struct {
	max int

	mu     sync.Mutex
	counts map[string]int // only tenants with requests in flight
}

// newInflightLimiter returns nil (no limit) when max is not positive.
func newInflightLimiter(max int) *inflightLimiter {
	if max <= 0 {
		return nil
	}
	return &inflightLimiter{max: max, counts: map[string]int{}}
}

// acquire counts a request of tenantID in; false when the tenant is at its limit.
func (l *inflightLimiter) acquire(tenantID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts[tenantID] >= l.max {
		return false
	}
	l.counts[tenantID]++
	return true
}

// release counts a request of tenantID out.
func (l *inflightLimiter) release(tenantID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts[tenantID] <= 1 {
		delete(l.counts, tenantID)
		return
	}
	l.counts[tenantID]--
}

// limitInflight answers 429 with Retry-After: 1 when the request's tenant already has
// --tenant-max-inflight requests in progress on this replica.
func (s *server) limitInflight(next http.Handler) http.Handler {
	if s.inflight == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant := info(r).tenantID
		if !s.inflight.acquire(tenant) {
			w.Header().Set("Retry-After", "1")
			s.writeError(w, r, scim.Errorf(http.StatusTooManyRequests, "",
				"too many concurrent requests for this tenant (at most %d at once); retry after 1 second", s.inflight.max))
			return
		}
		defer s.inflight.release(tenant)
		next.ServeHTTP(w, r)
	})
}
