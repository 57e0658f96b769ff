package backend_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/store/backend"
	"github.com/scimd/scimd/internal/store/backend/backendtest"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url     string
		want    backend.Kind
		wantErr string
	}{
		{url: "postgres://u:p@h:5432/db?sslmode=disable", want: backend.Postgres},
		{url: "postgresql://h/db", want: backend.Postgres},
		{url: "sqlite:///var/lib/scimd/scimd.db", want: backend.SQLite},
		{url: "sqlite://scimd.db", want: backend.SQLite},
		{url: "file:scimd.db", want: backend.SQLite},
		{url: "file:///var/lib/scimd/scimd.db", want: backend.SQLite},
		{url: "file:scimd.db?_pragma=busy_timeout(5000)", wantErr: "no query parameters"},
		{url: "sqlite://", wantErr: "names no database file"},
		{url: "mysql://u:secret@h/db", wantErr: `unsupported database URL scheme "mysql"`},
		{url: "host=h dbname=db", wantErr: "must start with"},
		{url: "", wantErr: "must start with"},
		{url: "postgres://u:secret@h:notaport/db", wantErr: "not a valid PostgreSQL URL"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			got, err := backend.KindOf(tt.url)
			if tt.wantErr != "" {
				var ue *backend.URLError
				require.ErrorAs(t, err, &ue, "KindOf(%q)", tt.url)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "secret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// A SQLite file whose directory cannot be created (its parent is a file).
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o600))
	_, err := backend.Open(ctx, backend.Options{URL: "sqlite://" + notDir + "/sub/x.db"})
	var oe *backend.OpenError
	require.ErrorAs(t, err, &oe)
	assert.Contains(t, err.Error(), "--data-dir")

	_, err = backend.Open(ctx, backend.Options{URL: "sqlite:///x.db?mode=ro"})
	var ue *backend.URLError
	require.ErrorAs(t, err, &ue)

	_, err = backend.Open(ctx, backend.Options{URL: "mysql://h/db"})
	require.ErrorAs(t, err, &ue)

	// Port 1 on the loopback refuses connections.
	_, err = backend.Open(ctx, backend.Options{URL: "postgres://u:hunter2@127.0.0.1:1/scimd?sslmode=disable"})
	require.ErrorAs(t, err, &oe)
	assert.Contains(t, err.Error(), "127.0.0.1:1")
	assert.Contains(t, err.Error(), "SCIMD_DATABASE_URL")
	assert.NotContains(t, err.Error(), "hunter2")
	assert.NotContains(t, err.Error(), "\n")
}

func TestOpenMissingDatabase(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(backendtest.NewDatabaseURL(t, "backend_missing"))
	require.NoError(t, err)
	u.Path += "_absent"
	_, err = backend.Open(context.Background(), backend.Options{URL: u.String()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not exist")
	assert.Contains(t, err.Error(), "createdb")
}

func TestOpenCreateMigrateAndMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u, err := url.Parse(backendtest.NewDatabaseURL(t, "backend"))
	require.NoError(t, err)
	// A database that does not exist yet, created by Open; dropped with the test's.
	name := strings.TrimPrefix(u.Path, "/") + "_new"
	u.Path = "/" + name
	t.Cleanup(func() { backendtest.DropDatabase(t, name) })

	be, err := backend.Open(ctx, backend.Options{URL: u.String(), CreateDatabase: true, Migrate: true, MaxConns: 3})
	require.NoError(t, err)
	defer be.Close()
	assert.Equal(t, backend.Postgres, be.Kind())
	assert.Contains(t, be.String(), "/"+name)

	v, dirty, err := be.MigrationVersion()
	require.NoError(t, err)
	assert.Positive(t, v)
	assert.False(t, dirty)
	require.NoError(t, be.Store().Ping(ctx))
	_, err = be.Store().ListTenants(ctx)
	require.NoError(t, err)

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(be.Collectors()...)
	families, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		switch {
		case m.GetGauge() != nil:
			got[f.GetName()] = m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			got[f.GetName()] = m.GetCounter().GetValue()
		}
	}
	assert.Equal(t, 3.0, got["scim_db_pool_max_conns"])
	assert.Positive(t, got["scim_db_pool_acquires_total"])
	for _, name := range []string{"scim_db_pool_acquired_conns", "scim_db_pool_idle_conns", "scim_db_pool_total_conns",
		"scim_db_pool_acquire_duration_seconds_total", "scim_db_pool_empty_acquires_total"} {
		assert.Contains(t, got, name)
	}

	require.NoError(t, be.MigrateDown(ctx))
	v, _, err = be.MigrationVersion()
	require.NoError(t, err)
	assert.Zero(t, v)
	require.NoError(t, be.MigrateUp(ctx))
}

func TestOpenErrorUnwraps(t *testing.T) {
	t.Parallel()
	_, err := backend.Open(context.Background(), backend.Options{URL: "postgres://127.0.0.1:1/x?connect_timeout=5"})
	var oe *backend.OpenError
	require.ErrorAs(t, err, &oe)
	assert.NotNil(t, errors.Unwrap(oe), "the driver's error is kept for errors.Is/As")
}

func TestDefaultURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dir, want string }{
		{"/var/lib/scimd", "sqlite:///var/lib/scimd/scimd.db"},
		{"data", "sqlite://data/scimd.db"},
		{"", "sqlite://scimd.db"},
		{"/tmp/a?b#c%d", "sqlite:///tmp/a%3Fb%23c%25d/scimd.db"},
	} {
		got := backend.DefaultURL(tc.dir)
		assert.Equal(t, tc.want, got, "DefaultURL(%q)", tc.dir)
		kind, err := backend.KindOf(got)
		require.NoError(t, err, "KindOf(DefaultURL(%q))", tc.dir)
		assert.Equal(t, backend.SQLite, kind)
	}
}

// TestOpenSQLiteDefault opens the default backend: no URL, a SQLite file in the data
// directory, created and migrated; reopening finds the data again.
func TestOpenSQLiteDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data dir?")
	be, err := backend.Open(ctx, backend.Options{DataDir: dir, Migrate: true, MaxConns: 3})
	require.NoError(t, err)
	assert.Equal(t, backend.SQLite, be.Kind())
	assert.Equal(t, "sqlite "+filepath.Join(dir, "scimd.db"), be.String())
	v, dirty, err := be.MigrationVersion()
	require.NoError(t, err)
	assert.Positive(t, v)
	assert.False(t, dirty)
	require.NoError(t, be.Store().Ping(ctx))
	_, err = be.Store().CreateTenant(ctx, "acme")
	require.NoError(t, err)

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(be.Collectors()...)
	families, err := reg.Gather()
	require.NoError(t, err)
	names := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		names[f.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	assert.Equal(t, 3.0, names["scim_db_pool_max_conns"])
	for _, name := range []string{"scim_db_pool_acquired_conns", "scim_db_pool_idle_conns", "scim_db_pool_total_conns",
		"scim_db_pool_empty_acquires_total", "scim_db_pool_empty_acquire_wait_seconds_total"} {
		assert.Contains(t, names, name)
	}
	be.Close()

	// scimctl's rule is the same: the explicit URL of the default finds the same file.
	be, err = backend.Open(ctx, backend.Options{URL: backend.DefaultURL(dir)})
	require.NoError(t, err)
	defer be.Close()
	_, err = be.Store().TenantByName(ctx, "ACME")
	require.NoError(t, err)
	require.NoError(t, be.MigrateDown(ctx))
	v, _, err = be.MigrationVersion()
	require.NoError(t, err)
	assert.Zero(t, v)
	require.NoError(t, be.MigrateUp(ctx))
	require.NoError(t, be.MigrateForce(ctx, int(1)))
}
