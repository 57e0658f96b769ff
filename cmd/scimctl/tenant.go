package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/scimd/scimd/internal/scim"
)

func (c *cli) tenant(ctx context.Context, args []string) error {
	sub, args, err := c.subcommand("tenant", args, "create", "list", "delete")
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		fs := c.storeCommand("tenant create", "tenant create NAME",
			"Creates a tenant. Names are unique, compared case-insensitively.")
		pos, err := parse(fs, args, 1, "tenant NAME")
		if err != nil {
			return err
		}
		return c.tenantCreate(ctx, pos[0])
	case "list":
		fs := c.storeCommand("tenant list", "tenant list",
			"Lists the tenants with their number of users, groups and unrevoked tokens, and the time\n"+
				"of their last provisioning change (from the provisioning log; \"never\" when none).")
		if _, err := parse(fs, args, 0, ""); err != nil {
			return err
		}
		return c.tenantList(ctx)
	default: // delete
		fs := c.storeCommand("tenant delete", "tenant delete NAME [--force]",
			"Deletes a tenant. A tenant that still has users, groups or unrevoked tokens is only\ndeleted with --force, which deletes them too.")
		force := fs.Bool("force", false, "also delete the tenant's users, groups and tokens")
		pos, err := parse(fs, args, 1, "tenant NAME")
		if err != nil {
			return err
		}
		return c.tenantDelete(ctx, pos[0], *force)
	}
}

func (c *cli) tenantCreate(ctx context.Context, name string) error {
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	t, err := be.Store().CreateTenant(ctx, name)
	if err != nil {
		return fmt.Errorf("create tenant %q: %w", name, err)
	}
	fmt.Fprintf(c.stdout, "created tenant %q (id %s)\n", t.Name, t.ID)
	return nil
}

func (c *cli) tenantList(ctx context.Context) error {
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	tenants, err := be.Store().ListTenants(ctx)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	usage, err := be.Store().TenantUsage(ctx)
	if err != nil {
		return fmt.Errorf("count tenant data: %w", err)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tID\tCREATED\tUSERS\tGROUPS\tTOKENS\tLAST CHANGE")
	for _, t := range tenants {
		u := usage[t.ID] // a tenant created since ListTenants shows zeros
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", t.Name, t.ID, formatTime(&t.CreatedAt, "-"),
			u.Users, u.Groups, u.Tokens, formatTime(u.LastChange, "never"))
	}
	return tw.Flush()
}

func (c *cli) tenantDelete(ctx context.Context, name string, force bool) error {
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	err = be.Store().DeleteTenant(ctx, name, force)
	switch {
	case errors.Is(err, scim.ErrNotFound):
		return fmt.Errorf("tenant %q not found", name)
	case errors.Is(err, scim.ErrTenantNotEmpty):
		return fmt.Errorf("tenant %q still has users, groups or tokens; add --force to delete it with all its data", name)
	case err != nil:
		return fmt.Errorf("delete tenant %q: %w", name, err)
	}
	fmt.Fprintf(c.stdout, "deleted tenant %q\n", name)
	return nil
}
