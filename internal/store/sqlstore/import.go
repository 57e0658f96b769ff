package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/scim"
)

// ErrImportTargetNotEmpty is returned by Import when the tenant already has users or groups.
// An import never merges into or overwrites existing resources: ids, userNames and
// memberships of the two sets could collide in ways no rule resolves safely.
var ErrImportTargetNotEmpty = &scim.Error{Status: http.StatusConflict,
	Detail: "the tenant already has users or groups; import only into an empty (e.g. newly created) tenant"}

// ImportStats counts what Import wrote.
type ImportStats struct {
	Users, Groups, Memberships int
}

// reservedKeys may not appear in an imported attribute document: scim.Resource keeps them out
// of it (they live in their own fields, columns and tables).
var reservedKeys = []string{"id", "meta", "schemas", "password", "members", "groups"}

// Import writes the records next returns (until io.EOF) into the tenant tenantID, which must
// exist (else scim.ErrNotFound) and hold no users or groups (else ErrImportTargetNotEmpty).
// Everything is written in one transaction: any error (a malformed record, which is an
// *ImportError naming its line, a duplicate userName, a failure of next or of the database)
// rolls all of it back, so a failed import changes nothing.
//
// Records must come as Export writes them: a header first, users and groups, memberships
// after the user or group records they name, and an end record whose counts match, last. Ids,
// attribute documents, password hashes, versions and timestamps are kept; the extracted
// columns (folded userName and displayName, emails rows, …) are computed as CreateUser and
// CreateGroup compute them. Duplicate memberships are ignored. No provisioning events are
// written: the history stays with the source.
//
// Import checks references with the set of ids read so far, which it keeps in memory (some
// 50 bytes per user or group); documents and memberships are written in batches of a few
// hundred as they come.
func (s *Store) Import(ctx context.Context, tenantID string, next func() (Record, error)) (ImportStats, error) {
	if !validID(tenantID) {
		return ImportStats{}, scim.ErrNotFound
	}
	// Not inTx: next cannot be replayed, so a transient conflict fails the import rather than
	// running it again (it can be run again from the file).
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ImportStats{}, s.translate(ctx, err)
	}
	imp := &importer{s: s, tx: tx, tenantID: tenantID, ids: map[uuid.UUID]idInfo{}}
	err = imp.run(ctx, next)
	if err == nil {
		err = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if err != nil {
		if ie := (*ImportError)(nil); errors.As(err, &ie) {
			return ImportStats{}, err
		}
		return ImportStats{}, s.translate(ctx, err)
	}
	return imp.stats, nil
}

// idInfo is what the importer remembers about an id it has written.
type idInfo struct {
	group bool
	line  int
}

// importer is the state of one Import.
type importer struct {
	s        *Store
	tx       *sql.Tx
	tenantID string
	ids      map[uuid.UUID]idInfo
	stats    ImportStats
	users    []pendingResource // users read but not yet written
	groups   []pendingResource // groups read but not yet written
	members  []pendingMember   // memberships read but not yet written
}

// pendingMember is one membership waiting for its batched insert.
type pendingMember struct {
	group string
	m     scim.Member
}

func (imp *importer) run(ctx context.Context, next func() (Record, error)) error {
	if err := imp.checkTarget(ctx); err != nil {
		return err
	}
	n, ended := 0, false
	for {
		rec, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		n++
		line := rec.Line
		if line == 0 {
			line = n
		}
		switch {
		case ended:
			return importErrorf(line, "record after the end record")
		case n == 1 && rec.Type != RecordHeader:
			return importErrorf(line, "the file does not start with a %s header record; is it a scimctl export?", ExportFormat)
		}
		if err := imp.record(ctx, line, n, rec); err != nil {
			return err
		}
		ended = rec.Type == RecordEnd
	}
	switch {
	case n == 0:
		return importErrorf(0, "the file is empty")
	case !ended:
		return importErrorf(0, "the file has no end record after line %d: it is truncated", n)
	}
	return imp.flushMembers(ctx)
}

// checkTarget checks that the tenant exists and has no users or groups.
func (imp *importer) checkTarget(ctx context.Context) error {
	var one int
	err := imp.s.stmt(`SELECT 1 FROM tenants WHERE id = ?`, imp.tenantID).queryRow(ctx, imp.tx).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return scim.ErrNotFound
	}
	if err != nil {
		return err
	}
	var busy bool
	err = imp.s.stmt(`SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = ?) OR EXISTS (SELECT 1 FROM groups WHERE tenant_id = ?)`,
		imp.tenantID, imp.tenantID).queryRow(ctx, imp.tx).Scan(&busy)
	if err != nil {
		return err
	}
	if busy {
		return ErrImportTargetNotEmpty
	}
	return nil
}

// record checks and writes one record; n is its position in the file.
func (imp *importer) record(ctx context.Context, line, n int, rec Record) error {
	switch rec.Type {
	case RecordHeader:
		if n != 1 {
			return importErrorf(line, "a second header record")
		}
		if rec.Format != ExportFormat {
			return importErrorf(line, "format %q is not %q", rec.Format, ExportFormat)
		}
		if rec.Version != ExportVersion {
			return importErrorf(line, "format version %d is not supported (this scimctl reads version %d)", rec.Version, ExportVersion)
		}
		return nil
	case RecordUser, RecordGroup:
		return imp.resource(ctx, line, rec)
	case RecordMembership:
		return imp.membership(ctx, line, rec)
	case RecordEnd:
		if err := imp.flushMembers(ctx); err != nil {
			return err
		}
		got := imp.stats
		if rec.Users != got.Users || rec.Groups != got.Groups || rec.Memberships != got.Memberships {
			return importErrorf(line, "the end record counts %d users, %d groups and %d memberships, the file has %d, %d and %d",
				rec.Users, rec.Groups, rec.Memberships, got.Users, got.Groups, got.Memberships)
		}
		return nil
	case "":
		return importErrorf(line, "record without a type")
	default:
		return importErrorf(line, "unknown record type %q", rec.Type)
	}
}

// resource checks a user or group record and queues it for writing.
func (imp *importer) resource(ctx context.Context, line int, rec Record) error {
	isGroup := rec.Type == RecordGroup
	if rec.Group != "" || rec.Member != "" || rec.MemberType != "" {
		return importErrorf(line, "a %s record has membership fields", rec.Type)
	}
	if isGroup && rec.PasswordHash != "" {
		return importErrorf(line, "a group record has a password hash")
	}
	id, err := uuid.Parse(rec.ID)
	if err != nil || id.String() != rec.ID {
		return importErrorf(line, "%s id %q is not a UUID in canonical (lower-case, hyphenated) form", rec.Type, rec.ID)
	}
	if prev, dup := imp.ids[id]; dup {
		return importErrorf(line, "id %s is already used by the %s on line %d", rec.ID, recordKind(prev.group), prev.line)
	}
	m := rec.Meta
	switch {
	case m == nil:
		return importErrorf(line, "%s %s has no meta", rec.Type, rec.ID)
	case m.Version < 1:
		return importErrorf(line, "%s %s: meta.version must be at least 1", rec.Type, rec.ID)
	case m.Created.IsZero() || m.LastModified.IsZero():
		return importErrorf(line, "%s %s: meta.created and meta.lastModified are required", rec.Type, rec.ID)
	}
	if rec.Attributes == nil {
		return importErrorf(line, "%s %s has no attributes", rec.Type, rec.ID)
	}
	for k := range rec.Attributes {
		for _, r := range reservedKeys {
			if strings.EqualFold(k, r) {
				return importErrorf(line, "%s %s: attribute %q belongs in its own field, not in attributes", rec.Type, rec.ID, k)
			}
		}
	}
	p := pendingResource{line: line, rec: rec}
	if isGroup {
		p.group, err = extractGroup(rec.Attributes)
	} else {
		p.user, err = extractUser(rec.Attributes)
	}
	if se, ok := scim.AsError(err); ok {
		return importErrorf(line, "%s %s: %s", rec.Type, rec.ID, se.Detail)
	}
	if err != nil {
		return err
	}
	if p.doc, err = encodeDoc(rec.Attributes); err != nil {
		return importErrorf(line, "%s %s: %v", rec.Type, rec.ID, err)
	}
	imp.ids[id] = idInfo{group: isGroup, line: line}
	if isGroup {
		imp.stats.Groups++
		imp.groups = append(imp.groups, p)
	} else {
		imp.stats.Users++
		imp.users = append(imp.users, p)
	}
	if len(imp.users)+len(imp.groups) >= importResourceBatch {
		return imp.flushResources(ctx)
	}
	return nil
}

func recordKind(group bool) string {
	if group {
		return RecordGroup
	}
	return RecordUser
}

// storedTime is t as the store keeps timestamps: UTC, microseconds.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// importResourceBatch is how many users and groups Import queues before writing them with
// multi-row inserts: one statement per batch instead of one per resource.
const importResourceBatch = 500

// pendingResource is a checked user or group waiting for its batched insert, with the
// columns CreateUser or CreateGroup would compute from its document.
type pendingResource struct {
	line  int
	rec   Record
	user  *userColumns
	group *groupColumns
	doc   string
}

// flushResources writes the queued users and groups. A batch can only fail on a userName
// taken twice (ids were checked as they were read, and the tenant was empty); then the batch
// is undone to a savepoint and written again one user at a time, so that the error names the
// line of the user that collides.
func (imp *importer) flushResources(ctx context.Context) error {
	if len(imp.users)+len(imp.groups) == 0 {
		return nil
	}
	if _, err := imp.tx.ExecContext(ctx, `SAVEPOINT scimd_import`); err != nil {
		return err
	}
	err := imp.insertUsers(ctx, imp.users)
	if imp.s.classify(err) == ErrUniqueViolation {
		if _, err := imp.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT scimd_import`); err != nil {
			return err
		}
		for _, p := range imp.users {
			err1 := imp.insertUsers(ctx, []pendingResource{p})
			if imp.s.classify(err1) == ErrUniqueViolation {
				return importErrorf(p.line, "user %s: userName %q is already taken by an earlier user (userNames compare case-insensitively)",
					p.rec.ID, p.user.userName)
			}
			if err1 != nil {
				return err1
			}
		}
		err = nil // every user went in one at a time
	}
	if err != nil {
		return err
	}
	if err := imp.insertGroups(ctx, imp.groups); err != nil {
		return err
	}
	if _, err := imp.tx.ExecContext(ctx, `RELEASE SAVEPOINT scimd_import`); err != nil {
		return err
	}
	imp.users, imp.groups = imp.users[:0], imp.groups[:0]
	return nil
}

// insertUsers writes user rows and their emails rows with multi-row inserts.
func (imp *importer) insertUsers(ctx context.Context, users []pendingResource) error {
	s := imp.s
	const userParams, emailParams = 13, 5
	type email struct {
		userID string
		row    emailRow
	}
	var emails []email
	for batch := range slices.Chunk(users, max(1, s.d.MaxParams()/userParams)) {
		q := s.stmt(`INSERT INTO users (tenant_id, id, user_name, user_name_fold, external_id, display_name,
			display_name_fold, active, doc, password_hash, version, created_at, last_modified) VALUES `)
		for i, p := range batch {
			if i > 0 {
				q.add(", ")
			}
			c, m := p.user, p.rec.Meta
			q.add(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				imp.tenantID, p.rec.ID, c.userName, scim.Fold(c.userName), c.externalID, c.displayName,
				c.displayFold, c.active, p.doc, nullString(p.rec.PasswordHash), m.Version,
				s.d.TimeArg(storedTime(m.Created)), s.d.TimeArg(storedTime(m.LastModified)))
			for _, e := range c.emails {
				emails = append(emails, email{userID: p.rec.ID, row: e})
			}
		}
		if _, err := q.exec(ctx, imp.tx); err != nil {
			return err
		}
	}
	for batch := range slices.Chunk(emails, max(1, s.d.MaxParams()/emailParams)) {
		q := s.stmt(`INSERT INTO user_emails (tenant_id, user_id, ord, value_fold, type) VALUES `)
		for i, e := range batch {
			if i > 0 {
				q.add(", ")
			}
			q.add("(?, ?, ?, ?, ?)", imp.tenantID, e.userID, e.row.ord, e.row.valueFold, e.row.typ)
		}
		if _, err := q.exec(ctx, imp.tx); err != nil {
			return err
		}
	}
	return nil
}

// insertGroups writes group rows with multi-row inserts.
func (imp *importer) insertGroups(ctx context.Context, groups []pendingResource) error {
	s := imp.s
	const groupParams = 9
	for batch := range slices.Chunk(groups, max(1, s.d.MaxParams()/groupParams)) {
		q := s.stmt(`INSERT INTO groups (tenant_id, id, display_name, display_name_fold, external_id, doc,
			version, created_at, last_modified) VALUES `)
		for i, p := range batch {
			if i > 0 {
				q.add(", ")
			}
			c, m := p.group, p.rec.Meta
			q.add(`(?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				imp.tenantID, p.rec.ID, c.displayName, scim.Fold(c.displayName), c.externalID, p.doc,
				m.Version, s.d.TimeArg(storedTime(m.Created)), s.d.TimeArg(storedTime(m.LastModified)))
		}
		if _, err := q.exec(ctx, imp.tx); err != nil {
			return err
		}
	}
	return nil
}

// importMemberBatch is how many memberships Import writes per statement at most.
const importMemberBatch = 1000

// membership checks a membership record against the ids written so far and queues it.
func (imp *importer) membership(ctx context.Context, line int, rec Record) error {
	if rec.ID != "" || rec.Attributes != nil || rec.Meta != nil || rec.PasswordHash != "" {
		return importErrorf(line, "a membership record has resource fields")
	}
	g, ok := imp.lookup(rec.Group)
	if !ok || !g.group {
		return importErrorf(line, "membership of group %q, which no earlier group record defines", rec.Group)
	}
	m, ok := imp.lookup(rec.Member)
	if !ok {
		return importErrorf(line, "member %q of group %s is no earlier user or group record", rec.Member, rec.Group)
	}
	typ := recordKind(m.group)
	want := scim.ResourceUser
	if m.group {
		want = scim.ResourceGroup
	}
	if rec.MemberType != "" && rec.MemberType != want {
		return importErrorf(line, "member %s has memberType %q but is a %s", rec.Member, rec.MemberType, typ)
	}
	imp.members = append(imp.members, pendingMember{group: rec.Group, m: scim.Member{Value: rec.Member, Type: want}})
	imp.stats.Memberships++
	if len(imp.members) >= min(importMemberBatch, max(1, imp.s.d.MaxParams()/4)) {
		return imp.flushMembers(ctx)
	}
	return nil
}

// lookup returns what is known about id, which must be a canonical UUID.
func (imp *importer) lookup(id string) (idInfo, bool) {
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		return idInfo{}, false
	}
	info, ok := imp.ids[u]
	return info, ok
}

// flushMembers writes the queued users and groups, then the queued memberships in one
// multi-row insert (their number is kept below the dialect's parameter limit by membership).
func (imp *importer) flushMembers(ctx context.Context) error {
	// The users and groups they name go first (the group's foreign key needs its row).
	if err := imp.flushResources(ctx); err != nil {
		return err
	}
	if len(imp.members) == 0 {
		return nil
	}
	q := imp.s.stmt(`INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES `)
	for i, p := range imp.members {
		if i > 0 {
			q.add(", ")
		}
		q.add("(?, ?, ?, ?)", imp.tenantID, p.group, p.m.Value, p.m.Type)
	}
	q.add(` ON CONFLICT DO NOTHING`)
	if _, err := q.exec(ctx, imp.tx); err != nil {
		return err
	}
	imp.members = imp.members[:0]
	return nil
}
