package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/cmd/internal/cliflag"
)

func TestMetricsListen(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", nil, nil, "127.0.0.1:9090"},
		{"env address", nil, map[string]string{"SCIMD_METRICS_LISTEN": ":9999"}, ":9999"},
		{"env off", nil, map[string]string{"SCIMD_METRICS_LISTEN": "off"}, ""},
		{"env OFF", nil, map[string]string{"SCIMD_METRICS_LISTEN": "OFF"}, ""},
		{"empty env keeps the default", nil, map[string]string{"SCIMD_METRICS_LISTEN": ""}, "127.0.0.1:9090"},
		{"flag off", []string{"--metrics-listen", "Off"}, nil, ""},
		{"empty flag", []string{"--metrics-listen="}, nil, ""},
		{"flag wins over env off", []string{"--metrics-listen", ":9191"}, map[string]string{"SCIMD_METRICS_LISTEN": "off"}, ":9191"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, &stderr)
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.metricsListen)
		})
	}
}

// TestMetricsOffServesNoMetrics starts scimd with SCIMD_METRICS_LISTEN=off: it serves without
// a metrics listener.
func TestMetricsOffServesNoMetrics(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SCIMD_METRICS_LISTEN": "off",
		"SCIMD_DATABASE_URL":   "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "scimd.db")),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type addrs struct{ api, metrics net.Addr }
	readyCh := make(chan addrs, 1)
	errCh := make(chan error, 1)
	var stdout, stderr syncBuffer
	go func() {
		errCh <- run(ctx, []string{"--listen", "127.0.0.1:0"}, func(k string) string { return env[k] }, &stdout, &stderr,
			func(api, metrics net.Addr) { readyCh <- addrs{api, metrics} })
	}()
	select {
	case a := <-readyCh:
		assert.NotNil(t, a.api)
		assert.Nil(t, a.metrics, "no metrics listener")
	case err := <-errCh:
		t.Fatalf("scimd stopped before serving: %v\nlogs:\n%s", err, stderr.String())
	}
	cancel()
	select {
	case err := <-errCh:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("scimd did not stop")
	}
	assert.NotContains(t, stderr.String(), "metrics_addr")
}

func TestStatementTimeoutFlag(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want time.Duration
	}{
		{"default", nil, nil, 30 * time.Second},
		{"no limit", []string{"--db-statement-timeout", "0"}, nil, 0},
		{"no limit in env", nil, map[string]string{"SCIMD_DB_STATEMENT_TIMEOUT": "0s"}, 0},
		{"minutes", []string{"--db-statement-timeout", "2m"}, nil, 2 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, &stderr)
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.dbStatementTimeout)
		})
	}
}

// TestTenantRateLimitFlag checks that --tenant-rate-limit reaches the handler: with a burst
// of 1 and one request per 1000 s, the second request of the tenant is refused.
func TestTenantRateLimitFlag(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SCIMD_TENANT_RATE_LIMIT": "0.001", "SCIMD_DATA_DIR": t.TempDir()}
	s := startServer(t, env, "--dev-bootstrap", "--tenant-rate-burst", "1")
	root, token, _ := devOutput(t, s.stdout.String())
	code, body := get(t, root+"/ServiceProviderConfig", token)
	assert.Equal(t, http.StatusOK, code, body)
	code, body = get(t, root+"/ServiceProviderConfig", token)
	assert.Equal(t, http.StatusTooManyRequests, code, body)
	assert.Contains(t, body, `"status":"429"`)
	code, _ = get(t, s.api+"/healthz", "")
	assert.Equal(t, http.StatusOK, code, "probes are not limited")
}

// TestSchemaExtensionsConfig checks --schema-extensions and SCIMD_SCHEMA_EXTENSIONS: a valid
// file extends the registry, and every problem with the file is a one-line usage error (exit
// status 2) that names the flag and the file.
func TestSchemaExtensionsConfig(t *testing.T) {
	t.Parallel()
	example := filepath.Join("..", "..", "deploy", "examples", "schema-extensions.json")
	const exampleURN = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"

	cfg, err := parseConfig(nil, func(string) string { return "" }, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Len(t, cfg.registry.Schemas(), 4, "the built-in schemas only")
	assert.Nil(t, cfg.registry.Schema(exampleURN))

	cfg, err = parseConfig([]string{"--schema-extensions", example}, func(string) string { return "" }, &bytes.Buffer{})
	require.NoError(t, err)
	assert.NotNil(t, cfg.registry.Schema(exampleURN))
	assert.Equal(t, []string{exampleURN, "urn:ietf:params:scim:schemas:extension:contoso:2.0:Group"}, cfg.extensionIDs)
	cfg, err = parseConfig(nil, func(k string) string { return map[string]string{"SCIMD_SCHEMA_EXTENSIONS": example}[k] }, &bytes.Buffer{})
	require.NoError(t, err)
	assert.NotNil(t, cfg.registry.Schema(exampleURN), "from the environment")

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	big := write("big.json", "["+strings.Repeat(" ", maxSchemaExtensionsBytes)+"]")
	for _, tt := range []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope.json"), "invalid --schema-extensions: cannot read the file: open " + filepath.Join(dir, "nope.json")},
		{"directory", dir, "invalid --schema-extensions: cannot read " + dir},
		{"too big", big, "invalid --schema-extensions " + big + ": the file is larger than 1048576 bytes"},
		{"bad JSON", write("bad.json", "[\n{]"), "invalid --schema-extensions " + filepath.Join(dir, "bad.json") + ": line 2, column 2: invalid JSON"},
		{"bad schema", write("readonly.json", `[{"resourceType": "User", "schema": {"id": "urn:x:y:User",
			"attributes": [{"name": "a", "mutability": "readOnly"}]}}]`),
			`: extension 1 (urn:x:y:User): attribute "a": mutability "readOnly" is not supported`},
		{"collision", write("collide.json", `[{"resourceType": "User", "schema": {"id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
			"attributes": [{"name": "a"}]}}]`), "is already the id of the built-in schema"},
		{"required extension", write("required.json", `[{"resourceType": "Group", "required": true, "schema": {"id": "urn:x:y:Group",
			"attributes": [{"name": "a"}]}}]`), `"required": true is not supported: groups stored before the extension was configured`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, how := range []struct {
				args []string
				env  map[string]string
			}{
				{[]string{"--schema-extensions", tt.path}, nil},
				{nil, map[string]string{"SCIMD_SCHEMA_EXTENSIONS": tt.path}},
			} {
				_, err := parseConfig(how.args, func(k string) string { return how.env[k] }, &bytes.Buffer{})
				require.Error(t, err)
				assert.Equal(t, cliflag.ExitUsage, cliflag.ExitCode(err))
				assert.Contains(t, err.Error(), tt.want)
				assert.NotContains(t, err.Error(), "\n", "one line")
			}
		})
	}
}

// TestSchemaExtensionsServe starts scimd with the example extensions file: the schemas are
// served, and a filter on an extension attribute works, which needs the store to compile
// filters with the same registry as the API.
func TestSchemaExtensionsServe(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SCIMD_DATA_DIR":          t.TempDir(),
		"SCIMD_SCHEMA_EXTENSIONS": filepath.Join("..", "..", "deploy", "examples", "schema-extensions.json"),
	}
	s := startServer(t, env, "--dev-bootstrap")
	root, token, _ := devOutput(t, s.stdout.String())
	const urn = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"
	assert.Contains(t, s.stderr.String(), `"msg":"schema extensions loaded"`)

	code, body := get(t, root+"/Schemas/"+urn, token)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"name":"workLocations"`)
	code, body = get(t, root+"/ResourceTypes/User", token)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `{"schema":"`+urn+`","required":false}`)

	req, err := http.NewRequest(http.MethodPost, root+"/Users", strings.NewReader(`{"userName": "ada@contoso.com",
		"`+urn+`": {"costCenterCode": "CC-4711", "workLocations": [{"value": "AMS-2", "floor": 4}]}}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)

	code, body = get(t, root+"/Users?filter="+url.QueryEscape(urn+`:workLocations[floor eq 4]`), token)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"totalResults":1`)
	assert.Contains(t, body, `"costCenterCode":"CC-4711"`)
}

// TestTenantMaxInFlightConfig checks the flag and its variable (the limiter itself is tested
// in internal/httpapi).
func TestTenantMaxInFlightConfig(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	cfg, err := parseConfig(nil, func(k string) string { return map[string]string{"SCIMD_TENANT_MAX_INFLIGHT": "3"}[k] }, &stderr)
	require.NoError(t, err)
	assert.Equal(t, 3, cfg.tenantMaxInFlight)
	cfg, err = parseConfig([]string{"--tenant-max-inflight", "5"}, func(string) string { return "" }, &stderr)
	require.NoError(t, err)
	assert.Equal(t, 5, cfg.tenantMaxInFlight)
	cfg, err = parseConfig(nil, func(string) string { return "" }, &stderr)
	require.NoError(t, err)
	assert.Equal(t, 0, cfg.tenantMaxInFlight, "off by default")
}
