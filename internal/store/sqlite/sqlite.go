// Package sqlite opens scimd's embedded backend: one SQLite database file, through the pure-Go
// driver modernc.org/sqlite (no cgo), with its own embedded schema migrations and the shared
// SQL store (sqlstore) over it. It is the default for local runs and single-node sites; it
// passes the same store test suite as Postgres.
//
// Concurrency. The file is in WAL mode, so readers never block the writer nor each other.
// Every transaction the store begins is BEGIN IMMEDIATE (the driver's _txlock=immediate): it
// takes the database's single write lock when it starts, waiting up to the busy timeout for
// it, instead of upgrading a read snapshot to a write half-way (which SQLite refuses with
// SQLITE_BUSY_SNAPSHOT once another writer committed). Writes are therefore serialised, also
// across processes (scimd and scimctl on one file), and a read-modify-write inside a
// transaction can never lose an update. Reads outside transactions run in parallel on the
// other connections of the pool.
//
// Durability. synchronous=NORMAL with WAL: a committed transaction survives a crash of the
// process (the WAL is written before COMMIT returns) and the file is never corrupted; only a
// power loss or operating system crash may roll back the last transactions, which were not
// yet synced to disk. Config.FullSync syncs the WAL at every commit (synchronous=FULL) for
// sites that need that too, at some cost in write throughput.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// DefaultBusyTimeout is how long a statement waits for a lock another connection holds (the
// write lock, mostly) before it fails with SQLITE_BUSY, which the store retries.
const DefaultBusyTimeout = 10 * time.Second

// DefaultFileName is the database file in a data directory when no URL names one.
const DefaultFileName = "scimd.db"

// Config says which file to open and how.
type Config struct {
	// Path is the database file. It and its parent directories are created when missing (the
	// directories with mode 0700, the file 0600: it holds personal data and token hashes).
	Path string
	// MaxConns caps the connection pool (0: max(4, GOMAXPROCS)). Only one connection writes at
	// a time; the others serve reads.
	MaxConns int
	// BusyTimeout is how long to wait for a lock (0: DefaultBusyTimeout).
	BusyTimeout time.Duration
	// FullSync makes every commit durable across power loss too (synchronous=FULL) instead of
	// across process crashes only (NORMAL).
	FullSync bool
	// StatementTimeout bounds the statements whose cost a client's filter decides (lists,
	// searches, member removals by filter; sqlstore.Store.SetQueryTimeout): SQLite has no
	// statement timeout of its own, so the driver interrupts them. 0 means no limit.
	StatementTimeout time.Duration
	// Registry is the schema registry filters are compiled against; nil means
	// scim.NewRegistry().
	Registry *scim.Registry
}

// DB is an open SQLite backend: the store over its file, and its migrations.
type DB struct {
	store *sqlstore.Store
	path  string
}

// Open opens (creating when missing) the database file, checks that it is usable in WAL mode
// and returns the store over it. It does not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if strings.TrimSpace(cfg.Path) == "" {
		return nil, errors.New("sqlite: no database file given")
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: database file %s: %w", cfg.Path, err)
	}
	if err := createFile(path); err != nil {
		return nil, err
	}
	sqlstore.RegisterSQLiteFunctions()
	dsn := dataSourceName(path, cfg)
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	// Idle connections stay open: opening one runs the pragmas and reads the schema again.
	sdb.SetMaxOpenConns(n)
	sdb.SetMaxIdleConns(n)
	if err := checkFileRetrying(ctx, sdb, path, busyTimeout(cfg)); err != nil {
		_ = sdb.Close()
		return nil, err
	}
	reg := cfg.Registry
	if reg == nil {
		reg = scim.NewRegistry()
	}
	st := sqlstore.New(sdb, Dialect{}, reg)
	st.SetQueryTimeout(cfg.StatementTimeout)
	return &DB{store: st, path: path}, nil
}

// createFile creates path's directory (0700) and the empty file (0600) unless they exist, so
// that SQLite, which would create the file with the umask's permissions, finds it. SQLite
// gives its -wal and -shm files the permissions of the database file.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlite: create the directory of the database: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("sqlite: create the database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: create the database file: %w", err)
	}
	return nil
}

// dataSourceName builds the modernc.org/sqlite DSN: a file: URI (so that no character of the
// path is taken for DSN syntax) with the pragmas every connection runs when it opens.
// busy_timeout comes first (the driver orders it so) so that the others wait for locks too.
func dataSourceName(path string, cfg Config) string {
	busy := busyTimeout(cfg)
	sync := "NORMAL"
	if cfg.FullSync {
		sync = "FULL"
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?" + q.Encode()
}

// busyTimeout returns the configured busy timeout or its default.
func busyTimeout(cfg Config) time.Duration {
	if cfg.BusyTimeout > 0 {
		return cfg.BusyTimeout
	}
	return DefaultBusyTimeout
}

// checkFileRetrying runs checkFile until it succeeds, fails for another reason than a locked
// database, or wait has passed. Switching a new file to WAL mode needs it to itself for a
// moment, and SQLite reports that as SQLITE_BUSY at once rather than through the busy
// timeout: two processes opening a new file at the same moment meet this.
func checkFileRetrying(ctx context.Context, sdb *sql.DB, path string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := checkFile(ctx, sdb, path)
		if err == nil || (Dialect{}).Classify(err) != sqlstore.ErrRetryable || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
	}
}

// checkFile opens a first connection and verifies what the pragmas should have done: the file
// is a database, WAL mode is on (SQLite silently keeps another journal mode where WAL cannot
// work, e.g. on some network file systems) and foreign keys are enforced.
func checkFile(ctx context.Context, sdb *sql.DB, path string) error {
	conn, err := sdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer conn.Close()
	var mode string
	var fk int
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: %s cannot use WAL mode (journal mode is %q); put the database on a local file system", path, mode)
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if fk != 1 {
		return fmt.Errorf("sqlite: %s: foreign keys are not enforced", path)
	}
	return nil
}

// Store returns the scim.Store over the database. Close the DB, not the store.
func (db *DB) Store() *sqlstore.Store { return db.store }

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes the store and its connections; the last one to close checkpoints the WAL into
// the database file.
func (db *DB) Close() { db.store.Close() }
