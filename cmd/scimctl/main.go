// Command scimctl administers scimd: tenants, bearer tokens, database migrations, the
// provisioning log and the export and import of a tenant's users and groups (to move it
// between backends). It talks to the database directly (the same --database-url as scimd), so
// it needs no running server.
// Run `scimctl --help`, or --help after any command, for usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "scimctl:", describe(err))
	}
	os.Exit(cliflag.ExitCode(err))
}

// describe is the one line printed for an error: a *scim.Error's detail (written for people)
// rather than its status-prefixed Error string.
func describe(err error) string {
	var ue *cliflag.UsageError
	if errors.As(err, &ue) {
		return ue.Error()
	}
	if e, ok := scim.AsError(err); ok {
		msg := err.Error()
		// Keep the context the command added ("tenant "x": ...") and drop the "scim 409:" prefix.
		if i := strings.Index(msg, e.Error()); i > 0 {
			return msg[:i] + e.Detail
		}
		return e.Detail
	}
	return err.Error()
}

// cli is one invocation: its streams, the global flags and how to open the store.
type cli struct {
	getenv      func(string) string
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	databaseURL string
	dataDir     string
	// autoMigrate applies pending migrations before the commands that use the store.
	autoMigrate bool
	// pollInterval is how often `events --follow` looks for new events.
	pollInterval time.Duration
}

// defaultPollInterval is how often `events --follow` polls the database.
const defaultPollInterval = 2 * time.Second

const usage = `Usage: scimctl [--database-url URL] [--data-dir DIR] [--migrate=false] COMMAND [flags] [args]

Administer scimd: tenants, bearer tokens, database migrations, the provisioning log, tenant
export and import. Commands other than migrate first apply pending database migrations, as
scimd does at start (--migrate=false refuses a database without the current schema instead).

Commands:
  tenant create NAME                 create a tenant
  tenant list                        list tenants: users, groups, tokens, last change
  tenant delete NAME [--force]       delete a tenant (--force: with its users, groups and tokens)
  token create --tenant NAME [--name LABEL] [--expires 90d|2160h|never] [-q]
                                     create a bearer token; it is shown only once
  token list [--tenant NAME]         list tokens (never their secrets)
  token rotate ID [--grace 24h|0] [--expires 90d|2160h|never] [-q]
                                     replace a token by a new one for the same tenant and
                                     label; the old one works for the grace period
  token revoke ID                    revoke a token; it stops working at once
  migrate up|down|version            apply, revert (needs --yes) or show database migrations
  migrate force VERSION              set the schema version after repairing a failed migration
  export --tenant NAME [--output FILE]
                                     write a tenant's users, groups and memberships as
                                     newline-delimited JSON (ids, versions, timestamps kept)
  import --tenant NAME [--input FILE] [--create-tenant]
                                     read an export into an empty tenant; all or nothing
  events [--tenant NAME] [--after ID] [--limit N] [--follow] [--json]
                                     print the provisioning log, oldest first; --follow
                                     waits for new events until interrupted

Run "scimctl COMMAND --help" for a command's flags.

Global flags (also accepted after the command):
`

// run is scimctl. Invalid usage is a *cliflag.UsageError (exit status 2); --help returns
// flag.ErrHelp after printing the usage (exit status 0).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return newCLI(getenv, stdin, stdout, stderr).run(ctx, args)
}

// newCLI returns an invocation with its defaults; tests change pollInterval.
func newCLI(getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) *cli {
	return &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, autoMigrate: true, pollInterval: defaultPollInterval}
}

// run parses the global flags and runs the command.
func (c *cli) run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("scimctl", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	env := c.globalFlags(fs)
	c.migrateFlag(fs)
	env["migrate"] = "SCIMD_MIGRATE"
	for name, v := range env {
		// The environment only provides defaults here; ParseInterspersed is not used because
		// the first positional argument is the command, and the rest belongs to it.
		if val := c.getenv(v); val != "" {
			if err := fs.Set(name, val); err != nil {
				return cliflag.Usagef("invalid value %q for %s", val, v)
			}
		}
	}
	if err := cliflag.Parse(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return cliflag.Usagef("missing command; see scimctl --help")
	}
	switch rest[0] {
	case "tenant":
		return c.tenant(ctx, rest[1:])
	case "token":
		return c.token(ctx, rest[1:])
	case "migrate":
		return c.migrate(ctx, rest[1:])
	case "export":
		return c.export(ctx, rest[1:])
	case "import":
		return c.importTenant(ctx, rest[1:])
	case "events":
		return c.events(ctx, rest[1:])
	case "help":
		fs.Usage()
		return flag.ErrHelp
	default:
		return cliflag.Usagef("unknown command %q; see scimctl --help", rest[0])
	}
}

// globalFlags defines --database-url and --data-dir on fs (with their current values as
// defaults, so that a command's flag set inherits what came before it) and returns the
// flag-to-variable bindings.
func (c *cli) globalFlags(fs *flag.FlagSet) map[string]string {
	if c.dataDir == "" && c.databaseURL == "" {
		c.dataDir = cliflag.DefaultDataDir(c.getenv)
	}
	fs.StringVar(&c.databaseURL, "database-url", c.databaseURL,
		"database `URL`: postgres://... or sqlite:///path/scimd.db (env SCIMD_DATABASE_URL; default: sqlite file DATA-DIR/scimd.db)")
	fs.StringVar(&c.dataDir, "data-dir", c.dataDir, "`directory` of local state, holding the default scimd.db (env SCIMD_DATA_DIR)")
	return map[string]string{"database-url": "SCIMD_DATABASE_URL", "data-dir": "SCIMD_DATA_DIR"}
}

// migrateFlag defines --migrate on fs, for the global flags and the commands that use the
// store (not the migrate commands, which manage the schema themselves).
func (c *cli) migrateFlag(fs *flag.FlagSet) {
	fs.BoolVar(&c.autoMigrate, "migrate", c.autoMigrate,
		"apply pending database migrations first, as scimd does at start; false refuses a database without the current schema (env SCIMD_MIGRATE)")
}

// storeCommand is command plus --migrate, for the commands that read or write the store.
func (c *cli) storeCommand(name, synopsis, help string) *flag.FlagSet {
	fs := c.command(name, synopsis, help)
	c.migrateFlag(fs)
	return fs
}

// command is one leaf command's flag set; its usage line and the global flags are built in.
func (c *cli) command(name, synopsis, help string) *flag.FlagSet {
	fs := flag.NewFlagSet("scimctl "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: scimctl %s\n\n%s\n\nFlags:\n", synopsis, help)
		fs.PrintDefaults()
	}
	c.globalFlags(fs)
	return fs
}

// parse parses a leaf command's arguments (flags anywhere) and checks the number of positional
// arguments.
func parse(fs *flag.FlagSet, args []string, wantArgs int, what string) ([]string, error) {
	pos, err := cliflag.ParseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) < wantArgs {
		return nil, cliflag.Usagef("%s: missing %s; see %s --help", fs.Name(), what, fs.Name())
	}
	if len(pos) > wantArgs {
		return nil, cliflag.Usagef("%s: unexpected argument %q; see %s --help", fs.Name(), pos[wantArgs], fs.Name())
	}
	return pos, nil
}

// subcommand picks the subcommand of a command group ("tenant create") or explains the choice.
func (c *cli) subcommand(group string, args []string, names ...string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, cliflag.Usagef("%s: missing subcommand (%s); see scimctl --help", group, strings.Join(names, ", "))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(c.stderr, "Usage: scimctl %s %s ...\n\nRun \"scimctl %s SUBCOMMAND --help\" for a subcommand's flags, or scimctl --help.\n",
			group, strings.Join(names, "|"), group)
		return "", nil, flag.ErrHelp
	}
	for _, n := range names {
		if args[0] == n {
			return n, args[1:], nil
		}
	}
	return "", nil, cliflag.Usagef("%s: unknown subcommand %q (want %s)", group, args[0], strings.Join(names, ", "))
}

// open connects to the store. Unless forMigrate, it makes sure the database has the current
// schema: with --migrate (the default) it applies pending migrations, which is safe while scimd
// or another scimctl migrates the same database (PostgreSQL: an advisory lock; SQLite: one
// exclusive transaction); with --migrate=false it refuses a database without the schema with a
// hint to run migrations, rather than failing later on a missing table.
func (c *cli) open(ctx context.Context, forMigrate bool) (*backend.Backend, error) {
	if c.databaseURL != "" {
		if _, err := backend.KindOf(c.databaseURL); err != nil {
			return nil, cliflag.Usagef("invalid --database-url: %v", err)
		}
	}
	be, err := backend.Open(ctx, backend.Options{
		URL:             c.databaseURL,
		DataDir:         c.dataDir,
		MaxConns:        2,
		ApplicationName: "scimctl",
	})
	if err != nil {
		return nil, err
	}
	if forMigrate {
		return be, nil
	}
	if err := c.checkSchema(ctx, be); err != nil {
		be.Close()
		return nil, err
	}
	return be, nil
}

// checkSchema migrates the database up (with --migrate) and checks that the schema is there and
// not dirty.
func (c *cli) checkSchema(ctx context.Context, be *backend.Backend) error {
	v, dirty, err := be.MigrationVersion()
	switch {
	case err != nil:
		return fmt.Errorf("read the schema version: %w", err)
	case dirty:
		// Migrating would fail too; say what to do.
		return fmt.Errorf("the database schema is dirty (migration %d failed half-way); repair it, then run scimctl migrate force %d and scimctl migrate up", v, v)
	case c.autoMigrate:
		if err := be.MigrateUp(ctx); err != nil {
			return err
		}
		return nil
	case v == 0:
		return errors.New("the database has no scimd schema yet; run: scimctl migrate up (or leave out --migrate=false)")
	}
	return nil
}
