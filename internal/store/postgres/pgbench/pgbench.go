// Package pgbench seeds the large-tenant benchmark database that the benchmarks of
// internal/store/postgres and internal/httpapi share: 1,000,000 users, groups of 10 and of
// 100,000 members, and pools of users that are members of nothing. It is written once with
// INSERT … SELECT FROM generate_series, in the layout the store writes, and reused by later
// runs; whichever benchmark binary runs first seeds it. Only benchmarks import this package.
package pgbench

import (
	"context"
	"crypto/md5"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/store/postgres"
)

// The seeded data set. Changing it means bumping seedVersion, so that existing benchmark
// databases are seeded again.
const (
	// Database is the name of the benchmark database, on the server the benchmarks are given.
	Database       = "scimd_bench"
	seedVersion    = 1
	Users          = 1_000_000
	BigGroup       = 100_000
	SmallGroup     = 10
	TenantID       = "b0000000-0000-4000-8000-000000000001"
	CreateTenantID = "b0000000-0000-4000-8000-000000000002" // empty tenant for create benchmarks
	// Store benchmarks use these groups and add pool users StorePool…+PoolSize-1;
	// the HTTP benchmarks have groups and a pool of their own.
	StoreSmallGroup = "b0000000-0000-4000-8000-0000000000a1"
	StoreBigGroup   = "b0000000-0000-4000-8000-0000000000a2"
	HTTPSmallGroup  = "b0000000-0000-4000-8000-0000000000b1"
	HTTPBigGroup    = "b0000000-0000-4000-8000-0000000000b2"
	StorePool       = 900_001
	HTTPPool        = 950_001
	PoolSize        = 50_000
	// seedLock is the advisory lock key seeding holds, so that two benchmark binaries
	// started at once seed only once.
	seedLock = 7_270_001
)

// UserID is the id of seeded user i: md5("user<i>") as a UUID, as the seed SQL computes it.
func UserID(i int) string {
	return uuid.UUID(md5.Sum([]byte("user" + strconv.Itoa(i)))).String()
}

// UserName is the userName of seeded user i.
func UserName(i int) string { return "user" + strconv.Itoa(i) + "@example.com" }

// seedSQL fills the benchmark tenant. Users get the document, hot columns and *_fold
// columns the store writes (the names are ASCII, so lower() is scim.Fold); one work email each,
// in user_emails as well. Users 1…BigGroup are members of both big groups, 1…10 of the small
// ones; users from StorePool on are never seeded members, so that adding them inserts.
var seedSQL = []string{
	`INSERT INTO tenants (id, name, name_fold, created_at) VALUES
		('` + TenantID + `', 'bench', 'bench', now()),
		('` + CreateTenantID + `', 'bench-create', 'bench-create', now())`,
	`INSERT INTO users (tenant_id, id, user_name, user_name_fold, external_id, display_name, display_name_fold,
		active, doc, password_hash, version, created_at, last_modified)
	SELECT '` + TenantID + `', md5('user' || i)::uuid, n, lower(n), 'ext-' || i, 'User ' || i, lower('User ' || i),
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
	FROM generate_series(1, ` + strconv.Itoa(Users) + `) AS i,
		LATERAL (SELECT 'user' || i || '@example.com' AS n,
			timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' AS ts) AS x`,
	`INSERT INTO user_emails (tenant_id, user_id, ord, value_fold, type)
	SELECT '` + TenantID + `', md5('user' || i)::uuid, 0, 'user' || i || '@work.example.com', 'work'
	FROM generate_series(1, ` + strconv.Itoa(Users) + `) AS i`,
	`INSERT INTO groups (tenant_id, id, display_name, display_name_fold, external_id, doc, version, created_at, last_modified)
	SELECT '` + TenantID + `', g.id::uuid, g.name, lower(g.name), NULL, jsonb_build_object('displayName', g.name), 1, now(), now()
	FROM (VALUES ('` + StoreSmallGroup + `', 'Store small'), ('` + StoreBigGroup + `', 'Store big'),
		('` + HTTPSmallGroup + `', 'HTTP small'), ('` + HTTPBigGroup + `', 'HTTP big')) AS g(id, name)`,
	`INSERT INTO group_members (tenant_id, group_id, member_id, member_type)
	SELECT '` + TenantID + `', g.id::uuid, md5('user' || i)::uuid, 'User'
	FROM (VALUES ('` + StoreSmallGroup + `', ` + strconv.Itoa(SmallGroup) + `), ('` + StoreBigGroup + `', ` + strconv.Itoa(BigGroup) + `),
		('` + HTTPSmallGroup + `', ` + strconv.Itoa(SmallGroup) + `), ('` + HTTPBigGroup + `', ` + strconv.Itoa(BigGroup) + `)) AS g(id, n),
		LATERAL generate_series(1, g.n) AS i`,
	`VACUUM ANALYZE tenants, users, user_emails, groups, group_members`,
}

// Seed makes sure the benchmark database exists, is migrated and holds the seed, and
// returns its URL.
func Seed(ctx context.Context, adminURL string, logf func(string, ...any)) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse SCIMD_TEST_DATABASE_URL: %w", err)
	}
	u.Path = "/" + Database
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
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, seedLock); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_seed (version int PRIMARY KEY, seeded_at timestamptz NOT NULL)`); err != nil {
		return "", err
	}
	var seeded bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bench_seed WHERE version = $1)`, seedVersion).Scan(&seeded); err != nil {
		return "", err
	}
	if seeded {
		return dbURL, nil
	}
	logf("seeding %s with %d users (once; later runs reuse it)", Database, Users)
	start := time.Now()
	// Start from nothing: a seed interrupted half-way left no marker.
	for _, q := range []string{
		`DELETE FROM bench_seed`,
		`DELETE FROM tenants WHERE id IN ('` + TenantID + `', '` + CreateTenantID + `')`,
		`SET maintenance_work_mem = '256MB'`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return "", err
		}
	}
	for _, q := range seedSQL {
		t := time.Now()
		if _, err := conn.Exec(ctx, q); err != nil {
			return "", fmt.Errorf("seed: %w\n%s", err, q)
		}
		logf("seed step %.40q… %s", strings.Join(strings.Fields(q), " "), time.Since(t).Round(time.Millisecond))
	}
	if _, err := conn.Exec(ctx, `INSERT INTO bench_seed (version, seeded_at) VALUES ($1, now())`, seedVersion); err != nil {
		return "", err
	}
	logf("seeded in %s", time.Since(start).Round(time.Second))
	return dbURL, nil
}
