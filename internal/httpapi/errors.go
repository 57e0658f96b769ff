package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
)

// contentType is the media type of every response body (RFC 7644 §3.1; Entra ID's validator
// fails other types).
const contentType = "application/scim+json; charset=utf-8"

// internalDetail is the only thing a client learns about an internal error.
const internalDetail = "internal server error"

// errorBody is the RFC 7644 §3.12 error response. Status is a string, as the RFC's examples
// and Entra ID expect.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// writeError writes err as a SCIM error response; it is the only place errors become HTTP.
// A *scim.Error is written as it is; a *filter.Error becomes 400 invalidFilter naming the
// position; a deadline or cancelled context becomes 503; anything else is an internal error:
// logged with the request id and answered 500 with a generic detail, so no Go error text, SQL
// or stack reaches the client.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.toSCIMError(r, err)
	h := w.Header()
	// Headers set for a success that did not happen must not leak into the error.
	h.Del("ETag")
	h.Del("Location")
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	if e.Status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", `Bearer realm="scimd"`)
	}
	writeJSON(w, e.Status, errorBody{
		Schemas:  []string{scim.MessageError},
		Status:   strconv.Itoa(e.Status),
		ScimType: e.Type,
		Detail:   e.Detail,
	})
}

// toSCIMError maps any error to the *scim.Error a client may see, logging what it hides.
func (s *server) toSCIMError(r *http.Request, err error) *scim.Error {
	if e, ok := scim.AsError(err); ok {
		if e.Status >= 500 {
			s.logger(r).Warn("request failed", "status", e.Status, "err", err)
		}
		return e
	}
	var fe *filter.Error
	if errors.As(err, &fe) {
		return scim.InvalidFilter("invalid filter %s", fe.Error())
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// A cancelled context is usually a client that went away; it never sees this answer.
		s.logger(r).Warn("request did not finish in time", "err", err)
		return scim.ErrUnavailable
	}
	s.logger(r).Error("internal error", "err", err)
	return &scim.Error{Status: http.StatusInternalServerError, Detail: internalDetail}
}

// tooLarge is the 413 for a body over limit bytes.
func tooLarge(limit int64) *scim.Error {
	return scim.Errorf(http.StatusRequestEntityTooLarge, "", "request body is larger than %d bytes", limit)
}

// writeJSON writes v with the SCIM content type and status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		// Only values built by this package are written; they always marshal.
		b = []byte(`{"schemas":["` + scim.MessageError + `"],"status":"500","detail":"` + internalDetail + `"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
