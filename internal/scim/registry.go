package scim

import (
	"fmt"
	"strings"

	"github.com/scimd/scimd/internal/filter"
)

// Registry holds the schemas and resource types scimd serves. It is built once by NewRegistry,
// read-only afterwards, and safe for concurrent use.
type Registry struct {
	schemas       []*Schema
	schemaByURN   map[string]*Schema // key: Fold(URN)
	resourceTypes []*ResourceType
	rtByName      map[string]*ResourceType // key: Fold(name)
	// attrs indexes every schema's top-level attributes by Fold(name).
	attrs  map[*Schema]map[string]*Attribute
	common map[string]*Attribute // id, externalId, meta by Fold(name)
	// custom holds the extensions from configuration (NewRegistryWithExtensions).
	custom map[*Schema]bool
}

// NewRegistry returns a registry with the RFC 7643 §8.7 core User schema, the EnterpriseUser
// extension and the core Group schema, the ServiceProviderConfig schema (with RFC 9865
// pagination; no resource type uses it, /Schemas lists it), and the resource types "User"
// (endpoint /Users, with the enterprise extension, not required) and "Group" (endpoint
// /Groups).
func NewRegistry() *Registry {
	r, err := NewRegistryWithExtensions(nil)
	if err != nil {
		panic(err) // no extensions: nothing can collide
	}
	return r
}

// NewRegistryWithExtensions returns NewRegistry's registry with the operator-defined
// extensions exts (see ParseExtensions) added: each is listed, not required, in its resource
// type's schemaExtensions after the built-in ones, and in Schemas after its resource type's
// built-in schemas. It checks again what ParseExtensions checks about the ids and resource
// types, so that a hand-built Extension cannot make an ambiguous registry. The registry keeps
// the schemas; the caller must not modify them afterwards.
func NewRegistryWithExtensions(exts []Extension) (*Registry, error) {
	user := &ResourceType{
		ID:          ResourceUser,
		Name:        ResourceUser,
		Endpoint:    "/Users",
		Description: "User Account",
		Schema:      SchemaUser,
		Extensions:  []SchemaExtension{{Schema: SchemaEnterpriseUser, Required: false}},
	}
	group := &ResourceType{
		ID:          ResourceGroup,
		Name:        ResourceGroup,
		Endpoint:    "/Groups",
		Description: "Group",
		Schema:      SchemaGroup,
	}
	userSchemas := []*Schema{userSchema(), enterpriseUserSchema()}
	groupSchemas := []*Schema{groupSchema()}
	spc := serviceProviderConfigSchema()

	taken := []string{SchemaUser, SchemaEnterpriseUser, SchemaGroup, SchemaServiceConfig}
	owner := map[string]string{}
	for _, id := range taken {
		owner[Fold(id)] = "the built-in schema " + id
	}
	for i, e := range exts {
		if e.Schema == nil {
			return nil, fmt.Errorf("extension %d has no schema", i+1)
		}
		id := e.Schema.ID
		if err := checkExtensionID(id); err != nil {
			return nil, fmt.Errorf("extension %d: %w", i+1, err)
		}
		if err := checkSchemaIDFree(id, taken, owner); err != nil {
			return nil, fmt.Errorf("extension %d: %w", i+1, err)
		}
		taken = append(taken, id)
		owner[Fold(id)] = fmt.Sprintf("extension %d (%s)", i+1, id)
		switch {
		case strings.EqualFold(e.ResourceType, ResourceUser):
			user.Extensions = append(user.Extensions, SchemaExtension{Schema: id})
			userSchemas = append(userSchemas, e.Schema)
		case strings.EqualFold(e.ResourceType, ResourceGroup):
			group.Extensions = append(group.Extensions, SchemaExtension{Schema: id})
			groupSchemas = append(groupSchemas, e.Schema)
		default:
			return nil, fmt.Errorf(`extension %d (%s): unknown resource type %q; use "User" or "Group"`, i+1, id, e.ResourceType)
		}
	}

	r := &Registry{
		schemaByURN:   map[string]*Schema{},
		rtByName:      map[string]*ResourceType{},
		attrs:         map[*Schema]map[string]*Attribute{},
		common:        map[string]*Attribute{},
		custom:        map[*Schema]bool{},
		resourceTypes: []*ResourceType{user, group},
	}
	for _, e := range exts {
		r.custom[e.Schema] = true
	}
	r.schemas = append(append(append(r.schemas, userSchemas...), groupSchemas...), spc)
	for _, s := range r.schemas {
		r.schemaByURN[Fold(s.ID)] = s
		idx := map[string]*Attribute{}
		for _, a := range s.Attributes {
			idx[Fold(a.Name)] = a
		}
		r.attrs[s] = idx
	}
	for _, rt := range r.resourceTypes {
		r.rtByName[Fold(rt.Name)] = rt
	}
	for _, a := range commonAttributes() {
		r.common[Fold(a.Name)] = a
	}
	return r, nil
}

// Schemas returns every schema in a stable order: User, EnterpriseUser, the User extensions
// from configuration, Group, the Group extensions from configuration, ServiceProviderConfig.
// The caller must not modify them.
func (r *Registry) Schemas() []*Schema { return r.schemas }

// Schema returns the schema with the given URN (compared case-insensitively), or nil.
func (r *Registry) Schema(urn string) *Schema { return r.schemaByURN[Fold(urn)] }

// ResourceTypes returns every resource type: User, then Group. The caller must not modify them.
func (r *Registry) ResourceTypes() []*ResourceType { return r.resourceTypes }

// ResourceType returns the resource type named name ("User" or "Group", case-insensitive), or
// nil.
func (r *Registry) ResourceType(name string) *ResourceType { return r.rtByName[Fold(name)] }

// ResourceTypeSchemas returns the schemas of rt: its core schema first, then its extensions.
func (r *Registry) ResourceTypeSchemas(rt *ResourceType) []*Schema {
	if rt == nil {
		return nil
	}
	out := make([]*Schema, 0, 1+len(rt.Extensions))
	if s := r.Schema(rt.Schema); s != nil {
		out = append(out, s)
	}
	for _, e := range rt.Extensions {
		if s := r.Schema(e.Schema); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// extensions returns rt's extension schemas.
func (r *Registry) extensions(rt *ResourceType) []*Schema {
	s := r.ResourceTypeSchemas(rt)
	if len(s) == 0 {
		return nil
	}
	return s[1:]
}

// extension returns the extension schema of rt with the given URN, or nil.
func (r *Registry) extension(rt *ResourceType, urn string) *Schema {
	for _, s := range r.extensions(rt) {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}

// attribute returns the top-level attribute of s named name (case-insensitive), or nil.
func (r *Registry) attribute(s *Schema, name string) *Attribute {
	return r.attrs[s][Fold(name)]
}

// subAttribute returns the sub-attribute of a named name (case-insensitive), or nil.
func subAttribute(a *Attribute, name string) *Attribute {
	for _, s := range a.SubAttributes {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// isExtension reports whether s is an extension schema rather than a core one.
func isExtension(s *Schema) bool {
	return s != nil && !strings.HasPrefix(s.ID, "urn:ietf:params:scim:schemas:core:")
}

// Resolved is an attribute path resolved against a resource type.
type Resolved struct {
	// Schema is the schema that defines Attr; nil for the common attributes id, externalId and
	// meta.
	Schema *Schema
	// Attr is the top-level attribute; Attr.Name is its canonical name.
	Attr *Attribute
	// Sub is the sub-attribute, or nil.
	Sub *Attribute
}

// Extension reports whether Attr lives in an extension schema; documents keep such attributes
// in an object under Schema.ID.
func (p Resolved) Extension() bool { return isExtension(p.Schema) }

// Path returns the canonical dotted name of the path, e.g. "name.givenName", "emails.value" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
func (p Resolved) Path() string {
	if p.Attr == nil {
		return ""
	}
	var b strings.Builder
	if p.Extension() {
		b.WriteString(p.Schema.ID)
		b.WriteByte(':')
	}
	b.WriteString(p.Attr.Name)
	if p.Sub != nil {
		b.WriteByte('.')
		b.WriteString(p.Sub.Name)
	}
	return b.String()
}

// Leaf returns Sub if set, else Attr.
func (p Resolved) Leaf() *Attribute {
	if p.Sub != nil {
		return p.Sub
	}
	return p.Attr
}

// ResolvePath resolves p against rt; names and URNs compare case-insensitively. p.URN may be
// rt's core schema, one of rt's extensions, or "" for core attributes and the common attributes
// id, externalId and meta. An extension attribute is not resolved without its URN, even when
// its name is unique. ok is false for unknown names and for a Sub on a non-complex attribute.
func (r *Registry) ResolvePath(rt *ResourceType, p filter.AttrPath) (Resolved, bool) {
	if rt == nil {
		return Resolved{}, false
	}
	var res Resolved
	core := r.Schema(rt.Schema)
	switch {
	case p.URN == "" || strings.EqualFold(p.URN, rt.Schema):
		if a := r.attribute(core, p.Attr); a != nil {
			res = Resolved{Schema: core, Attr: a}
		} else if a := r.common[Fold(p.Attr)]; a != nil {
			res = Resolved{Attr: a}
		} else {
			return Resolved{}, false
		}
	default:
		ext := r.extension(rt, p.URN)
		if ext == nil {
			return Resolved{}, false
		}
		a := r.attribute(ext, p.Attr)
		if a == nil {
			return Resolved{}, false
		}
		res = Resolved{Schema: ext, Attr: a}
	}
	if p.Sub != "" {
		if res.Attr.Type != TypeComplex {
			return Resolved{}, false
		}
		res.Sub = subAttribute(res.Attr, p.Sub)
		if res.Sub == nil {
			return Resolved{}, false
		}
	}
	return res, true
}

// ResolveUnqualified resolves p, an extension attribute named without its schema URN (p.URN
// is ""), which RFC 7644 does not allow but Entra ID's legacy requests send for the enterprise
// manager (`"path": "manager"`, `manager eq "…"`). The built-in extensions are tried first, so
// that an extension from configuration with an attribute of the same name cannot make those
// requests ambiguous; among the extensions from configuration the name must be unique.
func (r *Registry) ResolveUnqualified(rt *ResourceType, p filter.AttrPath) (Resolved, bool) {
	if p.URN != "" {
		return Resolved{}, false
	}
	var found Resolved
	n := 0
	for _, ext := range r.extensions(rt) {
		res, ok := r.ResolvePath(rt, filter.AttrPath{URN: ext.ID, Attr: p.Attr, Sub: p.Sub})
		if !ok {
			continue
		}
		if !r.custom[ext] {
			return res, true
		}
		found = res
		n++
	}
	return found, n == 1
}
