package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend"
)

// config is scimd's configuration, from flags and their environment variables.
type config struct {
	listen             string
	databaseURL        string
	dataDir            string
	metricsListen      string
	logFormat          string
	logLevel           slog.Level
	migrate            bool
	maxBodyBytes       int64
	shutdownTimeout    time.Duration
	dbMaxConns         int
	dbStatementTimeout time.Duration
	baseURL            string
	devBootstrap       bool
	tenantRateLimit    float64
	tenantRateBurst    int
	tenantMaxInFlight  int
	schemaExtensions   string
	// registry is the schema registry: the built-in schemas and the --schema-extensions,
	// whose ids are extensionIDs.
	registry     *scim.Registry
	extensionIDs []string
}

const usageHeader = `Usage: scimd [flags]

scimd serves the SCIM 2.0 API (RFC 7644) under /scim/v2, health probes at /healthz and
/readyz, and Prometheus metrics on a separate listener. Every flag can also be set with the
environment variable named after it; a flag on the command line wins.

Flags:
`

// parseConfig reads the configuration from args and the environment. Invalid configuration is
// a *cliflag.UsageError; --help prints the usage on stderr and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("scimd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	env := cliflag.NewEnv(fs, getenv)

	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "`address` (host:port) of the SCIM API")
	env.Bind("listen", "SCIMD_LISTEN")
	fs.StringVar(&c.databaseURL, "database-url", "",
		"database `URL`: postgres://user:pass@host:5432/db?sslmode=... for PostgreSQL, or sqlite:///path/scimd.db for an embedded file (default: sqlite file DATA-DIR/scimd.db)")
	env.Bind("database-url", "SCIMD_DATABASE_URL")
	fs.StringVar(&c.dataDir, "data-dir", cliflag.DefaultDataDir(getenv),
		"`directory` for local state: the default SQLite database scimd.db and the development token file")
	env.Bind("data-dir", "SCIMD_DATA_DIR")
	fs.StringVar(&c.metricsListen, "metrics-listen", "127.0.0.1:9090",
		"`address` of the Prometheus /metrics listener; off (or an empty flag value) disables it")
	env.Bind("metrics-listen", "SCIMD_METRICS_LISTEN")
	fs.StringVar(&c.logFormat, "log-format", "json", "log `format`: json or text")
	env.Bind("log-format", "SCIMD_LOG_FORMAT")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	env.Bind("log-level", "SCIMD_LOG_LEVEL")
	fs.BoolVar(&c.migrate, "migrate", true, "apply pending database migrations at start")
	env.Bind("migrate", "SCIMD_MIGRATE")
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", 1<<20, "largest accepted request body in `bytes`")
	env.Bind("max-body-bytes", "SCIMD_MAX_BODY_BYTES")
	cliflag.DurationVar(fs, &c.shutdownTimeout, "shutdown-timeout", 10*time.Second,
		"how long to let in-flight requests finish after SIGTERM or SIGINT")
	env.Bind("shutdown-timeout", "SCIMD_SHUTDOWN_TIMEOUT")
	fs.IntVar(&c.dbMaxConns, "db-max-conns", 0, "maximum database connections per replica (0: PostgreSQL uses the URL's pool_max_conns, else max(4, CPUs))")
	env.Bind("db-max-conns", "SCIMD_DB_MAX_CONNS")
	cliflag.DurationVar(fs, &c.dbStatementTimeout, "db-statement-timeout", 30*time.Second,
		"cancel PostgreSQL statements running longer than this (0: no limit; idle transactions are then ended after 60s); on SQLite, list and search queries and member removals by filter")
	env.Bind("db-statement-timeout", "SCIMD_DB_STATEMENT_TIMEOUT")
	fs.StringVar(&c.baseURL, "base-url", "",
		"public `URL` of the SCIM root for meta.location, e.g. https://scim.example.com/scim/v2 (default: from each request)")
	env.Bind("base-url", "SCIMD_BASE_URL")
	fs.Float64Var(&c.tenantRateLimit, "tenant-rate-limit", 0,
		"`rate` in requests per second that each tenant may make to this replica; more get 429 with Retry-After (0: no limit)")
	env.Bind("tenant-rate-limit", "SCIMD_TENANT_RATE_LIMIT")
	fs.IntVar(&c.tenantRateBurst, "tenant-rate-burst", 0,
		"`requests` a tenant may send at once before --tenant-rate-limit applies (0: twice the rate)")
	env.Bind("tenant-rate-burst", "SCIMD_TENANT_RATE_BURST")
	fs.IntVar(&c.tenantMaxInFlight, "tenant-max-inflight", 0,
		"`requests` of one tenant this replica serves at once; more get 429 with Retry-After (0: no limit)")
	env.Bind("tenant-max-inflight", "SCIMD_TENANT_MAX_INFLIGHT")
	fs.StringVar(&c.schemaExtensions, "schema-extensions", "",
		"JSON `file` of custom extension schemas for User and Group, e.g. Entra ID custom attributes (see docs/operations.md)")
	env.Bind("schema-extensions", "SCIMD_SCHEMA_EXTENSIONS")
	fs.BoolVar(&c.devBootstrap, "dev-bootstrap", false,
		"development: create tenant \"default\" and a token (kept in DATA-DIR/dev-token), create the database if missing, and print how to call the API")
	env.Bind("dev-bootstrap", "SCIMD_DEV_BOOTSTRAP")

	rest, err := env.Parse(args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, cliflag.Usagef("unexpected argument %q (scimd takes only flags; see --help)", rest[0])
	}
	if err := c.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, cliflag.Usagef("invalid --log-level %q: use debug, info, warn or error", *logLevel)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// metricsOff is the --metrics-listen value that disables the metrics listener. An empty
// value does too, but only on the command line: an empty environment variable counts as
// unset, so SCIMD_METRICS_LISTEN=off is how the environment says it.
const metricsOff = "off"

func (c *config) validate() error {
	if err := checkListen("--listen", c.listen); err != nil {
		return err
	}
	if strings.EqualFold(c.metricsListen, metricsOff) {
		c.metricsListen = ""
	}
	if c.metricsListen != "" {
		if err := checkListen("--metrics-listen", c.metricsListen); err != nil {
			return err
		}
	}
	switch c.logFormat {
	case "json", "text":
	default:
		return cliflag.Usagef("invalid --log-format %q: use json or text", c.logFormat)
	}
	if c.databaseURL != "" {
		if _, err := backend.KindOf(c.databaseURL); err != nil {
			return cliflag.Usagef("invalid --database-url: %v", err)
		}
	}
	if c.maxBodyBytes <= 0 {
		return cliflag.Usagef("invalid --max-body-bytes %d: must be positive", c.maxBodyBytes)
	}
	if c.shutdownTimeout <= 0 {
		return cliflag.Usagef("invalid --shutdown-timeout %s: must be positive", c.shutdownTimeout)
	}
	if c.dbMaxConns < 0 || c.dbMaxConns > math.MaxInt32 {
		return cliflag.Usagef("invalid --db-max-conns %d", c.dbMaxConns)
	}
	if c.baseURL != "" {
		u, err := url.Parse(c.baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return cliflag.Usagef("invalid --base-url %q: want an absolute http(s) URL such as https://scim.example.com/scim/v2", c.baseURL)
		}
	}
	if c.tenantRateLimit < 0 || math.IsNaN(c.tenantRateLimit) || math.IsInf(c.tenantRateLimit, 0) {
		return cliflag.Usagef("invalid --tenant-rate-limit %v: want requests per second, 0 for no limit", c.tenantRateLimit)
	}
	if c.tenantMaxInFlight < 0 {
		return cliflag.Usagef("invalid --tenant-max-inflight %d: want 0 (no limit) or more", c.tenantMaxInFlight)
	}
	if c.tenantRateBurst < 0 {
		return cliflag.Usagef("invalid --tenant-rate-burst %d: want 0 or more", c.tenantRateBurst)
	}
	if c.devBootstrap && c.dataDir == "" {
		return cliflag.Usagef("--dev-bootstrap needs --data-dir (HOME and XDG_DATA_HOME are unset)")
	}
	reg, exts, err := loadRegistry(c.schemaExtensions)
	if err != nil {
		return err
	}
	c.registry = reg
	for _, e := range exts {
		c.extensionIDs = append(c.extensionIDs, e.Schema.ID)
	}
	return nil
}

// maxSchemaExtensionsBytes bounds the --schema-extensions file; real ones are a few KiB.
const maxSchemaExtensionsBytes = 1 << 20

// loadRegistry builds the schema registry: the built-in schemas plus the extensions of the
// file at path ("" for none). A file that cannot be read or is not valid is a *UsageError
// naming it.
func loadRegistry(path string) (*scim.Registry, []scim.Extension, error) {
	if path == "" {
		return scim.NewRegistry(), nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, cliflag.Usagef("invalid --schema-extensions: cannot read the file: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSchemaExtensionsBytes+1))
	if err != nil {
		return nil, nil, cliflag.Usagef("invalid --schema-extensions: cannot read %s: %v", path, err)
	}
	if len(data) > maxSchemaExtensionsBytes {
		return nil, nil, cliflag.Usagef("invalid --schema-extensions %s: the file is larger than %d bytes", path, maxSchemaExtensionsBytes)
	}
	exts, err := scim.ParseExtensions(data)
	if err != nil {
		return nil, nil, cliflag.Usagef("invalid --schema-extensions %s: %v", path, err)
	}
	reg, err := scim.NewRegistryWithExtensions(exts)
	if err != nil {
		return nil, nil, cliflag.Usagef("invalid --schema-extensions %s: %v", path, err)
	}
	return reg, exts, nil
}

// checkListen validates a host:port listen address without binding it.
func checkListen(flagName, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return cliflag.Usagef("invalid %s %q: want host:port, e.g. 127.0.0.1:8080 or :8080", flagName, addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return cliflag.Usagef("invalid %s %q: port must be a number from 0 to 65535", flagName, addr)
	}
	if strings.ContainsAny(host, " /") {
		return cliflag.Usagef("invalid %s %q: bad host", flagName, addr)
	}
	return nil
}
