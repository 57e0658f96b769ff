package postgres_test

// Benchmarks of deep list pages on the seeded 1M-user tenant: index pagination at
// startIndex=900001 (LIMIT/OFFSET) against RFC 9865 cursor pagination at the same position
// (a keyset cursor after user 900,000). Guarded like bench_test.go (SCIMD_BENCH=1, the shared
// seed); see docs/benchmarks.md:
//
//	SCIMD_BENCH=1 go test -p 1 -count=1 -run '^$' -bench Cursor -benchtime 3s ./internal/store/postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/postgres/pgbench"
)

// deepPageSize is the page size of the deep-page benchmarks: the server's default count.
const deepPageSize = 100

// cursorAfterUser returns the cursor that continues the unfiltered user list after seeded user
// i, built from the created_at the database holds for that user, as the store builds
// nextCursor.
func cursorAfterUser(b *testing.B, fx *benchFixture, i int) string {
	b.Helper()
	var created time.Time
	err := fx.db.Pool().QueryRow(context.Background(), `SELECT created_at FROM users WHERE tenant_id = $1 AND id = $2`,
		pgbench.TenantID, pgbench.UserID(i)).Scan(&created)
	if err != nil {
		b.Fatalf("created_at of user %d: %v", i, err)
	}
	c, err := scim.EncodeCursor(scim.ResourceUser, nil, scim.CursorPosition{Created: created.UTC(), ID: pgbench.UserID(i)})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkCursorDeepPage lists the page of 100 users that starts with user 900,001 of
// 1,000,000 both ways, and the first page both ways for reference; "count-only" is the exact
// totalResults alone (count=0), which both modes pay on every page. The plans of the page
// statements are logged and must not scan the users table sequentially.
func BenchmarkCursorDeepPage(b *testing.B) {
	fx := openBench(b)
	st := fx.db.Store()
	const deep = 900_001
	deepCursor := cursorAfterUser(b, fx, deep-1)
	cases := []struct {
		name  string
		q     scim.Query
		first string // id of the page's first user; "" for count-only
	}{
		{"index/startIndex=1", scim.Query{StartIndex: 1, Count: deepPageSize}, pgbench.UserID(1)},
		{"cursor/first", scim.Query{ByCursor: true, Count: deepPageSize}, pgbench.UserID(1)},
		{fmt.Sprintf("index/startIndex=%d", deep), scim.Query{StartIndex: deep, Count: deepPageSize}, pgbench.UserID(deep)},
		{fmt.Sprintf("cursor/at=%d", deep), scim.Query{ByCursor: true, Cursor: deepCursor, Count: deepPageSize}, pgbench.UserID(deep)},
		{"count-only", scim.Query{StartIndex: 1, Count: 0}, ""},
	}
	explainDeepPages(b, fx, cases[2].q, cases[3].q)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			pgbench.RunTimed(b, 0, func(*rand.Rand) error {
				res, err := st.ListUsers(context.Background(), pgbench.TenantID, c.q, true)
				if err != nil {
					return err
				}
				if res.Total != pgbench.Users {
					return fmt.Errorf("totalResults %d, want %d", res.Total, pgbench.Users)
				}
				if c.first == "" {
					return nil
				}
				if len(res.Resources) != deepPageSize || res.Resources[0].ID != c.first {
					return fmt.Errorf("page of %d users, want %d starting with %s", len(res.Resources), deepPageSize, c.first)
				}
				if c.q.ByCursor && res.NextCursor == "" {
					return fmt.Errorf("no nextCursor in the middle of the tenant")
				}
				return nil
			})
		})
	}
}

// explainDeepPages logs EXPLAIN (ANALYZE, BUFFERS) of the page statement of the deep index
// page and of the deep cursor page (the COUNT they share is the count-only case).
func explainDeepPages(b *testing.B, fx *benchFixture, queries ...scim.Query) {
	b.Helper()
	var pages []captured
	for _, q := range queries {
		tr := &captureTracer{}
		st := capturingStore(b, fx, tr)
		if _, err := st.ListUsers(context.Background(), pgbench.TenantID, q, false); err != nil {
			b.Fatal(err)
		}
		for _, c := range tr.seen {
			if strings.Contains(c.sql, "ORDER BY") {
				pages = append(pages, c)
			}
		}
	}
	if len(pages) != len(queries) {
		b.Fatalf("captured %d page statements, want %d", len(pages), len(queries))
	}
	explain(b, fx, "deep list pages: index (LIMIT/OFFSET) and cursor (keyset)", pages, false)
}
