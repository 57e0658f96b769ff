package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/scim"
	"github.com/scimd/scimd/internal/store/backend/backendtest"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// The export/import tests run on both backends, and across them: the done-when of the
// feature is that an export from one backend imported into the other yields the same
// resources.

type opener func(t *testing.T) *sqlstore.Store

func openPostgres(t *testing.T) *sqlstore.Store {
	t.Helper()
	ctx := testCtx(t)
	db, err := postgres.Open(ctx, postgres.Config{URL: backendtest.NewDatabaseURL(t, "sqlstore_export")})
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	return db.Store()
}

func openSQLite(t *testing.T) *sqlstore.Store {
	t.Helper()
	ctx := testCtx(t)
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "scimd.db")})
	require.NoError(t, err)
	t.Cleanup(db.Close)
	require.NoError(t, db.Migrate(ctx))
	return db.Store()
}

var backends = []struct {
	name string
	open opener
}{
	{"postgres", openPostgres},
	{"sqlite", openSQLite},
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// manyUsers is more than one export batch (1000), so that keyset pagination is exercised for
// users and for the memberships of the large group.
const manyUsers = 1050

// populate fills a tenant with users (emails, an extension, a password hash, a replaced one
// with version 2), groups (one with every user, one nested, one empty) and returns the tenant.
func populate(t *testing.T, s *sqlstore.Store, name string, users int) *scim.Tenant {
	t.Helper()
	ctx := testCtx(t)
	tn, err := s.CreateTenant(ctx, name)
	require.NoError(t, err)
	var all []scim.Member
	var first *scim.Resource
	for i := range users {
		doc := map[string]any{
			"userName":    fmt.Sprintf("User%04d@Example.com", i),
			"displayName": fmt.Sprintf("Ünïcode User %d <b>", i),
			"active":      i%3 != 0,
			"externalId":  fmt.Sprintf("ext-%d", i),
			"emails": []any{
				map[string]any{"value": fmt.Sprintf("User%04d@Example.COM", i), "type": "work", "primary": true},
				map[string]any{"value": fmt.Sprintf("home%04d@example.org", i), "type": "home"},
			},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"employeeNumber": fmt.Sprint(i), "costCenter": "42",
			},
		}
		u, err := s.CreateUser(ctx, tn.ID, &scim.Resource{Type: scim.ResourceUser, Attributes: doc, PasswordHash: fmt.Sprintf("$argon2id$hash%d", i)})
		require.NoError(t, err)
		if first == nil {
			first = u
		}
		all = append(all, scim.Member{Value: u.ID, Type: scim.ResourceUser})
	}
	if first != nil {
		first.Attributes["nickName"] = "Babs"
		_, err := s.ReplaceUser(ctx, tn.ID, first, 1)
		require.NoError(t, err)
	}
	big, err := s.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup,
		Attributes: map[string]any{"displayName": "Everyone", "externalId": "all"}, Members: all})
	require.NoError(t, err)
	few := all[:min(3, len(all))]
	_, err = s.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup,
		Attributes: map[string]any{"displayName": "Nested"}, Members: append(slices.Clone(few), scim.Member{Value: big.ID, Type: scim.ResourceGroup})})
	require.NoError(t, err)
	_, err = s.CreateGroup(ctx, tn.ID, &scim.Resource{Type: scim.ResourceGroup, Attributes: map[string]any{"displayName": "empty"}})
	require.NoError(t, err)
	// A patch bumps the big group's version.
	_, err = s.PatchGroup(ctx, tn.ID, big.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.MemberRemove, Members: all[:1]}}})
	require.NoError(t, err)
	return tn
}

// exportBytes exports a tenant into NDJSON.
func exportBytes(t *testing.T, s *sqlstore.Store, tenantID string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := sqlstore.NewRecordWriter(&buf)
	require.NoError(t, s.Export(testCtx(t), tenantID, w.Write))
	require.NoError(t, w.Flush())
	return buf.Bytes()
}

// importBytes imports NDJSON into a tenant.
func importBytes(t *testing.T, s *sqlstore.Store, tenantID string, data []byte) (sqlstore.ImportStats, error) {
	t.Helper()
	return s.Import(testCtx(t), tenantID, sqlstore.NewRecordReader(bytes.NewReader(data)).Next)
}

// snapshot is everything the store serves about a tenant, through the public store API.
type snapshot struct {
	Users  map[string]*scim.Resource
	Groups map[string]*scim.Resource
}

func takeSnapshot(t *testing.T, s *sqlstore.Store, tenantID string) snapshot {
	t.Helper()
	ctx := testCtx(t)
	snap := snapshot{Users: map[string]*scim.Resource{}, Groups: map[string]*scim.Resource{}}
	users, err := s.ListUsers(ctx, tenantID, scim.Query{StartIndex: 1, Count: 100000}, false)
	require.NoError(t, err)
	for _, u := range users.Resources {
		r, err := s.GetUser(ctx, tenantID, u.ID, true)
		require.NoError(t, err)
		snap.Users[r.ID] = r
	}
	groups, err := s.ListGroups(ctx, tenantID, scim.Query{StartIndex: 1, Count: 100000})
	require.NoError(t, err)
	for _, g := range groups.Resources {
		r, err := s.GetGroup(ctx, tenantID, g.ID)
		require.NoError(t, err)
		r.Members = []scim.Member{}
		require.NoError(t, s.WalkMembers(ctx, tenantID, g.ID, func(m scim.Member) error {
			r.Members = append(r.Members, m)
			return nil
		}))
		snap.Groups[r.ID] = r
	}
	return snap
}

// withoutHeader drops the header line (tenant name and export time differ between exports).
func withoutHeader(t *testing.T, data []byte) string {
	t.Helper()
	_, rest, ok := bytes.Cut(data, []byte("\n"))
	require.True(t, ok)
	return string(rest)
}

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	for _, from := range backends {
		for _, to := range backends {
			t.Run(from.name+"_to_"+to.name, func(t *testing.T) {
				t.Parallel()
				src, dst := from.open(t), to.open(t)
				tn := populate(t, src, "acme", manyUsers)
				data := exportBytes(t, src, tn.ID)

				lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
				// header, users, 3 groups, (manyUsers-1) + 4 memberships, end
				require.Len(t, lines, 1+manyUsers+3+manyUsers-1+4+1)
				assert.Regexp(t, `^\{"type":"header","format":"scimd-export","version":1,"tenant":"acme","exportedAt":"[^"]+"\}$`, lines[0])
				assert.Equal(t, fmt.Sprintf(`{"type":"end","users":%d,"groups":3,"memberships":%d}`, manyUsers, manyUsers+3), lines[len(lines)-1])
				assert.Contains(t, string(data), `<b>`, "no HTML escaping")

				target, err := dst.CreateTenant(testCtx(t), "acme-moved")
				require.NoError(t, err)
				stats, err := importBytes(t, dst, target.ID, data)
				require.NoError(t, err)
				assert.Equal(t, sqlstore.ImportStats{Users: manyUsers, Groups: 3, Memberships: manyUsers + 3}, stats)

				want, got := takeSnapshot(t, src, tn.ID), takeSnapshot(t, dst, target.ID)
				require.Len(t, got.Users, manyUsers)
				require.Len(t, got.Groups, 3)
				assert.Equal(t, want, got, "same users, groups, members, versions and timestamps")
				assert.Equal(t, withoutHeader(t, data), withoutHeader(t, exportBytes(t, dst, target.ID)),
					"exporting the imported tenant gives the same records")

				// The extracted columns were filled: case-insensitive userName, emails, displayName
				// and externalId filters find the imported users.
				for _, f := range []string{
					`userName eq "user0007@example.COM"`,
					`emails[type eq "work"].value eq "USER0007@example.com"`,
					`displayName eq "ünïcode user 7 <b>"`,
					`externalId eq "ext-7"`,
				} {
					expr, err := filter.Parse(f)
					require.NoError(t, err)
					res, err := dst.ListUsers(testCtx(t), target.ID, scim.Query{Filter: expr, StartIndex: 1, Count: 10}, false)
					require.NoError(t, err, f)
					if assert.Equal(t, 1, res.Total, f) {
						assert.Equal(t, "User0007@Example.com", res.Resources[0].Attributes["userName"], f)
					}
				}
				// userName stays unique after the import.
				_, err = dst.CreateUser(testCtx(t), target.ID, &scim.Resource{Type: scim.ResourceUser,
					Attributes: map[string]any{"userName": "USER0001@example.com"}})
				assert.Equal(t, scim.TypeUniqueness, scimType(err))
			})
		}
	}
}

func scimType(err error) string {
	if e, ok := scim.AsError(err); ok {
		return e.Type
	}
	return fmt.Sprintf("not a *scim.Error: %v", err)
}

// replaceLine returns data with its 1-based line n replaced by repl (dropped when repl is nil).
func replaceLine(data []byte, n int, repl func(string) *string) []byte {
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	out := make([]string, 0, len(lines))
	for i, l := range lines {
		if i+1 == n {
			if r := repl(l); r != nil {
				out = append(out, *r)
			}
			continue
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

func to(s string) *string { return &s }

// lineOf returns the 1-based number of the first line of data containing sub.
func lineOf(t *testing.T, data []byte, sub string) int {
	t.Helper()
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, sub) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", sub)
	return 0
}

func TestImportMalformedChangesNothing(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			src := populate(t, s, "source", 60)
			data := exportBytes(t, s, src.ID)
			require.Greater(t, bytes.Count(data, []byte("\n")), 60)
			firstMembership := lineOf(t, data, `"type":"membership"`)
			user4 := lineOf(t, data, `"userName":"User0004@Example.com"`)
			user5 := lineOf(t, data, `"userName":"User0005@Example.com"`)
			endLine := bytes.Count(data, []byte("\n"))

			for _, tc := range []struct {
				name     string
				data     []byte
				wantLine int
				want     string
			}{
				{"bad JSON on line 57", replaceLine(data, 57, func(string) *string { return to(`{"type":"user","id":`) }), 57, "invalid JSON"},
				{"unknown member id", replaceLine(data, firstMembership, func(l string) *string {
					i := strings.Index(l, `"member":"`) + len(`"member":"`)
					return to(l[:i] + uuid.NewString() + l[i+36:])
				}), firstMembership, "is no earlier user or group record"},
				{"duplicate userName", replaceLine(data, user5, func(l string) *string {
					return to(strings.Replace(l, "User0005@Example.com", "user0004@EXAMPLE.com", 1))
				}), max(user4, user5), `is already taken by an earlier user`},
				{"duplicate id", replaceLine(data, 3, func(string) *string {
					return to(strings.Split(string(data), "\n")[1])
				}), 3, "is already used by the user on line 2"},
				{"bad UUID", replaceLine(data, user5, func(l string) *string {
					i := strings.Index(l, `"id":"`) + len(`"id":"`)
					return to(l[:i] + "not-a-uuid" + l[i+36:])
				}), user5, "is not a UUID"},
				{"unknown type", replaceLine(data, user5, func(string) *string { return to(`{"type":"widget"}`) }), user5, `unknown record type "widget"`},
				{"unknown field", replaceLine(data, user5, func(l string) *string { return to(strings.Replace(l, `"type":`, `"colour":"red","type":`, 1)) }), user5, "unknown field"},
				{"truncated", replaceLine(data, endLine, func(string) *string { return nil }), 0, "truncated"},
				{"wrong counts", replaceLine(data, endLine, func(string) *string { return to(`{"type":"end","users":1}`) }), endLine, "the end record counts"},
				{"no header", replaceLine(data, 1, func(string) *string { return nil }), 1, "header"},
				{"future version", replaceLine(data, 1, func(l string) *string { return to(strings.Replace(l, `"version":1`, `"version":2`, 1)) }), 1, "version 2"},
				{"missing userName", replaceLine(data, user5, func(l string) *string { return to(strings.Replace(l, `"userName":`, `"nickName":`, 1)) }), user5, `"userName" is required`},
				{"empty file", nil, 0, "empty"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					target, err := s.CreateTenant(testCtx(t), "target-"+uuid.NewString())
					require.NoError(t, err)
					_, err = importBytes(t, s, target.ID, tc.data)
					var ie *sqlstore.ImportError
					require.ErrorAs(t, err, &ie)
					assert.Equal(t, tc.wantLine, ie.Line, "%v", err)
					assert.Contains(t, err.Error(), tc.want)
					if tc.wantLine > 0 {
						assert.Contains(t, err.Error(), fmt.Sprintf("line %d:", tc.wantLine))
					}
					// Nothing was written: the tenant exports as empty.
					assert.Equal(t, `{"type":"end"}`+"\n", withoutHeader(t, exportBytes(t, s, target.ID)))
				})
			}
		})
	}
}

func TestImportRefusesNonEmptyTenant(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			src := populate(t, s, "source", 2)
			data := exportBytes(t, s, src.ID)

			_, err := importBytes(t, s, src.ID, data)
			require.ErrorIs(t, err, sqlstore.ErrImportTargetNotEmpty)

			// A tenant with only a group is not empty either, and keeps its group.
			other, err := s.CreateTenant(testCtx(t), "other")
			require.NoError(t, err)
			g, err := s.CreateGroup(testCtx(t), other.ID, &scim.Resource{Type: scim.ResourceGroup, Attributes: map[string]any{"displayName": "x"}})
			require.NoError(t, err)
			_, err = importBytes(t, s, other.ID, data)
			require.ErrorIs(t, err, sqlstore.ErrImportTargetNotEmpty)
			_, err = s.GetGroup(testCtx(t), other.ID, g.ID)
			require.NoError(t, err)

			_, err = importBytes(t, s, uuid.NewString(), data)
			require.ErrorIs(t, err, scim.ErrNotFound, "unknown tenant")
			require.ErrorIs(t, s.Export(testCtx(t), uuid.NewString(), func(sqlstore.Record) error { return nil }), scim.ErrNotFound)
		})
	}
}

func TestExportStopsOnEmitError(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	tn := populate(t, s, "acme", 3)
	stop := errors.New("disk full")
	n := 0
	err := s.Export(testCtx(t), tn.ID, func(sqlstore.Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 2, n)
}

func TestRecordReader(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		input string
		want  []string // types, then "err:<substring>" for the error that ends the read
	}{
		{"crlf and no final newline", "{\"type\":\"header\"}\r\n{\"type\":\"end\"}", []string{"header", "end"}},
		{"numbers stay json.Number", `{"type":"user","attributes":{"n":12345678901234567890}}` + "\n", []string{"user"}},
		{"blank line", "{\"type\":\"header\"}\n\n", []string{"header", "err:line 2: empty line"}},
		{"two values", `{"type":"user"} {"type":"user"}` + "\n", []string{"err:line 1: invalid JSON"}},
		{"not an object", "[1,2]\n", []string{"err:line 1: invalid JSON"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rr := sqlstore.NewRecordReader(strings.NewReader(tt.input))
			var got []string
			for {
				rec, err := rr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					got = append(got, "err:"+err.Error())
					break
				}
				got = append(got, rec.Type)
				assert.Equal(t, len(got), rec.Line)
				if rec.Type == "user" && rec.Attributes != nil {
					assert.IsType(t, json.Number(""), rec.Attributes["n"])
				}
			}
			require.Len(t, got, len(tt.want), "%q", got)
			for i, w := range tt.want {
				if e, ok := strings.CutPrefix(w, "err:"); ok {
					assert.Contains(t, strings.TrimPrefix(got[i], "err:"), e)
				} else {
					assert.Equal(t, w, got[i])
				}
			}
		})
	}
}

// FuzzRecordReader checks that no input makes the reader panic, and that every record it
// accepts survives a write and a read unchanged.
func FuzzRecordReader(f *testing.F) {
	for _, seed := range []string{
		`{"type":"header","format":"scimd-export","version":1,"tenant":"a","exportedAt":"2024-01-02T03:04:05.123456Z"}` + "\n",
		`{"type":"user","id":"0b6b3f1c-3b9b-4c1e-9a53-0e6a1d8e0f01","attributes":{"userName":"a","n":1.5},"meta":{"created":"2024-01-02T03:04:05Z","lastModified":"2024-01-02T03:04:05Z","version":2}}` + "\n",
		`{"type":"membership","group":"g","member":"m","memberType":"User"}` + "\r\n",
		`{"type":"end","users":1}`,
		"\n\n",
		`{"type":`,
		"\xff\xfe",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		rr := sqlstore.NewRecordReader(strings.NewReader(input))
		for range 100 {
			rec, err := rr.Next()
			if err != nil {
				var ie *sqlstore.ImportError
				if !errors.Is(err, io.EOF) && !errors.As(err, &ie) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			first := encode(t, rec)
			again, err := sqlstore.NewRecordReader(bytes.NewReader(first)).Next()
			require.NoError(t, err)
			assert.Equal(t, string(first), string(encode(t, again)))
		}
	})
}

func encode(t *testing.T, rec sqlstore.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := sqlstore.NewRecordWriter(&buf)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Flush())
	return buf.Bytes()
}
