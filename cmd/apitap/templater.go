package main

import (
	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/discovery"
	"github.com/apitap/apitap/apicall"
)

// inventoryTemplater names the endpoint of each call for the detectors with
// discovery's templates (the spec's where a spec path matches), the
// spec's security requirement and the request body properties it documents
// (for mass_assignment). The inventory has already observed the call
// (the endpoint stage runs first), so this only reads it. Calls whose shape
// the inventory does not know (shed at its limits) keep the fallback
// template.
func inventoryTemplater(inv *discovery.Inventory, specs *discovery.Specs) detect.Templater {
	return func(c *apicall.Call, o *detect.Observation) {
		detect.FallbackTemplater(c, o)
		if t := inv.Template(c.Host, c.Method, c.Path); t != "" {
			o.Template = t
		}
		if specs == nil {
			return
		}
		op, _, _ := specs.Lookup(c.Host, c.Method, c.Path)
		if op == nil {
			return
		}
		o.SpecProps = op.RequestProps
		if op.Security == nil {
			return
		}
		// `security: []` (no alternatives) or an empty alternative
		// allows anonymous access.
		o.SpecAuth = 1
		if len(op.Security) == 0 {
			o.SpecAuth = 0
		}
		for _, alt := range op.Security {
			if len(alt) == 0 {
				o.SpecAuth = 0
			}
		}
	}
}
