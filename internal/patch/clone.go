package patch

import (
	"reflect"
	"slices"
	"strings"

	"github.com/scimd/scimd/internal/scim"
)

// cloneMap returns a deep copy of m; nil becomes an empty map.
func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

// cloneValue returns a deep copy of a decoded JSON value: objects and arrays are copied,
// scalars are immutable and shared.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

// deepEqual compares two documents or values. Documents only hold canonical types (string,
// bool, json.Number, []any, map[string]any), so reflect.DeepEqual is exact.
func deepEqual(a, b any) bool {
	return reflect.DeepEqual(a, b)
}

// containsEqual returns the index of the first element of list deep-equal to v, or -1.
func containsEqual(list []any, v any) int {
	return slices.IndexFunc(list, func(e any) bool { return deepEqual(e, v) })
}

// subsetMatch reports whether every sub-attribute of want has the same value in elem,
// strings compared with the sub-attribute's caseExact. It selects the elements a remove with
// a value (the Entra ID members shape, generalised) names.
func subsetMatch(a *scim.Attribute, want, elem any) bool {
	wm, ok1 := want.(map[string]any)
	em, ok2 := elem.(map[string]any)
	if !ok1 || !ok2 {
		return sameValue(a, want, elem)
	}
	if len(wm) == 0 {
		return false
	}
	for k, wv := range wm {
		sub := findSub(a, k)
		if sub == nil {
			if !deepEqual(wv, em[k]) {
				return false
			}
			continue
		}
		if !sameValue(sub, wv, em[k]) {
			return false
		}
	}
	return true
}

// sameValue compares two values of attribute a, honouring caseExact for strings.
func sameValue(a *scim.Attribute, x, y any) bool {
	xs, ok1 := x.(string)
	ys, ok2 := y.(string)
	if ok1 && ok2 && !a.CaseExact && a.Type != scim.TypeBinary {
		return scim.Fold(xs) == scim.Fold(ys) || strings.EqualFold(xs, ys)
	}
	return deepEqual(x, y)
}
