package postgres_test

// Benchmarks of the Postgres store on a large tenant: userName / emails / externalId lookups
// among 1,000,000 users, and adding one member to a group of 10 and of 100,000 members. They
// need a seeded database and run only with SCIMD_BENCH=1 (see docs/benchmarks.md):
//
//	SCIMD_BENCH=1 go test -p 1 -run '^$' -bench . -benchtime 5s ./internal/store/postgres
//
// The seed lives in its own database (benchDatabase) on the server at SCIMD_TEST_DATABASE_URL.
// It is written once with INSERT … SELECT FROM generate_series, in the layout the store writes,
// and reused by later runs (and by internal/httpapi/bench_test.go, which seeds identically).

import (
	"context"
	"crypto/md5"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// The seeded data set. Keep it identical to internal/httpapi/bench_test.go: both packages
// share the database, and whichever runs first seeds it.
const (
	benchDatabase    = "scimd_bench"
	benchSeedVersion = 1
	benchUsers       = 1_000_000
	benchBigGroup    = 100_000
	benchSmallGroup  = 10
	benchTenantID    = "b0000000-0000-4000-8000-000000000001"
	benchCreateID    = "b0000000-0000-4000-8000-000000000002" // empty tenant for create benchmarks
	// Store benchmarks use these groups and add pool users benchStorePool…+benchPoolSize-1;
	// the HTTP benchmarks have groups and a pool of their own.
	benchStoreSmallGroup = "b0000000-0000-4000-8000-0000000000a1"
	benchStoreBigGroup   = "b0000000-0000-4000-8000-0000000000a2"
	benchHTTPSmallGroup  = "b0000000-0000-4000-8000-0000000000b1"
	benchHTTPBigGroup    = "b0000000-0000-4000-8000-0000000000b2"
	benchStorePool       = 900_001
	benchHTTPPool        = 950_001
	benchPoolSize        = 50_000
	// benchSeedLock is the advisory lock key seeding holds, so that two benchmark binaries
	// started at once seed only once.
	benchSeedLock = 7_270_001
)

// benchUserID is the id of seeded user i: md5("user<i>") as a UUID, as the seed SQL computes it.
func benchUserID(i int) string {
	return uuid.UUID(md5.Sum([]byte("user" + strconv.Itoa(i)))).String()
}

// benchUserName is the userName of seeded user i.
func benchUserName(i int) string { return "user" + strconv.Itoa(i) + "@example.com" }

// benchSeedSQL fills the benchmark tenant. Users get the document, hot columns and *_fold
// columns the store writes (the names are ASCII, so lower() is scim.Fold); one work email each,
// in user_emails as well. Users 1…benchBigGroup are members of both big groups, 1…10 of the small
// ones; users from benchStorePool on are never seeded members, so that adding them inserts.
var benchSeedSQL = []string{
	`INSERT INTO tenants (id, name, name_fold, created_at) VALUES
		('` + benchTenantID + `', 'bench', 'bench', now()),
		('` + benchCreateID + `', 'bench-create', 'bench-create', now())`,
	`INSERT INTO users (tenant_id, id, user_name, user_name_fold, external_id, display_name, display_name_fold,
		active, doc, password_hash, version, created_at, last_modified)
	SELECT '` + benchTenantID + `', md5('user' || i)::uuid, n, lower(n), 'ext-' || i, 'User ' || i, lower('User ' || i),
		true,
		jsonb_build_object(
			'userName', n,
			'externalId', 'ext-' || i,
			'displayName', 'User ' || i,
			'active', true,
			'title', 'Engineer',
			'name', jsonb_build_object('givenName', 'User', 'familyName', 'Number ' || i, 'formatted', 'User Number ' || i),
			'emails', jsonb_build_array(jsonb_build_object('value', 'user' || i || '@work.example.com', 'type', 'work', 'primary', true)),
			'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
				jsonb_build_object('employeeNumber', i::text, 'department', 'Department ' || (i % 100))),
		NULL, 1, ts, ts
	FROM generate_series(1, ` + strconv.Itoa(benchUsers) + `) AS i,
		LATERAL (SELECT 'user' || i || '@example.com' AS n,
			timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' AS ts) AS x`,
	`INSERT INTO user_emails (tenant_id, user_id, ord, value_fold, type)
	SELECT '` + benchTenantID + `', md5('user' || i)::uuid, 0, 'user' || i || '@work.example.com', 'work'
	FROM generate_series(1, ` + strconv.Itoa(benchUsers) + `) AS i`,
	`INSERT INTO groups (tenant_id, id, display_name, display_name_fold, external_id, doc, version, created_at, last_modified)
	SELECT '` + benchTenantID + `', g.id::uuid, g.name, lower(g.name), NULL, jsonb_build_object('displayName', g.name), 1, now(), now()
	FROM (VALUES ('` + benchStoreSmallGroup + `', 'Store small'), ('` + benchStoreBigGroup + `', 'Store big'),
		('` + benchHTTPSmallGroup + `', 'HTTP small'), ('` + benchHTTPBigGroup + `', 'HTTP big')) AS g(id, name)`,
	`INSERT INTO group_members (tenant_id, group_id, member_id, member_type)
	SELECT '` + benchTenantID + `', g.id::uuid, md5('user' || i)::uuid, 'User'
	FROM (VALUES ('` + benchStoreSmallGroup + `', ` + strconv.Itoa(benchSmallGroup) + `), ('` + benchStoreBigGroup + `', ` + strconv.Itoa(benchBigGroup) + `),
		('` + benchHTTPSmallGroup + `', ` + strconv.Itoa(benchSmallGroup) + `), ('` + benchHTTPBigGroup + `', ` + strconv.Itoa(benchBigGroup) + `)) AS g(id, n),
		LATERAL generate_series(1, g.n) AS i`,
	`VACUUM ANALYZE tenants, users, user_emails, groups, group_members`,
}

// benchSeed makes sure the benchmark database exists, is migrated and holds the seed, and
// returns its URL.
func benchSeed(ctx context.Context, adminURL string, logf func(string, ...any)) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse SCIMD_TEST_DATABASE_URL: %w", err)
	}
	u.Path = "/" + benchDatabase
	dbURL := u.String()
	if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: dbURL, MaxConns: 2})
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, benchSeedLock); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_seed (version int PRIMARY KEY, seeded_at timestamptz NOT NULL)`); err != nil {
		return "", err
	}
	var seeded bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bench_seed WHERE version = $1)`, benchSeedVersion).Scan(&seeded); err != nil {
		return "", err
	}
	if seeded {
		return dbURL, nil
	}
	logf("seeding %s with %d users (once; later runs reuse it)", benchDatabase, benchUsers)
	start := time.Now()
	// Start from nothing: a seed interrupted half-way left no marker.
	for _, q := range []string{
		`DELETE FROM bench_seed`,
		`DELETE FROM tenants WHERE id IN ('` + benchTenantID + `', '` + benchCreateID + `')`,
		`SET maintenance_work_mem = '256MB'`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return "", err
		}
	}
	for _, q := range benchSeedSQL {
		t := time.Now()
		if _, err := conn.Exec(ctx, q); err != nil {
			return "", fmt.Errorf("seed: %w\n%s", err, q)
		}
		logf("seed step %.40q… %s", strings.Join(strings.Fields(q), " "), time.Since(t).Round(time.Millisecond))
	}
	if _, err := conn.Exec(ctx, `INSERT INTO bench_seed (version, seeded_at) VALUES ($1, now())`, benchSeedVersion); err != nil {
		return "", err
	}
	logf("seeded in %s", time.Since(start).Round(time.Second))
	return dbURL, nil
}

// benchFixture is the seeded database, opened once per benchmark binary.
type benchFixture struct {
	url string
	db  *postgres.DB
}

var (
	benchOnce sync.Once
	benchFix  *benchFixture
	benchErr  error
)

// openBench returns the seeded store. Without SCIMD_BENCH=1 the benchmark is skipped: seeding
// a million users is not something `make bench` or a stray -bench . should do by surprise.
func openBench(b *testing.B) *benchFixture {
	b.Helper()
	if os.Getenv("SCIMD_BENCH") == "" {
		b.Skip("set SCIMD_BENCH=1 to run the large-tenant benchmarks (they seed 1M users once; see docs/benchmarks.md)")
	}
	benchOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		dbURL, err := benchSeed(ctx, srv.adminURL, b.Logf)
		if err != nil {
			benchErr = fmt.Errorf("%w; %s", err, howToGetPostgres)
			return
		}
		db, err := postgres.Open(ctx, postgres.Config{URL: dbURL})
		if err != nil {
			benchErr = err
			return
		}
		benchFix = &benchFixture{url: dbURL, db: db}
	})
	if benchErr != nil {
		b.Fatalf("prepare the benchmark database: %v", benchErr)
	}
	return benchFix
}

// latencies collects per-operation durations and reports percentiles and throughput.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// report adds p50/p95/p99 (ns) and operations per second of wall time to the benchmark line.
func (l *latencies) report(b *testing.B) {
	b.Helper()
	elapsed := b.Elapsed()
	b.StopTimer()
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	pct := func(p float64) float64 {
		return float64(l.all[min(len(l.all)-1, int(p*float64(len(l.all))))].Nanoseconds())
	}
	b.ReportMetric(pct(0.50), "p50-ns")
	b.ReportMetric(pct(0.95), "p95-ns")
	b.ReportMetric(pct(0.99), "p99-ns")
	if elapsed > 0 {
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	}
}

// runTimed runs op b.N times, serially or from parallel goroutines (parallelism × GOMAXPROCS
// of them), recording each call's duration. op gets a per-goroutine random source.
func runTimed(b *testing.B, parallelism int, op func(r *rand.Rand) error) {
	b.Helper()
	var lat latencies
	seed := uint64(1)
	var seedMu sync.Mutex
	newRand := func() *rand.Rand {
		seedMu.Lock()
		defer seedMu.Unlock()
		seed++
		return rand.New(rand.NewPCG(seed, 42))
	}
	b.ResetTimer()
	if parallelism <= 0 {
		r := newRand()
		own := make([]time.Duration, 0, b.N)
		for range b.N {
			t := time.Now()
			if err := op(r); err != nil {
				b.Fatal(err)
			}
			own = append(own, time.Since(t))
		}
		lat.add(own)
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			r := newRand()
			var own []time.Duration
			for pb.Next() {
				t := time.Now()
				if err := op(r); err != nil {
					b.Error(err)
					return
				}
				own = append(own, time.Since(t))
			}
			lat.add(own)
		})
	}
	lat.report(b)
}

// lookupQuery returns the list query of a filter as the HTTP layer builds it by default (first
// page of 100).
func lookupQuery(b *testing.B, f string) scim.Query {
	b.Helper()
	e, err := filter.Parse(f)
	if err != nil {
		b.Fatalf("parse %q: %v", f, err)
	}
	return scim.Query{Filter: e, StartIndex: 1, Count: 100}
}

// benchLookup measures ListUsers with the filter mkFilter(i) for random seeded users i, serially
// and from 4 goroutines per CPU. Filters are parsed before the clock starts. withGroups is
// true, as for a list request with the default projection.
func benchLookup(b *testing.B, mkFilter func(i int) string) {
	fx := openBench(b)
	st := fx.db.Store()
	r := rand.New(rand.NewPCG(1, 2))
	queries := make([]scim.Query, 4096)
	for i := range queries {
		queries[i] = lookupQuery(b, mkFilter(1+r.IntN(benchUsers)))
	}
	op := func(r *rand.Rand) error {
		res, err := st.ListUsers(context.Background(), benchTenantID, queries[r.IntN(len(queries))], true)
		if err != nil {
			return err
		}
		if res.Total != 1 || len(res.Resources) != 1 {
			return fmt.Errorf("found %d users, want 1", res.Total)
		}
		return nil
	}
	b.Run("serial", func(b *testing.B) { runTimed(b, 0, op) })
	b.Run("parallel", func(b *testing.B) { runTimed(b, 4, op) })
}

// BenchmarkUserNameLookup is Entra ID's matching query, `userName eq "…"`, on a tenant of 1M
// users. It logs the EXPLAIN (ANALYZE, BUFFERS) of the statements the store runs for it.
func BenchmarkUserNameLookup(b *testing.B) {
	fx := openBench(b)
	explainLookup(b, fx, `userName eq "`+benchUserName(123456)+`"`)
	benchLookup(b, func(i int) string { return `userName eq "` + benchUserName(i) + `"` })
}

// BenchmarkUserEmailLookup is Entra ID's alternative matching query on the work email.
func BenchmarkUserEmailLookup(b *testing.B) {
	fx := openBench(b)
	explainLookup(b, fx, `emails[type eq "work"].value eq "user123456@work.example.com"`)
	benchLookup(b, func(i int) string {
		return `emails[type eq "work"].value eq "user` + strconv.Itoa(i) + `@work.example.com"`
	})
}

// BenchmarkUserExternalIDLookup looks users up by externalId.
func BenchmarkUserExternalIDLookup(b *testing.B) {
	fx := openBench(b)
	explainLookup(b, fx, `externalId eq "ext-123456"`)
	benchLookup(b, func(i int) string { return `externalId eq "ext-` + strconv.Itoa(i) + `"` })
}

// resetPool removes the pool users' memberships from the groups, so that every add inserts.
func resetPool(b *testing.B, fx *benchFixture, first int, groups ...string) {
	b.Helper()
	ctx := context.Background()
	_, err := fx.db.Pool().Exec(ctx, `DELETE FROM group_members WHERE tenant_id = $1 AND group_id = ANY($2::uuid[])
		AND member_id IN (SELECT md5('user' || i)::uuid FROM generate_series($3::int, $4::int) AS i)`,
		benchTenantID, groups, first, first+benchPoolSize-1)
	if err != nil {
		b.Fatalf("reset the member pool: %v", err)
	}
}

// memberCount returns the number of members of a group.
func memberCount(b *testing.B, fx *benchFixture, group string) int {
	b.Helper()
	var n int
	err := fx.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM group_members WHERE tenant_id = $1 AND group_id = $2`,
		benchTenantID, group).Scan(&n)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// addMember is one PATCH add of one user, as the HTTP layer hands it to the store.
func addMember(st scim.Store, group string, user int) error {
	_, err := st.PatchGroup(context.Background(), benchTenantID, group, scim.GroupPatch{
		MemberOps: []scim.MemberOp{{Kind: scim.MemberAdd, Members: []scim.Member{{Value: benchUserID(user)}}}},
	})
	return err
}

// BenchmarkMemberAdd adds one new member per operation to a group of 10 and to a group of
// 100,000 members through the store's PatchGroup. The cost must not depend on the group's size.
func BenchmarkMemberAdd(b *testing.B) {
	fx := openBench(b)
	st := fx.db.Store()
	explainMemberAdd(b, fx)
	for _, g := range []struct {
		name, id string
		size     int
	}{
		{"members=10", benchStoreSmallGroup, benchSmallGroup},
		{"members=100000", benchStoreBigGroup, benchBigGroup},
	} {
		b.Run(g.name, func(b *testing.B) {
			if b.N > benchPoolSize {
				b.Fatalf("b.N %d exceeds the pool of %d users to add; lower -benchtime", b.N, benchPoolSize)
			}
			resetPool(b, fx, benchStorePool, benchStoreSmallGroup, benchStoreBigGroup)
			if n := memberCount(b, fx, g.id); n != g.size {
				b.Fatalf("group has %d members, want %d", n, g.size)
			}
			next := benchStorePool
			runTimed(b, 0, func(*rand.Rand) error {
				next++
				return addMember(st, g.id, next-1)
			})
			if n := memberCount(b, fx, g.id); n != g.size+b.N {
				b.Fatalf("group has %d members after %d adds, want %d", n, b.N, g.size+b.N)
			}
		})
	}
}

// BenchmarkMemberAddInterleaved alternates the two groups within one loop, so that both see
// the same background load, and reports their median latencies and ratio (big/small).
func BenchmarkMemberAddInterleaved(b *testing.B) {
	fx := openBench(b)
	st := fx.db.Store()
	if b.N > benchPoolSize {
		b.Fatalf("b.N %d exceeds the pool of %d users to add; lower -benchtime", b.N, benchPoolSize)
	}
	resetPool(b, fx, benchStorePool, benchStoreSmallGroup, benchStoreBigGroup)
	small := make([]time.Duration, 0, b.N)
	big := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		user := benchStorePool + i
		t := time.Now()
		if err := addMember(st, benchStoreSmallGroup, user); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := addMember(st, benchStoreBigGroup, user); err != nil {
			b.Fatal(err)
		}
		small, big = append(small, t2.Sub(t)), append(big, time.Since(t2))
	}
	b.StopTimer()
	slices.Sort(small)
	slices.Sort(big)
	p := func(d []time.Duration, q float64) float64 { return float64(d[min(len(d)-1, int(q*float64(len(d))))]) }
	b.ReportMetric(p(small, 0.5), "small-p50-ns")
	b.ReportMetric(p(big, 0.5), "big-p50-ns")
	b.ReportMetric(p(small, 0.95), "small-p95-ns")
	b.ReportMetric(p(big, 0.95), "big-p95-ns")
	b.ReportMetric(p(big, 0.5)/p(small, 0.5), "big/small-p50")
}

// captured is one statement a store sent, with its arguments.
type captured struct {
	sql  string
	args []any
}

// captureTracer records the statements run through a pool.
type captureTracer struct {
	mu   sync.Mutex
	seen []captured
}

func (c *captureTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	c.seen = append(c.seen, captured{sql: d.SQL, args: d.Args})
	c.mu.Unlock()
	return ctx
}

func (*captureTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// capturingStore returns a store over the benchmark database whose statements tr records: the
// same sqlstore over the same dialect that postgres.Open builds.
func capturingStore(b *testing.B, fx *benchFixture, tr *captureTracer) *sqlstore.Store {
	b.Helper()
	cfg, err := pgxpool.ParseConfig(fx.url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 1
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	st := sqlstore.New(stdlib.OpenDBFromPool(pool), postgres.Dialect{}, scim.NewRegistry())
	b.Cleanup(func() {
		st.Close()
		pool.Close()
	})
	return st
}

// explain logs EXPLAIN (ANALYZE, BUFFERS) of every data statement in seen, with its arguments,
// inside a transaction that is rolled back (writes are explained too), and fails the benchmark
// when a plan scans a seeded table sequentially. With generic, SELECTs are explained with their
// generic plan as well.
func explain(b *testing.B, fx *benchFixture, title string, seen []captured, generic bool) {
	b.Helper()
	ctx := context.Background()
	conn, err := fx.db.Pool().Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	var out strings.Builder
	fmt.Fprintf(&out, "\n==== %s\n", title)
	for _, c := range seen {
		switch strings.ToLower(strings.TrimSpace(c.sql)) {
		case "begin", "commit", "rollback", "begin isolation level read committed", "select 1", ";":
			continue
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+c.sql, c.args...)
		if err != nil {
			_ = tx.Rollback(ctx)
			b.Fatalf("explain %s: %v", c.sql, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		_ = tx.Rollback(ctx)
		if err != nil {
			b.Fatalf("explain %s: %v", c.sql, err)
		}
		fmt.Fprintf(&out, "\n-- %s\n-- args: %v\n%s\n", strings.Join(strings.Fields(c.sql), " "), sqlArgs(c.args), strings.Join(lines, "\n"))
		if generic && strings.HasPrefix(c.sql, "SELECT") {
			plan, err := genericPlan(ctx, conn.Conn(), c)
			if err != nil {
				b.Fatalf("generic plan of %s: %v", c.sql, err)
			}
			fmt.Fprintf(&out, "-- the same, generic plan (what a prepared statement settles on after 5 runs):\n%s\n", plan)
			lines = append(lines, plan)
		}
		for _, l := range lines {
			if strings.Contains(l, "Seq Scan on users") || strings.Contains(l, "Seq Scan on user_emails") ||
				strings.Contains(l, "Seq Scan on group_members") {
				b.Errorf("sequential scan in the plan of %s: %s", c.sql, strings.TrimSpace(l))
			}
		}
	}
	b.Log(out.String())
}

// sqlArgs drops the query options database/sql passes pgx (result formats) from args.
func sqlArgs(args []any) []any {
	out := make([]any, 0, len(args))
	for _, a := range args {
		if _, opt := a.(pgx.QueryResultFormatsByOID); !opt {
			out = append(out, a)
		}
	}
	return out
}

// genericPlan returns EXPLAIN (ANALYZE, BUFFERS) of c as a prepared statement forced onto its
// generic plan, the plan Postgres caches once custom plans stop paying off.
func genericPlan(ctx context.Context, conn *pgx.Conn, c captured) (string, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var lits []string
	for _, a := range sqlArgs(c.args) {
		switch v := a.(type) {
		case string:
			lits = append(lits, "'"+strings.ReplaceAll(v, "'", "''")+"'")
		case int, int64:
			lits = append(lits, fmt.Sprint(v))
		default:
			return "", fmt.Errorf("argument of type %T", a)
		}
	}
	for _, q := range []string{`SET LOCAL plan_cache_mode = force_generic_plan`, `PREPARE bench_generic AS ` + c.sql} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return "", err
		}
	}
	rows, err := tx.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_generic(`+strings.Join(lits, ", ")+`)`)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	_, err = tx.Exec(ctx, `DEALLOCATE bench_generic`)
	return strings.Join(lines, "\n"), err
}

// explainLookup explains the statements ListUsers runs for filter f, captured from the store.
func explainLookup(b *testing.B, fx *benchFixture, f string) {
	b.Helper()
	tr := &captureTracer{}
	st := capturingStore(b, fx, tr)
	res, err := st.ListUsers(context.Background(), benchTenantID, lookupQuery(b, f), true)
	if err != nil {
		b.Fatal(err)
	}
	if res.Total != 1 {
		b.Fatalf("%s found %d users, want 1", f, res.Total)
	}
	explain(b, fx, "ListUsers "+f, tr.seen, true)
}

// explainMemberAdd explains the statements of one PatchGroup add on the 100,000-member group.
func explainMemberAdd(b *testing.B, fx *benchFixture) {
	b.Helper()
	tr := &captureTracer{}
	st := capturingStore(b, fx, tr)
	user := benchStorePool + benchPoolSize - 1 // the last pool user: not a member unless b.N hit the pool's end
	resetPool(b, fx, benchStorePool, benchStoreBigGroup)
	if err := addMember(st, benchStoreBigGroup, user); err != nil {
		b.Fatal(err)
	}
	// Remove it again so that the explained INSERT really inserts.
	resetPool(b, fx, benchStorePool, benchStoreBigGroup)
	explain(b, fx, "PatchGroup add 1 member to the 100,000-member group", tr.seen, false)
}

// BenchmarkWalkMembers reads every member of the 100,000-member group through the store's
// WalkMembers, as a full GET /Groups/{id} does, and logs the plans of its batch query.
func BenchmarkWalkMembers(b *testing.B) {
	fx := openBench(b)
	st := fx.db.Store()
	resetPool(b, fx, benchStorePool, benchStoreBigGroup)
	explainWalkMembers(b, fx)
	b.Run("members=100000", func(b *testing.B) {
		b.ReportAllocs()
		runTimed(b, 0, func(*rand.Rand) error {
			n := 0
			err := st.WalkMembers(context.Background(), benchTenantID, benchStoreBigGroup, func(scim.Member) error {
				n++
				return nil
			})
			if err == nil && n != benchBigGroup {
				err = fmt.Errorf("walked %d members, want %d", n, benchBigGroup)
			}
			return err
		})
	})
}

// explainWalkMembers explains the first and a middle batch query of one WalkMembers of the
// 100,000-member group, custom and generic plans.
func explainWalkMembers(b *testing.B, fx *benchFixture) {
	b.Helper()
	tr := &captureTracer{}
	st := capturingStore(b, fx, tr)
	if err := st.WalkMembers(context.Background(), benchTenantID, benchStoreBigGroup, func(scim.Member) error { return nil }); err != nil {
		b.Fatal(err)
	}
	var batches []captured
	for _, c := range tr.seen {
		if strings.Contains(c.sql, "FROM group_members WHERE") {
			batches = append(batches, c)
		}
	}
	if len(batches) < 2 {
		b.Fatalf("WalkMembers ran %d batch queries, want several", len(batches))
	}
	explain(b, fx, fmt.Sprintf("WalkMembers of the 100,000-member group: first and middle of %d batch queries", len(batches)),
		[]captured{batches[0], batches[len(batches)/2]}, true)
}

// TestBenchHelpers checks the benchmarks' own helpers (no database).
func TestBenchHelpers(t *testing.T) {
	t.Parallel()
	// md5('user1')::uuid in Postgres.
	assert.Equal(t, "24c9e15e-52af-c47c-225b-757e7bee1f9d", benchUserID(1))
	assert.Equal(t, "user1@example.com", benchUserName(1))
}
