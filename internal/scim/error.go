// Package scim holds scimd's domain: resource documents, the schema registry, the query types,
// the store interfaces and the one error type every layer returns to clients.
package scim

import (
	"errors"
	"fmt"
	"net/http"
)

// scimType keywords from RFC 7644 §3.12.
const (
	TypeInvalidFilter = "invalidFilter"
	TypeTooMany       = "tooMany"
	TypeUniqueness    = "uniqueness"
	TypeMutability    = "mutability"
	TypeInvalidSyntax = "invalidSyntax"
	TypeInvalidPath   = "invalidPath"
	TypeNoTarget      = "noTarget"
	TypeInvalidValue  = "invalidValue"
	TypeInvalidVers   = "invalidVers"
	TypeSensitive     = "sensitive"
)

// Error is a failure that is safe to show to a SCIM client. Status is the HTTP status, Type the
// optional RFC 7644 scimType keyword and Detail a human-readable message that never contains
// SQL, Go error text or secrets. Any error that is not an *Error is an internal error: the HTTP
// layer logs it and answers 500 with a generic detail.
type Error struct {
	Status int
	Type   string
	Detail string
}

func (e *Error) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("scim %d %s: %s", e.Status, e.Type, e.Detail)
	}
	return fmt.Sprintf("scim %d: %s", e.Status, e.Detail)
}

// Errorf returns an *Error with the given status and scimType and a formatted detail.
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, Type: scimType, Detail: fmt.Sprintf(format, args...)}
}

// AsError reports whether err is (or wraps) an *Error and returns it.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// StatusOf returns the HTTP status an error maps to: its own for an *Error, 500 otherwise.
func StatusOf(err error) int {
	if e, ok := AsError(err); ok {
		return e.Status
	}
	return http.StatusInternalServerError
}

// Sentinel errors that stores and services return; compare with errors.Is. They are *Error
// values, so the HTTP layer writes them as they are.
var (
	// ErrNotFound: the resource does not exist in the caller's tenant (another tenant's ids
	// are indistinguishable from ids that do not exist).
	ErrNotFound = &Error{Status: http.StatusNotFound, Detail: "resource not found"}
	// ErrVersionMismatch: an optimistic-concurrency write found a newer version than expected.
	ErrVersionMismatch = &Error{Status: http.StatusPreconditionFailed, Detail: "resource was modified concurrently; version mismatch"}
	// ErrUnavailable: the database cannot be reached; the client should retry later.
	ErrUnavailable = &Error{Status: http.StatusServiceUnavailable, Detail: "service temporarily unavailable; retry later"}
	// ErrUnauthorized: missing, malformed, unknown, expired or revoked bearer token.
	ErrUnauthorized = &Error{Status: http.StatusUnauthorized, Detail: "missing or invalid bearer token"}
)

// NotFound returns a 404 naming the resource type and id.
func NotFound(resourceType, id string) *Error {
	return Errorf(http.StatusNotFound, "", "%s %q not found", resourceType, id)
}

// InvalidValue returns a 400 invalidValue.
func InvalidValue(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeInvalidValue, format, args...)
}

// InvalidSyntax returns a 400 invalidSyntax.
func InvalidSyntax(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeInvalidSyntax, format, args...)
}

// InvalidFilter returns a 400 invalidFilter.
func InvalidFilter(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeInvalidFilter, format, args...)
}

// InvalidPath returns a 400 invalidPath.
func InvalidPath(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeInvalidPath, format, args...)
}

// NoTarget returns a 400 noTarget.
func NoTarget(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeNoTarget, format, args...)
}

// Mutability returns a 400 mutability.
func Mutability(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeMutability, format, args...)
}

// Uniqueness returns a 409 uniqueness.
func Uniqueness(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, TypeUniqueness, format, args...)
}
