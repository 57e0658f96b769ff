package httpapi_test

// End-to-end benchmarks of the HTTP API over the Postgres store on a large tenant: Entra ID's
// user lookups among 1,000,000 users, one-member PATCHes of a group of 10 and of 100,000
// members, POST /Users, and GET of the 100,000-member group with and without its members. They
// run the whole handler (router, middleware, bearer authentication against the token table,
// filter parsing, rendering) with httptest requests, no network. They need a seeded database
// and run only with SCIMD_BENCH=1 (see docs/benchmarks.md):
//
//	SCIMD_BENCH=1 go test -p 1 -run '^$' -bench . -benchtime 5s ./internal/httpapi
//
// The seed is pgbench's, in the same database as the store benchmarks; whichever package
// runs first writes it.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend/backendtest"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/postgres/pgbench"
)

// benchFixture is the seeded database and a handler over it, built once per benchmark binary.
type benchFixture struct {
	db      *postgres.DB
	handler http.Handler
	// token authenticates as the seeded tenant, createToken as the empty one.
	token, createToken string
}

var (
	benchOnce sync.Once
	benchFix  *benchFixture
	benchErr  error
)

// openBench returns the seeded fixture. Without SCIMD_BENCH=1 the benchmark is skipped: seeding
// a million users is not something `make bench` or a stray -bench . should do by surprise.
func openBench(b *testing.B) *benchFixture {
	b.Helper()
	if os.Getenv("SCIMD_BENCH") == "" {
		b.Skip("set SCIMD_BENCH=1 to run the large-tenant benchmarks (they seed 1M users once; see docs/benchmarks.md)")
	}
	benchOnce.Do(func() {
		benchFix, benchErr = newBenchFixture(b)
		if benchErr != nil {
			benchErr = fmt.Errorf("%w\nThe benchmarks need the PostgreSQL server of the tests: start one with "+
				"`bash deploy/scripts/ensure-postgres.sh` or point SCIMD_TEST_DATABASE_URL at one", benchErr)
		}
	})
	if benchErr != nil {
		b.Fatalf("prepare the benchmark database: %v", benchErr)
	}
	return benchFix
}

func newBenchFixture(b *testing.B) (*benchFixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dbURL, err := pgbench.Seed(ctx, backendtest.AdminURL(), b.Logf)
	if err != nil {
		return nil, err
	}
	// The pool size scimd uses by default (max(4, CPUs)).
	db, err := postgres.Open(ctx, postgres.Config{URL: dbURL})
	if err != nil {
		return nil, err
	}
	st := db.Store()
	fx := &benchFixture{db: db}
	for _, t := range []struct {
		tenant string
		secret *string
	}{{pgbench.TenantID, &fx.token}, {pgbench.CreateTenantID, &fx.createToken}} {
		secret, hash, err := auth.Generate()
		if err != nil {
			return nil, err
		}
		if _, err := st.CreateToken(ctx, &scim.Token{TenantID: t.tenant, Label: "bench"}, hash); err != nil {
			return nil, err
		}
		*t.secret = secret
	}
	fx.handler = httpapi.New(httpapi.Config{
		Store:    st,
		Registry: scim.NewRegistry(),
		// The real authenticator: one indexed token read per request, as in production.
		Auth:    auth.NewAuthenticator(st, nil, nil),
		BaseURL: "https://scim.example.com/scim/v2",
	})
	return fx, nil
}

// discardWriter is a ResponseWriter that counts the body instead of keeping it, so that B/op
// shows what the handler holds, not what a recorder buffers.
type discardWriter struct {
	header http.Header
	status int
	n      int64
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += int64(len(p))
	return len(p), nil
}

// serve runs one request through the handler and returns the status and body.
func (fx *benchFixture) serve(method, target, token, body string) (int, []byte) {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	if rd != nil {
		req = httptest.NewRequest(method, target, rd)
		req.Header.Set("Content-Type", "application/scim+json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	fx.handler.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// benchLookup measures GET /Users?filter=… for random seeded users, serially and from 4
// goroutines per CPU, checking that each finds exactly one user.
func benchLookup(b *testing.B, mkFilter func(i int) string) {
	fx := openBench(b)
	r := rand.New(rand.NewPCG(1, 2))
	targets := make([]string, 4096)
	for i := range targets {
		targets[i] = "/scim/v2/Users?filter=" + url.QueryEscape(mkFilter(1+r.IntN(pgbench.Users)))
	}
	op := func(r *rand.Rand) error {
		target := targets[r.IntN(len(targets))]
		code, body := fx.serve(http.MethodGet, target, fx.token, "")
		if code != http.StatusOK || !bytes.Contains(body, []byte(`"totalResults":1,`)) {
			return fmt.Errorf("GET %s: %d %.300s", target, code, body)
		}
		return nil
	}
	b.Run("serial", func(b *testing.B) { pgbench.RunTimed(b, 0, op) })
	b.Run("parallel", func(b *testing.B) { pgbench.RunTimed(b, 4, op) })
}

// BenchmarkHTTPUserNameLookup is Entra ID's matching request,
// GET /Users?filter=userName eq "…", on a tenant of 1M users.
func BenchmarkHTTPUserNameLookup(b *testing.B) {
	benchLookup(b, func(i int) string { return `userName eq "` + pgbench.UserName(i) + `"` })
}

// BenchmarkHTTPUserEmailLookup is Entra ID's alternative matching request on the work email.
func BenchmarkHTTPUserEmailLookup(b *testing.B) {
	benchLookup(b, func(i int) string {
		return `emails[type eq "work"].value eq "user` + strconv.Itoa(i) + `@work.example.com"`
	})
}

// addMember sends Entra ID's membership PATCH adding one user to a group.
func (fx *benchFixture) addMember(group string, user int) error {
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"` +
		pgbench.UserID(user) + `"}]}]}`
	code, resp := fx.serve(http.MethodPatch, "/scim/v2/Groups/"+group, fx.token, body)
	if code != http.StatusNoContent {
		return fmt.Errorf("PATCH add member: %d %.300s", code, resp)
	}
	return nil
}

// BenchmarkHTTPMemberAdd sends PATCH /Groups/{id} adding one new member per request to a group
// of 10 and to a group of 100,000 members. The cost must not depend on the group's size.
func BenchmarkHTTPMemberAdd(b *testing.B) {
	fx := openBench(b)
	pgbench.MemberAdd(b, fx.db.Pool(), pgbench.HTTPPool, pgbench.HTTPSmallGroup, pgbench.HTTPBigGroup, fx.addMember)
}

// BenchmarkHTTPMemberAddInterleaved alternates the two groups within one loop, so that both
// see the same background load, and reports their latencies and ratio (big/small).
func BenchmarkHTTPMemberAddInterleaved(b *testing.B) {
	fx := openBench(b)
	pgbench.MemberAddInterleaved(b, fx.db.Pool(), pgbench.HTTPPool, pgbench.HTTPSmallGroup, pgbench.HTTPBigGroup, fx.addMember)
}

// BenchmarkHTTPCreateUser measures POST /Users with Entra ID's create body, into an empty
// tenant (emptied first), serially and from 4 goroutines per CPU. No password is sent: bcrypt
// would dominate and is not what this measures.
func BenchmarkHTTPCreateUser(b *testing.B) {
	fx := openBench(b)
	run := "r" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var seq atomic.Int64
	op := func(*rand.Rand) error {
		n := strconv.FormatInt(seq.Add(1), 10)
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],` +
			`"externalId":"` + run + `-` + n + `","userName":"new.user.` + run + `.` + n + `@example.com","active":true,` +
			`"emails":[{"primary":true,"type":"work","value":"new.user.` + run + `.` + n + `@work.example.com"}],` +
			`"meta":{"resourceType":"User"},"name":{"formatted":"New User","familyName":"User","givenName":"New"},"roles":[]}`
		code, resp := fx.serve(http.MethodPost, "/scim/v2/Users", fx.createToken, body)
		if code != http.StatusCreated {
			return fmt.Errorf("POST /Users: %d %.300s", code, resp)
		}
		return nil
	}
	if _, err := fx.db.Pool().Exec(context.Background(), `DELETE FROM users WHERE tenant_id = $1`, pgbench.CreateTenantID); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) { pgbench.RunTimed(b, 0, op) })
	b.Run("parallel", func(b *testing.B) { pgbench.RunTimed(b, 4, op) })
}

// BenchmarkHTTPGetBigGroup reads the 100,000-member group with excludedAttributes=members
// (Entra ID's existence check) and in full. B/op is everything allocated per request; what
// shows that members are streamed rather than held is max-live-heap-bytes, the largest live
// heap any garbage collection during the requests found, against resp-bytes, the size of the
// response.
func BenchmarkHTTPGetBigGroup(b *testing.B) {
	fx := openBench(b)
	for _, tc := range []struct{ name, query string }{
		{"excludedAttributes=members", "?excludedAttributes=members"},
		{"full", ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			pgbench.ResetPool(b, fx.db.Pool(), pgbench.HTTPPool, pgbench.HTTPBigGroup)
			target := "/scim/v2/Groups/" + pgbench.HTTPBigGroup + tc.query
			var size int64
			b.ReportAllocs()
			runtime.GC()
			stop := sampleHeap()
			pgbench.RunTimed(b, 0, func(*rand.Rand) error {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				req.Header.Set("Authorization", "Bearer "+fx.token)
				w := &discardWriter{header: http.Header{}}
				fx.handler.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					return fmt.Errorf("GET %s: %d", target, w.status)
				}
				size = w.n
				return nil
			})
			b.ReportMetric(float64(size), "resp-bytes")
			b.ReportMetric(float64(stop()), "max-live-heap-bytes")
		})
	}
}

// sampleHeap starts watching the live heap (as measured by each garbage collection) and returns
// a function that stops and returns the largest value seen.
func sampleHeap() (stop func() uint64) {
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-result
	}
}

// TestBenchHelpers checks the benchmarks' own helpers (no database).
func TestBenchHelpers(t *testing.T) {
	t.Parallel()
	// md5('user1')::uuid in Postgres.
	assert.Equal(t, "24c9e15e-52af-c47c-225b-757e7bee1f9d", pgbench.UserID(1))
	assert.Equal(t, "user1@example.com", pgbench.UserName(1))
	w := &discardWriter{header: http.Header{}}
	_, _ = w.Write([]byte("abc"))
	assert.Equal(t, http.StatusOK, w.status)
	assert.EqualValues(t, 3, w.n)
}
