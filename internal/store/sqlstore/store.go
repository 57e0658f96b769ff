// Package sqlstore implements scim.Store once over database/sql for every SQL backend scimd
// supports. What differs between Postgres and SQLite (placeholders, case folding, JSON access,
// error codes, timestamp encoding) sits behind Dialect; the SQL itself is shared.
package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/scim"
)

// maxTxAttempts bounds how often a transaction is run again after a transient conflict.
const maxTxAttempts = 4

// Store is a scim.Store over one *sql.DB. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	d       Dialect
	reg     *scim.Registry
	userRT  *scim.ResourceType
	groupRT *scim.ResourceType
	// queryTimeout bounds the statements a client's filter shapes (SetQueryTimeout).
	queryTimeout time.Duration
}

var _ scim.Store = (*Store)(nil)

// SetQueryTimeout bounds the statements whose cost a client's filter decides, for a backend
// whose server has no statement timeout (SQLite; PostgreSQL has statement_timeout): the count
// and page queries of lists and searches, and member removals by filter. The driver interrupts
// a statement still running after d, and the request fails as PostgreSQL's statement_timeout
// fails it, with scim.ErrUnavailable (503). 0 means no limit. Call it before the store is used.
func (s *Store) SetQueryTimeout(d time.Duration) { s.queryTimeout = d }

// bounded returns ctx limited by the query timeout, and done, which ends that limit and turns
// the error of the work done under it into scim.ErrUnavailable when the timeout ended it (not
// the caller's own context).
func (s *Store) bounded(ctx context.Context) (context.Context, func(error) error) {
	if s.queryTimeout <= 0 {
		return ctx, func(err error) error { return err }
	}
	tctx, cancel := context.WithTimeout(ctx, s.queryTimeout)
	return tctx, func(err error) error {
		timedOut := errors.Is(tctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		if err != nil && timedOut {
			return fmt.Errorf("%w: %s: statement ran longer than %s: %w", scim.ErrUnavailable, s.d.Name(), s.queryTimeout, err)
		}
		return err
	}
}

// New returns a store over db, which must hold the schema of the migrations for d's backend.
// reg is the schema registry the filter compiler resolves attribute names with. Close closes
// db.
func New(db *sql.DB, d Dialect, reg *scim.Registry) *Store {
	return &Store{
		db:      db,
		d:       d,
		reg:     reg,
		userRT:  reg.ResourceType(scim.ResourceUser),
		groupRT: reg.ResourceType(scim.ResourceGroup),
	}
}

// DB returns the underlying database handle.
func (s *Store) DB() *sql.DB { return s.db }

// Ping implements scim.Store.
func (s *Store) Ping(ctx context.Context) error {
	return s.translate(ctx, s.db.PingContext(ctx))
}

// Close implements scim.Store.
func (s *Store) Close() { _ = s.db.Close() }

// stmt starts a statement in the store's dialect.
func (s *Store) stmt(text string, args ...any) *stmt { return newStmt(s.d).add(text, args...) }

// now returns the current time as stored: UTC, microsecond precision (Postgres' resolution,
// so that what a write returns equals what a later read returns).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction and commits it, running it again (a bounded number of times)
// when the database reports a transient conflict. Errors come back translated.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.tryTx(ctx, fn)
		if err == nil || attempt == maxTxAttempts || s.classify(err) != ErrRetryable {
			break
		}
		// Back off a little, with jitter, so that the transactions that conflicted do not
		// collide again at once.
		wait := time.Duration(attempt)*5*time.Millisecond + time.Duration(rand.Int64N(int64(5*time.Millisecond)))
		select {
		case <-ctx.Done():
			return s.translate(ctx, err)
		case <-time.After(wait):
		}
	}
	return s.translate(ctx, err)
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// classify returns the class of a driver error; *scim.Error values are ErrOther.
func (s *Store) classify(err error) ErrorClass {
	if err == nil {
		return ErrOther
	}
	if _, ok := scim.AsError(err); ok {
		return ErrOther
	}
	return s.d.Classify(err)
}

// translate turns a driver error into what the store returns: *scim.Error values pass
// unchanged, an unreachable database becomes scim.ErrUnavailable (wrapping the cause for the
// log), and anything else stays an internal error. The caller's own cancellation is returned
// as it is.
func (s *Store) translate(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := scim.AsError(err); ok {
		return err
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	switch s.d.Classify(err) {
	case ErrUnavailable, ErrRetryable:
		return fmt.Errorf("%w: %s: %w", scim.ErrUnavailable, s.d.Name(), err)
	}
	return fmt.Errorf("%s: %w", s.d.Name(), err)
}

// validID reports whether id is a UUID in the canonical form scimd issues. Other strings can
// name no resource, and must not reach a uuid column (Postgres would fail the statement).
func validID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// encodeDoc returns the JSON text stored in a doc column.
func encodeDoc(doc map[string]any) (string, error) {
	if doc == nil {
		doc = map[string]any{}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode document: %w", err)
	}
	return string(b), nil
}

// MaxDocumentBytes bounds a user's or group's document as stored: its attributes as JSON,
// without id, meta, password, members or groups. A list page holds up to 1000 documents in
// memory, decoded, at about four times their size; documents as large as a request body (1 MiB)
// made one GET /Users?count=1000 take gigabytes. Real ones take a few kilobytes.
const MaxDocumentBytes = 64 << 10

// encodeWrite is encodeDoc for a document a client writes (CreateUser, ReplaceUser, PatchUser,
// CreateGroup, ReplaceGroup, PatchGroup): one larger than MaxDocumentBytes is a 400
// invalidValue. Import takes documents of any size, as they were stored.
func encodeWrite(doc map[string]any) (string, error) {
	s, err := encodeDoc(doc)
	if err == nil && len(s) > MaxDocumentBytes {
		return "", scim.InvalidValue("the resource's attributes take %d bytes as JSON; at most %d are allowed", len(s), MaxDocumentBytes)
	}
	return s, err
}

// decodeDoc parses a doc column; numbers stay json.Number as scim.Resource requires.
func decodeDoc(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	doc := map[string]any{}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode stored document: %w", err)
	}
	return doc, nil
}

// timeCol scans a timestamp column stored as a time (Postgres) or as text (SQLite).
type timeCol struct {
	t     time.Time
	valid bool
}

// timeLayouts are the text forms timestamps may come back in.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// Scan implements sql.Scanner.
func (c *timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c = timeCol{}
		return nil
	case time.Time:
		*c = timeCol{t: x.UTC(), valid: true}
		return nil
	case []byte:
		return c.parse(string(x))
	case string:
		return c.parse(x)
	}
	return fmt.Errorf("cannot scan %T into a timestamp", v)
}

func (c *timeCol) parse(s string) error {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			*c = timeCol{t: t.UTC(), valid: true}
			return nil
		}
	}
	return fmt.Errorf("cannot parse timestamp %q", s)
}

// ptr returns the time or nil when NULL.
func (c timeCol) ptr() *time.Time {
	if !c.valid {
		return nil
	}
	t := c.t
	return &t
}

// timeArg converts an optional time into a driver argument.
func (s *Store) timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.d.TimeArg(t.UTC())
}

// nullString returns v as a driver argument, nil for "".
func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// Event operations recorded in the provisioning log.
const (
	OpCreate  = "create"
	OpReplace = "replace"
	OpPatch   = "patch"
	OpDelete  = "delete"
	// OpRevoke is a token's revocation and OpRotate its replacement by a new token (whose
	// creation is logged as OpCreate, like any token's).
	OpRevoke = "revoke"
	OpRotate = "rotate"
)

// ResourceToken is the resource type of token events: tokens are not SCIM resources, but who
// was given access to a tenant, and when it was taken away, belongs in the same log.
const ResourceToken = "Token"

// appendEvent writes one provisioning event in tx.
func (s *Store) appendEvent(ctx context.Context, tx *sql.Tx, tenantID, op, resourceType, resourceID string, at time.Time) error {
	_, err := s.stmt(`INSERT INTO events (tenant_id, at, token_id, operation, resource_type, resource_id, outcome)
		VALUES (?, ?, ?, ?, ?, ?, 'ok')`,
		tenantID, s.d.TimeArg(at), nullString(scim.ActorFrom(ctx)), op, resourceType, resourceID).exec(ctx, tx)
	return err
}

// Event is one row of the provisioning log.
type Event struct {
	ID           int64
	TenantID     string
	At           time.Time
	TokenID      string // "" when no token acted (e.g. scimctl)
	Operation    string // OpCreate, OpReplace, OpPatch or OpDelete
	ResourceType string
	ResourceID   string
	Outcome      string
}

// ListEvents returns up to limit events of a tenant with an id greater than afterID, oldest
// first, for `scimctl events` and tests. Page by passing the last ID seen as afterID.
func (s *Store) ListEvents(ctx context.Context, tenantID string, afterID int64, limit int) ([]Event, error) {
	if !validID(tenantID) {
		return nil, nil
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.stmt(`SELECT id, tenant_id, at, token_id, operation, resource_type, resource_id, outcome
		FROM events WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, afterID, limit).query(ctx, s.db)
	if err != nil {
		return nil, s.translate(ctx, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at timeCol
		var token sql.NullString
		if err := rows.Scan(&e.ID, &e.TenantID, &at, &token, &e.Operation, &e.ResourceType, &e.ResourceID, &e.Outcome); err != nil {
			return nil, s.translate(ctx, err)
		}
		e.At, e.TokenID = at.t, token.String
		out = append(out, e)
	}
	return out, s.translate(ctx, rows.Err())
}
