package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/scim"
)

const (
	// defaultExpiry is the lifetime of a token created without --expires.
	defaultExpiry = "90d"
	// defaultGrace is how long a rotated token keeps working: enough to paste the new token
	// into the identity provider and see one provisioning cycle (Entra ID: about 40 minutes)
	// succeed, short enough that a leaked old token is soon useless.
	defaultGrace = "24h"
)

// parseLifetime parses --expires: a positive duration, or "never" (0).
func parseLifetime(cmd, v string) (time.Duration, error) {
	if v == "never" {
		return 0, nil
	}
	d, err := cliflag.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, cliflag.Usagef("%s: invalid --expires %q: want a positive duration such as 90d or 2160h, or never", cmd, v)
	}
	return d, nil
}

// expiryAfter is the expiry of a token with lifetime, created now; nil for 0 (never).
func expiryAfter(lifetime time.Duration) *time.Time {
	if lifetime <= 0 {
		return nil
	}
	exp := time.Now().Add(lifetime).UTC().Truncate(time.Second)
	return &exp
}

func (c *cli) token(ctx context.Context, args []string) error {
	sub, args, err := c.subcommand("token", args, "create", "list", "rotate", "revoke")
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		fs := c.storeCommand("token create", "token create --tenant NAME [--name LABEL] [--expires 90d|2160h|never] [-q]",
			"Creates a bearer token for a tenant and prints it. The token is shown only once: only its\n"+
				"hash is stored. Give it to the identity provider (Entra ID: \"Secret Token\").")
		tenant := fs.String("tenant", "", "`name` of the tenant the token acts for (required)")
		label := fs.String("name", "", "`label` that tells tokens apart in lists, e.g. entra-prod")
		expires := fs.String("expires", defaultExpiry, "`lifetime`: a duration (90d, 2160h, 1d12h) or never")
		quiet := fs.Bool("q", false, "print only the token, on one line (for scripts)")
		if _, err := parse(fs, args, 0, ""); err != nil {
			return err
		}
		if *tenant == "" {
			return cliflag.Usagef("token create: --tenant is required")
		}
		lifetime, err := parseLifetime("token create", *expires)
		if err != nil {
			return err
		}
		return c.tokenCreate(ctx, *tenant, *label, lifetime, *quiet)
	case "rotate":
		fs := c.storeCommand("token rotate", "token rotate ID [--grace 24h|0] [--expires 90d|2160h|never] [-q]",
			"Replaces a token (ID from token list) by a new one for the same tenant and label, and prints\n"+
				"the new token once. The old token keeps working for the grace period, so that the identity\n"+
				"provider can be given the new one without a failed provisioning cycle; --grace 0 revokes it\n"+
				"at once. An old token that expires sooner keeps its earlier expiry.")
		grace := fs.String("grace", defaultGrace, "`duration` the old token keeps working (24h, 1d, 0 for none)")
		expires := fs.String("expires", defaultExpiry, "`lifetime` of the new token: a duration (90d, 2160h, 1d12h) or never")
		quiet := fs.Bool("q", false, "print only the new token, on one line (for scripts)")
		pos, err := parse(fs, args, 1, "token ID")
		if err != nil {
			return err
		}
		lifetime, err := parseLifetime("token rotate", *expires)
		if err != nil {
			return err
		}
		var g time.Duration
		if *grace != "0" {
			if g, err = cliflag.ParseDuration(*grace); err != nil || g < 0 {
				return cliflag.Usagef("token rotate: invalid --grace %q: want a duration such as 24h or 1d, or 0", *grace)
			}
		}
		return c.tokenRotate(ctx, pos[0], lifetime, g, *quiet)
	case "list":
		fs := c.storeCommand("token list", "token list [--tenant NAME]",
			"Lists tokens (never their secrets), of one tenant or of all.")
		tenant := fs.String("tenant", "", "only the tokens of the tenant with this `name`")
		if _, err := parse(fs, args, 0, ""); err != nil {
			return err
		}
		return c.tokenList(ctx, *tenant)
	default: // revoke
		fs := c.storeCommand("token revoke", "token revoke ID",
			"Revokes a token (ID from token list). It stops working with the next request.")
		pos, err := parse(fs, args, 1, "token ID")
		if err != nil {
			return err
		}
		return c.tokenRevoke(ctx, pos[0])
	}
}

func (c *cli) tokenCreate(ctx context.Context, tenantName, label string, lifetime time.Duration, quiet bool) error {
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	store := be.Store()
	tenant, err := store.TenantByName(ctx, tenantName)
	if errors.Is(err, scim.ErrNotFound) {
		return fmt.Errorf("tenant %q not found; create it with: scimctl tenant create %s", tenantName, tenantName)
	}
	if err != nil {
		return fmt.Errorf("tenant %q: %w", tenantName, err)
	}
	secret, hash, err := auth.Generate()
	if err != nil {
		return err
	}
	t, err := store.CreateToken(ctx, &scim.Token{TenantID: tenant.ID, Label: label, ExpiresAt: expiryAfter(lifetime)}, hash)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if quiet {
		fmt.Fprintln(c.stdout, secret)
		return nil
	}
	tw := c.printSecret(secret, t)
	return tw.Flush()
}

// printSecret prints a new token's secret with the warning that it is shown once, and starts
// the table of its details; the caller may add rows before flushing it.
func (c *cli) printSecret(secret string, t *scim.Token) *tabwriter.Writer {
	fmt.Fprintf(c.stdout, "%s\n\n", secret)
	fmt.Fprintln(c.stdout, "This token is shown only once: copy it now. Only its hash is stored; a lost token")
	fmt.Fprintln(c.stdout, "cannot be recovered (revoke it and create a new one).")
	fmt.Fprintln(c.stdout)
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\n", t.ID)
	fmt.Fprintf(tw, "tenant:\t%s\n", t.TenantName)
	if t.Label != "" {
		fmt.Fprintf(tw, "label:\t%s\n", t.Label)
	}
	fmt.Fprintf(tw, "expires:\t%s\n", formatTime(t.ExpiresAt, "never"))
	return tw
}

func (c *cli) tokenRotate(ctx context.Context, id string, lifetime, grace time.Duration, quiet bool) error {
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	secret, hash, err := auth.Generate()
	if err != nil {
		return err
	}
	id = strings.TrimSpace(id)
	var until time.Time // zero: revoke at once
	if grace > 0 {
		until = time.Now().Add(grace).UTC().Truncate(time.Second)
	}
	next, old, err := be.Store().RotateToken(ctx, id, hash, expiryAfter(lifetime), until)
	if err != nil {
		if errors.Is(err, scim.ErrNotFound) || scim.StatusOf(err) == 404 {
			return fmt.Errorf("token %q not found (see scimctl token list)", id)
		}
		if e, ok := scim.AsError(err); ok && e.Status == 409 {
			return fmt.Errorf("rotate token %q: %s", id, e.Detail)
		}
		return fmt.Errorf("rotate token %q: %w", id, err)
	}
	if quiet {
		fmt.Fprintln(c.stdout, secret)
		return nil
	}
	tw := c.printSecret(secret, next)
	if old.RevokedAt != nil {
		fmt.Fprintf(tw, "replaces:\t%s (revoked now)\n", old.ID)
	} else {
		fmt.Fprintf(tw, "replaces:\t%s (works until %s)\n", old.ID, formatTime(old.ExpiresAt, "never"))
	}
	return tw.Flush()
}

func (c *cli) tokenList(ctx context.Context, tenantName string) error {
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	store := be.Store()
	tenantID := ""
	if tenantName != "" {
		t, err := store.TenantByName(ctx, tenantName)
		if errors.Is(err, scim.ErrNotFound) {
			return fmt.Errorf("tenant %q not found", tenantName)
		}
		if err != nil {
			return fmt.Errorf("tenant %q: %w", tenantName, err)
		}
		tenantID = t.ID
	}
	tokens, err := store.ListTokens(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	names, err := tenantNames(ctx, store, tokens)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLABEL\tTENANT\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range tokens {
		label := t.Label
		if label == "" {
			label = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, label, names[t.TenantID],
			formatTime(&t.CreatedAt, "-"), formatTime(t.ExpiresAt, "never"),
			formatTime(t.LastUsedAt, "never"), formatTime(t.RevokedAt, "-"))
	}
	return tw.Flush()
}

// tenantNames maps the tenant ids of tokens to names, using the names the store filled in and
// asking for the tenant list only when some are missing.
func tenantNames(ctx context.Context, store scim.Store, tokens []*scim.Token) (map[string]string, error) {
	names := map[string]string{}
	missing := false
	for _, t := range tokens {
		if t.TenantName != "" {
			names[t.TenantID] = t.TenantName
		} else {
			missing = true
		}
	}
	if !missing {
		return names, nil
	}
	tenants, err := store.ListTenants(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	for _, t := range tenants {
		names[t.ID] = t.Name
	}
	return names, nil
}

func (c *cli) tokenRevoke(ctx context.Context, id string) error {
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	id = strings.TrimSpace(id)
	if err := be.Store().RevokeToken(ctx, id); err != nil {
		if errors.Is(err, scim.ErrNotFound) || scim.StatusOf(err) == 404 {
			return fmt.Errorf("token %q not found (see scimctl token list)", id)
		}
		return fmt.Errorf("revoke token %q: %w", id, err)
	}
	fmt.Fprintf(c.stdout, "revoked token %s\n", id)
	return nil
}

// formatTime formats a stored time for tables, in UTC; none is shown for nil.
func formatTime(t *time.Time, none string) string {
	if t == nil || t.IsZero() {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}
