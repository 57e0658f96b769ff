package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend"
	"github.com/scimd/scimd/internal/store/backend/backendtest"
)

// ctl runs scimctl with args against the database at dbURL (given by environment variable).
func ctl(t *testing.T, dbURL string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"SCIMD_DATABASE_URL": dbURL}
	err = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustCtl runs scimctl and requires success.
func mustCtl(t *testing.T, dbURL string, args ...string) string {
	t.Helper()
	out, errOut, err := ctl(t, dbURL, args...)
	require.NoError(t, err, "scimctl %v\nstdout:\n%s\nstderr:\n%s", args, out, errOut)
	return out
}

// migratedDB returns the URL of a fresh database migrated with scimctl migrate up.
func migratedDB(t *testing.T) string {
	t.Helper()
	dbURL := backendtest.NewDatabaseURL(t, "scimctl")
	out := mustCtl(t, dbURL, "migrate", "up")
	require.Regexp(t, `^version \d+\n$`, out)
	return dbURL
}

// authenticator returns an Authenticator on the database, with its clock at now.
func authenticator(t *testing.T, dbURL string, now time.Time) *auth.Authenticator {
	t.Helper()
	be, err := backend.Open(context.Background(), backend.Options{URL: dbURL})
	require.NoError(t, err)
	t.Cleanup(be.Close)
	return auth.NewAuthenticator(be.Store(), nil, func() time.Time { return now })
}

var tokenRE = regexp.MustCompile(`scimd_[a-z2-7]+`)

func TestTenantCommands(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)

	out := mustCtl(t, db, "tenant", "create", "acme")
	assert.Contains(t, out, `created tenant "acme"`)
	mustCtl(t, db, "tenant", "create", "globex")

	_, _, err := ctl(t, db, "tenant", "create", "ACME")
	require.Error(t, err, "names are unique case-insensitively")
	assert.Equal(t, 1, cliflag.ExitCode(err))

	out = mustCtl(t, db, "tenant", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Regexp(t, `^NAME\s+ID\s+CREATED\s+USERS\s+GROUPS\s+TOKENS\s+LAST CHANGE$`, lines[0])
	assert.Regexp(t, `^acme\s+\S+\s+\S+\s+0\s+0\s+0\s+never$`, lines[1])
	assert.True(t, strings.HasPrefix(lines[2], "globex "), out)

	// The counts and the last change follow the tenant's data.
	be, err := backend.Open(context.Background(), backend.Options{URL: db})
	require.NoError(t, err)
	acme, err := be.Store().TenantByName(context.Background(), "acme")
	require.NoError(t, err)
	for _, name := range []string{"u1", "u2"} {
		_, err = be.Store().CreateUser(context.Background(), acme.ID, &scim.Resource{Type: scim.ResourceUser, Attributes: map[string]any{"userName": name}})
		require.NoError(t, err)
	}
	_, err = be.Store().CreateGroup(context.Background(), acme.ID, &scim.Resource{Type: scim.ResourceGroup, Attributes: map[string]any{"displayName": "g"}})
	require.NoError(t, err)
	be.Close()
	out = mustCtl(t, db, "tenant", "list")
	assert.Regexp(t, `(?m)^acme\s+\S+\s+\S+\s+2\s+1\s+0\s+\d{4}-\d\d-\d\dT\S+Z$`, out)
	assert.Regexp(t, `(?m)^globex\s+\S+\s+\S+\s+0\s+0\s+0\s+never$`, out)

	// A tenant with a token is only deleted with --force.
	mustCtl(t, db, "token", "create", "--tenant", "acme", "-q")
	_, _, err = ctl(t, db, "tenant", "delete", "acme")
	require.Error(t, err)
	assert.Equal(t, 1, cliflag.ExitCode(err))
	assert.Contains(t, describe(err), "--force")
	out = mustCtl(t, db, "tenant", "delete", "acme", "--force")
	assert.Contains(t, out, `deleted tenant "acme"`)

	// An empty tenant goes without --force.
	mustCtl(t, db, "tenant", "delete", "globex")
	out = mustCtl(t, db, "tenant", "list")
	assert.Equal(t, 1, strings.Count(out, "\n"), "only the header is left:\n%s", out)

	_, _, err = ctl(t, db, "tenant", "delete", "nobody")
	require.Error(t, err)
	assert.Contains(t, describe(err), `tenant "nobody" not found`)
}

func TestTokenCreateAndList(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)
	mustCtl(t, db, "tenant", "create", "acme")

	// -q prints the token alone on one line.
	quiet := mustCtl(t, db, "token", "create", "--tenant", "acme", "--name", "script", "-q")
	require.True(t, strings.HasSuffix(quiet, "\n"))
	secret1 := strings.TrimSuffix(quiet, "\n")
	assert.NotContains(t, secret1, "\n")
	assert.True(t, auth.LooksLikeToken(secret1), "-q output %q", quiet)

	// Without -q: the token, the warning, id, tenant and expiry.
	out := mustCtl(t, db, "token", "create", "--tenant", "acme", "--name", "entra", "--expires", "never")
	secret2 := tokenRE.FindString(out)
	require.True(t, auth.LooksLikeToken(secret2), "no token in:\n%s", out)
	assert.Contains(t, out, "shown only once")
	assert.Regexp(t, `(?m)^tenant:\s+acme$`, out)
	assert.Regexp(t, `(?m)^expires:\s+never$`, out)
	assert.Regexp(t, `(?m)^id:\s+\S+$`, out)

	list := mustCtl(t, db, "token", "list", "--tenant", "acme")
	all := mustCtl(t, db, "token", "list")
	for _, l := range []string{list, all} {
		assert.Regexp(t, `^ID\s+LABEL\s+TENANT\s+CREATED\s+EXPIRES\s+LAST USED\s+REVOKED\n`, l)
		assert.Contains(t, l, "entra")
		assert.Contains(t, l, "script")
		for _, s := range []string{secret1, secret2} {
			assert.NotContains(t, l, s)
			assert.NotContains(t, l, s[len(auth.Prefix):])
			assert.NotContains(t, l, hex.EncodeToString(auth.Hash(s)))
		}
		assert.NotRegexp(t, tokenRE, l)
	}
	assert.Equal(t, 3, strings.Count(list, "\n"), list)

	_, _, err := ctl(t, db, "token", "create", "--tenant", "nobody")
	require.Error(t, err)
	assert.Equal(t, 1, cliflag.ExitCode(err))
	assert.Contains(t, describe(err), `tenant "nobody" not found`)
}

func TestTokenRevoke(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)
	mustCtl(t, db, "tenant", "create", "acme")
	out := mustCtl(t, db, "token", "create", "--tenant", "acme")
	secret := tokenRE.FindString(out)
	id := regexp.MustCompile(`(?m)^id:\s+(\S+)$`).FindStringSubmatch(out)
	require.Len(t, id, 2, out)

	a := authenticator(t, db, time.Now())
	tok, err := a.Authenticate(context.Background(), secret)
	require.NoError(t, err)
	assert.Equal(t, id[1], tok.ID)
	assert.Equal(t, "acme", tok.TenantName)

	out = mustCtl(t, db, "token", "revoke", id[1])
	assert.Contains(t, out, "revoked token "+id[1])
	_, err = a.Authenticate(context.Background(), secret)
	require.ErrorIs(t, err, auth.ErrRevoked)

	list := mustCtl(t, db, "token", "list")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	require.Len(t, lines, 2)
	assert.Regexp(t, `\d{4}-\d\d-\d\dT\S+$`, lines[1], "revoked time in the last column")

	mustCtl(t, db, "token", "revoke", id[1]) // twice is fine
	_, _, err = ctl(t, db, "token", "revoke", "00000000-0000-4000-8000-000000000000")
	require.Error(t, err)
	assert.Contains(t, describe(err), "not found")
}

func TestTokenRotate(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)
	mustCtl(t, db, "tenant", "create", "acme")
	out := mustCtl(t, db, "token", "create", "--tenant", "acme", "--name", "entra-prod")
	oldSecret := tokenRE.FindString(out)
	oldID := regexp.MustCompile(`(?m)^id:\s+(\S+)$`).FindStringSubmatch(out)[1]

	// Default grace: the old token works for 24 hours more, then expires; the new one works.
	start := time.Now()
	out = mustCtl(t, db, "token", "rotate", oldID)
	newSecret := tokenRE.FindString(out)
	require.True(t, auth.LooksLikeToken(newSecret), "no token in:\n%s", out)
	assert.NotEqual(t, oldSecret, newSecret)
	assert.Contains(t, out, "shown only once")
	assert.Regexp(t, `(?m)^tenant:\s+acme$`, out)
	assert.Regexp(t, `(?m)^label:\s+entra-prod$`, out, "the new token keeps the label")
	m := regexp.MustCompile(`(?m)^replaces:\s+` + oldID + ` \(works until (\S+)\)$`).FindStringSubmatch(out)
	require.Len(t, m, 2, out)
	until, err := time.Parse(time.RFC3339, m[1])
	require.NoError(t, err)
	assert.WithinDuration(t, start.Add(24*time.Hour), until, time.Minute)

	_, err = authenticator(t, db, until.Add(-time.Minute)).Authenticate(context.Background(), oldSecret)
	require.NoError(t, err, "old token works during the grace period")
	_, err = authenticator(t, db, until.Add(time.Minute)).Authenticate(context.Background(), oldSecret)
	require.ErrorIs(t, err, auth.ErrExpired, "and not after it")
	tok, err := authenticator(t, db, time.Now()).Authenticate(context.Background(), newSecret)
	require.NoError(t, err)
	assert.Equal(t, "acme", tok.TenantName)

	// --grace 0 revokes at once; -q prints only the new token; a revoked token can't be rotated.
	quiet := mustCtl(t, db, "token", "rotate", tok.ID, "--grace", "0", "--expires", "never", "-q")
	assert.True(t, auth.LooksLikeToken(strings.TrimSuffix(quiet, "\n")), "-q output %q", quiet)
	_, err = authenticator(t, db, time.Now()).Authenticate(context.Background(), newSecret)
	require.ErrorIs(t, err, auth.ErrRevoked)
	_, _, err = ctl(t, db, "token", "rotate", tok.ID)
	require.Error(t, err)
	assert.Equal(t, 1, cliflag.ExitCode(err))
	assert.Contains(t, describe(err), "revoked")
	_, _, err = ctl(t, db, "token", "rotate", "00000000-0000-4000-8000-000000000000")
	require.Error(t, err)
	assert.Contains(t, describe(err), "not found")

	list := mustCtl(t, db, "token", "list", "--tenant", "acme")
	assert.Equal(t, 4, strings.Count(list, "\n"), "header and three tokens:\n%s", list)
	assert.Equal(t, 3, strings.Count(list, "entra-prod"), list)
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)
	mustCtl(t, db, "tenant", "create", "acme")
	before := time.Now()
	secret := strings.TrimSpace(mustCtl(t, db, "token", "create", "--tenant", "acme", "--expires", "1d", "-q"))
	after := time.Now()

	list := mustCtl(t, db, "token", "list")
	m := regexp.MustCompile(`\S+T\S+\s+(\S+T\S+)\s+never\s+-`).FindStringSubmatch(list)
	require.Len(t, m, 2, "created and expires columns in:\n%s", list)
	exp, err := time.Parse(time.RFC3339, m[1])
	require.NoError(t, err)
	assert.False(t, exp.Before(before.Add(24*time.Hour).Truncate(time.Second)), "expires %s", exp)
	assert.False(t, exp.After(after.Add(24*time.Hour)), "expires %s", exp)

	_, err = authenticator(t, db, exp.Add(-time.Minute)).Authenticate(context.Background(), secret)
	require.NoError(t, err, "valid before expiry")
	_, err = authenticator(t, db, exp.Add(time.Minute)).Authenticate(context.Background(), secret)
	require.ErrorIs(t, err, auth.ErrExpired)
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	db := backendtest.NewDatabaseURL(t, "scimctl")
	assert.Equal(t, "no migrations applied\n", mustCtl(t, db, "migrate", "version"))

	_, _, err := ctl(t, db, "tenant", "list", "--migrate=false")
	require.Error(t, err, "tenant list on an empty database without --migrate")
	assert.Contains(t, err.Error(), "scimctl migrate up")

	up := mustCtl(t, db, "migrate", "up")
	assert.Regexp(t, `^version \d+\n$`, up)
	assert.Equal(t, up, mustCtl(t, db, "migrate", "version"))
	assert.Equal(t, up, mustCtl(t, db, "migrate", "up"), "up twice is a no-op")

	version := strings.TrimSpace(strings.TrimPrefix(up, "version "))
	assert.Equal(t, up, mustCtl(t, db, "migrate", "force", version))

	_, _, err = ctl(t, db, "migrate", "down")
	assert.Equal(t, cliflag.ExitUsage, cliflag.ExitCode(err), "down without --yes")
	assert.Equal(t, "no migrations applied\n", mustCtl(t, db, "migrate", "down", "--yes"))
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "missing command"},
		{"unknown command", []string{"user"}, `unknown command "user"`},
		{"unknown global flag", []string{"--nope", "tenant", "list"}, "flag provided but not defined: -nope"},
		{"tenant without subcommand", []string{"tenant"}, "missing subcommand"},
		{"unknown subcommand", []string{"tenant", "rename"}, `unknown subcommand "rename"`},
		{"tenant create without name", []string{"tenant", "create"}, "missing tenant NAME"},
		{"tenant create two names", []string{"tenant", "create", "a", "b"}, `unexpected argument "b"`},
		{"unknown leaf flag", []string{"tenant", "delete", "a", "--hard"}, "flag provided but not defined: -hard"},
		{"token create without tenant", []string{"token", "create"}, "--tenant is required"},
		{"bad expiry", []string{"token", "create", "--tenant", "a", "--expires", "soon"}, `invalid --expires "soon"`},
		{"zero expiry", []string{"token", "create", "--tenant", "a", "--expires", "0d"}, `invalid --expires "0d"`},
		{"revoke without id", []string{"token", "revoke"}, "missing token ID"},
		{"rotate without id", []string{"token", "rotate"}, "missing token ID"},
		{"rotate bad grace", []string{"token", "rotate", "x", "--grace", "soon"}, `invalid --grace "soon"`},
		{"rotate bad expiry", []string{"token", "rotate", "x", "--expires", "-1d"}, `invalid --expires "-1d"`},
		{"migrate sideways", []string{"migrate", "sideways"}, `unknown subcommand "sideways"`},
		{"migrate down without yes", []string{"migrate", "down"}, "--yes"},
		{"migrate force without version", []string{"migrate", "force"}, "missing VERSION"},
		{"migrate force bad version", []string{"migrate", "force", "x"}, `invalid VERSION "x"`},
		{"bad url scheme", []string{"--database-url", "mysql://u:secret@h/db", "tenant", "list"}, `unsupported database URL scheme "mysql"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, err := ctl(t, "", tt.args...)
			require.Error(t, err)
			assert.Equal(t, cliflag.ExitUsage, cliflag.ExitCode(err), "exit code for %v: %v", tt.args, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n")
			assert.NotContains(t, err.Error(), "secret")
			assert.Empty(t, out)
			assert.Empty(t, errOut)
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--help"}, {"help"}, {"tenant", "--help"}, {"tenant", "create", "--help"},
		{"token", "create", "--help"}, {"token", "list", "-h"}, {"token", "rotate", "--help"}, {"migrate", "down", "--help"},
	} {
		_, errOut, err := ctl(t, "", args...)
		assert.Equal(t, 0, cliflag.ExitCode(err), "scimctl %v: %v", args, err)
		assert.Contains(t, errOut, "Usage: scimctl", "scimctl %v", args)
	}
	_, errOut, _ := ctl(t, "", "token", "create", "--help")
	assert.Contains(t, errOut, "-expires")
	assert.Contains(t, errOut, "-database-url")
}

func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	_, _, err := ctl(t, "postgres://u:hunter2@127.0.0.1:1/scimd?sslmode=disable&connect_timeout=5", "tenant", "list")
	require.Error(t, err)
	assert.Equal(t, 1, cliflag.ExitCode(err))
	assert.Contains(t, err.Error(), "127.0.0.1:1")
	assert.NotContains(t, err.Error(), "hunter2")
}
