package httpapi_test

import (
	"context"
	"testing"

	"github.com/scimd/scimd/internal/scim"
)

// fakeStore is a scim.Store for tests that need no data: the methods with a function set call
// it; every other method panics (the embedded interface is nil), which the panic tests use.
type fakeStore struct {
	scim.Store
	pingFn      func(ctx context.Context) error
	listUsersFn func(ctx context.Context, tenantID string, q scim.Query, withGroups bool) (*scim.ListResult, error)
	getUserFn   func(ctx context.Context, tenantID, id string, withGroups bool) (*scim.Resource, error)
	getGroupFn  func(ctx context.Context, tenantID, id string) (*scim.Resource, error)
	walkFn      func(ctx context.Context, tenantID, groupID string, fn func(scim.Member) error) error
}

var _ scim.Store = (*fakeStore)(nil)

func (f *fakeStore) Ping(ctx context.Context) error {
	if f.pingFn == nil {
		return nil
	}
	return f.pingFn(ctx)
}

func (f *fakeStore) Close() {}

func (f *fakeStore) ListUsers(ctx context.Context, tenantID string, q scim.Query, withGroups bool) (*scim.ListResult, error) {
	if f.listUsersFn == nil {
		return f.Store.ListUsers(ctx, tenantID, q, withGroups) // panics
	}
	return f.listUsersFn(ctx, tenantID, q, withGroups)
}

// FillGroups leaves the users' Groups as the fake's ListUsers made them.
func (f *fakeStore) FillGroups(context.Context, string, []*scim.Resource) error { return nil }

func (f *fakeStore) GetUser(ctx context.Context, tenantID, id string, withGroups bool) (*scim.Resource, error) {
	if f.getUserFn == nil {
		return f.Store.GetUser(ctx, tenantID, id, withGroups) // panics
	}
	return f.getUserFn(ctx, tenantID, id, withGroups)
}

func (f *fakeStore) GetGroup(ctx context.Context, tenantID, id string) (*scim.Resource, error) {
	if f.getGroupFn == nil {
		return f.Store.GetGroup(ctx, tenantID, id) // panics
	}
	return f.getGroupFn(ctx, tenantID, id)
}

func (f *fakeStore) WalkMembers(ctx context.Context, tenantID, groupID string, fn func(scim.Member) error) error {
	if f.walkFn == nil {
		return f.Store.WalkMembers(ctx, tenantID, groupID, fn) // panics
	}
	return f.walkFn(ctx, tenantID, groupID, fn)
}

// emptyList is a ListUsers that finds nothing.
func emptyList(context.Context, string, scim.Query, bool) (*scim.ListResult, error) {
	return &scim.ListResult{}, nil
}

// newFakeEnv is a server over a fakeStore (no database).
func newFakeEnv(t *testing.T, st *fakeStore, opts ...envOption) *env {
	t.Helper()
	return newEnvWithStore(t, st, false, opts...)
}
