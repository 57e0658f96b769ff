package httpapi

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/scim"
)

// Bounded retries of optimistic-concurrency writes. A write loses only when another write to
// the same resource committed after this one read it, and every writer commits once, so a
// writer racing n-1 others loses at most n-1 times: patchAttempts writers to one resource at
// once always all succeed (Entra ID sends up to five PATCHes to one resource at a time). The
// random wait between tries (retryBackoffMax) breaks up the herd so that most need one retry.
const (
	putAttempts   = 16
	patchAttempts = 32
	// retryBackoffMax caps the random wait before a retry.
	retryBackoffMax = 20 * time.Millisecond
	// maxLoggedUnknown bounds the unknown attribute names one log line lists, and
	// maxLoggedName the bytes logged of each: the names are the client's JSON keys, and a
	// megabyte-long key must not become a megabyte of log per request.
	maxLoggedUnknown = 20
	maxLoggedName    = 128
)

// errBusy is returned when optimistic-concurrency retries ran out without an If-Match from the
// client: the resource kept changing under the request.
var errBusy = &scim.Error{Status: http.StatusConflict, Detail: "resource is being modified concurrently; retry the request"}

// resourceHandler serves one resource type's endpoint (/Users or /Groups).
type resourceHandler struct {
	*server
	rtName string
}

// resourceType returns the handler's resource type from the registry.
func (h *resourceHandler) resourceType() (*scim.ResourceType, error) {
	rt := h.reg.ResourceType(h.rtName)
	if rt == nil {
		return nil, errors.New("resource type " + h.rtName + " is not registered")
	}
	return rt, nil
}

func (h *resourceHandler) isGroup() bool { return h.rtName == scim.ResourceGroup }

// tenantOf returns the tenant id of the authenticated request.
func tenantOf(r *http.Request) string {
	if t := tokenFrom(r.Context()); t != nil {
		return t.TenantID
	}
	return ""
}

// queryParam returns a query parameter by name, compared case-insensitively when there is no
// exact match (parameter names are case-insensitive in SCIM practice; Microsoft's own tests
// vary the case of attribute names).
func queryParam(q url.Values, name string) string {
	if v, ok := q[name]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// projection parses attributes / excludedAttributes from q.
func (h *resourceHandler) projection(rt *scim.ResourceType, q url.Values) (scim.Projection, error) {
	return h.reg.ParseProjection(rt, queryParam(q, "attributes"), queryParam(q, "excludedAttributes"))
}

// asksForBody reports whether the request selected attributes explicitly.
func asksForBody(q url.Values) bool {
	return queryParam(q, "attributes") != "" || queryParam(q, "excludedAttributes") != ""
}

// countUnknown logs and counts the attributes Normalize dropped.
func (h *resourceHandler) countUnknown(r *http.Request, rt *scim.ResourceType, unknown []string) {
	if len(unknown) == 0 {
		return
	}
	h.metrics.unknownAttrs.WithLabelValues(rt.Name).Add(float64(len(unknown)))
	names := make([]string, 0, min(len(unknown), maxLoggedUnknown))
	for _, n := range unknown[:cap(names)] {
		if len(n) > maxLoggedName {
			n = strings.ToValidUTF8(n[:maxLoggedName], "") + "…"
		}
		names = append(names, n)
	}
	h.logger(r).Info("dropped unknown attributes", "resource_type", rt.Name, "count", len(unknown), "names", names)
}

// hashPassword runs the slow hasher. Its *scim.Error (too long) reaches the client; any other
// failure is internal.
func (h *resourceHandler) hashPassword(p *string) (string, error) {
	if p == nil {
		return "", nil
	}
	return h.hash(*p)
}

// writeResource answers with one resource: status, ETag, Location for 201, and the body as
// proj selects it (a group's members streamed).
func (h *resourceHandler) writeResource(w http.ResponseWriter, r *http.Request, status int, res *scim.Resource, proj scim.Projection) {
	base := h.baseURLFor(r)
	w.Header().Set("ETag", scim.ETag(res.Meta.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", h.location(res, base))
	}
	sr := newStreamResponse(w, status)
	if err := h.encodeResource(r.Context(), sr, tenantOf(r), res, h.isGroup(), proj, base); err != nil {
		h.failStream(w, r, sr, err)
		return
	}
	sr.finish()
}

// location is the resource's meta.location, built as Render builds it.
func (h *resourceHandler) location(res *scim.Resource, base string) string {
	endpoint := h.rtName + "s"
	if rt := h.reg.ResourceType(h.rtName); rt != nil {
		endpoint = strings.TrimPrefix(rt.Endpoint, "/")
	}
	return base + "/" + endpoint + "/" + res.ID
}

// get serves GET /{id}. A user's groups are read only when the projection wants them; a
// group's members likewise, streamed.
func (h *resourceHandler) get(w http.ResponseWriter, r *http.Request) {
	_, proj, err := h.typeAndProjection(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	res, err := h.read(r, pathParam(r, "id"), proj)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeResource(w, r, http.StatusOK, res, proj)
}

// read loads one resource without members; a user with groups when proj wants them.
func (h *resourceHandler) read(r *http.Request, id string, proj scim.Projection) (*scim.Resource, error) {
	if h.isGroup() {
		return h.store.GetGroup(r.Context(), tenantOf(r), id)
	}
	return h.store.GetUser(r.Context(), tenantOf(r), id, proj.WantsGroups())
}

// create serves POST: decode, normalise, hash the password, store, 201 with the resource.
func (h *resourceHandler) create(w http.ResponseWriter, r *http.Request) {
	rt, proj, in, err := h.decodeWrite(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	res := &scim.Resource{Type: rt.Name, Attributes: in.Attributes}
	var created *scim.Resource
	if h.isGroup() {
		res.Members = in.Members
		created, err = h.store.CreateGroup(r.Context(), tenantOf(r), res)
	} else {
		if res.PasswordHash, err = h.hashPassword(in.Password); err == nil {
			created, err = h.store.CreateUser(r.Context(), tenantOf(r), res)
		}
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.metrics.provisionings.WithLabelValues(rt.Name, opCreate).Inc()
	h.writeResource(w, r, http.StatusCreated, created, proj)
}

// typeAndProjection is what every single-resource handler starts with: the endpoint's
// resource type and the response projection from attributes / excludedAttributes.
func (h *resourceHandler) typeAndProjection(r *http.Request) (*scim.ResourceType, scim.Projection, error) {
	rt, err := h.resourceType()
	if err != nil {
		return nil, scim.Projection{}, err
	}
	proj, err := h.projection(rt, r.URL.Query())
	return rt, proj, err
}

// decodeWrite is the start of POST and PUT: typeAndProjection, then the decoded body.
func (h *resourceHandler) decodeWrite(r *http.Request) (*scim.ResourceType, scim.Projection, *scim.Input, error) {
	rt, proj, err := h.typeAndProjection(r)
	if err != nil {
		return nil, proj, nil, err
	}
	in, err := h.decodeInput(r, rt)
	return rt, proj, in, err
}

// parsePatchBody reads and parses a PATCH body.
func parsePatchBody(r *http.Request) ([]patch.Operation, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return patch.Parse(body)
}

// decodeInput reads and normalises a POST or PUT body, counting dropped attributes.
func (h *resourceHandler) decodeInput(r *http.Request, rt *scim.ResourceType) (*scim.Input, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	in, err := h.reg.Normalize(rt, obj)
	if err != nil {
		return nil, err
	}
	h.countUnknown(r, rt, in.Unknown)
	return in, nil
}

// ifMatch returns the version an If-Match header pins, and whether one was sent. "*" pins
// nothing. A header that names no version of ours can never match: version -1.
func ifMatch(r *http.Request) (int64, bool) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, false
	}
	tag := strings.TrimPrefix(h, "W/")
	tag = strings.TrimSuffix(strings.TrimPrefix(tag, `"`), `"`)
	v, err := strconv.ParseInt(tag, 10, 64)
	if err != nil || v < 1 {
		return -1, true
	}
	return v, true
}

// checkIfMatch compares the read version with If-Match.
func checkIfMatch(r *http.Request, version int64) error {
	if want, ok := ifMatch(r); ok && want != version {
		return scim.ErrVersionMismatch
	}
	return nil
}

// retryable reports whether a failed optimistic write should be tried again: the version moved
// on, the client did not pin one, and attempts remain. When attempts ran out the error becomes
// errBusy (a client that sent no If-Match should not see 412).
func retryable(r *http.Request, err error, attempt, attempts int) (bool, error) {
	if !errors.Is(err, scim.ErrVersionMismatch) {
		return false, err
	}
	if _, pinned := ifMatch(r); pinned {
		return false, err
	}
	if attempt+1 >= attempts {
		return false, errBusy
	}
	// Random wait growing with the attempt (1, 2, 4 … ms, capped), so that writers that lost
	// together do not collide again.
	limit := min(time.Millisecond<<attempt, retryBackoffMax)
	t := time.NewTimer(rand.N(limit) + time.Millisecond)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false, r.Context().Err()
	case <-t.C:
	}
	return true, nil
}

// replace serves PUT: the body replaces the resource's attributes (immutable attributes must
// not change), guarded by the version read, retried on concurrent writes.
func (h *resourceHandler) replace(w http.ResponseWriter, r *http.Request) {
	rt, proj, in, err := h.decodeWrite(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hash, err := h.hashPassword(in.Password)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	id := pathParam(r, "id")
	ctx, tenant := r.Context(), tenantOf(r)
	var updated *scim.Resource
	for attempt := 0; ; attempt++ {
		cur, err := h.read(r, id, proj)
		if err == nil {
			err = checkIfMatch(r, cur.Meta.Version)
		}
		if err == nil {
			err = h.reg.CheckImmutable(rt, cur.Attributes, in.Attributes)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		next := &scim.Resource{ID: cur.ID, Type: rt.Name, Attributes: in.Attributes, PasswordHash: hash}
		switch {
		case !h.isGroup():
			updated, err = h.store.ReplaceUser(ctx, tenant, next, cur.Meta.Version)
			if err == nil {
				updated.Groups = cur.Groups // PUT cannot change groups (readOnly)
			}
		default:
			// Without a "members" key the members are not asserted and stay as they are,
			// without being read (nil Members; see the package comment); "members": [] or null
			// empties the group.
			if in.MembersSent {
				next.Members = in.Members
				if next.Members == nil {
					next.Members = []scim.Member{}
				}
			}
			updated, err = h.store.ReplaceGroup(ctx, tenant, next, cur.Meta.Version)
		}
		if err == nil {
			break
		}
		again, err := retryable(r, err, attempt, putAttempts)
		if !again {
			h.writeError(w, r, err)
			return
		}
	}
	h.metrics.provisionings.WithLabelValues(rt.Name, opReplace).Inc()
	h.writeResource(w, r, http.StatusOK, updated, proj)
}

// patch serves PATCH (RFC 7644 §3.5.2): read, apply, write with the version read, retried on
// concurrent writes. Group member operations become set operations in the store, never a
// read of the member list.
func (h *resourceHandler) patch(w http.ResponseWriter, r *http.Request) {
	rt, proj, err := h.typeAndProjection(r)
	var ops []patch.Operation
	if err == nil {
		ops, err = parsePatchBody(r)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	id := pathParam(r, "id")
	ctx, tenant := r.Context(), tenantOf(r)

	var (
		res         *scim.Resource
		unknown     []string
		membersOnly bool
		hash        string
		hashedFor   *string
	)
	for attempt := 0; ; attempt++ {
		cur, err := h.read(r, id, proj)
		if err == nil {
			err = checkIfMatch(r, cur.Meta.Version)
		}
		var result *patch.Result
		if err == nil {
			result, err = patch.Apply(h.reg, rt, cur.Attributes, ops)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		unknown = result.Unknown
		if h.isGroup() {
			membersOnly = !result.Changed && len(result.MemberOps) > 0
			if !result.Changed && len(result.MemberOps) == 0 {
				res = cur
				break
			}
			gp := scim.GroupPatch{MemberOps: result.MemberOps}
			if result.Changed {
				gp.Attributes, gp.ExpectVersion = result.Attributes, cur.Meta.Version
			}
			res, err = h.store.PatchGroup(ctx, tenant, id, gp)
		} else {
			if !result.Changed && result.Password == nil {
				// Nothing to write: the version (and ETag) stay as they are.
				res = cur
				break
			}
			if result.Password != nil && (hashedFor == nil || *hashedFor != *result.Password) {
				if hash, err = h.hashPassword(result.Password); err != nil {
					h.writeError(w, r, err)
					return
				}
				hashedFor = result.Password
			}
			next := &scim.Resource{ID: cur.ID, Type: rt.Name, Attributes: result.Attributes}
			if result.Password != nil {
				next.PasswordHash = hash
			}
			res, err = h.store.PatchUser(ctx, tenant, next, cur.Meta.Version)
			if err == nil {
				res.Groups = cur.Groups
			}
		}
		if err == nil {
			h.metrics.provisionings.WithLabelValues(rt.Name, opPatch).Inc()
			break
		}
		again, err := retryable(r, err, attempt, patchAttempts)
		if !again {
			h.writeError(w, r, err)
			return
		}
	}
	h.countUnknown(r, rt, unknown)
	if membersOnly && !asksForBody(q) {
		// Entra ID expects 204 for membership PATCHes, and answering with the group would mean
		// streaming a possibly huge member list back.
		w.Header().Set("ETag", scim.ETag(res.Meta.Version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.writeResource(w, r, http.StatusOK, res, proj)
}

// delete serves DELETE: 204, 404 for an unknown id, 412 when If-Match names another version.
// The version check is part of the DELETE statement, so a write that lands between the
// client's read and its delete is never deleted unseen.
func (h *resourceHandler) delete(w http.ResponseWriter, r *http.Request) {
	id := pathParam(r, "id")
	ctx, tenant := r.Context(), tenantOf(r)
	version, _ := ifMatch(r)
	var err error
	if h.isGroup() {
		err = h.store.DeleteGroup(ctx, tenant, id, version)
	} else {
		err = h.store.DeleteUser(ctx, tenant, id, version)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.metrics.provisionings.WithLabelValues(h.rtName, opDelete).Inc()
	w.WriteHeader(http.StatusNoContent)
}
