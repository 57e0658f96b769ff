package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

const enterprise = scim.SchemaEnterpriseUser

// compileString parses and compiles a filter for resource type rtName.
func compileString(t *testing.T, d FilterDialect, rtName, text string, argStart int) (string, []any, error) {
	t.Helper()
	e, err := filter.Parse(text)
	require.NoError(t, err, "parse %q", text)
	reg := scim.NewRegistry()
	return CompileFilter(reg, reg.ResourceType(rtName), d, e, argStart)
}

func TestCompileFilterSQL(t *testing.T) {
	t.Parallel()
	lastMod := time.Date(2011, 5, 13, 4, 42, 34, 0, time.UTC)
	type dialectWant struct {
		sql  string
		args []any
	}
	tests := []struct {
		name   string
		rt     string
		filter string
		pg     dialectWant
		sqlite dialectWant
	}{
		{
			name: "userName uses the folded column", rt: "User", filter: `userName eq "BJensen@Example.com"`,
			pg:     dialectWant{`users.user_name_fold = $2`, []any{"bjensen@example.com"}},
			sqlite: dialectWant{`users.user_name_fold = ?`, []any{"bjensen@example.com"}},
		},
		{
			name: "Entra email form is one EXISTS over user_emails", rt: "User", filter: `emails[type eq "work"].value eq "A@X.org"`,
			pg: dialectWant{`EXISTS (SELECT 1 FROM user_emails ue1 WHERE ue1.tenant_id = users.tenant_id AND ue1.user_id = users.id AND (lower(normalize(ue1.type, NFC)) = $2 AND ue1.value_fold = $3))`,
				[]any{"work", "a@x.org"}},
			sqlite: dialectWant{`EXISTS (SELECT 1 FROM user_emails ue1 WHERE ue1.tenant_id = users.tenant_id AND ue1.user_id = users.id AND (scim_fold(ue1.type) = ? AND ue1.value_fold = ?))`,
				[]any{"work", "a@x.org"}},
		},
		{
			name: "co escapes wildcards", rt: "User", filter: `title co "50%_*"`,
			pg: dialectWant{`lower(normalize((users.doc ->> 'title'), NFC)) LIKE $2 ESCAPE '\'`, []any{`%50\%\_*%`}},
			sqlite: dialectWant{`scim_fold((CASE WHEN json_type(users.doc, '$."title"') = 'text' THEN json_extract(users.doc, '$."title"') END)) GLOB ?`,
				[]any{`*50%_[*]*`}},
		},
		{
			name: "not is two-valued", rt: "User", filter: `not (active eq true)`,
			pg:     dialectWant{`(users.active = $2::boolean) IS NOT TRUE`, []any{true}},
			sqlite: dialectWant{`(users.active = ?) IS NOT TRUE`, []any{int64(1)}},
		},
		{
			name: "extension sub-attribute under its URN key", rt: "User", filter: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "M1"`,
			pg: dialectWant{`lower(normalize((users.doc -> 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' -> 'manager' ->> 'value'), NFC)) = $2`, []any{"m1"}},
			sqlite: dialectWant{`scim_fold((CASE WHEN json_type(users.doc, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."manager"."value"') = 'text' THEN json_extract(users.doc, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"."manager"."value"') END)) = ?`,
				[]any{"m1"}},
		},
		{
			name: "id that is not a UUID never matches", rt: "User", filter: `id eq "not-a-uuid" or id ne "x"`,
			pg:     dialectWant{`(FALSE OR (FALSE) IS NOT TRUE)`, nil},
			sqlite: dialectWant{`(FALSE OR (FALSE) IS NOT TRUE)`, nil},
		},
		{
			name: "timestamp column", rt: "Group", filter: `meta.lastModified gt "2011-05-13T04:42:34Z"`,
			pg:     dialectWant{`groups.last_modified > $2`, []any{lastMod}},
			sqlite: dialectWant{`groups.last_modified > ?`, []any{"2011-05-13T04:42:34.000000Z"}},
		},
		{
			name: "group members by id", rt: "Group", filter: `members[value eq "2819C223-7F76-453A-919D-413861904646"]`,
			pg:     dialectWant{`EXISTS (SELECT 1 FROM group_members gm1 WHERE gm1.tenant_id = groups.tenant_id AND gm1.group_id = groups.id AND gm1.member_id = $2)`, []any{"2819c223-7f76-453a-919d-413861904646"}},
			sqlite: dialectWant{`EXISTS (SELECT 1 FROM group_members gm1 WHERE gm1.tenant_id = groups.tenant_id AND gm1.group_id = groups.id AND gm1.member_id = ?)`, []any{"2819c223-7f76-453a-919d-413861904646"}},
		},
		{
			name: "JSON array elements for sub-attributes without a column", rt: "User", filter: `emails[primary eq true]`,
			pg:     dialectWant{`EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof((users.doc -> 'emails')) = 'array' THEN (users.doc -> 'emails') ELSE '[]'::jsonb END) AS e2(v) WHERE (CASE WHEN jsonb_typeof((e2.v -> 'primary')) = 'boolean' THEN (e2.v -> 'primary')::boolean END) = $2::boolean)`, []any{true}},
			sqlite: dialectWant{`EXISTS (SELECT 1 FROM json_each(users.doc, '$."emails"') AS e2 WHERE json_type(users.doc, '$."emails"') = 'array' AND (CASE json_type(e2.value, '$."primary"') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END) = ?)`, []any{int64(1)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, d := range []struct {
				name string
				d    FilterDialect
				want dialectWant
			}{{"postgres", PostgresFilter, tt.pg}, {"sqlite", SQLiteFilter, tt.sqlite}} {
				where, args, err := compileString(t, d.d, tt.rt, tt.filter, 2)
				require.NoError(t, err, "%s: %s", d.name, tt.filter)
				assert.Equal(t, d.want.sql, where, "%s: %s", d.name, tt.filter)
				assert.Equal(t, d.want.args, args, "%s: %s", d.name, tt.filter)
			}
		})
	}
}

func TestCompileFilterNil(t *testing.T) {
	t.Parallel()
	reg := scim.NewRegistry()
	where, args, err := CompileFilter(reg, reg.ResourceType("User"), PostgresFilter, nil, 1)
	require.NoError(t, err)
	assert.Equal(t, "TRUE", where)
	assert.Empty(t, args)
}

func TestCompileFilterErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rt, filter string
		detail     string // must appear in the error detail
	}{
		{"User", `nope eq "x"`, `"nope"`},
		{"User", `urn:example:Unknown:foo eq "x"`, `urn:example:Unknown:foo`},
		{"User", `userName.first eq "x"`, `"userName" has no sub-attributes`},
		{"User", `name.nope eq "x"`, `"name" has no sub-attribute "nope"`},
		{"User", `name eq "x"`, `"name" needs a sub-attribute`},
		{"User", `active eq "yes"`, `"active" is a boolean`},
		{"User", `active eq 1`, `"active" is a boolean`},
		{"User", `active gt true`, `"active"`},
		{"User", `active co "t"`, `"active"`},
		{"User", `userName eq true`, `"userName" is a string`},
		{"User", `meta.lastModified gt "not a date"`, `"meta.lastModified" is a dateTime`},
		{"User", `meta.created co "2010"`, `"meta.created"`},
		{"User", `meta.version eq "W/\"1\""`, `"meta.version"`},
		{"User", `password eq "secret"`, `"password" cannot be used in a filter`},
		{"User", `userName gt null`, `"userName" with null`},
		{"User", `emails[nope eq "x"]`, `"emails" has no sub-attribute "nope"`},
		{"User", `userName[value eq "x"]`, `"userName" needs a complex attribute`},
		{"User", `x509Certificates.value co "TUlJ"`, `"x509Certificates.value"`},
		{"User", `x509Certificates.value gt "TUlJ"`, `"x509Certificates.value"`},
		{"User", `groups.$ref eq "x"`, `"groups.$ref"`},
		{"User", `members.value eq "x"`, `"members.value"`},
		{"Group", `members.$ref eq "x"`, `"members.$ref"`},
		{"Group", `userName eq "x"`, `"userName"`},
		{"User", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.nope eq "x"`, `no sub-attribute "nope"`},
		{"User", `emails[value eq "x"] and not (password pr)`, `"password"`},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			t.Parallel()
			for _, d := range []FilterDialect{PostgresFilter, SQLiteFilter} {
				_, _, err := compileString(t, d, tt.rt, tt.filter, 1)
				require.Error(t, err, tt.filter)
				se, ok := scim.AsError(err)
				require.True(t, ok, "%s: want *scim.Error, got %v", tt.filter, err)
				assert.Equal(t, http.StatusBadRequest, se.Status, tt.filter)
				assert.Equal(t, scim.TypeInvalidFilter, se.Type, tt.filter)
				assert.Contains(t, se.Detail, tt.detail, tt.filter)
			}
		})
	}
}

func TestCompileFilterNestedValuePath(t *testing.T) {
	t.Parallel()
	reg := scim.NewRegistry()
	e := &filter.ValuePath{Path: filter.AttrPath{Attr: "emails"}, Filter: &filter.ValuePath{
		Path: filter.AttrPath{Attr: "type"}, Filter: &filter.Present{Path: filter.AttrPath{Attr: "value"}}}}
	_, _, err := CompileFilter(reg, reg.ResourceType("User"), PostgresFilter, e, 1)
	se, ok := scim.AsError(err)
	require.True(t, ok, "got %v", err)
	assert.Equal(t, scim.TypeInvalidFilter, se.Type)
}

func TestMatchPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind           MatchKind
		in, pg, sqlite string
	}{
		{MatchContains, `a%b_c\d`, `%a\%b\_c\\d%`, `*a%b_c\d*`},
		{MatchPrefix, `x*y?[z]`, `x*y?[z]%`, `x[*]y[?][[]z]*`},
		{MatchSuffix, ``, `%`, `*`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.pg, PostgresFilter.MatchPattern(tt.kind, tt.in), tt.in)
		assert.Equal(t, tt.sqlite, SQLiteFilter.MatchPattern(tt.kind, tt.in), tt.in)
	}
}

// ---- execution tests on real databases ----

// Fixed ids of the test data.
const (
	tenantA = "0a000000-0000-4000-8000-000000000001"
	tenantB = "0b000000-0000-4000-8000-000000000002"

	idBjensen = "2819c223-7f76-453a-919d-413861904646" // RFC 7643 §8.2
	idAlice   = "a1000000-0000-4000-8000-000000000001"
	idZoe     = "a1000000-0000-4000-8000-000000000002"
	idMin     = "a1000000-0000-4000-8000-000000000003"
	idOdd     = "a1000000-0000-4000-8000-000000000004"
	idOther   = "b1000000-0000-4000-8000-000000000009" // tenant B

	idTourGuides  = "e9e30dba-f08f-4109-8486-d5c6a331660a" // RFC 7643 §8.4
	idEngineering = "c1000000-0000-4000-8000-000000000002"
	idEmigres     = "c1000000-0000-4000-8000-000000000003"
	idOtherGroup  = "d1000000-0000-4000-8000-000000000009" // tenant B
)

var labels = map[string]string{
	idBjensen: "bjensen", idAlice: "alice", idZoe: "zoe", idMin: "min", idOdd: "odd",
	idTourGuides: "tourGuides", idEngineering: "engineering", idEmigres: "emigres",
}

type testUser struct {
	tenant, id string
	created    string
	modified   string
	doc        map[string]any
}

type testGroup struct {
	tenant, id string
	modified   string
	doc        map[string]any
	members    map[string]string // id -> type
}

func mustTime(s string) time.Time {
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return ts.UTC()
}

func testUsers() []testUser {
	return []testUser{
		{tenantA, idBjensen, "2010-01-23T04:56:22Z", "2011-05-13T04:42:34Z", map[string]any{
			"userName":   "bjensen@example.com",
			"externalId": "bjensen",
			"name": map[string]any{
				"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara",
				"middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III",
			},
			"displayName": "Babs Jensen",
			"nickName":    "Babs",
			"profileUrl":  "https://login.example.com/bjensen",
			"title":       "Tour Guide",
			"userType":    "Employee",
			"active":      true,
			"emails": []any{
				map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
				map[string]any{"value": "babs@jensen.org", "type": "home"},
			},
			"addresses": []any{map[string]any{
				"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
				"region": "CA", "postalCode": "91608", "country": "USA", "primary": true,
			}},
			"phoneNumbers": []any{map[string]any{"value": "555-555-5555", "type": "work"}},
			enterprise: map[string]any{
				"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
				"division": "Theme Park", "department": "Tour Operations",
				"manager": map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"},
			},
		}},
		{tenantA, idAlice, "2024-03-01T10:00:00.5Z", "2024-03-02T11:00:00Z", map[string]any{
			// Entra ID shape: userName is the UPN, emails with type, roles: [], extension.
			"userName":    "Alice@Contoso.com",
			"externalId":  "alice",
			"name":        map[string]any{"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
			"displayName": "Alice Smith",
			"title":       "Engineer",
			"active":      false,
			"emails": []any{
				map[string]any{"primary": true, "type": "work", "value": "alice@contoso.com"},
				map[string]any{"type": "other", "value": "ALICE@personal.example"},
			},
			"roles": []any{},
			enterprise: map[string]any{
				"department": "Engineering", "employeeNumber": "42",
				"manager": map[string]any{"value": idBjensen},
			},
		}},
		{tenantA, idZoe, "2025-06-15T12:00:00.123456Z", "2025-06-15T12:00:00.123456Z", map[string]any{
			"userName":    "Zoë.Ærø@例え.jp",
			"displayName": "ÉMILE Zoë",
			"nickName":    "Zoe\u0308", // decomposed: matches a composed "zoë" after NFC folding
			"name":        map[string]any{"familyName": "Ærøskøbing", "givenName": "Zoë"},
			"emails":      []any{map[string]any{"value": "ZOË@例え.jp", "type": "Work"}},
		}},
		{tenantA, idMin, "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", map[string]any{
			"userName": "min",
			"title":    "",
		}},
		{tenantA, idOdd, "2021-07-04T00:00:00Z", "2021-07-04T00:00:00Z", map[string]any{
			"userName":         "odd",
			"displayName":      "Odd",
			"nickName":         `50%_off\*[x]?`,
			"x509Certificates": []any{map[string]any{"value": "TUlJQw=="}},
		}},
		{tenantB, idOther, "2010-01-23T04:56:22Z", "2011-05-13T04:42:34Z", map[string]any{
			"userName":    "bjensen@example.com",
			"displayName": "Babs Jensen",
			"active":      true,
			"emails":      []any{map[string]any{"value": "bjensen@example.com", "type": "work"}},
		}},
	}
}

func testGroups() []testGroup {
	return []testGroup{
		{tenantA, idTourGuides, "2011-05-13T04:42:34Z", map[string]any{"displayName": "Tour Guides", "externalId": "tg"},
			map[string]string{idBjensen: "User", idAlice: "User"}},
		{tenantA, idEngineering, "2024-03-01T10:00:00Z", map[string]any{"displayName": "Engineering"},
			map[string]string{idAlice: "User", idTourGuides: "Group"}},
		{tenantA, idEmigres, "2025-01-01T00:00:00Z", map[string]any{"displayName": "Émigrés", "externalId": "ext-g3"}, nil},
		{tenantB, idOtherGroup, "2011-05-13T04:42:34Z", map[string]any{"displayName": "Tour Guides"},
			map[string]string{idOther: "User"}},
	}
}

type execCase struct {
	rt, filter string
	want       []string // labels
}

func execCases() []execCase {
	all := []string{"alice", "bjensen", "min", "odd", "zoe"}
	mgr := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
	dept := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
	return []execCase{
		// Hot columns.
		{"User", `userName eq "bjensen@example.com"`, []string{"bjensen"}},
		{"User", `userName eq "BJENSEN@EXAMPLE.COM"`, []string{"bjensen"}},
		{"User", `USERNAME Eq "zoë.ærø@例え.jp"`, []string{"zoe"}},
		{"User", `userName eq "7d420df3-9995-4831-a406-ecf8166f5f6a"`, nil},
		{"User", `userName ne "min"`, []string{"alice", "bjensen", "odd", "zoe"}},
		{"User", `userName sw "B"`, []string{"bjensen"}},
		{"User", `userName gt "n"`, []string{"odd", "zoe"}},
		{"User", `externalId eq "bjensen"`, []string{"bjensen"}},
		{"User", `externalId eq "BJENSEN"`, nil},
		{"User", `externalId pr`, []string{"alice", "bjensen"}},
		{"User", `id eq "` + idBjensen + `"`, []string{"bjensen"}},
		{"User", `id eq "` + strings.ToUpper(idBjensen) + `"`, []string{"bjensen"}},
		{"User", `id eq "not-a-uuid"`, nil},
		{"User", `id ne "not-a-uuid"`, all},
		{"User", `id sw "2819C223"`, []string{"bjensen"}},
		{"User", `displayName co "jensen"`, []string{"bjensen"}},
		{"User", `displayName sw "émile"`, []string{"zoe"}},
		{"User", `displayName pr`, []string{"alice", "bjensen", "odd", "zoe"}},
		{"User", `active eq true`, []string{"bjensen"}},
		{"User", `active eq false`, []string{"alice"}},
		{"User", `active eq "False"`, []string{"alice"}},
		{"User", `active pr`, []string{"alice", "bjensen"}},
		{"User", `active ne true`, []string{"alice", "min", "odd", "zoe"}},
		{"User", `not (active eq true)`, []string{"alice", "min", "odd", "zoe"}},
		{"User", `meta.created gt "2020-01-01T00:00:00Z"`, []string{"alice", "odd", "zoe"}},
		{"User", `meta.created ge "2020-01-01T00:00:00Z"`, []string{"alice", "min", "odd", "zoe"}},
		{"User", `meta.created eq "2024-03-01T10:00:00.5Z"`, []string{"alice"}},
		{"User", `meta.created eq "2024-03-01T11:00:00.500+01:00"`, []string{"alice"}},
		{"User", `meta.lastModified lt "2011-05-13T04:42:35Z"`, []string{"bjensen"}},
		{"User", `meta.lastModified le "2011-05-13T04:42:34Z"`, []string{"bjensen"}},
		{"User", `meta.resourceType eq "User"`, all},
		{"User", `meta.resourceType eq "Group"`, nil},
		// Document attributes.
		{"User", `title pr`, []string{"alice", "bjensen"}},
		{"User", `title eq null`, []string{"min", "odd", "zoe"}},
		{"User", `title ne null`, []string{"alice", "bjensen"}},
		{"User", `title eq "tour guide"`, []string{"bjensen"}},
		{"User", `title ne "Tour Guide"`, []string{"alice", "min", "odd", "zoe"}},
		{"User", `name.familyName eq "jensen"`, []string{"bjensen"}},
		{"User", `name.familyName co "SKØ"`, []string{"zoe"}},
		{"User", `name.givenName lt "B"`, []string{"alice"}},
		{"User", `nickName eq "zoë"`, []string{"zoe"}},
		{"User", `name pr`, []string{"alice", "bjensen", "zoe"}},
		{"User", `not (name pr)`, []string{"min", "odd"}},
		{"User", `profileUrl sw "https://login.example.com/"`, []string{"bjensen"}},
		{"User", `nickName co "%_"`, []string{"odd"}},
		{"User", `nickName co "%"`, []string{"odd"}},
		{"User", `nickName co "_"`, []string{"odd"}},
		{"User", `nickName co "\\*["`, []string{"odd"}},
		{"User", `nickName co "?"`, []string{"odd"}},
		{"User", `nickName sw "50%"`, []string{"odd"}},
		{"User", `nickName ew "]?"`, []string{"odd"}},
		{"User", `nickName co "a"`, []string{"bjensen"}},
		{"User", `x509Certificates.value eq "TUlJQw=="`, []string{"odd"}},
		{"User", `x509Certificates.value eq "tuljqw=="`, nil},
		// Multi-valued attributes.
		{"User", `emails.value eq "alice@contoso.com"`, []string{"alice"}},
		{"User", `emails eq "ALICE@PERSONAL.EXAMPLE"`, []string{"alice"}},
		{"User", `emails co "@example.com"`, []string{"bjensen"}},
		{"User", `emails.value ew "@例え.jp"`, []string{"zoe"}},
		{"User", `emails.value ne "alice@contoso.com"`, []string{"bjensen", "min", "odd", "zoe"}},
		{"User", `emails.type eq "home"`, []string{"bjensen"}},
		{"User", `emails pr`, []string{"alice", "bjensen", "zoe"}},
		{"User", `emails.value pr`, []string{"alice", "bjensen", "zoe"}},
		{"User", `not (emails pr)`, []string{"min", "odd"}},
		{"User", `emails[type eq "work" and value co "@contoso.com"]`, []string{"alice"}},
		{"User", `emails[type eq "home" and value co "@contoso.com"]`, nil},
		{"User", `emails[type eq "work"].value eq "bjensen@example.com"`, []string{"bjensen"}},
		{"User", `emails[type eq "work"].value eq "babs@jensen.org"`, nil},
		{"User", `emails[type eq "work"]`, []string{"alice", "bjensen", "zoe"}},
		{"User", `emails[not (type eq "work")]`, []string{"alice", "bjensen"}},
		{"User", `emails[primary eq true]`, []string{"alice", "bjensen"}},
		{"User", `emails[type eq "work" and primary eq true]`, []string{"alice", "bjensen"}},
		{"User", `emails.primary eq false`, nil},
		{"User", `addresses[type eq "work" and locality eq "hollywood"]`, []string{"bjensen"}},
		{"User", `addresses.postalCode sw "916"`, []string{"bjensen"}},
		{"User", `phoneNumbers[type eq "work" and value eq "555-555-5555"]`, []string{"bjensen"}},
		{"User", `roles pr`, nil},
		{"User", `groups.value eq "` + idTourGuides + `"`, []string{"alice", "bjensen"}},
		{"User", `groups.value eq "not-a-uuid"`, nil},
		{"User", `groups[display eq "engineering"]`, []string{"alice"}},
		{"User", `groups eq "` + idEngineering + `"`, []string{"alice"}},
		{"User", `groups pr`, []string{"alice", "bjensen"}},
		{"User", `groups[type eq "direct"]`, []string{"alice", "bjensen"}},
		// Extension attributes.
		{"User", dept + ` eq "engineering"`, []string{"alice"}},
		{"User", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT sw "Tour"`, []string{"bjensen"}},
		{"User", mgr + `.value eq "` + idBjensen + `"`, []string{"alice"}},
		{"User", mgr + ` eq "26118915-6090-4610-87e4-49d8ca9f808d"`, []string{"bjensen"}},
		{"User", mgr + ` pr`, []string{"alice", "bjensen"}},
		{"User", `manager eq "` + idBjensen + `"`, []string{"alice"}}, // Entra ID's unqualified form
		{"User", `id eq "` + idAlice + `" and manager eq "` + idBjensen + `"`, []string{"alice"}},
		{"User", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`, []string{"alice", "bjensen"}},
		// Value filters on single-valued complex attributes.
		{"User", `name[familyName eq "JENSEN" and givenName pr]`, []string{"bjensen"}},
		{"User", `name[givenName lt "B"]`, []string{"alice"}},
		{"User", `not (name[familyName eq "jensen"])`, []string{"alice", "min", "odd", "zoe"}},
		{"User", mgr + `[value eq "` + idBjensen + `"]`, []string{"alice"}},
		{"User", `manager[value eq "` + idBjensen + `" or displayName pr]`, []string{"alice", "bjensen"}},
		// Logic.
		{"User", `userName eq "min" or userName eq "odd"`, []string{"min", "odd"}},
		{"User", `(userName sw "b" or userName sw "a") and active eq true`, []string{"bjensen"}},
		{"User", `not (userName eq "min" or active pr)`, []string{"odd", "zoe"}},
		{"User", `not (not (title pr))`, []string{"alice", "bjensen"}},
		{"User", `title pr and not (emails[type eq "home"])`, []string{"alice"}},
		// Injection-looking values match nothing and break nothing.
		{"User", `userName eq "x' OR '1'='1"`, nil},
		{"User", `userName eq "\"; DROP TABLE users; --"`, nil},
		{"User", `title co "' OR 1=1 --"`, nil},
		{"User", `emails[value eq "x') OR 1=1 --"]`, nil},
		{"User", `id eq "x'; DROP TABLE users; --"`, nil},
		// Groups.
		{"Group", `displayName eq "tour guides"`, []string{"tourGuides"}},
		{"Group", `displayName eq "ÉMIGRÉS"`, []string{"emigres"}},
		{"Group", `externalId eq "ext-g3"`, []string{"emigres"}},
		{"Group", `members.value eq "` + idAlice + `"`, []string{"engineering", "tourGuides"}},
		{"Group", `members[value eq "` + idBjensen + `"]`, []string{"tourGuides"}},
		{"Group", `members[type eq "group"]`, []string{"engineering"}},
		{"Group", `members[value eq "` + idTourGuides + `" and type eq "Group"]`, []string{"engineering"}},
		{"Group", `members pr`, []string{"engineering", "tourGuides"}},
		{"Group", `not (members pr)`, []string{"emigres"}},
		{"Group", `members.display eq "alice smith"`, []string{"engineering", "tourGuides"}},
		{"Group", `members.value eq "junk"`, nil},
		{"Group", `meta.lastModified gt "2020-01-01T00:00:00Z"`, []string{"emigres", "engineering"}},
		{"Group", `displayName eq "x' OR '1'='1"`, nil},
	}
}

// backend is one database the execution tests run on.
type backend struct {
	name   string
	db     *sql.DB
	d      FilterDialect
	rebind func(string) string // from "?" placeholders to the backend's
}

func (b *backend) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	_, err := b.db.Exec(b.rebind(q), args...)
	require.NoError(t, err, "%s: %s", b.name, q)
}

func pgRebind(q string) string {
	var sb strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&sb, "$%d", n)
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// fallbackPostgresSchema is used when migrations/postgres/000001_init.up.sql does not exist
// yet; it follows the shared storage layout of the team brief.
const fallbackPostgresSchema = `
CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL, name_fold text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE users (tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE, id uuid NOT NULL,
  user_name text NOT NULL, user_name_fold text NOT NULL, external_id text, display_name text,
  display_name_fold text, active boolean, doc jsonb NOT NULL, password_hash text,
  version bigint NOT NULL DEFAULT 1, created_at timestamptz NOT NULL, last_modified timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX users_tenant_user_name_fold ON users (tenant_id, user_name_fold);
CREATE INDEX users_tenant_external_id ON users (tenant_id, external_id);
CREATE INDEX users_tenant_display_name_fold ON users (tenant_id, display_name_fold);
CREATE TABLE user_emails (tenant_id uuid NOT NULL, user_id uuid NOT NULL, ord int NOT NULL,
  value_fold text NOT NULL, type text, PRIMARY KEY (tenant_id, user_id, ord),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE);
CREATE INDEX user_emails_tenant_value_fold ON user_emails (tenant_id, value_fold);
CREATE TABLE groups (tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE, id uuid NOT NULL,
  display_name text NOT NULL, display_name_fold text NOT NULL, external_id text, doc jsonb NOT NULL,
  version bigint NOT NULL DEFAULT 1, created_at timestamptz NOT NULL, last_modified timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE group_members (tenant_id uuid NOT NULL, group_id uuid NOT NULL, member_id uuid NOT NULL,
  member_type text NOT NULL, PRIMARY KEY (tenant_id, group_id, member_id));
CREATE INDEX group_members_member ON group_members (tenant_id, member_id, group_id);
`

const sqliteSchema = `
CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, name_fold TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE users (tenant_id TEXT NOT NULL, id TEXT NOT NULL, user_name TEXT NOT NULL, user_name_fold TEXT NOT NULL,
  external_id TEXT, display_name TEXT, display_name_fold TEXT, active INTEGER, doc TEXT NOT NULL, password_hash TEXT,
  version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, last_modified TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX users_tenant_user_name_fold ON users (tenant_id, user_name_fold);
CREATE TABLE user_emails (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, ord INTEGER NOT NULL, value_fold TEXT NOT NULL,
  type TEXT, PRIMARY KEY (tenant_id, user_id, ord));
CREATE INDEX user_emails_tenant_value_fold ON user_emails (tenant_id, value_fold);
CREATE TABLE groups (tenant_id TEXT NOT NULL, id TEXT NOT NULL, display_name TEXT NOT NULL, display_name_fold TEXT NOT NULL,
  external_id TEXT, doc TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, last_modified TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE group_members (tenant_id TEXT NOT NULL, group_id TEXT NOT NULL, member_id TEXT NOT NULL, member_type TEXT NOT NULL,
  PRIMARY KEY (tenant_id, group_id, member_id));
`

// postgresSchema returns H4's first migration when it exists, else the fallback.
func postgresSchema(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "..", "migrations", "postgres", "000001_init.up.sql")
	if b, err := os.ReadFile(path); err == nil {
		return string(b)
	}
	return fallbackPostgresSchema
}

// newPostgres creates a fresh database on the test server and drops it after the test.
func newPostgres(t *testing.T) *backend {
	t.Helper()
	url := os.Getenv("SCIMD_TEST_DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	admin, err := sql.Open("pgx", url)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("cannot reach Postgres at %s (%v); start one (e.g. `make db` or "+
			"`docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`) or set SCIMD_TEST_DATABASE_URL", url, err)
	}
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "scimd_filter_test_" + hex.EncodeToString(buf)
	_, err = admin.Exec("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8'")
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		assert.NoError(t, err)
	})
	dbURL, err := replaceDatabase(url, name)
	require.NoError(t, err)
	db, err := sql.Open("pgx", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Exec(postgresSchema(t))
	require.NoError(t, err, "create schema")
	return &backend{name: "postgres", db: db, d: PostgresFilter, rebind: pgRebind}
}

// replaceDatabase returns url with its database name replaced.
func replaceDatabase(url, name string) (string, error) {
	q := ""
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, q = url[:i], url[i:]
	}
	i := strings.LastIndexByte(url, '/')
	if i < len("postgres://") {
		return "", errors.New("database URL has no path")
	}
	return url[:i+1] + name + q, nil
}

func newSQLite(t *testing.T) *backend {
	t.Helper()
	RegisterSQLiteFunctions()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "filter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Exec(sqliteSchema)
	require.NoError(t, err)
	return &backend{name: "sqlite", db: db, d: SQLiteFilter, rebind: func(q string) string { return q }}
}

// load inserts the test users and groups the way the store writes them.
func (b *backend) load(t *testing.T) {
	t.Helper()
	ts := func(s string) any {
		if b.name == "sqlite" {
			return mustTime(s).UTC().Format(SQLiteTimeLayout)
		}
		return mustTime(s)
	}
	for _, tn := range []string{tenantA, tenantB} {
		b.exec(t, "INSERT INTO tenants (id, name, name_fold, created_at) VALUES (?, ?, ?, ?)", tn, "t"+tn[:2], "t"+tn[:2], ts("2020-01-01T00:00:00Z"))
	}
	opt := func(doc map[string]any, k string) (any, any) {
		s, ok := doc[k].(string)
		if !ok {
			return nil, nil
		}
		return s, scim.Fold(s)
	}
	for _, u := range testUsers() {
		doc, err := json.Marshal(u.doc)
		require.NoError(t, err)
		userName := u.doc["userName"].(string)
		ext, _ := opt(u.doc, "externalId")
		dn, dnFold := opt(u.doc, "displayName")
		active, ok := u.doc["active"]
		if !ok {
			active = nil
		}
		b.exec(t, `INSERT INTO users (tenant_id, id, user_name, user_name_fold, external_id, display_name,
			display_name_fold, active, doc, version, created_at, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			u.tenant, u.id, userName, scim.Fold(userName), ext, dn, dnFold, active, string(doc), ts(u.created), ts(u.modified))
		emails, _ := u.doc["emails"].([]any)
		for i, e := range emails {
			m := e.(map[string]any)
			typ, _ := opt(m, "type")
			b.exec(t, "INSERT INTO user_emails (tenant_id, user_id, ord, value_fold, type) VALUES (?, ?, ?, ?, ?)",
				u.tenant, u.id, i, scim.Fold(m["value"].(string)), typ)
		}
	}
	for _, g := range testGroups() {
		doc, err := json.Marshal(g.doc)
		require.NoError(t, err)
		dn := g.doc["displayName"].(string)
		ext, _ := opt(g.doc, "externalId")
		b.exec(t, `INSERT INTO groups (tenant_id, id, display_name, display_name_fold, external_id, doc, version,
			created_at, last_modified) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			g.tenant, g.id, dn, scim.Fold(dn), ext, string(doc), ts(g.modified), ts(g.modified))
	}
	for _, g := range testGroups() {
		for id, typ := range g.members {
			b.exec(t, "INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES (?, ?, ?, ?)",
				g.tenant, g.id, id, typ)
		}
	}
}

// selectIDs runs the compiled filter in tenant A and returns the labels of the matches.
func (b *backend) selectIDs(t *testing.T, rt, text string) []string {
	t.Helper()
	where, args, err := compileString(t, b.d, rt, text, 2)
	require.NoError(t, err, "%s: compile %s", b.name, text)
	table := map[string]string{"User": "users", "Group": "groups"}[rt]
	q := fmt.Sprintf("SELECT %[1]s.id FROM %[1]s WHERE %[1]s.tenant_id = %[2]s AND (%[3]s)", table, b.d.Placeholder(1), where)
	rows, err := b.db.Query(q, append([]any{tenantA}, args...)...)
	require.NoError(t, err, "%s: %s\nSQL: %s\nargs: %v", b.name, text, q, args)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		l, ok := labels[strings.ToLower(id)]
		require.True(t, ok, "%s: %s selected an id of another tenant: %s", b.name, text, id)
		got = append(got, l)
	}
	require.NoError(t, rows.Err())
	slices.Sort(got)
	return got
}

func runExecCases(t *testing.T, b *backend) {
	b.load(t)
	for _, tc := range execCases() {
		t.Run(tc.rt+" "+tc.filter, func(t *testing.T) {
			t.Parallel()
			got := b.selectIDs(t, tc.rt, tc.filter)
			assert.Equal(t, tc.want, got, "%s: filter %s", b.name, tc.filter)
		})
	}
}

func TestFilterExecPostgres(t *testing.T) {
	t.Parallel()
	b := newPostgres(t)
	t.Run("cases", func(t *testing.T) { runExecCases(t, b) })
	// The tables are intact after the injection-looking filters.
	var n int
	require.NoError(t, b.db.QueryRow("SELECT count(*) FROM users").Scan(&n))
	assert.Equal(t, len(testUsers()), n)
}

func TestFilterExecSQLite(t *testing.T) {
	t.Parallel()
	b := newSQLite(t)
	t.Run("cases", func(t *testing.T) { runExecCases(t, b) })
	var n int
	require.NoError(t, b.db.QueryRow("SELECT count(*) FROM users").Scan(&n))
	assert.Equal(t, len(testUsers()), n)
}

// TestPostgresPlansUseIndexes checks that the filters Entra ID sends on every sync are index
// lookups, not scans of the tenant's users.
func TestPostgresPlansUseIndexes(t *testing.T) {
	t.Parallel()
	b := newPostgres(t)
	b.load(t)
	ctx := context.Background()
	conn, err := b.db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "ANALYZE")
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "SET enable_seqscan = off")
	require.NoError(t, err)
	for _, tc := range []struct{ filter, index string }{
		{`userName eq "bjensen@example.com"`, "user_name_fold"},
		{`emails[type eq "work"].value eq "bjensen@example.com"`, "value_fold"},
		{`externalId eq "bjensen"`, "external_id"},
	} {
		where, args, err := compileString(t, PostgresFilter, "User", tc.filter, 2)
		require.NoError(t, err)
		rows, err := conn.QueryContext(ctx, "EXPLAIN SELECT users.id FROM users WHERE users.tenant_id = $1 AND ("+where+")",
			append([]any{tenantA}, args...)...)
		require.NoError(t, err)
		var plan strings.Builder
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			plan.WriteString(line + "\n")
		}
		require.NoError(t, rows.Close())
		var names []string
		idx, err := conn.QueryContext(ctx, "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%' || $1 || '%'", tc.index)
		require.NoError(t, err)
		for idx.Next() {
			var n string
			require.NoError(t, idx.Scan(&n))
			names = append(names, n)
		}
		require.NoError(t, idx.Close())
		require.NotEmpty(t, names, "no index on %s", tc.index)
		found := false
		for _, n := range names {
			found = found || strings.Contains(plan.String(), n)
		}
		assert.True(t, found, "filter %s: plan uses none of %v:\n%s", tc.filter, names, plan.String())
	}
}

// TestDialectTypedScalars runs the typed JSON extraction of both dialects on attribute types the
// built-in schemas do not use (integer, decimal, dateTime in the document).
func TestDialectTypedScalars(t *testing.T) {
	t.Parallel()
	doc := `{"n": 5, "d": 2.5, "t": "2020-01-01T00:00:00Z", "b": true, "s": "x", "bad": "not a date", "arr": [1, 2]}`
	type check struct {
		key  string
		typ  scim.AttrType
		op   string
		v    any
		want bool
	}
	checks := []check{
		{"n", scim.TypeInteger, ">", filter.Number("4"), true},
		{"n", scim.TypeInteger, "=", filter.Number("5"), true},
		{"n", scim.TypeInteger, "<", filter.Number("5"), false},
		{"d", scim.TypeDecimal, ">", filter.Number("2.25"), true},
		{"d", scim.TypeDecimal, "<", filter.Number("2.75"), true},
		{"s", scim.TypeInteger, "=", filter.Number("0"), false}, // a string is not a number
		{"t", scim.TypeDateTime, ">", mustTime("2019-12-31T23:59:59Z"), true},
		{"t", scim.TypeDateTime, "=", mustTime("2020-01-01T01:00:00+01:00"), true},
		{"bad", scim.TypeDateTime, "<", mustTime("2030-01-01T00:00:00Z"), false}, // no error either
		{"b", scim.TypeBoolean, "=", true, true},
		{"s", scim.TypeBoolean, "=", true, false},
	}
	var wg sync.WaitGroup
	for _, mk := range []func(*testing.T) *backend{newPostgres, newSQLite} {
		b := mk(t)
		wg.Add(1)
		t.Run(b.name, func(t *testing.T) {
			defer wg.Done()
			for _, c := range checks {
				ref := JSONRef{Root: "doc"}.with(c.key)
				if b.name == "postgres" {
					ref.Root = "CAST(doc AS jsonb)"
				}
				q := "SELECT COALESCE(" + b.d.JSONScalar(ref, c.typ) + " " + c.op + " " + b.d.Param(b.d.Placeholder(1), c.typ) + ", FALSE) FROM (SELECT " + b.d.Param(b.d.Placeholder(2), scim.TypeString) + " AS doc) AS x"
				var got bool
				err := b.db.QueryRow(q, b.d.Arg(c.typ, c.v), doc).Scan(&got)
				require.NoError(t, err, "%s %s %v: %s", c.key, c.op, c.v, q)
				assert.Equal(t, c.want, got, "%s %s %v", c.key, c.op, c.v)
			}
			// JSON arrays of scalars: the elements themselves.
			from, guard, elem := b.d.JSONElements(JSONRef{Root: "doc"}.with("arr"), "e")
			if b.name == "postgres" {
				from, guard, elem = b.d.JSONElements(JSONRef{Root: "CAST(doc AS jsonb)"}.with("arr"), "e")
			}
			where := b.d.JSONScalar(elem, scim.TypeInteger) + " = 2"
			if guard != "" {
				where = guard + " AND " + where
			}
			var got bool
			q := "SELECT EXISTS (SELECT 1 FROM " + from + " WHERE " + where + ") FROM (SELECT " + b.d.Placeholder(1) + " AS doc) AS x"
			require.NoError(t, b.db.QueryRow(q, doc).Scan(&got), q)
			assert.True(t, got, q)
		})
	}
	wg.Wait()
}

// FuzzCompileFilter checks, for any filter the parser accepts, that compiling never panics,
// fails only with a *scim.Error, never copies a value into the SQL text and produces exactly
// one placeholder per argument.
func FuzzCompileFilter(f *testing.F) {
	for _, c := range execCases() {
		f.Add(c.filter)
	}
	f.Add(`userName eq "a' OR ''='"`)
	f.Add(`emails[value co "'); DELETE FROM users; --"]`)
	f.Add(`type eq "Group" and not (display sw "x'--")`)
	f.Add(`value ne "7f4bc1a3-285e-48ae-8202-5accb43efb0e" or display pr`)
	reg := scim.NewRegistry()
	pgParam := regexp.MustCompile(`\$[0-9]+`)
	f.Fuzz(func(t *testing.T, text string) {
		e, err := filter.Parse(text)
		if err != nil {
			return
		}
		values := quotedValues(e, nil)
		// "Member" is the inner filter of a PATCH path members[...] (CompileMemberFilter).
		for _, rtName := range []string{"User", "Group", "Member"} {
			for _, d := range []FilterDialect{PostgresFilter, SQLiteFilter} {
				var where string
				var args []any
				var err error
				if rtName == "Member" {
					where, args, err = CompileMemberFilter(reg, d, e, 1)
				} else {
					where, args, err = CompileFilter(reg, reg.ResourceType(rtName), d, e, 1)
				}
				if err != nil {
					_, ok := scim.AsError(err)
					require.True(t, ok, "%s: internal error %v", text, err)
					continue
				}
				for _, v := range values {
					assert.NotContains(t, where, v, text)
				}
				n := strings.Count(where, "?")
				if d == PostgresFilter {
					n = len(pgParam.FindAllString(where, -1))
				}
				assert.Equal(t, len(args), n, "%s: placeholders in %s", text, where)
			}
		}
	})
}

// quotedValues returns the string values of e that contain a quote character.
func quotedValues(e filter.Expr, acc []string) []string {
	switch e := e.(type) {
	case *filter.Logical:
		return quotedValues(e.Right, quotedValues(e.Left, acc))
	case *filter.Not:
		return quotedValues(e.X, acc)
	case *filter.ValuePath:
		return quotedValues(e.Filter, acc)
	case *filter.Compare:
		if s, ok := e.Value.(string); ok && strings.ContainsAny(s, `'"`) {
			acc = append(acc, s)
		}
	}
	return acc
}
