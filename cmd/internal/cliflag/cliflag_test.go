package cliflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "90d", want: 90 * 24 * time.Hour},
		{in: "2160h", want: 2160 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0d", want: 0},
		{in: "10s", want: 10 * time.Second},
		{in: "d", bad: true},
		{in: "-1d", bad: true},
		{in: "1dx", bad: true},
		{in: "abc", bad: true},
		{in: "", bad: true},
		{in: "9999999d", bad: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tt.in)
			if tt.bad {
				assert.Error(t, err, "ParseDuration(%q) = %v", tt.in, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEnvParse(t *testing.T) {
	t.Parallel()
	newSet := func(env map[string]string) (*Env, *string, *time.Duration, *bool) {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		listen := fs.String("listen", "default", "where to listen")
		var timeout time.Duration
		DurationVar(fs, &timeout, "timeout", time.Second, "how long")
		force := fs.Bool("force", false, "force")
		e := NewEnv(fs, func(k string) string { return env[k] })
		e.Bind("listen", "X_LISTEN")
		e.Bind("timeout", "X_TIMEOUT")
		return e, listen, &timeout, force
	}

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		e, listen, timeout, _ := newSet(nil)
		args, err := e.Parse(nil)
		require.NoError(t, err)
		assert.Empty(t, args)
		assert.Equal(t, "default", *listen)
		assert.Equal(t, time.Second, *timeout)
	})
	t.Run("env then flag", func(t *testing.T) {
		t.Parallel()
		e, listen, timeout, _ := newSet(map[string]string{"X_LISTEN": "env", "X_TIMEOUT": "2d"})
		_, err := e.Parse([]string{"--listen", "flag"})
		require.NoError(t, err)
		assert.Equal(t, "flag", *listen)
		assert.Equal(t, 48*time.Hour, *timeout)
	})
	t.Run("bad env", func(t *testing.T) {
		t.Parallel()
		e, _, _, _ := newSet(map[string]string{"X_TIMEOUT": "soon"})
		_, err := e.Parse(nil)
		var ue *UsageError
		require.ErrorAs(t, err, &ue)
		assert.Contains(t, err.Error(), "X_TIMEOUT")
		assert.Equal(t, ExitUsage, ExitCode(err))
	})
	t.Run("interspersed", func(t *testing.T) {
		t.Parallel()
		e, listen, _, force := newSet(nil)
		args, err := e.Parse([]string{"a", "--force", "b", "--listen=x", "--", "--c"})
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b", "--c"}, args)
		assert.True(t, *force)
		assert.Equal(t, "x", *listen)
	})
	t.Run("unknown flag", func(t *testing.T) {
		t.Parallel()
		e, _, _, _ := newSet(nil)
		_, err := e.Parse([]string{"--nope"})
		assert.Equal(t, ExitUsage, ExitCode(err))
	})
	t.Run("help", func(t *testing.T) {
		t.Parallel()
		e, _, _, _ := newSet(nil)
		_, err := e.Parse([]string{"--help"})
		require.ErrorIs(t, err, flag.ErrHelp)
		assert.Equal(t, 0, ExitCode(err))
	})
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 0, ExitCode(nil))
	assert.Equal(t, 1, ExitCode(errors.New("x")))
	assert.Equal(t, 2, ExitCode(fmt.Errorf("wrapped: %w", Usagef("bad"))))
}

func TestDefaultDataDir(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	assert.Equal(t, "/x/scimd", DefaultDataDir(env(map[string]string{"XDG_DATA_HOME": "/x", "HOME": "/h"})))
	assert.Equal(t, "/h/.local/share/scimd", DefaultDataDir(env(map[string]string{"HOME": "/h"})))
	assert.Equal(t, "/h/.local/share/scimd", DefaultDataDir(env(map[string]string{"XDG_DATA_HOME": "rel", "HOME": "/h"})))
	assert.Equal(t, "", DefaultDataDir(env(nil)))
}
