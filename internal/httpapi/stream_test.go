package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// bigGroupStore serves one group whose members are generated on the fly.
func bigGroupStore(members int, walks *atomic.Int32, failAfter int) *fakeStore {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	return &fakeStore{
		getGroupFn: func(_ context.Context, _, id string) (*scim.Resource, error) {
			if id != "big" {
				return nil, scim.ErrNotFound
			}
			return &scim.Resource{ID: "big", Type: scim.ResourceGroup, Attributes: map[string]any{"displayName": "Everyone"},
				Meta: scim.Meta{Created: now, LastModified: now, Version: 3}}, nil
		},
		walkFn: func(_ context.Context, _, _ string, fn func(scim.Member) error) error {
			walks.Add(1)
			for i := range members {
				if failAfter > 0 && i == failAfter {
					return errors.New("connection reset by peer")
				}
				if err := fn(scim.Member{Value: fmt.Sprintf("user-%06d", i), Type: scim.ResourceUser, Display: "u"}); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func TestGroupMembersStream(t *testing.T) {
	t.Parallel()
	const n = 100_000
	var walks atomic.Int32
	e := newFakeEnv(t, bigGroupStore(n, &walks, 0))

	res := e.get("/Groups/big").mustStatus(t, http.StatusOK, "GET big group")
	assert.Equal(t, `W/"3"`, res.Header.Get("ETag"))
	assert.Equal(t, "Everyone", res.Body["displayName"])
	members := res.Body["members"].([]any)
	require.Len(t, members, n)
	assert.Equal(t, map[string]any{"value": "user-000000", "type": "User", "display": "u", "$ref": "http://example.com/scim/v2/Users/user-000000"}, members[0])
	assert.Equal(t, int32(1), walks.Load())

	// What Entra ID sends: members never read.
	res = e.get("/Groups/big?excludedAttributes=members").mustStatus(t, http.StatusOK, "excludedAttributes=members")
	assert.NotContains(t, res.Body, "members")
	res = e.get("/Groups/big?attributes=displayName").mustStatus(t, http.StatusOK, "attributes=displayName")
	assert.NotContains(t, res.Body, "members")
	assert.Equal(t, int32(1), walks.Load(), "WalkMembers is not called when members are not wanted")

	// Sub-attribute projection applies to streamed members too.
	res = e.get("/Groups/big?attributes=members.value").mustStatus(t, http.StatusOK, "attributes=members.value")
	members = res.Body["members"].([]any)
	require.Len(t, members, n)
	assert.Equal(t, map[string]any{"value": "user-000000"}, members[0])

	e.get("/Groups/nope").mustStatus(t, http.StatusNotFound, "unknown group")
}

func TestGroupMembersStreamFailure(t *testing.T) {
	t.Parallel()
	var walks atomic.Int32
	// Fails early: nothing sent yet, so a proper 500.
	early := newFakeEnv(t, bigGroupStore(100, &walks, 10))
	res := early.get("/Groups/big")
	assertSCIMError(t, res, http.StatusInternalServerError, "", "early stream failure")
	assert.Empty(t, res.Header.Get("ETag"))

	// Fails after the response started: the connection is cut, the client never gets JSON that
	// parses as a complete group.
	late := newFakeEnv(t, bigGroupStore(100_000, &walks, 50_000))
	srv := httptest.NewServer(late.handler)
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/scim/v2/Groups/big", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+late.tokenA)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, readErr := io.ReadAll(resp.Body)
	var v map[string]any
	assert.True(t, readErr != nil || json.Unmarshal(body, &v) != nil, "a failed stream must not look complete")
}
