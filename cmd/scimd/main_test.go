package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// syncBuffer is a goroutine-safe writer for the output of run.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one scimd started by startServer.
type server struct {
	api, metrics   string // base URLs
	stdout, stderr *syncBuffer
	stop           func() error // cancels run's context and returns run's error
}

// startServer runs scimd with args (plus listeners on free ports) until the test ends or stop
// is called.
func startServer(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	type addrs struct{ api, metrics net.Addr }
	readyCh := make(chan addrs, 1)
	errCh := make(chan error, 1)
	args = append([]string{"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"}, args...)
	go func() {
		errCh <- run(ctx, args, func(k string) string { return env[k] }, s.stdout, s.stderr,
			func(api, metrics net.Addr) { readyCh <- addrs{api, metrics} })
	}()
	var once sync.Once
	var runErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-errCh:
			case <-time.After(time.Minute):
				t.Fatalf("scimd did not stop; logs:\n%s", s.stderr.String())
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = s.stop() })
	select {
	case a := <-readyCh:
		s.api = "http://" + a.api.String()
		s.metrics = "http://" + a.metrics.String()
	case err := <-errCh:
		cancel()
		t.Fatalf("scimd stopped before serving: %v\nlogs:\n%s", err, s.stderr.String())
	}
	return s
}

func get(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "GET %s", url)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}

func TestRunServesAndShutsDown(t *testing.T) {
	t.Parallel()
	dbURL := backendtest.NewDatabaseURL(t, "scimd_cmd")
	s := startServer(t, map[string]string{"SCIMD_DATABASE_URL": dbURL}, "--data-dir", t.TempDir())

	// The server migrated the database; create a tenant and a token next to it.
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Options{URL: dbURL})
	require.NoError(t, err)
	defer be.Close()
	store := be.Store()
	tenant, err := store.CreateTenant(ctx, "acme")
	require.NoError(t, err)
	secret, hash, err := auth.Generate()
	require.NoError(t, err)
	tok, err := store.CreateToken(ctx, &scim.Token{TenantID: tenant.ID, Label: "test"}, hash)
	require.NoError(t, err)

	code, body := get(t, s.api+"/scim/v2/ServiceProviderConfig", "")
	assert.Equal(t, http.StatusUnauthorized, code, body)
	code, body = get(t, s.api+"/scim/v2/ServiceProviderConfig", secret)
	assert.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, scim.SchemaServiceConfig)
	code, _ = get(t, s.api+"/healthz", "")
	assert.Equal(t, http.StatusOK, code)

	code, metrics := get(t, s.metrics+"/metrics", "")
	require.Equal(t, http.StatusOK, code)
	for _, name := range []string{"scim_build_info{", "scim_db_pool_max_conns", "scim_db_pool_acquires_total",
		"scim_http_requests_total{", "go_goroutines", "process_"} {
		assert.Contains(t, metrics, name)
	}

	require.NoError(t, s.stop(), "clean exit after cancel")
	logs := s.stderr.String()
	assert.Contains(t, logs, "scimd stopped")
	assert.NotContains(t, logs, secret, "token in the logs")

	// The token's use was flushed at shutdown.
	tokens, err := store.ListTokens(ctx, tenant.ID)
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	assert.Equal(t, tok.ID, tokens[0].ID)
	assert.NotNil(t, tokens[0].LastUsedAt, "last use recorded at shutdown")
}

// devOutput parses what --dev-bootstrap prints.
func devOutput(t *testing.T, out string) (root, token, curl string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "scimd is serving at "):
			root = strings.TrimPrefix(line, "scimd is serving at ")
		case strings.HasPrefix(line, "token: "):
			token = strings.TrimPrefix(line, "token: ")
		case strings.HasPrefix(line, "try:   "):
			curl = strings.TrimPrefix(line, "try:   ")
		}
	}
	require.NotEmpty(t, root, "no URL in output:\n%s", out)
	require.NotEmpty(t, token, "no token in output:\n%s", out)
	require.NotEmpty(t, curl, "no curl command in output:\n%s", out)
	return root, token, curl
}

func TestDevBootstrap(t *testing.T) {
	t.Parallel()
	dbURL := backendtest.NewDatabaseURL(t, "scimd_dev")
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"SCIMD_DATABASE_URL": dbURL, "SCIMD_DATA_DIR": dataDir}

	s := startServer(t, env, "--dev-bootstrap")
	root, token, curl := devOutput(t, s.stdout.String())
	assert.Equal(t, s.api+"/scim/v2", root)
	assert.True(t, auth.LooksLikeToken(token), "token %q", token)
	assert.Equal(t, `curl -H "Authorization: Bearer `+token+`" `+root+"/ServiceProviderConfig", curl)
	code, body := get(t, root+"/ServiceProviderConfig", token)
	assert.Equal(t, http.StatusOK, code, body)

	fi, err := os.Stat(filepath.Join(dataDir, "dev-token"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoError(t, s.stop())

	// A second start reuses the saved token.
	s2 := startServer(t, env, "--dev-bootstrap")
	_, token2, _ := devOutput(t, s2.stdout.String())
	assert.Equal(t, token, token2)
	require.NoError(t, s2.stop())

	// Once that token is revoked, the next start creates a new one.
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Options{URL: dbURL})
	require.NoError(t, err)
	defer be.Close()
	tok, err := be.Store().TokenByHash(ctx, auth.Hash(token))
	require.NoError(t, err)
	require.NoError(t, be.Store().RevokeToken(ctx, tok.ID))
	s3 := startServer(t, env, "--dev-bootstrap")
	_, token3, _ := devOutput(t, s3.stdout.String())
	assert.NotEqual(t, token, token3)
	code, _ = get(t, s3.api+"/scim/v2/ServiceProviderConfig", token3)
	assert.Equal(t, http.StatusOK, code)
	require.NoError(t, s3.stop())
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined: -nope"},
		{"positional argument", []string{"serve"}, nil, `unexpected argument "serve"`},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, nil, `invalid value "soon" for flag -shutdown-timeout`},
		{"bad duration in env", nil, map[string]string{"SCIMD_SHUTDOWN_TIMEOUT": "soon"}, "SCIMD_SHUTDOWN_TIMEOUT"},
		{"zero shutdown timeout", []string{"--shutdown-timeout", "0s"}, nil, "--shutdown-timeout"},
		{"bad log format", []string{"--log-format", "xml"}, nil, `invalid --log-format "xml"`},
		{"bad log format in env", nil, map[string]string{"SCIMD_LOG_FORMAT": "xml"}, `invalid --log-format "xml"`},
		{"bad log level", []string{"--log-level", "loud"}, nil, `invalid --log-level "loud"`},
		{"listen without port", []string{"--listen", "localhost"}, nil, `invalid --listen "localhost"`},
		{"listen port too big", []string{"--listen", "127.0.0.1:99999"}, nil, "port must be a number"},
		{"bad metrics listen", []string{"--metrics-listen", "nope"}, nil, `invalid --metrics-listen "nope"`},
		{"bad url scheme", []string{"--database-url", "mysql://u:secret@h/db"}, nil, `unsupported database URL scheme "mysql"`},
		{"bad base url", []string{"--base-url", "ftp://x"}, nil, "invalid --base-url"},
		{"bad max body", []string{"--max-body-bytes", "-1"}, nil, "--max-body-bytes"},
		{"negative rate limit", []string{"--tenant-rate-limit", "-1"}, nil, "--tenant-rate-limit"},
		{"rate limit not a number", nil, map[string]string{"SCIMD_TENANT_RATE_LIMIT": "fast"}, "SCIMD_TENANT_RATE_LIMIT"},
		{"infinite rate limit", []string{"--tenant-rate-limit", "+Inf"}, nil, "--tenant-rate-limit"},
		{"negative burst", []string{"--tenant-rate-burst", "-5"}, nil, "--tenant-rate-burst"},
		{"negative max inflight", []string{"--tenant-max-inflight", "-1"}, nil, "--tenant-max-inflight"},
		{"bad bool env", nil, map[string]string{"SCIMD_MIGRATE": "maybe"}, "SCIMD_MIGRATE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr, nil)
			require.Error(t, err)
			assert.Equal(t, cliflag.ExitUsage, cliflag.ExitCode(err), "exit code for %v: %v", tt.args, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
			assert.NotContains(t, err.Error(), "secret", "password in the message")
			assert.Empty(t, stderr.String(), "nothing but the error line")
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &stdout, &stderr, nil)
	assert.Equal(t, 0, cliflag.ExitCode(err))
	for _, want := range []string{"SCIMD_LISTEN", "SCIMD_DATABASE_URL", "SCIMD_DATA_DIR", "SCIMD_METRICS_LISTEN",
		"-dev-bootstrap", "-shutdown-timeout", "-base-url"} {
		assert.Contains(t, stderr.String(), want)
	}
}

func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	// Port 1 on the loopback refuses connections.
	url := "postgres://scimd:hunter2@127.0.0.1:1/scimd?sslmode=disable&connect_timeout=5"
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--metrics-listen", ""},
		func(k string) string { return map[string]string{"SCIMD_DATABASE_URL": url}[k] }, &stdout, &stderr, nil)
	require.Error(t, err)
	assert.Equal(t, 1, cliflag.ExitCode(err))
	assert.Contains(t, err.Error(), "127.0.0.1:1")
	assert.Contains(t, err.Error(), "SCIMD_DATABASE_URL")
	assert.NotContains(t, err.Error(), "hunter2")
	assert.NotContains(t, stderr.String(), "hunter2")
}

func TestNoSchemaWithoutMigrate(t *testing.T) {
	t.Parallel()
	dbURL := backendtest.NewDatabaseURL(t, "scimd_nomigrate")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--metrics-listen", "", "--migrate=false"},
		func(k string) string { return map[string]string{"SCIMD_DATABASE_URL": dbURL}[k] }, &stdout, &stderr, nil)
	require.Error(t, err)
	assert.Equal(t, 1, cliflag.ExitCode(err))
	assert.Contains(t, err.Error(), "scimctl migrate up")
}

func TestDialableAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080",
		"0.0.0.0:8080":   "127.0.0.1:8080",
		"[::]:8080":      "127.0.0.1:8080",
		"[::1]:8080":     "[::1]:8080",
	} {
		addr, err := net.ResolveTCPAddr("tcp", in)
		require.NoError(t, err)
		assert.Equal(t, want, dialableAddr(addr), "dialableAddr(%s)", in)
	}
}
