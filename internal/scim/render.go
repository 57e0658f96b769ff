package scim

import (
	"strconv"
	"strings"
	"time"
)

// timeLayout renders meta timestamps: UTC with milliseconds, the shape Entra ID's examples use.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Render builds the SCIM JSON object of res: "schemas" (the core schema and the extensions the
// document has), "id", "externalId" when set, "meta" {resourceType, created, lastModified,
// location, version}, the document's attributes filtered by proj, then a User's "groups" and a
// Group's "members" when they were loaded (non-nil), not empty and wanted by proj. baseURL is
// the service root, e.g. "https://h/scim/v2". Password is never rendered. The result shares
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
		if m, ok := res.Attributes[ext.ID].(map[string]any); ok && len(m) > 0 {
			schemas = append(schemas, ext.ID)
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
// baseURL/Users/<id> or baseURL/Groups/<id>; type and display only when set); httpapi uses it
// to stream large member lists itself.
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
