// Package backendtest gives tests a fresh PostgreSQL database of their own.
package backendtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/store/postgres"
)

// DefaultAdminURL is the PostgreSQL tests connect to when SCIMD_TEST_DATABASE_URL is unset.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL returns SCIMD_TEST_DATABASE_URL or DefaultAdminURL.
func AdminURL() string {
	if u := os.Getenv("SCIMD_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// NewDatabaseURL creates an empty database with a random name whose name starts with prefix,
// drops it when the test ends, and returns its URL. It fails the test (never skips) with a
// hint when PostgreSQL cannot be reached.
func NewDatabaseURL(t testing.TB, prefix string) string {
	t.Helper()
	admin := AdminURL()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse SCIMD_TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	u.Path = "/" + name
	dbURL := u.String()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
		t.Fatalf("cannot create a test database on PostgreSQL at %s: %v\n"+
			"Run the tests with `make test` (it starts PostgreSQL via deploy/scripts/ensure-postgres.sh), "+
			"start one with `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`, "+
			"or point SCIMD_TEST_DATABASE_URL at one.", u.Redacted(), err)
	}
	t.Cleanup(func() { DropDatabase(t, name) })
	return dbURL
}

// DropDatabase removes the database name from the test server, disconnecting whoever is still
// on it. Failures are logged, not fatal: it runs in cleanups.
func DropDatabase(t testing.TB, name string) {
	adminURL := AdminURL()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Logf("drop test database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
		t.Logf("drop test database %s: %v", name, err)
	}
}
