package storetest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// The cursor pagination cases (RFC 9865): keyset cursors over (created_at, id).

// cursorPage is one page of a cursor walk.
type cursorPage struct {
	ids   []string
	total int
	next  string
}

// listFn lists one page of users or groups.
type listFn func(ctx context.Context, q scim.Query) (*scim.ListResult, error)

func usersOf(s scim.Store, tenantID string) listFn {
	return func(ctx context.Context, q scim.Query) (*scim.ListResult, error) {
		return s.ListUsers(ctx, tenantID, q, false)
	}
}

func groupsOf(s scim.Store, tenantID string) listFn {
	return func(ctx context.Context, q scim.Query) (*scim.ListResult, error) {
		return s.ListGroups(ctx, tenantID, q)
	}
}

// walkCursor follows nextCursor from the first page to the last with pages of count, calling
// between (if not nil) after every page, and returns the pages.
func walkCursor(t *testing.T, list listFn, f filter.Expr, count int, between func(p cursorPage)) []cursorPage {
	t.Helper()
	ctx := ctxFor(t)
	var pages []cursorPage
	cursor := ""
	for {
		res, err := list(ctx, scim.Query{Filter: f, Count: count, ByCursor: true, Cursor: cursor})
		require.NoError(t, err, "page %d", len(pages)+1)
		p := cursorPage{total: res.Total, next: res.NextCursor}
		for _, r := range res.Resources {
			p.ids = append(p.ids, r.ID)
		}
		require.LessOrEqual(t, len(p.ids), count, "page %d is larger than count", len(pages)+1)
		pages = append(pages, p)
		require.Less(t, len(pages), 10_000, "the walk does not end")
		if between != nil {
			between(p)
		}
		if res.NextCursor == "" {
			return pages
		}
		cursor = res.NextCursor
	}
}

func idsOf(pages []cursorPage) []string {
	out := []string{}
	for _, p := range pages {
		out = append(out, p.ids...)
	}
	return out
}

// indexOrder lists every match by index pagination: the order a cursor walk must reproduce.
func indexOrder(t *testing.T, list listFn, f filter.Expr) []string {
	t.Helper()
	res, err := list(ctxFor(t), scim.Query{Filter: f, StartIndex: 1, Count: 100_000})
	require.NoError(t, err)
	out := []string{}
	for _, r := range res.Resources {
		out = append(out, r.ID)
	}
	return out
}

// assertWalk checks a finished walk of want (in order) with pages of count: every resource
// exactly once and in order, full pages but the last, nextCursor on every page but the last,
// and an exact totalResults on each.
func assertWalk(t *testing.T, pages []cursorPage, want []string, count int) {
	t.Helper()
	assert.Equal(t, want, idsOf(pages), "every resource exactly once, in (created_at, id) order")
	wantPages := max(1, (len(want)+count-1)/count)
	require.Len(t, pages, wantPages, "%d resources in pages of %d", len(want), count)
	for i, p := range pages {
		assert.Equal(t, len(want), p.total, "page %d: totalResults", i+1)
		if i < len(pages)-1 {
			assert.Len(t, p.ids, count, "page %d is full", i+1)
			assert.NotEmpty(t, p.next, "page %d has a nextCursor", i+1)
		} else {
			assert.Empty(t, p.next, "the last page has no nextCursor")
		}
	}
}

// testCursorWalk walks a tenant of 250 users with pages of 7 (and of 5, which divides 250, so
// the last page is full and must still come without a nextCursor), with and without a filter,
// and a few groups.
func testCursorWalk(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	other := newTenant(t, s, "other")
	const n = 250
	var ids, inactive []string
	for i := range n {
		doc := userDoc(fmt.Sprintf("walk%03d", i))
		doc["active"] = i%3 != 0
		u, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: doc})
		require.NoError(t, err)
		ids = append(ids, u.ID)
		if i%3 == 0 {
			inactive = append(inactive, u.ID)
		}
		if i%50 == 0 {
			newUser(t, s, other.ID, fmt.Sprintf("other%03d", i))
		}
	}
	users := usersOf(s, tn.ID)
	require.Equal(t, ids, indexOrder(t, users, nil), "index pagination lists in creation order")

	for _, count := range []int{7, 5, 1000} {
		t.Run(fmt.Sprintf("all/count=%d", count), func(t *testing.T) {
			assertWalk(t, walkCursor(t, users, nil, count, nil), ids, count)
		})
	}
	t.Run("filter", func(t *testing.T) {
		f := eq("active", "", false)
		require.Equal(t, inactive, indexOrder(t, users, f))
		assertWalk(t, walkCursor(t, users, f, 7, nil), inactive, 7)
	})
	t.Run("filter matching nothing", func(t *testing.T) {
		pages := walkCursor(t, users, eq("userName", "", "nobody"), 7, nil)
		assertWalk(t, pages, []string{}, 7)
	})
	t.Run("count=0", func(t *testing.T) {
		res, err := s.ListUsers(ctx, tn.ID, scim.Query{Count: 0, ByCursor: true}, false)
		require.NoError(t, err)
		assert.Equal(t, n, res.Total)
		assert.Empty(t, res.Resources)
		assert.Empty(t, res.NextCursor, "no page, nothing to continue")
	})
	t.Run("startIndex is ignored", func(t *testing.T) {
		res, err := s.ListUsers(ctx, tn.ID, scim.Query{StartIndex: 100, Count: 3, ByCursor: true}, false)
		require.NoError(t, err)
		require.Len(t, res.Resources, 3)
		assert.Equal(t, ids[0], res.Resources[0].ID)
	})
	t.Run("groups", func(t *testing.T) {
		var gids []string
		for i := range 10 {
			gids = append(gids, newGroup(t, s, tn.ID, fmt.Sprintf("g%d", i)).ID)
		}
		assertWalk(t, walkCursor(t, groupsOf(s, tn.ID), nil, 3, nil), gids, 3)
	})
	t.Run("other tenant", func(t *testing.T) {
		pages := walkCursor(t, usersOf(s, other.ID), nil, 2, nil)
		assert.Len(t, idsOf(pages), 5, "only the other tenant's users")
	})
}

// testCursorTies gives many users the very same created_at, and their neighbours times one
// microsecond before and after it: the id breaks the ties, and the cursor keeps the stored
// microsecond exactly. A cursor rounded to the millisecond (or a Go time finer than the
// stored one) would repeat or skip users here.
func testCursorTies(t *testing.T, s scim.Store) {
	raw, ok := s.(RawDB)
	if !ok {
		t.Skip("the store does not expose its database")
	}
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	groups := []struct {
		prefix string
		n      int
		at     string // RFC 3339 with microseconds: Postgres reads it as timestamptz, and it is SQLite's stored text
	}{
		{"before", 3, "2024-05-06T07:08:09.123456Z"},
		{"tie", 30, "2024-05-06T07:08:09.123457Z"},
		{"after", 3, "2024-05-06T07:08:09.123458Z"},
	}
	for _, g := range groups {
		for i := range g.n {
			newUser(t, s, tn.ID, fmt.Sprintf("%s%02d", g.prefix, i))
		}
		// Test-only SQL with literals (uuids and a timestamp generated here), so it runs
		// unchanged on every backend's placeholder style.
		_, err := raw.DB().ExecContext(ctx, `UPDATE users SET created_at = '`+g.at+`' WHERE tenant_id = '`+tn.ID+
			`' AND user_name LIKE '`+g.prefix+`%'`)
		require.NoError(t, err)
	}
	users := usersOf(s, tn.ID)
	want := indexOrder(t, users, nil)
	require.Len(t, want, 36)
	for _, count := range []int{1, 4, 7} {
		t.Run(fmt.Sprintf("count=%d", count), func(t *testing.T) {
			assertWalk(t, walkCursor(t, users, nil, count, nil), want, count)
		})
	}

	// The cursor holds exactly what the database stored: the last resource's created_at.
	res, err := s.ListUsers(ctx, tn.ID, scim.Query{Count: 5, ByCursor: true}, false)
	require.NoError(t, err)
	require.NotEmpty(t, res.NextCursor)
	pos, err := scim.DecodeCursor(res.NextCursor, scim.ResourceUser, nil)
	require.NoError(t, err)
	last := res.Resources[4]
	assert.Equal(t, last.ID, pos.ID)
	assert.True(t, last.Meta.Created.Equal(pos.Created), "cursor %s, stored %s", pos.Created, last.Meta.Created)
	assert.Equal(t, time.Date(2024, 5, 6, 7, 8, 9, 123457000, time.UTC), pos.Created, "the 4th and 5th are ties")
}

// testCursorPrecision checks that a cursor's time is the stored one for users created
// back-to-back (most in the same millisecond), as read back by GetUser.
func testCursorPrecision(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	for i := range 40 {
		newUser(t, s, tn.ID, fmt.Sprintf("p%02d", i))
	}
	cursor := ""
	for page := 0; ; page++ {
		res, err := s.ListUsers(ctx, tn.ID, scim.Query{Count: 3, ByCursor: true, Cursor: cursor}, false)
		require.NoError(t, err)
		if res.NextCursor == "" {
			break
		}
		pos, err := scim.DecodeCursor(res.NextCursor, scim.ResourceUser, nil)
		require.NoError(t, err)
		stored, err := s.GetUser(ctx, tn.ID, pos.ID, false)
		require.NoError(t, err)
		require.True(t, stored.Meta.Created.Equal(pos.Created), "page %d: cursor %s, stored %s", page, pos.Created, stored.Meta.Created)
		assert.Zero(t, pos.Created.Nanosecond()%1000, "microseconds, as stored")
		cursor = res.NextCursor
	}
}

// testCursorConcurrentWrites walks while users are created (continuously, from another
// goroutine, and between pages) and while the user a cursor points at is deleted: no user
// appears twice, every user that existed before the walk and was not deleted appears once,
// and the walk stays in (created_at, id) order.
func testCursorConcurrentWrites(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	var before []string
	for i := range 60 {
		before = append(before, newUser(t, s, tn.ID, fmt.Sprintf("c%02d", i)).ID)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var created atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Attributes: userDoc(fmt.Sprintf("bg%04d", i))}); err != nil {
				t.Errorf("background create: %v", err)
				return
			}
			created.Add(1)
		}
	}()
	deleted := map[string]bool{}
	pageNo := 0
	pages := walkCursor(t, usersOf(s, tn.ID), nil, 5, func(p cursorPage) {
		pageNo++
		newUser(t, s, tn.ID, fmt.Sprintf("between%03d", pageNo))
		if pageNo%3 == 1 && len(p.ids) > 0 && p.next != "" {
			// Delete the user the next cursor points at: the position needs no row.
			last := p.ids[len(p.ids)-1]
			require.NoError(t, s.DeleteUser(ctx, tn.ID, last, 0))
			deleted[last] = true
		}
		if pageNo == 12 {
			close(stop) // let the walk reach the end
			wg.Wait()
		}
	})
	select {
	case <-stop:
	default:
		close(stop)
		wg.Wait()
	}
	assert.Positive(t, created.Load(), "the background writer ran")

	seen := map[string]int{}
	for _, id := range idsOf(pages) {
		seen[id]++
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "user %s listed %d times", id, n)
	}
	for _, id := range before {
		assert.Equal(t, 1, seen[id], "user %s that existed before the walk", id)
	}
	// Order: every page's users come after the previous page's, by (created, id).
	all := map[string]*scim.Resource{}
	res, err := s.ListUsers(ctx, tn.ID, scim.Query{StartIndex: 1, Count: 100_000}, false)
	require.NoError(t, err)
	for _, r := range res.Resources {
		all[r.ID] = r
	}
	var prev *scim.Resource
	for _, id := range idsOf(pages) {
		r := all[id]
		if r == nil {
			require.True(t, deleted[id], "user %s vanished", id)
			continue
		}
		if prev != nil {
			assert.True(t, prev.Meta.Created.Before(r.Meta.Created) ||
				prev.Meta.Created.Equal(r.Meta.Created) && prev.ID < r.ID, "walk order at %s", id)
		}
		prev = r
	}
}

// testCursorInvalid: a cursor that is not one this store issued for this list is a 400
// invalidCursor, never a 500; a cursor carried to another tenant only positions the walk in
// that tenant.
func testCursorInvalid(t *testing.T, s scim.Store) {
	ctx := ctxFor(t)
	tn := newTenant(t, s, "t")
	other := newTenant(t, s, "other")
	for i := range 4 {
		newUser(t, s, tn.ID, fmt.Sprintf("u%d", i))
		newUser(t, s, other.ID, fmt.Sprintf("o%d", i))
		newGroup(t, s, tn.ID, fmt.Sprintf("g%d", i))
	}
	f := eq("userName", "", "u1")
	res, err := s.ListUsers(ctx, tn.ID, scim.Query{Count: 1, ByCursor: true}, false)
	require.NoError(t, err)
	plain := res.NextCursor
	require.NotEmpty(t, plain)
	res, err = s.ListUsers(ctx, tn.ID, scim.Query{Filter: &filter.Logical{Left: f, Right: eq("userName", "", "u2")}, Count: 1, ByCursor: true}, false)
	require.NoError(t, err)
	filtered := res.NextCursor
	require.NotEmpty(t, filtered)

	for name, q := range map[string]scim.Query{
		"garbage":              {Count: 5, ByCursor: true, Cursor: "not-a-cursor"},
		"truncated":            {Count: 5, ByCursor: true, Cursor: plain[:len(plain)-3]},
		"with a filter":        {Filter: f, Count: 5, ByCursor: true, Cursor: plain},
		"without the filter":   {Count: 5, ByCursor: true, Cursor: filtered},
		"count=0, bad cursor":  {Count: 0, ByCursor: true, Cursor: "x"},
		"non-ASCII":            {Count: 5, ByCursor: true, Cursor: "ünïcödé"},
		"SQL in the cursor":    {Count: 5, ByCursor: true, Cursor: "' OR 1=1 --"},
		"another version byte": {Count: 5, ByCursor: true, Cursor: "Ag" + plain[2:]},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.ListUsers(ctx, tn.ID, q, false)
			assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidCursor)
		})
	}
	_, err = s.ListGroups(ctx, tn.ID, scim.Query{Count: 5, ByCursor: true, Cursor: plain})
	assertSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidCursor)

	// Another tenant's cursor is just a position: it lists the caller's own users after it.
	res, err = s.ListUsers(ctx, other.ID, scim.Query{Count: 10, ByCursor: true, Cursor: plain}, false)
	require.NoError(t, err)
	assert.Equal(t, 4, res.Total)
	for _, r := range res.Resources {
		assert.Contains(t, r.Attributes["userName"], "o", "only the caller's tenant")
	}
}
