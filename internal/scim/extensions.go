package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// This file reads operator-defined extension schemas: the JSON file of scimd's
// --schema-extensions flag (docs/operations.md, "Custom schema extensions"). The file is a JSON
// array; each element names the resource type it extends and holds the schema in the RFC 7643
// §7 form GET /Schemas returns:
//
//	[{"resourceType": "User", "required": false,
//	  "schema": {"id": "urn:…:CustomExtensionName:2.0:User", "name": "…", "description": "…",
//	             "attributes": [{"name": "costCenterCode", "type": "string", …}]}}]
//
// Omitted characteristics get the RFC 7643 §2.2 defaults (type string, multiValued, required
// and caseExact false, mutability readWrite, returned default, uniqueness none), except that a
// writeOnly attribute is returned "never" by default (§7: its values "SHALL NOT be returned").
// Everything scimd could not honour is refused with a one-line error rather than accepted and
// ignored:
//   - "required": true on an extension: users and groups stored before the extension was
//     configured have no value for it, and identity providers leave attributes without a value
//     out of their requests, so scimd could neither keep nor enforce the promise;
//   - uniqueness "server" or "global": scimd enforces uniqueness for userName only;
//   - mutability "readOnly": scimd never writes extension attributes itself, so such an
//     attribute could never have a value;
//   - complex sub-attributes (RFC 7643 §2.3.8 forbids them), multi-valued sub-attributes and
//     immutable sub-attributes of multi-valued attributes (elements have no identity to
//     compare), which the filter, PATCH and PUT engines do not support.
//
// Schema ids are restricted to what every layer handles unescaped, from filter paths to JSON
// paths in SQL: "urn:" and colon-separated segments of letters, digits, ".", "-" and "_", the
// last one an attribute-like name ("User") so that the bare URN parses as a PATCH path and as
// an attributes parameter.

// Extension is one operator-defined extension schema, as ParseExtensions returns it.
type Extension struct {
	// ResourceType is the name of the resource type extended: ResourceUser or ResourceGroup.
	ResourceType string
	// Schema is the extension schema, with defaults applied and values in canonical case.
	Schema *Schema
}

// maxExtensionIDLength bounds schema ids; they appear in every stored document that uses them.
const maxExtensionIDLength = 256

// reservedSchemaPrefixes are namespaces an operator may not define schemas in: the SCIM core
// schemas (documents keep core attributes at the top level, not under their URN) and the
// protocol messages.
var reservedSchemaPrefixes = []string{"urn:ietf:params:scim:schemas:core:", "urn:ietf:params:scim:api:"}

// ParseExtensions parses and validates a schema extensions file (see the top of this file).
// Every error is one line naming the place in the file: a line and column for malformed JSON,
// the extension and attribute otherwise. An empty array is valid and means no extensions.
func ParseExtensions(data []byte) ([]Extension, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark (Windows editors)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty; write [] for no extensions")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, jsonSyntaxError(data, dec, err)
	}
	list, ok := doc.([]any)
	if !ok {
		return nil, fmt.Errorf("the file must hold a JSON array of extensions, not %s", jsonKind(doc))
	}
	end := int(dec.InputOffset())
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		line, col := lineColumn(data, len(data)-len(rest))
		return nil, fmt.Errorf("line %d, column %d: unexpected data after the JSON array", line, col)
	}
	base := NewRegistry()
	out := make([]Extension, 0, len(list))
	for i, v := range list {
		ext, err := parseExtension(base, fmt.Sprintf("extension %d", i+1), v)
		if err != nil {
			return nil, err
		}
		out = append(out, ext)
	}
	// Ids that collide with a built-in schema or with each other.
	if _, err := NewRegistryWithExtensions(out); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonSyntaxError turns a decoding error into a message with the line and column.
func jsonSyntaxError(data []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Offset is just past the offending byte.
		line, col := lineColumn(data, int(se.Offset)-1)
		return fmt.Errorf("line %d, column %d: invalid JSON: %v", line, col, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineColumn(data, len(data))
		return fmt.Errorf("line %d, column %d: invalid JSON: unexpected end of the file", line, col)
	}
	line, col := lineColumn(data, int(dec.InputOffset()))
	return fmt.Errorf("line %d, column %d: invalid JSON: %v", line, col, strings.TrimPrefix(err.Error(), "json: "))
}

// lineColumn returns the 1-based line and column (in bytes) of offset in data.
func lineColumn(data []byte, offset int) (line, col int) {
	offset = max(0, min(offset, len(data)))
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = 1 + len(before) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

// jsonKind names the JSON type of a decoded value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// object checks that v is a JSON object with only the given keys.
func object(v any, what string, keys ...string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a JSON object, not %s", what, jsonKind(v))
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(keys, k) {
			return nil, fmt.Errorf("%s has an unknown field %q (fields are %s; names are case-sensitive)", what, k, strings.Join(keys, ", "))
		}
	}
	return m, nil
}

// stringField returns m[key] as a string; ok is false when the key is absent.
func stringField(m map[string]any, key string) (s string, ok bool, err error) {
	v, present := m[key]
	if !present {
		return "", false, nil
	}
	s, isString := v.(string)
	if !isString {
		return "", false, fmt.Errorf("%q must be a string, not %s", key, jsonKind(v))
	}
	return s, true, nil
}

// boolField returns m[key] as a boolean, false when absent.
func boolField(m map[string]any, key string) (bool, error) {
	v, present := m[key]
	if !present {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%q must be true or false, not %s", key, jsonKind(v))
	}
	return b, nil
}

// stringsField returns m[key] as a list of non-empty strings; nil when absent.
func stringsField(m map[string]any, key string) ([]string, error) {
	v, present := m[key]
	if !present {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%q must be an array of strings, not %s", key, jsonKind(v))
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("%q must be an array of non-empty strings", key)
		}
		out = append(out, s)
	}
	return out, nil
}

// oneOf returns the value of allowed that s names (case-insensitively), or an error listing
// them.
func oneOf(key, s string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown %s %q; use %s", key, s, strings.Join(allowed, ", "))
}

// parseExtension reads one element of the file.
func parseExtension(base *Registry, where string, v any) (Extension, error) {
	m, err := object(v, where, "resourceType", "required", "schema")
	if err != nil {
		return Extension{}, err
	}
	s, ok := m["schema"]
	if !ok {
		return Extension{}, fmt.Errorf(`%s: missing "schema" (the extension schema in the form GET /Schemas returns)`, where)
	}
	schema, err := parseExtensionSchema(where, s)
	if err != nil {
		return Extension{}, err
	}
	where = fmt.Sprintf("%s (%s)", where, schema.ID)
	name, ok, err := stringField(m, "resourceType")
	switch {
	case err != nil:
		return Extension{}, fmt.Errorf("%s: %w", where, err)
	case !ok:
		return Extension{}, fmt.Errorf(`%s: missing "resourceType" ("User" or "Group")`, where)
	}
	rt := base.ResourceType(name)
	if rt == nil {
		return Extension{}, fmt.Errorf(`%s: unknown resourceType %q; use "User" or "Group"`, where, name)
	}
	required, err := boolField(m, "required")
	if err != nil {
		return Extension{}, fmt.Errorf("%s: %w", where, err)
	}
	if required {
		return Extension{}, fmt.Errorf(`%s: "required": true is not supported: %ss stored before the extension was configured have no value for it, `+
			`and identity providers leave out attributes that have no value, so scimd could not keep the promise; `+
			`leave "required" out (or false), and mark single attributes "required" instead`, where, strings.ToLower(rt.Name))
	}
	return Extension{ResourceType: rt.Name, Schema: schema}, nil
}

// parseExtensionSchema reads the "schema" object of an extension.
func parseExtensionSchema(where string, v any) (*Schema, error) {
	m, err := object(v, where+": schema", "id", "name", "description", "attributes", "schemas", "meta")
	if err != nil {
		return nil, err
	}
	id, ok, err := stringField(m, "id")
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: schema %w", where, err)
	case !ok:
		return nil, fmt.Errorf(`%s: schema: missing "id" (the schema URN, e.g. "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User")`, where)
	}
	if err := checkExtensionID(id); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	where = fmt.Sprintf("%s (%s)", where, id)
	s := &Schema{ID: id}
	if s.Name, _, err = stringField(m, "name"); err != nil {
		return nil, fmt.Errorf("%s: schema %w", where, err)
	}
	if s.Description, _, err = stringField(m, "description"); err != nil {
		return nil, fmt.Errorf("%s: schema %w", where, err)
	}
	// "schemas" and "meta" are what GET /Schemas adds around a schema; a schema copied from
	// there may keep them.
	if _, err := stringsField(m, "schemas"); err != nil {
		return nil, fmt.Errorf("%s: schema %w", where, err)
	}
	attrs, ok := m["attributes"].([]any)
	if !ok || len(attrs) == 0 {
		return nil, fmt.Errorf(`%s: schema "attributes" must be a non-empty array of attribute definitions`, where)
	}
	seen := map[string]bool{}
	for i, av := range attrs {
		a, err := parseExtensionAttribute(fmt.Sprintf("%s: attribute %d", where, i+1), av, nil)
		if err != nil {
			return nil, err
		}
		if seen[Fold(a.Name)] {
			return nil, fmt.Errorf("%s: attribute %q is defined twice (attribute names compare case-insensitively)", where, a.Name)
		}
		seen[Fold(a.Name)] = true
		s.Attributes = append(s.Attributes, a)
	}
	return s, nil
}

// referenceTypes are the referenceTypes values an extension attribute may use (RFC 7643 §7):
// scimd's resource types, "external" and "uri".
var referenceTypes = []string{ResourceUser, ResourceGroup, "external", "uri"}

// parseExtensionAttribute reads one attribute definition; parent is the complex attribute of a
// sub-attribute, nil for a top-level attribute. where names the definition by position until
// its name is known.
func parseExtensionAttribute(where string, v any, parent *Attribute) (*Attribute, error) {
	m, isObject := v.(map[string]any)
	if !isObject {
		return nil, fmt.Errorf("%s must be a JSON object, not %s", where, jsonKind(v))
	}
	name, ok, err := stringField(m, "name")
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", where, err)
	case !ok:
		return nil, fmt.Errorf(`%s: missing "name"`, where)
	}
	full := name
	if parent != nil {
		full = parent.Name + "." + name
	}
	if !isAttrName(name) && !(parent != nil && name == "$ref") {
		return nil, fmt.Errorf("%s: invalid attribute name %q: a name starts with a letter, followed by letters, digits, \"-\" or \"_\" (RFC 7643 §2.1)", where, full)
	}
	// From here on the attribute is named by its name rather than its position.
	where = strings.SplitN(where, ": attribute ", 2)[0] + fmt.Sprintf(": attribute %q", full)
	if _, err := object(v, where, "name", "type", "multiValued", "description", "required", "canonicalValues",
		"caseExact", "mutability", "returned", "uniqueness", "referenceTypes", "subAttributes"); err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
	}

	a := attr(name, TypeString, "")
	if s, ok, err := stringField(m, "type"); err != nil {
		return nil, fail("%v", err)
	} else if ok {
		t, err := oneOf("type", s, string(TypeString), string(TypeBoolean), string(TypeDecimal), string(TypeInteger),
			string(TypeDateTime), string(TypeBinary), string(TypeReference), string(TypeComplex))
		if err != nil {
			return nil, fail("%v", err)
		}
		a.Type = AttrType(t)
	}
	if a.Description, _, err = stringField(m, "description"); err != nil {
		return nil, fail("%v", err)
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"multiValued", &a.MultiValued}, {"required", &a.Required}, {"caseExact", &a.CaseExact}} {
		if *b.dst, err = boolField(m, b.key); err != nil {
			return nil, fail("%v", err)
		}
	}
	var returnedSet bool
	for _, c := range []struct {
		key     string
		dst     *string
		set     *bool
		allowed []string
	}{
		{"mutability", &a.Mutability, nil, []string{ReadOnly, ReadWrite, Immutable, WriteOnly}},
		{"returned", &a.Returned, &returnedSet, []string{ReturnedAlways, ReturnedNever, ReturnedDefault, ReturnedRequest}},
		{"uniqueness", &a.Uniqueness, nil, []string{UniqueNone, UniqueServer, UniqueGlobal}},
	} {
		s, ok, err := stringField(m, c.key)
		if err != nil {
			return nil, fail("%v", err)
		}
		if !ok {
			continue
		}
		if *c.dst, err = oneOf(c.key, s, c.allowed...); err != nil {
			return nil, fail("%v", err)
		}
		if c.set != nil {
			*c.set = true
		}
	}
	if a.CanonicalValues, err = stringsField(m, "canonicalValues"); err != nil {
		return nil, fail("%v", err)
	}
	refs, err := stringsField(m, "referenceTypes")
	if err != nil {
		return nil, fail("%v", err)
	}
	for _, r := range refs {
		canon, err := oneOf("referenceTypes value", r, referenceTypes...)
		if err != nil {
			return nil, fail("%v", err)
		}
		a.ReferenceTypes = append(a.ReferenceTypes, canon)
	}

	switch {
	case name == "$ref" && a.Type != TypeReference:
		return nil, fail(`a "$ref" sub-attribute must have type "reference"`)
	case parent != nil && a.Type == TypeComplex:
		return nil, fail("a sub-attribute cannot be complex (RFC 7643 §2.3.8: complex attributes have simple sub-attributes only)")
	case parent != nil && a.MultiValued:
		return nil, fail("multi-valued sub-attributes are not supported; make the parent attribute multi-valued instead")
	case a.Type == TypeReference && len(a.ReferenceTypes) == 0:
		return nil, fail(`a reference attribute needs "referenceTypes" (%s)`, strings.Join(referenceTypes, ", "))
	case a.Type != TypeReference && m["referenceTypes"] != nil:
		return nil, fail(`"referenceTypes" is only for attributes of type "reference"`)
	case a.CanonicalValues != nil && a.Type != TypeString && a.Type != TypeReference:
		return nil, fail(`"canonicalValues" is only for attributes of type "string" or "reference"`)
	case a.Uniqueness != UniqueNone:
		return nil, fail("uniqueness %q is not supported for extension attributes (scimd enforces uniqueness for userName only); use \"none\"", a.Uniqueness)
	case a.Mutability == ReadOnly:
		return nil, fail(`mutability "readOnly" is not supported for extension attributes: scimd never sets them itself, so the attribute could never have a value; use "readWrite" or "immutable"`)
	case a.Mutability == Immutable && parent != nil && parent.MultiValued:
		return nil, fail(`mutability "immutable" is not supported for sub-attributes of a multi-valued attribute (its values have no identity to compare); make the whole attribute immutable instead`)
	case a.Mutability == WriteOnly && returnedSet && a.Returned != ReturnedNever:
		return nil, fail(`a writeOnly attribute must be returned "never" (RFC 7643 §7), not %q`, a.Returned)
	}
	if a.Mutability == WriteOnly {
		a.Returned = ReturnedNever
	}

	subs, hasSubs := m["subAttributes"]
	switch {
	case a.Type != TypeComplex && hasSubs:
		return nil, fail(`"subAttributes" is only for attributes of type "complex"`)
	case a.Type == TypeComplex:
		list, ok := subs.([]any)
		if !ok || len(list) == 0 {
			return nil, fail(`a complex attribute needs "subAttributes": a non-empty array of attribute definitions`)
		}
		seen := map[string]bool{}
		for i, sv := range list {
			sub, err := parseExtensionAttribute(fmt.Sprintf("%s: attribute %d", where, i+1), sv, a)
			if err != nil {
				return nil, err
			}
			if seen[Fold(sub.Name)] {
				return nil, fail("sub-attribute %q is defined twice (attribute names compare case-insensitively)", sub.Name)
			}
			seen[Fold(sub.Name)] = true
			a.SubAttributes = append(a.SubAttributes, sub)
		}
	}
	return a, nil
}

// isAttrName reports whether s is an RFC 7643 §2.1 ATTRNAME: ALPHA *(ALPHA / DIGIT / "-" /
// "_").
func isAttrName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// checkExtensionID checks the form of an extension schema id (see the top of this file).
func checkExtensionID(id string) error {
	if len(id) > maxExtensionIDLength {
		return fmt.Errorf("schema id %.40q… is longer than %d characters", id, maxExtensionIDLength)
	}
	if len(id) < 4 || !strings.EqualFold(id[:4], "urn:") {
		return fmt.Errorf(`schema id %q is not a URN: it must start with "urn:", e.g. "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"`, id)
	}
	segs := strings.Split(id, ":")
	if len(segs) < 3 {
		return fmt.Errorf(`schema id %q is not a URN: it needs a namespace and a name after "urn:"`, id)
	}
	for _, seg := range segs[1:] {
		if seg == "" {
			return fmt.Errorf("schema id %q has an empty segment (\"::\" or a colon at the end)", id)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
				return fmt.Errorf("schema id %q has the character %q: use only letters, digits, \".\", \"-\" and \"_\" between the colons", id, rune(c))
			}
		}
	}
	if last := segs[len(segs)-1]; !isAttrName(last) {
		return fmt.Errorf(`schema id %q must end with a name that starts with a letter and has no ".", such as ":User" or ":Group"`, id)
	}
	for _, p := range reservedSchemaPrefixes {
		if strings.HasPrefix(Fold(id), p) {
			return fmt.Errorf(`schema id %q is in the reserved namespace %s…; extensions use urn:ietf:params:scim:schemas:extension:… or a namespace of your own`, id, p)
		}
	}
	return nil
}

// checkSchemaIDFree checks that id is neither one of taken nor overlaps one: one id followed
// by ":" starting the other would make "urn:a:b:c" both schema "urn:a:b:c" and attribute "c"
// of schema "urn:a:b". Ids compare case-insensitively, as everywhere in SCIM.
func checkSchemaIDFree(id string, taken []string, owner map[string]string) error {
	f := Fold(id)
	for _, t := range taken {
		g := Fold(t)
		switch {
		case f == g:
			return fmt.Errorf("schema id %q is already the id of %s (schema ids compare case-insensitively)", id, owner[g])
		case strings.HasPrefix(f, g+":"), strings.HasPrefix(g, f+":"):
			return fmt.Errorf("schema id %q overlaps with %s: a name after one URN would also name the other", id, owner[g])
		}
	}
	return nil
}
