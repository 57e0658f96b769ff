package scim

import (
	"strings"
)

// Projection is the attributes / excludedAttributes selection of one request (RFC 7644
// §3.4.2.5, §3.9) combined with each attribute's "returned" characteristic:
//   - returned "always" attributes (id) are always in the response and "never" ones
//     (password) never are;
//   - with attributes, only the listed attributes (and "always" ones) are returned; a listed
//     sub-attribute ("emails.value", "name.givenName") returns its parent with only the listed
//     sub-attributes; a listed extension URN returns all of that extension's attributes;
//   - otherwise the "default" attributes are returned minus the excluded ones; an excluded
//     sub-attribute removes only that sub-attribute; "request" attributes only appear when
//     listed in attributes.
//
// Both parameters are mutually exclusive in RFC 7644; when a client sends both, attributes wins
// and excludedAttributes is ignored. The zero value selects every attribute except password.
type Projection struct {
	reg *Registry
	rt  *ResourceType
	// include holds Fold(canonical top-level path) -> the sub-attributes asked for (by Fold of
	// their name), or nil for the whole attribute. include is nil when attributes was not given.
	include map[string]map[string]bool
	// exclude has the same shape for excludedAttributes.
	exclude map[string]map[string]bool
}

// ParseProjection parses the comma-separated attributes and excludedAttributes query
// parameters for rt (whitespace around names is ignored, names are case-insensitive).
// Attribute names the resource type does not define are ignored, as clients send names of
// other resource types or extensions scimd does not have; a syntactically malformed name is a
// 400 invalidPath *Error.
func (r *Registry) ParseProjection(rt *ResourceType, attributes, excludedAttributes string) (Projection, error) {
	p := Projection{reg: r, rt: rt}
	if strings.TrimSpace(attributes) != "" {
		inc, err := r.parseAttrList(rt, "attributes", attributes)
		if err != nil {
			return Projection{}, err
		}
		p.include = inc
		return p, nil
	}
	if strings.TrimSpace(excludedAttributes) != "" {
		exc, err := r.parseAttrList(rt, "excludedAttributes", excludedAttributes)
		if err != nil {
			return Projection{}, err
		}
		p.exclude = exc
	}
	return p, nil
}

// parseAttrList parses one comma-separated list into the include/exclude shape.
func (r *Registry) parseAttrList(rt *ResourceType, param, list string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	set := func(top, sub string) {
		key := Fold(top)
		subs, seen := out[key]
		switch {
		case seen && subs == nil:
			// The whole attribute is already selected.
		case sub == "":
			out[key] = nil
		default:
			if subs == nil {
				subs = map[string]bool{}
				out[key] = subs
			}
			subs[Fold(sub)] = true
		}
	}
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		// A whole extension: "urn:…:enterprise:2.0:User".
		if ext := r.extension(rt, item); ext != nil {
			for _, a := range ext.Attributes {
				set(ext.ID+":"+a.Name, "")
			}
			continue
		}
		urn, name, sub, ok := splitAttrPath(item)
		if !ok {
			return nil, InvalidPath("%s: malformed attribute name %q", param, item)
		}
		var path string
		switch {
		case urn == "" || (rt != nil && strings.EqualFold(urn, rt.Schema)):
			path = name
		case r.extension(rt, urn) != nil:
			path = r.extension(rt, urn).ID + ":" + name
		default:
			continue // an attribute of a schema rt does not have
		}
		if _, known := r.topAttribute(rt, path); !known {
			continue
		}
		set(path, sub)
	}
	return out, nil
}

// splitAttrPath splits "urn:…:attr.sub", "attr.sub" or "attr" (RFC 7644 §3.10 attrPath). The
// attribute starts after the last colon; ok is false for malformed names.
func splitAttrPath(s string) (urn, attr, sub string, ok bool) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		urn, s = s[:i], s[i+1:]
		if urn == "" || strings.ContainsAny(urn, " \t\"[]()") {
			return "", "", "", false
		}
	}
	attr, sub, _ = strings.Cut(s, ".")
	if !validAttrName(attr) || (strings.Contains(s, ".") && !validAttrName(sub)) {
		return "", "", "", false
	}
	return urn, attr, sub, true
}

// validAttrName reports whether s is an ATTRNAME (RFC 7643 §2.1: ALPHA *(nameChar)), allowing
// "$ref".
func validAttrName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '$' && i == 0:
		case i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// topAttribute returns the top-level attribute with canonical (or case-variant) path path:
// "userName", "id", "meta", or "urn:…:User:department".
func (r *Registry) topAttribute(rt *ResourceType, path string) (*Attribute, bool) {
	if rt == nil {
		return nil, false
	}
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		ext := r.extension(rt, path[:i])
		if ext == nil {
			return nil, false
		}
		a := r.attribute(ext, path[i+1:])
		return a, a != nil
	}
	if a := r.attribute(r.Schema(rt.Schema), path); a != nil {
		return a, true
	}
	a := r.common[Fold(path)]
	return a, a != nil
}

// Wants reports whether the top-level attribute with canonical path path ("userName",
// "members", "groups", "emails", "meta", or a URN-qualified extension attribute) belongs in
// the response.
func (p Projection) Wants(path string) bool {
	returned := ReturnedDefault
	if p.reg != nil {
		if a, ok := p.reg.topAttribute(p.rt, path); ok {
			returned = a.Returned
		}
	} else if strings.EqualFold(path, "password") {
		returned = ReturnedNever
	}
	switch returned {
	case ReturnedAlways:
		return true
	case ReturnedNever:
		return false
	}
	key := Fold(path)
	if p.include != nil {
		_, ok := p.include[key]
		return ok
	}
	if returned == ReturnedRequest {
		return false
	}
	subs, excluded := p.exclude[key]
	return !excluded || subs != nil
}

// WantsMembers reports whether a Group's members belong in the response; when false the
// members need not be read at all.
func (p Projection) WantsMembers() bool { return p.Wants("members") }

// WantsGroups reports whether a User's groups belong in the response; when false they need
// not be read at all.
func (p Projection) WantsGroups() bool { return p.Wants("groups") }

// wantsSub reports whether sub-attribute sub of the wanted top-level attribute at path belongs
// in the response.
func (p Projection) wantsSub(path string, sub *Attribute) bool {
	switch sub.Returned {
	case ReturnedAlways:
		return true
	case ReturnedNever:
		return false
	}
	key := Fold(path)
	if p.include != nil {
		subs := p.include[key]
		return subs == nil && sub.Returned != ReturnedRequest || subs[Fold(sub.Name)]
	}
	if sub.Returned == ReturnedRequest {
		return false
	}
	return !p.exclude[key][Fold(sub.Name)]
}

// filter returns v (the value of attribute a at path) restricted to the wanted
// sub-attributes, or nil when nothing is left.
func (p Projection) filter(a *Attribute, path string, v any) any {
	if a == nil || a.Type != TypeComplex {
		return v
	}
	one := func(e any) any {
		m, ok := e.(map[string]any)
		if !ok {
			return e
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			sub := subAttribute(a, k)
			if sub == nil || p.wantsSub(path, sub) {
				out[k] = x
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	arr, ok := v.([]any)
	if !ok {
		return one(v)
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		if f := one(e); f != nil {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
