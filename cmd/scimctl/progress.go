package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/store/sqlstore"
)

// progressInterval is the shortest time between two updates of a progress line.
const progressInterval = 200 * time.Millisecond

// progress counts the records of an export or import and, when it writes to a terminal,
// keeps one line updated with the counts ("\rexported 12,345 users, …").
type progress struct {
	w    io.Writer // nil: count only (not a terminal)
	verb string    // "exported", "read"
	now  func() time.Time

	users, groups, memberships int
	last                       time.Time
	width                      int // length of the line on screen; 0 when none is
}

// newProgress returns a progress that draws on w only when w is a terminal, so that a
// redirected stderr (a log file, CI) gets no carriage returns.
func newProgress(w io.Writer, verb string) *progress {
	p := &progress{verb: verb, now: time.Now}
	if isTerminal(w) {
		p.w = w
	}
	return p
}

// isTerminal reports whether w is a character device (a terminal), without a dependency.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// add counts one record and redraws the line when progressInterval has passed.
func (p *progress) add(typ string) {
	switch typ {
	case sqlstore.RecordUser:
		p.users++
	case sqlstore.RecordGroup:
		p.groups++
	case sqlstore.RecordMembership:
		p.memberships++
	default:
		return
	}
	if p.w == nil {
		return
	}
	t := p.now()
	if !p.last.IsZero() && t.Sub(p.last) < progressInterval {
		return
	}
	p.last = t
	p.draw(p.summary(p.verb))
}

// draw replaces the line on screen with s.
func (p *progress) draw(s string) {
	pad := ""
	if n := p.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprint(p.w, "\r"+s+pad)
	p.width = len(s)
}

// clear removes the progress line, if one is on screen.
func (p *progress) clear() {
	if p.w == nil || p.width == 0 {
		return
	}
	fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.width)+"\r")
	p.width = 0
}

// summary is the counts with verb: "exported 1,234 users, 5 groups, 6,789 memberships".
func (p *progress) summary(verb string) string {
	return fmt.Sprintf("%s %s users, %s groups, %s memberships", verb,
		thousands(p.users), thousands(p.groups), thousands(p.memberships))
}

// thousands formats n with a comma between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
