package sqlstore

import (
	"context"
	"database/sql"
	"strings"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmt builds one SQL statement and its arguments. Text given to add uses "?" for every
// parameter; stmt rewrites each into the dialect's placeholder for the argument's position, so
// that statement text can be written once for every backend. The store's own SQL never
// contains a literal "?" otherwise.
type stmt struct {
	d    FilterDialect
	b    strings.Builder
	args []any
}

func newStmt(d FilterDialect) *stmt { return &stmt{d: d} }

// add appends text whose "?" markers take args, in order.
func (s *stmt) add(text string, args ...any) *stmt {
	i := 0
	for {
		j := strings.IndexByte(text, '?')
		if j < 0 {
			s.b.WriteString(text)
			break
		}
		s.b.WriteString(text[:j])
		s.args = append(s.args, args[i])
		s.b.WriteString(s.d.Placeholder(len(s.args)))
		i++
		text = text[j+1:]
	}
	if i != len(args) {
		panic("sqlstore: placeholder count does not match arguments in " + text)
	}
	return s
}

// raw appends a fragment whose placeholders were already numbered for the arguments that
// follow the ones s holds (a compiled filter), and those arguments.
func (s *stmt) raw(text string, args ...any) *stmt {
	s.b.WriteString(text)
	s.args = append(s.args, args...)
	return s
}

// list appends "(?, ?, …)" for vals.
func (s *stmt) list(vals []string) *stmt {
	s.b.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			s.b.WriteString(", ")
		}
		s.add("?", v)
	}
	s.b.WriteByte(')')
	return s
}

// next returns the position the next argument will take.
func (s *stmt) next() int { return len(s.args) + 1 }

func (s *stmt) String() string { return s.b.String() }

func (s *stmt) exec(ctx context.Context, q querier) (sql.Result, error) {
	return q.ExecContext(ctx, s.String(), s.args...)
}

func (s *stmt) query(ctx context.Context, q querier) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.String(), s.args...)
}

func (s *stmt) queryRow(ctx context.Context, q querier) *sql.Row {
	return q.QueryRowContext(ctx, s.String(), s.args...)
}

// chunks splits ids into slices of at most n.
func chunks(ids []string, n int) [][]string {
	if n < 1 {
		n = 1
	}
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
