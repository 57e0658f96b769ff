package sqlstore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxRecordLine bounds one line of an export file, so that a file that is not one (a binary
// file, a JSON document on a single huge line) fails instead of filling memory.
const MaxRecordLine = 16 << 20

// ImportError is a record of an import file that cannot be imported: bad JSON, a missing or
// invalid field, an unknown type, a reference to an id no earlier record defines, a duplicate.
// Line is the 1-based line of the file (0 when the problem is the file as a whole).
type ImportError struct {
	Line   int
	Reason string
}

func (e *ImportError) Error() string {
	if e.Line == 0 {
		return "import file: " + e.Reason
	}
	return fmt.Sprintf("import file line %d: %s", e.Line, e.Reason)
}

func importErrorf(line int, format string, args ...any) *ImportError {
	return &ImportError{Line: line, Reason: fmt.Sprintf(format, args...)}
}

// RecordWriter writes records as newline-delimited JSON. Call Flush at the end.
type RecordWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewRecordWriter returns a RecordWriter on w, buffered.
func NewRecordWriter(w io.Writer) *RecordWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	// Attribute values are written as they are stored; "<" in a displayName stays "<".
	enc.SetEscapeHTML(false)
	return &RecordWriter{w: bw, enc: enc}
}

// Write writes one record on its own line (json.Encoder ends it with "\n").
func (w *RecordWriter) Write(r Record) error { return w.enc.Encode(r) }

// Flush writes out what is buffered.
func (w *RecordWriter) Flush() error { return w.w.Flush() }

// RecordReader reads newline-delimited JSON records and numbers their lines. Numbers in
// attribute documents stay json.Number, as scim.Resource requires.
type RecordReader struct {
	r    *bufio.Reader
	line int
}

// NewRecordReader returns a RecordReader on r.
func NewRecordReader(r io.Reader) *RecordReader {
	return &RecordReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next record with its Line set, io.EOF after the last one, and an
// *ImportError naming the line for a line that is not one JSON object of the format (unknown
// fields included). Blank lines are errors too: the format has none, and a file with them
// was not written by scimctl export.
func (rr *RecordReader) Next() (Record, error) {
	line, err := rr.readLine()
	if err != nil {
		return Record{}, err
	}
	rr.line++
	if len(bytes.TrimSpace(line)) == 0 {
		return Record{}, importErrorf(rr.line, "empty line")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var rec Record
	if err := dec.Decode(&rec); err != nil {
		return Record{}, importErrorf(rr.line, "invalid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Record{}, importErrorf(rr.line, "invalid JSON: more than one value on the line")
	}
	rec.Line = rr.line
	return rec, nil
}

// readLine returns the next line without its "\n" (and "\r"), io.EOF at the end.
func (rr *RecordReader) readLine() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := rr.r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > MaxRecordLine {
			return nil, importErrorf(rr.line+1, "line longer than %d bytes", MaxRecordLine)
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(buf[:len(buf)-1], []byte("\r")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 {
				return nil, io.EOF
			}
			return buf, nil // a last line without "\n"
		default:
			return nil, err
		}
	}
}
