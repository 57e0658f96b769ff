package postgres_test

// Benchmarks of the Postgres store on a large tenant: userName / emails / externalId lookups
// among 1,000,000 users, and adding one member to a group of 10 and of 100,000 members. They
// need a seeded database and run only with SCIMD_BENCH=1 (see docs/benchmarks.md):
//
//	SCIMD_BENCH=1 go test -p 1 -run '^$' -bench . -benchtime 5s ./internal/store/postgres
//
// The seed (internal/store/postgres/pgbench) lives in its own database on the server at
// SCIMD_TEST_DATABASE_URL, shared with internal/httpapi's benchmarks.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/postgres/pgbench"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

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
		dbURL, err := pgbench.Seed(ctx, srv.adminURL, b.Logf)
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
		queries[i] = lookupQuery(b, mkFilter(1+r.IntN(pgbench.Users)))
	}
	op := func(r *rand.Rand) error {
		res, err := st.ListUsers(context.Background(), pgbench.TenantID, queries[r.IntN(len(queries))], true)
		if err != nil {
			return err
		}
		if res.Total != 1 || len(res.Resources) != 1 {
			return fmt.Errorf("found %d users, want 1", res.Total)
		}
		return nil
	}
	b.Run("serial", func(b *testing.B) { pgbench.RunTimed(b, 0, op) })
	b.Run("parallel", func(b *testing.B) { pgbench.RunTimed(b, 4, op) })
}

// BenchmarkUserNameLookup is Entra ID's matching query, `userName eq "…"`, on a tenant of 1M
// users. It logs the EXPLAIN (ANALYZE, BUFFERS) of the statements the store runs for it.
func BenchmarkUserNameLookup(b *testing.B) {
	fx := openBench(b)
	explainLookup(b, fx, `userName eq "`+pgbench.UserName(123456)+`"`)
	benchLookup(b, func(i int) string { return `userName eq "` + pgbench.UserName(i) + `"` })
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

// addMember is one PATCH add of one user, as the HTTP layer hands it to the store.
func addMember(st scim.Store, group string, user int) error {
	_, err := st.PatchGroup(context.Background(), pgbench.TenantID, group, scim.GroupPatch{
		MemberOps: []scim.MemberOp{{Kind: scim.MemberAdd, Members: []scim.Member{{Value: pgbench.UserID(user)}}}},
	})
	return err
}

// BenchmarkMemberAdd adds one new member per operation to a group of 10 and to a group of
// 100,000 members through the store's PatchGroup. The cost must not depend on the group's size.
func BenchmarkMemberAdd(b *testing.B) {
	fx := openBench(b)
	st := fx.db.Store()
	explainMemberAdd(b, fx)
	pgbench.MemberAdd(b, fx.db.Pool(), pgbench.StorePool, pgbench.StoreSmallGroup, pgbench.StoreBigGroup,
		func(group string, user int) error { return addMember(st, group, user) })
}

// BenchmarkMemberAddInterleaved alternates the two groups within one loop, so that both see
// the same background load, and reports their median latencies and ratio (big/small).
func BenchmarkMemberAddInterleaved(b *testing.B) {
	fx := openBench(b)
	st := fx.db.Store()
	pgbench.MemberAddInterleaved(b, fx.db.Pool(), pgbench.StorePool, pgbench.StoreSmallGroup, pgbench.StoreBigGroup,
		func(group string, user int) error { return addMember(st, group, user) })
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
	res, err := st.ListUsers(context.Background(), pgbench.TenantID, lookupQuery(b, f), true)
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
	user := pgbench.StorePool + pgbench.PoolSize - 1 // the last pool user: not a member unless b.N hit the pool's end
	pgbench.ResetPool(b, fx.db.Pool(), pgbench.StorePool, pgbench.StoreBigGroup)
	if err := addMember(st, pgbench.StoreBigGroup, user); err != nil {
		b.Fatal(err)
	}
	// Remove it again so that the explained INSERT really inserts.
	pgbench.ResetPool(b, fx.db.Pool(), pgbench.StorePool, pgbench.StoreBigGroup)
	explain(b, fx, "PatchGroup add 1 member to the 100,000-member group", tr.seen, false)
}

// BenchmarkWalkMembers reads every member of the 100,000-member group through the store's
// WalkMembers, as a full GET /Groups/{id} does, and logs the plans of its batch query.
func BenchmarkWalkMembers(b *testing.B) {
	fx := openBench(b)
	st := fx.db.Store()
	pgbench.ResetPool(b, fx.db.Pool(), pgbench.StorePool, pgbench.StoreBigGroup)
	explainWalkMembers(b, fx)
	b.Run("members=100000", func(b *testing.B) {
		b.ReportAllocs()
		pgbench.RunTimed(b, 0, func(*rand.Rand) error {
			n := 0
			err := st.WalkMembers(context.Background(), pgbench.TenantID, pgbench.StoreBigGroup, func(scim.Member) error {
				n++
				return nil
			})
			if err == nil && n != pgbench.BigGroup {
				err = fmt.Errorf("walked %d members, want %d", n, pgbench.BigGroup)
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
	if err := st.WalkMembers(context.Background(), pgbench.TenantID, pgbench.StoreBigGroup, func(scim.Member) error { return nil }); err != nil {
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
	assert.Equal(t, "24c9e15e-52af-c47c-225b-757e7bee1f9d", pgbench.UserID(1))
	assert.Equal(t, "user1@example.com", pgbench.UserName(1))
}
