package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// Tests over the real stores, each run on Postgres and on SQLite: tenancy, unknown ids,
// filters, concurrency, PUT, ETags and the unknown-attribute metric.

func TestUnknownAndForeignIDs(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		uid := e.createUser("alice@a.example", nil)
		gid := e.createGroup("team a", uid)

		for _, p := range []string{"/Users/", "/Groups/"} {
			for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid", "x%27%3B+DROP+TABLE+users%3B--"} {
				assertSCIMError(t, e.get(p+id), http.StatusNotFound, "", "GET "+p+id)
				assertSCIMError(t, e.delete(p+id), http.StatusNotFound, "", "DELETE "+p+id)
				assertSCIMError(t, e.patch(p+id, `{"schemas":["`+scim.MessagePatchOp+`"],"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`),
					http.StatusNotFound, "", "PATCH "+p+id)
			}
		}

		// Tenant B sees none of tenant A's resources, by id or by filter.
		asB := func(method, path string, body any) *response {
			return e.do(request{Method: method, Path: path, Body: body, Token: e.tokenB})
		}
		for _, tc := range []struct{ method, path string }{
			{http.MethodGet, "/Users/" + uid},
			{http.MethodGet, "/Groups/" + gid},
			{http.MethodDelete, "/Users/" + uid},
			{http.MethodDelete, "/Groups/" + gid},
		} {
			assertSCIMError(t, asB(tc.method, tc.path, nil), http.StatusNotFound, "", "tenant B "+tc.method+" "+tc.path)
		}
		assertSCIMError(t, asB(http.MethodPut, "/Users/"+uid, map[string]any{"userName": "stolen"}), http.StatusNotFound, "", "tenant B PUT")
		assertSCIMError(t, asB(http.MethodPatch, "/Users/"+uid, map[string]any{"schemas": []string{scim.MessagePatchOp},
			"Operations": []any{map[string]any{"op": "replace", "path": "userName", "value": "stolen"}}}), http.StatusNotFound, "", "tenant B PATCH")
		res := asB(http.MethodGet, "/Users?"+filterQuery(`userName eq "alice@a.example"`), nil)
		mustList(t, res, 0, "tenant B filter")
		mustList(t, asB(http.MethodGet, "/Groups", nil), 0, "tenant B groups")
		// Tenant B cannot make A's user a member of its group.
		bg := asB(http.MethodPost, "/Groups", map[string]any{"displayName": "team b", "members": []any{map[string]any{"value": uid}}})
		assertSCIMError(t, bg, http.StatusBadRequest, scim.TypeInvalidValue, "tenant B group with A's user")
		// And the same userName is free in tenant B.
		asB(http.MethodPost, "/Users", map[string]any{"userName": "alice@a.example"}).mustStatus(t, http.StatusCreated, "same userName in tenant B")

		// A's data is intact.
		e.get("/Users/"+uid).mustStatus(t, http.StatusOK, "A's user still there")
		assert.Equal(t, []string{uid}, memberIDs(e.get("/Groups/"+gid).Body))
	})
}

func TestFilters(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		e.createUser("alice@example.com", map[string]any{"displayName": "Alice", "active": true,
			"emails": []any{map[string]any{"value": "alice@work.example", "type": "work"}}})
		e.createUser("bob@example.com", map[string]any{"displayName": "Bob", "active": false})
		e.createUser("o'brien@example.com", nil)
		for _, tc := range []struct {
			filter string
			total  int
		}{
			{`userName eq "alice@example.com"`, 1},
			{`USERNAME eq "ALICE@EXAMPLE.COM"`, 1},
			{`userName eq "alice@example.com" or userName eq "bob@example.com"`, 2},
			{`active eq false`, 1},
			{`displayName pr`, 2},
			{`emails[type eq "work"].value eq "alice@work.example"`, 1},
			{`userName eq "o'brien@example.com"`, 1},
			// SQL-looking values are values: they match nothing and break nothing.
			{`userName eq "x' OR '1'='1"`, 0},
			{`userName eq "\"; DROP TABLE users; --"`, 0},
			{`displayName co "%"`, 0},
			{`displayName sw "_"`, 0},
			{`userName eq "a\\' OR 1=1 --"`, 0},
		} {
			mustList(t, e.get("/Users?"+filterQuery(tc.filter)), tc.total, tc.filter)
		}
		mustList(t, e.get("/Users"), 3, "users still there after SQL-looking filters")

		for _, f := range []string{`userName eq`, `userName eq "x" and`, `nosuchattr eq "x"`, `emails[type eq "work"`} {
			res := e.get("/Users?" + filterQuery(f))
			assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidFilter, f)
			assertNoLeak(t, res, f)
		}
		res := e.get("/Users?" + filterQuery(`userName eq`))
		assert.Regexp(t, `position \d+`, res.Body["detail"])

		// POST /.search is the same query.
		found := e.post("/Users/.search", map[string]any{"schemas": []string{scim.MessageSearch},
			"filter": `userName eq "bob@example.com"`, "attributes": []string{"userName"}, "startIndex": 1, "count": 10})
		list := mustList(t, found, 1, "search")
		assert.Equal(t, "bob@example.com", list[0]["userName"])
		assert.NotContains(t, list[0], "displayName", "attributes honoured")
	})
}

func TestProjectionAndETag(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		uid := e.createUser("carol@example.com", map[string]any{"displayName": "Carol", "title": "CTO",
			"password": "s3cret-Passw0rd", "name": map[string]any{"givenName": "Carol", "familyName": "C"}})
		gid := e.createGroup("leaders", uid)

		res := e.get("/Users/"+uid+"?attributes=userName,name.givenName").mustStatus(t, http.StatusOK, "attributes")
		assert.Equal(t, "carol@example.com", res.Body["userName"])
		assert.Equal(t, map[string]any{"givenName": "Carol"}, res.Body["name"])
		assert.NotContains(t, res.Body, "title")
		assert.NotContains(t, res.Body, "groups", "groups not read when not wanted")
		res = e.get("/Users/"+uid+"?excludedAttributes=title,groups").mustStatus(t, http.StatusOK, "excludedAttributes")
		assert.NotContains(t, res.Body, "title")
		assert.NotContains(t, res.Body, "groups")
		assert.Equal(t, "Carol", res.Body["displayName"])
		assert.NotContains(t, string(res.Raw), "s3cret", "passwords are never returned")
		assert.NotContains(t, string(res.Raw), "password")

		etag := res.Header.Get("ETag")
		assert.Equal(t, res.Body["meta"].(map[string]any)["version"], etag)
		// A PATCH that changes nothing keeps the version.
		same := e.patch("/Users/"+uid, map[string]any{"schemas": []string{scim.MessagePatchOp},
			"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Carol"}}}).mustStatus(t, http.StatusOK, "no-op patch")
		assert.Equal(t, etag, same.Header.Get("ETag"))
		// If-Match: a stale version is 412, the current one works.
		stale := e.do(request{Method: http.MethodPatch, Path: "/Users/" + uid, Header: map[string]string{"If-Match": `W/"999"`},
			Body: map[string]any{"schemas": []string{scim.MessagePatchOp}, "Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "CEO"}}}})
		assertSCIMError(t, stale, http.StatusPreconditionFailed, "", "stale If-Match")
		fresh := e.do(request{Method: http.MethodPatch, Path: "/Users/" + uid, Header: map[string]string{"If-Match": etag},
			Body: map[string]any{"schemas": []string{scim.MessagePatchOp}, "Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "CEO"}}}})
		fresh.mustStatus(t, http.StatusOK, "current If-Match")
		assert.NotEqual(t, etag, fresh.Header.Get("ETag"), "a change bumps the version")
		assertSCIMError(t, e.do(request{Method: http.MethodDelete, Path: "/Users/" + uid, Header: map[string]string{"If-Match": etag}}),
			http.StatusPreconditionFailed, "", "DELETE with stale If-Match")
		assertSCIMError(t, e.do(request{Method: http.MethodDelete, Path: "/Groups/" + gid, Header: map[string]string{"If-Match": `"not-a-version"`}}),
			http.StatusPreconditionFailed, "", "DELETE with an If-Match naming no version")
		e.get("/Users/"+uid).mustStatus(t, http.StatusOK, "a refused DELETE deletes nothing")

		g := e.get("/Groups/"+gid+"?attributes=members").mustStatus(t, http.StatusOK, "group attributes=members")
		assert.Equal(t, []string{uid}, memberIDs(g.Body))
		assert.NotContains(t, g.Body, "displayName")

		e.do(request{Method: http.MethodDelete, Path: "/Users/" + uid, Header: map[string]string{"If-Match": fresh.Header.Get("ETag")}}).
			mustStatus(t, http.StatusNoContent, "DELETE with the current If-Match")
		g = e.get("/Groups/"+gid).mustStatus(t, http.StatusOK, "group after its member's delete")
		assert.Empty(t, memberIDs(g.Body))
	})
}

func TestPut(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		uid := e.createUser("dave@example.com", map[string]any{"displayName": "Dave", "title": "Dev"})
		res := e.put("/Users/"+uid, map[string]any{"schemas": []string{scim.SchemaUser}, "userName": "dave@example.com", "nickName": "D"}).
			mustStatus(t, http.StatusOK, "PUT user")
		assert.Equal(t, "D", res.Body["nickName"])
		assert.NotContains(t, res.Body, "title", "PUT replaces: omitted attributes are cleared")
		assertSCIMError(t, e.put("/Users/"+uid, map[string]any{"displayName": "no userName"}), http.StatusBadRequest, "", "PUT without userName")
		other := e.createUser("erin@example.com", nil)
		assertSCIMError(t, e.put("/Users/"+other, map[string]any{"userName": "DAVE@example.com"}), http.StatusConflict, scim.TypeUniqueness, "PUT to a taken userName")

		u2 := e.createUser("frank@example.com", nil)
		gid := e.createGroup("put group", uid)
		// Without "members" the members stay; with "members" they become the set.
		res = e.put("/Groups/"+gid, map[string]any{"displayName": "renamed"}).mustStatus(t, http.StatusOK, "PUT group without members")
		assert.Equal(t, "renamed", res.Body["displayName"])
		assert.Equal(t, []string{uid}, memberIDs(res.Body))
		res = e.put("/Groups/"+gid, map[string]any{"displayName": "renamed", "members": []any{map[string]any{"value": u2}}}).
			mustStatus(t, http.StatusOK, "PUT group with members")
		assert.Equal(t, []string{u2}, memberIDs(res.Body))
		res = e.put("/Groups/"+gid, map[string]any{"displayName": "renamed", "members": []any{}}).mustStatus(t, http.StatusOK, "PUT group clearing members")
		assert.Empty(t, memberIDs(res.Body))
	})
}

func TestConcurrentGroupMemberAdds(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		gid := e.createGroup("everyone")
		const n = 50
		users := make([]string, n)
		for i := range users {
			users[i] = e.createUser(fmt.Sprintf("member%02d@example.com", i), nil)
		}
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i, u := range users {
			wg.Go(func() {
				res := e.patch("/Groups/"+gid, map[string]any{"schemas": []string{scim.MessagePatchOp},
					"Operations": []any{map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": u}}}}})
				codes[i] = res.Code
			})
		}
		wg.Wait()
		for i, c := range codes {
			assert.Equal(t, http.StatusNoContent, c, "PATCH %d", i)
		}
		assert.ElementsMatch(t, users, memberIDs(e.get("/Groups/"+gid).Body), "all fifty members present")
	})
}

func TestConcurrentUserPatches(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		uid := e.createUser("grace@example.com", nil)
		changes := map[string]string{
			"displayName":                     "Grace",
			"nickName":                        "G",
			"title":                           "Admiral",
			"userType":                        "Employee",
			"preferredLanguage":               "en",
			"locale":                          "en-US",
			"timezone":                        "America/New_York",
			"profileUrl":                      "https://example.com/grace",
			"name.givenName":                  "Grace",
			"name.familyName":                 "Hopper",
			enterpriseURN + ":department":     "Navy",
			enterpriseURN + ":employeeNumber": "1906",
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		failures := map[string]string{}
		for path, value := range changes {
			wg.Go(func() {
				res := e.patch("/Users/"+uid, map[string]any{"schemas": []string{scim.MessagePatchOp},
					"Operations": []any{map[string]any{"op": "replace", "path": path, "value": value}}})
				if res.Code != http.StatusOK {
					mu.Lock()
					failures[path] = fmt.Sprintf("%d %s", res.Code, res.Raw)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Empty(t, failures)
		u := e.get("/Users/" + uid).Body
		for _, a := range []string{"displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone", "profileUrl"} {
			assert.Equal(t, changes[a], u[a], a)
		}
		assert.Equal(t, map[string]any{"givenName": "Grace", "familyName": "Hopper"}, u["name"])
		assert.Equal(t, "Navy", ext(u)["department"])
		assert.Equal(t, "1906", ext(u)["employeeNumber"])
	})
}

func TestUnknownAttributesDropped(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		before := e.counterValue("scim_unknown_attributes_total", map[string]string{"resource_type": "User"})
		assert.Zero(t, before)
		res := e.post("/Users", map[string]any{
			"schemas":                     []string{scim.SchemaUser},
			"userName":                    "heidi@example.com",
			"favouriteColour":             "green",
			"emails":                      []any{map[string]any{"value": "heidi@example.com", "type": "work", "shoeSize": 38}},
			"urn:example:custom:2.0:User": map[string]any{"costCentre": "42"},
		}).mustStatus(t, http.StatusCreated, "create with unknown attributes")
		assert.NotContains(t, string(res.Raw), "favouriteColour")
		assert.NotContains(t, string(res.Raw), "shoeSize")
		assert.NotContains(t, string(res.Raw), "costCentre")
		after := e.counterValue("scim_unknown_attributes_total", map[string]string{"resource_type": "User"})
		assert.GreaterOrEqual(t, after, 3.0, "every dropped attribute counted")
		assert.Contains(t, e.logs.String(), "favouriteColour", "dropped names are logged")

		id := res.Body["id"].(string)
		got := e.get("/Users/" + id).Body
		assert.NotContains(t, got, "favouriteColour")

		e.put("/Users/"+id, map[string]any{"userName": "heidi@example.com", "bogus": 1}).mustStatus(t, http.StatusOK, "PUT with unknown")
		assert.Greater(t, e.counterValue("scim_unknown_attributes_total", map[string]string{"resource_type": "User"}), after)
		assert.Equal(t, 1.0, e.counterValue("scim_provisioning_operations_total", map[string]string{"resource_type": "User", "operation": "create"}))
		assert.Equal(t, 1.0, e.counterValue("scim_provisioning_operations_total", map[string]string{"resource_type": "User", "operation": "replace"}))
	})
}

// TestPatchRemoveMembersByFilter replays RFC 7644 §3.5.2.2 removals with member filters other
// than Entra ID's members[value eq "id"]: they remove exactly the members the filter matches.
func TestPatchRemoveMembersByFilter(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		alice := e.createUser("alice@example.com", map[string]any{"displayName": "Alice"})
		bob := e.createUser("bob@example.com", map[string]any{"displayName": "Bob"})
		sub := e.createGroup("Contractors")
		gid := e.createGroup("Engineering", alice, bob, sub)
		remove := func(path string) *response {
			return e.patch("/Groups/"+gid, map[string]any{"schemas": []string{scim.MessagePatchOp},
				"Operations": []any{map[string]any{"op": "remove", "path": path}}})
		}

		remove(`members[type eq "Group"]`).mustStatus(t, http.StatusNoContent, "remove the nested group")
		g := e.get("/Groups/"+gid).mustStatus(t, http.StatusOK, "group")
		assert.ElementsMatch(t, []string{alice, bob}, memberIDs(g.Body))

		remove(`members[display eq "ALICE" and type eq "User"]`).mustStatus(t, http.StatusNoContent, "remove by display")
		g = e.get("/Groups/"+gid).mustStatus(t, http.StatusOK, "group")
		assert.Equal(t, []string{bob}, memberIDs(g.Body))

		remove(`members[display sw "nobody"]`).mustStatus(t, http.StatusNoContent, "a filter matching nobody is not an error")
		assertSCIMError(t, remove(`members[manager eq "x"]`), http.StatusBadRequest, scim.TypeInvalidFilter, "unknown sub-attribute")
		assertSCIMError(t, remove(`members[$ref eq "x"]`), http.StatusBadRequest, scim.TypeInvalidFilter, "$ref is not filterable")
		g = e.get("/Groups/"+gid).mustStatus(t, http.StatusOK, "group")
		assert.Equal(t, []string{bob}, memberIDs(g.Body), "refused removals change nothing")
	})
}

// TestListUsersGroupsInBatches lists more users than one groups batch (groupsBatch): every
// user of the page gets its own groups, across batch boundaries, and excluding groups reads
// none.
func TestListUsersGroupsInBatches(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		const n = 120
		want := map[string][]string{}
		var users []string
		for i := range n {
			users = append(users, e.createUser(fmt.Sprintf("u%03d@example.com", i), nil))
		}
		// Group k holds every user whose index is a multiple of k+1, so users differ in how
		// many groups they have (user 0 is in all of them).
		for k := range 7 {
			var members []string
			for i, u := range users {
				if i%(k+1) == 0 {
					members = append(members, u)
				}
			}
			gid := e.createGroup(fmt.Sprintf("g%d", k), members...)
			for _, u := range members {
				want[u] = append(want[u], gid)
			}
		}
		res := e.get(fmt.Sprintf("/Users?count=%d", n)).mustStatus(t, http.StatusOK, "list users")
		got := res.Body["Resources"].([]any)
		require.Len(t, got, n)
		for _, r := range got {
			u := r.(map[string]any)
			id := u["id"].(string)
			var gids []string
			gs, _ := u["groups"].([]any)
			for _, g := range gs {
				gids = append(gids, g.(map[string]any)["value"].(string))
			}
			assert.ElementsMatch(t, want[id], gids, "groups of %s", u["userName"])
		}
		res = e.get(fmt.Sprintf("/Users?count=%d&excludedAttributes=groups", n)).mustStatus(t, http.StatusOK, "list without groups")
		for _, r := range res.Body["Resources"].([]any) {
			assert.NotContains(t, r.(map[string]any), "groups")
		}
	})
}
