package sqlstore

import "time"

// Dialect is everything the store needs to know about one SQL backend beyond the filter
// compiler's FilterDialect. The store writes portable SQL (INSERT … ON CONFLICT DO NOTHING,
// RETURNING, IN lists, TRUE) and asks the dialect only for what really differs. Implementations
// must be stateless and safe for concurrent use.
type Dialect interface {
	FilterDialect

	// Name is the backend's name for internal error messages, e.g. "postgres".
	Name() string
	// Classify says what kind of failure a driver error is, so that the store can turn it into
	// a client-safe error or retry the transaction.
	Classify(err error) ErrorClass
	// TimeArg converts a UTC time into the driver argument stored in a timestamp column. The
	// store scans timestamp columns back as time.Time or as text in RFC 3339 form.
	TimeArg(t time.Time) any
	// MaxParams is the largest number of bind parameters one statement may have; batched
	// statements (IN lists, multi-row inserts) are split to stay below it.
	MaxParams() int
	// KeyShareLock is the clause appended to a SELECT that checks that member ids exist, so
	// that a concurrent DELETE of one of them waits for the membership insert to commit
	// (Postgres: " FOR KEY SHARE"). Backends that serialise writers return "".
	KeyShareLock() string
	// RowLock is the clause appended to a SELECT that reads a row the transaction will then
	// update, so that two such transactions take turns (Postgres: " FOR UPDATE"). Backends that
	// serialise writers return "".
	RowLock() string
}

// ErrorClass is the kind of a driver error, as far as the store cares.
type ErrorClass int

// The error classes a Dialect reports.
const (
	// ErrOther is any error the store does not handle specially: it stays internal.
	ErrOther ErrorClass = iota
	// ErrUniqueViolation is a unique or primary key constraint violation.
	ErrUniqueViolation
	// ErrForeignKeyViolation is a foreign key constraint violation.
	ErrForeignKeyViolation
	// ErrRetryable is a transient conflict (serialization failure, deadlock, a busy database
	// file) after which the whole transaction may be run again.
	ErrRetryable
	// ErrUnavailable means the database cannot be reached or is shutting down; clients get a
	// 503 and retry later.
	ErrUnavailable
)
