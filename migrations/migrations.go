// Package migrations embeds scimd's SQL schema migrations, one directory per database backend,
// in golang-migrate's file format ({version}_{title}.up.sql / .down.sql).
package migrations

import "embed"

// Postgres holds the Postgres migrations under the directory "postgres".
//
//go:embed postgres/*.sql
var Postgres embed.FS

// SQLite holds the migrations of the embedded SQLite backend under the directory "sqlite".
// They create the same tables, columns, keys and indexes as the Postgres ones.
//
//go:embed sqlite/*.sql
var SQLite embed.FS
