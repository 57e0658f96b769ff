package sqlstore_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// fewParams is a dialect that allows only a handful of bind parameters per statement, so that
// the paths for member sets larger than one statement run with a few members.
type fewParams struct{ sqlstore.Dialect }

func (fewParams) MaxParams() int { return 6 }

// rowIdentities returns, per member id, a value that changes when the membership row is
// deleted and inserted again (Postgres: the inserting transaction, xmin; SQLite: the rowid,
// which stays above the other group's rows so a re-insert cannot reuse one).
func rowIdentities(t *testing.T, st *sqlstore.Store, backend, groupID string) map[string]string {
	t.Helper()
	col := "CAST(rowid AS TEXT)"
	if backend == "postgres" {
		col = "xmin::text"
	}
	// groupID is a UUID the store generated, so it is safe to inline.
	rows, err := st.DB().QueryContext(testCtx(t), fmt.Sprintf(
		`SELECT CAST(member_id AS TEXT), %s FROM group_members WHERE group_id = '%s'`, col, groupID))
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, ident string
		require.NoError(t, rows.Scan(&id, &ident))
		out[id] = ident
	}
	require.NoError(t, rows.Err())
	return out
}

func walkIDs(t *testing.T, st scim.GroupStore, tenantID, groupID string) []string {
	t.Helper()
	var ids []string
	require.NoError(t, st.WalkMembers(testCtx(t), tenantID, groupID, func(m scim.Member) error {
		ids = append(ids, m.Value)
		return nil
	}))
	return ids
}

// TestReplaceMembersKeepsUntouchedRows checks that replacing a member set (PATCH replace of
// members, PUT) deletes and inserts only the memberships that change: the rows of members in
// both sets are not rewritten. It runs with the dialect's real parameter limit (one
// DELETE … NOT IN) and with a tiny one (the new set does not fit one statement).
func TestReplaceMembersKeepsUntouchedRows(t *testing.T) {
	t.Parallel()
	dialects := map[string]sqlstore.Dialect{"postgres": postgres.Dialect{}, "sqlite": sqlite.Dialect{}}
	for _, b := range backends {
		for _, limit := range []string{"real limit", "tiny limit"} {
			for _, via := range []string{"patch", "put"} {
				t.Run(b.name+"/"+limit+"/"+via, func(t *testing.T) {
					t.Parallel()
					ctx := scim.WithActor(testCtx(t), "")
					st := b.open(t)
					if limit == "tiny limit" {
						// Shares st's database; st closes it.
						st = sqlstore.New(st.DB(), fewParams{dialects[b.name]}, scim.NewRegistry())
					}
					tn, err := st.CreateTenant(ctx, "t")
					require.NoError(t, err)
					var us []scim.Member
					for i := range 8 {
						u, err := st.CreateUser(ctx, tn.ID, &scim.Resource{Type: scim.ResourceUser,
							Attributes: map[string]any{"userName": fmt.Sprintf("u%d", i)}})
						require.NoError(t, err)
						us = append(us, scim.Member{Value: u.ID, Type: scim.ResourceUser})
					}
					other, err := st.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup,
						Attributes: map[string]any{"displayName": "other"}, Members: us[:4]})
					require.NoError(t, err)
					g, err := st.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup,
						Attributes: map[string]any{"displayName": "g"}, Members: us[:6]})
					require.NoError(t, err)
					before := rowIdentities(t, st, b.name, g.ID)
					otherBefore := rowIdentities(t, st, b.name, other.ID)
					require.Len(t, before, 6)

					// Keep u1…u4, drop u0 and u5, add u6; u2 twice and in upper case.
					next := []scim.Member{us[1], us[2], us[3], us[4], us[6],
						{Value: strings.ToUpper(us[2].Value), Type: scim.ResourceUser}}
					if via == "patch" {
						_, err = st.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberReplace, Members: next}}})
					} else {
						_, err = st.ReplaceGroup(ctx, tn.ID, &scim.Resource{ID: g.ID, Type: scim.ResourceGroup,
							Attributes: map[string]any{"displayName": "g"}, Members: next}, 0)
					}
					require.NoError(t, err)

					want := []string{us[1].Value, us[2].Value, us[3].Value, us[4].Value, us[6].Value}
					slices.Sort(want)
					assert.Equal(t, want, walkIDs(t, st, tn.ID, g.ID))
					after := rowIdentities(t, st, b.name, g.ID)
					for _, m := range us[1:5] {
						assert.Equal(t, before[m.Value], after[m.Value], "the row of a kept member is not rewritten")
					}
					assert.Contains(t, after, us[6].Value)
					assert.Equal(t, otherBefore, rowIdentities(t, st, b.name, other.ID), "other groups are untouched")

					// Replacing with the same set changes nothing; with an empty set removes all.
					_, err = st.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberReplace, Members: next}}})
					require.NoError(t, err)
					assert.Equal(t, after, rowIdentities(t, st, b.name, g.ID))
					_, err = st.PatchGroup(ctx, tn.ID, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberReplace}}})
					require.NoError(t, err)
					assert.Empty(t, walkIDs(t, st, tn.ID, g.ID))
					assert.Len(t, walkIDs(t, st, tn.ID, other.ID), 4)

					// An unknown member fails the whole replace and keeps the set.
					_, err = st.PatchGroup(ctx, tn.ID, other.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
						{Kind: scim.MemberReplace, Members: []scim.Member{us[7], {Value: uuid.NewString()}}}}})
					require.Error(t, err)
					assert.Equal(t, otherBefore, rowIdentities(t, st, b.name, other.ID))
				})
			}
		}
	}
}

// TestWalkMembersSkipsDanglingAcrossBatches walks a group whose memberships are mostly
// dangling (their member was deleted without the membership, as a delete racing an add can
// leave): whole batches without one existing member must not end the walk.
func TestWalkMembersSkipsDanglingAcrossBatches(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := scim.WithActor(testCtx(t), "")
			st := b.open(t)
			tn, err := st.CreateTenant(ctx, "t")
			require.NoError(t, err)
			var want []string
			var members []scim.Member
			for i := range 3 {
				u, err := st.CreateUser(ctx, tn.ID, &scim.Resource{Type: scim.ResourceUser,
					Attributes: map[string]any{"userName": fmt.Sprintf("u%d", i), "displayName": fmt.Sprintf("User %d", i)}})
				require.NoError(t, err)
				members = append(members, scim.Member{Value: u.ID})
				want = append(want, u.ID)
			}
			sub, err := st.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup, Attributes: map[string]any{"displayName": "sub"}})
			require.NoError(t, err)
			members = append(members, scim.Member{Value: sub.ID, Type: scim.ResourceGroup})
			want = append(want, sub.ID)
			g, err := st.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup,
				Attributes: map[string]any{"displayName": "g"}, Members: members})
			require.NoError(t, err)

			// 12,000 dangling memberships: more than two batches of WalkMembers on their own.
			tx, err := st.DB().BeginTx(ctx, nil)
			require.NoError(t, err)
			for range 12 {
				var sb strings.Builder
				sb.WriteString(`INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES `)
				for i := range 1000 {
					if i > 0 {
						sb.WriteString(", ")
					}
					kind := "User"
					if i%7 == 0 {
						kind = "Group"
					}
					fmt.Fprintf(&sb, "('%s', '%s', '%s', '%s')", tn.ID, g.ID, uuid.NewString(), kind)
				}
				_, err := tx.ExecContext(ctx, sb.String())
				require.NoError(t, err)
			}
			require.NoError(t, tx.Commit())

			var got []scim.Member
			require.NoError(t, st.WalkMembers(ctx, tn.ID, g.ID, func(m scim.Member) error {
				got = append(got, m)
				return nil
			}))
			slices.Sort(want)
			ids := make([]string, len(got))
			for i, m := range got {
				ids[i] = m.Value
			}
			assert.Equal(t, want, ids, "the existing members, in member id order")
			for _, m := range got {
				if m.Value == sub.ID {
					assert.Equal(t, scim.Member{Value: sub.ID, Type: scim.ResourceGroup, Display: "sub"}, m)
				} else {
					assert.Equal(t, scim.ResourceUser, m.Type)
					assert.True(t, strings.HasPrefix(m.Display, "User "), m.Display)
				}
			}
		})
	}
}
