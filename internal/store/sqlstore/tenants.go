package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/scim"
)

// CreateTenant implements scim.TenantStore.
func (s *Store) CreateTenant(ctx context.Context, name string) (*scim.Tenant, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, scim.InvalidValue("tenant name must not be empty")
	}
	t := &scim.Tenant{ID: uuid.NewString(), Name: name, CreatedAt: now()}
	_, err := s.stmt(`INSERT INTO tenants (id, name, name_fold, created_at) VALUES (?, ?, ?, ?)`,
		t.ID, t.Name, scim.Fold(name), s.d.TimeArg(t.CreatedAt)).exec(ctx, s.db)
	if err != nil {
		if s.classify(err) == ErrUniqueViolation {
			return nil, scim.Uniqueness("tenant %q already exists", name)
		}
		return nil, s.translate(ctx, err)
	}
	return t, nil
}

// TenantByName implements scim.TenantStore.
func (s *Store) TenantByName(ctx context.Context, name string) (*scim.Tenant, error) {
	t, err := scanTenant(s.stmt(`SELECT id, name, created_at FROM tenants WHERE name_fold = ?`,
		scim.Fold(strings.TrimSpace(name))).queryRow(ctx, s.db))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, scim.ErrNotFound
	}
	return t, s.translate(ctx, err)
}

// ListTenants implements scim.TenantStore. The number of tenants is small (one per customer),
// so they are returned at once.
func (s *Store) ListTenants(ctx context.Context) ([]*scim.Tenant, error) {
	rows, err := s.stmt(`SELECT id, name, created_at FROM tenants ORDER BY name_fold, name, id`).query(ctx, s.db)
	if err != nil {
		return nil, s.translate(ctx, err)
	}
	defer rows.Close()
	var out []*scim.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, s.translate(ctx, err)
		}
		out = append(out, t)
	}
	return out, s.translate(ctx, rows.Err())
}

// TenantUsage implements scim.TenantStore: one statement of per-tenant subqueries, each an
// index range of its table (every key leads with tenant_id); the last change is the newest
// event, read from events_at_idx.
func (s *Store) TenantUsage(ctx context.Context) (map[string]scim.TenantUsage, error) {
	rows, err := s.stmt(`SELECT t.id,
		(SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id),
		(SELECT COUNT(*) FROM groups g WHERE g.tenant_id = t.id),
		(SELECT COUNT(*) FROM tokens k WHERE k.tenant_id = t.id AND k.revoked_at IS NULL),
		(SELECT MAX(e.at) FROM events e WHERE e.tenant_id = t.id)
		FROM tenants t`).query(ctx, s.db)
	if err != nil {
		return nil, s.translate(ctx, err)
	}
	defer rows.Close()
	out := map[string]scim.TenantUsage{}
	for rows.Next() {
		var id string
		var u scim.TenantUsage
		var last timeCol
		if err := rows.Scan(&id, &u.Users, &u.Groups, &u.Tokens, &last); err != nil {
			return nil, s.translate(ctx, err)
		}
		u.LastChange = last.ptr()
		out[id] = u
	}
	return out, s.translate(ctx, rows.Err())
}

// DeleteTenant implements scim.TenantStore. The foreign keys cascade from the tenant row to
// everything it owns.
func (s *Store) DeleteTenant(ctx context.Context, name string, force bool) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		err := s.stmt(`SELECT id FROM tenants WHERE name_fold = ?`, scim.Fold(strings.TrimSpace(name))).queryRow(ctx, tx).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return scim.ErrNotFound
		}
		if err != nil {
			return err
		}
		if !force {
			var busy bool
			err := s.stmt(`SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = ?)
				OR EXISTS (SELECT 1 FROM groups WHERE tenant_id = ?)
				OR EXISTS (SELECT 1 FROM tokens WHERE tenant_id = ? AND revoked_at IS NULL)`, id, id, id).queryRow(ctx, tx).Scan(&busy)
			if err != nil {
				return err
			}
			if busy {
				return scim.ErrTenantNotEmpty
			}
		}
		_, err = s.stmt(`DELETE FROM tenants WHERE id = ?`, id).exec(ctx, tx)
		return err
	})
}

type rowScanner interface{ Scan(dest ...any) error }

func scanTenant(r rowScanner) (*scim.Tenant, error) {
	var t scim.Tenant
	var created timeCol
	if err := r.Scan(&t.ID, &t.Name, &created); err != nil {
		return nil, err
	}
	t.CreatedAt = created.t
	return &t, nil
}
