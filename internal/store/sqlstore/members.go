package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/scimd/scimd/internal/scim"
)

// maxListedMissing bounds how many unknown member ids an error names.
const maxListedMissing = 20

// resolveMembers checks that every member exists in the tenant and returns the members
// deduplicated by id (first occurrence wins), with Type and Display from the database. A
// member of type "User" must be a user, "Group" a group, and one without type is looked up
// among users first, then groups. Existence is checked with one query per kind and chunk of
// ids, never one per member. Unknown ids, including ones that are not UUIDs, are a 400
// invalidValue naming them.
func (s *Store) resolveMembers(ctx context.Context, tx *sql.Tx, tenantID string, in []scim.Member) ([]scim.Member, error) {
	out := make([]scim.Member, 0, len(in))
	seen := make(map[string]int, len(in))
	var missing, users, groups, untyped []string
	for _, m := range in {
		id := strings.ToLower(strings.TrimSpace(m.Value))
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = len(out)
		out = append(out, scim.Member{Value: id, Type: m.Type})
		switch {
		case !validID(id):
			missing = append(missing, m.Value)
		case m.Type == "":
			untyped = append(untyped, id)
		case strings.EqualFold(m.Type, scim.ResourceUser):
			users = append(users, id)
		case strings.EqualFold(m.Type, scim.ResourceGroup):
			groups = append(groups, id)
		default:
			return nil, scim.InvalidValue("member type %q is not %q or %q", m.Type, scim.ResourceUser, scim.ResourceGroup)
		}
	}
	found := map[string]scim.Member{}
	if err := s.findMembers(ctx, tx, tenantID, scim.ResourceUser, append(users, untyped...), found); err != nil {
		return nil, err
	}
	var groupIDs []string
	groupIDs = append(groupIDs, groups...)
	for _, id := range untyped {
		if _, ok := found[id]; !ok {
			groupIDs = append(groupIDs, id)
		}
	}
	// A typed "Group" id found among users must not count: look groups up separately.
	groupFound := map[string]scim.Member{}
	if err := s.findMembers(ctx, tx, tenantID, scim.ResourceGroup, groupIDs, groupFound); err != nil {
		return nil, err
	}
	for i, m := range out {
		if !validID(m.Value) {
			continue
		}
		var f scim.Member
		var ok bool
		switch {
		case strings.EqualFold(m.Type, scim.ResourceGroup):
			f, ok = groupFound[m.Value]
		case strings.EqualFold(m.Type, scim.ResourceUser):
			f, ok = found[m.Value]
		default:
			if f, ok = found[m.Value]; !ok {
				f, ok = groupFound[m.Value]
			}
		}
		if !ok {
			missing = append(missing, m.Value)
			continue
		}
		out[i] = f
	}
	if len(missing) > 0 {
		return nil, membersNotFound(missing)
	}
	return out, nil
}

// membersNotFound lists unknown member ids, sorted, at most maxListedMissing of them.
func membersNotFound(ids []string) error {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	list := ids
	if len(list) > maxListedMissing {
		list = list[:maxListedMissing]
	}
	detail := strings.Join(list, ", ")
	if n := len(ids) - len(list); n > 0 {
		detail += fmt.Sprintf(" and %d more", n)
	}
	return scim.InvalidValue("members not found: %s", detail)
}

// findMembers looks ids up among the tenant's users or groups (kind) and adds the ones that
// exist to found. The rows found stay locked against deletion until the transaction ends (see
// Dialect.KeyShareLock and deleteResource), so a member cannot be deleted between this check
// and the membership insert, which would leave a membership naming nobody.
func (s *Store) findMembers(ctx context.Context, tx *sql.Tx, tenantID, kind string, ids []string, found map[string]scim.Member) error {
	query := `SELECT id, COALESCE(display_name, user_name) FROM users WHERE tenant_id = ? AND id IN `
	if kind == scim.ResourceGroup {
		query = `SELECT id, display_name FROM groups WHERE tenant_id = ? AND id IN `
	}
	for _, chunk := range chunks(ids, s.d.MaxParams()-1) {
		rows, err := s.stmt(query, tenantID).list(chunk).raw(s.d.KeyShareLock()).query(ctx, tx)
		if err != nil {
			return err
		}
		for rows.Next() {
			m := scim.Member{Type: kind}
			if err := rows.Scan(&m.Value, &m.Display); err != nil {
				rows.Close()
				return err
			}
			found[m.Value] = m
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// insertMembers adds resolved members to a group with batched multi-row inserts, ignoring
// ones already there.
func (s *Store) insertMembers(ctx context.Context, tx *sql.Tx, tenantID, groupID string, members []scim.Member) error {
	per := max(1, s.d.MaxParams()/4)
	for len(members) > 0 {
		n := min(per, len(members))
		q := s.stmt(`INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES `)
		for i, m := range members[:n] {
			if i > 0 {
				q.add(", ")
			}
			q.add("(?, ?, ?, ?)", tenantID, groupID, m.Value, m.Type)
		}
		q.add(` ON CONFLICT DO NOTHING`)
		if _, err := q.exec(ctx, tx); err != nil {
			return err
		}
		members = members[n:]
	}
	return nil
}

// removeMembers deletes the memberships of ids; absent ones and ids that are not UUIDs are
// ignored.
func (s *Store) removeMembers(ctx context.Context, tx *sql.Tx, tenantID, groupID string, in []scim.Member) error {
	ids := make([]string, 0, len(in))
	for _, m := range in {
		if id := strings.ToLower(strings.TrimSpace(m.Value)); validID(id) {
			ids = append(ids, id)
		}
	}
	for _, chunk := range chunks(ids, s.d.MaxParams()-2) {
		q := s.stmt(`DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id IN `, tenantID, groupID).list(chunk)
		if _, err := q.exec(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// replaceMembers makes in the whole member set of a group and returns the resolved members.
// It checks the new set first, then writes only the difference: memberships not in the new
// set are deleted and the new set is inserted with ON CONFLICT DO NOTHING, so a replace that
// changes a few members of a large group rewrites a few rows (Entra ID and Okta send the whole
// set to change one member). The caller holds the group's row lock (updateGroup), so the set
// cannot change in between.
func (s *Store) replaceMembers(ctx context.Context, tx *sql.Tx, tenantID, groupID string, in []scim.Member) ([]scim.Member, error) {
	members, err := s.resolveMembers(ctx, tx, tenantID, in)
	if err != nil {
		return nil, err
	}
	if err := s.deleteMembersNotIn(ctx, tx, tenantID, groupID, members); err != nil {
		return nil, err
	}
	return members, s.insertMembers(ctx, tx, tenantID, groupID, members)
}

// deleteMembersNotIn deletes a group's memberships whose member is not in keep. When keep fits
// in one statement's parameters that is one DELETE … NOT IN (keep). A larger set (above
// MaxParams, e.g. 30,000 members on SQLite) cannot be one list and a chunked NOT IN would be
// wrong, so the current member ids are read instead and the ones to drop deleted by id in
// chunks: more reading, but still only the removed rows are written.
func (s *Store) deleteMembersNotIn(ctx context.Context, tx *sql.Tx, tenantID, groupID string, keep []scim.Member) error {
	ids := make([]string, len(keep))
	for i, m := range keep {
		ids[i] = m.Value
	}
	q := s.stmt(`DELETE FROM group_members WHERE tenant_id = ? AND group_id = ?`, tenantID, groupID)
	if len(ids) == 0 {
		_, err := q.exec(ctx, tx)
		return err
	}
	if len(ids) <= s.d.MaxParams()-2 {
		_, err := q.add(` AND member_id NOT IN `).list(ids).exec(ctx, tx)
		return err
	}
	kept := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		kept[id] = struct{}{}
	}
	rows, err := s.stmt(`SELECT member_id FROM group_members WHERE tenant_id = ? AND group_id = ?`, tenantID, groupID).query(ctx, tx)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if _, ok := kept[id]; !ok {
			stale = append(stale, id)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return err
	}
	for _, chunk := range chunks(stale, s.d.MaxParams()-2) {
		q := s.stmt(`DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id IN `, tenantID, groupID).list(chunk)
		if _, err := q.exec(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// applyMemberOp runs one PATCH member operation.
func (s *Store) applyMemberOp(ctx context.Context, tx *sql.Tx, tenantID, groupID string, op scim.MemberOp) error {
	switch op.Kind {
	case scim.MemberAdd:
		members, err := s.resolveMembers(ctx, tx, tenantID, op.Members)
		if err != nil {
			return err
		}
		return s.insertMembers(ctx, tx, tenantID, groupID, members)
	case scim.MemberRemove:
		return s.removeMembers(ctx, tx, tenantID, groupID, op.Members)
	case scim.MemberReplace:
		_, err := s.replaceMembers(ctx, tx, tenantID, groupID, op.Members)
		return err
	case scim.MemberRemoveAll:
		_, err := s.stmt(`DELETE FROM group_members WHERE tenant_id = ? AND group_id = ?`, tenantID, groupID).exec(ctx, tx)
		return err
	case scim.MemberRemoveWhere:
		// One DELETE whose filter runs on the group's membership rows (the primary key's
		// (tenant_id, group_id) prefix bounds the scan to this group); cost is proportional to
		// the group, as any filter on it must be, but nothing is loaded into memory.
		q := s.stmt(`DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND (`, tenantID, groupID)
		cond, args, err := CompileMemberFilter(s.reg, s.d, op.Filter, q.next())
		if err != nil {
			return err
		}
		bctx, done := s.bounded(ctx)
		_, err = q.raw(cond, args...).add(`)`).exec(bctx, tx)
		return done(err)
	}
	return fmt.Errorf("unknown member operation %d", op.Kind)
}
