package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/store/backend/backendtest"
)

// ctlEnv runs scimctl with exactly the environment env.
func ctlEnv(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestAutoMigrateDefaultSQLite is a new user's first command: no database URL, no scimd ever
// started, no migrate up.
func TestAutoMigrateDefaultSQLite(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	out, errOut, err := ctlEnv(t, env, "tenant", "create", "acme")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, `created tenant "acme"`)
	_, err = os.Stat(filepath.Join(home, ".local", "share", "scimd", "scimd.db"))
	require.NoError(t, err, "the default SQLite file")

	out, _, err = ctlEnv(t, env, "migrate", "version")
	require.NoError(t, err)
	assert.Regexp(t, `^version \d+\n$`, out)
	out, _, err = ctlEnv(t, env, "token", "create", "--tenant", "acme", "-q")
	require.NoError(t, err)
	assert.True(t, tokenRE.MatchString(out))
}

func TestAutoMigrateBeforeEachStoreCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"tenant", "list"},
		{"token", "list"},
		{"export", "--tenant", "nobody"},
		{"import", "--tenant", "fresh", "--create-tenant"},
		{"events"},
	} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			db := "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "scimd.db"))
			// The command may fail on its own terms (no such tenant, empty import), but never
			// for want of a schema, and it leaves the database migrated.
			_, _, err := ctl(t, db, args...)
			if err != nil {
				assert.NotContains(t, describe(err), "schema")
			}
			assert.Regexp(t, `^version \d+\n$`, mustCtl(t, db, "migrate", "version"))
		})
	}
}

func TestAutoMigrateConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"postgres", func(t *testing.T) string { return backendtest.NewDatabaseURL(t, "scimctl_auto") }},
		{"sqlite", func(t *testing.T) string {
			return "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "scimd.db"))
		}},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.url(t)
			const n = 6
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					_, _, errs[i] = ctl(t, db, "tenant", "create", fmt.Sprintf("t%d", i))
				})
			}
			wg.Wait()
			for i, err := range errs {
				assert.NoError(t, err, "scimctl %d", i)
			}
			list := mustCtl(t, db, "tenant", "list")
			assert.Equal(t, n+1, strings.Count(list, "\n"), list)
		})
	}
}

func TestMigrateFalseRefusesNoSchema(t *testing.T) {
	t.Parallel()
	db := backendtest.NewDatabaseURL(t, "scimctl_nomigrate")
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"global flag", nil, []string{"--migrate=false", "tenant", "create", "acme"}},
		{"command flag", nil, []string{"tenant", "create", "acme", "--migrate=false"}},
		{"environment", map[string]string{"SCIMD_MIGRATE": "false"}, []string{"tenant", "create", "acme"}},
		{"events", map[string]string{"SCIMD_MIGRATE": "0"}, []string{"events"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SCIMD_DATABASE_URL": db}
			for k, v := range tt.env {
				env[k] = v
			}
			_, _, err := ctlEnv(t, env, tt.args...)
			require.Error(t, err)
			assert.Equal(t, 1, cliflag.ExitCode(err))
			assert.Contains(t, describe(err), "scimctl migrate up")
		})
	}
	assert.Equal(t, "no migrations applied\n", mustCtl(t, db, "migrate", "version"), "nothing was migrated")

	_, _, err := ctlEnv(t, map[string]string{"SCIMD_DATABASE_URL": db, "SCIMD_MIGRATE": "maybe"}, "tenant", "list")
	require.Error(t, err)
	assert.Equal(t, cliflag.ExitUsage, cliflag.ExitCode(err))
	assert.Contains(t, err.Error(), "SCIMD_MIGRATE")
}

func TestMigrateFlagHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"tenant", "create", "--help"}, {"events", "--help"}} {
		_, errOut, err := ctl(t, "", args...)
		assert.Equal(t, 0, cliflag.ExitCode(err))
		assert.Contains(t, errOut, "-migrate", "scimctl %v", args)
		assert.Contains(t, errOut, "SCIMD_MIGRATE", "scimctl %v", args)
	}
	_, errOut, _ := ctl(t, "", "migrate", "up", "--help")
	assert.NotContains(t, errOut, "SCIMD_MIGRATE", "migrate up always migrates")
}
