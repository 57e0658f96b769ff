package scim_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

const base = "https://h/scim/v2"

func testUser(t *testing.T) *scim.Resource {
	t.Helper()
	return &scim.Resource{
		ID:   "u1",
		Type: scim.ResourceUser,
		Attributes: decode(t, `{"userName":"bjensen","externalId":"e1","name":{"givenName":"B","familyName":"J"},
			"emails":[{"value":"b@x","type":"work","primary":true}],"password":"leak",
			"`+ent+`":{"department":"D","manager":{"value":"m1"}}}`),
		Meta: scim.Meta{
			Created:      time.Date(2024, 1, 2, 3, 4, 5, 6_000_000, time.UTC),
			LastModified: time.Date(2024, 2, 3, 4, 5, 6, 0, time.FixedZone("x", 3600)),
			Version:      7,
		},
		Groups: []scim.GroupRef{{Value: "g1", Display: "Admins", Type: "direct"}},
	}
}

// asJSON round-trips v so expectations can be written as JSON.
func asJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return decode(t, string(raw))
}

func TestRenderUser(t *testing.T) {
	t.Parallel()
	r := scim.NewRegistry()
	got := asJSON(t, r.Render(testUser(t), base+"/", scim.Projection{}))
	assert.Equal(t, decode(t, `{
		"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","`+ent+`"],
		"id":"u1","externalId":"e1",
		"meta":{"resourceType":"User","created":"2024-01-02T03:04:05.006Z","lastModified":"2024-02-03T03:05:06.000Z",
			"location":"https://h/scim/v2/Users/u1","version":"W/\"7\""},
		"userName":"bjensen","name":{"givenName":"B","familyName":"J"},
		"emails":[{"value":"b@x","type":"work","primary":true}],
		"`+ent+`":{"department":"D","manager":{"value":"m1"}},
		"groups":[{"value":"g1","$ref":"https://h/scim/v2/Groups/g1","display":"Admins","type":"direct"}]}`), got)
}

func TestRenderGroup(t *testing.T) {
	t.Parallel()
	r := scim.NewRegistry()
	g := &scim.Resource{ID: "g1", Type: scim.ResourceGroup, Attributes: map[string]any{"displayName": "Admins"},
		Members: []scim.Member{{Value: "u1", Type: scim.ResourceUser, Display: "Bob"}, {Value: "g2", Type: scim.ResourceGroup}}}
	got := asJSON(t, r.Render(g, base, scim.Projection{}))
	assert.Equal(t, []any{scim.SchemaGroup}, got["schemas"])
	assert.Equal(t, "https://h/scim/v2/Groups/g1", got["meta"].(map[string]any)["location"])
	assert.Equal(t, decode(t, `{"m":[{"value":"u1","$ref":"https://h/scim/v2/Users/u1","type":"User","display":"Bob"},
		{"value":"g2","$ref":"https://h/scim/v2/Groups/g2","type":"Group"}]}`)["m"], got["members"])

	proj, err := r.ParseProjection(r.ResourceType("Group"), "", "members")
	require.NoError(t, err)
	assert.False(t, proj.WantsMembers())
	got = asJSON(t, r.Render(g, base, proj))
	assert.NotContains(t, got, "members")
	assert.Equal(t, "Admins", got["displayName"])

	g.Members = nil // not loaded
	assert.NotContains(t, r.Render(g, base, scim.Projection{}), "members")
	assert.Equal(t, `W/"42"`, scim.ETag(42))
}

func TestProjection(t *testing.T) {
	t.Parallel()
	r := scim.NewRegistry()
	user := r.ResourceType("User")
	tests := []struct {
		name, attributes, excluded string
		keys                       []string // top-level keys of the rendered user
		emails                     string   // expected emails JSON, "" for absent
	}{
		{"default", "", "", []string{"schemas", "id", "externalId", "meta", "userName", "name", "emails", ent, "groups"}, `[{"value":"b@x","type":"work","primary":true}]`},
		{"attributes userName", "userName", "", []string{"schemas", "id", "userName"}, ""},
		{"attributes case-insensitive and id", " USERNAME , id ", "", []string{"schemas", "id", "userName"}, ""},
		{"attributes sub", "emails.value,name.givenName", "", []string{"schemas", "id", "emails", "name"}, `[{"value":"b@x"}]`},
		{"attributes extension attr", ent + ":department", "", []string{"schemas", "id", ent}, ""},
		{"attributes whole extension", ent, "", []string{"schemas", "id", ent}, ""},
		{"attributes unknown ignored", "shoeSize,userName,urn:x:y:z", "", []string{"schemas", "id", "userName"}, ""},
		{"attributes password never", "password,userName", "", []string{"schemas", "id", "userName"}, ""},
		{"attributes meta", "meta", "", []string{"schemas", "id", "meta"}, ""},
		{"attributes wins", "userName", "userName", []string{"schemas", "id", "userName"}, ""},
		{"excluded", "", "emails,groups,id", []string{"schemas", "id", "externalId", "meta", "userName", "name", ent}, ""},
		{"excluded sub", "", "emails.primary,emails.type", []string{"schemas", "id", "externalId", "meta", "userName", "name", "emails", ent, "groups"}, `[{"value":"b@x"}]`},
		{"excluded members on user", "", "members", []string{"schemas", "id", "externalId", "meta", "userName", "name", "emails", ent, "groups"}, `[{"value":"b@x","type":"work","primary":true}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			proj, err := r.ParseProjection(user, tt.attributes, tt.excluded)
			require.NoError(t, err)
			got := asJSON(t, r.Render(testUser(t), base, proj))
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			assert.ElementsMatch(t, tt.keys, keys)
			if tt.emails == "" {
				assert.NotContains(t, got, "emails")
			} else {
				assert.Equal(t, decode(t, `{"e":`+tt.emails+`}`)["e"], got["emails"])
			}
			assert.NotContains(t, got, "password")
		})
	}

	proj, err := r.ParseProjection(user, "userName", "")
	require.NoError(t, err)
	assert.False(t, proj.WantsGroups())
	assert.True(t, proj.Wants("id"))
	assert.False(t, proj.Wants("meta"))

	for _, bad := range []string{"user Name", "emails..value", "name.", "1abc", `urn:"x":a`} {
		_, err := r.ParseProjection(user, bad, "")
		se, ok := scim.AsError(err)
		require.True(t, ok, "ParseProjection(%q) = %v, want *scim.Error", bad, err)
		assert.Equal(t, http.StatusBadRequest, se.Status)
		assert.Equal(t, scim.TypeInvalidPath, se.Type)
	}
	_, err = r.ParseProjection(user, "", "emails..value")
	assert.Error(t, err)

	var zero scim.Projection
	assert.True(t, zero.WantsMembers())
	assert.False(t, zero.Wants("password"))
}
