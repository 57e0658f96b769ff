package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/scimd/scimd/migrations"
)

// migrator returns a golang-migrate instance over the embedded Postgres migrations. The pgx
// driver holds a Postgres advisory lock while it migrates, so replicas starting at once
// migrate one after the other. The caller closes it (which leaves the pool open).
func (db *DB) migrator() (*migrate.Migrate, error) {
	src, err := iofs.New(migrations.Postgres, "postgres")
	if err != nil {
		return nil, fmt.Errorf("open embedded migrations: %w", err)
	}
	// Migrations get connections of their own without the pool's statement_timeout: building
	// an index on a large table may rightly take longer than any request. Closing the
	// migrator closes them.
	cfg := db.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["statement_timeout"] = "0"
	drv, err := pgxmigrate.WithInstance(stdlib.OpenDB(*cfg), &pgxmigrate.Config{})
	if err != nil {
		return nil, fmt.Errorf("migration driver: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return m, nil
}

// run runs one golang-migrate operation, stopping it gracefully (after the current migration)
// when ctx is cancelled. "No change" is success.
func (db *DB) run(ctx context.Context, what string, op func(*migrate.Migrate) error) error {
	m, err := db.migrator()
	if err != nil {
		return err
	}
	defer m.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			m.GracefulStop <- true
		case <-done:
		}
	}()
	if err := op(m); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		if errors.Is(err, migrate.ErrDirty{}) || isDirty(err) {
			return fmt.Errorf("migrate %s: %w (a migration failed half-way; fix the schema by hand, then `scimctl migrate force <version>`)", what, err)
		}
		return fmt.Errorf("migrate %s: %w", what, err)
	}
	return nil
}

func isDirty(err error) bool {
	var d migrate.ErrDirty
	return errors.As(err, &d)
}

// Migrate applies every pending migration.
func (db *DB) Migrate(ctx context.Context) error {
	return db.run(ctx, "up", (*migrate.Migrate).Up)
}

// MigrateDown reverts every migration, dropping all of scimd's tables and data.
func (db *DB) MigrateDown(ctx context.Context) error {
	return db.run(ctx, "down", (*migrate.Migrate).Down)
}

// MigrateSteps applies n pending migrations (n > 0) or reverts -n applied ones (n < 0).
func (db *DB) MigrateSteps(ctx context.Context, n int) error {
	return db.run(ctx, "steps", func(m *migrate.Migrate) error { return m.Steps(n) })
}

// MigrateForce sets the recorded schema version without running migrations, clearing the
// dirty flag after a failed migration was repaired by hand.
func (db *DB) MigrateForce(ctx context.Context, version int) error {
	return db.run(ctx, "force", func(m *migrate.Migrate) error { return m.Force(version) })
}

// MigrationVersion returns the applied schema version and whether the last migration failed
// half-way (dirty). A database without migrations is version 0.
func (db *DB) MigrationVersion() (version uint, dirty bool, err error) {
	m, err := db.migrator()
	if err != nil {
		return 0, false, err
	}
	defer m.Close()
	version, dirty, err = m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return version, dirty, err
}
