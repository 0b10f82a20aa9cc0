package main

import (
	"testing"

	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/discovery"
	"github.com/apitap/apitap/apicall"
)

// TestTemplaterSpecProps: a write whose body carries a property the spec
// does not document is a mass assignment from the first call, before the
// endpoint has any history; the same write with documented properties only
// is not.
func TestTemplaterSpecProps(t *testing.T) {
	specs, err := discovery.LoadSpecs(t.Context(), []string{"../../analyzer/discovery/testdata/specs/bodies31.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := discovery.New(discovery.DefaultConfig(), specs)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(body string) *apicall.Call {
		c := &apicall.Call{Host: "api.bodies.example", Method: "POST", Path: "/users", Status: 201,
			ReqStart: 1_700_000_000e9, Actor: apicall.Actor{Kind: apicall.ActorJWT, User: "alice"}}
		c.ReqBody.ContentType = "application/json"
		c.ReqBody.Data = []byte(body)
		inv.Observe(c)
		return c
	}
	tmpl := inventoryTemplater(inv, specs)
	var o detect.Observation
	tmpl(mk(`{"name":"a"}`), &o)
	if want := []string{"email", "name", "password"}; len(o.SpecProps) != len(want) {
		t.Fatalf("observation spec props %q, want %q", o.SpecProps, want)
	}
	for _, tc := range []struct {
		body string
		want int
	}{
		{`{"name":"a","email":"a@b.example","password":"x"}`, 0},
		{`{"name":"a","is_admin":true}`, 1},
	} {
		p, err := detect.NewPipeline(detect.DefaultConfig(), tmpl)
		if err != nil {
			t.Fatal(err)
		}
		p.Observe(mk(tc.body), nil)
		n := 0
		for _, f := range p.Findings.All() {
			if f.Type == detect.MassAssignment {
				n++
			}
		}
		if n != tc.want {
			t.Errorf("body %s: %d mass_assignment findings, want %d", tc.body, n, tc.want)
		}
	}
}
