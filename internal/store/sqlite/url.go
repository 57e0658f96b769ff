package sqlite

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// PathFromURL returns the database file a sqlite: or file: URL names:
//
//	sqlite:///var/lib/scimd/scimd.db   absolute path /var/lib/scimd/scimd.db
//	sqlite://scimd.db, sqlite:scimd.db relative to the working directory
//	file:///var/lib/scimd/scimd.db     absolute (also file://localhost/var/…)
//	file:scimd.db                      relative
//
// Percent-escapes in the path are decoded. Query parameters are refused rather than passed to
// the driver: scimd sets the pragmas its guarantees depend on (WAL, busy timeout, foreign
// keys, immediate transactions) itself, and a URL must not be able to turn them off.
func PathFromURL(raw string) (string, error) {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return "", errors.New("not a sqlite: or file: URL")
	}
	scheme = strings.ToLower(scheme)
	if scheme != "sqlite" && scheme != "file" {
		return "", fmt.Errorf("scheme %q is neither sqlite nor file", scheme)
	}
	if strings.ContainsAny(rest, "?#") {
		return "", fmt.Errorf("%s: URLs take no query parameters or fragment; scimd sets the SQLite options itself", scheme)
	}
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		rest = after
		if scheme == "file" {
			// RFC 8089: file://host/path; only the local host makes sense for a database file.
			host, path, _ := strings.Cut(rest, "/")
			if host != "" && !strings.EqualFold(host, "localhost") {
				return "", fmt.Errorf("file: URL names host %q; the database must be a local file", host)
			}
			rest = "/" + path
		}
	}
	path, err := url.PathUnescape(rest)
	if err != nil {
		return "", fmt.Errorf("%s: URL has an invalid escape in its path", scheme)
	}
	if path == "" || path == "/" || strings.HasSuffix(path, "/") {
		return "", fmt.Errorf("%s: URL names no database file", scheme)
	}
	return path, nil
}
