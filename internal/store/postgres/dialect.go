package postgres

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/internal/store/sqlstore"
)

// Dialect is the sqlstore.Dialect of Postgres. It has no state.
type Dialect struct {
	sqlstore.PostgresFilterDialect
}

var _ sqlstore.Dialect = Dialect{}

// Name implements sqlstore.Dialect.
func (Dialect) Name() string { return "postgres" }

// TimeArg implements sqlstore.Dialect: pgx encodes time.Time for timestamptz itself.
func (Dialect) TimeArg(t time.Time) any { return t }

// MaxParams implements sqlstore.Dialect: the wire protocol counts parameters in 16 bits.
func (Dialect) MaxParams() int { return 65535 }

// KeyShareLock implements sqlstore.Dialect: the weakest row lock that still conflicts with
// DELETE, so concurrent member adds of one user do not block each other.
func (Dialect) KeyShareLock() string { return " FOR KEY SHARE" }

// RowLock implements sqlstore.Dialect.
func (Dialect) RowLock() string { return " FOR UPDATE" }

// Classify implements sqlstore.Dialect using SQLSTATE codes
// (https://www.postgresql.org/docs/current/errcodes-appendix.html) and pgx's connection
// errors.
func (Dialect) Classify(err error) sqlstore.ErrorClass {
	if err == nil {
		return sqlstore.ErrOther
	}
	// Whatever stops a new connection (server down, database renamed, too many clients) makes
	// the database unavailable, even when the server explained it with a SQLSTATE.
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return sqlstore.ErrUnavailable
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == "23505": // unique_violation
			return sqlstore.ErrUniqueViolation
		case code == "23503": // foreign_key_violation
			return sqlstore.ErrForeignKeyViolation
		case code == "40001", code == "40P01": // serialization_failure, deadlock_detected
			return sqlstore.ErrRetryable
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"),  // insufficient resources (too many connections, disk full)
			strings.HasPrefix(code, "57P"), // admin/crash shutdown, cannot connect now
			code == "57014",                // query_canceled: statement_timeout hit, the database is overloaded
			code == "25P03":                // idle_in_transaction_session_timeout
			return sqlstore.ErrUnavailable
		}
		return sqlstore.ErrOther
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr), pgconn.Timeout(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return sqlstore.ErrUnavailable
	}
	if pgconn.SafeToRetry(err) {
		return sqlstore.ErrUnavailable
	}
	return sqlstore.ErrOther
}
