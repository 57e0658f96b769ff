package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
