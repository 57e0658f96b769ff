// Package storetest is the backend-independent test suite of scim.Store: every backend runs
// the same cases through Run, each case on a fresh, empty, migrated store.
package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// Opener returns a fresh, empty, migrated store for one test; it registers its own cleanup.
type Opener func(t *testing.T) scim.Store

// RawDB is implemented by stores that expose their database handle (sqlstore.Store); the
// suite uses it to look for rows the store's own reads would hide.
type RawDB interface {
	DB() *sql.DB
}

// EventLister is implemented by stores that expose the provisioning log (sqlstore.Store).
type EventLister interface {
	ListEvents(ctx context.Context, tenantID string, afterID int64, limit int) ([]sqlstore.Event, error)
}

// Run runs the whole suite against the stores open returns. Cases run in parallel.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s scim.Store)
	}{
		{"Tenants", testTenants},
		{"TenantDelete", testTenantDelete},
		{"TenantUsage", testTenantUsage},
		{"Tokens", testTokens},
		{"TokenRotate", testTokenRotate},
		{"UserCRUD", testUserCRUD},
		{"UserNameUniqueness", testUserNameUniqueness},
		{"UserVersion", testUserVersion},
		{"UserPatch", testUserPatch},
		{"UserGroupsAttribute", testUserGroups},
		{"BadIDs", testBadIDs},
		{"GroupCreateMembers", testGroupCreateMembers},
		{"GroupUnknownMembers", testGroupUnknownMembers},
		{"GroupPatchMembers", testGroupPatchMembers},
		{"GroupRemoveMembersWhere", testGroupRemoveMembersWhere},
		{"GroupPatchAttributes", testGroupPatchAttributes},
		{"GroupReplace", testGroupReplace},
		{"WalkLargeGroup", testWalkLargeGroup},
		{"DeleteRemovesMemberships", testDeleteRemovesMemberships},
		{"DeleteExpectVersion", testDeleteExpectVersion},
		{"MemberAddRacesDelete", testMemberAddRacesDelete},
		{"ConcurrentMemberAdds", testConcurrentMemberAdds},
		{"ListPagination", testListPagination},
		{"ListFilter", testListFilter},
		{"CursorWalk", testCursorWalk},
		{"CursorTies", testCursorTies},
		{"CursorPrecision", testCursorPrecision},
		{"CursorConcurrentWrites", testCursorConcurrentWrites},
		{"CursorInvalid", testCursorInvalid},
		{"TenantIsolation", testTenantIsolation},
		{"Events", testEvents},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open(t))
		})
	}
}

// --- helpers -------------------------------------------------------------------------------

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return scim.WithActor(ctx, "")
}

func newTenant(t *testing.T, s scim.Store, name string) *scim.Tenant {
	t.Helper()
	tn, err := s.CreateTenant(ctxFor(t), name)
	require.NoError(t, err)
	return tn
}

func userDoc(userName string) map[string]any {
	return map[string]any{
		"userName":    userName,
		"displayName": "Display " + userName,
		"active":      true,
		"emails": []any{
			map[string]any{"value": userName + "@Example.COM", "type": "work", "primary": true},
		},
	}
}

func newUser(t *testing.T, s scim.Store, tenantID, userName string) *scim.Resource {
	t.Helper()
	u, err := s.CreateUser(ctxFor(t), tenantID, &scim.Resource{Type: scim.ResourceUser, Attributes: userDoc(userName)})
	require.NoError(t, err)
	return u
}

func newGroup(t *testing.T, s scim.Store, tenantID, name string, members ...scim.Member) *scim.Resource {
	t.Helper()
	g, err := s.CreateGroup(ctxFor(t), tenantID, &scim.Resource{
		Type: scim.ResourceGroup, Attributes: map[string]any{"displayName": name}, Members: members,
	})
	require.NoError(t, err)
	return g
}

func userMember(u *scim.Resource) scim.Member {
	return scim.Member{Value: u.ID, Type: scim.ResourceUser}
}

// memberIDs walks a group and returns its member ids in walk order.
func memberIDs(t *testing.T, s scim.Store, tenantID, groupID string) []string {
	t.Helper()
	var ids []string
	require.NoError(t, s.WalkMembers(ctxFor(t), tenantID, groupID, func(m scim.Member) error {
		ids = append(ids, m.Value)
		return nil
	}))
	return ids
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func orEmpty(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// assertSCIMError checks that err is a *scim.Error with the given status and scimType.
func assertSCIMError(t *testing.T, err error, status int, scimType string) *scim.Error {
	t.Helper()
	e, ok := scim.AsError(err)
	require.True(t, ok, "want *scim.Error %d %s, got %v", status, scimType, err)
	assert.Equal(t, status, e.Status, "status of %v", err)
	assert.Equal(t, scimType, e.Type, "scimType of %v", err)
	return e
}

// --- tenants and tokens --------------------------------------------------------------------

func testTenants(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	b := newTenant(t, s, "beta")
	a := newTenant(t, s, "Alpha")
	assert.NotEmpty(t, a.ID)
	assert.False(t, a.CreatedAt.IsZero())

	_, err := s.CreateTenant(ctx, "ALPHA")
	assertSCIMError(t, err, http.StatusConflict, scim.TypeUniqueness)
	_, err = s.CreateTenant(ctx, "  ")
	assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)

	got, err := s.TenantByName(ctx, "alpha")
	require.NoError(t, err)
	assert.Equal(t, a.ID, got.ID)
	assert.Equal(t, "Alpha", got.Name)
	assert.True(t, a.CreatedAt.Equal(got.CreatedAt))

	_, err = s.TenantByName(ctx, "gamma")
	assert.ErrorIs(t, err, scim.ErrNotFound)

	list, err := s.ListTenants(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []string{a.ID, b.ID}, []string{list[0].ID, list[1].ID})
}

// testTenantUsage checks the per-tenant counts and last change of scimctl tenant list.
func testTenantUsage(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	a, b := newTenant(t, s, "a"), newTenant(t, s, "b")
	usage, err := s.TenantUsage(ctx)
	require.NoError(t, err)
	assert.Equal(t, scim.TenantUsage{}, usage[b.ID], "an empty tenant")

	u := newUser(t, s, a.ID, "u1")
	newUser(t, s, a.ID, "u2")
	newGroup(t, s, a.ID, "g", userMember(u))
	tok, err := s.CreateToken(ctx, &scim.Token{TenantID: a.ID}, []byte("h-usage-1"))
	require.NoError(t, err)
	_, err = s.CreateToken(ctx, &scim.Token{TenantID: a.ID}, []byte("h-usage-2"))
	require.NoError(t, err)
	require.NoError(t, s.RevokeToken(ctx, tok.ID))
	newUser(t, s, b.ID, "other")

	usage, err = s.TenantUsage(ctx)
	require.NoError(t, err)
	ua := usage[a.ID]
	assert.Equal(t, 2, ua.Users)
	assert.Equal(t, 1, ua.Groups)
	assert.Equal(t, 1, ua.Tokens, "revoked tokens do not count")
	require.NotNil(t, ua.LastChange)
	if el, ok := s.(EventLister); ok {
		evs, err := el.ListEvents(ctx, a.ID, 0, 100)
		require.NoError(t, err)
		assert.True(t, evs[len(evs)-1].At.Equal(*ua.LastChange), "the newest event: %v vs %v", evs[len(evs)-1].At, *ua.LastChange)
	}
	assert.Equal(t, 1, usage[b.ID].Users)
	assert.Equal(t, 0, usage[b.ID].Groups)
}

func testTenantDelete(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	assert.ErrorIs(t, s.DeleteTenant(ctx, "nope", false), scim.ErrNotFound)

	// An empty tenant, and one with only a revoked token, are deleted without force.
	newTenant(t, s, "empty")
	require.NoError(t, s.DeleteTenant(ctx, "EMPTY", false))
	revoked := newTenant(t, s, "revoked")
	tok, err := s.CreateToken(ctx, &scim.Token{TenantID: revoked.ID, Label: "old"}, []byte("h-revoked"))
	require.NoError(t, err)
	require.NoError(t, s.RevokeToken(ctx, tok.ID))
	require.NoError(t, s.DeleteTenant(ctx, "revoked", false))

	tests := []struct {
		name  string
		setup func(t *testing.T, tn *scim.Tenant)
	}{
		{"user", func(t *testing.T, tn *scim.Tenant) { newUser(t, s, tn.ID, "u") }},
		{"group", func(t *testing.T, tn *scim.Tenant) { newGroup(t, s, tn.ID, "g") }},
		{"token", func(t *testing.T, tn *scim.Tenant) {
			_, err := s.CreateToken(ctx, &scim.Token{TenantID: tn.ID, Label: "l"}, []byte("h-"+tn.ID))
			require.NoError(t, err)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tn := newTenant(t, s, "busy-"+tc.name)
			tc.setup(t, tn)
			assert.ErrorIs(t, s.DeleteTenant(ctx, tn.Name, false), scim.ErrTenantNotEmpty)
			_, err := s.TenantByName(ctx, tn.Name)
			require.NoError(t, err, "refused delete keeps the tenant")
			require.NoError(t, s.DeleteTenant(ctx, tn.Name, true))
			_, err = s.TenantByName(ctx, tn.Name)
			assert.ErrorIs(t, err, scim.ErrNotFound)
			res, err := s.ListUsers(ctx, tn.ID, scim.Query{StartIndex: 1, Count: 10}, false)
			require.NoError(t, err)
			assert.Zero(t, res.Total)
			toks, err := s.ListTokens(ctx, tn.ID)
			require.NoError(t, err)
			assert.Empty(t, toks)
		})
	}
}

func testTokens(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	a := newTenant(t, s, "a")
	b := newTenant(t, s, "b")
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	_, err := s.CreateToken(ctx, &scim.Token{TenantID: uuid.NewString(), Label: "x"}, []byte("hx"))
	assert.ErrorIs(t, err, scim.ErrNotFound)
	_, err = s.CreateToken(ctx, &scim.Token{TenantID: "not-a-uuid", Label: "x"}, []byte("hx"))
	assert.ErrorIs(t, err, scim.ErrNotFound)

	ta, err := s.CreateToken(ctx, &scim.Token{TenantID: a.ID, Label: "entra", ExpiresAt: &exp}, []byte("hash-a"))
	require.NoError(t, err)
	assert.NotEmpty(t, ta.ID)
	assert.Equal(t, "a", ta.TenantName)
	assert.False(t, ta.CreatedAt.IsZero())
	tb, err := s.CreateToken(ctx, &scim.Token{TenantID: b.ID, Label: "okta"}, []byte("hash-b"))
	require.NoError(t, err)

	got, err := s.TokenByHash(ctx, []byte("hash-a"))
	require.NoError(t, err)
	assert.Equal(t, ta.ID, got.ID)
	assert.Equal(t, a.ID, got.TenantID)
	assert.Equal(t, "a", got.TenantName)
	assert.Equal(t, "entra", got.Label)
	require.NotNil(t, got.ExpiresAt)
	assert.True(t, exp.Equal(*got.ExpiresAt))
	assert.Nil(t, got.LastUsedAt)
	assert.Nil(t, got.RevokedAt)
	_, err = s.TokenByHash(ctx, []byte("nope"))
	assert.ErrorIs(t, err, scim.ErrNotFound)

	all, err := s.ListTokens(ctx, "")
	require.NoError(t, err)
	assert.Len(t, all, 2)
	onlyB, err := s.ListTokens(ctx, b.ID)
	require.NoError(t, err)
	require.Len(t, onlyB, 1)
	assert.Equal(t, tb.ID, onlyB[0].ID)

	// Last use only moves forward.
	t1 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	t0 := t1.Add(-time.Hour)
	require.NoError(t, s.RecordTokenUse(ctx, map[string]time.Time{ta.ID: t1, tb.ID: t0, "junk": t1, uuid.NewString(): t1}))
	require.NoError(t, s.RecordTokenUse(ctx, map[string]time.Time{ta.ID: t0}))
	got, err = s.TokenByHash(ctx, []byte("hash-a"))
	require.NoError(t, err)
	require.NotNil(t, got.LastUsedAt)
	assert.True(t, t1.Equal(*got.LastUsedAt), "last use %v", got.LastUsedAt)
	require.NoError(t, s.RecordTokenUse(ctx, nil))

	// Revoking twice keeps the first time; unknown ids are ErrNotFound.
	require.NoError(t, s.RevokeToken(ctx, ta.ID))
	got, err = s.TokenByHash(ctx, []byte("hash-a"))
	require.NoError(t, err)
	require.NotNil(t, got.RevokedAt)
	first := *got.RevokedAt
	require.NoError(t, s.RevokeToken(ctx, ta.ID))
	got, err = s.TokenByHash(ctx, []byte("hash-a"))
	require.NoError(t, err)
	assert.True(t, first.Equal(*got.RevokedAt))
	assert.ErrorIs(t, s.RevokeToken(ctx, uuid.NewString()), scim.ErrNotFound)
	assert.ErrorIs(t, s.RevokeToken(ctx, "not-a-uuid"), scim.ErrNotFound)
}

// testTokenRotate checks that rotation creates a token for the same tenant and label, shortens
// (never lengthens) the old token's life to the grace period or revokes it at once, refuses a
// revoked token, and logs both halves.
func testTokenRotate(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	longExp := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	old, err := s.CreateToken(ctx, &scim.Token{TenantID: tn.ID, Label: "entra", ExpiresAt: &longExp}, []byte("h-old"))
	require.NoError(t, err)

	grace := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	newExp := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	next, was, err := s.RotateToken(ctx, old.ID, []byte("h-new"), &newExp, grace)
	require.NoError(t, err)
	assert.NotEqual(t, old.ID, next.ID)
	assert.Equal(t, tn.ID, next.TenantID)
	assert.Equal(t, "t", next.TenantName)
	assert.Equal(t, "entra", next.Label, "the new token keeps the label")
	require.NotNil(t, next.ExpiresAt)
	assert.True(t, newExp.Equal(*next.ExpiresAt))
	require.NotNil(t, was.ExpiresAt)
	assert.True(t, grace.Equal(*was.ExpiresAt), "old token now expires at the end of the grace period")
	assert.Nil(t, was.RevokedAt)
	assert.Empty(t, was.Hash, "no hash leaves RotateToken")

	byHash, err := s.TokenByHash(ctx, []byte("h-new"))
	require.NoError(t, err)
	assert.Equal(t, next.ID, byHash.ID)
	byHash, err = s.TokenByHash(ctx, []byte("h-old"))
	require.NoError(t, err)
	assert.True(t, grace.Equal(*byHash.ExpiresAt), "stored, not only returned")

	// A later grace never lengthens an earlier expiry.
	_, was, err = s.RotateToken(ctx, old.ID, []byte("h-new2"), nil, time.Now().Add(48*time.Hour))
	require.NoError(t, err)
	assert.True(t, grace.Equal(*was.ExpiresAt))

	// No grace: revoked at once.
	next3, was, err := s.RotateToken(ctx, next.ID, []byte("h-new3"), nil, time.Time{})
	require.NoError(t, err)
	require.NotNil(t, was.RevokedAt)
	assert.Nil(t, next3.ExpiresAt, "nil expiresAt: never")
	_, _, err = s.RotateToken(ctx, next.ID, []byte("h-new4"), nil, time.Time{})
	assertSCIMError(t, err, http.StatusConflict, "")
	_, err = s.TokenByHash(ctx, []byte("h-new4"))
	assert.ErrorIs(t, err, scim.ErrNotFound, "a refused rotation stores nothing")

	_, _, err = s.RotateToken(ctx, uuid.NewString(), []byte("h-x"), nil, time.Time{})
	assert.ErrorIs(t, err, scim.ErrNotFound)
	_, _, err = s.RotateToken(ctx, "not-a-uuid", []byte("h-x"), nil, time.Time{})
	assert.ErrorIs(t, err, scim.ErrNotFound)

	if el, ok := s.(EventLister); ok {
		evs, err := el.ListEvents(ctx, tn.ID, 0, 100)
		require.NoError(t, err)
		var ops []string
		for _, e := range evs {
			ops = append(ops, e.Operation+" "+e.ResourceID)
		}
		assert.Contains(t, ops, "rotate "+old.ID)
		assert.Contains(t, ops, "create "+next.ID)
		assert.Contains(t, ops, "rotate "+next.ID)
		assert.Contains(t, ops, "create "+next3.ID)
		assert.Len(t, ops, 7, "1 create, 3 rotations each with a create")
	}
}

// --- users ---------------------------------------------------------------------------------

func testUserCRUD(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	doc := map[string]any{
		"userName":   "bjensen",
		"externalId": "ext-1",
		"name":       map[string]any{"givenName": "Barbara", "familyName": "Jensen"},
		"active":     false,
		"emails":     []any{map[string]any{"value": "b@example.com", "type": "work"}},
		scim.SchemaEnterpriseUser: map[string]any{
			"employeeNumber": "42",
			"manager":        map[string]any{"value": "m-1"},
		},
		"x-number": json.Number("12.50"),
	}
	created, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Type: scim.ResourceUser, Attributes: doc, PasswordHash: "hash1"})
	require.NoError(t, err)
	require.True(t, validUUID(created.ID), "id %q", created.ID)
	assert.Equal(t, scim.ResourceUser, created.Type)
	assert.EqualValues(t, 1, created.Meta.Version)
	assert.False(t, created.Meta.Created.IsZero())
	assert.Equal(t, created.Meta.Created, created.Meta.LastModified)

	got, err := s.GetUser(ctx, tn.ID, created.ID, false)
	require.NoError(t, err)
	assert.Equal(t, doc, got.Attributes, "document round-trips, numbers as json.Number")
	assert.Equal(t, "hash1", got.PasswordHash)
	assert.EqualValues(t, 1, got.Meta.Version)
	assert.True(t, created.Meta.Created.Equal(got.Meta.Created))
	assert.Nil(t, got.Groups, "groups not loaded unless asked")

	next := userDoc("bjensen2")
	replaced, err := s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: created.ID, Type: scim.ResourceUser, Attributes: next}, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 2, replaced.Meta.Version)
	assert.True(t, created.Meta.Created.Equal(replaced.Meta.Created))
	assert.False(t, replaced.Meta.LastModified.Before(created.Meta.LastModified))
	assert.Equal(t, "hash1", replaced.PasswordHash, "an empty PasswordHash keeps the stored one")

	got, err = s.GetUser(ctx, tn.ID, created.ID, true)
	require.NoError(t, err)
	assert.Equal(t, next, got.Attributes)
	assert.EqualValues(t, 2, got.Meta.Version)
	assert.Empty(t, got.Groups)
	assert.Equal(t, "hash1", got.PasswordHash)

	_, err = s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: created.ID, Attributes: next, PasswordHash: "hash2"}, 2)
	require.NoError(t, err)
	got, err = s.GetUser(ctx, tn.ID, created.ID, false)
	require.NoError(t, err)
	assert.Equal(t, "hash2", got.PasswordHash)

	_, err = s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"displayName": "x"}})
	assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)

	require.NoError(t, s.DeleteUser(ctx, tn.ID, created.ID, 0))
	_, err = s.GetUser(ctx, tn.ID, created.ID, false)
	assert.ErrorIs(t, err, scim.ErrNotFound)
	assert.ErrorIs(t, s.DeleteUser(ctx, tn.ID, created.ID, 0), scim.ErrNotFound)
	_, err = s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: created.ID, Attributes: next}, 0)
	assert.ErrorIs(t, err, scim.ErrNotFound)
}

func validUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

func testUserNameUniqueness(t *testing.T, s scim.Store) {
	tests := []struct {
		name         string
		first, again string
		conflict     bool
	}{
		{"same", "bjensen", "bjensen", true},
		{"ASCII case", "bjensen", "BJensen", true},
		{"non-ASCII case", "ÄBC", "äbc", true},
		{"Greek case", "ΣΊΣΥΦΟΣ", "σίσυφοσ", true},
		{"NFC vs NFD", "caf\u00e9", "cafe\u0301", true},
		{"different", "bjensen", "bjensen2", false},
		{"accent matters", "abc", "äbc", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := ctxFor(t)
			tn := newTenant(t, s, "u-"+tc.name)
			newUser(t, s, tn.ID, tc.first)
			_, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: userDoc(tc.again)})
			if !tc.conflict {
				require.NoError(t, err)
				return
			}
			e := assertSCIMError(t, err, http.StatusConflict, scim.TypeUniqueness)
			assert.Contains(t, e.Detail, tc.again)

			// Replacing another user with the taken name conflicts too.
			other := newUser(t, s, tn.ID, "other")
			_, err = s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: other.ID, Attributes: userDoc(tc.again)}, 0)
			assertSCIMError(t, err, http.StatusConflict, scim.TypeUniqueness)
		})
	}

	// The same userName in two tenants is fine.
	ctx := ctxFor(t)
	a, b := newTenant(t, s, "x1"), newTenant(t, s, "x2")
	newUser(t, s, a.ID, "shared")
	_, err := s.CreateUser(ctx, b.ID, &scim.Resource{Attributes: userDoc("SHARED")})
	require.NoError(t, err)
}

func testUserVersion(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	u := newUser(t, s, tn.ID, "v")
	r1, err := s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: u.ID, Attributes: userDoc("v")}, 1)
	require.NoError(t, err)
	assert.EqualValues(t, 2, r1.Meta.Version)

	_, err = s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: u.ID, Attributes: userDoc("stale")}, 1)
	assert.ErrorIs(t, err, scim.ErrVersionMismatch)
	got, err := s.GetUser(ctx, tn.ID, u.ID, false)
	require.NoError(t, err)
	assert.Equal(t, "v", got.Attributes["userName"], "a mismatched write changes nothing")

	_, err = s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: uuid.NewString(), Attributes: userDoc("x")}, 1)
	assert.ErrorIs(t, err, scim.ErrNotFound)
	r3, err := s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: u.ID, Attributes: userDoc("v")}, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 3, r3.Meta.Version)
}

// testUserPatch checks that PatchUser keeps ReplaceUser's contract and is logged as a patch.
func testUserPatch(t *testing.T, s scim.Store) {
	el, ok := s.(EventLister)
	if !ok {
		t.Fatalf("%T does not implement storetest.EventLister", s)
	}
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	u := newUser(t, s, tn.ID, "p")
	newUser(t, s, tn.ID, "taken")

	next := userDoc("p")
	next["displayName"] = "Patched"
	r, err := s.PatchUser(ctx, tn.ID, &scim.Resource{ID: u.ID, Attributes: next, PasswordHash: "h"}, 1)
	require.NoError(t, err)
	assert.EqualValues(t, 2, r.Meta.Version)
	assert.Equal(t, "h", r.PasswordHash)
	got, err := s.GetUser(ctx, tn.ID, u.ID, false)
	require.NoError(t, err)
	assert.Equal(t, next, got.Attributes)

	_, err = s.PatchUser(ctx, tn.ID, &scim.Resource{ID: u.ID, Attributes: userDoc("stale")}, 1)
	assert.ErrorIs(t, err, scim.ErrVersionMismatch)
	_, err = s.PatchUser(ctx, tn.ID, &scim.Resource{ID: uuid.NewString(), Attributes: userDoc("x")}, 0)
	assert.ErrorIs(t, err, scim.ErrNotFound)
	_, err = s.PatchUser(ctx, tn.ID, &scim.Resource{ID: u.ID, Attributes: userDoc("TAKEN")}, 0)
	assertSCIMError(t, err, http.StatusConflict, scim.TypeUniqueness)

	evs, err := el.ListEvents(ctx, tn.ID, 0, 100)
	require.NoError(t, err)
	var ops []string
	for _, e := range evs {
		if e.ResourceID == u.ID {
			ops = append(ops, e.Operation)
		}
	}
	assert.Equal(t, []string{sqlstore.OpCreate, sqlstore.OpPatch}, ops, "one patch logged; failed patches log nothing")
}

func testUserGroups(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	u1, u2, u3 := newUser(t, s, tn.ID, "u1"), newUser(t, s, tn.ID, "u2"), newUser(t, s, tn.ID, "u3")
	gB := newGroup(t, s, tn.ID, "Beta", userMember(u1))
	gA := newGroup(t, s, tn.ID, "alpha", userMember(u1), userMember(u2))

	got, err := s.GetUser(ctx, tn.ID, u1.ID, true)
	require.NoError(t, err)
	assert.Equal(t, []scim.GroupRef{
		{Value: gA.ID, Display: "alpha", Type: "direct"},
		{Value: gB.ID, Display: "Beta", Type: "direct"},
	}, got.Groups)

	res, err := s.ListUsers(ctx, tn.ID, scim.Query{StartIndex: 1, Count: 10}, true)
	require.NoError(t, err)
	require.Len(t, res.Resources, 3)
	byID := map[string][]scim.GroupRef{}
	for _, r := range res.Resources {
		require.NotNil(t, r.Groups)
		byID[r.ID] = r.Groups
	}
	assert.Len(t, byID[u1.ID], 2)
	assert.Equal(t, []scim.GroupRef{{Value: gA.ID, Display: "alpha", Type: "direct"}}, byID[u2.ID])
	assert.Empty(t, byID[u3.ID])

	res, err = s.ListUsers(ctx, tn.ID, scim.Query{StartIndex: 1, Count: 10}, false)
	require.NoError(t, err)
	for _, r := range res.Resources {
		assert.Nil(t, r.Groups)
	}
}

func testBadIDs(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	for _, id := range []string{"not-a-uuid", "", "'; DROP TABLE users; --", strings.ToUpper(uuid.NewString()), uuid.NewString()} {
		t.Run(id, func(t *testing.T) {
			_, err := s.GetUser(ctx, tn.ID, id, true)
			assert.ErrorIs(t, err, scim.ErrNotFound)
			_, err = s.GetGroup(ctx, tn.ID, id)
			assert.ErrorIs(t, err, scim.ErrNotFound)
			assert.ErrorIs(t, s.DeleteUser(ctx, tn.ID, id, 0), scim.ErrNotFound)
			assert.ErrorIs(t, s.DeleteGroup(ctx, tn.ID, id, 0), scim.ErrNotFound)
			_, err = s.PatchGroup(ctx, tn.ID, id, scim.GroupPatch{})
			assert.ErrorIs(t, err, scim.ErrNotFound)
			assert.ErrorIs(t, s.WalkMembers(ctx, tn.ID, id, func(scim.Member) error { return nil }), scim.ErrNotFound)
			_, err = s.GetUser(ctx, id, uuid.NewString(), false)
			assert.ErrorIs(t, err, scim.ErrNotFound, "bad tenant id")
		})
	}
}

// --- groups --------------------------------------------------------------------------------

func testGroupCreateMembers(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	u1 := newUser(t, s, tn.ID, "u1")
	u2, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"userName": "noDisplay"}})
	require.NoError(t, err)
	inner := newGroup(t, s, tn.ID, "Inner")

	g, err := s.CreateGroup(ctx, tn.ID, &scim.Resource{
		Type:       scim.ResourceGroup,
		Attributes: map[string]any{"displayName": "Outer", "externalId": "e-1"},
		Members: []scim.Member{
			{Value: u1.ID, Type: scim.ResourceUser},
			{Value: u2.ID},                          // untyped: found among users
			{Value: inner.ID},                       // untyped: found among groups
			{Value: u1.ID, Type: scim.ResourceUser}, // duplicate
		},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 1, g.Meta.Version)
	assert.Len(t, g.Members, 3)

	want := map[string]scim.Member{
		u1.ID:    {Value: u1.ID, Type: scim.ResourceUser, Display: "Display u1"},
		u2.ID:    {Value: u2.ID, Type: scim.ResourceUser, Display: "noDisplay"},
		inner.ID: {Value: inner.ID, Type: scim.ResourceGroup, Display: "Inner"},
	}
	var walked []scim.Member
	require.NoError(t, s.WalkMembers(ctx, tn.ID, g.ID, func(m scim.Member) error {
		walked = append(walked, m)
		return nil
	}))
	require.Len(t, walked, 3)
	for _, m := range walked {
		assert.Equal(t, want[m.Value], m)
	}
	assert.True(t, slices.IsSortedFunc(walked, func(a, b scim.Member) int { return strings.Compare(a.Value, b.Value) }))

	got, err := s.GetGroup(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"displayName": "Outer", "externalId": "e-1"}, got.Attributes)
	assert.Nil(t, got.Members, "GetGroup does not load members")

	// fn's error stops the walk and comes back.
	stop := errors.New("stop")
	assert.ErrorIs(t, s.WalkMembers(ctx, tn.ID, g.ID, func(scim.Member) error { return stop }), stop)

	_, err = s.CreateGroup(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{}})
	assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)
}

func testGroupUnknownMembers(t *testing.T, s scim.Store) {
	tn := newTenant(t, s, "t")
	u := newUser(t, s, tn.ID, "u")
	g := newGroup(t, s, tn.ID, "g")
	missing1, missing2 := "00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000001"
	var many []scim.Member
	for i := 0; i < 25; i++ {
		many = append(many, scim.Member{Value: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+100)})
	}
	tests := []struct {
		name    string
		members []scim.Member
		detail  string
	}{
		{"unknown ids sorted", []scim.Member{{Value: u.ID}, {Value: missing1}, {Value: missing2}},
			"members not found: " + missing2 + ", " + missing1},
		{"not a uuid", []scim.Member{{Value: "bogus"}}, "members not found: bogus"},
		{"user typed as group", []scim.Member{{Value: u.ID, Type: scim.ResourceGroup}}, "members not found: " + u.ID},
		{"group typed as user", []scim.Member{{Value: g.ID, Type: scim.ResourceUser}}, "members not found: " + g.ID},
		{"at most 20 listed", many, "and 5 more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxFor(t)
			_, err := s.CreateGroup(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"displayName": "x"}, Members: tc.members})
			e := assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)
			assert.Contains(t, e.Detail, tc.detail)

			_, err = s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberAdd, Members: tc.members}}})
			e = assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)
			assert.Contains(t, e.Detail, tc.detail)
		})
	}
	// Failed creates left nothing behind; the failed patches changed nothing.
	res, err := s.ListGroups(ctxFor(t), tn.ID, scim.Query{StartIndex: 1, Count: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Total)
	got, err := s.GetGroup(ctxFor(t), tn.ID, g.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, got.Meta.Version)
	assert.Empty(t, memberIDs(t, s, tn.ID, g.ID))
}

func testGroupPatchMembers(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	var us []*scim.Resource
	for i := 0; i < 4; i++ {
		us = append(us, newUser(t, s, tn.ID, fmt.Sprintf("u%d", i)))
	}
	g := newGroup(t, s, tn.ID, "g", userMember(us[0]))
	ops := func(kind scim.MemberOpKind, users ...*scim.Resource) scim.MemberOp {
		op := scim.MemberOp{Kind: kind}
		for _, u := range users {
			op.Members = append(op.Members, userMember(u))
		}
		return op
	}
	steps := []struct {
		name string
		ops  []scim.MemberOp
		want []string
	}{
		{"add", []scim.MemberOp{ops(scim.MemberAdd, us[1], us[2])}, []string{us[0].ID, us[1].ID, us[2].ID}},
		{"add again is idempotent", []scim.MemberOp{ops(scim.MemberAdd, us[1], us[2])}, []string{us[0].ID, us[1].ID, us[2].ID}},
		{"remove", []scim.MemberOp{ops(scim.MemberRemove, us[0])}, []string{us[1].ID, us[2].ID}},
		{"remove absent is idempotent", []scim.MemberOp{ops(scim.MemberRemove, us[0], us[3]), {Kind: scim.MemberRemove, Members: []scim.Member{{Value: "bogus"}}}}, []string{us[1].ID, us[2].ID}},
		{"replace", []scim.MemberOp{ops(scim.MemberReplace, us[2], us[3])}, []string{us[2].ID, us[3].ID}},
		{"replace again", []scim.MemberOp{ops(scim.MemberReplace, us[2], us[3])}, []string{us[2].ID, us[3].ID}},
		{"ops run in order", []scim.MemberOp{ops(scim.MemberRemoveAll), ops(scim.MemberAdd, us[0]), ops(scim.MemberRemove, us[0]), ops(scim.MemberAdd, us[1])}, []string{us[1].ID}},
		{"remove all", []scim.MemberOp{ops(scim.MemberRemoveAll)}, nil},
		{"remove all again", []scim.MemberOp{ops(scim.MemberRemoveAll)}, nil},
	}
	version := g.Meta.Version
	for _, st := range steps {
		res, err := s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: st.ops})
		require.NoError(t, err, st.name)
		assert.Greater(t, res.Meta.Version, version, st.name)
		version = res.Meta.Version
		assert.Nil(t, res.Members, "%s: PatchGroup returns the group without members", st.name)
		assert.Equal(t, sorted(st.want...), orEmpty(memberIDs(t, s, tn.ID, g.ID)), st.name)
	}
}

// testGroupRemoveMembersWhere checks PATCH remove members[filter] for filters other than
// value eq: the store evaluates them on the group's membership rows, and nothing else.
func testGroupRemoveMembersWhere(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	alice, bob := newUser(t, s, tn.ID, "alice"), newUser(t, s, tn.ID, "bob") // displays "Display alice", "Display bob"
	ops, keep := newGroup(t, s, tn.ID, "Ops team"), newGroup(t, s, tn.ID, "Keep ops")
	// carol has no displayName: her display is her userName.
	carol, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Type: scim.ResourceUser, Attributes: map[string]any{"userName": "Carol@Example.com"}})
	require.NoError(t, err)
	all := []scim.Member{userMember(alice), userMember(bob),
		{Value: ops.ID, Type: scim.ResourceGroup}, {Value: keep.ID, Type: scim.ResourceGroup}, userMember(carol)}
	f := func(s string) filter.Expr {
		e, err := filter.Parse(s)
		require.NoError(t, err, s)
		return e
	}
	for _, tc := range []struct {
		name   string
		filter string
		left   []string
	}{
		{"type", `type eq "Group"`, sorted(alice.ID, bob.ID, carol.ID)},
		{"type any case", `type eq "group"`, sorted(alice.ID, bob.ID, carol.ID)},
		{"display, case-insensitive", `display sw "display A"`, sorted(bob.ID, ops.ID, keep.ID, carol.ID)},
		{"display falls back to userName", `display eq "carol@example.COM"`, sorted(alice.ID, bob.ID, ops.ID, keep.ID)},
		{"display of groups", `display co "OPS"`, sorted(alice.ID, bob.ID, carol.ID)},
		{"value and type", `value eq "` + alice.ID + `" and type eq "User"`, sorted(bob.ID, ops.ID, keep.ID, carol.ID)},
		{"value and the wrong type", `value eq "` + alice.ID + `" and type eq "Group"`, sorted(alice.ID, bob.ID, ops.ID, keep.ID, carol.ID)},
		{"not", `not (type eq "User")`, sorted(alice.ID, bob.ID, carol.ID)},
		{"ne", `value ne "` + bob.ID + `"`, []string{bob.ID}},
		{"or with a group filter", `display eq "keep ops" or value eq "` + bob.ID + `"`, sorted(alice.ID, ops.ID, carol.ID)},
		{"present", `display pr`, nil},
		{"value not a uuid matches nothing", `value eq "x'; DROP TABLE group_members; --"`, sorted(alice.ID, bob.ID, ops.ID, keep.ID, carol.ID)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGroup(t, s, tn.ID, "g "+tc.name, all...)
			other := newGroup(t, s, tn.ID, "untouched "+tc.name, all...)
			_, err := s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
				{Kind: scim.MemberRemoveWhere, Filter: f(tc.filter)},
			}})
			require.NoError(t, err)
			assert.Equal(t, orEmpty(tc.left), orEmpty(memberIDs(t, s, tn.ID, g.ID)))
			assert.Len(t, memberIDs(t, s, tn.ID, other.ID), len(all), "other groups keep their members")
		})
	}
	for _, bad := range []string{`foo eq "x"`, `$ref eq "x"`, `value.x eq "y"`, `emails[type eq "work"]`} {
		t.Run("invalid "+bad, func(t *testing.T) {
			g := newGroup(t, s, tn.ID, "bad "+bad, all...)
			e, err := filter.Parse(bad)
			if err != nil {
				return // not even a filter: the parser's 400, tested elsewhere
			}
			_, err = s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberRemoveWhere, Filter: e}}})
			assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidFilter)
			assert.Len(t, memberIDs(t, s, tn.ID, g.ID), len(all), "a refused patch changes nothing")
		})
	}
}

func testGroupPatchAttributes(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	u := newUser(t, s, tn.ID, "u")
	g := newGroup(t, s, tn.ID, "old", userMember(u))

	res, err := s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{Attributes: map[string]any{"displayName": "new"}, ExpectVersion: 1})
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.Meta.Version)
	assert.Equal(t, "new", res.Attributes["displayName"])
	assert.Equal(t, []string{u.ID}, memberIDs(t, s, tn.ID, g.ID), "attributes patch keeps members")

	_, err = s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{Attributes: map[string]any{"displayName": "stale"}, ExpectVersion: 1})
	assert.ErrorIs(t, err, scim.ErrVersionMismatch)
	got, err := s.GetGroup(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	assert.Equal(t, "new", got.Attributes["displayName"])
	assert.EqualValues(t, 2, got.Meta.Version)

	// Users see the new display name in their groups attribute.
	gu, err := s.GetUser(ctx, tn.ID, u.ID, true)
	require.NoError(t, err)
	assert.Equal(t, []scim.GroupRef{{Value: g.ID, Display: "new", Type: "direct"}}, gu.Groups)

	_, err = s.PatchGroup(ctx, tn.ID, uuid.NewString(), scim.GroupPatch{Attributes: map[string]any{"displayName": "x"}, ExpectVersion: 1})
	assert.ErrorIs(t, err, scim.ErrNotFound)
}

func testGroupReplace(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	u1, u2 := newUser(t, s, tn.ID, "u1"), newUser(t, s, tn.ID, "u2")
	g := newGroup(t, s, tn.ID, "g", userMember(u1))

	res, err := s.ReplaceGroup(ctx, tn.ID, &scim.Resource{ID: g.ID, Attributes: map[string]any{"displayName": "g2"}, Members: []scim.Member{userMember(u2)}}, 1)
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.Meta.Version)
	assert.Equal(t, []string{u2.ID}, memberIDs(t, s, tn.ID, g.ID))

	_, err = s.ReplaceGroup(ctx, tn.ID, &scim.Resource{ID: g.ID, Attributes: map[string]any{"displayName": "g3"}}, 1)
	assert.ErrorIs(t, err, scim.ErrVersionMismatch)
	_, err = s.ReplaceGroup(ctx, tn.ID, &scim.Resource{ID: g.ID, Attributes: map[string]any{"displayName": "g3"}, Members: []scim.Member{{Value: uuid.NewString()}}}, 0)
	assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)
	assert.Equal(t, []string{u2.ID}, memberIDs(t, s, tn.ID, g.ID), "failed replace changes nothing")

	// nil Members: not asserted, the members stay; an empty set removes them.
	res, err = s.ReplaceGroup(ctx, tn.ID, &scim.Resource{ID: g.ID, Attributes: map[string]any{"displayName": "g3"}}, 0)
	require.NoError(t, err)
	assert.Equal(t, "g3", res.Attributes["displayName"])
	assert.Equal(t, []string{u2.ID}, memberIDs(t, s, tn.ID, g.ID))
	_, err = s.ReplaceGroup(ctx, tn.ID, &scim.Resource{ID: g.ID, Attributes: map[string]any{"displayName": "g3"}, Members: []scim.Member{}}, 0)
	require.NoError(t, err)
	assert.Empty(t, memberIDs(t, s, tn.ID, g.ID))
	_, err = s.ReplaceGroup(ctx, tn.ID, &scim.Resource{ID: uuid.NewString(), Attributes: map[string]any{"displayName": "g3"}}, 0)
	assert.ErrorIs(t, err, scim.ErrNotFound)
}

func testWalkLargeGroup(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	const n = 2345
	members := make([]scim.Member, 0, n)
	want := make([]string, 0, n)
	for i := 0; i < n; i++ {
		u := newUser(t, s, tn.ID, fmt.Sprintf("user%04d", i))
		members = append(members, userMember(u))
		want = append(want, u.ID)
	}
	g := newGroup(t, s, tn.ID, "big", members[:n/2]...)
	_, err := s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberAdd, Members: members[n/2:]}}})
	require.NoError(t, err)
	got := memberIDs(t, s, tn.ID, g.ID)
	assert.Equal(t, sorted(want...), got, "every member exactly once, in id order")
}

func testDeleteRemovesMemberships(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	u1, u2 := newUser(t, s, tn.ID, "u1"), newUser(t, s, tn.ID, "u2")
	inner := newGroup(t, s, tn.ID, "inner", userMember(u1))
	outer := newGroup(t, s, tn.ID, "outer", userMember(u1), userMember(u2), scim.Member{Value: inner.ID, Type: scim.ResourceGroup})

	require.NoError(t, s.DeleteUser(ctx, tn.ID, u1.ID, 0))
	assert.Equal(t, sorted(u2.ID, inner.ID), memberIDs(t, s, tn.ID, outer.ID))
	assert.Empty(t, memberIDs(t, s, tn.ID, inner.ID))

	require.NoError(t, s.DeleteGroup(ctx, tn.ID, inner.ID, 0))
	assert.Equal(t, []string{u2.ID}, memberIDs(t, s, tn.ID, outer.ID))
	require.NoError(t, s.DeleteGroup(ctx, tn.ID, outer.ID, 0))
	got, err := s.GetUser(ctx, tn.ID, u2.ID, true)
	require.NoError(t, err)
	assert.Empty(t, got.Groups)
	assert.ErrorIs(t, s.DeleteGroup(ctx, tn.ID, outer.ID, 0), scim.ErrNotFound)
	assert.ErrorIs(t, s.WalkMembers(ctx, tn.ID, outer.ID, func(scim.Member) error { return nil }), scim.ErrNotFound)
}

// testDeleteExpectVersion checks that a delete pinned to a version deletes only that version,
// in the same statement: a stale version is ErrVersionMismatch and deletes nothing.
func testDeleteExpectVersion(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	u := newUser(t, s, tn.ID, "v")
	g := newGroup(t, s, tn.ID, "g")
	_, err := s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: u.ID, Attributes: userDoc("v")}, 0)
	require.NoError(t, err)

	assert.ErrorIs(t, s.DeleteUser(ctx, tn.ID, u.ID, 1), scim.ErrVersionMismatch)
	assert.ErrorIs(t, s.DeleteUser(ctx, tn.ID, u.ID, -1), scim.ErrVersionMismatch, "an If-Match naming no version of ours")
	_, err = s.GetUser(ctx, tn.ID, u.ID, false)
	require.NoError(t, err, "a mismatched delete deletes nothing")
	require.NoError(t, s.DeleteUser(ctx, tn.ID, u.ID, 2))
	assert.ErrorIs(t, s.DeleteUser(ctx, tn.ID, u.ID, 2), scim.ErrNotFound)

	assert.ErrorIs(t, s.DeleteGroup(ctx, tn.ID, g.ID, 7), scim.ErrVersionMismatch)
	require.NoError(t, s.DeleteGroup(ctx, tn.ID, g.ID, 1))
	assert.ErrorIs(t, s.DeleteGroup(ctx, tn.ID, uuid.NewString(), 1), scim.ErrNotFound)
}

// testMemberAddRacesDelete races adding users and a group to a group against deleting them. Each
// add either fails (the member is gone: 400) or commits before the delete, which then removes
// the membership: no membership may be left naming a deleted resource. Such orphans are
// invisible through WalkMembers, so the check reads the table itself when the store allows.
func testMemberAddRacesDelete(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	g := newGroup(t, s, tn.ID, "g")
	const n = 20
	members := make([]scim.Member, 0, n+2)
	for i := range n {
		members = append(members, userMember(newUser(t, s, tn.ID, fmt.Sprintf("r%02d", i))))
	}
	for i := range 2 {
		members = append(members, scim.Member{Value: newGroup(t, s, tn.ID, fmt.Sprintf("sub%d", i)).ID, Type: scim.ResourceGroup})
	}
	var wg sync.WaitGroup
	addErrs := make([]error, len(members))
	delErrs := make([]error, len(members))
	for i, m := range members {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, addErrs[i] = s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
				{Kind: scim.MemberAdd, Members: []scim.Member{m}},
			}})
		}()
		go func() {
			defer wg.Done()
			if m.Type == scim.ResourceGroup {
				delErrs[i] = s.DeleteGroup(ctx, tn.ID, m.Value, 0)
			} else {
				delErrs[i] = s.DeleteUser(ctx, tn.ID, m.Value, 0)
			}
		}()
	}
	wg.Wait()
	for i := range members {
		assert.NoError(t, delErrs[i], "delete %d", i)
		if addErrs[i] != nil {
			assertSCIMError(t, addErrs[i], http.StatusBadRequest, scim.TypeInvalidValue)
		}
	}
	assert.Empty(t, memberIDs(t, s, tn.ID, g.ID))
	raw, ok := s.(RawDB)
	if !ok {
		return
	}
	// tn.ID is a UUID the store generated, so it is safe to inline.
	var orphans int
	require.NoError(t, raw.DB().QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM group_members m
		WHERE m.tenant_id = '%s'
		AND NOT EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = m.tenant_id AND u.id = m.member_id)
		AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.tenant_id = m.tenant_id AND g.id = m.member_id)`, tn.ID)).Scan(&orphans))
	assert.Zero(t, orphans, "memberships naming deleted resources")
}

func testConcurrentMemberAdds(t *testing.T, s scim.Store) {
	tn := newTenant(t, s, "t")
	g := newGroup(t, s, tn.ID, "g")
	const n = 50
	users := make([]*scim.Resource, n)
	for i := range users {
		users[i] = newUser(t, s, tn.ID, fmt.Sprintf("c%02d", i))
	}
	ctx := ctxFor(t)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
				{Kind: scim.MemberAdd, Members: []scim.Member{userMember(users[i])}},
			}})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "patch %d", i)
	}
	want := make([]string, n)
	for i, u := range users {
		want[i] = u.ID
	}
	assert.Equal(t, sorted(want...), memberIDs(t, s, tn.ID, g.ID))
	got, err := s.GetGroup(ctx, tn.ID, g.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 1+n, got.Meta.Version, "every patch bumped the version once")
}

// --- lists ---------------------------------------------------------------------------------

func testListPagination(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	const n = 25
	var ids, gids []string
	for i := 0; i < n; i++ {
		ids = append(ids, newUser(t, s, tn.ID, fmt.Sprintf("p%02d", i)).ID)
		if i < 7 {
			gids = append(gids, newGroup(t, s, tn.ID, fmt.Sprintf("g%d", i)).ID)
		}
	}
	tests := []struct {
		start, count int
		want         []string
	}{
		{1, 10, ids[0:10]},
		{11, 10, ids[10:20]},
		{21, 10, ids[20:25]},
		{0, 3, ids[0:3]}, // StartIndex below 1 means 1
		{25, 10, ids[24:25]},
		{26, 10, nil},
		{100, 10, nil},
		{1, 0, nil}, // count only
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("start=%d,count=%d", tc.start, tc.count), func(t *testing.T) {
			res, err := s.ListUsers(ctx, tn.ID, scim.Query{StartIndex: tc.start, Count: tc.count}, false)
			require.NoError(t, err)
			assert.Equal(t, n, res.Total)
			var got []string
			for _, r := range res.Resources {
				got = append(got, r.ID)
				assert.NotEmpty(t, r.Attributes["userName"])
			}
			assert.Equal(t, tc.want, got, "ordered by creation")
		})
	}
	res, err := s.ListGroups(ctx, tn.ID, scim.Query{StartIndex: 3, Count: 2})
	require.NoError(t, err)
	assert.Equal(t, 7, res.Total)
	require.Len(t, res.Resources, 2)
	assert.Equal(t, []string{gids[2], gids[3]}, []string{res.Resources[0].ID, res.Resources[1].ID})
	assert.Equal(t, "g2", res.Resources[0].Attributes["displayName"])
	assert.Nil(t, res.Resources[0].Members)
}

func eq(attr, sub string, v any) filter.Expr {
	return &filter.Compare{Path: filter.AttrPath{Attr: attr, Sub: sub}, Op: filter.OpEq, Value: v}
}

func testListFilter(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	other := newTenant(t, s, "other")
	mk := func(tenantID, name, ext string, active bool) string {
		doc := userDoc(name)
		doc["externalId"] = ext
		doc["active"] = active
		u, err := s.CreateUser(ctx, tenantID, &scim.Resource{Attributes: doc})
		require.NoError(t, err)
		return u.ID
	}
	alice := mk(tn.ID, "Alice", "abc", true)
	bob := mk(tn.ID, "Bob", "ABC", false)
	carol := mk(tn.ID, "Ärger", "x", true)
	mk(other.ID, "alice", "abc", true)
	g1 := newGroup(t, s, tn.ID, "Sales")
	newGroup(t, s, tn.ID, "sales") // displayName is not unique
	newGroup(t, s, tn.ID, "Ops")

	users := []struct {
		name string
		f    filter.Expr
		want []string
	}{
		{"userName case-insensitive", eq("userName", "", "ALICE"), []string{alice}},
		{"userName non-ASCII fold", eq("userName", "", "ärger"), []string{carol}},
		{"externalId case-exact", eq("externalId", "", "ABC"), []string{bob}},
		{"emails.value", eq("emails", "value", "bob@example.com"), []string{bob}},
		{"Entra emails[type eq work].value", &filter.ValuePath{Path: filter.AttrPath{Attr: "emails"},
			Filter: &filter.Logical{And: true, Left: eq("type", "", "work"), Right: eq("value", "", "ALICE@example.com")}}, []string{alice}},
		{"active", eq("active", "", true), []string{alice, carol}},
		{"or", &filter.Logical{Left: eq("userName", "", "bob"), Right: eq("userName", "", "alice")}, []string{alice, bob}},
		{"id", eq("id", "", bob), []string{bob}},
		{"id not a uuid", eq("id", "", "nope"), nil},
		{"no match", eq("userName", "", "zed"), nil},
	}
	for _, tc := range users {
		t.Run("users/"+tc.name, func(t *testing.T) {
			res, err := s.ListUsers(ctx, tn.ID, scim.Query{Filter: tc.f, StartIndex: 1, Count: 50}, false)
			require.NoError(t, err)
			assert.Equal(t, len(tc.want), res.Total)
			got := []string{}
			for _, r := range res.Resources {
				got = append(got, r.ID)
			}
			assert.Equal(t, orEmpty(tc.want), got)
		})
	}
	res, err := s.ListGroups(ctx, tn.ID, scim.Query{Filter: eq("displayName", "", "SALES"), StartIndex: 1, Count: 1})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Total, "exact total with a smaller page")
	require.Len(t, res.Resources, 1)
	assert.Equal(t, g1.ID, res.Resources[0].ID)

	_, err = s.ListUsers(ctx, tn.ID, scim.Query{Filter: eq("noSuchAttr", "", "x"), StartIndex: 1, Count: 5}, false)
	assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidFilter)
}

// --- isolation and events ------------------------------------------------------------------

func testTenantIsolation(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	a, b := newTenant(t, s, "a"), newTenant(t, s, "b")
	ua := newUser(t, s, a.ID, "alice")
	ga := newGroup(t, s, a.ID, "ga", userMember(ua))
	gb := newGroup(t, s, b.ID, "gb")

	_, err := s.GetUser(ctx, b.ID, ua.ID, false)
	assert.ErrorIs(t, err, scim.ErrNotFound)
	_, err = s.GetGroup(ctx, b.ID, ga.ID)
	assert.ErrorIs(t, err, scim.ErrNotFound)
	_, err = s.ReplaceUser(ctx, b.ID, &scim.Resource{ID: ua.ID, Attributes: userDoc("mallory")}, 0)
	assert.ErrorIs(t, err, scim.ErrNotFound)
	_, err = s.ReplaceGroup(ctx, b.ID, &scim.Resource{ID: ga.ID, Attributes: map[string]any{"displayName": "x"}}, 0)
	assert.ErrorIs(t, err, scim.ErrNotFound)
	_, err = s.PatchGroup(ctx, b.ID, ga.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberRemoveAll}}})
	assert.ErrorIs(t, err, scim.ErrNotFound)
	assert.ErrorIs(t, s.WalkMembers(ctx, b.ID, ga.ID, func(scim.Member) error { return nil }), scim.ErrNotFound)
	assert.ErrorIs(t, s.DeleteUser(ctx, b.ID, ua.ID, 0), scim.ErrNotFound)
	assert.ErrorIs(t, s.DeleteGroup(ctx, b.ID, ga.ID, 0), scim.ErrNotFound)

	_, err = s.PatchGroup(ctx, b.ID, gb.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberAdd, Members: []scim.Member{userMember(ua)}}}})
	assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)
	_, err = s.CreateGroup(ctx, b.ID, &scim.Resource{Attributes: map[string]any{"displayName": "x"}, Members: []scim.Member{{Value: ga.ID}}})
	assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)

	users, err := s.ListUsers(ctx, b.ID, scim.Query{StartIndex: 1, Count: 10}, true)
	require.NoError(t, err)
	assert.Zero(t, users.Total)
	groups, err := s.ListGroups(ctx, b.ID, scim.Query{StartIndex: 1, Count: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, groups.Total)

	// A's data is untouched.
	got, err := s.GetUser(ctx, a.ID, ua.ID, true)
	require.NoError(t, err)
	assert.Equal(t, "alice", got.Attributes["userName"])
	assert.Len(t, got.Groups, 1)
	assert.Equal(t, []string{ua.ID}, memberIDs(t, s, a.ID, ga.ID))
}

func testEvents(t *testing.T, s scim.Store) {
	el, ok := s.(EventLister)
	if !ok {
		t.Fatalf("%T does not implement storetest.EventLister", s)
	}
	tn := newTenant(t, s, "t")
	other := newTenant(t, s, "other")
	tok, err := s.CreateToken(ctxFor(t), &scim.Token{TenantID: tn.ID, Label: "idp"}, []byte("h"))
	require.NoError(t, err)
	ctx := scim.WithActor(ctxFor(t), tok.ID)

	u, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: userDoc("e")})
	require.NoError(t, err)
	_, err = s.ReplaceUser(ctx, tn.ID, &scim.Resource{ID: u.ID, Attributes: userDoc("e")}, 0)
	require.NoError(t, err)
	g, err := s.CreateGroup(ctx, tn.ID, &scim.Resource{Attributes: map[string]any{"displayName": "g"}})
	require.NoError(t, err)
	_, err = s.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberAdd, Members: []scim.Member{userMember(u)}}}})
	require.NoError(t, err)
	_, err = s.ReplaceGroup(ctx, tn.ID, &scim.Resource{ID: g.ID, Attributes: map[string]any{"displayName": "g"}}, 0)
	require.NoError(t, err)
	require.NoError(t, s.DeleteGroup(ctx, tn.ID, g.ID, 0))
	require.NoError(t, s.DeleteUser(scim.WithActor(ctx, ""), tn.ID, u.ID, 0))
	// Failed writes log nothing.
	_, err = s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: userDoc("x")})
	require.NoError(t, err)
	_, err = s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: userDoc("X")})
	require.Error(t, err)
	// Token revocations are logged once, by whoever revoked (here scimctl: no actor).
	require.NoError(t, s.RevokeToken(scim.WithActor(ctx, ""), tok.ID))
	require.NoError(t, s.RevokeToken(scim.WithActor(ctx, ""), tok.ID))
	assert.ErrorIs(t, s.RevokeToken(ctx, uuid.NewString()), scim.ErrNotFound)

	evs, err := el.ListEvents(ctx, tn.ID, 0, 100)
	require.NoError(t, err)
	type ev struct{ op, typ, id, token string }
	var got []ev
	for _, e := range evs {
		got = append(got, ev{e.Operation, e.ResourceType, e.ResourceID, e.TokenID})
		assert.Equal(t, "ok", e.Outcome)
		assert.Equal(t, tn.ID, e.TenantID)
		assert.False(t, e.At.IsZero())
	}
	require.Len(t, got, 10)
	assert.Equal(t, []ev{
		{"create", "Token", tok.ID, ""},
		{"create", "User", u.ID, tok.ID},
		{"replace", "User", u.ID, tok.ID},
		{"create", "Group", g.ID, tok.ID},
		{"patch", "Group", g.ID, tok.ID},
		{"replace", "Group", g.ID, tok.ID},
		{"delete", "Group", g.ID, tok.ID},
		{"delete", "User", u.ID, ""},
	}, got[:8])
	assert.Equal(t, ev{"revoke", "Token", tok.ID, ""}, got[9], "one event for two revocations")

	// Paging by id, and isolation.
	page, err := el.ListEvents(ctx, tn.ID, evs[2].ID, 2)
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.Equal(t, evs[3].ID, page[0].ID)
	none, err := el.ListEvents(ctx, other.ID, 0, 100)
	require.NoError(t, err)
	assert.Empty(t, none)
}
