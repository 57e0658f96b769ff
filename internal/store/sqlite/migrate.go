package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/scimd/scimd/migrations"
)

// The SQLite backend runs its embedded migrations itself instead of through golang-migrate.
// golang-migrate's sqlite driver (modernc.org/sqlite, no cgo, present in v4.20.1) locks only
// within one process and records a migration as "dirty" in one transaction before running it
// in another: a second process opening the same file meanwhile (scimd starting while scimctl
// migrates) reads the dirty flag and fails, and stays failed. SQLite's DDL is transactional,
// so here a whole operation (read the version, run the migrations, record the new version) is
// one BEGIN IMMEDIATE transaction: other processes wait for it, then see the result, and a
// failed migration leaves the schema as it was, never half-way.
//
// The files and the version table keep golang-migrate's formats ({version}_{title}.up.sql /
// .down.sql; schema_migrations(version, dirty)), so the migrate CLI can still read the
// database, and a dirty flag it left behind is honoured.

// migrationsTable is golang-migrate's version table, created the way its sqlite driver does.
const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (version uint64, dirty bool);
CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);`

// migration is one version's pair of scripts.
type migration struct {
	version  uint
	up, down string
}

var migrationName = regexp.MustCompile(`^([0-9]+)_[^/]+\.(up|down)\.sql$`)

// loadMigrations reads the migrations in dir of fsys, ordered by version.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	byVersion := map[uint]*migration{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v, err := strconv.ParseUint(m[1], 10, 32)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("migration %s: bad version", e.Name())
		}
		text, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		mig := byVersion[uint(v)]
		if mig == nil {
			mig = &migration{version: uint(v)}
			byVersion[uint(v)] = mig
		}
		if m[2] == "up" {
			mig.up = string(text)
		} else {
			mig.down = string(text)
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.up == "" || m.down == "" {
			return nil, fmt.Errorf("migration %d: needs both an up and a down file", m.version)
		}
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b migration) int { return int(a.version) - int(b.version) })
	return out, nil
}

// ErrDirty is returned when the version table says a migration failed half-way (which only
// another tool, such as the golang-migrate CLI, can leave behind).
var ErrDirty = errors.New("the database schema is dirty: a migration failed half-way; fix the schema by hand, then `scimctl migrate force <version>`")

// migrateTx runs plan in one immediate transaction with the current version and dirty flag
// read inside it. plan returns the scripts to run, in order, and the version to record.
func (db *DB) migrateTx(ctx context.Context, what string, plan func(all []migration, current uint, dirty bool) (scripts []string, target uint, err error)) error {
	all, err := loadMigrations(migrations.SQLite, "sqlite")
	if err != nil {
		return err
	}
	tx, err := db.store.DB().BeginTx(ctx, nil) // BEGIN IMMEDIATE (see dataSourceName)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", what, err)
	}
	defer func() { _ = tx.Rollback() }()
	current, dirty, err := readVersion(ctx, tx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", what, err)
	}
	scripts, target, err := plan(all, current, dirty)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", what, err)
	}
	if len(scripts) == 0 && target == current && !dirty {
		return nil // nothing to do: leave the file untouched
	}
	for _, s := range scripts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("migrate %s: %w", what, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_migrations`); err != nil {
		return fmt.Errorf("migrate %s: %w", what, err)
	}
	if target > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, dirty) VALUES (?, 0)`, int64(target)); err != nil {
			return fmt.Errorf("migrate %s: %w", what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: %w", what, err)
	}
	return nil
}

// readVersion creates the version table when missing and returns the recorded version (0 for
// none) and dirty flag.
func readVersion(ctx context.Context, q *sql.Tx) (uint, bool, error) {
	if _, err := q.ExecContext(ctx, migrationsTable); err != nil {
		return 0, false, err
	}
	var v int64
	var dirty bool
	err := q.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	case v < 0: // golang-migrate's "nil version" with the dirty flag after a failed first migration
		return 0, dirty, nil
	}
	return uint(v), dirty, nil
}

// index returns the position of version v in all (-1 for 0, the empty schema).
func index(all []migration, v uint) (int, error) {
	if v == 0 {
		return -1, nil
	}
	for i, m := range all {
		if m.version == v {
			return i, nil
		}
	}
	return 0, fmt.Errorf("the database is at schema version %d, which this scimd does not know (a newer scimd migrated it?)", v)
}

// steps returns the plan that moves n migrations up (n > 0) or down (n < 0) from the current
// version; n = 0 means all the way up.
func steps(n int) func([]migration, uint, bool) ([]string, uint, error) {
	return func(all []migration, current uint, dirty bool) ([]string, uint, error) {
		if dirty {
			return nil, 0, ErrDirty
		}
		i, err := index(all, current)
		if err != nil {
			return nil, 0, err
		}
		if n == 0 {
			n = len(all) - 1 - i
		}
		var scripts []string
		switch {
		case n > 0:
			if i+n >= len(all) {
				return nil, 0, fmt.Errorf("cannot apply %d migrations: only %d are pending", n, len(all)-1-i)
			}
			for _, m := range all[i+1 : i+1+n] {
				scripts = append(scripts, m.up)
			}
			return scripts, all[i+n].version, nil
		case n < 0:
			if i+1+n < 0 {
				return nil, 0, fmt.Errorf("cannot revert %d migrations: only %d are applied", -n, i+1)
			}
			for j := i; j > i+n; j-- {
				scripts = append(scripts, all[j].down)
			}
			if i+n < 0 {
				return scripts, 0, nil
			}
			return scripts, all[i+n].version, nil
		}
		return nil, current, nil
	}
}

// Migrate applies every pending migration, atomically.
func (db *DB) Migrate(ctx context.Context) error { return db.migrateTx(ctx, "up", steps(0)) }

// MigrateDown reverts every migration, dropping all of scimd's tables and data.
func (db *DB) MigrateDown(ctx context.Context) error {
	return db.migrateTx(ctx, "down", func(all []migration, current uint, dirty bool) ([]string, uint, error) {
		if dirty {
			return nil, 0, ErrDirty
		}
		i, err := index(all, current)
		if err != nil || i < 0 {
			return nil, 0, err // i < 0: no migration applied, nothing to revert
		}
		return steps(-(i + 1))(all, current, dirty)
	})
}

// MigrateSteps applies n pending migrations (n > 0) or reverts -n applied ones (n < 0).
func (db *DB) MigrateSteps(ctx context.Context, n int) error {
	if n == 0 {
		return nil
	}
	return db.migrateTx(ctx, "steps", steps(n))
}

// MigrateForce records version as the schema version (0: none) and clears the dirty flag,
// without running migrations, after a failed migration was repaired by hand.
func (db *DB) MigrateForce(ctx context.Context, version int) error {
	return db.migrateTx(ctx, "force", func(all []migration, _ uint, _ bool) ([]string, uint, error) {
		if version < 0 {
			return nil, 0, fmt.Errorf("version %d is negative", version)
		}
		if _, err := index(all, uint(version)); err != nil {
			return nil, 0, fmt.Errorf("no migration has version %d", version)
		}
		return nil, uint(version), nil
	})
}

// MigrationVersion returns the applied schema version and whether the last migration failed
// half-way (dirty). A database without migrations is version 0.
func (db *DB) MigrationVersion() (version uint, dirty bool, err error) {
	ctx := context.Background()
	var one int
	err = db.store.DB().QueryRowContext(ctx,
		`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil // reading the version must not write to the file
	}
	if err != nil {
		return 0, false, fmt.Errorf("read the schema version: %w", err)
	}
	var v int64
	err = db.store.DB().QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read the schema version: %w", err)
	case v < 0:
		return 0, dirty, nil
	}
	return uint(v), dirty, nil
}
