package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests in this file run the scimd binary itself, as an operator does: what only a real
// process shows (flag parsing from os.Args, SIGTERM handling, exit codes, the data file
// surviving a restart) is checked here; everything else runs in-process through run.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// scimdBinary builds cmd/scimd once per test binary.
func scimdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scimd-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "scimd")
		// go test puts its own go command first on PATH.
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// process is a running scimd binary.
type process struct {
	cmd    *exec.Cmd
	stdout chan string // lines
	stderr *syncBuffer
	done   chan error
}

func startBinary(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(scimdBinary(t), args...)
	// A clean environment: only what the test passes counts.
	cmd.Env = []string{"HOME=" + t.TempDir()}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p := &process{cmd: cmd, stdout: make(chan string, 100), stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.stdout <- sc.Text()
		}
		close(p.stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// devServer reads what --dev-bootstrap prints: the API root and the token.
func (p *process) devServer(t *testing.T) (root, token string) {
	t.Helper()
	var lines []string
	deadline := time.After(time.Minute)
	for root == "" || token == "" {
		select {
		case line, ok := <-p.stdout:
			if !ok {
				t.Fatalf("scimd ended before serving; stdout:\n%s\nstderr:\n%s", strings.Join(lines, "\n"), p.stderr.String())
			}
			lines = append(lines, line)
			if v, ok := strings.CutPrefix(line, "scimd is serving at "); ok {
				root = v
			}
			if v, ok := strings.CutPrefix(line, "token: "); ok {
				token = v
			}
		case <-deadline:
			t.Fatalf("no URL and token printed in time; stdout:\n%s\nstderr:\n%s", strings.Join(lines, "\n"), p.stderr.String())
		}
	}
	return root, token
}

// signal sends sig and returns the exit code.
func (p *process) signal(t *testing.T, sig os.Signal) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		require.NoError(t, err)
		return 0
	case <-time.After(time.Minute):
		t.Fatalf("scimd did not stop after %v; stderr:\n%s", sig, p.stderr.String())
		return -1
	}
}

func request(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// TestBinaryServesSurvivesRestartAndStopsOnSignal is make run's path on the embedded store: the
// binary starts with --dev-bootstrap on a fresh data directory, serves the printed token, stops
// cleanly on SIGTERM (exit 0, JSON logs), and after a restart (SIGINT this time) still has the
// user it created and the same token.
func TestBinaryServesSurvivesRestartAndStopsOnSignal(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	args := []string{"--dev-bootstrap", "--listen", "127.0.0.1:0", "--metrics-listen", "off", "--log-format", "json", "--data-dir", dataDir}

	p := startBinary(t, args...)
	root, token := p.devServer(t)
	code, body := request(t, http.MethodGet, root+"/ServiceProviderConfig", token, "")
	require.Equal(t, http.StatusOK, code, body)
	code, body = request(t, http.MethodPost, root+"/Users", token,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"survivor@example.com"}`)
	require.Equal(t, http.StatusCreated, code, body)
	var created struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &created))
	code, _ = request(t, http.MethodGet, root+"/Users", "", "")
	assert.Equal(t, http.StatusUnauthorized, code)

	assert.Equal(t, 0, p.signal(t, syscall.SIGTERM), "exit code after SIGTERM; stderr:\n%s", p.stderr.String())
	var sawStopped bool
	for line := range strings.SplitSeq(strings.TrimSpace(p.stderr.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "--log-format json line %q", line)
		sawStopped = sawStopped || rec["msg"] == "scimd stopped"
	}
	assert.True(t, sawStopped, "stderr:\n%s", p.stderr.String())
	assert.NotContains(t, p.stderr.String(), token, "no token in the logs")

	p = startBinary(t, args...)
	root2, token2 := p.devServer(t)
	assert.Equal(t, token, token2, "the development token is reused across restarts")
	code, body = request(t, http.MethodGet, root2+"/Users/"+created.ID, token2, "")
	assert.Equal(t, http.StatusOK, code, "the user survived the restart: %s", body)
	assert.Contains(t, body, "survivor@example.com")
	assert.Equal(t, 0, p.signal(t, syscall.SIGINT), "exit code after SIGINT; stderr:\n%s", p.stderr.String())
}

// TestBinaryExitCodes checks the exit status and message of a bad flag (2) and of a database
// that cannot be opened (1), from the real process.
func TestBinaryExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad flag value", []string{"--log-format", "xml"}, 2, "log-format"},
		{"unknown flag", []string{"--no-such-flag"}, 2, "no-such-flag"},
		{"unreadable schema extensions", []string{"--schema-extensions", "/nonexistent/extensions.json"}, 2, "invalid --schema-extensions"},
		{"unreachable database", []string{"--database-url", "postgres://scimd@127.0.0.1:1/scimd?connect_timeout=2"}, 1, "database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startBinary(t, append([]string{"--listen", "127.0.0.1:0", "--metrics-listen", "off", "--data-dir", t.TempDir()}, tc.args...)...)
			var err error
			select {
			case err = <-p.done:
				p.done <- err
			case <-time.After(time.Minute):
				t.Fatalf("scimd did not exit; stderr:\n%s", p.stderr.String())
			}
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "stderr:\n%s", p.stderr.String())
			assert.Equal(t, tc.code, exit.ExitCode(), "stderr:\n%s", p.stderr.String())
			assert.Contains(t, p.stderr.String(), tc.want)
		})
	}
}
