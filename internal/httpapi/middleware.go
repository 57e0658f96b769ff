package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/scimd/scimd/internal/scim"
)

// requestInfo is what the middleware learns about one request, shared through the context so
// that the outer layers (metrics, access log) can report what inner ones found out (tenant,
// unmatched route).
type requestInfo struct {
	id        string
	rw        *responseRecorder
	tenant    string // tenant name, for the access log
	tenantID  string
	unmatched bool
}

type infoKey struct{}

// info returns the request's requestInfo; every request routed by New has one.
func info(r *http.Request) *requestInfo {
	if ri, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

type tokenKey struct{}

// tokenFrom returns the authenticated token of the request.
func tokenFrom(ctx context.Context) *scim.Token {
	t, _ := ctx.Value(tokenKey{}).(*scim.Token)
	return t
}

// logger returns the server logger with the request id attached.
func (s *server) logger(r *http.Request) *slog.Logger {
	return s.log.With("request_id", info(r).id)
}

// responseRecorder remembers the status and size of a response.
type responseRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (rw *responseRecorder) WriteHeader(code int) {
	if !rw.wroteHeader {
		rw.status = code
		rw.wroteHeader = true
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *responseRecorder) Write(p []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rw *responseRecorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// maxRequestIDLen bounds an accepted X-Request-Id.
const maxRequestIDLen = 128

// requestID takes the caller's X-Request-Id when it is short and made of safe characters
// (it ends up in logs), otherwise generates one, and echoes it in the response.
func (s *server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		rw := &responseRecorder{ResponseWriter: w}
		ri := &requestInfo{id: id, rw: rw}
		rw.Header().Set("X-Request-Id", id)
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), infoKey{}, ri)))
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("-_.:", c):
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// recoverer turns a panic into a 500 with a generic detail and logs the panic with its stack
// and the request id. http.ErrAbortHandler is passed on: it is how a handler aborts a response
// it already started (a member stream that failed half-way).
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logger(r).Error("panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if info(r).rw.wroteHeader {
				// Too late for a status; cut the connection so the client sees a broken
				// response instead of a truncated one that looks whole.
				panic(http.ErrAbortHandler)
			}
			s.writeError(w, r, errors.New("panic")) // 500, generic detail
		}()
		next.ServeHTTP(w, r)
	})
}

// instrument updates the HTTP metrics. The route label is read after routing, from chi's
// route pattern (see routeLabel), never from the raw path.
func (s *server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Inc()
		finished := false
		defer func() {
			s.metrics.inFlight.Dec()
			status := statusOf(r, finished)
			method := methodLabel(r.Method)
			route := s.routeLabel(r)
			s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
			s.metrics.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(w, r)
		finished = true
	})
}

// statusOf is the status the request ends with. When the handler did not finish it panicked,
// and recoverer (outside) will answer 500 unless a response was already under way.
func statusOf(r *http.Request, finished bool) int {
	rw := info(r).rw
	switch {
	case rw.wroteHeader:
		return rw.status
	case !finished:
		return http.StatusInternalServerError
	default:
		return http.StatusOK
	}
}

// accessLog writes one line per request: request id, tenant, method, route pattern, status,
// duration and response bytes. Never headers (the Authorization header) or bodies.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		finished := false
		defer func() {
			ri := info(r)
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", ri.id),
				slog.String("tenant", ri.tenant),
				slog.String("method", methodLabel(r.Method)),
				slog.String("route", s.routeLabel(r)),
				slog.Int("status", statusOf(r, finished)),
				slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", ri.rw.bytes),
			)
		}()
		next.ServeHTTP(w, r)
		finished = true
	})
}

// routeLabel is the chi route pattern of r's endpoint, or "unmatched" for a path or method no
// endpoint serves (notFound and methodNotAllowed mark those). Only the router's endpoint
// patterns (s.patterns) are ever returned, so the label stays bounded, never the raw path.
//
// A request rejected by the /scim/v2 middleware (authenticate 401, limitBody 413,
// checkContentType 415) ends before the subrouter has routed it: its pattern stops at the mount
// ("/scim/v2/*", or Mount's stub "/scim/v2", which serves nothing). Operators still want to see
// which endpoint the IdP failed on, so the pattern the request would have been routed to is
// then looked up in the router.
func (s *server) routeLabel(r *http.Request) string {
	if info(r).unmatched {
		return "unmatched"
	}
	if p := chi.RouteContext(r.Context()).RoutePattern(); s.patterns[p] {
		return p
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet // served by the GET handler (middleware.GetHead)
	}
	if p := s.mux.Find(chi.NewRouteContext(), method, routingPath(r)); s.patterns[p] {
		return p
	}
	return "unmatched"
}

// routingPath is the path chi routes r on: the escaped path when it differs from the decoded
// one, so that an id containing %2F stays one segment.
func routingPath(r *http.Request) string {
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.Path
}

// methodLabel bounds the method label to the methods scimd knows.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// authenticate requires "Authorization: Bearer <token>" (scheme case-insensitive, exactly one
// space, a token without spaces) and a token the Authenticator accepts. The token and its
// tenant go into the context; the actor (token id) too, for the provisioning log.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			s.writeError(w, r, scim.ErrUnauthorized)
			return
		}
		tok, err := s.auth.Authenticate(r.Context(), secret)
		if err == nil && tok == nil {
			err = scim.ErrUnauthorized
		}
		if err != nil {
			if scim.StatusOf(err) == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="scimd", error="invalid_token"`)
			}
			s.writeError(w, r, err)
			return
		}
		ri := info(r)
		ri.tenant, ri.tenantID = tok.TenantName, tok.TenantID
		ctx := context.WithValue(r.Context(), tokenKey{}, tok)
		ctx = scim.WithActor(ctx, tok.ID)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearerToken extracts the token of a well-formed bearer Authorization header.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" ||
		strings.ContainsAny(token, " \t\r\n") {
		return "", false
	}
	return token, true
}

// limitBody caps the request body at s.maxBody bytes; reading past it fails with
// *http.MaxBytesError, which writeError turns into 413.
func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.maxBody {
			s.writeError(w, r, tooLarge(s.maxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		next.ServeHTTP(w, r)
	})
}

// checkContentType accepts application/scim+json and application/json (any parameters) and a
// missing Content-Type on requests with a body; anything else is 415. GET and DELETE are never
// checked (Entra ID sends no Content-Type and no Accept on them).
func (s *server) checkContentType(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			if ct := r.Header.Get("Content-Type"); ct != "" {
				mt, _, err := mime.ParseMediaType(ct)
				if err != nil || (mt != "application/scim+json" && mt != "application/json") {
					s.writeError(w, r, scim.Errorf(http.StatusUnsupportedMediaType, "",
						"unsupported Content-Type; use application/scim+json or application/json"))
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// notFound answers unknown routes with a SCIM 404.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	info(r).unmatched = true
	s.writeError(w, r, scim.Errorf(http.StatusNotFound, "", "no such endpoint"))
}

// methodNotAllowed answers a known path with an unsupported method: 405 with Allow listing the
// methods that path supports.
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	info(r).unmatched = true
	path := routingPath(r)
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if s.mux.Match(chi.NewRouteContext(), m, path) {
			allowed = append(allowed, m)
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
	}
	s.writeError(w, r, scim.Errorf(http.StatusMethodNotAllowed, "", "method %s is not allowed here", methodLabel(r.Method)))
}
