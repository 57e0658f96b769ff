package scim

import (
	"context"
	"time"

	"github.com/scimd/scimd/internal/filter"
)

// Query is a list request after the HTTP layer parsed and checked it.
type Query struct {
	// Filter selects resources; nil selects all.
	Filter filter.Expr
	// StartIndex is 1-based (RFC 7644 §3.4.2.4). Ignored with ByCursor.
	StartIndex int
	// Count is the page size, already clamped to the server maximum; 0 asks for totalResults
	// only.
	Count int
	// ByCursor selects cursor pagination (RFC 9865) instead of StartIndex: the page starts
	// after the position Cursor names, or at the beginning when Cursor is "".
	ByCursor bool
	// Cursor is, with ByCursor, "" for the first page or the NextCursor of an earlier page of
	// the same list (same resource type and filter). Anything else makes the store answer
	// 400 invalidCursor.
	Cursor string
}

// ListResult is one page of a list.
type ListResult struct {
	// Total is the exact number of resources matching the filter, in both pagination modes.
	Total     int
	Resources []*Resource
	// NextCursor is set, with Query.ByCursor, when resources follow this page: the cursor of
	// the next page. "" on the last page (RFC 9865 §2: its absence is what ends a walk) and
	// when Count was 0.
	NextCursor string
}

// Tenant is one customer of scimd; every resource and token belongs to exactly one.
type Tenant struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// TenantUsage is what a tenant holds: its users, groups and unrevoked tokens, and the time of
// its last provisioning event (nil when there is none).
type TenantUsage struct {
	Users, Groups, Tokens int
	LastChange            *time.Time
}

// Token is a bearer token's stored record. The secret itself is never stored, only its hash.
type Token struct {
	ID         string
	TenantID   string
	TenantName string
	Label      string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	// Hash is the SHA-256 of the secret as stored; filled by TokenByHash so that the caller can
	// verify it in constant time. Never rendered.
	Hash []byte
}

// ErrTenantNotEmpty is returned by DeleteTenant without force while the tenant has data.
var ErrTenantNotEmpty = &Error{Status: 409, Detail: "tenant still has users, groups or tokens; use --force to delete it with its data"}

// TenantStore keeps tenants.
type TenantStore interface {
	// CreateTenant adds a tenant. A taken name (names compare case-insensitively) is a 409
	// uniqueness *Error.
	CreateTenant(ctx context.Context, name string) (*Tenant, error)
	// TenantByName returns ErrNotFound for an unknown name.
	TenantByName(ctx context.Context, name string) (*Tenant, error)
	// ListTenants returns all tenants ordered by name.
	ListTenants(ctx context.Context) ([]*Tenant, error)
	// TenantUsage returns, by tenant id, how much each tenant holds and when it last changed,
	// for the admin's overview (scimctl tenant list). It counts rows, so it costs in
	// proportion to the data; it is not for request paths.
	TenantUsage(ctx context.Context) (map[string]TenantUsage, error)
	// DeleteTenant deletes a tenant. Without force it returns ErrTenantNotEmpty while the tenant
	// has users, groups or unrevoked tokens; with force it deletes them too. Unknown: ErrNotFound.
	DeleteTenant(ctx context.Context, name string, force bool) error
}

// TokenStore keeps bearer tokens (their hashes).
type TokenStore interface {
	// CreateToken stores t (TenantID, Label, ExpiresAt set by the caller) with the hash of its
	// secret and returns it with ID and CreatedAt filled in.
	CreateToken(ctx context.Context, t *Token, hash []byte) (*Token, error)
	// TokenByHash returns the token whose secret hashes to hash, revoked and expired ones
	// included (the caller decides); ErrNotFound when there is none.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// ListTokens returns the tokens of one tenant, or of all tenants when tenantID is "".
	ListTokens(ctx context.Context, tenantID string) ([]*Token, error)
	// RevokeToken marks a token revoked; ErrNotFound for an unknown id. Revoking twice is not an
	// error.
	RevokeToken(ctx context.Context, id string) error
	// RotateToken replaces token id by a new one for the same tenant and label, in one
	// transaction: the new token gets hash and expiresAt (nil: never), and the old one stops
	// working at oldUntil, or is revoked at once when oldUntil is not in the future. An old
	// expiry earlier than oldUntil is kept. It returns the new token and the old one as it now
	// is. ErrNotFound for an unknown id; a revoked token is a 409 (there is nothing to rotate).
	RotateToken(ctx context.Context, id string, hash []byte, expiresAt *time.Time, oldUntil time.Time) (next, old *Token, err error)
	// RecordTokenUse stores last-used times, batched by the caller so that authentication needs
	// no write per request.
	RecordTokenUse(ctx context.Context, used map[string]time.Time) error
}

// UserStore keeps users. Every method is scoped to one tenant: ids of another tenant are
// ErrNotFound.
type UserStore interface {
	// CreateUser inserts r; the store assigns ID and Meta. A userName already taken in the tenant
	// (compared case-insensitively, Unicode included) is a 409 uniqueness *Error.
	CreateUser(ctx context.Context, tenantID string, r *Resource) (*Resource, error)
	// GetUser returns one user; withGroups fills Groups from the membership table.
	GetUser(ctx context.Context, tenantID, id string, withGroups bool) (*Resource, error)
	// ReplaceUser stores r.Attributes (and r.PasswordHash when not "") for user r.ID if its
	// version is expectVersion (0 skips the check), bumping version and lastModified.
	// ErrVersionMismatch when the version moved on; ErrNotFound; 409 uniqueness.
	ReplaceUser(ctx context.Context, tenantID string, r *Resource, expectVersion int64) (*Resource, error)
	// PatchUser is ReplaceUser for the result of a PATCH: same arguments, same errors, but the
	// provisioning log records the change as a patch rather than a replace.
	PatchUser(ctx context.Context, tenantID string, r *Resource, expectVersion int64) (*Resource, error)
	// DeleteUser deletes a user and its memberships; ErrNotFound. A non-zero expectVersion
	// makes the delete conditional on the stored version in the same statement
	// (ErrVersionMismatch when it moved on), so an If-Match never deletes a newer version.
	DeleteUser(ctx context.Context, tenantID, id string, expectVersion int64) error
	// ListUsers returns one page of users matching q; withGroups fills Groups.
	ListUsers(ctx context.Context, tenantID string, q Query, withGroups bool) (*ListResult, error)
	// FillGroups sets the Groups (direct memberships) of each of users, with one query per
	// chunk of ids. The HTTP layer calls it on a few users of a page at a time, just before
	// writing them, so that a page of users in thousands of groups each is never held whole.
	FillGroups(ctx context.Context, tenantID string, users []*Resource) error
}

// MemberOpKind says what a MemberOp does to a group's member set.
type MemberOpKind int

// Member set operations.
const (
	MemberAdd         MemberOpKind = iota + 1 // add Members, ignoring ones already there
	MemberRemove                              // remove Members (by Value), ignoring absent ones
	MemberReplace                             // make Members the whole set
	MemberRemoveAll                           // remove every member
	MemberRemoveWhere                         // remove the members Filter matches
)

// MemberOp is one set operation on a group's members.
type MemberOp struct {
	Kind    MemberOpKind
	Members []Member
	// Filter, for MemberRemoveWhere, is the inner filter of a PATCH path members[filter]: it
	// names the sub-attributes of "members" (value, type and display; $ref is not filterable).
	// The store evaluates it on the membership rows; a filter it cannot evaluate is a 400
	// invalidFilter.
	Filter filter.Expr
}

// GroupPatch is the effect of one PATCH on a group, applied by the store in one transaction.
type GroupPatch struct {
	// Attributes, when not nil, replaces the group's attribute document, guarded by
	// ExpectVersion (0 skips the check).
	Attributes    map[string]any
	ExpectVersion int64
	// MemberOps run in order as set operations on the membership table: cost O(change), never
	// a load-and-rewrite of the member list.
	MemberOps []MemberOp
}

// GroupStore keeps groups and their memberships. Every method is scoped to one tenant.
type GroupStore interface {
	// CreateGroup inserts r and its r.Members. Member ids that do not exist in the tenant are a
	// 400 invalidValue *Error listing them.
	CreateGroup(ctx context.Context, tenantID string, r *Resource) (*Resource, error)
	// GetGroup returns one group without its members (use WalkMembers).
	GetGroup(ctx context.Context, tenantID, id string) (*Resource, error)
	// WalkMembers calls fn for each member of a group in a stable order, reading them in
	// batches, so a group of any size is never held in memory at once.
	WalkMembers(ctx context.Context, tenantID, groupID string, fn func(Member) error) error
	// ReplaceGroup stores r.Attributes and makes r.Members the whole member set (version check
	// as ReplaceUser). A nil r.Members keeps the members as they are (a PUT without
	// "members"), without reading them; an empty one removes them all.
	ReplaceGroup(ctx context.Context, tenantID string, r *Resource, expectVersion int64) (*Resource, error)
	// PatchGroup applies p in one transaction, bumps version and lastModified when anything
	// changed, and returns the group without members. Unknown member ids: 400 invalidValue.
	PatchGroup(ctx context.Context, tenantID, id string, p GroupPatch) (*Resource, error)
	// DeleteGroup deletes a group and every membership it is part of; ErrNotFound, and
	// ErrVersionMismatch as for DeleteUser when expectVersion is non-zero.
	DeleteGroup(ctx context.Context, tenantID, id string, expectVersion int64) error
	// ListGroups returns one page of groups matching q, without members.
	ListGroups(ctx context.Context, tenantID string, q Query) (*ListResult, error)
}

// Store is everything a backend (Postgres, the embedded SQLite file) provides.
type Store interface {
	TenantStore
	TokenStore
	UserStore
	GroupStore
	// Ping reports whether the database answers (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close()
}

type actorKey struct{}

// WithActor returns a context that records which token acts, for the provisioning events the
// store appends with every change.
func WithActor(ctx context.Context, tokenID string) context.Context {
	return context.WithValue(ctx, actorKey{}, tokenID)
}

// ActorFrom returns the token id set by WithActor, or "".
func ActorFrom(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}
