package scim

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// timeLayout renders meta timestamps: UTC with milliseconds, the shape Entra ID's examples use.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Render builds the SCIM JSON object of res: "schemas" (the core schema and the extensions the
// document has values for), "id", "externalId" when set, "meta" {resourceType, created, lastModified,
// location, version}, the document's attributes filtered by proj, then a User's "groups" and a
// Group's "members" when they were loaded (non-nil), not empty and wanted by proj. baseURL is
// the service root, e.g. "https://h/scim/v2". Password is never rendered, nor are values
// stored under a schema or attribute the registry no longer has (an extension removed from the
// configuration): they stay in the document, unseen. The result shares
// unfiltered values with res.Attributes; callers must not modify it.
func (r *Registry) Render(res *Resource, baseURL string, proj Projection) map[string]any {
	rt := r.ResourceType(res.Type)
	if proj.reg == nil {
		proj.reg, proj.rt = r, rt
	}
	baseURL = strings.TrimSuffix(baseURL, "/")
	out := map[string]any{}
	schemas := []any{}
	if rt != nil {
		schemas = append(schemas, rt.Schema)
	}
	for _, ext := range r.extensions(rt) {
		m, _ := res.Attributes[ext.ID].(map[string]any)
		for name := range m {
			if r.attribute(ext, name) != nil {
				// An extension is listed when the document has a value for an attribute it
				// still defines; values of attributes removed from its configuration are kept
				// in the database but neither rendered nor counted.
				schemas = append(schemas, ext.ID)
				break
			}
		}
	}
	out["schemas"] = schemas
	out["id"] = res.ID
	if v, ok := res.Attributes["externalId"]; ok && v != nil && proj.Wants("externalId") {
		out["externalId"] = v
	}
	if proj.Wants("meta") {
		meta := map[string]any{
			"resourceType": res.Type,
			"created":      formatTime(res.Meta.Created),
			"lastModified": formatTime(res.Meta.LastModified),
			"version":      ETag(res.Meta.Version),
		}
		if rt != nil {
			meta["location"] = baseURL + "/" + strings.TrimPrefix(rt.Endpoint, "/") + "/" + res.ID
		}
		out["meta"] = meta
	}

	core := (*Schema)(nil)
	if rt != nil {
		core = r.Schema(rt.Schema)
	}
	for k, v := range res.Attributes {
		if k == "externalId" || v == nil {
			continue
		}
		if ext := r.extension(rt, k); ext != nil {
			m, _ := v.(map[string]any)
			filtered := map[string]any{}
			for name, x := range m {
				a := r.attribute(ext, name)
				path := ext.ID + ":" + name
				if a == nil || !proj.Wants(path) {
					continue
				}
				if f := proj.filter(a, path, x); f != nil {
					filtered[a.Name] = f
				}
			}
			if len(filtered) > 0 {
				out[ext.ID] = filtered
			}
			continue
		}
		a := r.attribute(core, k)
		if a == nil || a.Returned == ReturnedNever || !proj.Wants(a.Name) {
			continue
		}
		if f := proj.filter(a, a.Name, v); f != nil {
			out[a.Name] = f
		}
	}

	if res.Type == ResourceUser && len(res.Groups) > 0 && proj.WantsGroups() {
		groups := make([]any, 0, len(res.Groups))
		for _, g := range res.Groups {
			groups = append(groups, proj.filter(r.attribute(core, "groups"), "groups", groupRefJSON(g, baseURL)))
		}
		out["groups"] = groups
	}
	if res.Type == ResourceGroup && len(res.Members) > 0 && proj.WantsMembers() {
		members := make([]any, 0, len(res.Members))
		for _, m := range res.Members {
			members = append(members, proj.filter(r.attribute(core, "members"), "members", MemberJSON(m, baseURL)))
		}
		out["members"] = members
	}
	return out
}

func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// MemberJSON renders one group member as {value, $ref, type, display} ($ref is
// baseURL/Users/<id> or baseURL/Groups/<id>; type and display only when set). Streaming code
// uses AppendMemberJSON, which writes the same object without building a map.
func MemberJSON(m Member, baseURL string) map[string]any {
	endpoint := "/Users/"
	if m.Type == ResourceGroup {
		endpoint = "/Groups/"
	}
	out := map[string]any{
		"value": m.Value,
		"$ref":  strings.TrimSuffix(baseURL, "/") + endpoint + m.Value,
	}
	if m.Type != "" {
		out["type"] = m.Type
	}
	if m.Display != "" {
		out["display"] = m.Display
	}
	return out
}

// AppendMemberJSON appends to dst the JSON object of one group member, the same object as
// MemberJSON encoded by encoding/json without HTML escaping: keys in encoding/json's (sorted)
// order "$ref", "display" (when set), "type" (when set), "value". It writes the bytes
// directly, so streaming a large member list costs no map and no reflection per member.
func AppendMemberJSON(dst []byte, m Member, baseURL string) []byte {
	endpoint := "/Users/"
	if m.Type == ResourceGroup {
		endpoint = "/Groups/"
	}
	dst = append(dst, `{"$ref":"`...)
	dst = appendJSONStringBody(dst, strings.TrimSuffix(baseURL, "/"))
	dst = appendJSONStringBody(dst, endpoint)
	dst = appendJSONStringBody(dst, m.Value)
	dst = append(dst, '"')
	if m.Display != "" {
		dst = append(dst, `,"display":`...)
		dst = AppendJSONString(dst, m.Display)
	}
	if m.Type != "" {
		dst = append(dst, `,"type":`...)
		dst = AppendJSONString(dst, m.Type)
	}
	dst = append(dst, `,"value":`...)
	dst = AppendJSONString(dst, m.Value)
	return append(dst, '}')
}

// AppendJSONString appends s to dst as a JSON string, escaped exactly as encoding/json does
// with HTML escaping off (the form the HTTP layer writes): '"', '\\' and control characters
// escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped, everything else as is.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONStringBody(dst, s)
	return append(dst, '"')
}

// appendJSONStringBody appends the escaped content of a JSON string, without the quotes.
func appendJSONStringBody(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript; encoding/json escapes them, so do we.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// groupRefJSON renders one entry of a user's groups attribute.
func groupRefJSON(g GroupRef, baseURL string) map[string]any {
	out := map[string]any{
		"value": g.Value,
		"$ref":  strings.TrimSuffix(baseURL, "/") + "/Groups/" + g.Value,
	}
	if g.Display != "" {
		out["display"] = g.Display
	}
	if g.Type != "" {
		out["type"] = g.Type
	}
	return out
}

// ETag returns the weak entity tag W/"<version>" of a resource version.
func ETag(version int64) string {
	return `W/"` + strconv.FormatInt(version, 10) + `"`
}
