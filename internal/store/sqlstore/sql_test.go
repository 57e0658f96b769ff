package sqlstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
)

func TestStmtPlaceholders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    FilterDialect
		want string
	}{
		{"postgres numbers in order", PostgresFilter, `SELECT 1 FROM users WHERE tenant_id = $1 AND (users.id = $2) AND id IN ($3, $4) LIMIT $5`},
		{"sqlite keeps ?", SQLiteFilter, `SELECT 1 FROM users WHERE tenant_id = ? AND (users.id = ?) AND id IN (?, ?) LIMIT ?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := newStmt(tc.d).add(`SELECT 1 FROM users WHERE tenant_id = ? AND (`, "t")
			q.raw(`users.id = `+tc.d.Placeholder(q.next()), "id").add(`) AND id IN `)
			q.list([]string{"a", "b"}).add(` LIMIT ?`, 10)
			assert.Equal(t, tc.want, q.String())
			assert.Equal(t, []any{"t", "id", "a", "b", 10}, q.args)
		})
	}
	assert.Panics(t, func() { newStmt(PostgresFilter).add(`a = ? AND b = ?`, 1) })
}

func TestChunks(t *testing.T) {
	t.Parallel()
	ids := []string{"a", "b", "c", "d", "e"}
	assert.Equal(t, [][]string{{"a", "b"}, {"c", "d"}, {"e"}}, chunks(ids, 2))
	assert.Equal(t, [][]string{ids}, chunks(ids, 5))
	assert.Nil(t, chunks(nil, 3))
	assert.Len(t, chunks(ids, 0), 5)
}

func TestMembersNotFound(t *testing.T) {
	t.Parallel()
	e, ok := scim.AsError(membersNotFound([]string{"c", "a", "b", "a"}))
	require.True(t, ok)
	assert.Equal(t, 400, e.Status)
	assert.Equal(t, scim.TypeInvalidValue, e.Type)
	assert.Equal(t, "members not found: a, b, c", e.Detail)

	var many []string
	for i := 0; i < 23; i++ {
		many = append(many, string(rune('A'+i)))
	}
	e, _ = scim.AsError(membersNotFound(many))
	assert.Equal(t, "members not found: A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T and 3 more", e.Detail)
}

func TestTimeColScan(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 12, 4, 14, 5, 6, 123456000, time.UTC)
	inputs := []any{
		want,
		want.In(time.FixedZone("x", 3600)),
		"2026-12-04T14:05:06.123456Z",
		[]byte("2026-12-04T15:05:06.123456+01:00"),
		"2026-12-04 14:05:06.123456+00:00",
		"2026-12-04 14:05:06.123456",
	}
	for _, in := range inputs {
		var c timeCol
		require.NoError(t, c.Scan(in), "%v", in)
		assert.True(t, c.valid)
		assert.True(t, want.Equal(c.t), "%v gave %v", in, c.t)
		assert.Equal(t, time.UTC, c.t.Location())
	}
	var c timeCol
	require.NoError(t, c.Scan(nil))
	assert.Nil(t, c.ptr())
	assert.Error(t, c.Scan("yesterday"))
	assert.Error(t, c.Scan(42))
}

func TestValidID(t *testing.T) {
	t.Parallel()
	assert.True(t, validID("d75b3bfa-7404-40c0-8c20-473a18d3804d"))
	for _, id := range []string{"", "x", "D75B3BFA-7404-40C0-8C20-473A18D3804D", "{d75b3bfa-7404-40c0-8c20-473a18d3804d}", "d75b3bfa740440c08c20473a18d3804d"} {
		assert.False(t, validID(id), id)
	}
}
