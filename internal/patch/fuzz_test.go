package patch

import (
	"testing"

	"github.com/scimd/scimd/internal/scim"
)

// fuzzSeeds are PatchOp bodies in every shape the tests know, for both fuzz targets.
var fuzzSeeds = []string{
	body(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"x"}`),
	body(`{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}`),
	body(`{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"271"}`),
	body(`{"op":"remove","path":"manager[value eq \"mgr-1\"]"}`),
	body(`{"op":"Replace","path":"active","value":"False"}`),
	body(`{"op":"Add","path":"roles[primary eq \"True\"].value","value":"Admin"}`),
	body(`{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"X"},{"op":"Add","path":"addresses[type eq \"work\"].region","value":"Y"}`),
	body(`{"op":"add","path":"emails","value":[{"value":"a@x","primary":true}]}`),
	body(`{"op":"remove","path":"emails[not (type eq \"x\") and primary pr]"}`),
	body(`{"op":"replace","path":"emails[value sw \"b\" or value ew \".com\"]","value":{"value":"q@x"}}`),
	body(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"department":"D"}}`),
	body(`{"op":"Remove","path":"members","value":[{"value":"u1"}]}`),
	body(`{"op":"remove","path":"members[value eq \"7f\"]"}`),
	body(`{"op":"replace","path":"members","value":[]}`),
	body(`{"op":"replace","value":{"id":"x","displayName":"G"}}`),
	body(`{"op":"replace","path":"password","value":"pw"}`),
	body(`{"op":"remove","path":"userName"}`),
	body(`{"op":"replace","path":"meta.created","value":1}`),
	body(`{"op":"add","path":"x509Certificates","value":[{"value":"AAAA"}]}`),
	body(`{"op":"add","path":"emails[type eq","value":1}`),
	`{"Operations":[]}`,
	`[]`,
	`null`,
	``,
}

// FuzzParse checks that any input either parses or fails with a 400 *scim.Error (413 for more
// than MaxOperations operations), and never panics.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := Parse(data)
		if err != nil {
			se, ok := scim.AsError(err)
			if !ok || (se.Status != 400 && se.Status != 413) {
				t.Fatalf("Parse(%q) error %v, want a 400 (or 413) *scim.Error", data, err)
			}
			return
		}
		if len(ops) == 0 {
			t.Fatalf("Parse(%q) returned no operations and no error", data)
		}
		for _, op := range ops {
			if op.Op != OpAdd && op.Op != OpRemove && op.Op != OpReplace {
				t.Fatalf("Parse(%q) returned op %q", data, op.Op)
			}
		}
	})
}

// FuzzApply applies any parsable body to a sample User and a sample Group: no panic, errors
// are always 4xx *scim.Errors, and the input documents never change.
func FuzzApply(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	reg := scim.NewRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := Parse(data)
		if err != nil {
			return
		}
		for _, rt := range []string{scim.ResourceUser, scim.ResourceGroup} {
			doc := sampleUser()
			if rt == scim.ResourceGroup {
				doc = sampleGroup()
			}
			res, err := Apply(reg, reg.ResourceType(rt), doc, ops)
			if err != nil {
				se, ok := scim.AsError(err)
				if !ok || se.Status < 400 || se.Status > 499 {
					t.Fatalf("Apply(%s, %q) error %v, want a 4xx *scim.Error", rt, data, err)
				}
			} else if res == nil || res.Attributes == nil {
				t.Fatalf("Apply(%s, %q) returned no result", rt, data)
			}
			want := sampleUser()
			if rt == scim.ResourceGroup {
				want = sampleGroup()
			}
			if !deepEqual(want, doc) {
				t.Fatalf("Apply(%s, %q) modified its input", rt, data)
			}
		}
	})
}
