package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/scim"
)

// userColumns are the columns extracted from a user's document into their own (indexed)
// columns, and its emails rows.
type userColumns struct {
	userName    string
	externalID  any // string or nil
	displayName any
	displayFold any
	active      any // bool or nil
	emails      []emailRow
}

// emailRow is one row of user_emails.
type emailRow struct {
	ord       int
	valueFold string
	typ       any
}

// MaxIndexedBytes bounds the strings kept in indexed columns: userName, displayName,
// externalId and emails.value, as sent and in the case-folded form the *_fold columns index. A
// PostgreSQL btree entry must fit in about a third of a page (2704 bytes), so a longer value
// failed the write with an internal error there; the limit is checked on every backend so that
// both accept the same documents.
const MaxIndexedBytes = 2048

// checkIndexed refuses value (attribute name) when it, or its folded form when the column
// holds that, is longer than MaxIndexedBytes.
func checkIndexed(name, value, folded string) error {
	switch {
	case len(value) > MaxIndexedBytes:
		return scim.InvalidValue("attribute %q is longer than %d bytes", name, MaxIndexedBytes)
	case len(folded) > MaxIndexedBytes:
		return scim.InvalidValue("attribute %q is longer than %d bytes once case-folded", name, MaxIndexedBytes)
	}
	return nil
}

// requiredName returns the required, indexed name attribute attr (userName, a group's
// displayName) of doc.
func requiredName(doc map[string]any, attr string) (string, error) {
	name, _ := doc[attr].(string)
	if strings.TrimSpace(name) == "" {
		return "", scim.InvalidValue("attribute %q is required", attr)
	}
	return name, checkIndexed(attr, name, scim.Fold(name))
}

// externalID returns doc's externalId as a column value (nil when absent), checked for the
// index (case-exact, so not folded).
func externalID(doc map[string]any) (any, error) {
	v := optString(doc["externalId"])
	if id, ok := v.(string); ok {
		if err := checkIndexed("externalId", id, ""); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// extractUser reads the hot columns from a user document.
func extractUser(doc map[string]any) (*userColumns, error) {
	name, err := requiredName(doc, "userName")
	if err != nil {
		return nil, err
	}
	extID, err := externalID(doc)
	if err != nil {
		return nil, err
	}
	c := &userColumns{userName: name, externalID: extID}
	if dn, ok := doc["displayName"].(string); ok && dn != "" {
		c.displayName, c.displayFold = dn, scim.Fold(dn)
		if err := checkIndexed("displayName", dn, scim.Fold(dn)); err != nil {
			return nil, err
		}
	}
	if a, ok := doc["active"].(bool); ok {
		c.active = a
	}
	if list, ok := doc["emails"].([]any); ok {
		for i, e := range list {
			m, _ := e.(map[string]any)
			v, _ := m["value"].(string)
			if v == "" {
				continue
			}
			row := emailRow{ord: i, valueFold: scim.Fold(v), typ: optString(m["type"])}
			if err := checkIndexed("emails.value", v, row.valueFold); err != nil {
				return nil, err
			}
			c.emails = append(c.emails, row)
		}
	}
	return c, nil
}

// optString returns v when it is a non-empty string, else nil.
func optString(v any) any {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return nil
}

// uniqueUserName is the 409 for a taken userName.
func uniqueUserName(name string) error {
	return scim.Uniqueness("userName %q is already taken", name)
}

// CreateUser implements scim.UserStore.
func (s *Store) CreateUser(ctx context.Context, tenantID string, r *scim.Resource) (*scim.Resource, error) {
	if !validID(tenantID) {
		return nil, scim.ErrNotFound
	}
	cols, err := extractUser(r.Attributes)
	if err != nil {
		return nil, err
	}
	doc, err := encodeWrite(r.Attributes)
	if err != nil {
		return nil, err
	}
	id, at := uuid.NewString(), now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.stmt(`INSERT INTO users (tenant_id, id, user_name, user_name_fold, external_id, display_name,
			display_name_fold, active, doc, password_hash, version, created_at, last_modified)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			tenantID, id, cols.userName, scim.Fold(cols.userName), cols.externalID, cols.displayName,
			cols.displayFold, cols.active, doc, nullString(r.PasswordHash), s.d.TimeArg(at), s.d.TimeArg(at)).exec(ctx, tx)
		switch s.classify(err) {
		case ErrUniqueViolation:
			return uniqueUserName(cols.userName)
		case ErrForeignKeyViolation:
			return scim.ErrNotFound // no such tenant
		}
		if err != nil {
			return err
		}
		if err := s.insertEmails(ctx, tx, tenantID, id, cols.emails); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, tenantID, OpCreate, scim.ResourceUser, id, at)
	})
	if err != nil {
		return nil, err
	}
	return &scim.Resource{
		ID: id, Type: scim.ResourceUser, Attributes: r.Attributes, PasswordHash: r.PasswordHash,
		Meta: scim.Meta{Created: at, LastModified: at, Version: 1},
	}, nil
}

// insertEmails writes a user's user_emails rows, batched.
func (s *Store) insertEmails(ctx context.Context, tx *sql.Tx, tenantID, userID string, emails []emailRow) error {
	per := max(1, s.d.MaxParams()/5)
	for len(emails) > 0 {
		n := min(per, len(emails))
		q := s.stmt(`INSERT INTO user_emails (tenant_id, user_id, ord, value_fold, type) VALUES `)
		for i, e := range emails[:n] {
			if i > 0 {
				q.add(", ")
			}
			q.add("(?, ?, ?, ?, ?)", tenantID, userID, e.ord, e.valueFold, e.typ)
		}
		if _, err := q.exec(ctx, tx); err != nil {
			return err
		}
		emails = emails[n:]
	}
	return nil
}

// GetUser implements scim.UserStore.
func (s *Store) GetUser(ctx context.Context, tenantID, id string, withGroups bool) (*scim.Resource, error) {
	if !validID(tenantID) || !validID(id) {
		return nil, scim.ErrNotFound
	}
	r, err := scanUser(s.stmt(`SELECT id, doc, password_hash, version, created_at, last_modified
		FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id).queryRow(ctx, s.db))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, scim.ErrNotFound
	}
	if err != nil {
		return nil, s.translate(ctx, err)
	}
	if withGroups {
		if err := s.FillGroups(ctx, tenantID, []*scim.Resource{r}); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// userSelect is the select list scanUser reads.
const userSelect = `SELECT users.id, users.doc, users.password_hash, users.version, users.created_at, users.last_modified FROM users`

func scanUser(r rowScanner) (*scim.Resource, error) {
	res := &scim.Resource{Type: scim.ResourceUser}
	var doc []byte
	var pw sql.NullString
	var created, modified timeCol
	if err := r.Scan(&res.ID, &doc, &pw, &res.Meta.Version, &created, &modified); err != nil {
		return nil, err
	}
	attrs, err := decodeDoc(doc)
	if err != nil {
		return nil, err
	}
	res.Attributes, res.PasswordHash = attrs, pw.String
	res.Meta.Created, res.Meta.LastModified = created.t, modified.t
	return res, nil
}

// FillGroups implements scim.UserStore: it sets Groups of every user in page with one query
// per chunk of ids.
func (s *Store) FillGroups(ctx context.Context, tenantID string, page []*scim.Resource) error {
	byID := make(map[string]*scim.Resource, len(page))
	ids := make([]string, 0, len(page))
	for _, r := range page {
		r.Groups = []scim.GroupRef{}
		byID[r.ID] = r
		ids = append(ids, r.ID)
	}
	for _, chunk := range chunks(ids, s.d.MaxParams()-1) {
		q := s.stmt(`SELECT m.member_id, g.id, g.display_name FROM group_members m
			JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
			WHERE m.tenant_id = ? AND m.member_id IN `, tenantID).list(chunk).add(` ORDER BY g.display_name_fold, g.id`)
		rows, err := q.query(ctx, s.db)
		if err != nil {
			return s.translate(ctx, err)
		}
		for rows.Next() {
			var member string
			var g scim.GroupRef
			if err := rows.Scan(&member, &g.Value, &g.Display); err != nil {
				rows.Close()
				return s.translate(ctx, err)
			}
			g.Type = "direct"
			if r := byID[member]; r != nil {
				r.Groups = append(r.Groups, g)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return s.translate(ctx, err)
		}
	}
	return nil
}

// ReplaceUser implements scim.UserStore.
func (s *Store) ReplaceUser(ctx context.Context, tenantID string, r *scim.Resource, expectVersion int64) (*scim.Resource, error) {
	return s.rewriteUser(ctx, tenantID, r, expectVersion, OpReplace)
}

// PatchUser implements scim.UserStore.
func (s *Store) PatchUser(ctx context.Context, tenantID string, r *scim.Resource, expectVersion int64) (*scim.Resource, error) {
	return s.rewriteUser(ctx, tenantID, r, expectVersion, OpPatch)
}

// rewriteUser stores a user's new document for ReplaceUser and PatchUser, which differ only in
// the operation op the provisioning log records.
func (s *Store) rewriteUser(ctx context.Context, tenantID string, r *scim.Resource, expectVersion int64, op string) (*scim.Resource, error) {
	if !validID(tenantID) || !validID(r.ID) {
		return nil, scim.ErrNotFound
	}
	cols, err := extractUser(r.Attributes)
	if err != nil {
		return nil, err
	}
	doc, err := encodeWrite(r.Attributes)
	if err != nil {
		return nil, err
	}
	at := now()
	out := &scim.Resource{ID: r.ID, Type: scim.ResourceUser, Attributes: r.Attributes}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		q := s.stmt(`UPDATE users SET user_name = ?, user_name_fold = ?, external_id = ?, display_name = ?,
			display_name_fold = ?, active = ?, doc = ?, version = version + 1, last_modified = ?`,
			cols.userName, scim.Fold(cols.userName), cols.externalID, cols.displayName, cols.displayFold,
			cols.active, doc, s.d.TimeArg(at))
		if r.PasswordHash != "" {
			q.add(`, password_hash = ?`, r.PasswordHash)
		}
		q.add(` WHERE tenant_id = ? AND id = ?`, tenantID, r.ID)
		if expectVersion != 0 {
			q.add(` AND version = ?`, expectVersion)
		}
		q.add(` RETURNING version, created_at, password_hash`)
		var created timeCol
		var pw sql.NullString
		err := q.queryRow(ctx, tx).Scan(&out.Meta.Version, &created, &pw)
		if errors.Is(err, sql.ErrNoRows) {
			return s.missingOrMoved(ctx, tx, "users", tenantID, r.ID)
		}
		if s.classify(err) == ErrUniqueViolation {
			return uniqueUserName(cols.userName)
		}
		if err != nil {
			return err
		}
		out.Meta.Created, out.Meta.LastModified, out.PasswordHash = created.t, at, pw.String
		if _, err := s.stmt(`DELETE FROM user_emails WHERE tenant_id = ? AND user_id = ?`, tenantID, r.ID).exec(ctx, tx); err != nil {
			return err
		}
		if err := s.insertEmails(ctx, tx, tenantID, r.ID, cols.emails); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, tenantID, op, scim.ResourceUser, r.ID, at)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// missingOrMoved explains why a guarded UPDATE of table matched no row: the resource does not
// exist (ErrNotFound) or its version moved on (ErrVersionMismatch).
func (s *Store) missingOrMoved(ctx context.Context, tx *sql.Tx, table, tenantID, id string) error {
	var one int
	err := s.stmt(`SELECT 1 FROM `+table+` WHERE tenant_id = ? AND id = ?`, tenantID, id).queryRow(ctx, tx).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return scim.ErrNotFound
	}
	if err != nil {
		return err
	}
	return scim.ErrVersionMismatch
}

// DeleteUser implements scim.UserStore.
func (s *Store) DeleteUser(ctx context.Context, tenantID, id string, expectVersion int64) error {
	if !validID(tenantID) || !validID(id) {
		return scim.ErrNotFound
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.deleteResource(ctx, tx, "users", scim.ResourceUser, tenantID, id, expectVersion)
	})
}

// deleteResource deletes a user or group row (its emails or own memberships cascade), the
// memberships where it is a member, and logs the event. A non-zero expectVersion guards the
// DELETE itself, so a concurrent write between the client's read and its delete is a 412,
// never a silently deleted newer version.
//
// The resource row is deleted before its memberships on purpose: the DELETE takes the row
// lock that findMembers' shared lock waits for (Postgres), so a member add that raced with
// this delete either committed first, and its row is seen and removed by the membership
// DELETE below (a new statement under READ COMMITTED), or waits and then finds the resource
// gone (400). SQLite serialises writers, so there is no race to close there.
func (s *Store) deleteResource(ctx context.Context, tx *sql.Tx, table, resourceType, tenantID, id string, expectVersion int64) error {
	q := s.stmt(`DELETE FROM `+table+` WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if expectVersion != 0 {
		q.add(` AND version = ?`, expectVersion)
	}
	res, err := q.exec(ctx, tx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if expectVersion != 0 {
			return s.missingOrMoved(ctx, tx, table, tenantID, id)
		}
		return scim.ErrNotFound
	}
	if _, err := s.stmt(`DELETE FROM group_members WHERE tenant_id = ? AND member_id = ?`, tenantID, id).exec(ctx, tx); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, tenantID, OpDelete, resourceType, id, now())
}

// ListUsers implements scim.UserStore.
func (s *Store) ListUsers(ctx context.Context, tenantID string, q scim.Query, withGroups bool) (*scim.ListResult, error) {
	res, err := s.list(ctx, tenantID, s.userRT, "users", userSelect, q, scanUser)
	if err != nil || !withGroups || len(res.Resources) == 0 {
		return res, err
	}
	if err := s.FillGroups(ctx, tenantID, res.Resources); err != nil {
		return nil, err
	}
	return res, nil
}

// list runs the count and page queries of a list request over table, paged by index
// (LIMIT/OFFSET) or, with q.ByCursor, by keyset cursor (RFC 9865).
//
// Both orders are (created_at, id), served by the (tenant_id, created_at, id) index. OFFSET n
// makes the database read and discard n rows, so a deep index page costs O(n); a cursor page
// starts at its position with one index range, `(created_at, id) > (?, ?)`, a row-value
// comparison both Postgres and SQLite turn into an index bound, so it costs O(page) wherever it
// is in the tenant. totalResults stays exact in both modes: the COUNT is still O(matches), but
// it reads only the index, not the rows an OFFSET skips.
func (s *Store) list(ctx context.Context, tenantID string, rt *scim.ResourceType, table, selectList string,
	q scim.Query, scan func(rowScanner) (*scim.Resource, error)) (*scim.ListResult, error) {
	ctx, done := s.bounded(ctx)
	res, err := s.listBounded(ctx, tenantID, rt, table, selectList, q, scan)
	return res, done(err)
}

// listBounded is list under the query timeout.
func (s *Store) listBounded(ctx context.Context, tenantID string, rt *scim.ResourceType, table, selectList string,
	q scim.Query, scan func(rowScanner) (*scim.Resource, error)) (*scim.ListResult, error) {
	// The cursor is checked before anything else, so a bad one is a 400 whatever the tenant.
	var after *scim.CursorPosition
	if q.ByCursor && q.Cursor != "" {
		pos, err := scim.DecodeCursor(q.Cursor, rt.Name, q.Filter)
		if err != nil {
			return nil, err
		}
		after = &pos
	}
	out := &scim.ListResult{Resources: []*scim.Resource{}}
	if !validID(tenantID) {
		return out, nil
	}
	where := newStmt(s.d).add(` WHERE `+table+`.tenant_id = ? AND (`, tenantID)
	cond, args, err := CompileFilter(s.reg, rt, s.d, q.Filter, where.next())
	if err != nil {
		return nil, err
	}
	where.raw(cond, args...).add(`)`)

	count := newStmt(s.d).add(`SELECT COUNT(*) FROM `+table).raw(where.String(), where.args...)
	if err := count.queryRow(ctx, s.db).Scan(&out.Total); err != nil {
		return nil, s.translate(ctx, err)
	}
	if q.Count <= 0 || out.Total == 0 {
		return out, nil
	}
	page := newStmt(s.d).add(selectList).raw(where.String(), where.args...)
	order := ` ORDER BY ` + table + `.created_at, ` + table + `.id`
	if q.ByCursor {
		if after != nil {
			page.add(` AND (`+table+`.created_at, `+table+`.id) > (?, ?)`, s.d.TimeColumnArg(after.Created), after.ID)
		}
		// One row more than the page tells whether another page follows, so that the last
		// page carries no nextCursor (RFC 9865 §2) without a second query.
		page.add(order+` LIMIT ?`, q.Count+1)
	} else {
		offset := max(q.StartIndex, 1) - 1
		if offset >= out.Total {
			return out, nil
		}
		page.add(order+` LIMIT ? OFFSET ?`, q.Count, offset)
	}
	rows, err := page.query(ctx, s.db)
	if err != nil {
		return nil, s.translate(ctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, s.translate(ctx, err)
		}
		out.Resources = append(out.Resources, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.translate(ctx, err)
	}
	if q.ByCursor && len(out.Resources) > q.Count {
		out.Resources = out.Resources[:q.Count]
		// The position is the last row's created_at as the database returned it (the stored
		// microseconds), never a time computed in Go, so the next page starts exactly after it.
		last := out.Resources[q.Count-1]
		out.NextCursor, err = scim.EncodeCursor(rt.Name, q.Filter, scim.CursorPosition{Created: last.Meta.Created, ID: last.ID})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
