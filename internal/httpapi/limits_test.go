package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scimd/scimd/internal/scim"
)

// Inputs a client can send that a backend cannot store, and the limits that keep one request's
// work bounded: each is a 4xx naming the problem, the same on every backend, never a 500.

// TestNULInValues: PostgreSQL text and jsonb cannot hold U+0000. Any string attribute with it is
// a 400 invalidValue on every backend, in POST, PUT and PATCH alike.
func TestNULInValues(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		uid := e.createUser("alice", nil)
		gid := e.createGroup("team")
		patchOp := func(path string) string {
			return `{"schemas":["` + scim.MessagePatchOp + `"],"Operations":[{"op":"add","path":"` + path + `","value":"x\u0000y"}]}`
		}
		for _, tc := range []struct {
			name string
			res  *response
		}{
			{"POST userName", e.post("/Users", `{"userName":"a\u0000b"}`)},
			{"POST externalId", e.post("/Users", `{"userName":"b","externalId":"\u0000"}`)},
			{"POST emails.value", e.post("/Users", `{"userName":"c","emails":[{"value":"c\u0000@example.com"}]}`)},
			{"POST nickName", e.post("/Users", `{"userName":"d","nickName":"\u0000"}`)},
			{"POST group displayName", e.post("/Groups", `{"displayName":"g\u0000"}`)},
			{"PUT title", e.put("/Users/"+uid, `{"userName":"alice","title":"CEO\u0000"}`)},
			{"PUT group displayName", e.put("/Groups/"+gid, `{"displayName":"\u0000team"}`)},
			{"PATCH nickName", e.patch("/Users/"+uid, patchOp("nickName"))},
			{"PATCH enterprise department", e.patch("/Users/"+uid, patchOp(scim.SchemaEnterpriseUser+":department"))},
			{"PATCH group displayName", e.patch("/Groups/"+gid, patchOp("displayName"))},
		} {
			assertSCIMError(t, tc.res, http.StatusBadRequest, scim.TypeInvalidValue, tc.name)
			assert.Contains(t, tc.res.Body["detail"], "NUL", tc.name)
		}
		assert.NotContains(t, e.logs.String(), "internal error")
		mustList(t, e.get("/Users"), 1, "no user was created")
	})
}
