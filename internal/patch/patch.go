// Package patch parses RFC 7644 §3.5.2 PatchOp bodies and applies them to a resource document,
// schema-aware: every path is resolved against the schema registry, every value is validated
// and canonicalised by it, and every error is a *scim.Error with the RFC 7644 §3.12 status and
// scimType. The shapes identity providers send that the RFC does not describe are normalised
// in quirks.go, each commented with the provider and the shape.
//
// Decisions where RFC 7644 leaves a choice (each also documented where it is made):
//   - An empty or missing "Operations" is 400 invalidValue: §3.5.2 says the body "MUST contain
//     the attribute "Operations", whose value is an array of one or more PATCH operations", and
//     §3.12 defines invalidValue as "a required value was missing". A body that is not a JSON
//     object, an "Operations" that is not an array, an operation that is not an object or an
//     unknown "op" are 400 invalidSyntax ("the request body message structure was invalid").
//   - add or replace without a "value" member is 400 invalidValue (§3.5.2.1 "MUST contain a
//     value member"; §3.12 invalidValue: "a required value was missing"). A "value" of null is
//     present: replace with null clears the target, add with null changes nothing (RFC 7643
//     §2.5: null, "" and [] are equivalent to unassigned).
//   - A path that does not parse, including a malformed filter inside it, is 400 invalidPath
//     (§3.12: "the path attribute was invalid or malformed"); a well-formed filter that compares
//     a sub-attribute in a way its type does not support is 400 invalidFilter.
//   - remove without a path is 400 noTarget (§3.5.2.2).
//   - Removing or clearing a required attribute (User userName, Group displayName) is 400
//     mutability (§3.5.2.2: "If an attribute is removed or becomes unassigned and is defined as
//     a required attribute or a read-only attribute, the server SHALL return ... mutability").
//   - A PATCH over MaxOperations, MaxRequestValues or MaxMemberFilters is 413, and a
//     multi-valued attribute that would hold more than scim.MaxValues values 400 invalidValue.
package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// Limits on one PATCH request, so that its work stays small whatever a client sends in a body
// under the size limit. Each is a 413 (like RFC 7644 §3.7.4's maxOperations for Bulk): the
// remedy is to send the same change in several requests. Identity providers send a handful of
// operations and values; see also scim.MaxValues, the values one attribute may hold.
const (
	// MaxOperations bounds the operations of one PATCH: each costs a pass over the attribute
	// it changes, or statements on the group's membership rows.
	MaxOperations = 1000
	// MaxRequestValues bounds the values of multi-valued attributes (members excepted) that
	// the operations of one PATCH add, replace or remove: each is compared with the
	// attribute's values.
	MaxRequestValues = 1000
	// MaxMemberFilters bounds the member removals by a filter other than "value eq" (e.g.
	// members[display sw "x"]) in one PATCH: each is a statement over all of the group's
	// membership rows. Several filters combine into one with "or".
	MaxMemberFilters = 1
)

// The three RFC 7644 §3.5.2 operations.
const (
	OpAdd     = "add"
	OpRemove  = "remove"
	OpReplace = "replace"
)

// Operation is one PATCH operation after parsing; Op is "add", "remove" or "replace" (lower
// case).
type Operation struct {
	Op string
	// Path is the parsed target, nil when the operation had no path.
	Path *filter.Path
	// Value is the decoded "value" member (json.Number for numbers), nil when absent or null.
	Value any
}

// Result is what applying a PATCH to one resource produced.
type Result struct {
	// Attributes is the new document: a deep copy; the input is never modified.
	Attributes map[string]any
	// Changed reports that Attributes differs from the input document (deep equality). A new
	// Password or MemberOps do not count: the caller checks them separately.
	Changed bool
	// Password is a new password when an op set it (User). It is never put in Attributes.
	Password *string
	// MemberOps are a Group's membership set operations, in request order. They are never
	// applied to Attributes.
	MemberOps []scim.MemberOp
	// Unknown lists, in request order, the attribute names of path-less value objects that no
	// schema defines; they were ignored (as scim.Registry.Normalize does for POST and PUT), for
	// the caller to log and count. An unknown name in an explicit path is an error instead.
	Unknown []string
}

// Parse decodes and checks a PatchOp body. The "schemas" member must list the PatchOp URN
// (compared case-insensitively); member names ("Operations", "op", "path", "value") and op
// names match in any letter case; unknown members are ignored. It returns a 400 *scim.Error
// for every problem, with the scimType chosen as described in the package comment. The caller
// limits the body size.
func Parse(body []byte) ([]Operation, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, scim.InvalidSyntax("PATCH body is not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, scim.InvalidSyntax("PATCH body must hold exactly one JSON object")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, scim.InvalidSyntax("PATCH body must be a JSON object")
	}
	var schemas, operations any
	var haveSchemas, haveOps bool
	for k, v := range obj {
		switch {
		case strings.EqualFold(k, "schemas"):
			schemas, haveSchemas = v, true
		case strings.EqualFold(k, "Operations"):
			operations, haveOps = v, true
		}
	}
	if !haveSchemas || !listsPatchOp(schemas) {
		return nil, scim.InvalidSyntax(`PATCH body "schemas" must contain %q`, scim.MessagePatchOp)
	}
	if !haveOps || operations == nil {
		return nil, scim.InvalidValue(`"Operations" must contain at least one operation`)
	}
	list, ok := operations.([]any)
	if !ok {
		return nil, scim.InvalidSyntax(`"Operations" must be an array of operations`)
	}
	if len(list) == 0 {
		return nil, scim.InvalidValue(`"Operations" must contain at least one operation`)
	}
	if len(list) > MaxOperations {
		return nil, tooLarge("PATCH has %d operations; at most %d are allowed in one request", len(list), MaxOperations)
	}
	ops := make([]Operation, 0, len(list))
	for i, item := range list {
		op, err := parseOperation(i, item)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func listsPatchOp(v any) bool {
	list, ok := v.([]any)
	if !ok {
		// A bare string instead of a one-element array: be lenient about the container, not
		// about the URN.
		list = []any{v}
	}
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(strings.TrimSpace(str), scim.MessagePatchOp) {
			return true
		}
	}
	return false
}

func parseOperation(i int, item any) (Operation, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return Operation{}, scim.InvalidSyntax("Operations[%d] must be an object", i)
	}
	var (
		opName    any
		pathRaw   any
		value     any
		haveOp    bool
		haveValue bool
	)
	for k, v := range obj {
		switch {
		case strings.EqualFold(k, "op"):
			opName, haveOp = v, true
		case strings.EqualFold(k, "path"):
			pathRaw = v
		case strings.EqualFold(k, "value"):
			value, haveValue = v, true
		}
	}
	name, isString := opName.(string)
	if !haveOp || !isString {
		return Operation{}, scim.InvalidSyntax(`Operations[%d] must have an "op" of "add", "remove" or "replace"`, i)
	}
	op := normalizeOpName(name)
	if op == "" {
		return Operation{}, scim.InvalidSyntax(`Operations[%d]: unsupported op %q; use "add", "remove" or "replace"`, i, truncate(name))
	}
	out := Operation{Op: op, Value: value}
	switch p := pathRaw.(type) {
	case nil:
	case string:
		if strings.TrimSpace(p) != "" {
			path, err := filter.ParsePath(p)
			if err != nil {
				return Operation{}, pathError(i, p, err)
			}
			out.Path = path
		}
	default:
		return Operation{}, scim.InvalidPath(`Operations[%d]: "path" must be a string`, i)
	}
	switch {
	case op == OpRemove && out.Path == nil:
		return Operation{}, scim.NoTarget(`Operations[%d]: a remove operation requires a "path"`, i)
	case op != OpRemove && !haveValue:
		return Operation{}, scim.InvalidValue(`Operations[%d]: an %s operation requires a "value"`, i, op)
	}
	return out, nil
}

// pathError turns a path parse failure into a 400 invalidPath naming the problem and where it
// is.
func pathError(i int, path string, err error) error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return scim.InvalidPath("Operations[%d]: invalid path %q at position %d: %s", i, truncate(path), fe.Pos, fe.Msg)
	}
	return scim.InvalidPath("Operations[%d]: invalid path %q", i, truncate(path))
}

// truncate keeps client-supplied text in error details short.
func truncate(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

// tooLarge is the 413 for a PATCH over one of the limits above.
func tooLarge(format string, args ...any) *scim.Error {
	return scim.Errorf(http.StatusRequestEntityTooLarge, "", format+"; send the change in several requests", args...)
}

// opError prefixes an operation's error detail with its index, keeping status and scimType.
func opError(i int, err error) error {
	if e, ok := scim.AsError(err); ok {
		return &scim.Error{Status: e.Status, Type: e.Type, Detail: fmt.Sprintf("Operations[%d]: %s", i, e.Detail)}
	}
	return err
}
