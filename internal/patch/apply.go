package patch

import (
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// Apply applies ops to doc (a scim.Resource.Attributes document) of resource type rt, in
// order and atomically: on error nothing is returned but the error, and doc is never
// modified. Every client error is a 400 *scim.Error whose detail names the operation index:
//   - unknown attribute in a path: invalidPath; unknown keys of path-less value objects are
//     ignored and listed in Result.Unknown;
//   - a readOnly attribute (id, meta, groups, manager.displayName, …) named by a path:
//     mutability; an immutable attribute with a value changed: mutability;
//   - a value of the wrong type: invalidValue naming the attribute; two primary values:
//     invalidValue;
//   - a value filter that matches nothing for remove, or for add/replace when the element
//     cannot be created (see eqSeed): noTarget;
//   - removing or clearing a required attribute: mutability (RFC 7644 §3.5.2.2); a required
//     attribute missing afterwards: invalidValue, unless it is one of an extension from
//     configuration that the stored document lacked already (scim.Registry.CheckRequiredChange).
//
// Multi-valued add appends the values not already present (deep equality); replace
// replaces the whole attribute; a value set to primary=true makes the attribute's other
// values non-primary (RFC 7644 §3.5.2). Group members become Result.MemberOps and the User
// password becomes Result.Password; neither is ever put in Result.Attributes.
func Apply(reg *scim.Registry, rt *scim.ResourceType, doc map[string]any, ops []Operation) (*Result, error) {
	if reg == nil || rt == nil {
		return nil, errors.New("patch: Apply needs a registry and a resource type")
	}
	orig := cloneMap(doc)
	a := &applier{
		reg:     reg,
		rt:      rt,
		doc:     cloneMap(doc),
		res:     &Result{},
		isUser:  strings.EqualFold(rt.Name, scim.ResourceUser),
		isGroup: strings.EqualFold(rt.Name, scim.ResourceGroup),
	}
	for i, op := range ops {
		if err := a.apply(op); err != nil {
			return nil, opError(i, err)
		}
	}
	if err := a.checkRequiredKept(orig); err != nil {
		return nil, err
	}
	if err := reg.CheckRequiredChange(rt, orig, a.doc); err != nil {
		return nil, err
	}
	if err := reg.CheckImmutable(rt, orig, a.doc); err != nil {
		return nil, err
	}
	a.res.Attributes = a.doc
	a.res.Changed = !deepEqual(orig, a.doc)
	return a.res, nil
}

// applier holds the state of one Apply call.
type applier struct {
	reg     *scim.Registry
	rt      *scim.ResourceType
	doc     map[string]any // the working copy
	res     *Result
	isUser  bool
	isGroup bool
	// values and memberFilters count what MaxRequestValues and MaxMemberFilters bound.
	values        int
	memberFilters int
}

// countValues adds the n values of a multi-valued attribute an operation sends to the
// request's total, which MaxRequestValues bounds.
func (a *applier) countValues(n int) error {
	a.values += n
	if a.values > MaxRequestValues {
		return tooLarge("the operations carry more than %d values of multi-valued attributes", MaxRequestValues)
	}
	return nil
}

// target is a path resolved against the registry.
type target struct {
	res    scim.Resolved   // res.Attr is the top-level attribute, res.Sub the leaf sub-attribute
	sub    *scim.Attribute // same as res.Sub
	filter filter.Expr     // the value filter, or nil
	name   string          // canonical dotted name, for error details
}

func (a *applier) apply(op Operation) error {
	name := normalizeOpName(op.Op)
	if name == "" {
		return scim.InvalidSyntax(`unsupported op %q; use "add", "remove" or "replace"`, truncate(op.Op))
	}
	if op.Path == nil {
		if name == OpRemove {
			return scim.NoTarget(`a remove operation requires a "path"`)
		}
		return a.applyValueObject(name, op.Value)
	}
	return a.applyPath(name, op.Path, op.Value, false)
}

// applyValueObject applies a path-less add or replace: value is an object whose keys are
// attribute names (RFC 7644 §3.5.2.1, §3.5.2.3), dotted names, URN-qualified names or an
// extension URN holding an object. Keys are applied in sorted order, so "name" comes before
// "name.givenName" and the result does not depend on JSON key order.
func (a *applier) applyValueObject(op string, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return scim.InvalidValue(`an %s operation without "path" needs a "value" object of attributes`, op)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		switch scim.Fold(k) {
		case "schemas", "id", "meta":
			continue // echoed by clients (Okta sends "id"); the server's own
		}
		if ext := a.extensionNamed(k); ext != nil {
			if err := a.applyExtension(op, ext, v); err != nil {
				return err
			}
			continue
		}
		p, err := filter.ParsePath(k)
		if err != nil {
			a.res.Unknown = append(a.res.Unknown, k)
			continue
		}
		if err := a.applyPath(op, p, v, true); err != nil {
			return err
		}
	}
	return nil
}

// applyPath applies one operation to one path. lenient is set for the keys of path-less value
// objects (and of extension objects), where unknown and readOnly attributes are ignored as in
// PUT instead of being errors.
func (a *applier) applyPath(op string, p *filter.Path, value any, lenient bool) error {
	if ext := a.extensionPath(p); ext != nil {
		return a.applyExtension(op, ext, value)
	}
	if a.isGroup && a.isCoreName(p.Attr, "members") {
		return a.applyMembers(op, p, value)
	}
	if a.isUser && a.isCoreName(p.Attr, "password") {
		return a.applyPassword(op, p, value)
	}
	t, known, err := a.resolve(p)
	if err != nil {
		return err
	}
	if !known {
		if lenient {
			a.res.Unknown = append(a.res.Unknown, p.Attr.String())
			return nil
		}
		return scim.InvalidPath("attribute %q is not defined for resource type %s", truncate(pathText(p)), a.rt.Name)
	}
	if t.res.Attr.Mutability == scim.ReadOnly || (t.sub != nil && t.sub.Mutability == scim.ReadOnly) {
		if lenient {
			return nil // RFC 7643 §7: readOnly values in input are ignored
		}
		return scim.Mutability("attribute %q is readOnly and cannot be modified", t.name)
	}
	if t.filter != nil {
		if t.res.Attr.Type != scim.TypeComplex {
			return scim.InvalidPath("attribute %q is not complex; a [...] filter needs a complex attribute", t.res.Attr.Name)
		}
		if err := checkFilter(t.res.Attr, t.filter); err != nil {
			return err
		}
		return a.applyElements(op, t, value, true)
	}
	switch {
	case t.sub != nil && t.res.Attr.MultiValued:
		// `emails.value` without a filter: every element (RFC 7644 gives no other meaning).
		return a.applyElements(op, t, value, false)
	case t.sub != nil:
		return a.applySub(op, t, value)
	}
	return a.applyAttr(op, t, value)
}

// resolve resolves p against the registry. known is false for names no schema of the resource
// type defines; err is set for paths that are malformed beyond that.
func (a *applier) resolve(p *filter.Path) (t target, known bool, err error) {
	ap := p.Attr
	subName := ap.Sub
	if p.Filter != nil {
		if ap.Sub != "" {
			return target{}, false, scim.InvalidPath("path %q: a sub-attribute cannot come before a [...] filter", truncate(pathText(p)))
		}
		subName = p.Sub
	} else if p.Sub != "" {
		return target{}, false, scim.InvalidPath("path %q: a sub-attribute after a value path needs a [...] filter", truncate(pathText(p)))
	}
	top := filter.AttrPath{URN: ap.URN, Attr: ap.Attr}
	res, ok := a.reg.ResolvePath(a.rt, top)
	if !ok {
		res, ok = resolveWithoutURN(a.reg, a.rt, top)
	}
	if !ok {
		return target{}, false, nil
	}
	res.Sub = nil
	if subName != "" {
		if res.Attr.Type != scim.TypeComplex {
			return target{}, false, nil
		}
		res.Sub = findSub(res.Attr, subName)
		if res.Sub == nil {
			return target{}, false, nil
		}
	}
	return target{res: res, sub: res.Sub, filter: p.Filter, name: res.Path()}, true, nil
}

// isCoreName reports whether ap names the core attribute name with nothing else: "members",
// or "urn:…:core:2.0:Group:members".
func (a *applier) isCoreName(ap filter.AttrPath, name string) bool {
	return strings.EqualFold(ap.Attr, name) && (ap.URN == "" || strings.EqualFold(ap.URN, a.rt.Schema))
}

// extensionNamed returns the extension schema of the resource type whose URN is key.
func (a *applier) extensionNamed(key string) *scim.Schema {
	for _, ext := range extensions(a.reg, a.rt) {
		if strings.EqualFold(ext.ID, strings.TrimSpace(key)) {
			return ext
		}
	}
	return nil
}

// extensionPath returns the extension schema p names as a whole
// ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), or nil.
func (a *applier) extensionPath(p *filter.Path) *scim.Schema {
	if p.Filter != nil || p.Sub != "" || p.Attr.Sub != "" {
		return nil
	}
	if p.Attr.URN != "" {
		if ext := a.extensionNamed(p.Attr.URN + ":" + p.Attr.Attr); ext != nil {
			return ext
		}
	}
	return a.extensionNamed(p.Attr.Attr)
}

// applyExtension applies an operation on a whole extension object: remove (or replace with
// null) drops it; add and replace apply each key as an attribute of the extension, merging
// (RFC 7644 §3.5.2.3: sub-attributes not named are left unchanged).
func (a *applier) applyExtension(op string, ext *scim.Schema, value any) error {
	if op == OpRemove || value == nil {
		if op != OpAdd {
			delete(a.doc, ext.ID)
		}
		return nil
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return scim.InvalidValue("attribute %q must be a complex object", ext.ID)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, sub, _ := strings.Cut(k, ".")
		p := &filter.Path{Attr: filter.AttrPath{URN: ext.ID, Attr: name, Sub: sub}}
		if err := a.applyPath(op, p, obj[k], true); err != nil {
			return err
		}
	}
	return nil
}

// container returns the object that holds res.Attr: the document, or the extension object
// under its URN (created when create is set; nil when absent otherwise).
func (a *applier) container(res scim.Resolved, create bool) map[string]any {
	if !res.Extension() {
		return a.doc
	}
	c, _ := a.doc[res.Schema.ID].(map[string]any)
	if c == nil && create {
		c = map[string]any{}
		a.doc[res.Schema.ID] = c
	}
	return c
}

// set stores v as res.Attr's value, or removes the attribute when v is nil; an extension
// object left empty disappears.
func (a *applier) set(res scim.Resolved, v any) {
	if v == nil {
		c := a.container(res, false)
		delete(c, res.Attr.Name)
		if res.Extension() && c != nil && len(c) == 0 {
			delete(a.doc, res.Schema.ID)
		}
		return
	}
	a.container(res, true)[res.Attr.Name] = v
}

// get returns res.Attr's current value.
func (a *applier) get(res scim.Resolved) any {
	return a.container(res, false)[res.Attr.Name]
}

// applyAttr applies an operation to a whole attribute (no filter, no sub-attribute).
func (a *applier) applyAttr(op string, t target, value any) error {
	attr := t.res.Attr
	if op == OpRemove {
		if value != nil {
			return a.removeValues(t, value)
		}
		a.set(t.res, nil)
		return nil
	}
	nv, err := a.reg.NormalizeValue(attr, t.name, value)
	if err != nil {
		return err
	}
	if nv == nil {
		if op == OpReplace {
			a.set(t.res, nil) // replace with null, "" or [] clears (RFC 7643 §2.5)
		}
		return nil
	}
	old := a.get(t.res)
	switch {
	case attr.MultiValued:
		elems, _ := nv.([]any)
		if err := a.countValues(len(elems)); err != nil {
			return err
		}
		if op == OpReplace {
			a.set(t.res, elems)
			return nil
		}
		list := slices.Clone(asList(old))
		var touched []int
		for _, e := range elems {
			if containsEqual(list, e) < 0 {
				list = append(list, e)
				touched = append(touched, len(list)-1)
				if len(list) > scim.MaxValues {
					return scim.TooManyValues(t.name)
				}
			}
		}
		if err := fixPrimary(attr, t.name, list, touched); err != nil {
			return err
		}
		a.set(t.res, list)
	case attr.Type == scim.TypeComplex:
		nm, _ := nv.(map[string]any)
		om, isMap := old.(map[string]any)
		if !isMap || replacesWhole(attr, nm) {
			a.set(t.res, nm)
			return nil
		}
		merged := cloneMap(om)
		for k, v := range nm {
			merged[k] = v
		}
		a.set(t.res, merged)
	default:
		a.set(t.res, nv)
	}
	return nil
}

// removeValues handles a remove that carries a value: it removes exactly the values named,
// never the whole attribute, and removing a value that is not there is not an error. This is
// Entra ID's default members shape (`{"op":"Remove","path":"members","value":[{"value":
// "id"}]}`, entra.md §4.13) applied to every attribute, and Microsoft's reference code
// clearing the manager only when the value matches (entra.md §4.5).
func (a *applier) removeValues(t target, value any) error {
	attr := t.res.Attr
	nv, err := a.reg.NormalizeValue(attr, t.name, value)
	if err != nil {
		return err
	}
	if nv == nil {
		return nil
	}
	old := a.get(t.res)
	if !attr.MultiValued {
		if old != nil && subsetMatch(attr, nv, old) {
			a.set(t.res, nil)
		}
		return nil
	}
	want := asList(nv)
	if err := a.countValues(len(want)); err != nil {
		return err
	}
	var kept []any
	for _, e := range asList(old) {
		if !slices.ContainsFunc(want, func(w any) bool { return subsetMatch(attr, w, e) }) {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		a.set(t.res, nil)
	} else {
		a.set(t.res, kept)
	}
	return nil
}

// applySub applies an operation to a sub-attribute of a single-valued complex attribute
// (`name.familyName`, `urn:…:User:manager.value`). An object left empty disappears.
func (a *applier) applySub(op string, t target, value any) error {
	attr, sub := t.res.Attr, t.sub
	var nv any
	if op != OpRemove {
		var err error
		if nv, err = a.reg.NormalizeValue(sub, t.name, value); err != nil {
			return err
		}
		if nv == nil && op == OpAdd {
			return nil
		}
	}
	om, _ := a.get(t.res).(map[string]any)
	obj := cloneMap(om)
	old := obj[sub.Name]
	if nv == nil {
		delete(obj, sub.Name)
	} else {
		obj[sub.Name] = nv
		afterReferenceValueSet(attr, sub, obj, old)
	}
	if len(obj) == 0 {
		a.set(t.res, nil)
	} else {
		a.set(t.res, obj)
	}
	return nil
}

// applyElements applies an operation to the elements of a complex attribute that t.filter
// selects (all of them when filtered is false): `emails[type eq "work"]`,
// `emails[type eq "work"].value`, `emails.value`. A single-valued complex attribute is treated
// as a list of at most one element, for Entra ID's `manager[value eq "id"]` (entra.md §4.5).
func (a *applier) applyElements(op string, t target, value any, filtered bool) error {
	attr, sub := t.res.Attr, t.sub
	old := a.get(t.res)
	var list []any
	if attr.MultiValued {
		list = slices.Clone(asList(old))
	} else if old != nil {
		list = []any{old}
	}
	var hits []int
	for i, e := range list {
		m, ok := e.(map[string]any)
		if ok && (!filtered || matches(attr, t.filter, m)) {
			hits = append(hits, i)
		}
	}

	// The new value: a sub-attribute value, or one element.
	var nv any
	if op != OpRemove {
		var err error
		if sub != nil {
			nv, err = a.reg.NormalizeValue(sub, t.name, value)
		} else {
			nv, err = a.normalizeElement(attr, t.name, value)
		}
		if err != nil {
			return err
		}
	}

	if len(hits) == 0 {
		return a.createElement(op, t, list, nv, filtered)
	}

	var touched []int
	var drop []int
	for _, i := range hits {
		elem := list[i].(map[string]any)
		switch {
		case op == OpRemove && sub == nil:
			drop = append(drop, i)
		case op == OpRemove || (nv == nil && op == OpReplace && sub != nil):
			delete(elem, sub.Name)
			if len(elem) == 0 {
				drop = append(drop, i)
			}
		case nv == nil && op == OpReplace:
			drop = append(drop, i) // replacing an element with null removes it
		case nv == nil:
			// add of null, "" or []: nothing to add
		case sub != nil:
			prev := elem[sub.Name]
			elem[sub.Name] = cloneValue(nv)
			afterReferenceValueSet(attr, sub, elem, prev)
			touched = append(touched, i)
		case op == OpReplace:
			list[i] = cloneValue(nv) // RFC 7644 §3.5.2.3: matching values are replaced
			touched = append(touched, i)
		default:
			for k, v := range nv.(map[string]any) {
				elem[k] = cloneValue(v)
			}
			touched = append(touched, i)
		}
	}
	if err := fixPrimary(attr, t.name, list, touched); err != nil {
		return err
	}
	if len(drop) > 0 {
		kept := list[:0:0]
		for i, e := range list {
			if !slices.Contains(drop, i) {
				kept = append(kept, e)
			}
		}
		list = kept
	}
	a.storeElements(t.res, list)
	return nil
}

// createElement handles a value path that selected nothing.
func (a *applier) createElement(op string, t target, list []any, nv any, filtered bool) error {
	attr, sub := t.res.Attr, t.sub
	if op == OpRemove {
		if !filtered || !attr.MultiValued {
			// Nothing to remove: `emails.value` on a user without emails, or Entra ID re-sending
			// `remove manager[value eq "id"]` for a manager already gone (entra.md §4.5).
			return nil
		}
		return scim.NoTarget("no value of %q matches the filter", attr.Name)
	}
	seed := map[string]any{}
	if filtered {
		s, ok, err := eqSeed(a.reg, attr, t.filter)
		if err != nil {
			return err
		}
		if !ok {
			return scim.NoTarget("no value of %q matches the filter", attr.Name)
		}
		seed = s
	}
	if nv == nil {
		return nil // nothing to create: replace of an absent element with null or ""
	}
	if !attr.MultiValued && len(list) > 0 {
		// A single-valued attribute holds another value: creating would overwrite it.
		return scim.NoTarget("the value of %q does not match the filter", attr.Name)
	}
	elem := seed
	if sub != nil {
		elem[sub.Name] = nv
	} else {
		for k, v := range nv.(map[string]any) {
			elem[k] = v
		}
	}
	checked, err := a.normalizeElement(attr, attr.Name, elem)
	if err != nil {
		return err
	}
	if checked == nil {
		return nil
	}
	list = append(list, cloneValue(checked))
	if attr.MultiValued && len(list) > scim.MaxValues {
		return scim.TooManyValues(scim.Resolved{Schema: t.res.Schema, Attr: attr}.Path())
	}
	if err := fixPrimary(attr, t.name, list, []int{len(list) - 1}); err != nil {
		return err
	}
	a.storeElements(t.res, list)
	return nil
}

// storeElements writes list back as res.Attr's value.
func (a *applier) storeElements(res scim.Resolved, list []any) {
	switch {
	case len(list) == 0:
		a.set(res, nil)
	case res.Attr.MultiValued:
		a.set(res, list)
	default:
		a.set(res, list[0])
	}
}

// normalizeElement validates v as one element of the complex attribute attr. nil means no
// value.
func (a *applier) normalizeElement(attr *scim.Attribute, name string, v any) (map[string]any, error) {
	if list, ok := v.([]any); ok && attr.MultiValued && len(list) > 1 {
		return nil, scim.InvalidValue("attribute %q: a value path selects one value; send a single object", name)
	}
	nv, err := a.reg.NormalizeValue(attr, name, v)
	if err != nil || nv == nil {
		return nil, err
	}
	if attr.MultiValued {
		list, _ := nv.([]any)
		if len(list) != 1 {
			return nil, scim.InvalidValue("attribute %q: a value path selects one value; send a single object", name)
		}
		nv = list[0]
	}
	m, ok := nv.(map[string]any)
	if !ok {
		return nil, scim.InvalidValue("attribute %q must be a complex object", name)
	}
	return m, nil
}

// fixPrimary enforces RFC 7644 §3.5.2: when an operation sets primary=true on a value, the
// other values of the attribute become non-primary; two values made primary by one operation
// are 400 invalidValue. touched lists the indexes the operation added or changed.
func fixPrimary(attr *scim.Attribute, name string, list []any, touched []int) error {
	if findSub(attr, "primary") == nil {
		return nil
	}
	keep := -1
	for _, i := range touched {
		if m, ok := list[i].(map[string]any); ok && m["primary"] == true {
			if keep >= 0 {
				return scim.InvalidValue("attribute %q must have at most one primary value", name)
			}
			keep = i
		}
	}
	primaries := 0
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok || m["primary"] != true {
			continue
		}
		if keep >= 0 && i != keep {
			m["primary"] = false
			continue
		}
		primaries++
	}
	if primaries > 1 {
		return scim.InvalidValue("attribute %q must have at most one primary value", name)
	}
	return nil
}

// asList returns v as a list of values: nil for nil, the elements of an array, or v alone.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// applyMembers turns an operation on a Group's members into a set operation (quirks in
// membersOp and memberFilterIDs). Members are never put in the document.
func (a *applier) applyMembers(op string, p *filter.Path, value any) error {
	subName := p.Attr.Sub
	if p.Filter != nil {
		subName = p.Sub
	}
	if subName != "" {
		members, _ := a.reg.ResolvePath(a.rt, filter.AttrPath{Attr: "members"})
		if members.Attr == nil || findSub(members.Attr, subName) == nil {
			return scim.InvalidPath("attribute %q is not defined for resource type %s", truncate(pathText(p)), a.rt.Name)
		}
		return scim.Mutability(`the sub-attributes of "members" cannot be modified; add or remove members instead`)
	}
	if p.Filter != nil {
		if op != OpRemove {
			return scim.InvalidPath(`a [...] filter on "members" is supported for remove only; add or replace "members" instead`)
		}
		ids, ok := memberFilterIDs(p.Filter)
		if !ok {
			// Any other filter (members[type eq "Group"], members[display sw "Ops"], value
			// with other operators) is evaluated by the store on the membership rows.
			if a.memberFilters++; a.memberFilters > MaxMemberFilters {
				return tooLarge(`at most %d removal of members by a filter other than "value eq" is allowed in one request `+
					`(combine the filters with "or")`, MaxMemberFilters)
			}
			a.res.MemberOps = append(a.res.MemberOps, scim.MemberOp{Kind: scim.MemberRemoveWhere, Filter: p.Filter})
			return nil
		}
		members := make([]scim.Member, len(ids))
		for i, id := range ids {
			members[i] = scim.Member{Value: id}
		}
		a.res.MemberOps = append(a.res.MemberOps, scim.MemberOp{Kind: scim.MemberRemove, Members: members})
		return nil
	}
	mop, err := membersOp(op, value)
	if err != nil {
		return err
	}
	if mop != nil {
		a.res.MemberOps = append(a.res.MemberOps, *mop)
	}
	return nil
}

// applyPassword records a new User password. It is write-only: never stored in the document.
// Null or "" sets nothing (as in POST); remove is 400 mutability, since a password can be
// replaced but scimd has no "no password" state a client could ask for.
func (a *applier) applyPassword(op string, p *filter.Path, value any) error {
	if p.Filter != nil || p.Attr.Sub != "" || p.Sub != "" {
		return scim.InvalidPath(`attribute "password" has no sub-attributes`)
	}
	if op == OpRemove {
		return scim.Mutability(`attribute "password" cannot be removed; replace it with a new password`)
	}
	switch s := value.(type) {
	case nil:
		return nil
	case string:
		if s == "" {
			return nil
		}
		a.res.Password = &s
		return nil
	}
	return scim.InvalidValue(`attribute "password" must be a string`)
}

// checkRequiredKept returns 400 mutability when the operations removed or cleared a required
// attribute the document had (RFC 7644 §3.5.2.2: "If an attribute is removed or becomes
// unassigned and is defined as a required attribute ... mutability").
func (a *applier) checkRequiredKept(orig map[string]any) error {
	for i, s := range a.reg.ResourceTypeSchemas(a.rt) {
		before, after, prefix := orig, a.doc, ""
		if i > 0 {
			before, _ = orig[s.ID].(map[string]any)
			after, _ = a.doc[s.ID].(map[string]any)
			prefix = s.ID + ":"
		}
		for _, attr := range s.Attributes {
			if attr.Required && attr.Mutability != scim.ReadOnly && !scim.IsUnassigned(before[attr.Name]) && scim.IsUnassigned(after[attr.Name]) {
				return scim.Mutability("required attribute %q cannot be removed", prefix+attr.Name)
			}
		}
	}
	return nil
}

// pathText renders a parsed path for error details.
func pathText(p *filter.Path) string {
	s := p.Attr.String()
	if p.Filter != nil {
		s += "[…]"
		if p.Sub != "" {
			s += "." + p.Sub
		}
	}
	return s
}
