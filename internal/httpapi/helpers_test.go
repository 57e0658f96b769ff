package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER abc.def-ghi_jkl", "abc.def-ghi_jkl", true},
		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer  abc", "", false},
		{"Bearer abc ", "", false},
		{" Bearer abc", "", false},
		{"Bearer abc def", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Bearerabc", "", false},
		{"Bearer\tabc", "", false},
	} {
		t.Run(tc.header, func(t *testing.T) {
			t.Parallel()
			got, ok := bearerToken(tc.header)
			assert.Equal(t, tc.ok, ok, "bearerToken(%q) ok", tc.header)
			assert.Equal(t, tc.want, got, "bearerToken(%q)", tc.header)
		})
	}
}

func TestCollapseSlashes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/":                      "/",
		"/scim/v2/Users":         "/scim/v2/Users",
		"/scim/v2//Users":        "/scim/v2/Users",
		"//scim///v2//Users/":    "/scim/v2/Users",
		"/scim/v2/Users/":        "/scim/v2/Users",
		"/scim/v2/Users/a%2F%2F": "/scim/v2/Users/a%2F%2F",
	} {
		assert.Equal(t, want, collapseSlashes(in), "collapseSlashes(%q)", in)
	}
}

func TestSaneRequestID(t *testing.T) {
	t.Parallel()
	assert.True(t, saneRequestID("abc-123_x.y:z"))
	assert.False(t, saneRequestID(""))
	assert.False(t, saneRequestID("has space"))
	assert.False(t, saneRequestID("new\nline"))
	assert.False(t, saneRequestID(strings.Repeat("a", maxRequestIDLen+1)))
	assert.Len(t, newRequestID(), 32)
}

func TestDecodeObject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		in     string
		detail string // substring of the error detail; "" means success
	}{
		{"object", `{"a": 1, "b": [true, null]}`, ""},
		{"trailing whitespace", "{\"a\":1}\n\t ", ""},
		{"empty", "", "empty"},
		{"spaces", "   ", "empty"},
		{"array", `[1,2]`, "must be a JSON object"},
		{"string", `"x"`, "must be a JSON object"},
		{"null", `null`, "must be a JSON object"},
		{"trailing garbage", `{"a":1} x`, "unexpected data after the JSON object"},
		{"two objects", `{"a":1}{"b":2}`, "unexpected data after the JSON object"},
		{"syntax error", "{\n  \"a\": tru\n}", "line 2"},
		{"truncated", `{"a": [1, 2`, "ends before"},
		{"bad token", `{"a" 1}`, "malformed JSON at line 1, column 6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obj, err := decodeObject([]byte(tc.in))
			if tc.detail == "" {
				require.NoError(t, err, "decodeObject(%q)", tc.in)
				assert.NotNil(t, obj)
				return
			}
			e, ok := scim.AsError(err)
			require.True(t, ok, "decodeObject(%q) error %v is not a *scim.Error", tc.in, err)
			assert.Equal(t, http.StatusBadRequest, e.Status)
			assert.Equal(t, scim.TypeInvalidSyntax, e.Type)
			assert.Contains(t, e.Detail, tc.detail, "decodeObject(%q)", tc.in)
			assert.NotContains(t, e.Detail, "invalid character", "Go error text leaked")
		})
	}
	obj, err := decodeObject([]byte(`{"n": 12345678901234567890}`))
	require.NoError(t, err)
	assert.Equal(t, json.Number("12345678901234567890"), obj["n"], "numbers stay json.Number")
}

func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `[`, `{"a":"\u00e9"}`, "{\"a\":1}\n{", `nul`, ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := decodeObject(data)
		if err != nil {
			e, ok := scim.AsError(err)
			if !ok || e.Status != http.StatusBadRequest {
				t.Fatalf("decodeObject(%q) = %v, want a 400 *scim.Error", data, err)
			}
			return
		}
		if obj == nil {
			t.Fatalf("decodeObject(%q) returned nil without error", data)
		}
	})
}

func TestSearchParams(t *testing.T) {
	t.Parallel()
	q, err := searchParams(map[string]any{
		"schemas":            []any{scim.MessageSearch},
		"attributes":         []any{"userName", "emails"},
		"excludedAttributes": nil,
		"filter":             `userName eq "a"`,
		"startIndex":         json.Number("3"),
		"count":              "10",
		"sortBy":             "userName",
	})
	require.NoError(t, err)
	assert.Equal(t, "userName,emails", q.Get("attributes"))
	assert.Equal(t, `userName eq "a"`, q.Get("filter"))
	assert.Equal(t, "3", q.Get("startIndex"))
	assert.Equal(t, "10", q.Get("count"))

	for _, bad := range []map[string]any{
		{"attributes": []any{1}},
		{"filter": json.Number("1")},
		{"count": true},
		{"bogus": 1},
	} {
		_, err := searchParams(bad)
		assert.Equal(t, http.StatusBadRequest, scim.StatusOf(err), "searchParams(%v)", bad)
	}
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string
		want   int64
		pinned bool
	}{
		{"", 0, false},
		{"*", 0, false},
		{`W/"3"`, 3, true},
		{`"7"`, 7, true},
		{`W/"abc"`, -1, true},
	} {
		r := httptest.NewRequest(http.MethodPatch, "/", nil)
		if tc.header != "" {
			r.Header.Set("If-Match", tc.header)
		}
		got, pinned := ifMatch(r)
		assert.Equal(t, tc.pinned, pinned, "ifMatch(%q) pinned", tc.header)
		assert.Equal(t, tc.want, got, "ifMatch(%q)", tc.header)
	}
}
