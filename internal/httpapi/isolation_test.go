package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scimd/scimd/internal/scim"
)

// TestForeignIDsEverywhere goes through the places TestUnknownAndForeignIDs does not: another
// tenant's ids in group PUT and PATCH, If-Match, member values and member filters, groups.value
// and members.value filters, and a cursor from another tenant. An id of tenant A behaves for
// tenant B exactly like an id that does not exist, and nothing of A changes.
func TestForeignIDsEverywhere(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		ua := e.createUser("alice", nil)
		ga := e.createGroup("team a", ua)
		ga2 := e.createGroup("other a")
		asB := func(method, path string, body any, header map[string]string) *response {
			return e.do(request{Method: method, Path: path, Body: body, Token: e.tokenB, Header: header})
		}
		patchOp := func(op, path string, value any) map[string]any {
			o := map[string]any{"op": op, "path": path}
			if value != nil {
				o["value"] = value
			}
			return map[string]any{"schemas": []string{scim.MessagePatchOp}, "Operations": []any{o}}
		}
		ub := asB(http.MethodPost, "/Users", map[string]any{"userName": "bob"}, nil).mustStatus(t, http.StatusCreated, "B's user").Body["id"].(string)
		gb := asB(http.MethodPost, "/Groups", map[string]any{"displayName": "team b", "members": []any{map[string]any{"value": ub}}}, nil).
			mustStatus(t, http.StatusCreated, "B's group").Body["id"].(string)

		// A's group by id, with and without If-Match: 404, never 412 (which would say it exists).
		for _, h := range []map[string]string{nil, {"If-Match": `W/"1"`}, {"If-Match": `W/"999"`}} {
			assertSCIMError(t, asB(http.MethodPut, "/Groups/"+ga, map[string]any{"displayName": "stolen", "members": []any{}}, h),
				http.StatusNotFound, "", "PUT A's group")
			assertSCIMError(t, asB(http.MethodPatch, "/Groups/"+ga, patchOp("remove", "members", nil), h), http.StatusNotFound, "", "PATCH A's group")
			assertSCIMError(t, asB(http.MethodPatch, "/Groups/"+ga, patchOp("remove", `members[type eq "User"]`, nil), h),
				http.StatusNotFound, "", "PATCH A's group by member filter")
			assertSCIMError(t, asB(http.MethodDelete, "/Users/"+ua, nil, h), http.StatusNotFound, "", "DELETE A's user")
			assertSCIMError(t, asB(http.MethodPatch, "/Users/"+ua, patchOp("replace", "active", false), h), http.StatusNotFound, "", "PATCH A's user")
		}

		// A's ids as members of B's group: a 400 naming them, as for unknown ids; removing them
		// is a no-op on B's group.
		for _, id := range []string{ua, ga, ga2} {
			res := asB(http.MethodPatch, "/Groups/"+gb, patchOp("add", "members", []any{map[string]any{"value": id}}), nil)
			assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidValue, "add A's id to B's group")
			assert.Contains(t, res.Body["detail"], id)
			res = asB(http.MethodPut, "/Groups/"+gb, map[string]any{"displayName": "team b", "members": []any{map[string]any{"value": id}}}, nil)
			assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidValue, "PUT B's group with A's id")
			asB(http.MethodPatch, "/Groups/"+gb, patchOp("remove", `members[value eq "`+id+`"]`, nil), nil).
				mustStatus(t, http.StatusNoContent, "remove A's id from B's group")
		}
		assert.Equal(t, []string{ub}, memberIDs(asB(http.MethodGet, "/Groups/"+gb, nil, nil).Body), "B's group unchanged")

		// Filters naming A's ids find nothing in B.
		for _, f := range []string{`groups.value eq "` + ga + `"`, `groups[value eq "` + ga + `"]`, `id eq "` + ua + `"`} {
			mustList(t, asB(http.MethodGet, "/Users?"+filterQuery(f), nil, nil), 0, "B: "+f)
		}
		for _, f := range []string{`members.value eq "` + ua + `"`, `members[value eq "` + ua + `"]`, `id eq "` + ga + `"`} {
			mustList(t, asB(http.MethodGet, "/Groups?"+filterQuery(f), nil, nil), 0, "B: "+f)
		}

		// A cursor of A's list continues B's own list (a position, not a grant): B sees only B's.
		first := e.get("/Users?cursor=&count=1").mustStatus(t, http.StatusOK, "A's first cursor page")
		next, _ := first.Body["nextCursor"].(string)
		if next == "" {
			// A has one user: make a second so that the first page has a nextCursor.
			e.createUser("alice2", nil)
			first = e.get("/Users?cursor=&count=1").mustStatus(t, http.StatusOK, "A's first cursor page")
			next, _ = first.Body["nextCursor"].(string)
		}
		assert.NotEmpty(t, next)
		res := asB(http.MethodGet, "/Users?count=10&cursor="+next, nil, nil).mustStatus(t, http.StatusOK, "A's cursor in B")
		for _, r := range res.Body["Resources"].([]any) {
			assert.Equal(t, ub, r.(map[string]any)["id"], "only B's users")
		}

		// A's data is intact.
		assert.Equal(t, []string{ua}, memberIDs(e.get("/Groups/"+ga).Body))
		assert.Equal(t, "team a", e.get("/Groups/" + ga).Body["displayName"])
		assert.NotContains(t, e.get("/Users/"+ua).Body, "active")
	})
}
