package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// syncBuffer is a goroutine-safe writer, for the output of a command running in a goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// provision creates a user in tenant name as token tokenID would through the API, and returns
// the user's id.
func provision(t *testing.T, dbURL, tenant, tokenID, userName string) string {
	t.Helper()
	ctx := context.Background()
	be, err := backend.Open(ctx, backend.Options{URL: dbURL})
	require.NoError(t, err)
	defer be.Close()
	tn, err := be.Store().TenantByName(ctx, tenant)
	require.NoError(t, err)
	r, err := be.Store().CreateUser(scim.WithActor(ctx, tokenID), tn.ID,
		&scim.Resource{Type: scim.ResourceUser, Attributes: map[string]any{"userName": userName}})
	require.NoError(t, err)
	return r.ID
}

// eventRow is one parsed line of the events table.
type eventRow struct {
	id                                              int64
	time, tenant, token, op, typ, resource, outcome string
}

func parseEventTable(t *testing.T, out string) []eventRow {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.NotEmpty(t, lines)
	require.Regexp(t, `^ID\s+TIME\s+TENANT\s+TOKEN\s+OPERATION\s+TYPE\s+RESOURCE ID\s+OUTCOME$`, lines[0])
	var rows []eventRow
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		require.Len(t, f, 8, "line %q", l)
		id, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err)
		rows = append(rows, eventRow{id, f[1], f[2], f[3], f[4], f[5], f[6], f[7]})
	}
	return rows
}

func TestEventsCommand(t *testing.T) {
	t.Parallel()
	for _, b := range []struct {
		name string
		url  func(t *testing.T) string
	}{{"postgres", migratedDB}, {"sqlite", migratedSQLite}} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.url(t)
			assert.Regexp(t, `^ID\s+TIME\s+TENANT\s+TOKEN\s+OPERATION\s+TYPE\s+RESOURCE ID\s+OUTCOME\n$`,
				mustCtl(t, db, "events"), "an empty log is a header")

			fillTenant(t, db, "acme") // 2 users, 2 groups, no token
			mustCtl(t, db, "tenant", "create", "globex")
			tokID := "6b1f3c1e-0000-4000-8000-000000000001"
			u1 := provision(t, db, "globex", tokID, "ada")
			u2 := provision(t, db, "acme", tokID, "grace2")

			rows := parseEventTable(t, mustCtl(t, db, "events"))
			require.Len(t, rows, 6)
			for i, r := range rows {
				if i > 0 {
					assert.Greater(t, r.id, rows[i-1].id, "oldest first")
				}
				assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, r.time)
				assert.Equal(t, "create", r.op)
				assert.Equal(t, "ok", r.outcome)
			}
			assert.Equal(t, eventRow{rows[4].id, rows[4].time, "globex", tokID, "create", "User", u1, "ok"}, rows[4])
			assert.Equal(t, eventRow{rows[5].id, rows[5].time, "acme", tokID, "create", "User", u2, "ok"}, rows[5])
			assert.Equal(t, "-", rows[0].token, "no token made the change")
			assert.Equal(t, []string{"User", "User", "Group", "Group"}, []string{rows[0].typ, rows[1].typ, rows[2].typ, rows[3].typ})

			acme := parseEventTable(t, mustCtl(t, db, "events", "--tenant", "ACME"))
			require.Len(t, acme, 5)
			assert.Equal(t, u2, acme[4].resource)
			for _, r := range acme {
				assert.Equal(t, "acme", r.tenant)
			}

			after := strconv.FormatInt(rows[2].id, 10)
			page := parseEventTable(t, mustCtl(t, db, "events", "--after", after, "--limit", "2"))
			assert.Equal(t, []int64{rows[3].id, rows[4].id}, []int64{page[0].id, page[1].id})
			assert.Len(t, page, 2)
			assert.Len(t, parseEventTable(t, mustCtl(t, db, "events", "--after", strconv.FormatInt(rows[5].id, 10))), 0)

			// NDJSON: one object per event, with the same fields.
			out := mustCtl(t, db, "events", "--json", "--tenant", "globex")
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			require.Len(t, lines, 1, out)
			var got map[string]any
			require.NoError(t, json.Unmarshal([]byte(lines[0]), &got))
			at, err := time.Parse(time.RFC3339Nano, got["time"].(string))
			require.NoError(t, err)
			assert.False(t, at.IsZero())
			delete(got, "time")
			assert.NotEmpty(t, got["tenantId"])
			delete(got, "tenantId")
			assert.Equal(t, map[string]any{"id": float64(rows[4].id), "tenant": "globex", "tokenId": tokID,
				"operation": "create", "resourceType": "User", "resourceId": u1, "outcome": "ok"}, got)
			out = mustCtl(t, db, "events", "--json", "--limit", "1")
			assert.Contains(t, out, `"tokenId":null`)
			assert.Empty(t, mustCtl(t, db, "events", "--json", "--after", strconv.FormatInt(rows[5].id, 10)))
		})
	}
}

func TestEventsFollow(t *testing.T) {
	t.Parallel()
	db := migratedSQLite(t)
	mustCtl(t, db, "tenant", "create", "acme")
	first := provision(t, db, "acme", "", "first")

	start := func(ctx context.Context, args ...string) (*syncBuffer, <-chan error) {
		out, errOut := &syncBuffer{}, &syncBuffer{}
		c := newCLI(func(k string) string { return map[string]string{"SCIMD_DATABASE_URL": db}[k] }, strings.NewReader(""), out, errOut)
		c.pollInterval = 5 * time.Millisecond
		done := make(chan error, 1)
		go func() { done <- c.run(ctx, append([]string{"events", "--follow"}, args...)) }()
		return out, done
	}
	wait := func(done <-chan error) error {
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatal("events --follow did not stop")
			return nil
		}
	}

	// --limit ends --follow once enough events came: the one there, then two new ones.
	out, done := start(context.Background(), "--json", "--limit", "3")
	second := provision(t, db, "acme", "", "second")
	third := provision(t, db, "acme", "", "third")
	require.NoError(t, wait(done))
	var ids []string
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var e eventJSON
		require.NoError(t, json.Unmarshal([]byte(l), &e), l)
		ids = append(ids, e.ResourceID)
	}
	assert.Equal(t, []string{first, second, third}, ids)

	// Canceling the context (Ctrl-C) is the normal end.
	ctx, cancel := context.WithCancel(context.Background())
	out, done = start(ctx)
	fourth := provision(t, db, "acme", "", "fourth")
	require.Eventually(t, func() bool { return strings.Contains(out.String(), fourth) }, time.Minute, 5*time.Millisecond)
	cancel()
	require.NoError(t, wait(done))
	rows := parseEventTable(t, out.String())
	assert.Len(t, rows, 4, "each event once:\n%s", out.String())
}

// lateLog is a provisioning log where event 2 commits only after event 3 was read, as happens
// on PostgreSQL when two transactions commit out of order.
type lateLog struct {
	mu    sync.Mutex
	calls int
}

func (l *lateLog) ListEvents(_ context.Context, tenantID string, after int64, limit int) ([]sqlstore.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	var all []sqlstore.Event
	for id := int64(1); id <= 4; id++ {
		visible := id != 2 && id != 4 || id == 2 && l.calls > 2 || id == 4 && l.calls > 4
		if visible && id > after {
			all = append(all, sqlstore.Event{ID: id, TenantID: tenantID, Operation: "create", ResourceType: "User",
				ResourceID: "u" + strconv.FormatInt(id, 10), Outcome: "ok"})
		}
	}
	return all[:min(limit, len(all))], nil
}

func TestEventsFollowLateCommit(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	src := &eventSource{log: &lateLog{}, tenant: &scim.Tenant{ID: "t1", Name: "acme"}, names: map[string]string{}}
	f := &eventFollower{src: src, out: newEventPrinter(&out, true, src.names), limit: 4}
	require.NoError(t, f.follow(context.Background(), 0, time.Millisecond))
	var got []int64
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var e eventJSON
		require.NoError(t, json.Unmarshal([]byte(l), &e), l)
		got = append(got, e.ID)
	}
	assert.Equal(t, []int64{1, 3, 2, 4}, got, "the late event is printed, and each event once")
}

func TestEventsUsage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "--after", "-1"}, "invalid --after -1"},
		{[]string{"events", "--limit", "-5"}, "invalid --limit -5"},
		{[]string{"events", "--after", "x"}, `invalid value "x" for flag -after`},
		{[]string{"events", "extra"}, `unexpected argument "extra"`},
	} {
		_, _, err := ctl(t, "", tt.args...)
		require.Error(t, err)
		assert.Equal(t, cliflag.ExitUsage, cliflag.ExitCode(err), "%v", tt.args)
		assert.Contains(t, err.Error(), tt.want)
	}
	_, _, err := ctl(t, migratedSQLite(t), "events", "--tenant", "nobody")
	require.Error(t, err)
	assert.Contains(t, describe(err), `tenant "nobody" not found`)

	_, errOut, err := ctl(t, "", "events", "--help")
	assert.Equal(t, 0, cliflag.ExitCode(err))
	for _, want := range []string{"Usage: scimctl events [--tenant NAME] [--after ID] [--limit N] [--follow] [--json]",
		"-follow", "-json", "-limit", "-after", "-tenant", "-database-url"} {
		assert.Contains(t, errOut, want)
	}
	_, errOut, _ = ctl(t, "", "--help")
	assert.Regexp(t, regexp.MustCompile(`events \[--tenant NAME\] \[--after ID\] \[--limit N\] \[--follow\] \[--json\]`), errOut)
}
