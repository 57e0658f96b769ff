package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/scimd/scimd/cmd/internal/cliflag"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

const eventsHelp = `Prints the provisioning log, oldest first: one line per change that scimd made for an
identity provider, and per token created, rotated or revoked (scimctl import writes no
events), with the event id, the time (UTC), the tenant, the id of the token that made it ("-"
for none), the operation (create, replace, patch, delete; rotate and revoke for tokens), the
resource type (User, Group, Token) and id, and the outcome. --after ID prints only the events
after that id, so a script can carry on where it stopped. --follow keeps waiting for new
events, looking every 2 seconds, until interrupted (Ctrl-C). --json prints one JSON object per
line instead of the table.`

// eventLister is what the events command needs from a store; the SQL store of every backend
// has it.
type eventLister interface {
	ListEvents(ctx context.Context, tenantID string, afterID int64, limit int) ([]sqlstore.Event, error)
}

// eventPage is how many events one query reads.
const eventPage = 500

// followLookback is how many polls of --follow each poll looks back over. PostgreSQL hands
// out event ids when a change is written but makes them visible when it commits, so a
// transaction that commits late shows an id lower than one already printed; reading again
// from the highest id seen followLookback polls ago (and skipping what was printed) catches
// it.
const followLookback = 5

func (c *cli) events(ctx context.Context, args []string) error {
	fs := c.storeCommand("events", "events [--tenant NAME] [--after ID] [--limit N] [--follow] [--json]", eventsHelp)
	tenant := fs.String("tenant", "", "only the events of the tenant with this `name` (default: every tenant)")
	after := fs.Int64("after", 0, "print only the events with an id greater than `ID`")
	limit := fs.Int("limit", 0, "stop after `N` events (0: no limit)")
	follow := fs.Bool("follow", false, "keep printing new events, looking every 2s, until interrupted")
	asJSON := fs.Bool("json", false, "print one JSON object per line (NDJSON) instead of a table")
	if _, err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if *after < 0 {
		return cliflag.Usagef("events: invalid --after %d: want an event id (0 or more)", *after)
	}
	if *limit < 0 {
		return cliflag.Usagef("events: invalid --limit %d: want 0 (no limit) or more", *limit)
	}
	be, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	log, ok := be.Store().(eventLister)
	if !ok {
		return fmt.Errorf("the %s backend has no provisioning log", be.Kind())
	}
	src := &eventSource{tenants: be.Store(), log: log, names: map[string]string{}}
	if *tenant != "" {
		if src.tenant, err = c.tenantByName(ctx, be.Store(), *tenant); err != nil {
			return err
		}
	}
	f := &eventFollower{src: src, out: newEventPrinter(c.stdout, *asJSON, src.names), limit: *limit}
	if !*follow {
		_, _, err := f.pass(ctx, *after)
		return err
	}
	if err := f.follow(ctx, *after, c.pollInterval); err != nil && ctx.Err() == nil {
		return err
	}
	return nil // done, or interrupted: the normal end of --follow
}

// eventSource reads the provisioning log of one tenant or of every tenant.
type eventSource struct {
	tenants scim.TenantStore
	log     eventLister
	tenant  *scim.Tenant      // nil: every tenant
	names   map[string]string // tenant id -> name, filled as tenants are read
}

// read returns up to n events with an id greater than after, oldest first. For every tenant it
// merges the first n of each (the log is keyed by tenant, so each query is an index range), and
// lists the tenants again each time so that new ones are followed too.
func (s *eventSource) read(ctx context.Context, after int64, n int) ([]sqlstore.Event, error) {
	tenants := []*scim.Tenant{s.tenant}
	if s.tenant == nil {
		var err error
		if tenants, err = s.tenants.ListTenants(ctx); err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
	}
	var out []sqlstore.Event
	for _, t := range tenants {
		s.names[t.ID] = t.Name
		evs, err := s.log.ListEvents(ctx, t.ID, after, n)
		if err != nil {
			return nil, fmt.Errorf("read the events of tenant %q: %w", t.Name, err)
		}
		out = append(out, evs...)
	}
	slices.SortFunc(out, func(a, b sqlstore.Event) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(n, len(out))], nil
}

// eventFollower prints events, at most limit of them (0: no limit), each once.
type eventFollower struct {
	src     *eventSource
	out     *eventPrinter
	limit   int
	printed int
	seen    map[int64]bool // ids printed above the lookback mark (follow only)
	// catchingUp is set while --follow reads what was there when it started: then only the
	// page being read needs remembering, however long the log.
	catchingUp bool
}

// done reports whether limit events were printed.
func (f *eventFollower) done() bool { return f.limit > 0 && f.printed >= f.limit }

// pass prints every event after from that was not printed yet, page by page, and returns the
// highest id it read (from when none) and where its last page started.
func (f *eventFollower) pass(ctx context.Context, from int64) (top, lastPage int64, err error) {
	top = from
	for !f.done() {
		lastPage = from
		if f.catchingUp {
			clear(f.seen)
		}
		n := eventPage
		if f.limit > 0 {
			n = min(n, f.limit-f.printed)
		}
		evs, err := f.src.read(ctx, from, n)
		if err != nil {
			return top, lastPage, err
		}
		for _, e := range evs {
			top = max(top, e.ID)
			if f.seen != nil {
				if f.seen[e.ID] {
					continue
				}
				f.seen[e.ID] = true
			}
			if err := f.out.print(e); err != nil {
				return top, lastPage, err
			}
			f.printed++
		}
		if err := f.out.flush(); err != nil {
			return top, lastPage, err
		}
		if len(evs) < n {
			break
		}
		from = evs[len(evs)-1].ID
	}
	return top, lastPage, nil
}

// follow prints the events after after, then polls every interval for new ones until ctx is
// canceled or limit events were printed.
func (f *eventFollower) follow(ctx context.Context, after int64, interval time.Duration) error {
	f.seen, f.catchingUp = map[int64]bool{}, true
	top, lastPage, err := f.pass(ctx, after)
	f.catchingUp = false
	if err != nil {
		return err
	}
	// marks[0] is where the next poll reads from: the highest id seen followLookback polls
	// ago. Of the catch-up read above, only its last page is looked back over, so that
	// following a long log does not read it all again.
	marks := []int64{lastPage, top}
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for !f.done() {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		top, _, err = f.pass(ctx, marks[0])
		if err != nil {
			return err
		}
		marks = append(marks, max(top, marks[len(marks)-1]))
		if len(marks) > followLookback {
			marks = marks[1:]
			f.forget(marks[0])
		}
		timer.Reset(interval)
	}
	return nil
}

// forget drops the printed ids up to mark, which no later read returns again.
func (f *eventFollower) forget(mark int64) {
	for id := range f.seen {
		if id <= mark {
			delete(f.seen, id)
		}
	}
}

// eventPrinter writes events as a table (flushed after each page, so that --follow shows
// events as they come) or as NDJSON.
type eventPrinter struct {
	w      io.Writer
	json   *json.Encoder // nil: table
	tw     *tabwriter.Writer
	names  map[string]string
	header bool // the table header was written
}

func newEventPrinter(w io.Writer, asJSON bool, names map[string]string) *eventPrinter {
	p := &eventPrinter{w: w, names: names}
	if asJSON {
		p.json = json.NewEncoder(w)
	}
	return p
}

// eventJSON is one NDJSON line of `scimctl events --json`.
type eventJSON struct {
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	Tenant       string    `json:"tenant"`
	TenantID     string    `json:"tenantId"`
	TokenID      *string   `json:"tokenId"` // null when no token made the change
	Operation    string    `json:"operation"`
	ResourceType string    `json:"resourceType"`
	ResourceID   string    `json:"resourceId"`
	Outcome      string    `json:"outcome"`
}

func (p *eventPrinter) print(e sqlstore.Event) error {
	if p.json != nil {
		line := eventJSON{ID: e.ID, Time: e.At.UTC(), Tenant: p.names[e.TenantID], TenantID: e.TenantID,
			Operation: e.Operation, ResourceType: e.ResourceType, ResourceID: e.ResourceID, Outcome: e.Outcome}
		if e.TokenID != "" {
			line.TokenID = &e.TokenID
		}
		if err := p.json.Encode(line); err != nil {
			return fmt.Errorf("write the events: %w", err)
		}
		return nil
	}
	p.table()
	token := e.TokenID
	if token == "" {
		token = "-"
	}
	fmt.Fprintf(p.tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, formatTime(&e.At, "-"), p.names[e.TenantID],
		token, e.Operation, e.ResourceType, e.ResourceID, e.Outcome)
	return nil
}

// table starts a page of the table, with the header before the first one.
func (p *eventPrinter) table() {
	if p.tw != nil {
		return
	}
	p.tw = tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	if !p.header {
		fmt.Fprintln(p.tw, "ID\tTIME\tTENANT\tTOKEN\tOPERATION\tTYPE\tRESOURCE ID\tOUTCOME")
		p.header = true
	}
}

// flush ends a page: the table's columns are aligned within it. The header is written even
// when there are no events, so that an empty log is told apart from no output.
func (p *eventPrinter) flush() error {
	if p.json != nil {
		return nil
	}
	p.table()
	err := p.tw.Flush()
	p.tw = nil
	if err != nil {
		return fmt.Errorf("write the events: %w", err)
	}
	return nil
}
