package scim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Input is a POST or PUT body after validation and normalisation by Registry.Normalize.
type Input struct {
	// Attributes is the canonical document (see Resource.Attributes): canonical names,
	// extension attributes under their URN key, no nulls, no empty arrays, no readOnly
	// attributes, and no id, meta, schemas, password, members or groups.
	Attributes map[string]any
	// Password is the write-only password when the body had one (User).
	Password *string
	// Members are the Group members when the body had them: Value set, Type "User", "Group" or
	// "" (not sent), Display as sent.
	Members []Member
	// MembersSent reports that the body had a members key, even an empty or null one.
	MembersSent bool
	// Unknown lists, in sorted order, the attribute names no registered schema defines ("foo",
	// "emails.foo", "urn:x:ext"); they were dropped, for the caller to log and count.
	Unknown []string
}

// pendingAttr is one attribute of a body, collected before it is normalised so that the same
// attribute sent twice (nested under its extension URN and as a URN-qualified key) merges.
type pendingAttr struct {
	schema *Schema
	attr   *Attribute
	value  any
}

// Normalize validates a decoded JSON body (decoded with json.Decoder.UseNumber) for rt and
// returns its canonical form. Attribute names and extension URNs are matched
// case-insensitively; readOnly attributes, "id", "meta" and "schemas" are ignored; attributes no
// schema defines are dropped and listed in Input.Unknown; null and empty values mean absent.
// Every error is a 400 *Error naming the attribute.
func (r *Registry) Normalize(rt *ResourceType, body map[string]any) (*Input, error) {
	if rt == nil {
		return nil, errors.New("scim: Normalize with a nil resource type")
	}
	core := r.Schema(rt.Schema)
	in := &Input{Attributes: map[string]any{}}
	var unknown []string
	var pending []*pendingAttr
	add := func(s *Schema, a *Attribute, v any) {
		for _, p := range pending {
			if p.attr == a {
				// The same attribute twice: merge objects, otherwise the later key wins.
				old, ok1 := p.value.(map[string]any)
				next, ok2 := v.(map[string]any)
				if ok1 && ok2 {
					merged := make(map[string]any, len(old)+len(next))
					for k, x := range old {
						merged[k] = x
					}
					for k, x := range next {
						merged[k] = x
					}
					v = merged
				}
				p.value = v
				return
			}
		}
		pending = append(pending, &pendingAttr{schema: s, attr: a, value: v})
	}

	keys := sortedKeys(body)
	for _, key := range keys {
		v := body[key]
		switch Fold(key) {
		case "schemas", "id", "meta":
			// schemas may list URNs scimd does not know (Entra ID sends a typo'd enterprise URN);
			// id and meta are the server's.
			continue
		case "externalid":
			val, err := r.normalizeValue(r.common["externalid"], "externalId", v, &unknown)
			if err != nil {
				return nil, err
			}
			if val != nil {
				in.Attributes["externalId"] = val
			}
			continue
		}
		if rt.Name == ResourceUser && strings.EqualFold(key, "password") {
			if err := normalizePassword(in, v); err != nil {
				return nil, err
			}
			continue
		}
		if rt.Name == ResourceGroup && strings.EqualFold(key, "members") {
			members, err := normalizeMembers(v, &unknown)
			if err != nil {
				return nil, err
			}
			in.Members, in.MembersSent = members, true
			continue
		}
		if strings.Contains(key, ":") {
			if err := r.collectURNKey(rt, key, v, add, &unknown); err != nil {
				return nil, err
			}
			continue
		}
		name, sub, _ := strings.Cut(key, ".")
		a := r.attribute(core, name)
		if a == nil || (sub != "" && (a.Type != TypeComplex || subAttribute(a, sub) == nil)) {
			if v != nil {
				unknown = append(unknown, key)
			}
			continue
		}
		if sub != "" {
			// A dotted key ("name.givenName") as in Entra ID's path-less PATCH value maps.
			v = map[string]any{subAttribute(a, sub).Name: v}
		}
		add(core, a, v)
	}

	for _, p := range pending {
		if p.attr.Mutability == ReadOnly {
			continue // clients may echo readOnly attributes (groups); RFC 7643 §7 says ignore them
		}
		path := p.attr.Name
		if isExtension(p.schema) {
			path = p.schema.ID + ":" + p.attr.Name
		}
		val, err := r.normalizeValue(p.attr, path, p.value, &unknown)
		if err != nil {
			return nil, err
		}
		if val == nil {
			continue
		}
		if isExtension(p.schema) {
			ext, _ := in.Attributes[p.schema.ID].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
				in.Attributes[p.schema.ID] = ext
			}
			ext[p.attr.Name] = val
		} else {
			in.Attributes[p.attr.Name] = val
		}
	}
	if err := r.CheckRequired(rt, in.Attributes); err != nil {
		return nil, err
	}
	slices.Sort(unknown)
	in.Unknown = unknown
	return in, nil
}

// collectURNKey handles a body key with a colon: an extension object under its URN, a
// URN-qualified extension attribute ("urn:…:enterprise:2.0:User:department"), a URN-qualified
// core attribute, or something unknown.
func (r *Registry) collectURNKey(rt *ResourceType, key string, v any, add func(*Schema, *Attribute, any), unknown *[]string) error {
	if ext := r.extension(rt, key); ext != nil {
		if v == nil {
			return nil
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return InvalidValue("attribute %q must be a complex object", ext.ID)
		}
		for _, k := range sortedKeys(obj) {
			a := r.attribute(ext, k)
			if a == nil {
				if obj[k] != nil {
					*unknown = append(*unknown, ext.ID+":"+k)
				}
				continue
			}
			add(ext, a, obj[k])
		}
		return nil
	}
	for _, s := range r.ResourceTypeSchemas(rt) {
		if len(key) <= len(s.ID)+1 || !strings.EqualFold(key[:len(s.ID)+1], s.ID+":") {
			continue
		}
		name, sub, _ := strings.Cut(key[len(s.ID)+1:], ".")
		a := r.attribute(s, name)
		if a == nil || (sub != "" && (a.Type != TypeComplex || subAttribute(a, sub) == nil)) {
			break
		}
		if sub != "" {
			v = map[string]any{subAttribute(a, sub).Name: v}
		}
		add(s, a, v)
		return nil
	}
	if v != nil {
		*unknown = append(*unknown, key)
	}
	return nil
}

func normalizePassword(in *Input, v any) error {
	switch p := v.(type) {
	case nil:
		return nil
	case string:
		if p == "" {
			return nil
		}
		in.Password = &p
		return nil
	default:
		return InvalidValue("attribute %q must be a string", "password")
	}
}

// normalizeMembers validates a Group's members value: an array of {value, type, display,
// $ref} objects. A single object or a bare id string is accepted as one member.
func normalizeMembers(v any, unknown *[]string) ([]Member, error) {
	var elems []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		elems = x
	default:
		elems = []any{x}
	}
	members := make([]Member, 0, len(elems))
	for _, e := range elems {
		var m Member
		switch x := e.(type) {
		case nil:
			continue
		case string:
			// Microsoft's reference Postman suite sends a bare member id.
			m.Value = x
		case map[string]any:
			for _, k := range sortedKeys(x) {
				val := x[k]
				switch Fold(k) {
				case "value":
					s, ok := val.(string)
					if !ok {
						return nil, InvalidValue("attribute %q must be a string", "members.value")
					}
					m.Value = s
				case "type":
					switch t := val.(type) {
					case nil:
					case string:
						switch {
						case t == "":
						case strings.EqualFold(t, ResourceUser):
							m.Type = ResourceUser
						case strings.EqualFold(t, ResourceGroup):
							m.Type = ResourceGroup
						default:
							return nil, InvalidValue(`attribute "members.type" must be "User" or "Group"`)
						}
					default:
						return nil, InvalidValue(`attribute "members.type" must be "User" or "Group"`)
					}
				case "display":
					switch d := val.(type) {
					case nil:
					case string:
						m.Display = d
					default:
						return nil, InvalidValue("attribute %q must be a string", "members.display")
					}
				case "$ref":
					// Derived from value and type; clients may send it, even as null.
				default:
					if val != nil {
						*unknown = append(*unknown, "members."+k)
					}
				}
			}
		default:
			return nil, InvalidValue("attribute %q must be an array of complex objects", "members")
		}
		if m.Value == "" {
			return nil, InvalidValue(`each element of "members" requires a non-empty string "value"`)
		}
		members = append(members, m)
	}
	return members, nil
}

// NormalizeValue validates and canonicalises one value for attribute a: sub-attribute names,
// types, the multi-valued shape and the one-primary rule. path is the attribute's name for
// error details. It returns nil for null, "" and [], meaning "no value". Unknown
// sub-attributes and readOnly sub-attributes are dropped. PATCH uses it.
func (r *Registry) NormalizeValue(a *Attribute, path string, v any) (any, error) {
	var unknown []string
	return r.normalizeValue(a, path, v, &unknown)
}

// MaxValues bounds the values of one multi-valued attribute of a resource (emails, roles, an
// extension's list; not a group's members, which are rows of their own). PATCH compares each
// value it adds or removes with the attribute's values, so the bound keeps that work small;
// real documents hold a handful.
const MaxValues = 1000

// TooManyValues is the 400 invalidValue for a multi-valued attribute (path) that would hold
// more than MaxValues values.
func TooManyValues(path string) *Error {
	return InvalidValue("attribute %q may have at most %d values", path, MaxValues)
}

func (r *Registry) normalizeValue(a *Attribute, path string, v any, unknown *[]string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !a.MultiValued {
		if arr, ok := v.([]any); ok {
			// Entra ID's legacy manager form is a one-element array [{"value": id, "$ref": …}];
			// accept exactly that shape for a single-valued complex attribute with a value.
			if len(arr) == 1 && a.Type == TypeComplex && subAttribute(a, "value") != nil {
				if _, isObj := arr[0].(map[string]any); isObj {
					return r.normalizeSingle(a, path, arr[0], unknown)
				}
			}
			return nil, InvalidValue("attribute %q must be a single value, not an array", path)
		}
		return r.normalizeSingle(a, path, v, unknown)
	}
	elems, ok := v.([]any)
	if !ok {
		elems = []any{v} // a single value for a multi-valued attribute: be lenient
	}
	if len(elems) > MaxValues {
		return nil, TooManyValues(path)
	}
	out := make([]any, 0, len(elems))
	primaries := 0
	for _, e := range elems {
		if _, nested := e.([]any); nested {
			return nil, InvalidValue("attribute %q must be an array of single values", path)
		}
		val, err := r.normalizeSingle(a, path, e, unknown)
		if err != nil {
			return nil, err
		}
		if val == nil {
			continue
		}
		if m, ok := val.(map[string]any); ok && m["primary"] == true {
			primaries++
			if primaries > 1 {
				return nil, InvalidValue("attribute %q must have at most one primary value", path)
			}
		}
		out = append(out, val)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// normalizeSingle validates one value (one element of a multi-valued attribute) of a.
func (r *Registry) normalizeSingle(a *Attribute, path string, v any, unknown *[]string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch a.Type {
	case TypeString, TypeReference:
		s, ok := v.(string)
		if !ok {
			return nil, InvalidValue("attribute %q must be a string", path)
		}
		if s == "" {
			return nil, nil
		}
		if strings.IndexByte(s, 0) >= 0 {
			// PostgreSQL text and jsonb cannot hold NUL: refused here, on every backend, rather
			// than failing the write with a 500 (the filter parser refuses it too).
			return nil, InvalidValue(`attribute %q must not contain the NUL character (\u0000)`, path)
		}
		return s, nil
	case TypeBinary:
		s, ok := v.(string)
		if !ok {
			return nil, InvalidValue("attribute %q must be a base64-encoded string", path)
		}
		if s == "" {
			return nil, nil
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			if _, err := base64.RawStdEncoding.DecodeString(s); err != nil {
				return nil, InvalidValue("attribute %q must be a base64-encoded string", path)
			}
		}
		return s, nil
	case TypeBoolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			// Entra ID sends booleans as the strings "True" and "False".
			switch {
			case strings.EqualFold(b, "true"):
				return true, nil
			case strings.EqualFold(b, "false"):
				return false, nil
			}
		}
		return nil, InvalidValue("attribute %q must be a boolean", path)
	case TypeInteger:
		n, ok := number(v)
		if !ok {
			return nil, InvalidValue("attribute %q must be an integer", path)
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			return nil, InvalidValue("attribute %q must be an integer", path)
		}
		return n, nil
	case TypeDecimal:
		n, ok := number(v)
		if !ok {
			return nil, InvalidValue("attribute %q must be a decimal number", path)
		}
		if !ValidDecimal(string(n)) {
			return nil, InvalidValue("attribute %q must be a decimal number (a float64, with at most %d digits after the decimal point)",
				path, MaxDecimalScale)
		}
		return n, nil
	case TypeDateTime:
		s, ok := v.(string)
		if !ok {
			return nil, InvalidValue("attribute %q must be a dateTime string (RFC 3339)", path)
		}
		if s == "" {
			return nil, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, InvalidValue("attribute %q must be a dateTime string (RFC 3339)", path)
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	case TypeComplex:
		return r.normalizeComplex(a, path, v, unknown)
	}
	return nil, fmt.Errorf("scim: attribute %q has unknown type %q", path, a.Type)
}

func (r *Registry) normalizeComplex(a *Attribute, path string, v any, unknown *[]string) (any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		// A bare string for a complex attribute with a "value" sub-attribute is its value:
		// Entra ID sends the enterprise manager as the manager's id.
		if s, isStr := v.(string); isStr && subAttribute(a, "value") != nil {
			if s == "" {
				return nil, nil
			}
			obj = map[string]any{"value": s}
		} else {
			return nil, InvalidValue("attribute %q must be a complex object", path)
		}
	}
	out := map[string]any{}
	for _, k := range sortedKeys(obj) {
		sub := subAttribute(a, k)
		if sub == nil {
			if obj[k] != nil {
				*unknown = append(*unknown, path+"."+k)
			}
			continue
		}
		if sub.Mutability == ReadOnly {
			continue
		}
		val, err := r.normalizeValue(sub, path+"."+sub.Name, obj[k], unknown)
		if err != nil {
			return nil, err
		}
		if val != nil {
			out[sub.Name] = val
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	for _, sub := range a.SubAttributes {
		if sub.Required && sub.Mutability != ReadOnly {
			if _, ok := out[sub.Name]; !ok {
				return nil, InvalidValue("missing required attribute %q", path+"."+sub.Name)
			}
		}
	}
	return out, nil
}

// number returns v as a json.Number: bodies are decoded with UseNumber, but float64 (plain
// json.Unmarshal) is accepted too.
// MaxDecimalScale is the most digits after the decimal point a decimal may have, counted in
// its literal as PostgreSQL's numeric does (0.5e-3 has 4): PostgreSQL stores decimals in jsonb
// and compares them as numeric, which fails on a larger scale ("value overflows numeric
// format").
const MaxDecimalScale = 16383

// ValidDecimal reports whether s, a JSON number, is a decimal scimd stores and compares alike on
// every backend: a finite float64 whose literal has a scale of at most MaxDecimalScale.
func ValidDecimal(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	_, frac, _ := strings.Cut(mant, ".")
	scale := len(frac)
	if exp != "" {
		// A float64 is finite, so a huge positive exponent came with a tiny mantissa; only a
		// negative one can make the scale too large. Past 7 digits it is too large anyway.
		e := strings.TrimLeft(strings.TrimPrefix(exp, "+"), "0")
		neg := strings.HasPrefix(e, "-")
		e = strings.TrimLeft(strings.TrimPrefix(e, "-"), "0")
		if len(e) > 7 {
			return !neg
		}
		n, _ := strconv.Atoi("0" + e)
		if neg {
			scale += n
		} else {
			scale -= n
		}
	}
	return scale <= MaxDecimalScale
}

func number(v any) (json.Number, bool) {
	switch n := v.(type) {
	case json.Number:
		return n, true
	case float64:
		if math.IsInf(n, 0) || math.IsNaN(n) {
			return "", false
		}
		return json.Number(strconv.FormatFloat(n, 'f', -1, 64)), true
	}
	return "", false
}

// CheckImmutable returns a 400 mutability *Error when next changes an immutable attribute
// that old has a value for (PUT, RFC 7644 §3.5.1: the input values MUST match). Leaving the
// attribute out of next counts as a change. Immutable sub-attributes of single-valued complex
// attributes are checked too; elements of multi-valued attributes have no identity to compare
// and are not.
func (r *Registry) CheckImmutable(rt *ResourceType, old, next map[string]any) error {
	for _, s := range r.ResourceTypeSchemas(rt) {
		oldDoc, nextDoc, prefix := old, next, ""
		if isExtension(s) {
			oldDoc, _ = old[s.ID].(map[string]any)
			nextDoc, _ = next[s.ID].(map[string]any)
			prefix = s.ID + ":"
		}
		for _, a := range s.Attributes {
			ov, nv := oldDoc[a.Name], nextDoc[a.Name]
			if ov == nil {
				continue
			}
			if a.Mutability == Immutable {
				if !reflect.DeepEqual(ov, nv) {
					return Mutability("attribute %q is immutable and cannot be changed", prefix+a.Name)
				}
				continue
			}
			if a.Type != TypeComplex || a.MultiValued {
				continue
			}
			om, _ := ov.(map[string]any)
			nm, _ := nv.(map[string]any)
			for _, sub := range a.SubAttributes {
				if sub.Mutability == Immutable && om[sub.Name] != nil && !reflect.DeepEqual(om[sub.Name], nm[sub.Name]) {
					return Mutability("attribute %q is immutable and cannot be changed", prefix+a.Name+"."+sub.Name)
				}
			}
		}
	}
	return nil
}

// CheckRequired returns a 400 invalidValue *Error naming the first required attribute (RFC
// 7643 required=true: User userName, Group displayName, required attributes of configured
// extensions, and required sub-attributes of values that are present) missing from doc.
// Extension attributes are checked when the extension is present in doc or required by rt.
// Normalize calls it for POST and PUT bodies.
func (r *Registry) CheckRequired(rt *ResourceType, doc map[string]any) error {
	if missing := r.missingRequired(rt, doc); len(missing) > 0 {
		return InvalidValue("missing required attribute %q", missing[0].path)
	}
	return nil
}

// CheckRequiredChange is CheckRequired for a document next that replaces old (PATCH), except
// that a required attribute of an extension from configuration that old lacked too is not
// reported: a resource stored before the operator made the attribute required can still be
// patched, for example disabled by an identity provider that has no value for it. A patch
// cannot make things worse: a required value old had, or a new extension object without its
// required attributes, is still an error, and so is any built-in required attribute missing.
func (r *Registry) CheckRequiredChange(rt *ResourceType, old, next map[string]any) error {
	missing := r.missingRequired(rt, next)
	if len(missing) == 0 {
		return nil
	}
	before := r.missingRequired(rt, old)
	for _, m := range missing {
		if !m.custom || !slices.Contains(before, m) {
			return InvalidValue("missing required attribute %q", m.path)
		}
	}
	return nil
}

// missingAttr is a required attribute missing from a document: its path, and whether it
// belongs to an extension from configuration.
type missingAttr struct {
	path   string
	custom bool
}

// missingRequired returns the required attributes missing from doc (see CheckRequired), in
// schema order; a required sub-attribute missing from several elements is listed once per
// element.
func (r *Registry) missingRequired(rt *ResourceType, doc map[string]any) []missingAttr {
	var missing []missingAttr
	for i, s := range r.ResourceTypeSchemas(rt) {
		d, prefix := doc, ""
		if i > 0 {
			prefix = s.ID + ":"
			d, _ = doc[s.ID].(map[string]any)
			if d == nil && !extensionRequired(rt, s.ID) {
				continue
			}
		}
		for _, a := range s.Attributes {
			v := d[a.Name]
			if a.Required && a.Mutability != ReadOnly && IsUnassigned(v) {
				missing = append(missing, missingAttr{prefix + a.Name, r.custom[s]})
			}
			if a.Type != TypeComplex || v == nil {
				continue
			}
			elems, ok := v.([]any)
			if !ok {
				elems = []any{v}
			}
			for _, e := range elems {
				m, _ := e.(map[string]any)
				for _, sub := range a.SubAttributes {
					if sub.Required && sub.Mutability != ReadOnly && IsUnassigned(m[sub.Name]) {
						missing = append(missing, missingAttr{prefix + a.Name + "." + sub.Name, r.custom[s]})
					}
				}
			}
		}
	}
	return missing
}

func extensionRequired(rt *ResourceType, urn string) bool {
	for _, e := range rt.Extensions {
		if strings.EqualFold(e.Schema, urn) {
			return e.Required
		}
	}
	return false
}

// IsUnassigned reports whether a decoded JSON value is unassigned in the sense of RFC 7643
// §2.5: null, "", an empty array or an empty object. The PATCH engine uses it too, so that "pr"
// and required-attribute checks agree everywhere.
func IsUnassigned(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
