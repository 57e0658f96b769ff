package scim

import "time"

// Resource is one User or Group as scimd stores it.
//
// Attributes is the resource's document in canonical attribute names, in the shape of the SCIM
// wire format: core attributes at the top level, extension attributes in an object under their
// schema URN. Values are string, bool, json.Number, []any and map[string]any only. The document
// never holds id, meta, schemas, password, a group's members or a user's groups: those live in
// the fields below (and in their own columns and tables in the store).
type Resource struct {
	ID         string
	Type       string // ResourceUser or ResourceGroup
	Attributes map[string]any
	Meta       Meta

	// PasswordHash is the slow salted hash of a user's password ("" when none). It is written by
	// the store and never rendered.
	PasswordHash string

	// Members of a group, when the caller asked the store for them (nil otherwise).
	Members []Member
	// Groups a user belongs to (the read-only "groups" attribute), when asked for.
	Groups []GroupRef
}

// Meta is the stored part of a resource's meta attribute; resourceType and location are derived.
type Meta struct {
	Created      time.Time
	LastModified time.Time
	// Version increases with every effective change; rendered as the ETag W/"<Version>".
	Version int64
}

// Member is one member of a group: a user or a nested group of the same tenant.
type Member struct {
	Value   string // member id
	Type    string // ResourceUser or ResourceGroup
	Display string
}

// GroupRef is one entry of a user's read-only "groups" attribute.
type GroupRef struct {
	Value   string // group id
	Display string
	Type    string // "direct" (nested groups are not resolved)
}
