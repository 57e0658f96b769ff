package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/scimd/scimd/internal/scim"
)

// The tenant export format ("scimd-export", version 1) is newline-delimited JSON: one Record
// per line. The first line is a header, then every user, every group and every membership,
// and the last line an end record with the counts, so that a truncated file is recognised as
// one. Ids, versions and timestamps are kept, so an export imported elsewhere serves the same
// resources under the same ids and ETags: an identity provider that provisioned the tenant
// carries on without re-matching anything.
//
//	{"type":"header","format":"scimd-export","version":1,"tenant":"acme","exportedAt":"…"}
//	{"type":"user","id":"…","attributes":{…},"passwordHash":"…","meta":{"created":"…","lastModified":"…","version":3}}
//	{"type":"group","id":"…","attributes":{…},"meta":{…}}
//	{"type":"membership","group":"…","member":"…","memberType":"User"}
//	{"type":"end","users":1,"groups":1,"memberships":1}

// Export format identification, written in the header record.
const (
	ExportFormat  = "scimd-export"
	ExportVersion = 1
)

// Record types of the export format.
const (
	RecordHeader     = "header"
	RecordUser       = "user"
	RecordGroup      = "group"
	RecordMembership = "membership"
	RecordEnd        = "end"
)

// Record is one line of a tenant export. Which fields are set depends on Type; the others are
// empty (and omitted from the JSON).
type Record struct {
	Type string `json:"type"`

	// Header: the format, its version, the name of the exported tenant (informational: an
	// export may be imported under another name) and when the export was taken.
	Format     string     `json:"format,omitempty"`
	Version    int        `json:"version,omitempty"`
	Tenant     string     `json:"tenant,omitempty"`
	ExportedAt *time.Time `json:"exportedAt,omitempty"`

	// User and group: the id, the attribute document (scim.Resource.Attributes), the password
	// hash (users only) and the stored meta.
	ID           string         `json:"id,omitempty"`
	Attributes   map[string]any `json:"attributes,omitempty"`
	PasswordHash string         `json:"passwordHash,omitempty"`
	Meta         *RecordMeta    `json:"meta,omitempty"`

	// Membership: group Group has member Member of type MemberType ("User" or "Group").
	Group      string `json:"group,omitempty"`
	Member     string `json:"member,omitempty"`
	MemberType string `json:"memberType,omitempty"`

	// End: how many records of each kind the file holds.
	Users       int `json:"users,omitempty"`
	Groups      int `json:"groups,omitempty"`
	Memberships int `json:"memberships,omitempty"`

	// Line is the line the record was read from (set by RecordReader; 0 when unknown), for
	// error messages. It is not part of the format.
	Line int `json:"-"`
}

// RecordMeta is the stored meta of a user or group.
type RecordMeta struct {
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
	Version      int64     `json:"version"`
}

// exportBatch is how many rows Export reads per query.
const exportBatch = 1000

// snapshotTx are the options of Export's transaction: one consistent, read-only snapshot.
// Postgres honours both (REPEATABLE READ READ ONLY: every query sees the database as of the
// first one). The SQLite driver begins a read-only transaction as a deferred BEGIN, whose
// snapshot in WAL mode is likewise fixed at the first read, and it ignores the isolation level
// (SQLite transactions are serializable anyway); unlike the store's write transactions, it
// takes no write lock, so provisioning carries on during an export.
var snapshotTx = sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}

// Export streams every user, group and membership of a tenant to emit, framed by a header and
// an end record, all read from one consistent snapshot. Rows are read in keyset-paginated
// batches, so the tenant is never held in memory at once. emit's error stops the export and is
// returned as it is. An unknown tenant is scim.ErrNotFound.
//
// Memberships whose member no longer exists (a delete that raced a PATCH add; WalkMembers
// skips them too) are left out, so that the export imports cleanly. The snapshot's
// transaction stays open while emit runs: on Postgres an emit that blocks for longer than the
// session's idle_in_transaction_session_timeout makes the export fail.
func (s *Store) Export(ctx context.Context, tenantID string, emit func(Record) error) (err error) {
	if !validID(tenantID) {
		return scim.ErrNotFound
	}
	tx, err := s.db.BeginTx(ctx, &snapshotTx)
	if err != nil {
		return s.translate(ctx, err)
	}
	// Read-only: rolling back is all there is to end it.
	defer func() { _ = tx.Rollback() }()
	e := &exporter{s: s, tx: tx, tenantID: tenantID, emit: emit}
	if err := e.run(ctx); err != nil {
		if e.emitErr != nil && errors.Is(err, e.emitErr) {
			return err
		}
		return s.translate(ctx, err)
	}
	return nil
}

// exporter is the state of one Export.
type exporter struct {
	s        *Store
	tx       *sql.Tx
	tenantID string
	emit     func(Record) error
	emitErr  error // the last error emit returned, passed through untranslated
	end      Record
}

func (e *exporter) send(r Record) error {
	if err := e.emit(r); err != nil {
		e.emitErr = err
		return err
	}
	return nil
}

func (e *exporter) run(ctx context.Context) error {
	var name string
	err := e.s.stmt(`SELECT name FROM tenants WHERE id = ?`, e.tenantID).queryRow(ctx, e.tx).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return scim.ErrNotFound
	}
	if err != nil {
		return err
	}
	at := now()
	if err := e.send(Record{Type: RecordHeader, Format: ExportFormat, Version: ExportVersion, Tenant: name, ExportedAt: &at}); err != nil {
		return err
	}
	if err := e.resources(ctx, RecordUser, userSelect, "users", scanUser); err != nil {
		return err
	}
	if err := e.resources(ctx, RecordGroup, groupSelect, "groups", scanGroup); err != nil {
		return err
	}
	if err := e.memberships(ctx); err != nil {
		return err
	}
	e.end.Type = RecordEnd
	return e.send(e.end)
}

// resources exports the rows of table (users or groups), ordered by id.
func (e *exporter) resources(ctx context.Context, typ, selectList, table string, scan func(rowScanner) (*scim.Resource, error)) error {
	after := ""
	for {
		q := e.s.stmt(selectList+` WHERE `+table+`.tenant_id = ?`, e.tenantID)
		if after != "" {
			q.add(` AND `+table+`.id > ?`, after)
		}
		q.add(` ORDER BY `+table+`.id LIMIT ?`, exportBatch)
		batch, err := readBatch(ctx, e.tx, q, scan)
		if err != nil {
			return err
		}
		for _, r := range batch {
			rec := Record{
				Type: typ, ID: r.ID, Attributes: r.Attributes, PasswordHash: r.PasswordHash,
				Meta: &RecordMeta{Created: r.Meta.Created, LastModified: r.Meta.LastModified, Version: r.Meta.Version},
			}
			if err := e.send(rec); err != nil {
				return err
			}
		}
		if typ == RecordUser {
			e.end.Users += len(batch)
		} else {
			e.end.Groups += len(batch)
		}
		if len(batch) < exportBatch {
			return nil
		}
		after = batch[len(batch)-1].ID
	}
}

// readBatch runs q and scans every row before returning, so that the caller may emit while no
// result set is open.
func readBatch[T any](ctx context.Context, tx *sql.Tx, q *stmt, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := q.query(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]T, 0, exportBatch)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// memberships exports the memberships, ordered by group and member, keyset-paginated on that
// pair (the primary key after tenant_id).
func (e *exporter) memberships(ctx context.Context) error {
	var afterGroup, afterMember string
	for {
		q := e.s.stmt(`SELECT m.group_id, m.member_id, m.member_type FROM group_members m
			WHERE m.tenant_id = ?
			AND ((m.member_type = 'User' AND EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = m.tenant_id AND u.id = m.member_id))
			  OR (m.member_type = 'Group' AND EXISTS (SELECT 1 FROM groups g WHERE g.tenant_id = m.tenant_id AND g.id = m.member_id)))`,
			e.tenantID)
		if afterGroup != "" {
			q.add(` AND (m.group_id > ? OR (m.group_id = ? AND m.member_id > ?))`, afterGroup, afterGroup, afterMember)
		}
		q.add(` ORDER BY m.group_id, m.member_id LIMIT ?`, exportBatch)
		batch, err := readBatch(ctx, e.tx, q, func(r rowScanner) (Record, error) {
			rec := Record{Type: RecordMembership}
			return rec, r.Scan(&rec.Group, &rec.Member, &rec.MemberType)
		})
		if err != nil {
			return err
		}
		for _, rec := range batch {
			if err := e.send(rec); err != nil {
				return err
			}
		}
		e.end.Memberships += len(batch)
		if len(batch) < exportBatch {
			return nil
		}
		last := batch[len(batch)-1]
		afterGroup, afterMember = last.Group, last.Member
	}
}
