package scim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/internal/filter"
)

// scimType keywords of RFC 9865 §2.1 (cursor pagination). scimd produces invalidCursor only:
// its cursors are keyset positions that never expire, and a count that differs from the first
// page's is allowed, so expiredCursor and invalidCount are never sent.
const (
	TypeInvalidCursor = "invalidCursor"
	TypeExpiredCursor = "expiredCursor"
	TypeInvalidCount  = "invalidCount"
)

// InvalidCursor returns a 400 invalidCursor.
func InvalidCursor(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeInvalidCursor, format, args...)
}

// CursorPosition is where a cursor-paginated list (RFC 9865) continues: after the resource
// with this creation time and id, in the lists' order (created_at, id). It is a keyset
// position, not a server-side snapshot: it holds no resources and needs no state, so it never
// expires, costs the server nothing to hand out, and stays valid when that resource is deleted.
type CursorPosition struct {
	// Created is the resource's stored creation time (microsecond precision on every backend).
	Created time.Time
	// ID is the resource's id, a canonical lower-case UUID.
	ID string
}

// A cursor is base64url (no padding, so only RFC 3986 unreserved characters, as RFC 9865 §2
// requires) of:
//
//	byte 0       cursorVersion
//	bytes 1–8    Created as microseconds since the Unix epoch, big-endian int64
//	bytes 9–24   ID as the 16 bytes of the UUID
//	bytes 25–32  the first 8 bytes of SHA-256 of the list's binding (resource type and filter)
//
// Microseconds are exactly what both backends store (timestamptz; fixed-width text with six
// fractional digits), so the position round-trips without rounding: a cursor rounded to
// milliseconds would skip or repeat resources created in the same millisecond.
//
// There is no MAC, on purpose. The tenant comes from the bearer token, never from the cursor,
// so a forged or edited cursor can only name another position in the caller's own tenant,
// which the caller may list anyway (RFC 9865 §5.2: possession of a cursor grants nothing). The
// binding hash is not a secret either; it catches the honest mistake of reusing a cursor with
// another filter or on the other endpoint, which would otherwise silently continue a
// different list.
const (
	cursorVersion = 1
	cursorBytes   = 1 + 8 + 16 + 8
	// maxCursorText bounds what DecodeCursor looks at, so that a huge parameter costs nothing.
	maxCursorText = 128
)

// cursorBinding is the hash that ties a cursor to its list: the resource type and the
// canonical text of the filter (filter.String), so that `userName eq "a"` and
// `userName  EQ "a"` are the same list.
func cursorBinding(resourceType string, f filter.Expr) [8]byte {
	h := sha256.New()
	h.Write([]byte(resourceType))
	h.Write([]byte{0})
	if f != nil {
		h.Write([]byte(filter.String(f)))
	}
	var out [8]byte
	copy(out[:], h.Sum(nil))
	return out
}

// EncodeCursor returns the opaque cursor that continues the list of resourceType filtered by f
// after pos. pos.ID must be a UUID (every stored id is); pos.Created must have no precision
// below the microsecond, or the cursor would name a position the database never stored.
func EncodeCursor(resourceType string, f filter.Expr, pos CursorPosition) (string, error) {
	id, err := uuid.Parse(pos.ID)
	if err != nil {
		return "", fmt.Errorf("scim: cursor position id %q is not a UUID", pos.ID)
	}
	if pos.Created.Nanosecond()%1000 != 0 {
		return "", fmt.Errorf("scim: cursor position time %s is finer than the stored microseconds", pos.Created.Format(time.RFC3339Nano))
	}
	var b [cursorBytes]byte
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(pos.Created.UnixMicro()))
	copy(b[9:25], id[:])
	bind := cursorBinding(resourceType, f)
	copy(b[25:33], bind[:])
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// DecodeCursor returns the position a cursor from EncodeCursor names, checking that it was
// made for the same resource type and filter. Anything else (empty, too long, not base64url,
// truncated, another version, another list) is a 400 invalidCursor whose detail says what is
// wrong; DecodeCursor never panics, whatever s holds.
func DecodeCursor(s, resourceType string, f filter.Expr) (CursorPosition, error) {
	const restart = "; start again with an empty cursor"
	if s == "" {
		return CursorPosition{}, InvalidCursor("cursor is empty; an empty cursor asks for the first page and has no position")
	}
	if len(s) > maxCursorText {
		return CursorPosition{}, InvalidCursor("cursor is too long to be one this server issued" + restart)
	}
	// The decoder skips line breaks, so the alphabet is checked first: one cursor has exactly
	// one text.
	for i := 0; i < len(s); i++ {
		if !isBase64URL(s[i]) {
			return CursorPosition{}, InvalidCursor("cursor is not a value this server issued (not base64url)" + restart)
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return CursorPosition{}, InvalidCursor("cursor is not a value this server issued (not base64url)" + restart)
	}
	if len(b) == 0 || b[0] != cursorVersion {
		return CursorPosition{}, InvalidCursor("cursor has an unknown format version" + restart)
	}
	if len(b) != cursorBytes {
		return CursorPosition{}, InvalidCursor("cursor is truncated or corrupted" + restart)
	}
	bind := cursorBinding(resourceType, f)
	if !bytes.Equal(b[25:33], bind[:]) {
		return CursorPosition{}, InvalidCursor("cursor belongs to another list: send the same filter, on the same endpoint, " +
			"as for the first page" + restart)
	}
	created := time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))).UTC()
	if created.Before(minCursorTime) || created.After(maxCursorTime) {
		// Only an edited cursor gets here; a year the databases cannot hold would fail the
		// query (Postgres: timestamp out of range) instead of being a client error.
		return CursorPosition{}, InvalidCursor("cursor is corrupted" + restart)
	}
	id, _ := uuid.FromBytes(b[9:25]) // 16 bytes: cannot fail
	return CursorPosition{Created: created, ID: id.String()}, nil
}

// The times a cursor may hold: four-digit years, which both backends store and compare.
var (
	minCursorTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxCursorTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// isBase64URL reports whether c is in the base64url alphabet (RFC 4648 §5).
func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
