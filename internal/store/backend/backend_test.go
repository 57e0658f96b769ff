package backend_test

import (
	"context"
	"errors"
	"net/url"
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
		{url: "file:scimd.db?_pragma=busy_timeout(5000)", want: backend.SQLite},
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

	_, err := backend.Open(ctx, backend.Options{URL: "sqlite:///tmp/x.db"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sqlite backend not available yet")

	_, err = backend.Open(ctx, backend.Options{URL: "mysql://h/db"})
	var ue *backend.URLError
	require.ErrorAs(t, err, &ue)

	// Port 1 on the loopback refuses connections.
	_, err = backend.Open(ctx, backend.Options{URL: "postgres://u:hunter2@127.0.0.1:1/scimd?sslmode=disable"})
	var oe *backend.OpenError
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
