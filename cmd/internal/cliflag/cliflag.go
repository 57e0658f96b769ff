// Package cliflag holds what scimd and scimctl share about their command lines: flags with
// environment-variable fallbacks, durations with a day suffix, the default data directory and
// the usage error that makes a command exit with status 2.
package cliflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ExitUsage is the exit status for invalid configuration (flags, environment, arguments).
const ExitUsage = 2

// UsageError is invalid configuration: an unknown flag, a bad value, a missing argument. The
// commands print it on one line and exit with ExitUsage.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitCode maps the error a command's run returned to its exit status: 0 for nil and for
// flag.ErrHelp (--help was asked for and printed), ExitUsage for a *UsageError, 1 otherwise.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return ExitUsage
	default:
		return 1
	}
}

// Env binds flags to environment variables. Values come, in order of precedence, from the
// command line, the environment, then the flag's default.
type Env struct {
	fs     *flag.FlagSet
	getenv func(string) string
	vars   map[string]string // flag name -> variable
}

// NewEnv returns an Env for the flags of fs, reading variables with getenv.
func NewEnv(fs *flag.FlagSet, getenv func(string) string) *Env {
	return &Env{fs: fs, getenv: getenv, vars: map[string]string{}}
}

// Bind ties flag name to environment variable v. Call it after defining the flag, with the
// flag's usage text still to be completed: Bind appends "(env V)" to it for --help.
func (e *Env) Bind(name, v string) {
	f := e.fs.Lookup(name)
	if f == nil {
		panic("cliflag: Bind of undefined flag " + name) // a programming error
	}
	f.Usage += " (env " + v + ")"
	e.vars[name] = v
}

// Parse sets bound flags from their environment variables, then parses args (which win). A bad
// value in either place is a *UsageError naming the flag or variable; --help gives
// flag.ErrHelp after fs printed its usage.
func (e *Env) Parse(args []string) ([]string, error) {
	for name, v := range e.vars {
		val := e.getenv(v)
		if val == "" {
			continue
		}
		if err := e.fs.Set(name, val); err != nil {
			return nil, Usagef("invalid value %q for %s: %v", val, v, unwrapFlagErr(err))
		}
	}
	return ParseInterspersed(e.fs, args)
}

// Parse parses args with fs, stopping at the first positional argument like fs.Parse, but
// quietly: a bad flag is a one-line *UsageError instead of the flag package's message followed
// by the whole usage, and --help prints the usage and returns flag.ErrHelp.
func Parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case err != nil:
		return Usagef("%v; see %s --help", err, fs.Name())
	}
	return nil
}

// ParseInterspersed parses fs's flags anywhere among args, not only before the first
// positional argument ("scimctl tenant delete acme --force"), and returns the positional
// arguments. "--" ends flag parsing. Errors are as for Parse.
func ParseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := Parse(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// flag.Parse consumed "--" when it stopped there; the arguments after it are all
		// positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func unwrapFlagErr(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// ParseDuration is time.ParseDuration plus a whole-day suffix: "90d", "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		d := time.Duration(n) * 24 * time.Hour
		if rest == "" {
			return d, nil
		}
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return d + r, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d, nil
}

// Duration is a flag.Value for a duration that accepts a day suffix.
type Duration struct {
	D *time.Duration
}

// String implements flag.Value.
func (d Duration) String() string {
	if d.D == nil {
		return ""
	}
	return d.D.String()
}

// Set implements flag.Value.
func (d Duration) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d.D = v
	return nil
}

// DurationVar defines a duration flag that accepts a day suffix.
func DurationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(Duration{D: p}, name, usage)
}

// DefaultDataDir returns $XDG_DATA_HOME/scimd, else $HOME/.local/share/scimd, else "" when
// neither variable is set.
func DefaultDataDir(getenv func(string) string) string {
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "scimd")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "scimd")
	}
	return ""
}
