// Command scimd is the SCIM 2.0 service provider: it serves /scim/v2 for identity providers
// (Microsoft Entra ID, Okta) and applications, on PostgreSQL or an embedded SQLite file.
//
// This file only wires the pieces together: configuration, logger, store, authenticator,
// HTTP API, metrics and graceful shutdown. Run `scimd --help` for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/store/backend"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "scimd:", err)
	}
	os.Exit(cliflag.ExitCode(err))
}

// readyFunc is told the bound addresses once scimd serves (metrics is nil when disabled). Tests
// use it to learn the ports picked for ":0".
type readyFunc func(api, metrics net.Addr)

// run is scimd: it serves until ctx is canceled, then shuts down gracefully. Invalid
// configuration is a *cliflag.UsageError (exit status 2); anything else that stops scimd from
// starting is a plain error (exit status 1).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready readyFunc) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	if cfg.schemaExtensions != "" {
		logger.Info("schema extensions loaded", "file", cfg.schemaExtensions, "schemas", cfg.extensionIDs)
	}

	// Bind first: a port that is taken should fail before we touch the database.
	apiLn, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	defer apiLn.Close()
	var metricsLn net.Listener
	if cfg.metricsListen != "" {
		metricsLn, err = net.Listen("tcp", cfg.metricsListen)
		if err != nil {
			return fmt.Errorf("listen on %s for metrics: %w", cfg.metricsListen, err)
		}
		defer metricsLn.Close()
	}

	be, err := backend.Open(ctx, backend.Options{
		URL:              cfg.databaseURL,
		DataDir:          cfg.dataDir,
		MaxConns:         int32(cfg.dbMaxConns),
		StatementTimeout: cfg.dbStatementTimeout,
		Migrate:          cfg.migrate,
		CreateDatabase:   cfg.devBootstrap,
		Registry:         cfg.registry,
		Logger:           logger,
	})
	if err != nil {
		return err
	}
	defer be.Close()
	if !cfg.migrate {
		// Fail now rather than with a 500 on the first request.
		if v, dirty, err := be.MigrationVersion(); err != nil {
			return fmt.Errorf("read the database schema version: %w", err)
		} else if v == 0 || dirty {
			return fmt.Errorf("the database schema is missing or dirty (version %d); run scimctl migrate up, or start scimd with --migrate", v)
		}
	}
	store := be.Store()

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(),
	)
	reg.MustRegister(be.Collectors()...)
	metrics := httpapi.NewMetrics(reg)

	authn := auth.NewAuthenticator(store, logger, nil)

	var devToken string
	if cfg.devBootstrap {
		devToken, err = devBootstrap(ctx, store, authn, cfg.dataDir, logger)
		if err != nil {
			return fmt.Errorf("dev bootstrap: %w", err)
		}
	}

	handler := httpapi.New(httpapi.Config{
		Store:             store,
		Registry:          cfg.registry,
		Auth:              authn,
		Logger:            logger,
		Metrics:           metrics,
		MaxBodyBytes:      cfg.maxBodyBytes,
		BaseURL:           cfg.baseURL,
		TenantRateLimit:   cfg.tenantRateLimit,
		TenantRateBurst:   cfg.tenantRateBurst,
		TenantMaxInFlight: cfg.tenantMaxInFlight,
	})
	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	apiSrv := &http.Server{
		Handler:           handler,
		ErrorLog:          errLog,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: a large group's member list is streamed and may take longer than any
		// fixed limit; the store's statement timeout bounds the work instead.
	}
	var metricsSrv *http.Server
	if metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, ErrorLog: errLog}))
		metricsSrv = &http.Server{Handler: mux, ErrorLog: errLog, ReadHeaderTimeout: 10 * time.Second}
	}

	// The authenticator's flush loop gets its own context so that it outlives the HTTP servers
	// during shutdown and records the uses of the last in-flight requests.
	flushCtx, stopFlush := context.WithCancel(context.WithoutCancel(ctx))
	var flushDone sync.WaitGroup
	flushDone.Go(func() { authn.Run(flushCtx) })
	defer func() {
		stopFlush()
		flushDone.Wait()
	}()

	serveErr := make(chan error, 2)
	go func() { serveErr <- serve(apiSrv, apiLn) }()
	var metricsAddr net.Addr
	if metricsSrv != nil {
		metricsAddr = metricsLn.Addr()
		go func() { serveErr <- serve(metricsSrv, metricsLn) }()
	}
	attrs := []any{"addr", apiLn.Addr().String(), "database", be.String(), "version", version}
	if metricsAddr != nil {
		attrs = append(attrs, "metrics_addr", metricsAddr.String())
	}
	logger.Info("scimd is serving", attrs...)
	if cfg.devBootstrap {
		printDevHelp(stdout, cfg.baseURL, apiLn.Addr(), devToken)
	}
	if ready != nil {
		ready(apiLn.Addr(), metricsAddr)
	}

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", cfg.shutdownTimeout.String())
	case runErr = <-serveErr:
		logger.Error("server failed; shutting down", "err", runErr)
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.shutdownTimeout)
	defer cancel()
	if err := apiSrv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("in-flight requests did not finish in time", "err", err)
		_ = apiSrv.Close()
	}
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(shutdownCtx)
	}
	stopFlush()
	flushDone.Wait() // the final flush of token use, before the store closes
	logger.Info("scimd stopped")
	return runErr
}

// serve runs srv on ln until Shutdown; http.ErrServerClosed is the normal end.
func serve(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// buildInfo is the scim_build_info gauge: always 1, with the version in its labels, so that
// dashboards can show which version each replica runs.
func buildInfo() prometheus.Collector {
	revision := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "scim_build_info",
		Help:        "Build information of the running scimd; the value is always 1.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}
