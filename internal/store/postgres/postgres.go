// Package postgres opens scimd's Postgres backend: a pgx connection pool with explicit limits,
// the embedded schema migrations, and the shared SQL store (sqlstore) over the pool.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// Defaults. DefaultStatementTimeout is what scimd's --db-statement-timeout defaults to; a
// Config's zero StatementTimeout means no limit.
const (
	DefaultStatementTimeout = 30 * time.Second
	DefaultApplicationName  = "scimd"
	defaultConnectTimeout   = 5 * time.Second
	// unlimitedIdleInTransaction bounds idle transactions when statements have no limit: a
	// client that stops half-way through a transaction must not hold its locks (and a
	// connection) forever, and no transaction of scimd's waits this long between statements.
	unlimitedIdleInTransaction = 60 * time.Second
)

// Config says how to reach Postgres.
type Config struct {
	// URL is a libpq connection URL or key=value string; pool_* parameters in it are honoured
	// unless overridden below.
	URL string
	// MaxConns caps the pool; 0 keeps the URL's pool_max_conns or pgx's default
	// (max(4, NumCPU)).
	MaxConns int32
	// StatementTimeout aborts statements that run longer; 0 (or less) means no limit. Idle
	// transactions are aborted after twice as long, or after 60 s when statements have no
	// limit.
	StatementTimeout time.Duration
	// ApplicationName shows in pg_stat_activity (""; DefaultApplicationName).
	ApplicationName string
	// Registry is the schema registry filters are compiled against; nil means
	// scim.NewRegistry().
	Registry *scim.Registry
}

// DB is an open Postgres backend: the store over its pool, and its migrations.
type DB struct {
	store *sqlstore.Store
	pool  *pgxpool.Pool
}

// Open connects to Postgres, checks that it answers and returns the store over it. It does not
// migrate; call Migrate. Errors name the server and database, never the password.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pcfg, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to Postgres at %s: %w", where(pcfg.ConnConfig), err)
	}
	// NewWithConfig does not connect; ping so that a wrong URL fails here, clearly.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot connect to Postgres at %s: %w", where(pcfg.ConnConfig), err)
	}
	reg := cfg.Registry
	if reg == nil {
		reg = scim.NewRegistry()
	}
	return &DB{store: sqlstore.New(stdlib.OpenDBFromPool(pool), Dialect{}, reg), pool: pool}, nil
}

// poolConfig builds the pool configuration: explicit limits and session settings.
func poolConfig(cfg Config) (*pgxpool.Config, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("invalid Postgres URL: %w", err)
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	if pcfg.MinConns > pcfg.MaxConns {
		pcfg.MinConns = pcfg.MaxConns
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	timeout := max(cfg.StatementTimeout, 0) // 0 is PostgreSQL's "no limit" too
	idle := 2 * timeout
	if timeout == 0 {
		idle = unlimitedIdleInTransaction
	}
	name := cfg.ApplicationName
	if name == "" {
		name = DefaultApplicationName
	}
	rp := pcfg.ConnConfig.RuntimeParams
	rp["application_name"] = name
	rp["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	rp["idle_in_transaction_session_timeout"] = strconv.FormatInt(idle.Milliseconds(), 10)
	return pcfg, nil
}

// where names a server and database for messages: host:port/db, no credentials.
func where(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// Store returns the scim.Store over the database. Close the DB, not the store.
func (db *DB) Store() *sqlstore.Store { return db.store }

// Pool returns the connection pool, for its Prometheus collector.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the store and the pool.
func (db *DB) Close() {
	db.store.Close()
	db.pool.Close()
}

// EnsureDatabase creates the database named in url when it does not exist yet, connecting to
// the "postgres" maintenance database of the same server. Creating a database that another
// process creates at the same time is not an error.
func EnsureDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("invalid Postgres URL: %w", err)
	}
	name := cfg.Database
	if name == "" {
		return errors.New("the Postgres URL names no database")
	}
	cfg.Database = "postgres"
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("cannot connect to Postgres at %s: %w", where(cfg), err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		return nil // duplicate_database: created concurrently
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}
