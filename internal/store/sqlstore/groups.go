package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/scim"
)

// groupColumns are the hot columns of a group document.
type groupColumns struct {
	displayName string
	externalID  any
}

func extractGroup(doc map[string]any) (*groupColumns, error) {
	name, err := requiredName(doc, "displayName")
	if err != nil {
		return nil, err
	}
	extID, err := externalID(doc)
	if err != nil {
		return nil, err
	}
	return &groupColumns{displayName: name, externalID: extID}, nil
}

// groupSelect is the select list scanGroup reads.
const groupSelect = `SELECT groups.id, groups.doc, groups.version, groups.created_at, groups.last_modified FROM groups`

func scanGroup(r rowScanner) (*scim.Resource, error) {
	res := &scim.Resource{Type: scim.ResourceGroup}
	var doc []byte
	var created, modified timeCol
	if err := r.Scan(&res.ID, &doc, &res.Meta.Version, &created, &modified); err != nil {
		return nil, err
	}
	attrs, err := decodeDoc(doc)
	if err != nil {
		return nil, err
	}
	res.Attributes = attrs
	res.Meta.Created, res.Meta.LastModified = created.t, modified.t
	return res, nil
}

// CreateGroup implements scim.GroupStore. The returned resource's Members are the stored
// members with their resolved type and display.
func (s *Store) CreateGroup(ctx context.Context, tenantID string, r *scim.Resource) (*scim.Resource, error) {
	if !validID(tenantID) {
		return nil, scim.ErrNotFound
	}
	cols, err := extractGroup(r.Attributes)
	if err != nil {
		return nil, err
	}
	doc, err := encodeWrite(r.Attributes)
	if err != nil {
		return nil, err
	}
	id, at := uuid.NewString(), now()
	var members []scim.Member
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.stmt(`INSERT INTO groups (tenant_id, id, display_name, display_name_fold, external_id, doc,
			version, created_at, last_modified) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			tenantID, id, cols.displayName, scim.Fold(cols.displayName), cols.externalID, doc,
			s.d.TimeArg(at), s.d.TimeArg(at)).exec(ctx, tx)
		if s.classify(err) == ErrForeignKeyViolation {
			return scim.ErrNotFound // no such tenant
		}
		if err != nil {
			return err
		}
		members, err = s.resolveMembers(ctx, tx, tenantID, r.Members)
		if err != nil {
			return err
		}
		if err := s.insertMembers(ctx, tx, tenantID, id, members); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, tenantID, OpCreate, scim.ResourceGroup, id, at)
	})
	if err != nil {
		return nil, err
	}
	return &scim.Resource{
		ID: id, Type: scim.ResourceGroup, Attributes: r.Attributes, Members: members,
		Meta: scim.Meta{Created: at, LastModified: at, Version: 1},
	}, nil
}

// GetGroup implements scim.GroupStore.
func (s *Store) GetGroup(ctx context.Context, tenantID, id string) (*scim.Resource, error) {
	if !validID(tenantID) || !validID(id) {
		return nil, scim.ErrNotFound
	}
	r, err := scanGroup(s.stmt(groupSelect+` WHERE tenant_id = ? AND id = ?`, tenantID, id).queryRow(ctx, s.db))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, scim.ErrNotFound
	}
	if err != nil {
		return nil, s.translate(ctx, err)
	}
	return r, nil
}

// ReplaceGroup implements scim.GroupStore. The member set becomes r.Members in the same
// transaction, writing only the memberships that change (see replaceMembers); nil Members
// leaves the memberships alone.
func (s *Store) ReplaceGroup(ctx context.Context, tenantID string, r *scim.Resource, expectVersion int64) (*scim.Resource, error) {
	if !validID(tenantID) || !validID(r.ID) {
		return nil, scim.ErrNotFound
	}
	var out *scim.Resource
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.updateGroup(ctx, tx, tenantID, r.ID, r.Attributes, expectVersion)
		if err != nil {
			return err
		}
		if r.Members != nil {
			if out.Members, err = s.replaceMembers(ctx, tx, tenantID, r.ID, r.Members); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, tenantID, OpReplace, scim.ResourceGroup, r.ID, out.Meta.LastModified)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// updateGroup bumps a group's version and last_modified, replacing its document when attrs is
// not nil (guarded by expectVersion when not 0), and returns the group as updated. The UPDATE
// takes the group's row lock, which serialises concurrent changes of one group's members.
func (s *Store) updateGroup(ctx context.Context, tx *sql.Tx, tenantID, id string, attrs map[string]any, expectVersion int64) (*scim.Resource, error) {
	at := now()
	q := s.stmt(`UPDATE groups SET version = version + 1, last_modified = ?`, s.d.TimeArg(at))
	if attrs != nil {
		cols, err := extractGroup(attrs)
		if err != nil {
			return nil, err
		}
		doc, err := encodeWrite(attrs)
		if err != nil {
			return nil, err
		}
		q.add(`, display_name = ?, display_name_fold = ?, external_id = ?, doc = ?`,
			cols.displayName, scim.Fold(cols.displayName), cols.externalID, doc)
	}
	q.add(` WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if attrs != nil && expectVersion != 0 {
		q.add(` AND version = ?`, expectVersion)
	}
	q.add(` RETURNING id, doc, version, created_at, last_modified`)
	out, err := scanGroup(q.queryRow(ctx, tx))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.missingOrMoved(ctx, tx, "groups", tenantID, id)
	}
	return out, err
}

// PatchGroup implements scim.GroupStore. Member operations are set operations on the
// membership table; a PATCH touching only members never reads the member list.
func (s *Store) PatchGroup(ctx context.Context, tenantID, id string, p scim.GroupPatch) (*scim.Resource, error) {
	if !validID(tenantID) || !validID(id) {
		return nil, scim.ErrNotFound
	}
	var out *scim.Resource
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.updateGroup(ctx, tx, tenantID, id, p.Attributes, p.ExpectVersion)
		if err != nil {
			return err
		}
		for _, op := range p.MemberOps {
			if err := s.applyMemberOp(ctx, tx, tenantID, id, op); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, tenantID, OpPatch, scim.ResourceGroup, id, out.Meta.LastModified)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteGroup implements scim.GroupStore.
func (s *Store) DeleteGroup(ctx context.Context, tenantID, id string, expectVersion int64) error {
	if !validID(tenantID) || !validID(id) {
		return scim.ErrNotFound
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.deleteResource(ctx, tx, "groups", scim.ResourceGroup, tenantID, id, expectVersion)
	})
}

// ListGroups implements scim.GroupStore.
func (s *Store) ListGroups(ctx context.Context, tenantID string, q scim.Query) (*scim.ListResult, error) {
	return s.list(ctx, tenantID, s.groupRT, "groups", groupSelect, q, scanGroup)
}

// walkBatch is how many memberships WalkMembers reads per query: 100,000 members are 20 round
// trips, and a batch (ids and display names) stays well under a megabyte.
const walkBatch = 5000

// walkMembersQuery reads one batch of a group's memberships, those after the member id after
// (from the first when after is ""). The LIMIT applies to group_members alone, in the inner
// query, so the database reads exactly one batch from the primary key in member_id order and
// joins only those rows; a filter on the joined tables would keep it from stopping early (on
// Postgres it chose a parallel plan of 11-16 ms per 1,000 members, see docs/benchmarks.md).
// Whether the member still exists is returned as a column instead.
func (s *Store) walkMembersQuery(tenantID, groupID, after string) *stmt {
	q := s.stmt(`SELECT m.member_id, m.member_type, COALESCE(u.display_name, u.user_name, g.display_name, ''),
		CASE WHEN u.id IS NULL AND g.id IS NULL THEN 0 ELSE 1 END
		FROM (SELECT tenant_id, member_id, member_type FROM group_members WHERE tenant_id = ? AND group_id = ?`, tenantID, groupID)
	if after != "" {
		q.add(` AND member_id > ?`, after)
	}
	// The LIMIT is a literal, not a parameter: a prepared statement's generic plan (which pgx's
	// statement cache settles on) would otherwise assume a tenth of the group and pick a
	// parallel sequential scan with a sort.
	return q.add(` ORDER BY member_id LIMIT ` + strconv.Itoa(walkBatch) + `) m
		LEFT JOIN users u ON m.member_type = 'User' AND u.tenant_id = m.tenant_id AND u.id = m.member_id
		LEFT JOIN groups g ON m.member_type = 'Group' AND g.tenant_id = m.tenant_id AND g.id = m.member_id
		ORDER BY m.member_id`)
}

// WalkMembers implements scim.GroupStore with keyset pagination over member_id. Each batch is
// read completely before fn runs, so fn never holds a database connection. Memberships whose
// member no longer exists (a delete racing a PATCH add) are skipped; the cursor still moves
// past them.
func (s *Store) WalkMembers(ctx context.Context, tenantID, groupID string, fn func(scim.Member) error) error {
	if !validID(tenantID) || !validID(groupID) {
		return scim.ErrNotFound
	}
	var one int
	err := s.stmt(`SELECT 1 FROM groups WHERE tenant_id = ? AND id = ?`, tenantID, groupID).queryRow(ctx, s.db).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return scim.ErrNotFound
	}
	if err != nil {
		return s.translate(ctx, err)
	}
	batch := make([]scim.Member, 0, walkBatch)
	after := ""
	for {
		var read int
		batch, read, err = s.readMembers(ctx, s.walkMembersQuery(tenantID, groupID, after), batch[:0], &after)
		if err != nil {
			return err
		}
		for _, m := range batch {
			if err := fn(m); err != nil {
				return err
			}
		}
		if read < walkBatch {
			return nil
		}
	}
}

// readMembers runs a walkMembersQuery batch, appends the members that exist to batch and
// returns it with the number of rows read; *after becomes the last member_id read, existing
// or not.
func (s *Store) readMembers(ctx context.Context, q *stmt, batch []scim.Member, after *string) ([]scim.Member, int, error) {
	rows, err := q.query(ctx, s.db)
	if err != nil {
		return nil, 0, s.translate(ctx, err)
	}
	defer rows.Close()
	read := 0
	var kind sql.RawBytes
	for rows.Next() {
		var m scim.Member
		var exists int64
		if err := rows.Scan(&m.Value, &kind, &m.Display, &exists); err != nil {
			return nil, 0, s.translate(ctx, err)
		}
		read++
		*after = m.Value
		if exists == 0 {
			continue
		}
		// The two constants instead of a string per row: the column holds only these.
		switch string(kind) {
		case scim.ResourceUser:
			m.Type = scim.ResourceUser
		case scim.ResourceGroup:
			m.Type = scim.ResourceGroup
		default:
			m.Type = string(kind)
		}
		batch = append(batch, m)
	}
	return batch, read, s.translate(ctx, rows.Err())
}
