package sqlite

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scimd/scimd/internal/store/sqlstore"
)

// TimeLayout is how timestamps are stored: UTC with exactly six fractional digits (the
// microsecond precision the store keeps on every backend) and a "Z". The width is fixed so
// that comparing the text compares the times (ORDER BY created_at, last_used_at < ?), and it is
// a form both SQLite's julianday() (used by the filter compiler) and sqlstore's timestamp
// scanner (RFC 3339) read.
const TimeLayout = sqlstore.SQLiteTimeLayout

// maxParams stays well below SQLite's limit of 32766 bind parameters per statement
// (SQLITE_MAX_VARIABLE_NUMBER since 3.32), leaving room for the fixed parameters around a
// batch.
const maxParams = 30000

// Dialect is the sqlstore.Dialect of the embedded SQLite backend. It has no state.
type Dialect struct {
	sqlstore.SQLiteFilterDialect
}

var _ sqlstore.Dialect = Dialect{}

// Name implements sqlstore.Dialect.
func (Dialect) Name() string { return "sqlite" }

// TimeArg implements sqlstore.Dialect: fixed-width RFC 3339 text in UTC (see TimeLayout).
func (Dialect) TimeArg(t time.Time) any { return t.UTC().Format(TimeLayout) }

// MaxParams implements sqlstore.Dialect.
func (Dialect) MaxParams() int { return maxParams }

// KeyShareLock implements sqlstore.Dialect: SQLite has no row locks, and the store's
// BEGIN IMMEDIATE transactions already serialise every writer.
func (Dialect) KeyShareLock() string { return "" }

// RowLock implements sqlstore.Dialect: BEGIN IMMEDIATE already serialises every writer.
func (Dialect) RowLock() string { return "" }

// Classify implements sqlstore.Dialect using SQLite's extended result codes
// (https://www.sqlite.org/rescode.html), which modernc.org/sqlite turns on for every
// connection.
func (Dialect) Classify(err error) sqlstore.ErrorClass {
	if err == nil {
		return sqlstore.ErrOther
	}
	var e *sqlite.Error
	if errors.As(err, &e) {
		code := e.Code()
		switch code {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return sqlstore.ErrUniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return sqlstore.ErrForeignKeyViolation
		}
		switch code & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			// Another connection holds the lock longer than the busy timeout, or a read
			// transaction's snapshot went stale (SQLITE_BUSY_SNAPSHOT): running the whole
			// transaction again is safe.
			return sqlstore.ErrRetryable
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOLFS, sqlite3.SQLITE_PROTOCOL:
			// The file cannot be opened or written (permissions, disk full, I/O): nothing a
			// client did, and it may pass; a 503 tells it to come back later.
			return sqlstore.ErrUnavailable
		}
		return sqlstore.ErrOther
	}
	switch {
	case errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn):
		return sqlstore.ErrUnavailable
	}
	return sqlstore.ErrOther
}
