package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend/backendtest"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// newPostgresStore returns a store with registry reg (nil: scim.NewRegistry()) on a fresh,
// migrated database that is dropped when the test ends, and a function that opens further
// stores on the same database. It fails the test when Postgres cannot be reached.
func newPostgresStore(t testing.TB, reg *scim.Registry) (scim.Store, func(*scim.Registry) scim.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The database is dropped by a cleanup registered before the stores' own, so it runs
	// after every store on it is closed.
	dbURL := backendtest.NewDatabaseURL(t, "scimd_httpapi")
	open := func(reg *scim.Registry) *postgres.DB {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db, err := postgres.Open(ctx, postgres.Config{URL: dbURL, Registry: reg})
		require.NoError(t, err, "open test database %s", dbURL)
		t.Cleanup(db.Close)
		return db
	}
	db := open(reg)
	require.NoError(t, db.Migrate(ctx), "migrate test database %s", dbURL)
	return db.Store(), func(reg *scim.Registry) scim.Store { return open(reg).Store() }
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// fakeAuth accepts the bearer secrets it knows.
type fakeAuth struct {
	tokens map[string]*scim.Token
}

func (a *fakeAuth) Authenticate(_ context.Context, bearer string) (*scim.Token, error) {
	if t, ok := a.tokens[bearer]; ok {
		return t, nil
	}
	return nil, scim.ErrUnauthorized
}

// fastHash keeps tests quick: bcrypt's cost is not what they test.
func fastHash(p string) (string, error) { return "test$" + p, nil }

// env is one server under test: a handler over a store, with two tenants and a token each.
type env struct {
	t       testing.TB
	handler http.Handler
	store   scim.Store
	reg     *scim.Registry
	promReg *prometheus.Registry
	logs    *syncBuffer
	tenantA *scim.Tenant
	tenantB *scim.Tenant
	tokenA  string
	tokenB  string
	// reopen opens another store on the same database (servers from eachBackend only).
	reopen func(*scim.Registry) scim.Store
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// httpapiConfig shortens option functions in tests.
type httpapiConfig = httpapi.Config

type envOption func(*httpapi.Config)

// newEnvFunc builds a server over a fresh store of one backend, with tenants A and B.
type newEnvFunc func(t *testing.T, opts ...envOption) *env

// storeBackends are the store backends every test over a real store runs on. open opens a
// store with registry reg (nil: scim.NewRegistry()) on a fresh, migrated database that is
// removed when the test ends, and returns a function that opens more stores on it.
func storeBackends() []struct {
	name string
	open func(t testing.TB, reg *scim.Registry) (scim.Store, func(*scim.Registry) scim.Store)
} {
	return []struct {
		name string
		open func(t testing.TB, reg *scim.Registry) (scim.Store, func(*scim.Registry) scim.Store)
	}{
		{"postgres", newPostgresStore},
		{"sqlite", newSQLiteStore},
	}
}

// eachBackend runs fn once per store backend, as parallel subtests named after the backend:
// the HTTP behaviour must be the same on every backend. newEnv builds servers on that backend;
// the store compiles filters with the registry the options give the server, as in scimd.
func eachBackend(t *testing.T, fn func(t *testing.T, newEnv newEnvFunc)) {
	t.Helper()
	for _, b := range storeBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, func(t *testing.T, opts ...envOption) *env {
				t.Helper()
				st, reopen := b.open(t, configured(opts).Registry)
				e := newEnvWithStore(t, st, true, opts...)
				e.reopen = reopen
				return e
			})
		})
	}
}

// configured returns the configuration opts make of a zero Config.
func configured(opts []envOption) httpapi.Config {
	var cfg httpapi.Config
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// newSQLiteStore returns a store with registry reg (nil: scim.NewRegistry()) on a fresh,
// migrated SQLite file in the test's temporary directory, and a function that opens further
// stores on the same file.
func newSQLiteStore(t testing.TB, reg *scim.Registry) (scim.Store, func(*scim.Registry) scim.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scimd.db")
	open := func(reg *scim.Registry) *sqlite.DB {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db, err := sqlite.Open(ctx, sqlite.Config{Path: path, Registry: reg})
		require.NoError(t, err, "open SQLite test database")
		t.Cleanup(db.Close)
		return db
	}
	db := open(reg)
	require.NoError(t, db.Migrate(context.Background()), "migrate SQLite test database")
	return db.Store(), func(reg *scim.Registry) scim.Store { return open(reg).Store() }
}

// newEnvWithStore builds a server over st; with tenants, it creates tenants A and B in st.
func newEnvWithStore(t testing.TB, st scim.Store, tenants bool, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, store: st}
	e.tenantA = &scim.Tenant{ID: "tenant-a-id", Name: "tenant-a"}
	e.tenantB = &scim.Tenant{ID: "tenant-b-id", Name: "tenant-b"}
	if tenants {
		ctx := context.Background()
		var err error
		e.tenantA, err = st.CreateTenant(ctx, "tenant-a")
		require.NoError(t, err)
		e.tenantB, err = st.CreateTenant(ctx, "tenant-b")
		require.NoError(t, err)
	}
	e.tokenA, e.tokenB = "token-a-"+randomHex(8), "token-b-"+randomHex(8)
	e.serve(opts)
	return e
}

// serve builds e's handler over e.store with the tenants and tokens of e, configured by opts
// (e.reg is the registry they set, scim.NewRegistry() when none).
func (e *env) serve(opts []envOption) {
	e.t.Helper()
	e.promReg, e.logs = prometheus.NewRegistry(), &syncBuffer{}
	auth := &fakeAuth{tokens: map[string]*scim.Token{
		e.tokenA: {ID: "tok-a", TenantID: e.tenantA.ID, TenantName: e.tenantA.Name},
		e.tokenB: {ID: "tok-b", TenantID: e.tenantB.ID, TenantName: e.tenantB.Name},
	}}
	cfg := httpapi.Config{
		Store:          e.store,
		Registry:       scim.NewRegistry(),
		Auth:           auth,
		Logger:         slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics:        httpapi.NewMetrics(e.promReg),
		PasswordHasher: fastHash,
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.reg = cfg.Registry
	e.handler = httpapi.New(cfg)
}

// sibling returns a second server on e's database, with e's tenants and tokens and a store
// of its own, configured by opts (nothing of e's options carries over): scimd restarted with
// another configuration. Only servers from eachBackend have one.
func (e *env) sibling(t *testing.T, opts ...envOption) *env {
	t.Helper()
	require.NotNil(t, e.reopen, "sibling needs a server from eachBackend")
	s := &env{t: t, tenantA: e.tenantA, tenantB: e.tenantB, tokenA: e.tokenA, tokenB: e.tokenB, reopen: e.reopen}
	s.store = e.reopen(configured(opts).Registry)
	s.serve(opts)
	return s
}

// response is a recorded response with its body decoded when it is JSON.
type response struct {
	Code   int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// request describes one request; Token "" sends none, Header adds headers.
type request struct {
	Method string
	Path   string // relative to /scim/v2 unless it starts with "//" (then from the root)
	Body   any    // string or []byte sent as is; anything else marshalled
	Token  string
	Header map[string]string
}

// do sends req with tenant A's token unless req says otherwise.
func (e *env) do(req request) *response {
	e.t.Helper()
	if req.Token == "" {
		req.Token = e.tokenA
	}
	return e.send(req)
}

// send sends req exactly (no default token when req.Token is "none").
func (e *env) send(req request) *response {
	e.t.Helper()
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		body = bytes.NewReader(data)
	}
	path := req.Path
	if strings.HasPrefix(path, "//") {
		path = path[1:]
	} else {
		path = "/scim/v2" + path
	}
	r := httptest.NewRequest(req.Method, path, body)
	if body != nil {
		r.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	if req.Token != "none" {
		r.Header.Set("Authorization", "Bearer "+req.Token)
	}
	for k, v := range req.Header {
		if v == "" {
			r.Header.Del(k)
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	res := &response{Code: w.Code, Header: w.Header(), Raw: w.Body.Bytes()}
	if len(res.Raw) > 0 {
		_ = json.Unmarshal(res.Raw, &res.Body)
	}
	return res
}

func (e *env) get(path string) *response {
	e.t.Helper()
	return e.do(request{Method: http.MethodGet, Path: path})
}

func (e *env) post(path string, body any) *response {
	e.t.Helper()
	return e.do(request{Method: http.MethodPost, Path: path, Body: body})
}

func (e *env) patch(path string, body any) *response {
	e.t.Helper()
	return e.do(request{Method: http.MethodPatch, Path: path, Body: body})
}

func (e *env) put(path string, body any) *response {
	e.t.Helper()
	return e.do(request{Method: http.MethodPut, Path: path, Body: body})
}

func (e *env) delete(path string) *response {
	e.t.Helper()
	return e.do(request{Method: http.MethodDelete, Path: path})
}

// mustStatus fails the test unless res has the wanted status.
func (r *response) mustStatus(t testing.TB, want int, what string) *response {
	t.Helper()
	require.Equal(t, want, r.Code, "%s: status; body %s", what, r.Raw)
	return r
}

// createUser posts a minimal user and returns its id.
func (e *env) createUser(userName string, extra map[string]any) string {
	e.t.Helper()
	body := map[string]any{"schemas": []string{scim.SchemaUser}, "userName": userName}
	for k, v := range extra {
		body[k] = v
	}
	res := e.post("/Users", body).mustStatus(e.t, http.StatusCreated, "create user "+userName)
	return res.Body["id"].(string)
}

// createGroup posts a group and returns its id.
func (e *env) createGroup(displayName string, memberIDs ...string) string {
	e.t.Helper()
	members := []any{}
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id})
	}
	body := map[string]any{"schemas": []string{scim.SchemaGroup}, "displayName": displayName, "members": members}
	res := e.post("/Groups", body).mustStatus(e.t, http.StatusCreated, "create group "+displayName)
	return res.Body["id"].(string)
}

// memberIDs returns the member values of a group body.
func memberIDs(body map[string]any) []string {
	var out []string
	ms, _ := body["members"].([]any)
	for _, m := range ms {
		if mm, ok := m.(map[string]any); ok {
			out = append(out, fmt.Sprint(mm["value"]))
		}
	}
	return out
}

// counterValue reads one series of a counter from the env's registry.
func (e *env) counterValue(name string, labels map[string]string) float64 {
	e.t.Helper()
	mfs, err := e.promReg.Gather()
	require.NoError(e.t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
