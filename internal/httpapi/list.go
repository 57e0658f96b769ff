package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// list serves GET /Users and GET /Groups (RFC 7644 §3.4.2). Unknown query parameters (Entra
// ID's aadOptscim062020, sortBy, sortOrder) are ignored.
// groupsBatch is how many users of a list page get their groups read at once. A page's users
// are all in memory, but their groups only a batch at a time: a page of 1000 users in
// thousands of groups each would otherwise take gigabytes.
const groupsBatch = 50

func (h *resourceHandler) list(w http.ResponseWriter, r *http.Request) {
	h.listWith(w, r, r.URL.Query())
}

// search serves POST /.search (RFC 7644 §3.4.3): the same query as GET, from a SearchRequest
// body.
func (h *resourceHandler) search(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	obj, err := decodeObject(body)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q, err := searchParams(obj)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.listWith(w, r, q)
}

// searchParams turns a SearchRequest body into the equivalent query parameters. Keys compare
// case-insensitively; "attributes" and "excludedAttributes" are arrays of strings (a plain
// string is tolerated); startIndex and count are numbers (numeric strings are tolerated);
// cursor is a string (RFC 9865 §3).
func searchParams(obj map[string]any) (url.Values, error) {
	q := url.Values{}
	for k, v := range obj {
		switch name := strings.ToLower(k); name {
		case "schemas", "sortby", "sortorder":
			// schemas is the message URN; sorting is not supported and ignored as in GET.
		case "attributes", "excludedattributes":
			s, err := stringList(k, v)
			if err != nil {
				return nil, err
			}
			q.Set(k, s)
		case "filter":
			s, ok := v.(string)
			if !ok && v != nil {
				return nil, scim.InvalidValue("filter must be a string")
			}
			q.Set("filter", s)
		case "cursor":
			// RFC 9865 §3: the cursor travels in the body too; "" asks for the first page, so
			// it is kept as a present, empty parameter. null is no cursor at all.
			switch c := v.(type) {
			case string:
				q.Set("cursor", c)
			case nil:
			default:
				return nil, scim.InvalidCursor("cursor must be a string: \"\" for the first page, then the nextCursor of the previous page")
			}
		case "startindex", "count":
			switch n := v.(type) {
			case json.Number:
				q.Set(k, n.String())
			case string:
				q.Set(k, n)
			case nil:
			default:
				return nil, scim.InvalidValue("%s must be an integer", k)
			}
		default:
			return nil, scim.InvalidSyntax("unknown SearchRequest attribute %q", k)
		}
	}
	return q, nil
}

// stringList joins a JSON array of strings with commas.
func stringList(key string, v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return "", scim.InvalidValue("%s must be an array of strings", key)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", scim.InvalidValue("%s must be an array of strings", key)
}

// listQuery parses filter, startIndex, cursor and count. startIndex below 1 is 1 and a
// negative count is 0 (RFC 7644 §3.4.2.4, RFC 9865 §2); count above the maximum is clamped;
// text that is not an integer is a 400 invalidValue.
//
// Index pagination stays the default (what Entra ID and every client written before RFC 9865
// send, and what RFC 9865 §2.4 asks of providers that add cursors). A cursor parameter, even
// empty (`?cursor` or `?cursor=`, the first page), selects cursor pagination; the cursor itself
// is checked by the store, which knows the list it must belong to. startIndex and cursor
// together ask for both methods at once: a 400 rather than a guess (RFC 9865 §2.1, §2.4).
func (h *resourceHandler) listQuery(q url.Values) (scim.Query, error) {
	query := scim.Query{StartIndex: 1, Count: h.pageSize}
	if f := strings.TrimSpace(queryParam(q, "filter")); f != "" {
		expr, err := filter.Parse(f)
		if err != nil {
			return query, err
		}
		query.Filter = expr
	}
	if cursor, ok := queryParamPresent(q, "cursor"); ok {
		if strings.TrimSpace(queryParam(q, "startIndex")) != "" {
			return query, scim.InvalidValue("startIndex and cursor cannot be combined: startIndex asks for index " +
				"pagination, cursor for cursor pagination; send one of them")
		}
		query.ByCursor, query.Cursor = true, cursor
	}
	if s := strings.TrimSpace(queryParam(q, "startIndex")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return query, scim.InvalidValue("startIndex must be an integer, got %q", truncate(s))
		}
		query.StartIndex = max(n, 1)
	}
	if s := strings.TrimSpace(queryParam(q, "count")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return query, scim.InvalidValue("count must be an integer, got %q", truncate(s))
		}
		query.Count = min(max(n, 0), h.maxPageSize)
	}
	return query, nil
}

// queryParamPresent returns the first value of the parameter name (compared
// case-insensitively, as queryParam does) and whether the parameter is present at all, even
// without a value: RFC 9865's first page is `?cursor` or `?cursor=`.
func queryParamPresent(q url.Values, name string) (string, bool) {
	if v, ok := q[name]; ok {
		return firstOf(v), true
	}
	for k, v := range q {
		if strings.EqualFold(k, name) {
			return firstOf(v), true
		}
	}
	return "", false
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// jsonString returns s as a JSON string literal.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// truncate keeps client text quoted in error details short.
func truncate(s string) string {
	const n = 40
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// listWith answers a list or search request with a ListResponse, streamed: users as rendered,
// groups with their members only when the projection wants them.
func (h *resourceHandler) listWith(w http.ResponseWriter, r *http.Request, q url.Values) {
	rt, err := h.resourceType()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	query, err := h.listQuery(q)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	proj, err := h.projection(rt, q)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ctx, tenant := r.Context(), tenantOf(r)
	var result *scim.ListResult
	if h.isGroup() {
		result, err = h.store.ListGroups(ctx, tenant, query)
	} else {
		// Groups are filled a batch of users at a time while the page is written (below).
		result, err = h.store.ListUsers(ctx, tenant, query, false)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	base := h.baseURLFor(r)
	sr := newStreamResponse(w, http.StatusOK)
	// "Resources" is always present, [] when empty: Entra ID's Test Connection expects it.
	var head string
	if query.ByCursor {
		// A cursor page has no startIndex (RFC 9865 §2 examples); nextCursor is present on
		// every page but the last. Cursors are base64url, but they are JSON-encoded all the same.
		next := ""
		if result.NextCursor != "" {
			next = `,"nextCursor":` + jsonString(result.NextCursor)
		}
		head = fmt.Sprintf(`{"schemas":["%s"],"totalResults":%d,"itemsPerPage":%d%s,"Resources":[`,
			scim.MessageListResponse, result.Total, len(result.Resources), next)
	} else {
		head = fmt.Sprintf(`{"schemas":["%s"],"totalResults":%d,"startIndex":%d,"itemsPerPage":%d,"Resources":[`,
			scim.MessageListResponse, result.Total, query.StartIndex, len(result.Resources))
	}
	err = sr.writeString(head)
	withGroups := !h.isGroup() && proj.WantsGroups()
	for i, res := range result.Resources {
		if err == nil && withGroups && i%groupsBatch == 0 {
			err = h.store.FillGroups(ctx, tenant, result.Resources[i:min(i+groupsBatch, len(result.Resources))])
		}
		if err == nil && i > 0 {
			err = sr.writeString(",")
		}
		if err == nil {
			err = h.encodeResource(ctx, sr, tenant, res, h.isGroup(), proj, base)
		}
		res.Groups = nil // written: let it go
	}
	if err == nil {
		err = sr.writeString("]}")
	}
	if err != nil {
		h.failStream(w, r, sr, err)
		return
	}
	sr.finish()
}
