package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/scim"
)

const (
	devTenant    = "default"
	devLabel     = "dev"
	devTokenFile = "dev-token"
)

// devBootstrap makes sure that the tenant "default" exists and that dataDir/dev-token holds a
// token of it that authenticates, creating the tenant and a new token when needed, and returns
// that token. Restarting `make run` therefore keeps the same token, so a curl command or an IdP
// configured during development keeps working.
func devBootstrap(ctx context.Context, store scim.Store, authn *auth.Authenticator, dataDir string, logger *slog.Logger) (string, error) {
	path := filepath.Join(dataDir, devTokenFile)
	if b, err := os.ReadFile(path); err == nil {
		secret := strings.TrimSpace(string(b))
		tok, err := authn.Authenticate(ctx, secret)
		switch {
		case err == nil && scim.Fold(tok.TenantName) == devTenant:
			logger.Info("dev bootstrap: reusing the token in the data directory", "path", path, "token_id", tok.ID)
			return secret, nil
		case err != nil && scim.StatusOf(err) != http.StatusUnauthorized:
			return "", err
		}
		logger.Info("dev bootstrap: the saved token no longer works; creating a new one", "path", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}

	tenant, err := store.TenantByName(ctx, devTenant)
	if errors.Is(err, scim.ErrNotFound) {
		tenant, err = store.CreateTenant(ctx, devTenant)
		if scim.StatusOf(err) == http.StatusConflict {
			// Another replica created it first.
			tenant, err = store.TenantByName(ctx, devTenant)
		}
	}
	if err != nil {
		return "", fmt.Errorf("tenant %q: %w", devTenant, err)
	}
	secret, hash, err := auth.Generate()
	if err != nil {
		return "", err
	}
	tok, err := store.CreateToken(ctx, &scim.Token{TenantID: tenant.ID, Label: devLabel}, hash)
	if err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	if err := writeSecretFile(path, secret+"\n"); err != nil {
		return "", err
	}
	logger.Info("dev bootstrap: created a token", "tenant", devTenant, "token_id", tok.ID, "path", path)
	return secret, nil
}

// writeSecretFile writes data to path readable by the owner only, atomically (temporary file
// and rename), creating the directory (owner only) when needed.
func writeSecretFile(path, data string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".dev-token-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing left to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// printDevHelp tells the developer where scimd serves and how to call it, with a curl command
// that works as printed.
func printDevHelp(w io.Writer, baseURL string, addr net.Addr, token string) {
	root := baseURL
	if root == "" {
		root = "http://" + dialableAddr(addr) + "/scim/v2"
	}
	root = strings.TrimRight(root, "/")
	fmt.Fprintf(w, "scimd is serving at %s\n", root)
	fmt.Fprintf(w, "token: %s\n", token)
	fmt.Fprintf(w, "try:   curl -H \"Authorization: Bearer %s\" %s/ServiceProviderConfig\n", token, root)
}

// dialableAddr turns a listen address into one a local client can connect to: a wildcard
// host (":8080", "0.0.0.0:8080", "[::]:8080") becomes the loopback address.
func dialableAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
