package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend"
)

// TestExportImportKeepsExtensionData moves a tenant whose users and groups carry custom
// extension attributes (scimd --schema-extensions) from PostgreSQL to SQLite and back. scimctl
// copies the stored documents as they are, without reading them through a schema registry, so
// it needs no --schema-extensions of its own: every value survives, including values under an
// extension that is no longer configured, and a scimd with the extensions serves and filters
// the imported copy like the original.
func TestExportImportKeepsExtensionData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "schema-extensions.json"))
	require.NoError(t, err)
	exts, err := scim.ParseExtensions(data)
	require.NoError(t, err)
	reg, err := scim.NewRegistryWithExtensions(exts)
	require.NoError(t, err)
	const userURN = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"
	const groupURN = "urn:ietf:params:scim:schemas:extension:contoso:2.0:Group"

	// What scimd with the example file stores for an Entra ID user and group.
	pg, lite := migratedDB(t), migratedSQLite(t)
	be, err := backend.Open(ctx, backend.Options{URL: pg, Registry: reg})
	require.NoError(t, err)
	defer be.Close()
	st := be.Store()
	tn, err := st.CreateTenant(ctx, "contoso")
	require.NoError(t, err)
	in, err := reg.Normalize(reg.ResourceType(scim.ResourceUser), map[string]any{
		"userName": "ada@contoso.com",
		userURN: map[string]any{
			"costCenterCode": "CC-4711", "badgeNumber": 1234.0, "remoteWorker": "True", "contractEndDate": "2026-12-31T00:00:00Z",
			"skills":        []any{"go", "sql"},
			"workLocations": []any{map[string]any{"value": "AMS-2", "floor": 4.0, "primary": true}},
		},
	})
	require.NoError(t, err)
	require.Empty(t, in.Unknown)
	in.Attributes["urn:ietf:params:scim:schemas:extension:retired:2.0:User"] = map[string]any{"oldCode": "X1"}
	user, err := st.CreateUser(ctx, tn.ID, &scim.Resource{Type: scim.ResourceUser, Attributes: in.Attributes})
	require.NoError(t, err)
	gin, err := reg.Normalize(reg.ResourceType(scim.ResourceGroup), map[string]any{
		"displayName": "Engineering", groupURN: map[string]any{"groupCategory": "security"},
	})
	require.NoError(t, err)
	_, err = st.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup, Attributes: gin.Attributes,
		Members: []scim.Member{{Value: user.ID, Type: scim.ResourceUser}}})
	require.NoError(t, err)

	file := filepath.Join(t.TempDir(), "contoso.ndjson")
	mustCtl(t, pg, "export", "--tenant", "contoso", "--output", file)
	exported, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(exported), `"costCenterCode":"CC-4711"`)
	assert.Contains(t, string(exported), `"oldCode":"X1"`)
	assert.Contains(t, string(exported), `"groupCategory":"security"`)

	out := mustCtl(t, lite, "import", "--tenant", "contoso", "--input", file, "--create-tenant")
	assert.Contains(t, out, "imported 1 users, 1 groups, 1 memberships")
	again, _, err := ctlIO(t, lite, strings.NewReader(""), "export", "--tenant", "contoso")
	require.NoError(t, err)
	assert.Equal(t, dropHeader(t, string(exported)), dropHeader(t, again), "the same records after the round trip")

	// scimd with the extensions, on the SQLite copy.
	copyBE, err := backend.Open(ctx, backend.Options{URL: lite, Registry: reg})
	require.NoError(t, err)
	defer copyBE.Close()
	copyTenant, err := copyBE.Store().TenantByName(ctx, "contoso")
	require.NoError(t, err)
	got, err := copyBE.Store().GetUser(ctx, copyTenant.ID, user.ID, false)
	require.NoError(t, err)
	rendered := reg.Render(got, "https://scim.example.com/scim/v2", scim.Projection{})
	assert.Equal(t, []any{scim.SchemaUser, userURN}, rendered["schemas"])
	assert.Equal(t, map[string]any{
		"costCenterCode": "CC-4711", "badgeNumber": 1234.0, "remoteWorker": true, "contractEndDate": "2026-12-31T00:00:00Z",
		"skills":        []any{"go", "sql"},
		"workLocations": []any{map[string]any{"value": "AMS-2", "floor": 4.0, "primary": true}},
	}, jsonRoundTrip(t, rendered[userURN]))
	f, err := filter.Parse(userURN + `:workLocations[value eq "AMS-2"] and ` + userURN + `:badgeNumber eq 1234`)
	require.NoError(t, err)
	list, err := copyBE.Store().ListUsers(ctx, copyTenant.ID, scim.Query{Filter: f, Count: 10}, false)
	require.NoError(t, err)
	require.Len(t, list.Resources, 1)
	assert.Equal(t, user.ID, list.Resources[0].ID)
	gf, err := filter.Parse(groupURN + `:groupCategory eq "Security"`)
	require.NoError(t, err)
	glist, err := copyBE.Store().ListGroups(ctx, copyTenant.ID, scim.Query{Filter: gf, Count: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, glist.Total)
}

// jsonRoundTrip returns v as encoding/json decodes its encoding (numbers become float64).
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
