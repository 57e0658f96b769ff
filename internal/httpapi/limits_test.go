package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/store/sqlstore"
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

// randomText returns n bytes of random printable ASCII: text PostgreSQL cannot compress, so that
// an index entry holding it is as large as it gets.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '!' + b[i]%94
	}
	return strings.ReplaceAll(string(b), `"`, "#")
}

// jsonBody marshals v for a request body.
func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIndexedValueLength: userName, displayName, externalId and emails.value live in indexed
// columns, and a PostgreSQL btree entry has a size limit. Values up to sqlstore.MaxIndexedBytes
// (as sent and case-folded) are stored on every backend; longer ones are a 400 invalidValue
// naming the attribute, not a 500.
func TestIndexedValueLength(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		max := sqlstore.MaxIndexedBytes
		// At the limit: accepted, and found again by the indexes.
		name := randomText(max)
		res := e.post("/Users", jsonBody(t, map[string]any{"userName": name, "displayName": randomText(max),
			"externalId": randomText(max), "emails": []any{map[string]any{"value": randomText(max)}}}))
		res.mustStatus(t, http.StatusCreated, "values of MaxIndexedBytes")
		uid := res.Body["id"].(string)
		mustList(t, e.get("/Users?"+filterQuery(`userName eq `+jsonBody(t, name))), 1, "filter on a userName at the limit")
		e.post("/Groups", jsonBody(t, map[string]any{"displayName": randomText(max), "externalId": randomText(max)})).
			mustStatus(t, http.StatusCreated, "group values of MaxIndexedBytes")
		gid := e.createGroup("team")

		long := randomText(max + 1)
		// Ⱥ (2 bytes) folds to ⱥ (3 bytes): short enough as sent, too long in the index.
		expands := strings.Repeat("Ⱥ", max/2-1)
		patch := func(path string, v any) string {
			return jsonBody(t, map[string]any{"schemas": []string{scim.MessagePatchOp},
				"Operations": []any{map[string]any{"op": "replace", "path": path, "value": v}}})
		}
		for _, tc := range []struct {
			name, attr string
			res        *response
		}{
			{"POST userName", "userName", e.post("/Users", jsonBody(t, map[string]any{"userName": long}))},
			// Over PostgreSQL's btree limit: this was a 500 there.
			{"POST userName 3000 bytes", "userName", e.post("/Users", jsonBody(t, map[string]any{"userName": randomText(3000)}))},
			{"POST userName folded", "userName", e.post("/Users", jsonBody(t, map[string]any{"userName": expands}))},
			{"POST displayName", "displayName", e.post("/Users", jsonBody(t, map[string]any{"userName": "b", "displayName": long}))},
			{"POST externalId", "externalId", e.post("/Users", jsonBody(t, map[string]any{"userName": "c", "externalId": long}))},
			{"POST emails.value", "emails.value", e.post("/Users", jsonBody(t, map[string]any{"userName": "d",
				"emails": []any{map[string]any{"value": "d@example.com"}, map[string]any{"value": long}}}))},
			{"PUT userName", "userName", e.put("/Users/"+uid, jsonBody(t, map[string]any{"userName": long}))},
			{"PATCH displayName", "displayName", e.patch("/Users/"+uid, patch("displayName", expands))},
			{"PATCH emails", "emails.value", e.patch("/Users/"+uid, patch("emails", []any{map[string]any{"value": long}}))},
			{"POST group displayName", "displayName", e.post("/Groups", jsonBody(t, map[string]any{"displayName": long}))},
			{"POST group externalId", "externalId", e.post("/Groups", jsonBody(t, map[string]any{"displayName": "g", "externalId": long}))},
			{"PATCH group displayName", "displayName", e.patch("/Groups/"+gid, patch("displayName", long))},
		} {
			assertSCIMError(t, tc.res, http.StatusBadRequest, scim.TypeInvalidValue, tc.name)
			assert.Contains(t, tc.res.Body["detail"], `"`+tc.attr+`" is longer than 2048 bytes`, tc.name)
		}
		assert.NotContains(t, e.logs.String(), "internal error")
		mustList(t, e.get("/Users"), 1, "no other user was created")
		assert.Equal(t, name, e.get("/Users/" + uid).Body["userName"], "the user is unchanged")
	})
}

// TestPatchLimits: a PATCH's work is bounded by patch.MaxOperations, patch.MaxRequestValues,
// patch.MaxMemberFilters and scim.MaxValues; over them the client gets a SCIM error (413 to
// split the request, 400 for an attribute that would be too long) and nothing changes.
func TestPatchLimits(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		uid := e.createUser("alice", nil)
		gid := e.createGroup("team", uid)
		patchBody := func(ops ...any) string {
			return jsonBody(t, map[string]any{"schemas": []string{scim.MessagePatchOp}, "Operations": ops})
		}
		emails := func(n int) []any {
			out := make([]any, n)
			for i := range out {
				out[i] = map[string]any{"value": strings.Repeat("a", i%50) + "@" + strings.Repeat("b", i/50) + ".example"}
			}
			return out
		}

		ops := make([]any, patch.MaxOperations+1)
		for i := range ops {
			ops[i] = map[string]any{"op": "add", "path": "nickName", "value": "x"}
		}
		res := e.patch("/Users/"+uid, patchBody(ops...))
		assertSCIMError(t, res, http.StatusRequestEntityTooLarge, "", "too many operations")
		assert.Contains(t, res.Body["detail"], "at most 1000 are allowed in one request")

		res = e.patch("/Users/"+uid, patchBody(map[string]any{"op": "add", "path": "emails", "value": emails(scim.MaxValues + 1)}))
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidValue, "too many values for one attribute")
		res = e.post("/Users", jsonBody(t, map[string]any{"userName": "bob", "emails": emails(scim.MaxValues + 1)}))
		assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidValue, "POST with too many values")

		res = e.patch("/Users/"+uid, patchBody(
			map[string]any{"op": "add", "path": "emails", "value": emails(600)},
			map[string]any{"op": "remove", "path": "emails", "value": emails(600)}))
		assertSCIMError(t, res, http.StatusRequestEntityTooLarge, "", "too many values in one request")

		res = e.patch("/Groups/"+gid, patchBody(
			map[string]any{"op": "remove", "path": `members[type eq "Group"]`},
			map[string]any{"op": "remove", "path": `members[display sw "al"]`}))
		assertSCIMError(t, res, http.StatusRequestEntityTooLarge, "", "two member filters")

		user := e.get("/Users/"+uid).mustStatus(t, http.StatusOK, "user")
		assert.NotContains(t, user.Body, "nickName")
		assert.NotContains(t, user.Body, "emails")
		assert.Equal(t, []string{uid}, memberIDs(e.get("/Groups/"+gid).Body))
		mustList(t, e.get("/Users"), 1, "no user was created")
	})
}

// TestUnknownAttributeNamesLoggedShort: the names of dropped attributes are the client's JSON
// keys; the log line lists at most 20 of them, each cut to 128 bytes, so that a body of
// megabyte-long keys does not write megabytes of log.
func TestUnknownAttributeNamesLoggedShort(t *testing.T) {
	t.Parallel()
	st, _ := newSQLiteStore(t, nil)
	e := newEnvWithStore(t, st, true)
	long := strings.Repeat("k", 20_000)
	body := map[string]any{"userName": "u"}
	for i := range 30 {
		body[long+strings.Repeat("x", i)] = 1
	}
	e.post("/Users", body).mustStatus(t, http.StatusCreated, "create with unknown attributes")
	logs := e.logs.String()
	// (Checked without assert.Contains, which would print the whole log on failure.)
	assert.True(t, strings.Contains(logs, `"msg":"dropped unknown attributes"`) && strings.Contains(logs, `"count":30`),
		"the drop is logged with its count")
	assert.True(t, strings.Contains(logs, `"`+strings.Repeat("k", 128)+`…"`), "names are cut to 128 bytes")
	assert.False(t, strings.Contains(logs, strings.Repeat("k", 129)), "a name is logged whole")
	assert.Less(t, len(logs), 10_000, "log size")
}

// TestDecimalScale: PostgreSQL keeps decimals as numeric, whose scale (digits after the decimal
// point, as the literal has them: 1e-20000 has 20000) is at most scim.MaxDecimalScale. A larger
// one in a value or a filter is a 400 on every backend, not a 500 on PostgreSQL.
func TestDecimalScale(t *testing.T) {
	t.Parallel()
	const urn = "urn:example:scimd:limits:2.0:User"
	exts, err := scim.ParseExtensions([]byte(`[{"resourceType": "User", "schema": {"id": "` + urn + `",
		"attributes": [{"name": "ratio", "type": "decimal"}]}}]`))
	require.NoError(t, err)
	reg, err := scim.NewRegistryWithExtensions(exts)
	require.NoError(t, err)
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t, withRegistry(reg))
		post := func(userName, ratio string) *response {
			return e.post("/Users", `{"userName":"`+userName+`","`+urn+`":{"ratio":`+ratio+`}}`)
		}
		post("small", "1e-16383").mustStatus(t, http.StatusCreated, "scale 16383")
		post("half", "0.5").mustStatus(t, http.StatusCreated, "0.5")
		mustList(t, e.get("/Users?"+filterQuery(urn+`:ratio gt 1e-16383`)), 1, "filter with scale 16383")

		for _, ratio := range []string{"1e-20000", "0.5e-16383", "0." + strings.Repeat("1", 16384), "1e-99999999999999999999"} {
			res := post("u", ratio)
			assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidValue, "POST ratio "+ratio[:8])
			res = e.get("/Users?" + filterQuery(urn+`:ratio eq `+ratio))
			assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidFilter, "filter ratio "+ratio[:8])
		}
		assert.NotContains(t, e.logs.String(), "internal error")
		mustList(t, e.get("/Users"), 2, "users")
	})
}

// TestDocumentSize: a resource's attributes take at most sqlstore.MaxDocumentBytes as JSON, so
// that a page of 1000 resources stays small in memory. Larger ones are a 400 invalidValue in
// POST, PUT and PATCH, on every backend.
func TestDocumentSize(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		half := strings.Repeat("x", sqlstore.MaxDocumentBytes/2)
		res := e.post("/Users", jsonBody(t, map[string]any{"userName": "alice", "nickName": half}))
		res.mustStatus(t, http.StatusCreated, "a document of half the limit")
		uid := res.Body["id"].(string)
		patch := jsonBody(t, map[string]any{"schemas": []string{scim.MessagePatchOp},
			"Operations": []any{map[string]any{"op": "add", "path": "title", "value": half}}})
		for _, tc := range []struct {
			name string
			res  *response
		}{
			{"POST", e.post("/Users", jsonBody(t, map[string]any{"userName": "bob", "nickName": half, "title": half}))},
			{"PUT", e.put("/Users/"+uid, jsonBody(t, map[string]any{"userName": "alice", "nickName": half, "title": half}))},
			{"PATCH", e.patch("/Users/"+uid, patch)},
		} {
			assertSCIMError(t, tc.res, http.StatusBadRequest, scim.TypeInvalidValue, tc.name)
			assert.Contains(t, tc.res.Body["detail"], "at most 65536 are allowed", tc.name)
		}
		got := e.get("/Users/"+uid).mustStatus(t, http.StatusOK, "user")
		assert.NotContains(t, got.Body, "title", "nothing was written")
		mustList(t, e.get("/Users"), 1, "no second user")
	})
}

// TestSQLiteStatementTimeout: SQLite has no statement timeout of its own, and a filter can make
// a list cost minutes (315 "groups.display co" terms took 96 s on 5000 users). With
// --db-statement-timeout the driver interrupts it and the client gets a 503, as PostgreSQL's
// statement_timeout answers; cheap queries are unaffected.
func TestSQLiteStatementTimeout(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "scimd.db"), StatementTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(context.Background()))
	e := newEnvWithStore(t, db.Store(), true)
	ctx := scim.WithActor(context.Background(), "")
	members := make([]scim.Member, 500)
	for i := range members {
		u, err := db.Store().CreateUser(ctx, e.tenantA.ID, &scim.Resource{Type: scim.ResourceUser,
			Attributes: map[string]any{"userName": fmt.Sprintf("user%d", i)}})
		require.NoError(t, err)
		members[i] = scim.Member{Value: u.ID, Type: scim.ResourceUser}
	}
	g, err := db.Store().CreateGroup(ctx, e.tenantA.ID, &scim.Resource{Type: scim.ResourceGroup,
		Attributes: map[string]any{"displayName": "everyone"}, Members: members})
	require.NoError(t, err)

	mustList(t, e.get("/Users?count=1&"+filterQuery(`groups.display co "every"`)), 500, "one term")
	term := `groups.display co "zz"`
	heavy := term + strings.Repeat(" or "+term, 300)
	res := e.get("/Users?count=1&" + filterQuery(heavy))
	assertSCIMError(t, res, http.StatusServiceUnavailable, "", "heavy filter")
	assert.Equal(t, "5", res.Header.Get("Retry-After"))
	res = e.patch("/Groups/"+g.ID, jsonBody(t, map[string]any{"schemas": []string{scim.MessagePatchOp},
		"Operations": []any{map[string]any{"op": "remove", "path": "members[" + strings.ReplaceAll(heavy, "groups.display", "display") + "]"}}}))
	assertSCIMError(t, res, http.StatusServiceUnavailable, "", "heavy member filter")
	assert.Len(t, memberIDs(e.get("/Groups/"+g.ID).Body), 500, "nothing removed")
	mustList(t, e.get("/Users?count=1"), 500, "the store still answers")
}
