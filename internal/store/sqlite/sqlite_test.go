package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/store/sqlstore"
	"github.com/scimd/scimd/internal/store/storetest"
)

// open opens the database at path and migrates it; it is closed when t ends.
func open(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	return db
}

// openFresh returns a migrated database in a file of its own.
func openFresh(t *testing.T) *sqlite.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "scimd.db"))
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) scim.Store { return openFresh(t).Store() })
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "b")
	db := open(t, filepath.Join(dir, "scimd.db"))
	assert.Equal(t, filepath.Join(dir, "scimd.db"), db.Path())

	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), "data directory mode")
	st, err = os.Stat(db.Path())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "database file mode")
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	db := openFresh(t)
	ctx := context.Background()
	sdb := db.Store().DB()
	// Every connection of the pool, not only the first, has the settings: hold several at once.
	for i := range 3 {
		c, err := sdb.Conn(ctx)
		require.NoError(t, err)
		defer c.Close()
		for _, tc := range []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"busy_timeout", "10000"},
			{"synchronous", "1"}, // NORMAL
		} {
			var got string
			require.NoError(t, c.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got))
			assert.Equal(t, tc.want, got, "connection %d: PRAGMA %s", i, tc.pragma)
		}
	}
}

// TestRestart checks durability across a close and reopen, as after a restart of scimd.
func TestRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "scimd.db")

	db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx))
	s := db.Store()
	tn, err := s.CreateTenant(ctx, "Ünïcode Tenant")
	require.NoError(t, err)
	u, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"userName": "ÅSA", "active": true}})
	require.NoError(t, err)
	g, err := s.CreateGroup(ctx, tn.ID, &scim.Resource{
		Attributes: map[string]any{"displayName": "g"},
		Members:    []scim.Member{{Value: u.ID, Type: scim.ResourceUser}},
	})
	require.NoError(t, err)
	db.Close()

	db = open(t, path) // migrating again is a no-op
	s = db.Store()
	got, err := s.TenantByName(ctx, "ünïcode tenant")
	require.NoError(t, err)
	assert.Equal(t, tn.ID, got.ID)
	assert.True(t, tn.CreatedAt.Equal(got.CreatedAt), "created %s, read back %s", tn.CreatedAt, got.CreatedAt)
	gotU, err := s.GetUser(ctx, tn.ID, u.ID, true)
	require.NoError(t, err)
	assert.Equal(t, "ÅSA", gotU.Attributes["userName"])
	assert.Equal(t, true, gotU.Attributes["active"])
	assert.Equal(t, u.Meta, gotU.Meta)
	require.Len(t, gotU.Groups, 1)
	assert.Equal(t, g.ID, gotU.Groups[0].Value)
	_, err = s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"userName": "åsa"}})
	e, ok := scim.AsError(err)
	require.True(t, ok, "CreateUser with a taken userName after a restart: got %v, want a *scim.Error", err)
	assert.Equal(t, scim.TypeUniqueness, e.Type, "the unique index survives the restart")
}

func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "m.db")})
	require.NoError(t, err)
	defer db.Close()
	version := func() (uint, bool) {
		v, dirty, err := db.MigrationVersion()
		require.NoError(t, err)
		return v, dirty
	}
	tables := func() int {
		var n int
		require.NoError(t, db.Store().DB().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema
			WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence')`).Scan(&n))
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
	assert.Equal(t, 7, tables(), "the same tables as on Postgres")

	require.NoError(t, db.MigrateDown(ctx))
	v, _ = version()
	assert.Zero(t, v)
	assert.Zero(t, tables())
	require.NoError(t, db.MigrateSteps(ctx, 1))
	v, _ = version()
	assert.EqualValues(t, 1, v)
	assert.Error(t, db.MigrateSteps(ctx, 1), "no migration is pending")
	assert.Error(t, db.MigrateSteps(ctx, -2), "only one migration is applied")

	// A dirty flag (left by another tool) stops migrations until forced.
	_, err = db.Store().DB().ExecContext(ctx, `UPDATE schema_migrations SET dirty = 1`)
	require.NoError(t, err)
	v, dirty = version()
	assert.EqualValues(t, 1, v)
	assert.True(t, dirty)
	assert.ErrorIs(t, db.Migrate(ctx), sqlite.ErrDirty)
	require.NoError(t, db.MigrateForce(ctx, 1))
	v, dirty = version()
	assert.EqualValues(t, 1, v)
	assert.False(t, dirty)
	assert.Error(t, db.MigrateForce(ctx, 7), "unknown version")
	require.NoError(t, db.Migrate(ctx))
	assert.Equal(t, 7, tables())
	_, err = db.Store().CreateTenant(ctx, "after-migrations")
	require.NoError(t, err)
}

// TestConcurrentMigrate opens one file from several handles at once, as scimd and scimctl
// (two processes) may: golang-migrate's lock does not reach across handles, so the migrations
// themselves must tolerate it.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "migration %d", i)
	}
	db := open(t, path)
	v, dirty, err := db.MigrationVersion()
	require.NoError(t, err)
	assert.EqualValues(t, 1, v)
	assert.False(t, dirty)
}

// TestConcurrentWritersAcrossHandles writes through two independent handles on one file (two
// processes, e.g. scimd and scimctl): BEGIN IMMEDIATE and the busy timeout serialise them
// without errors or lost members.
func TestConcurrentWritersAcrossHandles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "scimd.db")
	a, b := open(t, path).Store(), open(t, path).Store()
	tn, err := a.CreateTenant(ctx, "t")
	require.NoError(t, err)
	g, err := a.CreateGroup(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"displayName": "g"}})
	require.NoError(t, err)
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		u, err := a.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"userName": fmt.Sprintf("u%d", i)}})
		require.NoError(t, err)
		ids[i] = u.ID
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range ids {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
				{Kind: scim.MemberAdd, Members: []scim.Member{{Value: ids[i], Type: scim.ResourceUser}}},
			}})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "patch %d", i)
	}
	var count int
	require.NoError(t, b.WalkMembers(ctx, tn.ID, g.ID, func(scim.Member) error { count++; return nil }))
	assert.Equal(t, n, count)
	got, err := b.GetGroup(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 1+n, got.Meta.Version)
}

// TestConcurrentAttributeUpdates is the store side of "concurrent PATCHes to different
// attributes of one user all stick": read, change one attribute, write with the version read,
// and start over on a version mismatch, as the HTTP layer does.
func TestConcurrentAttributeUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openFresh(t).Store()
	tn, err := s.CreateTenant(ctx, "t")
	require.NoError(t, err)
	u, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"userName": "bjensen"}})
	require.NoError(t, err)
	attrs := []string{"displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone", "profileUrl"}
	var wg sync.WaitGroup
	errs := make([]error, len(attrs))
	for i, attr := range attrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				cur, err := s.GetUser(ctx, tn.ID, u.ID, false)
				if err != nil {
					errs[i] = err
					return
				}
				cur.Attributes[attr] = "set-" + attr
				_, err = s.ReplaceUser(ctx, tn.ID, cur, cur.Meta.Version)
				if !errors.Is(err, scim.ErrVersionMismatch) {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "update of %s", attrs[i])
	}
	got, err := s.GetUser(ctx, tn.ID, u.ID, false)
	require.NoError(t, err)
	for _, attr := range attrs {
		assert.Equal(t, "set-"+attr, got.Attributes[attr], "attribute %s", attr)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openFresh(t).Store()
	db := s.DB()
	_, err := db.ExecContext(ctx, `INSERT INTO tenants (id, name, name_fold, created_at) VALUES ('a', 'x', 'x', 'now')`)
	require.NoError(t, err)
	var d sqlite.Dialect

	_, err = db.ExecContext(ctx, `INSERT INTO tenants (id, name, name_fold, created_at) VALUES ('b', 'X', 'x', 'now')`)
	assert.Equal(t, sqlstore.ErrUniqueViolation, d.Classify(err), "unique index: %v", err)
	_, err = db.ExecContext(ctx, `INSERT INTO tenants (id, name, name_fold, created_at) VALUES ('a', 'y', 'y', 'now')`)
	assert.Equal(t, sqlstore.ErrUniqueViolation, d.Classify(err), "primary key: %v", err)
	_, err = db.ExecContext(ctx, `INSERT INTO tokens (id, tenant_id, label, hash, created_at) VALUES ('k', 'nope', 'l', x'00', 'now')`)
	assert.Equal(t, sqlstore.ErrForeignKeyViolation, d.Classify(err), "foreign key: %v", err)
	_, err = db.ExecContext(ctx, `SELECT * FROM no_such_table`)
	assert.Equal(t, sqlstore.ErrOther, d.Classify(err), "syntax: %v", err)
	_, err = db.ExecContext(ctx, `INSERT INTO users (tenant_id, id, user_name, user_name_fold, doc, version, created_at, last_modified)
		VALUES ('a', 'u', 'n', 'n', 'not json', 1, 'now', 'now')`)
	assert.Equal(t, sqlstore.ErrOther, d.Classify(err), "check constraint: %v", err)
	assert.Equal(t, sqlstore.ErrOther, d.Classify(nil))
	assert.Equal(t, sqlstore.ErrOther, d.Classify(errors.New("other")))

	// A second handle holding the write lock makes a writer with a short busy timeout fail
	// with SQLITE_BUSY: retryable.
	path := filepath.Join(t.TempDir(), "busy.db")
	holder := open(t, path)
	short, err := sqlite.Open(ctx, sqlite.Config{Path: path, BusyTimeout: time.Millisecond})
	require.NoError(t, err)
	defer short.Close()
	tx, err := holder.Store().DB().BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	require.NoError(t, err)
	defer tx.Rollback()
	_, err = short.Store().DB().ExecContext(ctx, `INSERT INTO tenants (id, name, name_fold, created_at) VALUES ('c', 'c', 'c', 'now')`)
	require.Error(t, err)
	assert.Equal(t, sqlstore.ErrRetryable, d.Classify(err), "busy: %v", err)
}

func TestTimeArg(t *testing.T) {
	t.Parallel()
	var d sqlite.Dialect
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05.000000Z"},
		{time.Date(2024, 1, 2, 3, 4, 5, 120000, time.UTC), "2024-01-02T03:04:05.000120Z"},
		{time.Date(2024, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600)), "2024-01-02T03:04:05.000000Z"},
	} {
		assert.Equal(t, tc.want, d.TimeArg(tc.in), "TimeArg(%s)", tc.in)
	}
	// Fixed width: text order is time order.
	early := d.TimeArg(time.Date(2024, 1, 2, 3, 4, 5, 100000000, time.UTC)).(string)
	late := d.TimeArg(time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC)).(string)
	assert.Less(t, early, late)
}

func TestPathFromURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, want, wantErr string
	}{
		{url: "sqlite:///var/lib/scimd/scimd.db", want: "/var/lib/scimd/scimd.db"},
		{url: "sqlite://scimd.db", want: "scimd.db"},
		{url: "sqlite://data/scimd.db", want: "data/scimd.db"},
		{url: "sqlite:scimd.db", want: "scimd.db"},
		{url: "SQLITE:///x.db", want: "/x.db"},
		{url: "sqlite:///my%20data/s.db", want: "/my data/s.db"},
		{url: "file:///var/lib/scimd/scimd.db", want: "/var/lib/scimd/scimd.db"},
		{url: "file://localhost/var/scimd.db", want: "/var/scimd.db"},
		{url: "file:scimd.db", want: "scimd.db"},
		{url: "file://server/share/scimd.db", wantErr: "local file"},
		{url: "file:scimd.db?_pragma=busy_timeout(5000)", wantErr: "no query parameters"},
		{url: "sqlite:///x.db#frag", wantErr: "no query parameters"},
		{url: "sqlite://", wantErr: "names no database file"},
		{url: "sqlite:///", wantErr: "names no database file"},
		{url: "sqlite:///var/lib/", wantErr: "names no database file"},
		{url: "sqlite:///bad%zz.db", wantErr: "invalid escape"},
		{url: "postgres://h/db", wantErr: "is neither sqlite nor file"},
		{url: "scimd.db", wantErr: "not a sqlite: or file: URL"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			t.Parallel()
			got, err := sqlite.PathFromURL(tc.url)
			if tc.wantErr != "" {
				require.Error(t, err, "PathFromURL(%q) = %q", tc.url, got)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got, "PathFromURL(%q)", tc.url)
		})
	}
}
