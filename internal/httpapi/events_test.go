package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// eventLister is the provisioning log of the SQL stores.
type eventLister interface {
	ListEvents(ctx context.Context, tenantID string, afterID int64, limit int) ([]sqlstore.Event, error)
}

// TestWritesAreLoggedByOperation checks that each HTTP method is recorded in the provisioning
// log as what it is: a user PATCH is a "patch", not the "replace" it is stored like, and a
// group PUT is a "replace" whether or not it names the members.
func TestWritesAreLoggedByOperation(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		el, ok := e.store.(eventLister)
		require.True(t, ok, "%T has no provisioning log", e.store)

		uid := e.createUser("ada", nil)
		e.patch("/Users/"+uid, map[string]any{"schemas": []string{scim.MessagePatchOp},
			"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Ada"}}}).
			mustStatus(t, http.StatusOK, "patch user")
		e.put("/Users/"+uid, map[string]any{"schemas": []string{scim.SchemaUser}, "userName": "ada"}).
			mustStatus(t, http.StatusOK, "replace user")
		gid := e.createGroup("eng")
		e.patch("/Groups/"+gid, map[string]any{"schemas": []string{scim.MessagePatchOp},
			"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": uid}}}}}).
			mustStatus(t, http.StatusNoContent, "patch group")
		e.put("/Groups/"+gid, map[string]any{"schemas": []string{scim.SchemaGroup}, "displayName": "eng2"}).
			mustStatus(t, http.StatusOK, "replace group without members")
		e.put("/Groups/"+gid, map[string]any{"schemas": []string{scim.SchemaGroup}, "displayName": "eng3", "members": []any{}}).
			mustStatus(t, http.StatusOK, "replace group with members")
		e.delete("/Users/"+uid).mustStatus(t, http.StatusNoContent, "delete user")

		evs, err := el.ListEvents(context.Background(), e.tenantA.ID, 0, 100)
		require.NoError(t, err)
		type ev struct{ op, typ, id, token string }
		var got []ev
		for _, x := range evs {
			got = append(got, ev{x.Operation, x.ResourceType, x.ResourceID, x.TokenID})
		}
		assert.Equal(t, []ev{
			{"create", "User", uid, "tok-a"},
			{"patch", "User", uid, "tok-a"},
			{"replace", "User", uid, "tok-a"},
			{"create", "Group", gid, "tok-a"},
			{"patch", "Group", gid, "tok-a"},
			{"replace", "Group", gid, "tok-a"},
			{"replace", "Group", gid, "tok-a"},
			{"delete", "User", uid, "tok-a"},
		}, got)
	})
}
