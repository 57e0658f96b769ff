package filter

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	coreUser   = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// Tree builders keep the tables readable.
func at(attr string) AttrPath           { return AttrPath{Attr: attr} }
func sub(attr, sub string) AttrPath     { return AttrPath{Attr: attr, Sub: sub} }
func cmp(p AttrPath, op Op, v any) Expr { return &Compare{Path: p, Op: op, Value: v} }
func pr(p AttrPath) Expr                { return &Present{Path: p} }
func and(l, r Expr) Expr                { return &Logical{And: true, Left: l, Right: r} }
func or(l, r Expr) Expr                 { return &Logical{Left: l, Right: r} }
func not(x Expr) Expr                   { return &Not{X: x} }
func vp(p AttrPath, f Expr) Expr        { return &ValuePath{Path: p, Filter: f} }

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Expr
	}{
		// RFC 7644 §3.4.2.2 examples.
		{`userName Eq "john"`, cmp(at("userName"), OpEq, "john")},
		{`Username eq "john"`, cmp(at("Username"), OpEq, "john")},
		{`userName eq "bjensen"`, cmp(at("userName"), OpEq, "bjensen")},
		{`name.familyName co "O'Malley"`, cmp(sub("name", "familyName"), OpCo, "O'Malley")},
		{`userName sw "J"`, cmp(at("userName"), OpSw, "J")},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, cmp(AttrPath{URN: coreUser, Attr: "userName"}, OpSw, "J")},
		{`title pr`, pr(at("title"))},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, cmp(sub("meta", "lastModified"), OpGt, "2011-05-13T04:42:34Z")},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, cmp(sub("meta", "lastModified"), OpGe, "2011-05-13T04:42:34Z")},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, cmp(sub("meta", "lastModified"), OpLt, "2011-05-13T04:42:34Z")},
		{`meta.lastModified le "2011-05-13T04:42:34Z"`, cmp(sub("meta", "lastModified"), OpLe, "2011-05-13T04:42:34Z")},
		{`title pr and userType eq "Employee"`, and(pr(at("title")), cmp(at("userType"), OpEq, "Employee"))},
		{`title pr or userType eq "Intern"`, or(pr(at("title")), cmp(at("userType"), OpEq, "Intern"))},
		{`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, cmp(at("schemas"), OpEq, enterprise)},
		{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			and(cmp(at("userType"), OpEq, "Employee"), or(cmp(at("emails"), OpCo, "example.com"), cmp(sub("emails", "value"), OpCo, "example.org")))},
		{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			and(cmp(at("userType"), OpNe, "Employee"), not(or(cmp(at("emails"), OpCo, "example.com"), cmp(sub("emails", "value"), OpCo, "example.org"))))},
		{`userType eq "Employee" and (emails.type eq "work")`,
			and(cmp(at("userType"), OpEq, "Employee"), cmp(sub("emails", "type"), OpEq, "work"))},
		{`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			and(cmp(at("userType"), OpEq, "Employee"), vp(at("emails"), and(cmp(at("type"), OpEq, "work"), cmp(at("value"), OpCo, "@example.com"))))},
		{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			or(vp(at("emails"), and(cmp(at("type"), OpEq, "work"), cmp(at("value"), OpCo, "@example.com"))),
				vp(at("ims"), and(cmp(at("type"), OpEq, "xmpp"), cmp(at("value"), OpCo, "@foo.com"))))},

		// Entra ID and Okta shapes.
		{`userName eq "7d420df3-9995-4831-a406-ecf8166f5f6a"`, cmp(at("userName"), OpEq, "7d420df3-9995-4831-a406-ecf8166f5f6a")},
		{`externalId eq jyoung`, cmp(at("externalId"), OpEq, "jyoung")},
		{`displayName eq "Eng" `, cmp(at("displayName"), OpEq, "Eng")},
		{`emails[type eq "work"].value eq "user@contoso.com"`,
			vp(at("emails"), and(cmp(at("type"), OpEq, "work"), cmp(at("value"), OpEq, "user@contoso.com")))},
		{`emails[type eq "work"].value pr`, vp(at("emails"), and(cmp(at("type"), OpEq, "work"), pr(at("value"))))},
		{`emails[type eq "work"].value co "x" and active eq true`,
			and(vp(at("emails"), and(cmp(at("type"), OpEq, "work"), cmp(at("value"), OpCo, "x"))), cmp(at("active"), OpEq, true))},
		{`emails[type eq "work" or primary eq true].value eq "x"`,
			vp(at("emails"), and(or(cmp(at("type"), OpEq, "work"), cmp(at("primary"), OpEq, true)), cmp(at("value"), OpEq, "x")))},
		{`id eq "1" and manager eq "2"`, and(cmp(at("id"), OpEq, "1"), cmp(at("manager"), OpEq, "2"))},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
			cmp(AttrPath{URN: enterprise, Attr: "manager", Sub: "value"}, OpEq, "m")},
		{`URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`,
			pr(AttrPath{URN: "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User", Attr: "employeeNumber"})},
		{`members[value eq "x"]`, vp(at("members"), cmp(at("value"), OpEq, "x"))},
		{`members.$ref pr`, pr(sub("members", "$ref"))},
		{`emails[emails.type eq "work"]`, vp(at("emails"), cmp(at("type"), OpEq, "work"))},
		{`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]`, vp(AttrPath{URN: coreUser, Attr: "emails"}, cmp(at("type"), OpEq, "work"))},
		{`emails [type eq "work"]`, vp(at("emails"), cmp(at("type"), OpEq, "work"))},
		{`emails[not (type eq "work")]`, vp(at("emails"), not(cmp(at("type"), OpEq, "work")))},
		{`emails[(type eq "work")]`, vp(at("emails"), cmp(at("type"), OpEq, "work"))},

		// Keywords, precedence, whitespace.
		{`a pr AND b pr Or c pr`, or(and(pr(at("a")), pr(at("b"))), pr(at("c")))},
		{`a pr or b pr and c pr`, or(pr(at("a")), and(pr(at("b")), pr(at("c"))))},
		{`a pr or b pr or c pr`, or(or(pr(at("a")), pr(at("b"))), pr(at("c")))},
		{`a pr or (b pr or c pr)`, or(pr(at("a")), or(pr(at("b")), pr(at("c"))))},
		{`not(a pr) and b PR`, and(not(pr(at("a"))), pr(at("b")))},
		{`NOT (a pr) or not (b pr)`, or(not(pr(at("a"))), not(pr(at("b"))))},
		{`not (not (a pr))`, not(not(pr(at("a"))))},
		{"  a\teq  \"x\"\t and\t(b pr)  ", and(cmp(at("a"), OpEq, "x"), pr(at("b")))},
		{`a eq"x"and b pr`, and(cmp(at("a"), OpEq, "x"), pr(at("b")))},
		{`((((a pr))))`, pr(at("a"))},
		{`x-y_z1 pr`, pr(at("x-y_z1"))},

		// Literals.
		{`active eq TRUE`, cmp(at("active"), OpEq, true)},
		{`active eq False`, cmp(at("active"), OpEq, false)},
		{`manager eq null`, cmp(at("manager"), OpEq, nil)},
		{`age gt 42`, cmp(at("age"), OpGt, Number("42"))},
		{`age gt -1.5E+3`, cmp(at("age"), OpGt, Number("-1.5E+3"))},
		{`age gt 0.5e-2`, cmp(at("age"), OpGt, Number("0.5e-2"))},
		{`age eq 01`, cmp(at("age"), OpEq, "01")}, // not a JSON number: a bare string
		{`d gt 2011-05-13T04:42:34Z`, cmp(at("d"), OpGt, "2011-05-13T04:42:34Z")},
		{`a eq "true"`, cmp(at("a"), OpEq, "true")},
		{`a eq ""`, cmp(at("a"), OpEq, "")},
		{`a eq "q\"b\\s\/ \b\f\n\r\t"`, cmp(at("a"), OpEq, "q\"b\\s/ \b\f\n\r\t")},
		{`a eq "\u00e9\u00C9 é"`, cmp(at("a"), OpEq, "éÉ é")},
		{`a eq "\ud83d\ude00"`, cmp(at("a"), OpEq, "😀")},
		{`a eq "(x) [y] and or"`, cmp(at("a"), OpEq, "(x) [y] and or")},
		{`a eq "` + "\x7f" + `"`, cmp(at("a"), OpEq, "\x7f")},
		{`a eq Jöns`, cmp(at("a"), OpEq, "Jöns")},
		{`a eq eq`, cmp(at("a"), OpEq, "eq")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			// The canonical text parses back to the same tree.
			again, err := Parse(String(got))
			require.NoError(t, err, "String: %s", String(got))
			assert.Equal(t, got, again, "String: %s", String(got))
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{``, 0, "empty filter"},
		{`   `, 3, "empty filter"},
		{`userName eqq "x"`, 9, `expected comparison operator, found "eqq"`},
		{`userName`, 8, "unexpected end of filter, expected comparison operator"},
		{`userName eq`, 11, "unexpected end of filter, expected value"},
		{`userName eq "john`, 12, "unterminated string"},
		{`userName eq "john\`, 12, "unterminated string"},
		{`a eq "x\q"`, 7, `invalid escape "\\q"`},
		{`a eq "x\u12"`, 7, `invalid \u escape`},
		{`a eq "x\u12zz"`, 7, `invalid \u escape`},
		{`a eq "\ud83d"`, 6, "unpaired surrogate"},
		{`a eq "\ude00"`, 6, "unpaired surrogate"},
		{`a eq "\ud83d\u0041"`, 6, "unpaired surrogate"},
		{`a eq "\ud83d\uzz00"`, 12, `invalid \u escape`},
		{`a eq "\u0000"`, 6, "NUL character"},
		{"a eq \"x\ny\"", 7, "control character"},
		{"a eq x\ny", 6, "unexpected control character"},
		{"a\x00 pr", 1, "unexpected control character"},
		{"a eq \"\xff\"", 6, "invalid UTF-8"},
		{`a pr and`, 8, "unexpected end of filter, expected attribute name"},
		{`a pr or`, 7, "unexpected end of filter"},
		{`and a pr`, 0, `expected attribute name, "not" or "(", found "and"`},
		{`a pr b pr`, 5, `expected "and", "or" or end of filter, found "b"`},
		{`a eq and`, 5, `expected value, found "and"`},
		{`a eq (x)`, 5, `expected value, found "("`},
		{`(a pr`, 5, `missing closing parenthesis for "(" at position 0`},
		{`(a pr]`, 5, `expected "and", "or" or ")", found "]"`},
		{`a pr)`, 4, `unexpected ")" without matching "("`},
		{`a pr]`, 4, `unexpected "]" without matching "["`},
		{`()`, 1, `expected attribute name, found ")"`},
		{`not a pr`, 4, `expected "(" after "not", found "a"`},
		{`not`, 3, `unexpected end of filter, expected "(" after "not"`},
		{`emails[type eq "work"`, 21, `missing closing bracket for "[" at position 6`},
		{`emails[type eq "work")`, 21, `expected "and", "or" or "]", found ")"`},
		{`emails[type[value eq "x"] pr]`, 11, "nested value path not allowed"},
		{`emails[type eq "work"].value`, 28, "unexpected end of filter, expected comparison operator"},
		{`emails[type eq "work"]. eq "x"`, 23, `expected sub-attribute name after "."`},
		{`emails[type eq "work"].value.x eq "x"`, 28, `unexpected "." after sub-attribute`},
		{`emails[type eq "work"].1 eq "x"`, 23, "must start with a letter"},
		{`emails[name.type eq "work"]`, 7, `inside emails[...] name a sub-attribute of emails, found "name.type"`},
		{`emails[urn:x:type eq "work"]`, 7, "without schema URN"},
		{`emails[type eq "work"].not pr`, 23, `"not" is a keyword, not a sub-attribute name`},
		{`emails[emails.AND pr]`, 14, `"AND" is a keyword`},
		{`name.givenName[value eq "x"]`, 14, "must follow a multi-valued attribute"},
		{`"userName" eq "x"`, 0, `expected attribute name, found string "\"userName\""`},
		{`1a eq "x"`, 0, `invalid attribute name "1a": must start with a letter`},
		{`us@r eq "x"`, 2, `invalid character '@' in attribute name "us@r"`},
		{`name.given.name eq "x"`, 10, `unexpected "." after sub-attribute`},
		{`name. eq "x"`, 5, `expected sub-attribute name after "."`},
		{`foo:bar eq "x"`, 3, `invalid character ':' in attribute name`},
		{`urn:userName eq "x"`, 0, "schema URN missing"},
		{`urn:a::b:c eq "x"`, 6, "empty segment in schema URN"},
		{`urn:a:b: eq "x"`, 8, "expected attribute name after schema URN"},
		{`urn:a{b:c eq "x"`, 5, `invalid character '{' in schema URN`},
		{`a pr and ` + strings.Repeat("(", 51) + `b pr` + strings.Repeat(")", 51), 59, "nested too deeply"},
		{strings.Repeat("not (", 51) + `b pr` + strings.Repeat(")", 51), 254, "nested too deeply"},
		{strings.Repeat("a", MaxLength+1), MaxLength, "longer than 8192 bytes"},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			require.Error(t, err, "parsed as %s", String(got))
			var fe *Error
			require.True(t, errors.As(err, &fe), "%T is not *Error", err)
			assert.Equal(t, tt.pos, fe.Pos, "message: %s", fe.Msg)
			assert.Contains(t, fe.Msg, tt.msg)
			assert.Equal(t, "at position "+strconv.Itoa(fe.Pos)+": "+fe.Msg, err.Error())
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	t.Parallel()
	deepest := strings.Repeat("(", MaxDepth) + "a pr" + strings.Repeat(")", MaxDepth)
	_, err := Parse(deepest)
	require.NoError(t, err)

	inBrackets := strings.Repeat("(", MaxDepth-1) + "x[a pr]" + strings.Repeat(")", MaxDepth-1)
	_, err = Parse(inBrackets)
	require.NoError(t, err)

	longest := "a eq \"" + strings.Repeat("x", MaxLength-7) + "\""
	require.Len(t, longest, MaxLength)
	_, err = Parse(longest)
	require.NoError(t, err)

	// A long flat chain is not nesting: the tree is left-deep and parsed iteratively.
	chain := "a pr" + strings.Repeat(" and a pr", (MaxLength-4)/9)
	e, err := Parse(chain)
	require.NoError(t, err)
	assert.Equal(t, chain, String(e))
}

func TestParsePath(t *testing.T) {
	t.Parallel()
	work := cmp(at("type"), OpEq, "work")
	tests := []struct {
		in   string
		want Path
		text string // canonical String(); "" means the input
	}{
		{in: `userName`, want: Path{Attr: at("userName")}},
		{in: `name.givenName`, want: Path{Attr: sub("name", "givenName")}},
		{in: `members`, want: Path{Attr: at("members")}},
		{in: `emails[type eq "work"]`, want: Path{Attr: at("emails"), Filter: work}},
		{in: `emails[type eq "work"].value`, want: Path{Attr: at("emails"), Filter: work, Sub: "value"}},
		{in: `emails[Type Eq "work"].Value`, want: Path{Attr: at("emails"), Filter: cmp(at("Type"), OpEq, "work"), Sub: "Value"}, text: `emails[Type eq "work"].Value`},
		{in: `members[value eq "2819c223-7f76-453a-919d-413861904646"]`, want: Path{Attr: at("members"), Filter: cmp(at("value"), OpEq, "2819c223-7f76-453a-919d-413861904646")}},
		{in: `members[value eq "x"].display`, want: Path{Attr: at("members"), Filter: cmp(at("value"), OpEq, "x"), Sub: "display"}},
		{in: `addresses[type eq "work"].streetAddress`, want: Path{Attr: at("addresses"), Filter: work, Sub: "streetAddress"}},
		{in: `manager[value eq "manager-id"]`, want: Path{Attr: at("manager"), Filter: cmp(at("value"), OpEq, "manager-id")}},
		{in: `emails[type eq "work" and primary eq true].value`, want: Path{Attr: at("emails"), Filter: and(work, cmp(at("primary"), OpEq, true)), Sub: "value"}},
		{in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`, want: Path{Attr: AttrPath{URN: enterprise, Attr: "manager"}}},
		{in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, want: Path{Attr: AttrPath{URN: enterprise, Attr: "manager", Sub: "value"}}},
		{in: `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName`, want: Path{Attr: AttrPath{URN: coreUser, Attr: "name", Sub: "givenName"}}},
		{in: `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`, want: Path{Attr: AttrPath{URN: coreUser, Attr: "emails"}, Filter: work, Sub: "value"}},
		// A bare schema URN splits at its last colon; String() gives the URN back.
		{in: enterprise, want: Path{Attr: AttrPath{URN: "urn:ietf:params:scim:schemas:extension:enterprise:2.0", Attr: "User"}}},
		{in: ` name.givenName `, want: Path{Attr: sub("name", "givenName")}, text: `name.givenName`},
		{in: `members.$ref`, want: Path{Attr: sub("members", "$ref")}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePath(tt.in)
			require.NoError(t, err)
			assert.Equal(t, &tt.want, got)
			text := tt.text
			if text == "" {
				text = tt.in
			}
			assert.Equal(t, text, got.String())
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{``, 0, "empty path"},
		{`emails[type eq "work"].value eq "x"`, 29, `expected end of path, found "eq"`},
		{`emails[type eq "work"`, 21, "missing closing bracket"},
		{`emails[type eq "work"]]`, 22, `unexpected "]" without matching "["`},
		{`emails[type[a pr]]`, 11, "nested value path not allowed"},
		{`emails[]`, 7, `expected attribute name, found "]"`},
		{`name.givenName.x`, 14, `unexpected "." after sub-attribute`},
		{`userName eq "x"`, 9, `expected end of path, found "eq"`},
		{`emails[type eq "work"].`, 23, `expected sub-attribute name after "."`},
		{`[type eq "work"]`, 0, `expected attribute name, found "["`},
		{`na me`, 3, `expected end of path, found "me"`},
		{`urn:a:b:`, 8, "expected attribute name after schema URN"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePath(tt.in)
			var fe *Error
			require.True(t, errors.As(err, &fe), "error %v", err)
			assert.Equal(t, tt.pos, fe.Pos, "message: %s", fe.Msg)
			assert.Contains(t, fe.Msg, tt.msg)
		})
	}
}

func TestParseAttrPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want AttrPath
	}{
		{`userName`, at("userName")},
		{`name.givenName`, sub("name", "givenName")},
		{`emails.value`, sub("emails", "value")},
		{`meta.lastModified`, sub("meta", "lastModified")},
		{`members`, at("members")},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName`, AttrPath{URN: coreUser, Attr: "userName"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, AttrPath{URN: enterprise, Attr: "manager", Sub: "value"}},
		// A bare schema URN: see ParseAttrPath; p.String() is the URN.
		{enterprise, AttrPath{URN: "urn:ietf:params:scim:schemas:extension:enterprise:2.0", Attr: "User"}},
		{` displayName`, at("displayName")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseAttrPath(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, strings.TrimSpace(tt.in), got.String())
		})
	}

	errTests := []struct {
		in  string
		pos int
		msg string
	}{
		{``, 0, "empty attribute path"},
		{`emails[type eq "work"]`, 6, `expected end of attribute path, found "["`},
		{`name.givenName.x`, 14, `unexpected "." after sub-attribute`},
		{`userName,displayName`, 8, `invalid character ',' in attribute name`},
		{`"userName"`, 0, `expected attribute name, found string`},
		{`a b`, 2, `expected end of attribute path, found "b"`},
	}
	for _, tt := range errTests {
		t.Run("error/"+tt.in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseAttrPath(tt.in)
			var fe *Error
			require.True(t, errors.As(err, &fe), "error %v", err)
			assert.Equal(t, tt.pos, fe.Pos, "message: %s", fe.Msg)
			assert.Contains(t, fe.Msg, tt.msg)
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Expr
		want string
	}{
		{or(pr(at("a")), or(pr(at("b")), pr(at("c")))), `a pr or (b pr or c pr)`},
		{and(or(pr(at("a")), pr(at("b"))), pr(at("c"))), `(a pr or b pr) and c pr`},
		{and(pr(at("a")), and(pr(at("b")), pr(at("c")))), `a pr and (b pr and c pr)`},
		{or(and(pr(at("a")), pr(at("b"))), and(pr(at("c")), pr(at("d")))), `a pr and b pr or c pr and d pr`},
		{not(or(pr(at("a")), pr(at("b")))), `not (a pr or b pr)`},
		{cmp(AttrPath{URN: enterprise, Attr: "manager", Sub: "value"}, OpEq, "x"), enterprise + `:manager.value eq "x"`},
		{cmp(at("a"), OpEq, "q\"\\\n\x01é\u2028"), `a eq "q\"\\\n\u0001é` + "\u2028" + `"`},
		{cmp(at("a"), OpEq, nil), `a eq null`},
		{cmp(at("a"), OpNe, false), `a ne false`},
		{cmp(at("a"), OpGt, Number("1e3")), `a gt 1e3`},
		{cmp(at("a"), OpGt, 42), `a gt 42`},
		{vp(at("emails"), and(or(cmp(at("type"), OpEq, "work"), cmp(at("type"), OpEq, "home")), pr(at("value")))),
			`emails[(type eq "work" or type eq "home") and value pr]`},
		{nil, `<nil>`},
		{and((*Compare)(nil), nil), `<nil> and <nil>`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, String(tt.in))
		})
	}
}
