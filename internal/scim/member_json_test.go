package scim_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

// encodeNoHTML is how the HTTP layer encodes a value: encoding/json without HTML escaping.
func encodeNoHTML(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// memberJSONCases are strings that exercise every escaping rule of a JSON string.
var memberJSONCases = []struct{ name, s string }{
	{"empty", ""},
	{"plain", "Alice Example"},
	{"quotes", `say "hi"`},
	{"backslashes", `DOMAIN\user \\ \"`},
	{"short escapes", "tab\there\nnew\rret\bback\fform"},
	{"other control chars", "nul\x00 bell\x07 esc\x1b unit\x1f"},
	{"delete char", "del\x7f"},
	{"non-ASCII", "Zoë Ørsted 日本語 🙂"},
	{"HTML chars", `<script>alert('x') & "y"</script>`},
	{"line and paragraph separators", "a\u2028b\u2029c"},
	{"invalid UTF-8", "bad\xff\xfe end \xe2\x82"},
	{"slash", "a/b"},
}

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	for _, tc := range memberJSONCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := scim.AppendJSONString([]byte("prefix:"), tc.s)
			assert.Equal(t, "prefix:"+string(encodeNoHTML(t, tc.s)), string(got))
			var back string
			require.NoError(t, json.Unmarshal(got[len("prefix:"):], &back))
			if utf8.ValidString(tc.s) {
				assert.Equal(t, tc.s, back, "valid UTF-8 round-trips exactly")
			} else {
				assert.True(t, utf8.ValidString(back), "invalid bytes become U+FFFD")
			}
		})
	}
}

func TestAppendMemberJSON(t *testing.T) {
	t.Parallel()
	var members []scim.Member
	for _, tc := range memberJSONCases {
		members = append(members,
			scim.Member{Value: "0b5c6c1e-8a4e-4f5b-9d3c-1f2e3d4c5b6a", Type: scim.ResourceUser, Display: tc.s},
			scim.Member{Value: tc.s, Type: scim.ResourceGroup, Display: "g"},
			scim.Member{Value: tc.s},
		)
	}
	for _, baseURL := range []string{"https://h/scim/v2", "https://h/scim/v2/", "https://h/<&>\"/"} {
		for _, m := range members {
			want := encodeNoHTML(t, scim.MemberJSON(m, baseURL))
			got := scim.AppendMemberJSON([]byte("[1,"), m, baseURL)
			assert.Equal(t, "[1,"+string(want), string(got), "member %+v, base %q", m, baseURL)
		}
	}
}

func TestAppendMemberJSONAllocations(t *testing.T) {
	m := scim.Member{Value: "0b5c6c1e-8a4e-4f5b-9d3c-1f2e3d4c5b6a", Type: scim.ResourceUser, Display: `Zoë "Z" <z>`}
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf = scim.AppendMemberJSON(buf[:0], m, "https://h/scim/v2")
	})
	assert.Zero(t, allocs, "AppendMemberJSON into a buffer with room allocates nothing")
}
