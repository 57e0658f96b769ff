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
	out.ID = uuid.NewString()
	out.CreatedAt = now()
	out.LastUsedAt, out.RevokedAt = nil, nil
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := s.stmt(`SELECT name FROM tenants WHERE id = ?`, t.TenantID).queryRow(ctx, tx).Scan(&out.TenantName)
		if errors.Is(err, sql.ErrNoRows) {
			return scim.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = s.stmt(`INSERT INTO tokens (id, tenant_id, label, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			out.ID, out.TenantID, out.Label, hash, s.d.TimeArg(out.CreatedAt), s.timeArg(out.ExpiresAt)).exec(ctx, tx)
		if s.classify(err) == ErrForeignKeyViolation {
			return scim.ErrNotFound // the tenant was deleted meanwhile
		}
		if err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, out.TenantID, OpCreate, ResourceToken, out.ID, out.CreatedAt)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
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
