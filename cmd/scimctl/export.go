package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// porter is what export and import need from a store; the SQL store of every backend has it.
type porter interface {
	Export(ctx context.Context, tenantID string, emit func(sqlstore.Record) error) error
	Import(ctx context.Context, tenantID string, next func() (sqlstore.Record, error)) (sqlstore.ImportStats, error)
}

const exportHelp = `Writes every user, group and membership of a tenant as newline-delimited JSON (format
scimd-export version 1), read from one consistent snapshot while provisioning carries on.
Ids, versions (ETags), timestamps, password hashes and the attribute documents as stored
(values of custom schema extensions included; scimctl needs no schema file) are kept, so that
"scimctl import" on another database or backend serves the same resources. The file holds
personal data and password hashes: --output creates it with mode 0600, and replaces FILE only
when the export is complete. A progress line is shown on stderr when it is a terminal.`

const importHelp = `Reads a file written by "scimctl export" into a tenant that has no users or groups yet
(--create-tenant creates the tenant when it does not exist). Everything is written in one
transaction: a malformed or truncated file, a duplicate userName or any other error changes
nothing, and the error names the line of the file. A progress line is shown on stderr when
it is a terminal.`

func (c *cli) export(ctx context.Context, args []string) error {
	fs := c.storeCommand("export", "export --tenant NAME [--output FILE]", exportHelp)
	tenant := fs.String("tenant", "", "`name` of the tenant to export (required)")
	output := fs.String("output", "", "write to `file` instead of standard output")
	if _, err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if *tenant == "" {
		return cliflag.Usagef("export: --tenant is required")
	}
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	p, ok := be.Store().(porter)
	if !ok {
		return fmt.Errorf("the %s backend cannot export", be.Kind())
	}
	t, err := c.tenantByName(ctx, be.Store(), *tenant)
	if err != nil {
		return err
	}

	out, commit, abort, err := c.openOutput(*output)
	if err != nil {
		return err
	}
	prog := newProgress(c.stderr, "exported")
	w := sqlstore.NewRecordWriter(out)
	err = p.Export(ctx, t.ID, func(r sqlstore.Record) error {
		if err := w.Write(r); err != nil {
			return fmt.Errorf("write the export: %w", err)
		}
		prog.add(r.Type)
		return nil
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = commit()
	} else {
		abort()
	}
	prog.clear()
	if err != nil {
		return fmt.Errorf("export tenant %q: %w", t.Name, err)
	}
	// stdout may be the export itself: the summary goes to stderr.
	fmt.Fprintf(c.stderr, "%s of tenant %q\n", prog.summary("exported"), t.Name)
	return nil
}

// openOutput returns where the export goes: stdout, or a temporary file beside path that
// commit syncs and renames to path and abort removes, so that an interrupted export never
// leaves a partial file under the name asked for.
func (c *cli) openOutput(path string) (w io.Writer, commit func() error, abort func(), err error) {
	if path == "" {
		return c.stdout, func() error { return nil }, func() {}, nil
	}
	// CreateTemp makes the file with mode 0600: the export holds personal data.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("create the output file: %w", err)
	}
	abort = func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	commit = func() error {
		if err := f.Sync(); err != nil {
			abort()
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			_ = os.Remove(f.Name())
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Rename(f.Name(), path); err != nil {
			_ = os.Remove(f.Name())
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	return f, commit, abort, nil
}

func (c *cli) importTenant(ctx context.Context, args []string) error {
	fs := c.storeCommand("import", "import --tenant NAME [--input FILE] [--create-tenant]", importHelp)
	tenant := fs.String("tenant", "", "`name` of the tenant to import into (required)")
	input := fs.String("input", "", "read from `file` instead of standard input")
	create := fs.Bool("create-tenant", false, "create the tenant when it does not exist")
	if _, err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if *tenant == "" {
		return cliflag.Usagef("import: --tenant is required")
	}
	in := c.stdin
	if *input != "" {
		f, err := os.Open(*input)
		if err != nil {
			return fmt.Errorf("open the input file: %w", err)
		}
		defer f.Close()
		in = f
	}
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	store := be.Store()
	p, ok := store.(porter)
	if !ok {
		return fmt.Errorf("the %s backend cannot import", be.Kind())
	}
	created := false
	t, err := store.TenantByName(ctx, *tenant)
	switch {
	case errors.Is(err, scim.ErrNotFound) && *create:
		t, err = store.CreateTenant(ctx, *tenant)
		if err != nil {
			return fmt.Errorf("create tenant %q: %w", *tenant, err)
		}
		created = true
	case errors.Is(err, scim.ErrNotFound):
		return fmt.Errorf("tenant %q not found; create it with: scimctl tenant create %s (or add --create-tenant)", *tenant, *tenant)
	case err != nil:
		return fmt.Errorf("tenant %q: %w", *tenant, err)
	}

	prog := newProgress(c.stderr, "read")
	rr := sqlstore.NewRecordReader(in)
	stats, err := p.Import(ctx, t.ID, func() (sqlstore.Record, error) {
		rec, err := rr.Next()
		if err == nil {
			prog.add(rec.Type)
		}
		return rec, err
	})
	prog.clear()
	if err != nil {
		if created {
			// Leave nothing behind: the tenant is empty again, so this needs no force.
			_ = store.DeleteTenant(context.WithoutCancel(ctx), t.Name, false)
		}
		return fmt.Errorf("nothing was imported into tenant %q: %w", t.Name, err)
	}
	prog.users, prog.groups, prog.memberships = stats.Users, stats.Groups, stats.Memberships
	fmt.Fprintf(c.stdout, "%s into tenant %q\n", prog.summary("imported"), t.Name)
	return nil
}

// tenantByName looks a tenant up, with a hint when it does not exist.
func (c *cli) tenantByName(ctx context.Context, store scim.TenantStore, name string) (*scim.Tenant, error) {
	t, err := store.TenantByName(ctx, name)
	if errors.Is(err, scim.ErrNotFound) {
		return nil, fmt.Errorf("tenant %q not found (see scimctl tenant list)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", name, err)
	}
	return t, nil
}
