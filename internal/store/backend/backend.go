// Package backend opens the store scimd and scimctl run on, chosen by the database URL:
// PostgreSQL for production, an embedded SQLite file for small sites and local runs. It is the
// one place that knows every backend, so the commands stay free of per-backend code.
package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// DefaultPostgresURL is a local PostgreSQL with the database "scimd", for development against
// Postgres (`--database-url` must name it: the default is the SQLite file, see DefaultURL).
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/scimd?sslmode=disable"

// Kind names a backend implementation.
type Kind string

// The backends Open knows.
const (
	Postgres Kind = "postgres"
	SQLite   Kind = "sqlite"
)

// Options configure Open.
type Options struct {
	// URL selects the backend by scheme: postgres:// or postgresql:// for PostgreSQL, sqlite:
	// or file: for SQLite (see sqlite.PathFromURL). Empty means DefaultURL(DataDir).
	URL string
	// DataDir is where file-based state lives (the default SQLite file).
	DataDir string
	// MaxConns caps the connection pool (0: the driver's default).
	MaxConns int32
	// StatementTimeout cancels PostgreSQL statements that run longer; 0 means no limit (idle
	// transactions are then still aborted after 60 s, see postgres.Config). SQLite has no
	// statement timeout: there it bounds the statements a client's filter shapes (lists,
	// searches, member removals by filter), which the driver interrupts; its lock waits are
	// bounded by sqlite.DefaultBusyTimeout.
	StatementTimeout time.Duration
	// Migrate applies pending migrations after opening.
	Migrate bool
	// CreateDatabase creates the PostgreSQL database named in the URL when it does not exist
	// (for development runs; production databases are created by their operators).
	CreateDatabase bool
	// ApplicationName is reported to PostgreSQL (pg_stat_activity); default "scimd".
	ApplicationName string
	// Registry is the schema registry the store compiles filters against; it must be the one
	// the HTTP API serves, so that filters on extension attributes from configuration resolve.
	// nil means scim.NewRegistry() (the built-in schemas).
	Registry *scim.Registry
	// Logger receives what Open does (migrations applied); nil discards.
	Logger *slog.Logger
}

// DefaultURL returns the database URL used when none is configured: the SQLite file
// scimd.db in dataDir (in the working directory when dataDir is ""). scimd and scimctl share
// this rule, so both find the same file.
func DefaultURL(dataDir string) string {
	p := filepath.ToSlash(filepath.Join(dataDir, sqlite.DefaultFileName))
	// Escaped so that a "?", "#" or "%" in the directory name stays part of the path.
	return "sqlite://" + (&url.URL{Path: p}).EscapedPath()
}

// URLError is a database URL that cannot be used; the message never contains the password.
type URLError struct {
	Reason string
}

func (e *URLError) Error() string { return e.Reason }

// KindOf returns the backend a database URL selects, or a *URLError for a URL that selects
// none. Commands call it while validating their configuration, before connecting.
func KindOf(rawURL string) (Kind, error) {
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok || scheme == "" {
		return "", &URLError{Reason: "database URL must start with postgres://, postgresql://, sqlite:// or file:"}
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		if _, err := pgconn.ParseConfig(rawURL); err != nil {
			// pgconn's message may quote the URL; ours must not (it may hold a password).
			return "", &URLError{Reason: "database URL is not a valid PostgreSQL URL"}
		}
		return Postgres, nil
	case "sqlite", "file":
		if _, err := sqlite.PathFromURL(rawURL); err != nil {
			return "", &URLError{Reason: "invalid SQLite database URL: " + err.Error()}
		}
		return SQLite, nil
	default:
		return "", &URLError{Reason: fmt.Sprintf("unsupported database URL scheme %q; use postgres://, postgresql://, sqlite:// or file:", scheme)}
	}
}

// Backend is an open store with its migrations and metrics.
type Backend struct {
	kind       Kind
	store      scim.Store
	db         database
	collectors []prometheus.Collector
	where      string
}

// database is what Backend needs from postgres.DB and sqlite.DB beyond their store.
type database interface {
	Migrate(ctx context.Context) error
	MigrateDown(ctx context.Context) error
	MigrateForce(ctx context.Context, version int) error
	MigrationVersion() (version uint, dirty bool, err error)
	Close()
}

var (
	_ database = (*postgres.DB)(nil)
	_ database = (*sqlite.DB)(nil)
)

// Open connects to the backend opts.URL selects, checks that it answers and, when
// opts.Migrate is set, applies pending migrations. An unreachable database is an error that
// says where scimd tried to connect and how to fix it.
func Open(ctx context.Context, opts Options) (*Backend, error) {
	if opts.URL == "" {
		opts.URL = DefaultURL(opts.DataDir)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ApplicationName == "" {
		opts.ApplicationName = "scimd"
	}
	kind, err := KindOf(opts.URL)
	if err != nil {
		return nil, err
	}
	var b *Backend
	switch kind {
	case Postgres:
		b, err = openPostgres(ctx, opts)
	case SQLite:
		b, err = openSQLite(ctx, opts)
	default:
		err = fmt.Errorf("backend %q not implemented", kind)
	}
	if err != nil {
		return nil, err
	}
	if opts.Migrate {
		if err := b.MigrateUp(ctx); err != nil {
			b.Close()
			return nil, err
		}
		v, dirty, err := b.MigrationVersion()
		if err == nil {
			opts.Logger.Info("database schema is up to date", "backend", string(kind), "version", v, "dirty", dirty)
		}
	}
	return b, nil
}

func openPostgres(ctx context.Context, opts Options) (*Backend, error) {
	cfg, err := pgconn.ParseConfig(opts.URL)
	if err != nil {
		return nil, &URLError{Reason: "database URL is not a valid PostgreSQL URL"}
	}
	if opts.CreateDatabase {
		if err := postgres.EnsureDatabase(ctx, opts.URL); err != nil {
			return nil, connectError(cfg, opts.URL, err)
		}
	}
	db, err := postgres.Open(ctx, postgres.Config{
		URL:              opts.URL,
		MaxConns:         opts.MaxConns,
		StatementTimeout: opts.StatementTimeout,
		ApplicationName:  opts.ApplicationName,
		Registry:         opts.Registry,
	})
	if err != nil {
		return nil, connectError(cfg, opts.URL, err)
	}
	return &Backend{
		kind:       Postgres,
		store:      db.Store(),
		db:         db,
		collectors: []prometheus.Collector{newPoolCollector(db.Pool())},
		where:      fmt.Sprintf("postgres %s/%s", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.Database),
	}, nil
}

func openSQLite(ctx context.Context, opts Options) (*Backend, error) {
	path, err := sqlite.PathFromURL(opts.URL)
	if err != nil {
		return nil, &URLError{Reason: "invalid SQLite database URL: " + err.Error()}
	}
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path, MaxConns: int(opts.MaxConns), StatementTimeout: opts.StatementTimeout,
		Registry: opts.Registry})
	if err != nil {
		return nil, &OpenError{
			msg: err.Error() + "; check that the directory exists or can be created and is writable, " +
				"or choose another with --data-dir (SCIMD_DATA_DIR) or --database-url (SCIMD_DATABASE_URL)",
			err: err,
		}
	}
	return &Backend{
		kind:       SQLite,
		store:      db.Store(),
		db:         db,
		collectors: []prometheus.Collector{newSQLPoolCollector(db.Store().DB())},
		where:      "sqlite " + db.Path(),
	}, nil
}

// connectError explains a failure to open PostgreSQL: the driver's message (which names the
// server and database) and what to do about it. The password is scrubbed from the message in
// case the driver ever quotes it.
func connectError(cfg *pgconn.Config, rawURL string, err error) error {
	hostPort := net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	var hint string
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "3D000": // invalid_catalog_name
		hint = fmt.Sprintf("database %q does not exist on %s; create it (createdb -h %s -p %d -U %s %s) "+
			"or point --database-url (SCIMD_DATABASE_URL) at an existing one",
			cfg.Database, hostPort, cfg.Host, cfg.Port, cfg.User, cfg.Database)
	case errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000"):
		hint = fmt.Sprintf("PostgreSQL at %s rejected user %q; check the credentials in --database-url (SCIMD_DATABASE_URL)",
			hostPort, cfg.User)
	default:
		hint = fmt.Sprintf("check that PostgreSQL is running and accepts connections at %s "+
			"and that --database-url (SCIMD_DATABASE_URL) points at it; "+
			"for a local one run: bash deploy/scripts/ensure-postgres.sh", hostPort)
	}
	// One line: pgx puts each address it tried on its own indented line.
	msg := strings.Join(strings.Fields(scrub(err.Error(), cfg.Password, rawURL)), " ")
	return &OpenError{msg: msg + "; " + hint, err: err}
}

// OpenError is a database that could not be opened. Its message names the server (never the
// password) and suggests a fix; Unwrap gives the driver's error.
type OpenError struct {
	msg string
	err error
}

func (e *OpenError) Error() string { return e.msg }
func (e *OpenError) Unwrap() error { return e.err }

// scrub removes secrets from a driver message: the password and the full URL (which contains it).
func scrub(msg, password, rawURL string) string {
	msg = strings.ReplaceAll(msg, rawURL, "<database-url>")
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
		if esc := url.QueryEscape(password); esc != password {
			msg = strings.ReplaceAll(msg, esc, "xxxxx")
		}
	}
	return msg
}

// Kind returns which backend this is.
func (b *Backend) Kind() Kind { return b.kind }

// String describes the backend for logs, without credentials ("postgres 127.0.0.1:5432/scimd",
// "sqlite /var/lib/scimd/scimd.db").
func (b *Backend) String() string { return b.where }

// Store returns the backend's store.
func (b *Backend) Store() scim.Store { return b.store }

// Collectors returns the backend's Prometheus collectors (connection pool statistics), for the
// caller to register on its registry.
func (b *Backend) Collectors() []prometheus.Collector { return b.collectors }

// MigrateUp applies every pending migration.
func (b *Backend) MigrateUp(ctx context.Context) error {
	if err := b.db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown reverts every migration, dropping all data.
func (b *Backend) MigrateDown(ctx context.Context) error {
	if err := b.db.MigrateDown(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// MigrateForce records version as the schema version without running migrations, clearing
// the dirty flag after a failed migration was repaired by hand.
func (b *Backend) MigrateForce(ctx context.Context, version int) error {
	if err := b.db.MigrateForce(ctx, version); err != nil {
		return fmt.Errorf("migrate force: %w", err)
	}
	return nil
}

// MigrationVersion returns the applied schema version (0 when none is) and whether the last
// migration failed half-way (dirty: fix the schema by hand, then force the version).
func (b *Backend) MigrationVersion() (version uint, dirty bool, err error) {
	return b.db.MigrationVersion()
}

// Close releases the backend's connections.
func (b *Backend) Close() {
	b.db.Close()
}
