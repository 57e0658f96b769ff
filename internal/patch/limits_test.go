package patch

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// The limits that keep one PATCH's work small (MaxOperations, MaxRequestValues,
// MaxMemberFilters, scim.MaxValues). Without them a 1 MiB body made Apply compare values for
// minutes: 30,000 emails added in one operation took over two minutes, 19,000 one-email adds
// almost one.

// opsBody returns a PatchOp body with the operations given as Go values.
func opsBody(t *testing.T, ops ...any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"schemas": []string{scim.MessagePatchOp}, "Operations": ops})
	require.NoError(t, err)
	return string(b)
}

// emailValues returns n distinct email elements.
func emailValues(prefix string, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"value": fmt.Sprintf("%s%d@example.com", prefix, i)}
	}
	return out
}

func TestParseMaxOperations(t *testing.T) {
	t.Parallel()
	op := `{"op":"add","path":"nickName","value":"x"}`
	ops, err := Parse([]byte(body(strings.TrimSuffix(strings.Repeat(op+",", MaxOperations), ","))))
	require.NoError(t, err)
	assert.Len(t, ops, MaxOperations)

	_, err = Parse([]byte(body(strings.TrimSuffix(strings.Repeat(op+",", MaxOperations+1), ","))))
	requireSCIMError(t, err, http.StatusRequestEntityTooLarge, "")
	assert.Contains(t, err.Error(), "PATCH has 1001 operations; at most 1000 are allowed in one request")
}

func TestApplyMaxValues(t *testing.T) {
	t.Parallel()
	full := func() map[string]any {
		return map[string]any{"userName": "u", "emails": emailValues("old", scim.MaxValues)}
	}
	add := func(path string, v any) string {
		return opsBody(t, map[string]any{"op": "add", "path": path, "value": v})
	}

	// A full attribute takes no new value, whichever way it comes.
	for name, b := range map[string]string{
		"add":             add("emails", emailValues("new", 1)),
		"path-less value": opsBody(t, map[string]any{"op": "add", "value": map[string]any{"emails": emailValues("new", 1)}}),
		"value filter":    add(`emails[type eq "home"].value`, "home@example.com"),
	} {
		_, err := applyBody(t, scim.ResourceUser, full(), b)
		requireSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)
		assert.Contains(t, err.Error(), `attribute "emails" may have at most 1000 values`, name)
	}
	// Values it already has change nothing, and removing or replacing works.
	res, err := applyBody(t, scim.ResourceUser, full(), add("emails", emailValues("old", 10)))
	require.NoError(t, err)
	assert.False(t, res.Changed)
	res, err = applyBody(t, scim.ResourceUser, full(), opsBody(t, map[string]any{"op": "replace", "path": "emails", "value": emailValues("new", 3)}))
	require.NoError(t, err)
	assert.Len(t, res.Attributes["emails"], 3)

	// A value of more than MaxValues elements is refused before any comparison.
	_, err = applyBody(t, scim.ResourceUser, map[string]any{"userName": "u"}, add("emails", emailValues("new", scim.MaxValues+1)))
	requireSCIMError(t, err, http.StatusBadRequest, scim.TypeInvalidValue)
	assert.Contains(t, err.Error(), `attribute "emails" may have at most 1000 values`)
}

func TestApplyMaxRequestValues(t *testing.T) {
	t.Parallel()
	doc := func() map[string]any { return map[string]any{"userName": "u", "emails": emailValues("old", 500)} }
	empty := func() map[string]any { return map[string]any{"userName": "u"} }
	op := func(name string, values []any) any {
		return map[string]any{"op": name, "path": "emails", "value": values}
	}
	// Up to MaxRequestValues values in all operations together.
	res, err := applyBody(t, scim.ResourceUser, doc(), opsBody(t, op("remove", emailValues("old", 500)), op("add", emailValues("new", 500))))
	require.NoError(t, err)
	assert.Len(t, res.Attributes["emails"], 500)

	// One more is a 413, whatever the operations.
	for name, tc := range map[string]struct {
		doc  map[string]any
		body string
	}{
		"remove and add": {doc(), opsBody(t, op("remove", emailValues("old", 500)), op("add", emailValues("new", 501)))},
		"adds":           {empty(), opsBody(t, op("add", emailValues("a", 400)), op("add", emailValues("b", 400)), op("add", emailValues("c", 201)))},
		"replaces":       {empty(), opsBody(t, op("replace", emailValues("a", 600)), op("replace", emailValues("b", 401)))},
		"removes":        {doc(), opsBody(t, op("remove", emailValues("a", 900)), op("remove", emailValues("b", 101)))},
	} {
		_, err := applyBody(t, scim.ResourceUser, tc.doc, tc.body)
		requireSCIMError(t, err, http.StatusRequestEntityTooLarge, "")
		assert.Contains(t, err.Error(), "more than 1000 values of multi-valued attributes", name)
	}
	// Members are rows of their own and do not count.
	members := make([]any, 3000)
	for i := range members {
		members[i] = map[string]any{"value": fmt.Sprintf("00000000-0000-4000-8000-%012d", i)}
	}
	res, err = applyBody(t, scim.ResourceGroup, map[string]any{"displayName": "g"},
		opsBody(t, map[string]any{"op": "add", "path": "members", "value": members}))
	require.NoError(t, err)
	require.Len(t, res.MemberOps, 1)
	assert.Len(t, res.MemberOps[0].Members, 3000)
}

func TestApplyMaxMemberFilters(t *testing.T) {
	t.Parallel()
	remove := func(path string) any { return map[string]any{"op": "remove", "path": path} }
	group := func() map[string]any { return map[string]any{"displayName": "g"} }

	// Removals by id are cheap and not limited (besides MaxOperations); one other filter is
	// allowed, also combined with "or".
	res, err := applyBody(t, scim.ResourceGroup, group(), opsBody(t,
		remove(`members[value eq "a"]`), remove(`members[value eq "b" or value eq "c"]`),
		remove(`members[type eq "Group" or display sw "Temp"]`)))
	require.NoError(t, err)
	assert.Len(t, res.MemberOps, 3)

	_, err = applyBody(t, scim.ResourceGroup, group(), opsBody(t, remove(`members[type eq "Group"]`), remove(`members[display sw "Temp"]`)))
	requireSCIMError(t, err, http.StatusRequestEntityTooLarge, "")
	assert.Contains(t, err.Error(), `Operations[1]: at most 1 removal of members by a filter other than "value eq"`)
}
