package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend/backendtest"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/storetest"
)

// howToGetPostgres is appended to every failure to reach the test server.
const howToGetPostgres = "the store tests need a PostgreSQL server: run them with `make test` (it starts one), " +
	"start one with `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`, " +
	"or point SCIMD_TEST_DATABASE_URL at one (a role that may CREATE DATABASE)"

// server gives every test a database of its own, copied from a template database that is
// migrated once per test binary.
type server struct {
	adminURL string
	template string

	once    sync.Once
	initErr error
	mu      sync.Mutex // CREATE DATABASE … TEMPLATE fails if the template is copied concurrently
}

var srv = &server{}

func TestMain(m *testing.M) {
	srv.adminURL = backendtest.AdminURL()
	srv.template = "scimd_postgres_test_tmpl_" + randomSuffix()
	code := m.Run()
	if srv.initErr == nil {
		srv.drop(srv.template)
	}
	os.Exit(code)
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// urlFor returns the URL of database name on the test server.
func (s *server) urlFor(name string) string {
	u, err := url.Parse(s.adminURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func (s *server) admin(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %w; %s", redacted(s.adminURL), err, howToGetPostgres)
	}
	return conn, nil
}

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "SCIMD_TEST_DATABASE_URL"
	}
	return u.Redacted()
}

// initTemplate creates and migrates the template database, once.
func (s *server) initTemplate() error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := s.admin(ctx)
		if err != nil {
			s.initErr = err
			return
		}
		defer conn.Close(ctx)
		if err := postgres.EnsureDatabase(ctx, s.urlFor(s.template)); err != nil {
			s.initErr = err
			return
		}
		db, err := postgres.Open(ctx, postgres.Config{URL: s.urlFor(s.template), MaxConns: 2})
		if err != nil {
			s.initErr = err
			return
		}
		defer db.Close()
		s.initErr = db.Migrate(ctx)
	})
	return s.initErr
}

// newDatabase returns the URL of a fresh migrated database, dropped when t ends.
func (s *server) newDatabase(t *testing.T) string {
	t.Helper()
	if err := s.initTemplate(); err != nil {
		t.Fatalf("prepare the template database: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := s.admin(ctx)
	require.NoError(t, err)
	defer conn.Close(ctx)
	name := "t_" + randomSuffix()
	s.mu.Lock()
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{s.template}.Sanitize())
	s.mu.Unlock()
	require.NoError(t, err, "create test database")
	t.Cleanup(func() { s.drop(name) })
	return s.urlFor(name)
}

func (s *server) drop(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := s.admin(ctx)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// openStore returns a store on a fresh database.
func openStore(t *testing.T) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Config{URL: srv.newDatabase(t), MaxConns: 8})
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) scim.Store { return openStore(t).Store() })
}

func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := srv.admin(ctx)
	require.NoError(t, err)
	defer conn.Close(ctx)
	name := "t_" + randomSuffix()
	dbURL := srv.urlFor(name)
	require.NoError(t, postgres.EnsureDatabase(ctx, dbURL))
	require.NoError(t, postgres.EnsureDatabase(ctx, dbURL), "EnsureDatabase on an existing database")
	t.Cleanup(func() { srv.drop(name) })

	db, err := postgres.Open(ctx, postgres.Config{URL: dbURL})
	require.NoError(t, err)
	defer db.Close()

	version := func() (uint, bool) {
		v, dirty, err := db.MigrationVersion()
		require.NoError(t, err)
		return v, dirty
	}
	tables := func() int {
		var n int
		require.NoError(t, db.Store().DB().QueryRowContext(ctx,
			`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`).Scan(&n))
		return n
	}
	v, dirty := version()
	assert.Zero(t, v)
	assert.False(t, dirty)

	require.NoError(t, db.Migrate(ctx))
	require.NoError(t, db.Migrate(ctx), "migrating an up-to-date database is a no-op")
	v, dirty = version()
	assert.EqualValues(t, 1, v)
	assert.False(t, dirty)
	assert.Equal(t, 7, tables())

	require.NoError(t, db.MigrateDown(ctx))
	v, _ = version()
	assert.Zero(t, v)
	assert.Zero(t, tables())

	require.NoError(t, db.MigrateSteps(ctx, 1))
	v, _ = version()
	assert.EqualValues(t, 1, v)
	require.NoError(t, db.MigrateSteps(ctx, -1))
	require.NoError(t, db.Migrate(ctx))
	assert.Equal(t, 7, tables())

	// The store works on the re-migrated schema.
	_, err = db.Store().CreateTenant(ctx, "after-migrations")
	require.NoError(t, err)
}

func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := "t_" + randomSuffix()
	dbURL := srv.urlFor(name)
	require.NoError(t, postgres.EnsureDatabase(ctx, dbURL))
	t.Cleanup(func() { srv.drop(name) })
	// Several replicas starting at once: the advisory lock serialises them.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(ctx, postgres.Config{URL: dbURL, MaxConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, postgres.Config{URL: "postgres://scimd:s3cret-pw@127.0.0.1:1/nodb?sslmode=disable&connect_timeout=2"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot connect to Postgres at 127.0.0.1:1/nodb")
	assert.NotContains(t, err.Error(), "s3cret-pw")

	_, err = postgres.Open(ctx, postgres.Config{URL: "postgres://scimd:s3cret-pw@127.0.0.1:5432/db?sslmode=bogus"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret-pw")
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openStore(t)
	s := db.Store()
	tn, err := s.CreateTenant(ctx, "t")
	require.NoError(t, err)
	require.NoError(t, s.Ping(ctx))

	// Kill every connection of the test database, as a server restart would.
	conn, err := srv.admin(ctx)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var dbName string
	require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT current_database()`).Scan(&dbName))
	_, err = conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{dbName}.Sanitize()+` WITH ALLOW_CONNECTIONS false`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, dbName)
	require.NoError(t, err)

	_, err = s.GetUser(ctx, tn.ID, "00000000-0000-4000-8000-000000000000", false)
	assert.ErrorIs(t, err, scim.ErrUnavailable, "got %v", err)
	assert.ErrorIs(t, s.Ping(ctx), scim.ErrUnavailable)
	e, ok := scim.AsError(err)
	require.True(t, ok)
	assert.Equal(t, scim.ErrUnavailable.Detail, e.Detail, "no driver text in the client's detail")

	_, err = conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{dbName}.Sanitize()+` WITH ALLOW_CONNECTIONS true`)
	require.NoError(t, err)
	require.NoError(t, s.Ping(ctx), "the store recovers when the database is back")
}
