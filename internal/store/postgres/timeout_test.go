package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/store/postgres"
)

// TestStatementTimeout checks the session settings each StatementTimeout gives: 0 is no limit
// (scimd's --db-statement-timeout 0), with idle transactions still bounded.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	url := srv.newDatabase(t)
	for _, tt := range []struct {
		name            string
		timeout         time.Duration
		statement, idle string // milliseconds, as pg_settings reports them
	}{
		{"zero is no limit", 0, "0", "60000"},
		{"default", postgres.DefaultStatementTimeout, "30000", "60000"},
		{"short", 5 * time.Second, "5000", "10000"},
		{"long", 10 * time.Minute, "600000", "1200000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			db, err := postgres.Open(ctx, postgres.Config{URL: url, MaxConns: 1, StatementTimeout: tt.timeout})
			require.NoError(t, err)
			defer db.Close()
			setting := func(name string) string {
				var v string
				require.NoError(t, db.Pool().QueryRow(ctx, `SELECT setting FROM pg_settings WHERE name = $1`, name).Scan(&v))
				return v
			}
			assert.Equal(t, tt.statement, setting("statement_timeout"))
			assert.Equal(t, tt.idle, setting("idle_in_transaction_session_timeout"))
		})
	}
}
