package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/scim"
)

// tokenColumns is the select list scanToken reads; the query joins tokens k with tenants t.
const tokenColumns = `k.id, k.tenant_id, t.name, k.label, k.created_at, k.expires_at, k.last_used_at, k.revoked_at, k.hash`

// CreateToken implements scim.TokenStore. An unknown tenant is ErrNotFound.
func (s *Store) CreateToken(ctx context.Context, t *scim.Token, hash []byte) (*scim.Token, error) {
	if t == nil || !validID(t.TenantID) {
		return nil, scim.ErrNotFound
	}
	if len(hash) == 0 {
		return nil, errors.New("create token: empty hash")
	}
	out := *t
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return s.insertToken(ctx, tx, &out, hash)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// insertToken stores t (TenantID, Label, ExpiresAt) as a new token with hash, fills in ID,
// CreatedAt and TenantName, and logs its creation.
func (s *Store) insertToken(ctx context.Context, tx *sql.Tx, t *scim.Token, hash []byte) error {
	t.ID = uuid.NewString()
	t.CreatedAt = now()
	t.LastUsedAt, t.RevokedAt = nil, nil
	err := s.stmt(`SELECT name FROM tenants WHERE id = ?`, t.TenantID).queryRow(ctx, tx).Scan(&t.TenantName)
	if errors.Is(err, sql.ErrNoRows) {
		return scim.ErrNotFound
	}
	if err != nil {
		return err
	}
	_, err = s.stmt(`INSERT INTO tokens (id, tenant_id, label, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.TenantID, t.Label, hash, s.d.TimeArg(t.CreatedAt), s.timeArg(t.ExpiresAt)).exec(ctx, tx)
	if s.classify(err) == ErrForeignKeyViolation {
		return scim.ErrNotFound // the tenant was deleted meanwhile
	}
	if err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, t.TenantID, OpCreate, ResourceToken, t.ID, t.CreatedAt)
}

// errTokenRevoked is RotateToken's answer for a revoked token.
var errTokenRevoked = &scim.Error{Status: 409, Detail: "the token is revoked; create a new one with token create"}

// RotateToken implements scim.TokenStore.
func (s *Store) RotateToken(ctx context.Context, id string, hash []byte, expiresAt *time.Time, oldUntil time.Time) (next, old *scim.Token, err error) {
	if !validID(id) {
		return nil, nil, scim.ErrNotFound
	}
	if len(hash) == 0 {
		return nil, nil, errors.New("rotate token: empty hash")
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// Lock the token row (Postgres; SQLite's writers are serialised), and only it, not the
		// tenant row that every provisioning write's foreign key check shares: two rotations of
		// one token take turns, and the second sees the expiry or revocation the first set.
		var locked string
		err := s.stmt(`SELECT id FROM tokens WHERE id = ?`, id).raw(s.d.RowLock()).queryRow(ctx, tx).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return scim.ErrNotFound
		}
		if err != nil {
			return err
		}
		o, err := scanToken(s.stmt(`SELECT `+tokenColumns+` FROM tokens k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = ?`, id).
			queryRow(ctx, tx))
		if err != nil {
			return err
		}
		if o.RevokedAt != nil {
			return errTokenRevoked
		}
		at := now()
		if oldUntil.After(at) {
			if o.ExpiresAt == nil || o.ExpiresAt.After(oldUntil) {
				until := oldUntil.UTC()
				o.ExpiresAt = &until
			}
		} else {
			o.RevokedAt = &at
		}
		if _, err := s.stmt(`UPDATE tokens SET expires_at = ?, revoked_at = ? WHERE id = ?`,
			s.timeArg(o.ExpiresAt), s.timeArg(o.RevokedAt), id).exec(ctx, tx); err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tx, o.TenantID, OpRotate, ResourceToken, id, at); err != nil {
			return err
		}
		n := &scim.Token{TenantID: o.TenantID, Label: o.Label, ExpiresAt: expiresAt}
		if err := s.insertToken(ctx, tx, n, hash); err != nil {
			return err
		}
		next, old = n, o
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	old.Hash = nil
	return next, old, nil
}

// TokenByHash implements scim.TokenStore.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*scim.Token, error) {
	t, err := scanToken(s.stmt(`SELECT `+tokenColumns+` FROM tokens k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = ?`,
		hash).queryRow(ctx, s.db))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, scim.ErrNotFound
	}
	return t, s.translate(ctx, err)
}

// ListTokens implements scim.TokenStore. Tokens are few per tenant (a handful per identity
// provider), so they are returned at once.
func (s *Store) ListTokens(ctx context.Context, tenantID string) ([]*scim.Token, error) {
	q := s.stmt(`SELECT ` + tokenColumns + ` FROM tokens k JOIN tenants t ON t.id = k.tenant_id`)
	if tenantID != "" {
		if !validID(tenantID) {
			return nil, nil
		}
		q.add(` WHERE k.tenant_id = ?`, tenantID)
	}
	q.add(` ORDER BY t.name_fold, k.created_at, k.id`)
	rows, err := q.query(ctx, s.db)
	if err != nil {
		return nil, s.translate(ctx, err)
	}
	defer rows.Close()
	var out []*scim.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, s.translate(ctx, err)
		}
		out = append(out, t)
	}
	return out, s.translate(ctx, rows.Err())
}

// RevokeToken implements scim.TokenStore. Revoking again keeps the first revocation time.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	if !validID(id) {
		return scim.ErrNotFound
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var tenantID string
		err := s.stmt(`SELECT tenant_id FROM tokens WHERE id = ?`, id).queryRow(ctx, tx).Scan(&tenantID)
		if errors.Is(err, sql.ErrNoRows) {
			return scim.ErrNotFound
		}
		if err != nil {
			return err
		}
		// Only the first revocation changes anything, and only it is logged.
		at := now()
		res, err := s.stmt(`UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.d.TimeArg(at), id).exec(ctx, tx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return s.appendEvent(ctx, tx, tenantID, OpRevoke, ResourceToken, id, at)
	})
}

// RecordTokenUse implements scim.TokenStore: one UPDATE per token in one transaction, in id
// order so that replicas flushing at the same time lock rows in the same order. last_used_at
// only moves forward, so a late flush from another replica cannot move it back. Unknown ids
// are ignored (the token may have been deleted with its tenant).
func (s *Store) RecordTokenUse(ctx context.Context, used map[string]time.Time) error {
	ids := make([]string, 0, len(used))
	for id := range used {
		if validID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			at := s.d.TimeArg(used[id].UTC().Truncate(time.Microsecond))
			_, err := s.stmt(`UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
				at, id, at).exec(ctx, tx)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func scanToken(r rowScanner) (*scim.Token, error) {
	var t scim.Token
	var created, expires, used, revoked timeCol
	if err := r.Scan(&t.ID, &t.TenantID, &t.TenantName, &t.Label, &created, &expires, &used, &revoked, &t.Hash); err != nil {
		return nil, err
	}
	t.CreatedAt = created.t
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = expires.ptr(), used.ptr(), revoked.ptr()
	return &t, nil
}
