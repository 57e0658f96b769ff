package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/scimd/scimd/internal/scim"
)

// readyTimeout bounds the store ping of /readyz.
const readyTimeout = 2 * time.Second

// handleHealthz reports that the process serves HTTP; it checks nothing else.
func (s *server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz reports whether the store answers, for load balancers: 503 when it does not.
func (s *server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger(r).Warn("readiness check failed", "err", err)
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{
			Schemas: []string{scim.MessageError},
			Status:  "503",
			Detail:  "database unavailable",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// noDiscoveryFilter enforces RFC 7644 §4: filtering is not supported on the discovery
// endpoints, and a filter is answered 403 so that a client cannot believe it was applied.
func noDiscoveryFilter(r *http.Request) error {
	if queryParam(r.URL.Query(), "filter") != "" {
		return scim.Errorf(http.StatusForbidden, "", "filter is not supported on this endpoint")
	}
	return nil
}

// handleServiceProviderConfig serves RFC 7643 §5.
func (s *server) handleServiceProviderConfig(w http.ResponseWriter, r *http.Request) {
	if err := noDiscoveryFilter(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	base := s.baseURLFor(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{scim.SchemaServiceConfig},
		"documentationUri": "https://www.rfc-editor.org/rfc/rfc7644",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": s.maxPageSize},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		// Weak ETags (W/"<version>") on every resource; If-Match is honoured on writes.
		"etag": map[string]any{"supported": true},
		// RFC 9865 §4. Index pagination stays the default: Entra ID and older clients page with
		// startIndex and send no pagination parameter to ask for it (§2.4). cursorTimeout is
		// left out on purpose: cursors are keyset positions that never expire, and §4 lets an
		// absent cursorTimeout mean "no cursor timeout".
		"pagination": map[string]any{
			"cursor":                  true,
			"index":                   true,
			"defaultPaginationMethod": "index",
			"defaultPageSize":         s.pageSize,
			"maxPageSize":             s.maxPageSize,
		},
		"authenticationSchemes": []any{map[string]any{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "Authentication with a bearer token issued by the scimd administrator (scimctl token create).",
			"specUri":     "https://www.rfc-editor.org/rfc/rfc6750",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     base + "/ServiceProviderConfig",
		},
	})
}

// resourceTypeJSON renders one resource type (RFC 7643 §6).
func resourceTypeJSON(rt *scim.ResourceType, base string) map[string]any {
	id := rt.ID
	if id == "" {
		id = rt.Name
	}
	m := map[string]any{
		"schemas":     []string{scim.SchemaResourceType},
		"id":          id,
		"name":        rt.Name,
		"endpoint":    rt.Endpoint,
		"description": rt.Description,
		"schema":      rt.Schema,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     base + "/ResourceTypes/" + url.PathEscape(id),
		},
	}
	if len(rt.Extensions) > 0 {
		m["schemaExtensions"] = rt.Extensions
	}
	return m
}

// schemaJSON renders one schema (RFC 7643 §7).
func schemaJSON(sc *scim.Schema, base string) map[string]any {
	attrs := sc.Attributes
	if attrs == nil {
		attrs = []*scim.Attribute{}
	}
	return map[string]any{
		"schemas":     []string{scim.SchemaSchema},
		"id":          sc.ID,
		"name":        sc.Name,
		"description": sc.Description,
		"attributes":  attrs,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     base + "/Schemas/" + sc.ID,
		},
	}
}

// listOf wraps discovery resources in a ListResponse.
func listOf(resources []any) map[string]any {
	return map[string]any{
		"schemas":      []string{scim.MessageListResponse},
		"totalResults": len(resources),
		"startIndex":   1,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}
}

func (s *server) handleResourceTypes(w http.ResponseWriter, r *http.Request) {
	if err := noDiscoveryFilter(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	base := s.baseURLFor(r)
	out := []any{}
	for _, rt := range s.reg.ResourceTypes() {
		out = append(out, resourceTypeJSON(rt, base))
	}
	writeJSON(w, http.StatusOK, listOf(out))
}

func (s *server) handleResourceType(w http.ResponseWriter, r *http.Request) {
	name := pathParam(r, "name")
	rt := s.reg.ResourceType(name)
	if rt == nil {
		s.writeError(w, r, scim.NotFound("ResourceType", name))
		return
	}
	writeJSON(w, http.StatusOK, resourceTypeJSON(rt, s.baseURLFor(r)))
}

func (s *server) handleSchemas(w http.ResponseWriter, r *http.Request) {
	if err := noDiscoveryFilter(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	base := s.baseURLFor(r)
	out := []any{}
	for _, sc := range s.reg.Schemas() {
		out = append(out, schemaJSON(sc, base))
	}
	writeJSON(w, http.StatusOK, listOf(out))
}

func (s *server) handleSchema(w http.ResponseWriter, r *http.Request) {
	urn := pathParam(r, "urn")
	sc := s.reg.Schema(urn)
	if sc == nil {
		s.writeError(w, r, scim.NotFound("Schema", urn))
		return
	}
	writeJSON(w, http.StatusOK, schemaJSON(sc, s.baseURLFor(r)))
}

// pathParam returns a URL parameter, percent-decoded: ids are opaque strings that clients may
// have escaped (entra.md §5 item 15).
func pathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}
