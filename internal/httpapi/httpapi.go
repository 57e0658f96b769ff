// Package httpapi serves scimd's SCIM 2.0 HTTP API (RFC 7644): the chi router, the middleware
// (request id, recover, metrics, access log, bearer auth, body limit, content type), the
// discovery endpoints and the /Users and /Groups handlers. It talks to storage only through
// scim.Store and writes every error through one function, writeError.
//
// Choices worth knowing (each is documented where it is made):
//   - Discovery endpoints (/ServiceProviderConfig, /ResourceTypes, /Schemas) require the bearer
//     token like everything else under /scim/v2. RFC 7644 §4 allows either; Entra ID sends its
//     token on every request, and an unauthenticated probe learns nothing about a tenant.
//   - sortBy and sortOrder are ignored (sort.supported=false is advertised); lists come back in
//     the store's stable order. RFC 7644 §3.4.2.3 lets a provider that does not support sorting
//     ignore them, and a 400 would break clients that always send them.
//   - A PATCH of a group that only changed members answers 204 No Content (what Entra ID
//     expects, and it saves streaming a large member list back) unless the request asked for a
//     body with attributes or excludedAttributes. Users always get 200 with the resource.
//   - A PUT of a group without a "members" key keeps the members (RFC 7644 §3.5.1 lets the
//     provider treat omitted attributes as not asserted); "members": [] or null clears them.
//   - ETags are weak (W/"<version>") and sent on every single-resource response; If-Match on
//     PUT, PATCH and DELETE is honoured (412 on mismatch).
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"golang.org/x/crypto/bcrypt"

	"github.com/scimd/scimd/internal/scim"
)

// Authenticator checks a bearer token. internal/auth implements it.
type Authenticator interface {
	// Authenticate returns the token record for the bearer secret, or a 401 *scim.Error when
	// the secret is unknown, expired or revoked. Other errors (database down) are written as
	// they map (503 for scim.ErrUnavailable, else 500).
	Authenticate(ctx context.Context, bearer string) (*scim.Token, error)
}

// Config is everything New needs. Store, Registry and Auth are required.
type Config struct {
	Store    scim.Store
	Registry *scim.Registry
	Auth     Authenticator
	// Logger receives the access log and internal errors; nil discards them.
	Logger *slog.Logger
	// Metrics are updated for every request; nil creates unregistered metrics.
	Metrics *Metrics
	// MaxBodyBytes limits request bodies (default 1 MiB); larger bodies get 413.
	MaxBodyBytes int64
	// DefaultPageSize is the list page size when the request has no count (default 100);
	// MaxPageSize caps count (default 1000) and is advertised as filter.maxResults.
	DefaultPageSize, MaxPageSize int
	// BaseURL is the public service root, e.g. "https://scim.example.com/scim/v2". When empty
	// it is derived from each request: scheme from TLS or X-Forwarded-Proto, host from Host.
	BaseURL string
	// PasswordHasher turns a user's password into a slow salted hash; nil means bcrypt at
	// cost 10.
	PasswordHasher func(string) (string, error)
	// TenantRateLimit is how many requests per second each tenant may make to this replica;
	// 0 means no limit. TenantRateBurst is the bucket size (0: twice the rate). Requests over
	// the limit get 429 with Retry-After.
	TenantRateLimit float64
	TenantRateBurst int
	// TenantMaxInFlight is how many requests of one tenant this replica serves at once; 0
	// means no limit. More get 429 with Retry-After: 1.
	TenantMaxInFlight int
	// Now is the clock of the rate limiter; nil means time.Now.
	Now func() time.Time
}

const (
	// basePath is where the SCIM API lives.
	basePath            = "/scim/v2"
	defaultMaxBodyBytes = 1 << 20
	defaultPageSize     = 100
	defaultMaxPageSize  = 1000
	bcryptCost          = 10
	// bcryptMaxPassword is bcrypt's input limit; longer passwords are rejected, not truncated.
	bcryptMaxPassword = 72
)

// server holds the handlers' dependencies.
type server struct {
	store       scim.Store
	reg         *scim.Registry
	auth        Authenticator
	log         *slog.Logger
	metrics     *Metrics
	maxBody     int64
	pageSize    int
	maxPageSize int
	baseURL     string
	hash        func(string) (string, error)
	limiter     *tenantLimiter
	inflight    *inflightLimiter
	mux         *chi.Mux
	// patterns are the route patterns of mux's endpoints, the only route label values
	// besides "unmatched" (routeLabel).
	patterns map[string]bool
}

// New returns the HTTP handler of the whole service: /healthz, /readyz and the SCIM API under
// /scim/v2. It does not serve /metrics; the caller mounts promhttp on its own registry.
func New(cfg Config) http.Handler {
	s := &server{
		store:       cfg.Store,
		reg:         cfg.Registry,
		auth:        cfg.Auth,
		log:         cfg.Logger,
		metrics:     cfg.Metrics,
		maxBody:     cfg.MaxBodyBytes,
		pageSize:    cfg.DefaultPageSize,
		maxPageSize: cfg.MaxPageSize,
		baseURL:     strings.TrimRight(cfg.BaseURL, "/"),
		hash:        cfg.PasswordHasher,
		limiter:     newTenantLimiter(cfg.TenantRateLimit, cfg.TenantRateBurst, cfg.Now),
		inflight:    newInflightLimiter(cfg.TenantMaxInFlight),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(nil)
	}
	if s.maxBody <= 0 {
		s.maxBody = defaultMaxBodyBytes
	}
	if s.maxPageSize <= 0 {
		s.maxPageSize = defaultMaxPageSize
	}
	if s.pageSize <= 0 {
		s.pageSize = defaultPageSize
	}
	if s.pageSize > s.maxPageSize {
		s.pageSize = s.maxPageSize
	}
	if s.hash == nil {
		s.hash = bcryptHash
	}
	s.mux = s.routes()
	s.patterns = map[string]bool{}
	// Walk reports endpoints only, not Mount's stubs; it fails only when the callback does.
	_ = chi.Walk(s.mux, func(_, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		s.patterns[route] = true
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cleanPath(r)
		s.mux.ServeHTTP(w, r)
	})
}

// routes builds the router. Middleware order matters: the request id comes first so that
// everything after it can log it; recover sits outside metrics and the access log so that a
// panic is still counted and logged (they detect it on the way out) and answered with 500.
func (s *server) routes() *chi.Mux {
	r := chi.NewRouter()
	// GetHead serves HEAD with the GET handler (net/http drops the body): load balancers and
	// uptime monitors probe /healthz with HEAD.
	r.Use(s.requestID, s.recoverer, s.instrument, s.accessLog, middleware.GetHead)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)

	r.Route(basePath, func(r chi.Router) {
		r.Use(s.authenticate, s.rateLimit, s.limitInflight, s.limitBody, s.checkContentType)

		r.Get("/ServiceProviderConfig", s.handleServiceProviderConfig)
		r.Get("/ResourceTypes", s.handleResourceTypes)
		r.Get("/ResourceTypes/{name}", s.handleResourceType)
		r.Get("/Schemas", s.handleSchemas)
		r.Get("/Schemas/{urn}", s.handleSchema)

		for _, name := range []string{scim.ResourceUser, scim.ResourceGroup} {
			h := &resourceHandler{server: s, rtName: name}
			endpoint := "/" + name + "s"
			r.Get(endpoint, h.list)
			r.Post(endpoint, h.create)
			r.Post(endpoint+"/.search", h.search)
			r.Get(endpoint+"/{id}", h.get)
			r.Put(endpoint+"/{id}", h.replace)
			r.Patch(endpoint+"/{id}", h.patch)
			r.Delete(endpoint+"/{id}", h.delete)
		}
	})
	return r
}

// cleanPath collapses repeated slashes and drops a trailing slash, so that a Tenant URL that
// ends in "/" ("https://h/scim/v2/" + "/Users") and "/scim/v2/Users/" route like
// "/scim/v2/Users" (entra.md §1).
func cleanPath(r *http.Request) {
	r.URL.Path = collapseSlashes(r.URL.Path)
	if r.URL.RawPath != "" {
		r.URL.RawPath = collapseSlashes(r.URL.RawPath)
	}
}

func collapseSlashes(p string) string {
	if !strings.Contains(p, "//") && (len(p) <= 1 || !strings.HasSuffix(p, "/")) {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	var prev byte
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && prev == '/' {
			continue
		}
		prev = p[i]
		b.WriteByte(p[i])
	}
	out := b.String()
	if len(out) > 1 {
		out = strings.TrimSuffix(out, "/")
	}
	return out
}

// bcryptHash is the default password hasher.
func bcryptHash(password string) (string, error) {
	if len(password) > bcryptMaxPassword {
		return "", scim.InvalidValue("password is longer than %d bytes", bcryptMaxPassword)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// baseURLFor returns the service root for links in responses ("https://h/scim/v2").
func (s *server) baseURLFor(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// X-Forwarded-Proto is set by the load balancer in front of scimd; only the two values
	// that make sense are believed.
	switch p := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto"))); p {
	case "http", "https":
		scheme = p
	}
	return scheme + "://" + r.Host + basePath
}
