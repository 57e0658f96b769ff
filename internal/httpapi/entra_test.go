package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// The Entra ID replay scripts of entra.md §10, each run twice: the default request shapes,
// and the shapes sent with ?aadOptscim062020 in the Tenant URL (which Entra then appends to
// every request).

const enterpriseURN = scim.SchemaEnterpriseUser

// entraMode is one way of running the scripts.
type entraMode struct {
	name string
	flag bool
}

func entraModes() []entraMode {
	return []entraMode{{"default", false}, {"aadOptscim062020", true}}
}

// entra is an env that sends requests the way Entra ID does in one mode.
type entra struct {
	*env
	mode entraMode
}

// url appends the feature flag to a path in flag mode.
func (c *entra) url(path string) string {
	if !c.mode.flag {
		return path
	}
	if strings.Contains(path, "?") {
		return path + "&aadOptscim062020"
	}
	return path + "?aadOptscim062020"
}

// op returns an op name in the casing of the mode ("Replace" or "replace").
func (c *entra) op(name string) string {
	if c.mode.flag {
		return strings.ToLower(name)
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// boolValue returns a boolean as the mode sends it: "False"/"True" strings, or JSON booleans.
func (c *entra) boolValue(b bool) any {
	if c.mode.flag {
		return b
	}
	if b {
		return "True"
	}
	return "False"
}

// get sends a GET without Content-Type or Accept.
func (c *entra) get(path string) *response {
	c.t.Helper()
	return c.do(request{Method: http.MethodGet, Path: c.url(path)})
}

func (c *entra) patchOps(path string, ops ...map[string]any) *response {
	c.t.Helper()
	return c.do(request{Method: http.MethodPatch, Path: c.url(path), Body: map[string]any{
		"schemas": []string{scim.MessagePatchOp}, "Operations": ops,
	}})
}

func (c *entra) postJSON(path string, body any) *response {
	c.t.Helper()
	return c.do(request{Method: http.MethodPost, Path: c.url(path), Body: body})
}

// filterQuery builds ?filter= the way Entra encodes it (spaces as +, quotes as %22).
func filterQuery(f string) string {
	return "filter=" + url.QueryEscape(f)
}

func opOf(name, path string, value any) map[string]any {
	m := map[string]any{"op": name}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

// mustList checks a 200 ListResponse and returns its resources.
func mustList(t *testing.T, res *response, total int, what string) []map[string]any {
	t.Helper()
	res.mustStatus(t, http.StatusOK, what)
	assert.Equal(t, []any{scim.MessageListResponse}, res.Body["schemas"], what)
	assert.Equal(t, float64(total), res.Body["totalResults"], what)
	list, ok := res.Body["Resources"].([]any)
	require.True(t, ok, "%s: Resources must be an array: %s", what, res.Raw)
	out := make([]map[string]any, len(list))
	for i, r := range list {
		out[i] = r.(map[string]any)
	}
	return out
}

// okPatch accepts 200 or 204 for a PATCH.
func okPatch(t *testing.T, res *response, what string) {
	t.Helper()
	require.Contains(t, []int{http.StatusOK, http.StatusNoContent}, res.Code, "%s: body %s", what, res.Raw)
}

// entraUser is the §4.2 Entra-shaped POST body: nulls, roles [], client meta, two email and
// two address types, three phone types and the enterprise extension.
func entraUser(userName string) map[string]any {
	return map[string]any{
		"schemas":    []any{scim.SchemaUser, enterpriseURN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"},
		"externalId": uuid.NewString(),
		"userName":   userName,
		"active":     true,
		"addresses": []any{
			map[string]any{"country": "Bermuda", "formatted": "9132 Jennifer Way", "locality": "West Mercedes", "postalCode": "99265",
				"region": "Montana", "streetAddress": "4939 Hess Fork", "type": "work", "primary": false},
			map[string]any{"country": nil, "formatted": "18522 Lisa Unions", "locality": nil, "postalCode": nil, "region": nil,
				"streetAddress": nil, "type": "other", "primary": false},
		},
		"displayName": "Kimberly Baker",
		"emails": []any{
			map[string]any{"type": "work", "primary": true, "value": "alice.work@example.com"},
			map[string]any{"type": "other", "primary": false, "value": "alice.other@example.com"},
		},
		"meta": map[string]any{"created": "2019-09-18T18:15:26.5788954+00:00", "lastModified": "2019-09-18T18:15:26.5788976+00:00", "resourceType": "User"},
		"name": map[string]any{"formatted": "Daniel Mcgee", "familyName": "OMalley", "givenName": "Darl", "honorificPrefix": nil, "honorificSuffix": nil},
		"phoneNumbers": []any{
			map[string]any{"type": "fax", "primary": false, "value": "312-320-0500"},
			map[string]any{"type": "mobile", "primary": false, "value": "312-320-1707"},
			map[string]any{"type": "work", "primary": true, "value": "312-320-0932"},
		},
		"preferredLanguage": "xh",
		"roles":             []any{},
		"title":             "Site engineer",
		"phoneNumbersX":     nil,
		"manager":           nil,
		enterpriseURN:       map[string]any{"employeeNumber": "701984", "department": "Tour Operations"},
	}
}

// emailOfType returns the value of the email with the given type.
func emailOfType(user map[string]any, typ string) any {
	emails, _ := user["emails"].([]any)
	for _, e := range emails {
		if m := e.(map[string]any); m["type"] == typ {
			return m["value"]
		}
	}
	return nil
}

func ext(user map[string]any) map[string]any {
	m, _ := user[enterpriseURN].(map[string]any)
	return m
}

func TestEntraUserSequences(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		for _, mode := range entraModes() {
			t.Run(mode.name, func(t *testing.T) {
				t.Parallel()
				c := &entra{env: newEnv(t), mode: mode}

				// 1. Test Connection.
				mustList(t, c.get("/Users?"+filterQuery(`userName eq "`+uuid.NewString()+`"`)), 0, "test connection users")
				mustList(t, c.get("/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "`+uuid.NewString()+`"`)), 0, "test connection groups")

				// 2. Create user.
				aliceFilter := "/Users?" + filterQuery(`userName eq "alice@contoso.com"`)
				mustList(t, c.get(aliceFilter), 0, "match before create")
				created := c.postJSON("/Users", entraUser("alice@contoso.com")).mustStatus(t, http.StatusCreated, "create alice")
				id, _ := created.Body["id"].(string)
				require.NotEmpty(t, id)
				assert.Equal(t, "alice@contoso.com", created.Body["userName"])
				assert.Equal(t, "Tour Operations", ext(created.Body)["department"])
				assert.NotContains(t, created.Body, "roles", "empty roles are not stored")
				assert.NotContains(t, created.Body, "phoneNumbersX", "unknown attributes are dropped")
				assert.Equal(t, true, created.Body["active"])

				// String booleans in POST (Microsoft's reference suite, "Post emp1 with string True").
				emp := map[string]any{"schemas": []any{scim.SchemaUser}, "userName": "emp1@contoso.com", "active": "True"}
				empRes := c.postJSON("/Users", emp).mustStatus(t, http.StatusCreated, "string boolean")
				assert.Equal(t, true, empRes.Body["active"])

				// 3. Match existing.
				dup := c.postJSON("/Users", entraUser("alice@contoso.com"))
				assertSCIMError(t, dup, http.StatusConflict, scim.TypeUniqueness, "duplicate alice")
				dup = c.postJSON("/Users", entraUser("ALICE@contoso.com"))
				assertSCIMError(t, dup, http.StatusConflict, scim.TypeUniqueness, "duplicate alice, other case")
				found := mustList(t, c.get(aliceFilter), 1, "match after create")
				assert.Equal(t, id, found[0]["id"])
				found = mustList(t, c.get("/Users?"+filterQuery(`emails[type eq "work"].value eq "alice.work@example.com"`)), 1, "match by work email")
				assert.Equal(t, id, found[0]["id"])
				found = mustList(t, c.get("/Users?"+filterQuery(`externalId eq "`+created.Body["externalId"].(string)+`"`)), 1, "match by externalId")
				assert.Equal(t, id, found[0]["id"])

				// 4./5. Update user.
				c.get("/Users/"+id).mustStatus(t, http.StatusOK, "get before update")
				var upd *response
				if !mode.flag {
					upd = c.patchOps("/Users/"+id,
						opOf("Replace", `emails[type eq "work"].value`, "updated.work@example.com"),
						opOf("Replace", "name.familyName", "updatedFamilyName"),
						opOf("Replace", "displayName", "Updated Display"),
						opOf("Add", enterpriseURN+":department", "Engineering"),
					)
				} else {
					upd = c.patchOps("/Users/"+id,
						opOf("replace", `emails[type eq "work"].value`, "updated.work@example.com"),
						opOf("replace", "", map[string]any{
							"displayName":                     "Updated Display",
							"name.givenName":                  "Kkom",
							"name.familyName":                 "updatedFamilyName",
							enterpriseURN + ":employeeNumber": "Aklq",
							enterpriseURN + ":department":     "Engineering",
						}),
					)
				}
				upd.mustStatus(t, http.StatusOK, "update user")
				got := c.get("/Users/"+id).mustStatus(t, http.StatusOK, "get after update").Body
				assert.Equal(t, "updated.work@example.com", emailOfType(got, "work"))
				assert.Equal(t, "alice.other@example.com", emailOfType(got, "other"), "other email untouched")
				assert.Equal(t, "updatedFamilyName", got["name"].(map[string]any)["familyName"])
				assert.Equal(t, "Updated Display", got["displayName"])
				assert.Equal(t, "Engineering", ext(got)["department"])
				if mode.flag {
					assert.Equal(t, "Kkom", got["name"].(map[string]any)["givenName"])
					assert.Equal(t, "Aklq", ext(got)["employeeNumber"])
				}
				assert.Equal(t, upd.Body, got, "the PATCH response is the resource")

				// 6. Add a missing typed element, several sub-attribute ops merging into one.
				bob := c.postJSON("/Users", map[string]any{"userName": "bob@contoso.com"}).mustStatus(t, http.StatusCreated, "create bob").Body["id"].(string)
				okPatch(t, c.patchOps("/Users/"+bob,
					opOf(c.op("add"), `addresses[type eq "work"].streetAddress`, "1 Main St"),
					opOf(c.op("add"), `addresses[type eq "work"].locality`, "Springfield"),
					opOf(c.op("add"), `addresses[type eq "work"].region`, "IL"),
					opOf(c.op("add"), `addresses[type eq "work"].postalCode`, "62701"),
					opOf(c.op("add"), `addresses[type eq "work"].country`, "US"),
				), "add work address")
				addrs := c.get("/Users/" + bob).Body["addresses"].([]any)
				require.Len(t, addrs, 1, "one work address")
				assert.Equal(t, map[string]any{"type": "work", "streetAddress": "1 Main St", "locality": "Springfield", "region": "IL", "postalCode": "62701", "country": "US"}, addrs[0])

				// 7. Manager.
				mgr1 := c.postJSON("/Users", map[string]any{"userName": "mgr1@contoso.com"}).Body["id"].(string)
				mgr2 := c.postJSON("/Users", map[string]any{"userName": "mgr2@contoso.com"}).Body["id"].(string)
				managerOf := func() any {
					e := ext(c.get("/Users/" + bob).Body)
					if e == nil || e["manager"] == nil {
						return nil
					}
					return e["manager"].(map[string]any)["value"]
				}
				okPatch(t, c.patchOps("/Users/"+bob, opOf(c.op("add"), enterpriseURN+":manager", mgr1)), "set manager")
				assert.Equal(t, mgr1, managerOf())
				okPatch(t, c.patchOps("/Users/"+bob, opOf("replace", enterpriseURN+":manager", mgr2)), "change manager")
				assert.Equal(t, mgr2, managerOf())
				okPatch(t, c.patchOps("/Users/"+bob, opOf("replace", enterpriseURN+":manager", "")), "clear manager")
				assert.Nil(t, managerOf())
				okPatch(t, c.patchOps("/Users/"+bob, opOf(c.op("add"), enterpriseURN+":manager", mgr1)), "set manager again")
				okPatch(t, c.patchOps("/Users/"+bob, opOf("remove", `manager[value eq "`+mgr1+`"]`, nil)), "remove manager by filter")
				assert.Nil(t, managerOf())

				// 8. Disable, with every boolean shape; the user stays visible.
				values := []any{"False", "false", false}
				if mode.flag {
					values = []any{false}
				}
				for _, v := range values {
					okPatch(t, c.patchOps("/Users/"+id, opOf(c.op("replace"), "active", v)), fmt.Sprintf("disable with %#v", v))
					u := c.get("/Users/"+id).mustStatus(t, http.StatusOK, "disabled user by id")
					assert.Equal(t, false, u.Body["active"], "active after %#v", v)
					mustList(t, c.get(aliceFilter), 1, "disabled user by filter")
					// 9. Restore.
					okPatch(t, c.patchOps("/Users/"+id, opOf(c.op("replace"), "active", c.boolValue(true))), "restore")
					assert.Equal(t, true, c.get("/Users/" + id).Body["active"])
				}

				// 19. Null update: "" then null clear optional attributes.
				for _, v := range []any{"", nil} {
					okPatch(t, c.patchOps("/Users/"+id, opOf("replace", "title", "Engineer"), opOf("replace", "nickName", "Ali")), "set optional")
					okPatch(t, c.patchOps("/Users/"+id,
						map[string]any{"op": "replace", "path": "title", "value": v},
						map[string]any{"op": "replace", "path": "nickName", "value": v},
						map[string]any{"op": "replace", "path": enterpriseURN + ":department", "value": v},
					), fmt.Sprintf("null update %#v", v))
					u := c.get("/Users/" + id).Body
					assert.NotContains(t, u, "title", "title after %#v", v)
					assert.NotContains(t, u, "nickName", "nickName after %#v", v)
					assert.Nil(t, ext(u)["department"], "department after %#v", v)
				}

				// 10. Delete.
				c.do(request{Method: http.MethodDelete, Path: c.url("/Users/" + id)}).mustStatus(t, http.StatusNoContent, "delete alice")
				assertSCIMError(t, c.get("/Users/"+id), http.StatusNotFound, "", "get deleted alice")
				mustList(t, c.get(aliceFilter), 0, "filter deleted alice")
				assertSCIMError(t, c.do(request{Method: http.MethodDelete, Path: c.url("/Users/" + id)}), http.StatusNotFound, "", "delete twice")

				// 17. Pagination over all users.
				for i := range 9 {
					c.postJSON("/Users", map[string]any{"userName": fmt.Sprintf("page%02d@contoso.com", i)}).mustStatus(t, http.StatusCreated, "page user")
				}
				first := c.get("/Users?startIndex=1&count=5")
				total := first.Body["totalResults"]
				page1 := mustList(t, first, int(total.(float64)), "page 1")
				require.Len(t, page1, 5)
				assert.Equal(t, 1.0, first.Body["startIndex"])
				assert.Equal(t, 5.0, first.Body["itemsPerPage"])
				second := c.get("/Users?startIndex=6&count=5")
				page2 := mustList(t, second, int(total.(float64)), "page 2")
				assert.Equal(t, 6.0, second.Body["startIndex"])
				assert.LessOrEqual(t, len(page2), 5)
				seen := map[any]bool{}
				for _, u := range append(page1, page2...) {
					assert.False(t, seen[u["id"]], "user %v on two pages", u["id"])
					seen[u["id"]] = true
				}
				var all []map[string]any
				for start := 1; ; start += 5 {
					res := c.get(fmt.Sprintf("/Users?startIndex=%d&count=5", start))
					page := mustList(t, res, int(total.(float64)), "walk")
					if len(page) == 0 {
						break
					}
					all = append(all, page...)
				}
				assert.Len(t, all, int(total.(float64)), "walking the pages visits every user once")
			})
		}
	})
}

func TestEntraGroupSequences(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		for _, mode := range entraModes() {
			t.Run(mode.name, func(t *testing.T) {
				t.Parallel()
				c := &entra{env: newEnv(t), mode: mode}
				var users []string
				for i := range 3 {
					users = append(users, c.postJSON("/Users", map[string]any{"userName": fmt.Sprintf("u%d@contoso.com", i)}).
						mustStatus(t, http.StatusCreated, "user").Body["id"].(string))
				}

				// 11. Create group.
				engFilter := "/Groups?excludedAttributes=members&" + filterQuery(`displayName eq "Eng"`)
				mustList(t, c.get(engFilter), 0, "group match before create")
				g := c.postJSON("/Groups", map[string]any{
					"schemas":     []any{scim.SchemaGroup, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"},
					"externalId":  "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
					"displayName": "Eng",
					"meta":        map[string]any{"resourceType": "Group"},
				}).mustStatus(t, http.StatusCreated, "create group (ADSCIM URN)")
				gid := g.Body["id"].(string)
				assert.Equal(t, "Eng", g.Body["displayName"])
				g2 := c.postJSON("/Groups", map[string]any{
					"schemas": []any{scim.SchemaGroup}, "externalId": uuid.NewString(), "displayName": "Org Admin",
					"members": []any{}, "meta": map[string]any{"resourceType": "Group"}, "id": "client-sent-id",
				}).mustStatus(t, http.StatusCreated, "create group (members [])")
				assert.NotEqual(t, "client-sent-id", g2.Body["id"], "a client id is ignored")
				found := mustList(t, c.get(engFilter), 1, "group match after create")
				assert.Equal(t, gid, found[0]["id"])

				// 12. Get group without members.
				res := c.get("/Groups/"+gid+"?excludedAttributes=members").mustStatus(t, http.StatusOK, "get group")
				assert.NotContains(t, res.Body, "members")
				assert.Equal(t, "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", res.Body["externalId"])

				// 13. Rename.
				okPatch(t, c.patchOps("/Groups/"+gid, opOf(c.op("replace"), "displayName", "Engineering")), "rename group")
				assert.Equal(t, "Engineering", c.get("/Groups/" + gid).Body["displayName"])

				// 14. Add members ($ref null), then re-add one: idempotent.
				members := []any{}
				for _, u := range users {
					members = append(members, map[string]any{"$ref": nil, "value": u})
				}
				c.patchOps("/Groups/"+gid, opOf(c.op("add"), "members", members)).mustStatus(t, http.StatusNoContent, "add members")
				c.patchOps("/Groups/"+gid, opOf(c.op("add"), "members", members[:1])).mustStatus(t, http.StatusNoContent, "re-add member")
				assert.ElementsMatch(t, users, memberIDs(c.get("/Groups/"+gid).Body))
				noMembers := c.get("/Groups/" + gid + "?excludedAttributes=members").Body
				assert.NotContains(t, noMembers, "members", "excludedAttributes=members with members present")
				listed := mustList(t, c.get("/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "Engineering"`)), 1, "list without members")
				assert.NotContains(t, listed[0], "members")
				listed = mustList(t, c.get("/Groups?"+filterQuery(`displayName eq "Engineering"`)), 1, "list with members")
				assert.ElementsMatch(t, users, memberIDs(listed[0]))
				// The user's groups attribute shows the membership.
				ug := c.get("/Users/" + users[0]).Body["groups"].([]any)
				require.Len(t, ug, 1)
				assert.Equal(t, gid, ug[0].(map[string]any)["value"])

				// 15. Remove members: default shape (value array) or flag shape (filter path).
				if !mode.flag {
					c.patchOps("/Groups/"+gid, opOf("Remove", "members", []any{map[string]any{"value": users[0]}})).mustStatus(t, http.StatusNoContent, "remove u0")
					assert.ElementsMatch(t, users[1:], memberIDs(c.get("/Groups/"+gid).Body))
				} else {
					c.patchOps("/Groups/"+gid, opOf("remove", `members[value eq "`+users[1]+`"]`, nil)).mustStatus(t, http.StatusNoContent, "remove u1")
					assert.ElementsMatch(t, []string{users[0], users[2]}, memberIDs(c.get("/Groups/"+gid).Body))
				}
				c.patchOps("/Groups/"+gid, opOf(c.op("remove"), "members", nil)).mustStatus(t, http.StatusNoContent, "remove all")
				assert.Empty(t, memberIDs(c.get("/Groups/"+gid).Body))

				// A members PATCH with ?attributes= gets the group back.
				body := c.patchOps("/Groups/"+gid+"?attributes=displayName", opOf(c.op("add"), "members", members[:1])).
					mustStatus(t, http.StatusOK, "members PATCH asking for a body").Body
				assert.Equal(t, "Engineering", body["displayName"])

				// 16. Delete.
				c.do(request{Method: http.MethodDelete, Path: c.url("/Groups/" + gid)}).mustStatus(t, http.StatusNoContent, "delete group")
				assertSCIMError(t, c.get("/Groups/"+gid), http.StatusNotFound, "", "get deleted group")
				assert.NotContains(t, c.get("/Users/"+users[0]).Body, "groups", "memberships go with the group")
			})
		}
	})
}

func TestEntraDiscoveryAndNegative(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		for _, mode := range entraModes() {
			t.Run(mode.name, func(t *testing.T) {
				t.Parallel()
				c := &entra{env: newEnv(t), mode: mode}
				// 18. Schemas, ServiceProviderConfig, ResourceTypes.
				schemas := mustList(t, c.get("/Schemas"), 4, "schemas")
				var ids []any
				for _, s := range schemas {
					ids = append(ids, s["id"])
				}
				assert.ElementsMatch(t, []any{scim.SchemaUser, scim.SchemaGroup, enterpriseURN, scim.SchemaServiceConfig}, ids)
				c.get("/ServiceProviderConfig").mustStatus(t, http.StatusOK, "spc")
				mustList(t, c.get("/ResourceTypes"), 2, "resource types")

				// 20. Negative.
				assertSCIMError(t, c.send(request{Method: http.MethodGet, Path: c.url("/Users"), Token: "none"}), http.StatusUnauthorized, "", "no token")
				assertSCIMError(t, c.send(request{Method: http.MethodGet, Path: c.url("/Users"), Token: "wrong"}), http.StatusUnauthorized, "", "bad token")
				assertSCIMError(t, c.postJSON("/Users", "junk"), http.StatusBadRequest, scim.TypeInvalidSyntax, "post junk")
				assertSCIMError(t, c.postJSON("/Users", map[string]any{"schemas": []any{scim.SchemaUser}, "displayName": "no username"}),
					http.StatusBadRequest, "", "post no username")
			})
		}
	})
}
