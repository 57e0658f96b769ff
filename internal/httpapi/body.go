package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/scimd/scimd/internal/scim"
)

// readBody reads the whole (size-limited) request body. Exceeding the limit is a 413.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, scim.InvalidSyntax("could not read the request body")
	}
	return b, nil
}

// decodeObject decodes a JSON object with numbers kept as json.Number (what the registry
// expects). Malformed JSON, a value that is not an object and data after the object are 400
// invalidSyntax errors naming the position, in words of our own rather than Go's.
func decodeObject(data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, scim.InvalidSyntax("request body is empty; expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonSyntaxError(err, data)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, scim.InvalidSyntax("request body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		line, col := lineCol(data, off)
		return nil, scim.InvalidSyntax("unexpected data after the JSON object at line %d, column %d (byte offset %d)", line, col, off)
	}
	return obj, nil
}

// jsonSyntaxError describes a decoding error by position only.
func jsonSyntaxError(err error, data []byte) *scim.Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := se.Offset
		if off > 0 {
			off-- // Offset is just after the offending byte
		}
		line, col := lineCol(data, off)
		return scim.InvalidSyntax("malformed JSON at line %d, column %d (byte offset %d)", line, col, off)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return scim.InvalidSyntax("malformed JSON: the body ends before the JSON value is complete")
	}
	return scim.InvalidSyntax("malformed JSON")
}

// lineCol converts a byte offset into 1-based line and column numbers.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	prefix := data[:off]
	line = bytes.Count(prefix, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(prefix, '\n') + 1) + 1
	return line, col
}

// marshalJSON encodes v without HTML escaping (SCIM values are not embedded in HTML) and
// without the encoder's trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
