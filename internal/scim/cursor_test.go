package scim_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

func mustFilter(t testing.TB, s string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(s)
	require.NoError(t, err)
	return e
}

// isURLUnreserved reports whether s holds only RFC 3986 §2.3 unreserved characters, as RFC
// 9865 §2 requires of cursors.
func isURLUnreserved(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	f := mustFilter(t, `userName sw "j" and active eq true`)
	for _, pos := range []scim.CursorPosition{
		{Created: time.Date(2025, 10, 9, 13, 3, 21, 123456000, time.UTC), ID: "0b1d8c4e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"},
		{Created: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), ID: "00000000-0000-0000-0000-000000000000"},
		{Created: time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), ID: "ffffffff-ffff-ffff-ffff-ffffffffffff"},
		{Created: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), ID: "24c9e15e-52af-c47c-225b-757e7bee1f9d"},
	} {
		c, err := scim.EncodeCursor(scim.ResourceUser, f, pos)
		require.NoError(t, err)
		assert.True(t, isURLUnreserved(c), "cursor %q has reserved characters", c)
		got, err := scim.DecodeCursor(c, scim.ResourceUser, f)
		require.NoError(t, err)
		assert.True(t, pos.Created.Equal(got.Created), "created %s round-tripped to %s", pos.Created, got.Created)
		assert.Equal(t, time.UTC, got.Created.Location())
		assert.Equal(t, pos.ID, got.ID)
	}
}

// TestCursorKeepsMicroseconds: the position is the stored microsecond, never rounded to the
// millisecond (rows created in the same millisecond would be skipped or repeated), and a time
// finer than the microsecond the databases store is refused rather than silently truncated.
func TestCursorKeepsMicroseconds(t *testing.T) {
	t.Parallel()
	base := time.Date(2025, 1, 2, 3, 4, 5, 7000, time.UTC) // .000007
	id := "0b1d8c4e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"
	seen := map[string]bool{}
	for us := range 5 {
		c, err := scim.EncodeCursor(scim.ResourceUser, nil, scim.CursorPosition{Created: base.Add(time.Duration(us) * time.Microsecond), ID: id})
		require.NoError(t, err)
		assert.False(t, seen[c], "two microseconds, one cursor")
		seen[c] = true
		got, err := scim.DecodeCursor(c, scim.ResourceUser, nil)
		require.NoError(t, err)
		assert.Equal(t, base.Add(time.Duration(us)*time.Microsecond), got.Created)
	}
	_, err := scim.EncodeCursor(scim.ResourceUser, nil, scim.CursorPosition{Created: base.Add(1), ID: id})
	assert.Error(t, err, "a nanosecond time is not a stored position")
	_, err = scim.EncodeCursor(scim.ResourceUser, nil, scim.CursorPosition{Created: base, ID: "not-a-uuid"})
	assert.Error(t, err)
}

func TestCursorBinding(t *testing.T) {
	t.Parallel()
	pos := scim.CursorPosition{Created: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC), ID: "0b1d8c4e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"}
	f := mustFilter(t, `userName eq "a"`)
	c, err := scim.EncodeCursor(scim.ResourceUser, f, pos)
	require.NoError(t, err)

	// The same filter written differently is the same list.
	_, err = scim.DecodeCursor(c, scim.ResourceUser, mustFilter(t, `userName  EQ   "a"`))
	assert.NoError(t, err)
	_, err = scim.DecodeCursor(c, scim.ResourceUser, mustFilter(t, `(userName eq "a")`))
	assert.NoError(t, err)

	for name, tc := range map[string]struct {
		rt string
		f  filter.Expr
	}{
		"no filter":      {scim.ResourceUser, nil},
		"another value":  {scim.ResourceUser, mustFilter(t, `userName eq "b"`)},
		"another filter": {scim.ResourceUser, mustFilter(t, `userName eq "a" or active eq true`)},
		"groups":         {scim.ResourceGroup, f},
	} {
		_, err := scim.DecodeCursor(c, tc.rt, tc.f)
		e, ok := scim.AsError(err)
		require.True(t, ok, "%s: %v", name, err)
		assert.Equal(t, http.StatusBadRequest, e.Status, name)
		assert.Equal(t, scim.TypeInvalidCursor, e.Type, name)
		assert.Contains(t, e.Detail, "another list", name)
	}
}

func TestCursorInvalid(t *testing.T) {
	t.Parallel()
	pos := scim.CursorPosition{Created: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC), ID: "0b1d8c4e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"}
	good, err := scim.EncodeCursor(scim.ResourceUser, nil, pos)
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(good)
	require.NoError(t, err)
	v2 := append([]byte{2}, raw[1:]...)
	long := append(append([]byte{}, raw...), 0)
	edited := good[:len(good)-1] + "A" // the last character is part of the binding hash
	if good[len(good)-1] == 'A' {
		edited = good[:len(good)-1] + "B"
	}

	for name, tc := range map[string]struct{ cursor, detail string }{
		"empty":           {"", "empty"},
		"not base64":      {"not a cursor!", "base64url"},
		"std base64":      {"AQ+/" + good[4:], "base64url"},
		"line break":      {good[:10] + "\n" + good[10:], "base64url"},
		"year 287867":     {"AX00000000000000000000000000000007JAEL2zAqU9", "corrupted"},
		"padded":          {good + "==", "base64url"},
		"truncated":       {good[:len(good)-4], "truncated"},
		"one byte":        {"AQ", "truncated"},
		"extended":        {base64.RawURLEncoding.EncodeToString(long), "truncated"},
		"version 2":       {base64.RawURLEncoding.EncodeToString(v2), "version"},
		"version 0":       {"AAAA", "version"},
		"too long":        {strings.Repeat("A", 4096), "too long"},
		"edited binding":  {edited, "another list"},
		"percent-encoded": {"%41%41", "base64url"},
	} {
		_, err := scim.DecodeCursor(tc.cursor, scim.ResourceUser, nil)
		e, ok := scim.AsError(err)
		require.True(t, ok, "%s: want *scim.Error, got %v", name, err)
		assert.Equal(t, http.StatusBadRequest, e.Status, name)
		assert.Equal(t, scim.TypeInvalidCursor, e.Type, name)
		assert.Contains(t, e.Detail, tc.detail, name)
		assert.NotContains(t, e.Detail, "illegal", "%s: Go error text leaked: %s", name, e.Detail)
	}
}

// FuzzDecodeCursor: whatever a client sends as a cursor, decoding never panics, and either
// fails with a 400 invalidCursor or yields a position that encodes back to the same cursor.
func FuzzDecodeCursor(f *testing.F) {
	pos := scim.CursorPosition{Created: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC), ID: "0b1d8c4e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"}
	good, err := scim.EncodeCursor(scim.ResourceUser, nil, pos)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, good[:10], "", "AQ", "A", "====", "%00", "\xff\xfe", strings.Repeat("_", 44), good + "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := scim.DecodeCursor(s, scim.ResourceUser, nil)
		if err != nil {
			e, ok := scim.AsError(err)
			if !ok || e.Status != http.StatusBadRequest || e.Type != scim.TypeInvalidCursor {
				t.Fatalf("DecodeCursor(%q) = %v, want a 400 invalidCursor", s, err)
			}
			return
		}
		again, err := scim.EncodeCursor(scim.ResourceUser, nil, got)
		if err != nil {
			t.Fatalf("DecodeCursor(%q) gave %+v, which does not encode: %v", s, got, err)
		}
		if again != s {
			t.Fatalf("DecodeCursor(%q) gave %+v, which encodes to %q", s, got, again)
		}
	})
}

// TestCursorDocumentedExample keeps the nextCursor of api/openapi.yaml's example a real one:
// the unfiltered user list after bob, created 2025-10-09T13:03:21.123456Z.
func TestCursorDocumentedExample(t *testing.T) {
	t.Parallel()
	const example = "AQAGQLls8PqATROy5myPSlm08WbQoe0qfbJAEL2zAqU9"
	pos, err := scim.DecodeCursor(example, scim.ResourceUser, nil)
	require.NoError(t, err)
	assert.Equal(t, scim.CursorPosition{Created: time.Date(2025, 10, 9, 13, 3, 21, 123456000, time.UTC), ID: "4d13b2e6-6c8f-4a59-b4f1-66d0a1ed2a7d"}, pos)
	again, err := scim.EncodeCursor(scim.ResourceUser, nil, pos)
	require.NoError(t, err)
	assert.Equal(t, example, again)
}
