package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend"
)

// ctlIO runs scimctl with stdin and returns its output streams.
func ctlIO(t *testing.T, dbURL string, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"SCIMD_DATABASE_URL": dbURL}
	err = run(context.Background(), args, func(k string) string { return env[k] }, stdin, &out, &errOut)
	return out.String(), errOut.String(), err
}

// migratedSQLite returns the URL of a fresh SQLite file migrated with scimctl migrate up.
func migratedSQLite(t *testing.T) string {
	t.Helper()
	dbURL := "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "scimd.db"))
	mustCtl(t, dbURL, "migrate", "up")
	return dbURL
}

// fillTenant creates tenant name with two users and two groups (four memberships, one of them
// a nested group) through the store.
func fillTenant(t *testing.T, dbURL, name string) {
	t.Helper()
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Options{URL: dbURL})
	require.NoError(t, err)
	defer be.Close()
	s := be.Store()
	tn, err := s.CreateTenant(ctx, name)
	require.NoError(t, err)
	var members []scim.Member
	for _, u := range []string{"ada@example.com", "grace@example.com"} {
		r, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Type: scim.ResourceUser, Attributes: map[string]any{
			"userName": u, "emails": []any{map[string]any{"value": u, "type": "work"}},
		}})
		require.NoError(t, err)
		members = append(members, scim.Member{Value: r.ID, Type: scim.ResourceUser})
	}
	g, err := s.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup,
		Attributes: map[string]any{"displayName": "Engineers"}, Members: members})
	require.NoError(t, err)
	_, err = s.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup, Attributes: map[string]any{"displayName": "All"},
		Members: []scim.Member{members[0], {Value: g.ID, Type: scim.ResourceGroup}}})
	require.NoError(t, err)
}

// dropHeader removes the first line of an export (its tenant name and time differ).
func dropHeader(t *testing.T, s string) string {
	t.Helper()
	_, rest, ok := strings.Cut(s, "\n")
	require.True(t, ok, s)
	return rest
}

func TestExportImportPostgresToSQLite(t *testing.T) {
	t.Parallel()
	pg, lite := migratedDB(t), migratedSQLite(t)
	fillTenant(t, pg, "acme")

	// Export to a file: private, complete, summary on stderr, nothing on stdout.
	file := filepath.Join(t.TempDir(), "acme.ndjson")
	out, errOut, err := ctlIO(t, pg, strings.NewReader(""), "export", "--tenant", "ACME", "--output", file)
	require.NoError(t, err, errOut)
	assert.Empty(t, out)
	assert.Equal(t, "exported 2 users, 2 groups, 4 memberships of tenant \"acme\"\n", errOut, "no progress line when stderr is not a terminal")
	st, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, 1+2+2+4+1, strings.Count(string(data), "\n"))
	entries, err := os.ReadDir(filepath.Dir(file))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	// Import into SQLite under another name, creating the tenant.
	out, errOut, err = ctlIO(t, lite, strings.NewReader(""), "import", "--tenant", "acme-copy", "--input", file, "--create-tenant")
	require.NoError(t, err, errOut)
	assert.Equal(t, "imported 2 users, 2 groups, 4 memberships into tenant \"acme-copy\"\n", out)
	assert.Empty(t, errOut)

	// Exporting the copy to stdout gives the same records.
	out, _, err = ctlIO(t, lite, strings.NewReader(""), "export", "--tenant", "acme-copy")
	require.NoError(t, err)
	assert.Equal(t, dropHeader(t, string(data)), dropHeader(t, out))
	assert.Contains(t, out, `"tenant":"acme-copy"`)

	// And back into Postgres from stdin.
	mustCtl(t, pg, "tenant", "create", "acme-back")
	out, errOut, err = ctlIO(t, pg, strings.NewReader(out), "import", "--tenant", "acme-back")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "imported 2 users, 2 groups, 4 memberships")
	back, _, err := ctlIO(t, pg, strings.NewReader(""), "export", "--tenant", "acme-back")
	require.NoError(t, err)
	assert.Equal(t, dropHeader(t, string(data)), dropHeader(t, back))

	// A second import into a tenant that has data is refused.
	_, _, err = ctlIO(t, pg, bytes.NewReader(data), "import", "--tenant", "acme")
	require.Error(t, err)
	assert.Equal(t, 1, cliflag.ExitCode(err))
	assert.Contains(t, describe(err), `nothing was imported into tenant "acme": the tenant already has users or groups`)
}

func TestImportMalformedFile(t *testing.T) {
	t.Parallel()
	lite := migratedSQLite(t)
	fillTenant(t, lite, "acme")
	good, _, err := ctlIO(t, lite, strings.NewReader(""), "export", "--tenant", "acme")
	require.NoError(t, err)
	lines := strings.SplitAfter(good, "\n")
	lines[3] = "{not json\n"
	bad := strings.Join(lines, "")

	_, _, err = ctlIO(t, lite, strings.NewReader(bad), "import", "--tenant", "fresh", "--create-tenant")
	require.Error(t, err)
	assert.Equal(t, 1, cliflag.ExitCode(err))
	assert.Contains(t, describe(err), "line 4: invalid JSON")
	assert.NotContains(t, mustCtl(t, lite, "tenant", "list"), "fresh", "the tenant --create-tenant made is gone again")

	mustCtl(t, lite, "tenant", "create", "kept")
	_, _, err = ctlIO(t, lite, strings.NewReader(good[:strings.LastIndex(good[:len(good)-1], "\n")+1]), "import", "--tenant", "kept")
	require.Error(t, err)
	assert.Contains(t, describe(err), "truncated")
	out, _, err := ctlIO(t, lite, strings.NewReader(""), "export", "--tenant", "kept")
	require.NoError(t, err)
	assert.Equal(t, "{\"type\":\"end\"}\n", dropHeader(t, out), "a failed import changes nothing")
	assert.Contains(t, mustCtl(t, lite, "tenant", "list"), "kept", "an existing tenant is not deleted")

	_, _, err = ctlIO(t, lite, strings.NewReader(good), "import", "--tenant", "nobody")
	require.Error(t, err)
	assert.Contains(t, describe(err), "--create-tenant")
	_, _, err = ctlIO(t, lite, strings.NewReader(""), "export", "--tenant", "nobody")
	require.Error(t, err)
	assert.Contains(t, describe(err), `tenant "nobody" not found`)
}

func TestExportImportUsage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"export without tenant", []string{"export"}, "export: --tenant is required"},
		{"import without tenant", []string{"import", "--create-tenant"}, "import: --tenant is required"},
		{"export argument", []string{"export", "--tenant", "a", "extra"}, `unexpected argument "extra"`},
		{"import unknown flag", []string{"import", "--tenant", "a", "--merge"}, "flag provided but not defined: -merge"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := ctl(t, "", tt.args...)
			require.Error(t, err)
			assert.Equal(t, cliflag.ExitUsage, cliflag.ExitCode(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	for _, args := range [][]string{{"export", "--help"}, {"import", "-h"}} {
		_, errOut, err := ctl(t, "", args...)
		assert.Equal(t, 0, cliflag.ExitCode(err))
		assert.Contains(t, errOut, "Usage: scimctl "+args[0]+" --tenant NAME")
		assert.Contains(t, errOut, "-database-url")
	}
	_, errOut, _ := ctl(t, "", "--help")
	assert.Contains(t, errOut, "export --tenant NAME [--output FILE]")
	assert.Contains(t, errOut, "import --tenant NAME [--input FILE] [--create-tenant]")
}

func TestProgress(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clock := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &progress{w: &buf, verb: "exported", now: func() time.Time { return clock }}
	p.add("header")
	assert.Empty(t, buf.String(), "only resources count")
	p.add("user")
	assert.Equal(t, "\rexported 1 users, 0 groups, 0 memberships", buf.String())
	for range 1233 {
		p.add("user") // the clock stands still: no redraw
	}
	assert.Equal(t, "\rexported 1 users, 0 groups, 0 memberships", buf.String())
	clock = clock.Add(progressInterval)
	p.add("membership")
	assert.True(t, strings.HasSuffix(buf.String(), "\rexported 1,234 users, 0 groups, 1 memberships"), "%q", buf.String())
	p.clear()
	assert.True(t, strings.HasSuffix(buf.String(), "\r"+strings.Repeat(" ", len("exported 1,234 users, 0 groups, 1 memberships"))+"\r"))

	// Not a terminal: counts, draws nothing.
	q := newProgress(&bytes.Buffer{}, "read")
	assert.Nil(t, q.w)
	q.add("group")
	q.clear()
	assert.Equal(t, "read 0 users, 1 groups, 0 memberships", q.summary("read"))

	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"} {
		assert.Equal(t, want, thousands(n))
	}
}
