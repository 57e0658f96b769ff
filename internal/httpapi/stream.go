package httpapi

import (
	"bytes"
	"context"
	"net/http"

	"github.com/scimd/scimd/internal/scim"
)

// streamThreshold is how much of a response is buffered before it is committed: errors found
// before that (a store failure while reading the first members) still get a proper SCIM error
// response; after it the response streams and a failure can only abort the connection.
const streamThreshold = 64 << 10

// streamResponse writes a response body that may be large (a group with 100,000 members, a
// page of groups with their members) without ever holding it whole in memory.
type streamResponse struct {
	w         http.ResponseWriter
	status    int
	buf       bytes.Buffer
	committed bool
}

func newStreamResponse(w http.ResponseWriter, status int) *streamResponse {
	return &streamResponse{w: w, status: status}
}

// Write buffers p, committing the response once the buffer passes streamThreshold.
func (sr *streamResponse) Write(p []byte) (int, error) {
	if sr.committed {
		return sr.w.Write(p)
	}
	sr.buf.Write(p)
	if sr.buf.Len() >= streamThreshold {
		if err := sr.commit(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (sr *streamResponse) writeString(s string) error {
	_, err := sr.Write([]byte(s))
	return err
}

// commit sends the status, the headers and what is buffered.
func (sr *streamResponse) commit() error {
	sr.committed = true
	sr.w.Header().Set("Content-Type", contentType)
	sr.w.WriteHeader(sr.status)
	_, err := sr.w.Write(sr.buf.Bytes())
	sr.buf.Reset()
	return err
}

// finish completes a response whose body was written without error.
func (sr *streamResponse) finish() {
	if !sr.committed {
		_ = sr.commit()
	}
}

// fail ends a response whose body could not be completed: a proper error response while
// nothing has been sent, otherwise an aborted connection, so the client sees a broken response
// rather than a truncated one that parses.
func (s *server) failStream(w http.ResponseWriter, r *http.Request, sr *streamResponse, err error) {
	if !sr.committed {
		s.writeError(w, r, err)
		return
	}
	s.logger(r).Error("response aborted after it started", "err", err)
	panic(http.ErrAbortHandler)
}

// encodeResource writes the JSON of res as proj selects it. A group's members are not taken
// from res but streamed from the store with WalkMembers, one member at a time, and only when
// proj wants them (excludedAttributes=members never touches the membership table).
func (s *server) encodeResource(ctx context.Context, out *streamResponse, tenantID string, res *scim.Resource, group bool, proj scim.Projection, base string) error {
	if !group {
		b, err := marshalJSON(s.reg.Render(res, base, proj))
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	noMembers := *res
	noMembers.Members = nil
	obj := s.reg.Render(&noMembers, base, proj)
	delete(obj, "members")
	b, err := marshalJSON(obj)
	if err != nil {
		return err
	}
	if !proj.WantsMembers() {
		_, err = out.Write(b)
		return err
	}
	// Write the object without its closing brace, then the members array, then the brace.
	if _, err := out.Write(b[:len(b)-1]); err != nil {
		return err
	}
	render := s.memberRenderer(proj, base)
	// One buffer for every member: the separator and the member's JSON are appended to it and
	// written together, so a member costs no allocation of its own once the buffer has grown.
	buf := make([]byte, 0, 512)
	n := 0
	err = s.store.WalkMembers(ctx, tenantID, res.ID, func(m scim.Member) error {
		buf = buf[:0]
		switch {
		case n > 0:
			buf = append(buf, ',')
		case len(obj) > 0:
			buf = append(buf, `,"members":[`...)
		default:
			buf = append(buf, `"members":[`...)
		}
		n++
		var err error
		if buf, err = render(buf, m); err != nil {
			return err
		}
		_, err = out.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		return out.writeString("]}")
	}
	return out.writeString("}")
}

// memberRenderer returns how to append one streamed member's JSON to a buffer. Usually that is
// scim.AppendMemberJSON; when proj selects sub-attributes of members
// ("attributes=members.value") each member goes through Render so that the same projection
// rules apply as for any other attribute. A probe member with every sub-attribute set tells the
// two cases apart once per response.
func (s *server) memberRenderer(proj scim.Projection, base string) func([]byte, scim.Member) ([]byte, error) {
	viaRender := func(m scim.Member) any {
		obj := s.reg.Render(&scim.Resource{Type: scim.ResourceGroup, Members: []scim.Member{m}}, base, proj)
		if ms, ok := obj["members"].([]any); ok && len(ms) == 1 {
			return ms[0]
		}
		return scim.MemberJSON(m, base)
	}
	probe := scim.Member{Value: "probe", Type: scim.ResourceUser, Display: "probe"}
	full := scim.MemberJSON(probe, base)
	if got, ok := viaRender(probe).(map[string]any); ok && len(got) == len(full) {
		return func(dst []byte, m scim.Member) ([]byte, error) {
			return scim.AppendMemberJSON(dst, m, base), nil
		}
	}
	return func(dst []byte, m scim.Member) ([]byte, error) {
		b, err := marshalJSON(viaRender(m))
		return append(dst, b...), err
	}
}
