package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/store/backend"
)

func (c *cli) migrate(ctx context.Context, args []string) error {
	sub, args, err := c.subcommand("migrate", args, "up", "down", "version", "force")
	if err != nil {
		return err
	}
	switch sub {
	case "up":
		fs := c.command("migrate up", "migrate up", "Applies every pending migration. Safe to run while scimd runs; replicas wait for each other.")
		if _, err := parse(fs, args, 0, ""); err != nil {
			return err
		}
		return c.runMigration(ctx, (*backend.Backend).MigrateUp)
	case "down":
		fs := c.command("migrate down", "migrate down --yes", "Reverts every migration: DROPS ALL TENANTS, TOKENS, USERS AND GROUPS.")
		yes := fs.Bool("yes", false, "confirm that all data may be dropped")
		if _, err := parse(fs, args, 0, ""); err != nil {
			return err
		}
		if !*yes {
			return cliflag.Usagef("migrate down drops all data; add --yes to confirm")
		}
		return c.runMigration(ctx, (*backend.Backend).MigrateDown)
	case "force":
		fs := c.command("migrate force", "migrate force VERSION",
			"Records VERSION as the schema version without running any migration, clearing the dirty\n"+
				"flag. Use it only after repairing by hand the schema a failed migration left half-done.")
		pos, err := parse(fs, args, 1, "VERSION")
		if err != nil {
			return err
		}
		v, err := strconv.Atoi(pos[0])
		if err != nil || v < 0 {
			return cliflag.Usagef("migrate force: invalid VERSION %q: want a migration number", pos[0])
		}
		return c.runMigration(ctx, func(be *backend.Backend, ctx context.Context) error { return be.MigrateForce(ctx, v) })
	default: // version
		fs := c.command("migrate version", "migrate version", "Prints the schema version of the database.")
		if _, err := parse(fs, args, 0, ""); err != nil {
			return err
		}
		return c.runMigration(ctx, nil)
	}
}

// runMigration opens the database for a migrate command, runs step (nil: none) and prints the
// schema version it leaves.
func (c *cli) runMigration(ctx context.Context, step func(*backend.Backend, context.Context) error) error {
	be, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer be.Close()
	if step != nil {
		if err := step(be, ctx); err != nil {
			return err
		}
	}
	return c.printVersion(be.MigrationVersion())
}

func (c *cli) printVersion(v uint, dirty bool, err error) error {
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	switch {
	case v == 0:
		fmt.Fprintln(c.stdout, "no migrations applied")
	case dirty:
		fmt.Fprintf(c.stdout, "version %d (dirty: the migration failed half-way; repair the schema by hand)\n", v)
	default:
		fmt.Fprintf(c.stdout, "version %d\n", v)
	}
	return nil
}
