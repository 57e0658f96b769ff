package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// Cursor pagination (RFC 9865) over HTTP, on every backend.

// cursorPage is the part of a cursor-paginated ListResponse the tests look at.
type cursorPage struct {
	names      []string
	total      float64
	perPage    float64
	next       string
	hasNext    bool
	startIndex bool
}

// readCursorPage checks a 200 ListResponse of a cursor request and returns its page.
func readCursorPage(t *testing.T, res *response, what string) cursorPage {
	t.Helper()
	res.mustStatus(t, http.StatusOK, what)
	assert.Equal(t, "application/scim+json; charset=utf-8", res.Header.Get("Content-Type"), what)
	assert.Equal(t, []any{scim.MessageListResponse}, res.Body["schemas"], what)
	p := cursorPage{}
	p.total, _ = res.Body["totalResults"].(float64)
	p.perPage, _ = res.Body["itemsPerPage"].(float64)
	_, p.startIndex = res.Body["startIndex"]
	var next any
	next, p.hasNext = res.Body["nextCursor"]
	if p.hasNext {
		s, ok := next.(string)
		require.True(t, ok, "%s: nextCursor is a string: %s", what, res.Raw)
		require.NotEmpty(t, s, "%s: nextCursor is never empty", what)
		p.next = s
	}
	assert.NotContains(t, res.Body, "previousCursor", "%s: keyset cursors only go forward", what)
	list, ok := res.Body["Resources"].([]any)
	require.True(t, ok, "%s: Resources is an array: %s", what, res.Raw)
	for _, r := range list {
		m := r.(map[string]any)
		name, _ := m["userName"].(string)
		if name == "" {
			name, _ = m["displayName"].(string)
		}
		p.names = append(p.names, name)
	}
	assert.Equal(t, float64(len(list)), p.perPage, "%s: itemsPerPage", what)
	return p
}

// walkHTTP follows nextCursor with GET path?<query>&cursor=… from an empty cursor to the end.
func walkHTTP(t *testing.T, e *env, path, query string) []cursorPage {
	t.Helper()
	var pages []cursorPage
	cursor := ""
	for {
		target := path + "?" + query + "&cursor=" + url.QueryEscape(cursor)
		p := readCursorPage(t, e.get(target), "GET "+target)
		pages = append(pages, p)
		require.Less(t, len(pages), 1000, "the walk does not end")
		if !p.hasNext {
			return pages
		}
		cursor = p.next
	}
}

func namesOf(pages []cursorPage) []string {
	out := []string{}
	for _, p := range pages {
		out = append(out, p.names...)
	}
	return out
}

func TestCursorPagination(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newEnv newEnvFunc) {
		e := newEnv(t)
		const n = 23
		var names []string
		for i := range n {
			name := fmt.Sprintf("cursor%02d@example.com", i)
			if i%4 == 0 {
				name = fmt.Sprintf("alpha%02d@example.com", i)
			}
			e.createUser(name, nil)
			names = append(names, name)
		}
		for i := range 3 {
			e.do(request{Method: http.MethodPost, Path: "/Users", Token: e.tokenB,
				Body: map[string]any{"schemas": []string{scim.SchemaUser}, "userName": fmt.Sprintf("b%d@example.com", i)}}).
				mustStatus(t, http.StatusCreated, "create a user of tenant B")
		}

		t.Run("first page", func(t *testing.T) {
			for _, q := range []string{"cursor&count=5", "cursor=&count=5", "count=5&Cursor="} {
				p := readCursorPage(t, e.get("/Users?"+q), q)
				assert.Equal(t, names[:5], p.names, q)
				assert.Equal(t, float64(n), p.total, "%s: totalResults is exact", q)
				assert.True(t, p.hasNext, "%s: nextCursor on the first page", q)
				assert.False(t, p.startIndex, "%s: a cursor page has no startIndex", q)
			}
		})

		t.Run("walk to the end", func(t *testing.T) {
			pages := walkHTTP(t, e, "/Users", "count=5")
			assert.Equal(t, names, namesOf(pages), "every user once, in creation order")
			require.Len(t, pages, 5)
			for i, p := range pages {
				assert.Equal(t, float64(n), p.total, "page %d: totalResults", i+1)
				assert.Equal(t, i < 4, p.hasNext, "page %d: nextCursor on every page but the last", i+1)
			}
			assert.Equal(t, float64(3), pages[4].perPage)
			last := e.get("/Users?count=5&cursor="+url.QueryEscape(pages[3].next)).mustStatus(t, http.StatusOK, "last page")
			assert.NotContains(t, last.Body, "nextCursor", "the last page has no nextCursor at all: %s", last.Raw)
		})

		t.Run("a page that ends exactly at the end", func(t *testing.T) {
			pages := walkHTTP(t, e, "/Users", "count=23")
			require.Len(t, pages, 1)
			assert.False(t, pages[0].hasNext, "all 23 on one page: nothing follows")
			pages = walkHTTP(t, e, "/Users", "count=22")
			require.Len(t, pages, 2)
			assert.Equal(t, names[22:], pages[1].names)
		})

		t.Run("default page size", func(t *testing.T) {
			p := readCursorPage(t, e.get("/Users?cursor"), "no count")
			assert.Len(t, p.names, n)
			assert.False(t, p.hasNext)
		})

		t.Run("count=0", func(t *testing.T) {
			for _, q := range []string{"cursor&count=0", "cursor&count=-3"} {
				p := readCursorPage(t, e.get("/Users?"+q), q)
				assert.Equal(t, float64(n), p.total, q)
				assert.Empty(t, p.names, q)
				assert.False(t, p.hasNext, "%s: no page, nothing to continue", q)
			}
		})

		t.Run("filter", func(t *testing.T) {
			var alphas []string
			for _, name := range names {
				if name[0] == 'a' {
					alphas = append(alphas, name)
				}
			}
			f := url.QueryEscape(`userName sw "alpha"`)
			pages := walkHTTP(t, e, "/Users", "count=2&filter="+f)
			assert.Equal(t, alphas, namesOf(pages))
			for _, p := range pages {
				assert.Equal(t, float64(len(alphas)), p.total)
			}

			// The cursor of one filter, sent with another (or none), is refused.
			next := pages[0].next
			for _, q := range []string{
				"count=2&filter=" + url.QueryEscape(`userName sw "cursor"`),
				"count=2",
			} {
				res := e.get("/Users?" + q + "&cursor=" + url.QueryEscape(next))
				assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidCursor, "cursor with another filter: "+q)
				assert.Contains(t, res.Body["detail"], "same filter")
			}
			// The same filter written differently is the same list.
			res := e.get("/Users?count=2&filter=" + url.QueryEscape(`userName  SW "alpha"`) + "&cursor=" + url.QueryEscape(next))
			assert.Equal(t, alphas[2:4], readCursorPage(t, res, "same filter, other spelling").names)
		})

		t.Run("invalid cursors", func(t *testing.T) {
			valid := readCursorPage(t, e.get("/Users?cursor&count=1"), "first").next
			for name, c := range map[string]string{
				"garbage":    "garbage!",
				"truncated":  valid[:len(valid)-5],
				"too long":   valid + valid + valid + valid,
				"non-ASCII":  "é",
				"padded":     valid + "==",
				"whitespace": " " + valid,
			} {
				res := e.get("/Users?count=2&cursor=" + url.QueryEscape(c))
				assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidCursor, name)
				assertNoLeak(t, res, name)
			}
			// A users cursor on /Groups.
			assertSCIMError(t, e.get("/Groups?cursor="+url.QueryEscape(valid)), http.StatusBadRequest, scim.TypeInvalidCursor, "users cursor on groups")
		})

		t.Run("startIndex and cursor", func(t *testing.T) {
			for _, q := range []string{"startIndex=1&cursor", "cursor=&startIndex=6&count=2"} {
				res := e.get("/Users?" + q)
				assertSCIMError(t, res, http.StatusBadRequest, scim.TypeInvalidValue, q)
				assert.Contains(t, res.Body["detail"], "startIndex and cursor")
			}
			// An empty startIndex is no startIndex.
			readCursorPage(t, e.get("/Users?startIndex=&cursor&count=1"), "empty startIndex")
		})

		t.Run("index pagination stays the default", func(t *testing.T) {
			res := e.get("/Users?count=5&startIndex=6").mustStatus(t, http.StatusOK, "index page")
			assert.Equal(t, 6.0, res.Body["startIndex"])
			assert.NotContains(t, res.Body, "nextCursor")
			res = e.get("/Users?count=5").mustStatus(t, http.StatusOK, "no pagination parameter")
			assert.Equal(t, 1.0, res.Body["startIndex"])
			assert.NotContains(t, res.Body, "nextCursor")
		})

		t.Run("search", func(t *testing.T) {
			search := func(body map[string]any) *response {
				body["schemas"] = []string{scim.MessageSearch}
				return e.post("/Users/.search", body)
			}
			var got []string
			cursor := ""
			for i := 0; ; i++ {
				p := readCursorPage(t, search(map[string]any{"cursor": cursor, "count": 10, "attributes": []string{"userName"}}), "search page")
				got = append(got, p.names...)
				require.Less(t, i, 10)
				if !p.hasNext {
					break
				}
				cursor = p.next
			}
			assert.Equal(t, names, got)
			assertSCIMError(t, search(map[string]any{"cursor": 5}), http.StatusBadRequest, scim.TypeInvalidCursor, "numeric cursor")
			assertSCIMError(t, search(map[string]any{"cursor": "nope", "count": 1}), http.StatusBadRequest, scim.TypeInvalidCursor, "bad cursor")
			assertSCIMError(t, search(map[string]any{"cursor": "", "startIndex": 1}), http.StatusBadRequest, scim.TypeInvalidValue, "both")
			res := search(map[string]any{"cursor": nil, "count": 2}).mustStatus(t, http.StatusOK, "null cursor")
			assert.Equal(t, 1.0, res.Body["startIndex"], "a null cursor is no cursor")
		})

		t.Run("groups", func(t *testing.T) {
			var groups []string
			for i := range 5 {
				name := fmt.Sprintf("Group %d", i)
				e.createGroup(name)
				groups = append(groups, name)
			}
			assert.Equal(t, groups, namesOf(walkHTTP(t, e, "/Groups", "count=2")))
		})

		t.Run("another tenant", func(t *testing.T) {
			valid := readCursorPage(t, e.get("/Users?cursor&count=1"), "first").next
			res := e.do(request{Method: http.MethodGet, Path: "/Users?count=10&cursor=" + url.QueryEscape(valid), Token: e.tokenB})
			p := readCursorPage(t, res, "tenant A's cursor with tenant B's token")
			assert.Equal(t, 3.0, p.total, "only tenant B's users")
			for _, name := range p.names {
				assert.Regexp(t, `^b\d@`, name)
			}
		})
	})
}

func TestServiceProviderConfigPagination(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{}, func(c *httpapiConfig) { c.DefaultPageSize, c.MaxPageSize = 50, 200 })
	res := e.get("/ServiceProviderConfig").mustStatus(t, http.StatusOK, "GET /ServiceProviderConfig")
	assert.Equal(t, map[string]any{
		"cursor":                  true,
		"index":                   true,
		"defaultPaginationMethod": "index",
		"defaultPageSize":         50.0,
		"maxPageSize":             200.0,
	}, res.Body["pagination"], "RFC 9865 §4; no cursorTimeout: cursors do not expire")
}

// TestSchemasPagination: /Schemas describes /ServiceProviderConfig, RFC 9865 pagination
// included, so that the attribute is discoverable like any other.
func TestSchemasPagination(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, &fakeStore{})
	res := e.get("/Schemas/"+scim.SchemaServiceConfig).mustStatus(t, http.StatusOK, "GET the ServiceProviderConfig schema")
	assert.Equal(t, scim.SchemaServiceConfig, res.Body["id"])
	var pagination map[string]any
	for _, a := range res.Body["attributes"].([]any) {
		if m := a.(map[string]any); m["name"] == "pagination" {
			pagination = m
		}
	}
	require.NotNil(t, pagination, "pagination attribute: %s", res.Raw)
	assert.Equal(t, "complex", pagination["type"])
	assert.Equal(t, false, pagination["multiValued"])
	assert.Equal(t, false, pagination["required"], "OPTIONAL in RFC 9865 §4")
	assert.Equal(t, "readOnly", pagination["mutability"])
	subs := map[string]map[string]any{}
	for _, s := range pagination["subAttributes"].([]any) {
		m := s.(map[string]any)
		subs[m["name"].(string)] = m
	}
	for name, want := range map[string]struct {
		typ      string
		required bool
	}{
		"cursor":                  {"boolean", true},
		"index":                   {"boolean", true},
		"defaultPaginationMethod": {"string", false},
		"defaultPageSize":         {"integer", false},
		"maxPageSize":             {"integer", false},
		"cursorTimeout":           {"integer", false},
	} {
		require.Contains(t, subs, name)
		assert.Equal(t, want.typ, subs[name]["type"], name)
		assert.Equal(t, want.required, subs[name]["required"], name)
		assert.Equal(t, "readOnly", subs[name]["mutability"], name)
	}
	assert.Equal(t, []any{"cursor", "index"}, subs["defaultPaginationMethod"]["canonicalValues"])
	assert.Len(t, subs, 6)
}
