package patch

import (
	"encoding/json"
	"strings"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// This file collects every identity-provider shape that RFC 7644 does not describe or
// describes differently, each with the provider and the shape it sends. The engine in
// apply.go calls these helpers at the one point where each shape matters. References are to
// the Entra ID wire reference (docs/entra-id.md cites the sources) and the recorded fixtures.
//
// Handled elsewhere, listed here so that this file is the one index of quirks:
//   - Booleans as the strings "True"/"False"/"false" (Entra ID default job, entra.md §4.6,
//     §5.2), in a path value (`{"op":"Replace","path":"active","value":"False"}`) and inside
//     value objects (`{"op":"replace","value":{"active":"False"}}`): scim.Registry
//     NormalizeValue accepts them for every boolean attribute and sub-attribute.
//   - Path-less value objects with dotted keys ("name.givenName") and URN-qualified keys
//     ("urn:…:enterprise:2.0:User:employeeNumber"), Entra ID with aadOptscim062020 (entra.md
//     §4.4, §5.3): apply.go parses each key as a path.
//   - `replace` with "" or null clears the attribute (Entra ID's 2026 validator
//     SCIM_Null_Update_Test, entra.md §5.12): NormalizeValue returns nil for both and a replace
//     with nil removes the target.
//   - Path-less value objects echoing read-only attributes, e.g. Okta's group rename
//     `{"op":"replace","value":{"id":"…","displayName":"…"}}` (fixtures okta/
//     update_group_name.json): ignored as RFC 7643 §7 asks for readOnly input, as in PUT.
//   - A one-element array `[{"value":id,"$ref":…}]` for the single-valued manager (MS-SCIM
//     Example 5, entra.md §4.5, §5.14) and a bare string for a complex attribute with a "value"
//     sub-attribute (`{"op":"Add","path":"urn:…:User:manager","value":"271"}`, entra.md §4.5):
//     NormalizeValue turns both into {"value": id}.

// normalizeOpName returns the canonical op name, or "" for an unknown one. Entra ID's default
// job sends "Add", "Replace" and "Remove"; with aadOptscim062020 and Okta they are lower case
// (entra.md §5.1). Microsoft's own reference code parses them case-insensitively.
func normalizeOpName(s string) string {
	s = strings.TrimSpace(s)
	for _, op := range []string{OpAdd, OpRemove, OpReplace} {
		if strings.EqualFold(s, op) {
			return op
		}
	}
	return ""
}

// resolveWithoutURN resolves an extension attribute named without its schema URN (see
// scim.Registry.ResolveUnqualified). Entra ID's legacy documentation (MS-SCIM Example 5,
// entra.md §4.5) patches `"path": "manager"` for the enterprise manager; the RFC requires the
// URN.
func resolveWithoutURN(reg *scim.Registry, rt *scim.ResourceType, p filter.AttrPath) (scim.Resolved, bool) {
	return reg.ResolveUnqualified(rt, p)
}

// extensions returns the extension schemas of rt.
func extensions(reg *scim.Registry, rt *scim.ResourceType) []*scim.Schema {
	all := reg.ResourceTypeSchemas(rt)
	if len(all) <= 1 {
		return nil
	}
	return all[1:]
}

// replacesWhole reports whether a new value nv for the single-valued complex attribute a
// replaces the old object instead of merging into it. RFC 7644 §3.5.2.3 merges sub-attributes,
// which is right for name; but a reference (the enterprise manager: value, $ref,
// displayName) whose "value" changes points at another resource, and the old "$ref" and
// "displayName" would describe the previous one. Entra ID changes the manager with
// `{"op":"replace","path":"urn:…:User:manager","value":"<id2>"}` (entra.md §4.5).
func replacesWhole(a *scim.Attribute, nv map[string]any) bool {
	if findSub(a, "value") == nil {
		return false
	}
	_, ok := nv["value"]
	return ok
}

// afterReferenceValueSet drops the stale "$ref" of a single-valued reference object whose
// "value" sub-attribute was just changed through a sub-attribute path
// (`urn:…:User:manager.value`), for the reason given at replacesWhole.
func afterReferenceValueSet(a *scim.Attribute, sub *scim.Attribute, obj map[string]any, old any) {
	if a.MultiValued || sub.Name != "value" || deepEqual(old, obj["value"]) {
		return
	}
	for _, s := range a.SubAttributes {
		if s.Type == scim.TypeReference {
			delete(obj, s.Name)
		}
	}
}

// eqSeed returns the sub-attributes a new element must have to satisfy e, when e is a
// conjunction of `eq` comparisons with non-null literals (`type eq "work"`,
// `type eq "work" and primary eq true`).
//
// Entra ID adds and replaces `emails[type eq "work"].value`,
// `addresses[type eq "work"].streetAddress`, `.locality`, … when the user has no element of
// that type yet, and expects the element to be created instead of RFC 7644's 400 noTarget;
// several such ops in one request must build one element (entra.md §4.4, §5.6; SCIM-SDK#416,
// #680). Any other filter cannot say what to create, and a miss stays noTarget.
func eqSeed(reg *scim.Registry, a *scim.Attribute, e filter.Expr) (map[string]any, bool, error) {
	seed := map[string]any{}
	var walk func(filter.Expr) (bool, error)
	walk = func(e filter.Expr) (bool, error) {
		switch x := e.(type) {
		case *filter.Compare:
			if x.Op != filter.OpEq || x.Value == nil {
				return false, nil
			}
			sub := filterSub(a, x.Path)
			if sub == nil || sub.Mutability == scim.ReadOnly {
				return false, nil
			}
			lit := x.Value
			if n, ok := lit.(filter.Number); ok {
				lit = json.Number(n)
			}
			v, err := reg.NormalizeValue(sub, a.Name+"."+sub.Name, lit)
			if err != nil {
				return false, err
			}
			if v == nil {
				return false, nil
			}
			if old, dup := seed[sub.Name]; dup && !deepEqual(old, v) {
				return false, nil // `type eq "a" and type eq "b"` matches nothing that could be created
			}
			seed[sub.Name] = v
			return true, nil
		case *filter.Logical:
			if !x.And {
				return false, nil
			}
			ok, err := walk(x.Left)
			if !ok || err != nil {
				return ok, err
			}
			return walk(x.Right)
		}
		return false, nil
	}
	ok, err := walk(e)
	if err != nil || !ok {
		return nil, false, err
	}
	return seed, true, nil
}

// parseMembers reads the value of an add, replace or remove on a Group's "members": an array
// of {value, display?, type?, $ref?} objects. "$ref" may be null (Entra ID sends
// `{"$ref": null, "value": id}`, entra.md §4.12) and is ignored: it is derived from value and
// type. Okta sends members without "type" (fixtures okta/update_group_membership.json): Type
// is then "". A single object counts as a one-element array, and so does a bare id string, as
// Microsoft's reference Postman suite sends it (entra.md §5.13) and as POST accepts it.
// Anything else is 400 invalidValue.
func parseMembers(v any) ([]scim.Member, error) {
	var elems []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		elems = x
	case map[string]any, string:
		elems = []any{x}
	default:
		return nil, scim.InvalidValue(`attribute "members" must be an array of objects with a string "value"`)
	}
	out := make([]scim.Member, 0, len(elems))
	for _, e := range elems {
		var m scim.Member
		switch x := e.(type) {
		case nil:
			continue
		case string:
			m.Value = x
		case map[string]any:
			for k, val := range x {
				switch {
				case strings.EqualFold(k, "value"):
					s, ok := val.(string)
					if !ok {
						return nil, scim.InvalidValue(`attribute "members.value" must be a string`)
					}
					m.Value = s
				case strings.EqualFold(k, "type"):
					t, err := memberType(val)
					if err != nil {
						return nil, err
					}
					m.Type = t
				case strings.EqualFold(k, "display"):
					switch d := val.(type) {
					case nil:
					case string:
						m.Display = d
					default:
						return nil, scim.InvalidValue(`attribute "members.display" must be a string`)
					}
				}
			}
		default:
			return nil, scim.InvalidValue(`attribute "members" must be an array of objects with a string "value"`)
		}
		if strings.TrimSpace(m.Value) == "" {
			return nil, scim.InvalidValue(`each element of "members" requires a non-empty string "value"`)
		}
		out = append(out, m)
	}
	return out, nil
}

func memberType(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		switch {
		case t == "":
			return "", nil
		case strings.EqualFold(t, scim.ResourceUser):
			return scim.ResourceUser, nil
		case strings.EqualFold(t, scim.ResourceGroup):
			return scim.ResourceGroup, nil
		}
	}
	return "", scim.InvalidValue(`attribute "members.type" must be "User" or "Group"`)
}

// memberFilterIDs returns the member ids a `members[value eq "id"]` filter names, also
// joined with `or`. Entra ID with aadOptscim062020 and Okta remove one member with
// `{"op":"remove","path":"members[value eq \"id\"]"}` (entra.md §4.13; fixtures okta/
// update_group_membership.json). Membership lives in its own table, so only this shape,
// which becomes a set operation, is supported; ok is false for any other filter.
func memberFilterIDs(e filter.Expr) (ids []string, ok bool) {
	switch x := e.(type) {
	case *filter.Compare:
		if x.Op != filter.OpEq || x.Path.URN != "" {
			return nil, false
		}
		name := x.Path.Attr
		if x.Path.Sub != "" {
			if !strings.EqualFold(x.Path.Attr, "members") {
				return nil, false
			}
			name = x.Path.Sub
		}
		s, isString := x.Value.(string)
		if !strings.EqualFold(name, "value") || !isString || s == "" {
			return nil, false
		}
		return []string{s}, true
	case *filter.Logical:
		if x.And {
			return nil, false
		}
		left, ok := memberFilterIDs(x.Left)
		if !ok {
			return nil, false
		}
		right, ok := memberFilterIDs(x.Right)
		if !ok {
			return nil, false
		}
		return append(left, right...), true
	}
	return nil, false
}

// membersOp turns an operation on the whole "members" attribute into a set operation; nil
// means nothing to do.
//   - add: MemberAdd of the listed members.
//   - replace: MemberReplace; an empty or null value is MemberRemoveAll (Okta replaces the
//     member list with [] to empty a group).
//   - remove without a value: MemberRemoveAll (RFC 7644 §3.5.2.2; Microsoft's Postman "Patch
//     remove all users" sends `{"op":"remove","path":"members"}`).
//   - remove with a value array: MemberRemove of exactly those members, never all. This is
//     Entra ID's default shape `{"op":"Remove","path":"members","value":[{"value":"id"}]}`
//     (entra.md §4.13); a strict RFC server would wipe the group. An empty array removes
//     nothing.
func membersOp(op string, value any) (*scim.MemberOp, error) {
	if op == OpRemove && value == nil {
		return &scim.MemberOp{Kind: scim.MemberRemoveAll}, nil
	}
	members, err := parseMembers(value)
	if err != nil {
		return nil, err
	}
	switch op {
	case OpAdd:
		if len(members) == 0 {
			return nil, nil
		}
		return &scim.MemberOp{Kind: scim.MemberAdd, Members: members}, nil
	case OpReplace:
		if len(members) == 0 {
			return &scim.MemberOp{Kind: scim.MemberRemoveAll}, nil
		}
		return &scim.MemberOp{Kind: scim.MemberReplace, Members: members}, nil
	default:
		if len(members) == 0 {
			return nil, nil
		}
		return &scim.MemberOp{Kind: scim.MemberRemove, Members: members}, nil
	}
}
