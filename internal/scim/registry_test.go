package scim_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

func TestRegistrySchemasAndResourceTypes(t *testing.T) {
	t.Parallel()
	r := scim.NewRegistry()

	var ids []string
	for _, s := range r.Schemas() {
		ids = append(ids, s.ID)
	}
	assert.Equal(t, []string{scim.SchemaUser, scim.SchemaEnterpriseUser, scim.SchemaGroup, scim.SchemaServiceConfig}, ids)
	assert.Same(t, r.Schemas()[0], r.Schema("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"))
	assert.Nil(t, r.Schema("urn:ietf:params:scim:schemas:extension:enterprise:2.0User"))

	user := r.ResourceType("user")
	require.NotNil(t, user)
	assert.Equal(t, "/Users", user.Endpoint)
	assert.Equal(t, []scim.SchemaExtension{{Schema: scim.SchemaEnterpriseUser, Required: false}}, user.Extensions)
	group := r.ResourceType("GROUP")
	require.NotNil(t, group)
	assert.Equal(t, "/Groups", group.Endpoint)
	assert.Nil(t, r.ResourceType("Device"))
	assert.Len(t, r.ResourceTypes(), 2)

	us := r.ResourceTypeSchemas(user)
	require.Len(t, us, 2)
	assert.Equal(t, scim.SchemaUser, us[0].ID)
	assert.Equal(t, scim.SchemaEnterpriseUser, us[1].ID)
	assert.Len(t, r.ResourceTypeSchemas(group), 1)
}

// TestSchemaShape checks the /Schemas representation against RFC 7643 §7: every attribute
// carries all characteristics, complex ones carry subAttributes.
func TestSchemaShape(t *testing.T) {
	t.Parallel()
	r := scim.NewRegistry()
	raw, err := json.Marshal(r.Schemas())
	require.NoError(t, err)
	var schemas []map[string]any
	require.NoError(t, json.Unmarshal(raw, &schemas))

	var check func(where string, a map[string]any)
	check = func(where string, a map[string]any) {
		for _, k := range []string{"name", "type", "multiValued", "description", "required", "caseExact", "mutability", "returned", "uniqueness"} {
			assert.Contains(t, a, k, "%s lacks %q", where, k)
		}
		assert.Contains(t, []any{"readOnly", "readWrite", "immutable", "writeOnly"}, a["mutability"], where)
		assert.Contains(t, []any{"always", "never", "default", "request"}, a["returned"], where)
		assert.Contains(t, []any{"none", "server", "global"}, a["uniqueness"], where)
		assert.NotEmpty(t, a["description"], where)
		if a["type"] == "complex" {
			subs, ok := a["subAttributes"].([]any)
			require.True(t, ok, "%s: complex without subAttributes", where)
			for _, s := range subs {
				sm := s.(map[string]any)
				check(where+"."+sm["name"].(string), sm)
				assert.NotContains(t, sm, "subAttributes", "%s: nested complex", where)
			}
		} else {
			assert.NotContains(t, a, "subAttributes", where)
		}
		if a["type"] == "reference" {
			assert.NotEmpty(t, a["referenceTypes"], where)
		}
	}
	for _, s := range schemas {
		for _, k := range []string{"id", "name", "description", "attributes"} {
			assert.Contains(t, s, k)
		}
		for _, a := range s["attributes"].([]any) {
			am := a.(map[string]any)
			check(s["id"].(string)+":"+am["name"].(string), am)
		}
	}
}

// TestSchemaDefinitions spot-checks RFC 7643 §8.7.1/§8.7.2 characteristics.
func TestSchemaDefinitions(t *testing.T) {
	t.Parallel()
	r := scim.NewRegistry()
	user, group := r.ResourceType("User"), r.ResourceType("Group")
	const ent = scim.SchemaEnterpriseUser

	var userNames []string
	for _, a := range r.Schema(scim.SchemaUser).Attributes {
		userNames = append(userNames, a.Name)
	}
	assert.Equal(t, []string{"userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
		"preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims", "photos",
		"addresses", "groups", "entitlements", "roles", "x509Certificates"}, userNames)

	tests := []struct {
		rt         *scim.ResourceType
		path       filter.AttrPath
		typ        scim.AttrType
		multi      bool
		required   bool
		caseExact  bool
		mutability string
		returned   string
		uniqueness string
		canonical  []string
		refs       []string
	}{
		{user, filter.AttrPath{Attr: "userName"}, scim.TypeString, false, true, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueServer, nil, nil},
		{user, filter.AttrPath{Attr: "password"}, scim.TypeString, false, false, false, scim.WriteOnly, scim.ReturnedNever, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{Attr: "active"}, scim.TypeBoolean, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{Attr: "profileUrl"}, scim.TypeReference, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, []string{"external"}},
		{user, filter.AttrPath{Attr: "emails"}, scim.TypeComplex, true, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{Attr: "emails", Sub: "type"}, scim.TypeString, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, []string{"work", "home", "other"}, nil},
		{user, filter.AttrPath{Attr: "phoneNumbers", Sub: "type"}, scim.TypeString, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, []string{"work", "home", "mobile", "fax", "pager", "other"}, nil},
		{user, filter.AttrPath{Attr: "ims", Sub: "type"}, scim.TypeString, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, []string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}, nil},
		{user, filter.AttrPath{Attr: "photos", Sub: "value"}, scim.TypeReference, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, []string{"external"}},
		{user, filter.AttrPath{Attr: "photos", Sub: "type"}, scim.TypeString, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, []string{"photo", "thumbnail"}, nil},
		{user, filter.AttrPath{Attr: "addresses", Sub: "postalCode"}, scim.TypeString, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{Attr: "groups"}, scim.TypeComplex, true, false, false, scim.ReadOnly, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{Attr: "groups", Sub: "$ref"}, scim.TypeReference, false, false, false, scim.ReadOnly, scim.ReturnedDefault, scim.UniqueNone, nil, []string{"User", "Group"}},
		{user, filter.AttrPath{Attr: "groups", Sub: "type"}, scim.TypeString, false, false, false, scim.ReadOnly, scim.ReturnedDefault, scim.UniqueNone, []string{"direct", "indirect"}, nil},
		{user, filter.AttrPath{Attr: "x509Certificates", Sub: "value"}, scim.TypeBinary, false, false, true, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{Attr: "id"}, scim.TypeString, false, false, true, scim.ReadOnly, scim.ReturnedAlways, scim.UniqueServer, nil, nil},
		{user, filter.AttrPath{Attr: "externalId"}, scim.TypeString, false, false, true, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{Attr: "meta", Sub: "lastModified"}, scim.TypeDateTime, false, false, false, scim.ReadOnly, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{URN: ent, Attr: "manager", Sub: "$ref"}, scim.TypeReference, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, []string{"User"}},
		{user, filter.AttrPath{URN: ent, Attr: "manager", Sub: "displayName"}, scim.TypeString, false, false, false, scim.ReadOnly, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{user, filter.AttrPath{URN: ent, Attr: "employeeNumber"}, scim.TypeString, false, false, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{group, filter.AttrPath{Attr: "displayName"}, scim.TypeString, false, true, false, scim.ReadWrite, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{group, filter.AttrPath{Attr: "members", Sub: "value"}, scim.TypeString, false, false, false, scim.Immutable, scim.ReturnedDefault, scim.UniqueNone, nil, nil},
		{group, filter.AttrPath{Attr: "members", Sub: "$ref"}, scim.TypeReference, false, false, false, scim.Immutable, scim.ReturnedDefault, scim.UniqueNone, nil, []string{"User", "Group"}},
		{group, filter.AttrPath{Attr: "members", Sub: "type"}, scim.TypeString, false, false, false, scim.Immutable, scim.ReturnedDefault, scim.UniqueNone, []string{"User", "Group"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.rt.Name+"/"+tt.path.String(), func(t *testing.T) {
			t.Parallel()
			p, ok := r.ResolvePath(tt.rt, tt.path)
			require.True(t, ok)
			a := p.Leaf()
			assert.Equal(t, tt.typ, a.Type)
			assert.Equal(t, tt.multi, a.MultiValued)
			assert.Equal(t, tt.required, a.Required)
			assert.Equal(t, tt.caseExact, a.CaseExact)
			assert.Equal(t, tt.mutability, a.Mutability)
			assert.Equal(t, tt.returned, a.Returned)
			assert.Equal(t, tt.uniqueness, a.Uniqueness)
			assert.Equal(t, tt.canonical, a.CanonicalValues)
			assert.Equal(t, tt.refs, a.ReferenceTypes)
		})
	}
}

func TestResolvePath(t *testing.T) {
	t.Parallel()
	r := scim.NewRegistry()
	user, group := r.ResourceType("User"), r.ResourceType("Group")
	const ent = scim.SchemaEnterpriseUser
	tests := []struct {
		name      string
		rt        *scim.ResourceType
		path      filter.AttrPath
		ok        bool
		want      string
		extension bool
		common    bool
	}{
		{"core", user, filter.AttrPath{Attr: "USERNAME"}, true, "userName", false, false},
		{"core sub", user, filter.AttrPath{Attr: "name", Sub: "GivenName"}, true, "name.givenName", false, false},
		{"multi sub", user, filter.AttrPath{Attr: "Emails", Sub: "Value"}, true, "emails.value", false, false},
		{"core URN", user, filter.AttrPath{URN: "urn:ietf:params:scim:schemas:core:2.0:user", Attr: "userName"}, true, "userName", false, false},
		{"extension", user, filter.AttrPath{URN: "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User", Attr: "Department"}, true, ent + ":department", true, false},
		{"extension sub", user, filter.AttrPath{URN: ent, Attr: "manager", Sub: "value"}, true, ent + ":manager.value", true, false},
		{"extension without URN", user, filter.AttrPath{Attr: "department"}, false, "", false, false},
		{"id", user, filter.AttrPath{Attr: "ID"}, true, "id", false, true},
		{"externalId", group, filter.AttrPath{Attr: "externalid"}, true, "externalId", false, true},
		{"meta sub", group, filter.AttrPath{Attr: "meta", Sub: "created"}, true, "meta.created", false, true},
		{"group members", group, filter.AttrPath{Attr: "members", Sub: "value"}, true, "members.value", false, false},
		{"members on user", user, filter.AttrPath{Attr: "members"}, false, "", false, false},
		{"extension on group", group, filter.AttrPath{URN: ent, Attr: "department"}, false, "", false, false},
		{"unknown", user, filter.AttrPath{Attr: "shoeSize"}, false, "", false, false},
		{"unknown sub", user, filter.AttrPath{Attr: "name", Sub: "nick"}, false, "", false, false},
		{"sub on simple", user, filter.AttrPath{Attr: "userName", Sub: "x"}, false, "", false, false},
		{"unknown URN", user, filter.AttrPath{URN: "urn:x:y", Attr: "userName"}, false, "", false, false},
		{"nil type", nil, filter.AttrPath{Attr: "userName"}, false, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, ok := r.ResolvePath(tt.rt, tt.path)
			require.Equal(t, tt.ok, ok)
			if !ok {
				return
			}
			assert.Equal(t, tt.want, p.Path())
			assert.Equal(t, tt.extension, p.Extension())
			assert.Equal(t, tt.common, p.Schema == nil)
			if tt.path.Sub != "" {
				assert.Same(t, p.Sub, p.Leaf())
			} else {
				assert.Same(t, p.Attr, p.Leaf())
			}
		})
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ÄBC", "äbc"},
		{"Bjensen@Example.COM", "bjensen@example.com"},
		{"e\u0301", "\u00e9"},        // NFD input folds to the NFC form
		{"E\u0301", "\u00e9"},        // and case folds too
		{"\u00c9COLE", "\u00e9cole"}, // NFC input
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, scim.Fold(tt.in), "Fold(%q)", tt.in)
	}
	assert.Equal(t, scim.Fold("Ame\u0301lie"), scim.Fold("AM\u00c9LIE"))
}

func attrPath(attr, sub string) filter.AttrPath { return filter.AttrPath{Attr: attr, Sub: sub} }
