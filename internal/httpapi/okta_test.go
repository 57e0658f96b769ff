package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// The Okta lifecycle as an admin of a SCIM app integration sees it (docs/okta.md), replayed as
// one sequence per test on both backends. The request shapes are those of the recorded Okta
// exchanges in testdata/idp/okta (Okta's SCIM 2.0 reference examples), which
// TestFixtureReplay replays one by one; here they follow each other on the same data, and every
// step is checked on the response and on what the store holds afterwards. Where Okta sends a
// shape no fixture records (the App Integration Wizard's PUT for deactivation and for groups,
// the connector test's GET /Users?startIndex=1&count=2, reactivation and password sync in the
// path-less PATCH shape of the recorded deactivation), the comment says where it comes from.

// Ids in the recorded Okta exchanges, replaced by ours.
const (
	oktaFixtureUserID  = "23a35c27-23d3-4c03-b4c5-6443c09e7173"
	oktaFixtureGroupID = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b"
)

// oktaUserExistsQuery is the recorded user exists check (user_exists.json). Okta's reference
// shows the same query with %20 for the spaces; the case-insensitive check below sends that form.
const oktaUserExistsQuery = "/Users?filter=userName+eq+%22test.user%40okta.local%22&startIndex=1&count=100"

// oktaRequest returns the request body of a recorded Okta exchange with the fixture's ids
// replaced by ours (fixture id -> ours).
func oktaRequest(t *testing.T, name string, ids map[string]string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "idp", "okta", name+".json"))
	require.NoError(t, err)
	var fx fixture
	require.NoError(t, json.Unmarshal(raw, &fx))
	require.NotEmpty(t, fx.Request, "fixture %s has no request", name)
	body := string(fx.Request)
	for from, to := range ids {
		body = strings.ReplaceAll(body, from, to)
	}
	return body
}

// oktaUserBody is a user as Okta's create request carries it (create_user.json), for a
// userName of our choice.
func oktaUserBody(userName, givenName, familyName string) map[string]any {
	return map[string]any{
		"schemas":     []any{scim.SchemaUser},
		"userName":    userName,
		"name":        map[string]any{"givenName": givenName, "familyName": familyName},
		"emails":      []any{map[string]any{"primary": true, "value": userName, "type": "work"}},
		"displayName": givenName + " " + familyName,
		"locale":      "en-US",
		"externalId":  "00u" + strings.ReplaceAll(uuid.NewString(), "-", "")[:17],
		"groups":      []any{},
		"password":    "pw-" + randomHex(4),
		"active":      true,
	}
}

// storedUser reads a user straight from the store, with its groups.
func (e *env) storedUser(id string) *scim.Resource {
	e.t.Helper()
	u, err := e.store.GetUser(context.Background(), e.tenantA.ID, id, true)
	require.NoError(e.t, err, "stored user %s", id)
	return u
}

// storedGroup reads a group and its members straight from the store.
func (e *env) storedGroup(id string) (*scim.Resource, []scim.Member) {
	e.t.Helper()
	ctx := context.Background()
	g, err := e.store.GetGroup(ctx, e.tenantA.ID, id)
	require.NoError(e.t, err, "stored group %s", id)
	var members []scim.Member
	require.NoError(e.t, e.store.WalkMembers(ctx, e.tenantA.ID, id, func(m scim.Member) error {
		members = append(members, m)
		return nil
	}))
	return g, members
}

// storedMemberIDs returns the ids of a group's stored members, and checks that every one is a
// User: Okta sends members without "type", and scimd must have resolved it.
func (e *env) storedMemberIDs(gid string) []string {
	e.t.Helper()
	_, members := e.storedGroup(gid)
	ids := []string{}
	for _, m := range members {
		assert.Equal(e.t, scim.ResourceUser, m.Type, "member %s stored as a User", m.Value)
		ids = append(ids, m.Value)
	}
	return ids
}

// oktaEvents returns the provisioning log entries of one resource, as "operation" strings.
func (e *env) oktaEvents(resourceID string) []string {
	e.t.Helper()
	el, ok := e.store.(eventLister)
	require.True(e.t, ok, "%T has no provisioning log", e.store)
	evs, err := el.ListEvents(context.Background(), e.tenantA.ID, 0, 10000)
	require.NoError(e.t, err)
	var ops []string
	for _, ev := range evs {
		if ev.ResourceID == resourceID {
			assert.Equal(e.t, "tok-a", ev.TokenID, "event %d names the token that acted", ev.ID)
			assert.Equal(e.t, "ok", ev.Outcome)
			ops = append(ops, ev.Operation)
		}
	}
	return ops
}

// checkOktaResource checks what Okta reads from every single-resource answer: the SCIM content
// type, schemas, id, meta (resourceType, created, lastModified, version, location ending in the
// id) and an ETag matching meta.version.
func checkOktaResource(t *testing.T, res *response, resourceType, id, what string) {
	t.Helper()
	assert.Equal(t, "application/scim+json; charset=utf-8", res.Header.Get("Content-Type"), what)
	schema := scim.SchemaUser
	endpoint := "/Users/"
	if resourceType == scim.ResourceGroup {
		schema, endpoint = scim.SchemaGroup, "/Groups/"
	}
	require.NotNil(t, res.Body, "%s: body %q", what, res.Raw)
	schemas, _ := res.Body["schemas"].([]any)
	assert.Contains(t, schemas, any(schema), "%s: schemas", what)
	assert.Equal(t, id, res.Body["id"], "%s: id", what)
	meta, _ := res.Body["meta"].(map[string]any)
	require.NotNil(t, meta, "%s: meta", what)
	assert.Equal(t, resourceType, meta["resourceType"], "%s: meta.resourceType", what)
	assert.NotEmpty(t, meta["created"], "%s: meta.created", what)
	assert.NotEmpty(t, meta["lastModified"], "%s: meta.lastModified", what)
	assert.True(t, strings.HasSuffix(fmt.Sprint(meta["location"]), "/scim/v2"+endpoint+id), "%s: meta.location %v", what, meta["location"])
	assert.Equal(t, res.Header.Get("ETag"), meta["version"], "%s: ETag is meta.version", what)
	assert.NotContains(t, string(res.Raw), "password", "%s: the password is never returned", what)
}

// version returns meta.version of a resource body.
func version(body map[string]any) any {
	meta, _ := body["meta"].(map[string]any)
	return meta["version"]
}

// TestOktaUserLifecycle replays what Okta sends for one user, from the connector test to
// deactivation and reactivation, in both the PUT form of App Integration Wizard (AIW) apps
// and the PATCH form of Okta Integration Network (OIN) apps.
func TestOktaUserLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)

		// 1. Test Connector Configuration: GET /Users?startIndex=1&count=2 (Okta's "Test API
		// Credentials" request in its SCIM 2.0 test suite) on an empty tenant.
		probe := e.get("/Users?startIndex=1&count=2")
		mustList(t, probe, 0, "connector test")
		assert.Equal(t, 1.0, probe.Body["startIndex"])
		assert.Equal(t, 0.0, probe.Body["itemsPerPage"], "itemsPerPage is an integer, the page length")
		assert.Contains(t, string(probe.Raw), `"Resources":[]`, "Resources is an empty array, not null or absent")
		assert.Equal(t, "application/scim+json; charset=utf-8", probe.Header.Get("Content-Type"))
		// A wrong token in the HTTP Header field: 401 with a SCIM error Okta shows.
		bad := e.send(request{Method: http.MethodGet, Path: "/Users?startIndex=1&count=2", Token: "scimd_not-a-token"})
		assertSCIMError(t, bad, http.StatusUnauthorized, "", "connector test with a wrong token")
		assert.True(t, strings.HasPrefix(bad.Header.Get("WWW-Authenticate"), "Bearer"), "WWW-Authenticate: %q", bad.Header.Get("WWW-Authenticate"))
		noAuth := e.send(request{Method: http.MethodGet, Path: "/Users?startIndex=1&count=2", Token: "none"})
		assertSCIMError(t, noAuth, http.StatusUnauthorized, "", "connector test without Authorization")

		// 2. Assignment: Okta looks the user up by the unique identifier field (userName),
		// exactly as user_exists.json records it.
		mustList(t, e.get(oktaUserExistsQuery), 0, "user exists check before create")

		// 3. Create (create_user.json): the Okta profile with a random password and groups [].
		created := e.post("/Users", oktaRequest(t, "create_user", nil)).mustStatus(t, http.StatusCreated, "create user")
		id, _ := created.Body["id"].(string)
		_, err := uuid.Parse(id)
		require.NoError(t, err, "id is a scimd UUID, not Okta's externalId: %v", created.Body["id"])
		checkOktaResource(t, created, scim.ResourceUser, id, "create user")
		assert.Equal(t, created.Body["meta"].(map[string]any)["location"], created.Header.Get("Location"))
		assert.Equal(t, []any{scim.SchemaUser}, created.Body["schemas"])
		assert.Equal(t, "test.user@okta.local", created.Body["userName"])
		assert.Equal(t, "00ujl29u0le5T6Aj10h7", created.Body["externalId"], "Okta's user id is kept as externalId")
		assert.Equal(t, map[string]any{"givenName": "Test", "familyName": "User"}, created.Body["name"])
		assert.Equal(t, "Test User", created.Body["displayName"])
		assert.Equal(t, "en-US", created.Body["locale"])
		assert.Equal(t, true, created.Body["active"])
		assert.Equal(t, "test.user@okta.local", emailOfType(created.Body, "work"))
		assert.NotContains(t, created.Body, "groups", "groups is read-only: Okta's groups [] is ignored")
		stored := e.storedUser(id)
		assert.Equal(t, "test$1mz050nq", stored.PasswordHash, "Okta's random password is stored hashed")
		assert.Equal(t, "test.user@okta.local", stored.Attributes["userName"])
		assert.Equal(t, true, stored.Attributes["active"])
		assert.Empty(t, stored.Groups)

		// The same check now finds the user (what Okta does on a reassignment or a retry), also
		// in another letter case: userName is unique case-insensitively.
		found := mustList(t, e.get(oktaUserExistsQuery), 1, "user exists check after create")
		assert.Equal(t, id, found[0]["id"])
		assert.Equal(t, 1.0, e.get(oktaUserExistsQuery).Body["itemsPerPage"])
		found = mustList(t, e.get("/Users?filter=userName%20eq%20%22Test.User%40OKTA.local%22&startIndex=1&count=100"), 1, "case-insensitive match")
		assert.Equal(t, id, found[0]["id"])
		// A second create of the same userName is the 409 Okta's documentation asks for.
		dup := e.post("/Users", oktaRequest(t, "create_user", nil))
		assertSCIMError(t, dup, http.StatusConflict, scim.TypeUniqueness, "create the same user again")
		mustList(t, e.get("/Users?startIndex=1&count=100"), 1, "still one user after the 409")

		// 4. Push Profile Updates, AIW form: GET the user, then PUT the whole profile
		// (update_user.json: id, groups [] and meta echoed back, middleName added).
		e.get("/Users/"+id).mustStatus(t, http.StatusOK, "GET before PUT")
		put := e.put("/Users/"+id, oktaRequest(t, "update_user", map[string]string{oktaFixtureUserID: id})).
			mustStatus(t, http.StatusOK, "PUT profile update")
		checkOktaResource(t, put, scim.ResourceUser, id, "PUT profile update")
		assert.Equal(t, map[string]any{"givenName": "Another", "middleName": "Excited", "familyName": "User"}, put.Body["name"])
		assert.NotEqual(t, version(created.Body), version(put.Body), "the version moves on")
		stored = e.storedUser(id)
		assert.Equal(t, "Excited", stored.Attributes["name"].(map[string]any)["middleName"])
		// PUT replaces: what this recorded PUT leaves out (displayName, locale, externalId) is
		// cleared, and the password, which it does not carry, is kept.
		for _, gone := range []string{"displayName", "locale", "externalId"} {
			assert.NotContains(t, stored.Attributes, gone, "%s after a PUT without it", gone)
			assert.NotContains(t, put.Body, gone)
		}
		assert.Equal(t, "test$1mz050nq", stored.PasswordHash, "a PUT without password keeps it")
		assert.Equal(t, put.Body, e.get("/Users/"+id).Body, "the PUT response is the stored user")

		// 5. Sync Password, OIN form: a path-less replace, as Okta sends for active.
		pw := e.patch("/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"password":"n3w-Passw0rd"}}]}`).mustStatus(t, http.StatusOK, "PATCH password")
		checkOktaResource(t, pw, scim.ResourceUser, id, "PATCH password")
		assert.Equal(t, "test$n3w-Passw0rd", e.storedUser(id).PasswordHash)

		// 6. Deactivate, OIN form (update_user_patch.json): 200 with the user, active false. The
		// user stays readable by id and by the userName filter, so Okta can reactivate it.
		deact := e.patch("/Users/"+id, oktaRequest(t, "update_user_patch", nil)).mustStatus(t, http.StatusOK, "PATCH deactivate")
		checkOktaResource(t, deact, scim.ResourceUser, id, "PATCH deactivate")
		assert.Equal(t, false, deact.Body["active"])
		assert.Equal(t, "test.user@okta.local", deact.Body["userName"], "the whole user comes back")
		assert.Equal(t, false, e.storedUser(id).Attributes["active"])
		assert.Equal(t, false, e.get("/Users/" + id).Body["active"])
		found = mustList(t, e.get(oktaUserExistsQuery), 1, "deactivated user by filter")
		assert.Equal(t, false, found[0]["active"])
		// Deactivating again changes nothing: no write, same version, no event.
		again := e.patch("/Users/"+id, oktaRequest(t, "update_user_patch", nil)).mustStatus(t, http.StatusOK, "PATCH deactivate again")
		assert.Equal(t, version(deact.Body), version(again.Body), "a no-op PATCH keeps the version")

		// 7. Reactivate, OIN form.
		react := e.patch("/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"active":true}}]}`).mustStatus(t, http.StatusOK, "PATCH reactivate")
		assert.Equal(t, true, react.Body["active"])
		assert.Equal(t, true, e.storedUser(id).Attributes["active"])

		// 8. Deactivate and reactivate, AIW form: the whole profile by PUT with active false,
		// then true (Okta's SCIM 2.0 reference: AIW apps send every user update as a PUT).
		var profile map[string]any
		require.NoError(t, json.Unmarshal([]byte(oktaRequest(t, "update_user", map[string]string{oktaFixtureUserID: id})), &profile))
		profile["active"] = false
		off := e.put("/Users/"+id, profile).mustStatus(t, http.StatusOK, "PUT deactivate")
		assert.Equal(t, false, off.Body["active"])
		assert.Equal(t, false, e.storedUser(id).Attributes["active"])
		mustList(t, e.get(oktaUserExistsQuery), 1, "user deactivated by PUT, by filter")
		profile["active"] = true
		on := e.put("/Users/"+id, profile).mustStatus(t, http.StatusOK, "PUT reactivate")
		assert.Equal(t, true, on.Body["active"])
		assert.Equal(t, true, e.storedUser(id).Attributes["active"])
		assert.Equal(t, "test$n3w-Passw0rd", e.storedUser(id).PasswordHash, "the synced password survives later PUTs")

		// What `scimctl events` shows for this user: one event per effective change, the
		// rejected create and the no-op PATCH not among them.
		assert.Equal(t, []string{"create", "replace", "patch", "patch", "patch", "replace", "replace"}, e.oktaEvents(id))
		assert.Equal(t, 3.0, e.counterValue("scim_provisioning_operations_total", map[string]string{"resource_type": "User", "operation": "replace"}))
	})
}

// TestOktaGroupPush replays Push Groups for one group: the push, membership changes in the
// shapes Okta sends (members without "type", removal by a members[value eq …] path, a full
// replace, a replace with [] to empty the group), renames, the AIW form by PUT, and the unlink
// that deletes the group.
func TestOktaGroupPush(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		patchOp := func(gid, ops string) *response {
			t.Helper()
			return e.patch("/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`)
		}
		member := func(id string) string {
			return `{"value":"` + id + `","display":"someone@okta.local"}`
		}
		alice := e.post("/Users", oktaUserBody("alice@okta.local", "Alice", "Ng")).mustStatus(t, http.StatusCreated, "alice").Body["id"].(string)
		bob := e.post("/Users", oktaUserBody("bob@okta.local", "Bob", "Ode")).mustStatus(t, http.StatusCreated, "bob").Body["id"].(string)
		carol := e.post("/Users", oktaUserBody("carol@okta.local", "Carol", "Park")).mustStatus(t, http.StatusCreated, "carol").Body["id"].(string)

		// 1. Push the group (create_group.json): created empty, 201.
		created := e.post("/Groups", oktaRequest(t, "create_group", nil)).mustStatus(t, http.StatusCreated, "push group")
		gid := created.Body["id"].(string)
		checkOktaResource(t, created, scim.ResourceGroup, gid, "push group")
		assert.Equal(t, []any{scim.SchemaGroup}, created.Body["schemas"])
		assert.Equal(t, "Test SCIMv2", created.Body["displayName"])
		assert.Empty(t, memberIDs(created.Body))
		assert.Equal(t, created.Body["meta"].(map[string]any)["location"], created.Header.Get("Location"))
		assert.Empty(t, e.storedMemberIDs(gid))

		// 2. The members Okta pushes next: add without "type" (update_group_membership.json's
		// add). 204, with the new ETag.
		v1 := version(created.Body)
		res := patchOp(gid, `{"op":"add","path":"members","value":[`+member(alice)+`,`+member(bob)+`]}`).
			mustStatus(t, http.StatusNoContent, "add members")
		assert.Empty(t, res.Raw)
		assert.NotEmpty(t, res.Header.Get("ETag"))
		assert.NotEqual(t, v1, res.Header.Get("ETag"), "a membership change moves the version")
		assert.ElementsMatch(t, []string{alice, bob}, e.storedMemberIDs(gid))
		// scimd derives each member's display from the user, not from what Okta sent.
		_, members := e.storedGroup(gid)
		for _, m := range members {
			assert.NotEqual(t, "someone@okta.local", m.Display)
		}
		got := e.get("/Groups/"+gid).mustStatus(t, http.StatusOK, "GET group")
		checkOktaResource(t, got, scim.ResourceGroup, gid, "GET group")
		assert.ElementsMatch(t, []string{alice, bob}, memberIDs(got.Body))
		for _, m := range got.Body["members"].([]any) {
			assert.Equal(t, "User", m.(map[string]any)["type"], "type is filled in for members sent without it")
		}
		ug, _ := e.get("/Users/" + alice).Body["groups"].([]any)
		require.Len(t, ug, 1, "alice's groups")
		assert.Equal(t, gid, ug[0].(map[string]any)["value"])
		assert.Equal(t, "Test SCIMv2", ug[0].(map[string]any)["display"])
		assert.Equal(t, "direct", ug[0].(map[string]any)["type"])

		// 3. Okta sends the group name with every membership update (update_group_name.json, id
		// echoed in the value): unchanged, so 200 with the group and no write.
		before := e.get("/Groups/" + gid).Body
		same := e.patch("/Groups/"+gid, oktaRequest(t, "update_group_name", map[string]string{oktaFixtureGroupID: gid})).
			mustStatus(t, http.StatusOK, "rename to the same name")
		checkOktaResource(t, same, scim.ResourceGroup, gid, "rename to the same name")
		assert.Equal(t, "Test SCIMv2", same.Body["displayName"])
		assert.Equal(t, version(before), version(same.Body), "an unchanged name is no write")

		// 4. One member leaves, another joins, in one request (the first two operations of
		// update_group_membership.json).
		patchOp(gid, `{"op":"remove","path":"members[value eq \"`+bob+`\"]"},
			{"op":"add","path":"members","value":[`+member(carol)+`]}`).mustStatus(t, http.StatusNoContent, "remove bob, add carol")
		assert.ElementsMatch(t, []string{alice, carol}, e.storedMemberIDs(gid))
		assert.NotContains(t, e.get("/Users/"+bob).Body, "groups", "bob's membership is gone")

		// Okta's user PUT carries "groups": []; it must not touch memberships.
		var profile map[string]any
		require.NoError(t, json.Unmarshal([]byte(oktaRequest(t, "update_user", map[string]string{oktaFixtureUserID: alice})), &profile))
		profile["userName"] = "alice@okta.local"
		e.put("/Users/"+alice, profile).mustStatus(t, http.StatusOK, "PUT alice with groups []")
		assert.ElementsMatch(t, []string{alice, carol}, e.storedMemberIDs(gid), "a user PUT with groups [] keeps memberships")
		require.Len(t, e.storedUser(alice).Groups, 1)

		// 5. A full push of the membership: replace with the whole list (the third operation of
		// update_group_membership.json).
		patchOp(gid, `{"op":"replace","path":"members","value":[`+member(alice)+`,`+member(bob)+`]}`).
			mustStatus(t, http.StatusNoContent, "replace members")
		assert.ElementsMatch(t, []string{alice, bob}, e.storedMemberIDs(gid))

		// 6. Rename in Okta (update_group_name.json's shape with a new name): 200 with the group.
		renamed := patchOp(gid, `{"op":"replace","value":{"id":"`+gid+`","displayName":"Engineering"}}`).
			mustStatus(t, http.StatusOK, "rename")
		checkOktaResource(t, renamed, scim.ResourceGroup, gid, "rename")
		assert.Equal(t, "Engineering", renamed.Body["displayName"])
		assert.NotEqual(t, version(same.Body), version(renamed.Body))
		g, _ := e.storedGroup(gid)
		assert.Equal(t, "Engineering", g.Attributes["displayName"])
		assert.ElementsMatch(t, []string{alice, bob}, e.storedMemberIDs(gid), "a rename keeps the members")
		mustList(t, e.get("/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100"), 0, "old name")
		found := mustList(t, e.get("/Groups?filter=displayName%20eq%20%22Engineering%22&startIndex=1&count=100"), 1, "new name")
		assert.Equal(t, gid, found[0]["id"])
		assert.Equal(t, "Engineering", e.storedUser(alice).Groups[0].Display, "a user's groups show the new name")

		// 7. Empty the group: replace members with [].
		patchOp(gid, `{"op":"replace","path":"members","value":[]}`).mustStatus(t, http.StatusNoContent, "replace members with []")
		assert.Empty(t, e.storedMemberIDs(gid))
		assert.Empty(t, e.storedUser(alice).Groups)
		g, _ = e.storedGroup(gid)
		assert.Equal(t, "Engineering", g.Attributes["displayName"], "emptying keeps the group")

		// 8. The AIW form: name and members by PUT, members without type.
		aiw := e.put("/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+gid+`",
			"displayName":"Engineering EU","members":[`+member(alice)+`,`+member(carol)+`]}`).mustStatus(t, http.StatusOK, "PUT group")
		checkOktaResource(t, aiw, scim.ResourceGroup, gid, "PUT group")
		assert.Equal(t, "Engineering EU", aiw.Body["displayName"])
		assert.ElementsMatch(t, []string{alice, carol}, memberIDs(aiw.Body))
		assert.ElementsMatch(t, []string{alice, carol}, e.storedMemberIDs(gid))
		aiw = e.put("/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"`+gid+`",
			"displayName":"Engineering EU","members":[`+member(carol)+`]}`).mustStatus(t, http.StatusOK, "PUT group, alice left")
		assert.ElementsMatch(t, []string{carol}, memberIDs(aiw.Body))
		assert.ElementsMatch(t, []string{carol}, e.storedMemberIDs(gid))

		// A deactivated user keeps its memberships; Okta removes members itself when it wants to.
		e.patch("/Users/"+carol, oktaRequest(t, "update_user_patch", nil)).mustStatus(t, http.StatusOK, "deactivate carol")
		assert.ElementsMatch(t, []string{carol}, e.storedMemberIDs(gid))

		// A member scimd does not have (never provisioned, or deleted here) is a 400 naming it,
		// and nothing changes.
		ghost := uuid.NewString()
		bad := patchOp(gid, `{"op":"add","path":"members","value":[`+member(bob)+`,`+member(ghost)+`]}`)
		assertSCIMError(t, bad, http.StatusBadRequest, scim.TypeInvalidValue, "add an unknown member")
		assert.Contains(t, bad.Body["detail"], ghost)
		assert.ElementsMatch(t, []string{carol}, e.storedMemberIDs(gid))

		// 9. Unlink pushed group, "Delete the group in the target app": DELETE.
		e.delete("/Groups/"+gid).mustStatus(t, http.StatusNoContent, "delete group")
		assertSCIMError(t, e.get("/Groups/"+gid), http.StatusNotFound, "", "deleted group")
		for _, u := range []string{alice, bob, carol} {
			e.get("/Users/"+u).mustStatus(t, http.StatusOK, "users outlive the group")
			assert.Empty(t, e.storedUser(u).Groups)
		}

		assert.Equal(t, []string{"create", "patch", "patch", "patch", "patch", "patch", "replace", "replace", "delete"}, e.oktaEvents(gid))
	})
}

// TestOktaImport replays an import (Import New Users and Profile Updates; Import Groups): Okta
// pages through GET /Users with startIndex and count=100, moving startIndex by 100 until it has
// totalResults users, and expects the same order on every walk.
func TestOktaImport(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		const n = 150
		ids := make([]string, 0, n)
		for i := range n {
			body := oktaUserBody(fmt.Sprintf("user%03d@okta.local", i), "User", fmt.Sprintf("N%03d", i))
			ids = append(ids, e.post("/Users", body).mustStatus(t, http.StatusCreated, "seed user").Body["id"].(string))
		}
		inactive := ids[120]
		e.patch("/Users/"+inactive, oktaRequest(t, "update_user_patch", nil)).mustStatus(t, http.StatusOK, "deactivate one")
		gid := e.post("/Groups", oktaRequest(t, "create_group", nil)).mustStatus(t, http.StatusCreated, "group").Body["id"].(string)
		e.patch("/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"add","path":"members","value":[{"value":"`+ids[0]+`"},{"value":"`+inactive+`"}]}]}`).
			mustStatus(t, http.StatusNoContent, "members")
		// Another tenant's users are never part of the import.
		e.do(request{Method: http.MethodPost, Path: "/Users", Token: e.tokenB, Body: oktaUserBody("other@okta.local", "Other", "Tenant")}).
			mustStatus(t, http.StatusCreated, "tenant B user")

		walk := func() []string {
			t.Helper()
			var seen []string
			for start := 1; ; start += 100 {
				res := e.get(fmt.Sprintf("/Users?startIndex=%d&count=100", start))
				page := mustList(t, res, n, fmt.Sprintf("page at %d", start))
				assert.Equal(t, float64(start), res.Body["startIndex"], "startIndex echoes the request")
				assert.Equal(t, float64(len(page)), res.Body["itemsPerPage"], "itemsPerPage is the page length")
				assert.Equal(t, min(100, n-(start-1)), len(page), "page at %d", start)
				for _, u := range page {
					seen = append(seen, u["id"].(string))
					if u["id"] == inactive {
						assert.Equal(t, false, u["active"], "a deactivated user is imported as inactive")
					}
					assert.NotEmpty(t, u["userName"])
					assert.NotContains(t, u, "password")
				}
				if start+100 > n {
					break
				}
			}
			return seen
		}
		first := walk()
		assert.ElementsMatch(t, ids, first, "the walk visits every user exactly once")
		assert.Equal(t, first, walk(), "the same order on every walk")
		// A page past the end is empty, not an error.
		past := e.get("/Users?startIndex=201&count=100")
		assert.Empty(t, mustList(t, past, n, "past the end"))
		assert.Equal(t, 0.0, past.Body["itemsPerPage"])

		// Import Groups reads /Groups the same way, with members.
		groups := mustList(t, e.get("/Groups?startIndex=1&count=100"), 1, "import groups")
		assert.Equal(t, gid, groups[0]["id"])
		assert.ElementsMatch(t, []string{ids[0], inactive}, memberIDs(groups[0]))
	})
}

// TestOktaAttributeMapping checks what happens to the attributes an Okta app profile maps:
// core and enterprise attributes are stored, attributes in a namespace scimd does not serve
// (Okta's custom namespace) are dropped, logged and counted on POST and PUT, never rejected.
func TestOktaAttributeMapping(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		const customURN = "urn:ietf:params:scim:schemas:extension:custom:2.0:User"
		body := oktaUserBody("dana@okta.local", "Dana", "Lee")
		body["schemas"] = []any{scim.SchemaUser, enterpriseURN, customURN}
		body["title"] = "Engineer"
		body["phoneNumbers"] = []any{map[string]any{"primary": true, "value": "+1 555 0100", "type": "work"}}
		body["addresses"] = []any{map[string]any{"primary": true, "type": "work", "locality": "Lisbon", "country": "PT"}}
		body[enterpriseURN] = map[string]any{"department": "R&D", "employeeNumber": "4711", "costCenter": "CC-9"}
		body[customURN] = map[string]any{"badgeColor": "green", "deskNumber": "4.12"}
		body["favouriteColour"] = "blue" // a custom attribute mapped without a namespace

		created := e.post("/Users", body).mustStatus(t, http.StatusCreated, "create with custom attributes")
		id := created.Body["id"].(string)
		assert.Equal(t, "Engineer", created.Body["title"])
		assert.Equal(t, map[string]any{"department": "R&D", "employeeNumber": "4711", "costCenter": "CC-9"}, ext(created.Body))
		assert.Contains(t, created.Body["schemas"], any(enterpriseURN))
		assert.NotContains(t, created.Body["schemas"], any(customURN))
		assert.NotContains(t, created.Body, customURN)
		assert.NotContains(t, created.Body, "favouriteColour")
		stored := e.storedUser(id)
		assert.NotContains(t, stored.Attributes, customURN)
		assert.NotContains(t, stored.Attributes, "favouriteColour")
		assert.Equal(t, "Lisbon", stored.Attributes["addresses"].([]any)[0].(map[string]any)["locality"])
		unknown := e.counterValue("scim_unknown_attributes_total", map[string]string{"resource_type": "User"})
		assert.Positive(t, unknown, "dropped attributes are counted")
		assert.Contains(t, e.logs.String(), "dropped unknown attributes")
		assert.Contains(t, e.logs.String(), "favouriteColour")

		// The same profile by PUT: stored again without them, counted again.
		body["title"] = "Staff Engineer"
		put := e.put("/Users/"+id, body).mustStatus(t, http.StatusOK, "PUT with custom attributes")
		assert.Equal(t, "Staff Engineer", put.Body["title"])
		assert.NotContains(t, put.Body, customURN)
		assert.Greater(t, e.counterValue("scim_unknown_attributes_total", map[string]string{"resource_type": "User"}), unknown)

		// A PATCH that names such an attribute in a path is rejected, and changes nothing.
		res := e.patch("/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"`+customURN+`:badgeColor","value":"red"}]}`)
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidPath, "PATCH a custom attribute")
		assert.Equal(t, "Staff Engineer", e.storedUser(id).Attributes["title"])
	})
}
