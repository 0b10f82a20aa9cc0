package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/apitap/apitap/analyzer/sensitive"
)

// securitySchemes are the components written for the auth schemes seen.
var securitySchemes = []struct {
	bit  uint8
	name string
	s    *openapi3.SecurityScheme
}{
	{authBearer, "bearerAuth", &openapi3.SecurityScheme{Type: "http", Scheme: "bearer"}},
	{authAPIKey, "apiKeyAuth", &openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "X-API-Key"}},
	{authBasic, "basicAuth", &openapi3.SecurityScheme{Type: "http", Scheme: "basic"}},
	{authCookie, "cookieAuth", &openapi3.SecurityScheme{Type: "apiKey", In: "cookie", Name: "session"}},
}

// OpenAPI reconstructs an OpenAPI 3.1 document from the traffic seen:
// every endpoint with calls (dormant ones are left out), with path-level
// servers naming the hosts, path and query parameters with inferred types,
// request and response schemas inferred from sampled JSON bodies, security
// schemes for the auth seen, and x-apitap-* extensions (classification,
// first/last seen, calls, actors, sensitive data). The document is
// validated with kin-openapi before it is returned.
func (inv *Inventory) OpenAPI(ctx context.Context, title string) (*openapi3.T, error) {
	inv.mu.Lock()
	refs := inv.all()
	doc := &openapi3.T{
		OpenAPI: "3.1.0",
		Info: &openapi3.Info{Title: title, Version: "observed",
			Description: "Reconstructed by apitap from observed traffic."},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{SecuritySchemes: openapi3.SecuritySchemes{}},
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i].e, refs[j].e
		if a.tmpl != b.tmpl {
			return a.tmpl < b.tmpl
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.host < b.host
	})
	usedIDs := map[string]int{}
	var first, last int64
	for _, r := range refs {
		e := r.e
		if e.calls == 0 || e.host == AnyHost {
			continue
		}
		if first == 0 || e.first < first {
			first = e.first
		}
		last = max(last, e.last)
		item := doc.Paths.Value(e.tmpl)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(e.tmpl, item)
		}
		url := "http://" + e.host
		hasServer := false
		for _, s := range item.Servers {
			hasServer = hasServer || s.URL == url
		}
		if !hasServer {
			item.Servers = append(item.Servers, &openapi3.Server{URL: url})
		}
		if op := item.GetOperation(e.method); op != nil {
			mergeOperation(op, e)
			continue
		}
		op := inv.operation(e, r)
		id := operationID(e)
		usedIDs[id]++
		if n := usedIDs[id]; n > 1 {
			id += "_" + strconv.Itoa(n)
		}
		op.OperationID = id
		for _, s := range securitySchemes {
			if e.auth&s.bit != 0 {
				doc.Components.SecuritySchemes[s.name] = &openapi3.SecuritySchemeRef{Value: s.s}
			}
		}
		item.SetOperation(e.method, op)
	}
	inv.mu.Unlock()
	doc.Extensions = map[string]any{"x-apitap-first-seen": rfc3339(first), "x-apitap-last-seen": rfc3339(last)}
	if err := doc.Validate(ctx); err != nil {
		return doc, fmt.Errorf("validate exported openapi: %w", err)
	}
	return doc, nil
}

func rfc3339(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

func operationID(e *endpoint) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(e.method))
	for _, c := range e.tmpl {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '/' || c == '-' || c == '.' || c == '_':
			b.WriteByte('_')
		}
	}
	return strings.TrimRight(b.String(), "_")
}

func (inv *Inventory) operation(e *endpoint, r epRef) *openapi3.Operation {
	op := &openapi3.Operation{Responses: openapi3.NewResponses()}
	op.Responses.Delete("default")
	if e.op != nil {
		op.Tags, op.Deprecated = e.op.Tags, e.op.Deprecated
	}
	// Path parameters, named as in the template.
	var kinds []*node
	if e.node != nil {
		kinds = e.node.params()
	}
	pi := 0
	for _, name := range templateParams(e.tmpl) {
		typ, format := "string", ""
		if e.op != nil {
			if t, ok := e.op.Params[name]; ok {
				typ = t
			}
		} else if pi < len(kinds) {
			typ, format = kindSchema(kinds[pi].kind)
		}
		pi++
		sc := &openapi3.Schema{Type: &openapi3.Types{typ}, Format: format}
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{Name: name, In: "path", Required: true,
			Schema: &openapi3.SchemaRef{Value: sc}}})
	}
	for _, name := range sortedKeys(e.query) {
		p := e.query[name]
		sc := &openapi3.Schema{Type: &openapi3.Types{typeName(p.types)}}
		if typeName(p.types) == "string" {
			sc.Format = formatOf(p.format)
		}
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{Name: name, In: "query",
			Schema: &openapi3.SchemaRef{Value: sc}}})
	}
	switch {
	case len(e.form) > 0:
		obj := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{}}
		for _, name := range sortedKeys(e.form) {
			obj.Properties[name] = &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{typeName(e.form[name].types)}}}
		}
		op.RequestBody = &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Content: openapi3.NewContentWithFormDataSchema(obj)}}
		op.RequestBody.Value.Content = openapi3.Content{"application/x-www-form-urlencoded": &openapi3.MediaType{Schema: &openapi3.SchemaRef{Value: obj}}}
	case e.reqSchema != nil:
		op.RequestBody = &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Content: openapi3.NewContentWithJSONSchema(e.reqSchema.openapi())}}
	}
	inv.responses(op, e)
	var sec openapi3.SecurityRequirements
	for _, s := range securitySchemes {
		if e.auth&s.bit != 0 {
			sec = append(sec, openapi3.SecurityRequirement{s.name: []string{}})
		}
	}
	if e.auth&authNone != 0 {
		sec = append(sec, openapi3.SecurityRequirement{})
	}
	op.Security = &sec
	op.Extensions = inv.extensions(e, r)
	return op
}

func (inv *Inventory) responses(op *openapi3.Operation, e *endpoint) {
	codes := make([]int, 0, len(e.status))
	for c := range e.status {
		if c >= 100 && c <= 599 {
			codes = append(codes, c)
		}
	}
	sort.Ints(codes)
	for _, c := range codes {
		desc := http.StatusText(c)
		if desc == "" {
			desc = "status " + strconv.Itoa(c)
		}
		resp := openapi3.NewResponse().WithDescription(desc)
		if c >= 200 && c < 300 && e.respSchema != nil {
			resp.Content = openapi3.NewContentWithJSONSchema(e.respSchema.openapi())
		}
		op.Responses.Set(strconv.Itoa(c), &openapi3.ResponseRef{Value: resp})
	}
	if len(codes) == 0 {
		op.Responses.Set("default", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("no response was seen")})
	}
}

func (inv *Inventory) extensions(e *endpoint, r epRef) map[string]any {
	x := map[string]any{
		"x-apitap-classification": inv.classify(r.h, e),
		"x-apitap-first-seen":     rfc3339(e.first),
		"x-apitap-last-seen":      rfc3339(e.last),
		"x-apitap-calls":          e.calls,
		"x-apitap-actors":         e.actors.count(),
	}
	sens := map[string]int64{}
	for i := range e.sensReq {
		if n := int64(e.sensReq[i]) + int64(e.sensResp[i]); n > 0 {
			sens[sensitive.Class(i).String()] = n
		}
	}
	if len(sens) > 0 {
		x["x-apitap-sensitive"] = sens
	}
	return x
}

// mergeOperation adds a second host's endpoint to an exported operation.
func mergeOperation(op *openapi3.Operation, e *endpoint) {
	if n, ok := op.Extensions["x-apitap-calls"].(int64); ok {
		op.Extensions["x-apitap-calls"] = n + e.calls
	}
}

// templateParams lists the parameter names of a template in order.
func templateParams(tmpl string) []string {
	var out []string
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, tmpl[i+1:i+j])
		tmpl = tmpl[i+j+1:]
	}
}

func kindSchema(k Kind) (typ, format string) {
	switch k {
	case Integer:
		return "integer", "int64"
	case UUID:
		return "string", "uuid"
	case Date:
		return "string", "date"
	case Email:
		return "string", "email"
	}
	return "string", ""
}

func formatOf(k Kind) string {
	switch k {
	case UUID:
		return "uuid"
	case Email:
		return "email"
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// openapi converts an inferred schema; several types become a 3.1 type list.
func (s *schema) openapi() *openapi3.Schema {
	out := &openapi3.Schema{}
	var types openapi3.Types
	for i, n := range typeNames {
		if s.types&(1<<i) != 0 {
			types = append(types, n)
		}
	}
	if s.types&tInteger != 0 && s.types&tNumber != 0 {
		types = slicesDelete(types, "integer")
	}
	if len(types) > 0 {
		out.Type = &types
	}
	if s.hasFmt && s.types == tString {
		out.Format = formatOf(s.format)
	}
	if s.props != nil {
		out.Properties = openapi3.Schemas{}
		for _, k := range sortedKeys(s.props) {
			out.Properties[k] = &openapi3.SchemaRef{Value: s.props[k].openapi()}
		}
	}
	if s.items != nil {
		out.Items = &openapi3.SchemaRef{Value: s.items.openapi()}
	} else if s.types&tArray != 0 {
		out.Items = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
	}
	return out
}

func slicesDelete(t openapi3.Types, v string) openapi3.Types {
	out := t[:0]
	for _, x := range t {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// MarshalOpenAPI encodes doc as YAML, or as indented JSON when asJSON.
func MarshalOpenAPI(doc *openapi3.T, asJSON bool) ([]byte, error) {
	j, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode openapi: %w", err)
	}
	if asJSON {
		var v any
		if err := json.Unmarshal(j, &v); err != nil {
			return nil, fmt.Errorf("encode openapi: %w", err)
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode openapi: %w", err)
		}
		return append(b, '\n'), nil
	}
	// JSON is YAML: decoding it into a node keeps the key order.
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil {
		return nil, fmt.Errorf("encode openapi: %w", err)
	}
	clearStyle(&n)
	b, err := yaml.Marshal(&n)
	if err != nil {
		return nil, fmt.Errorf("encode openapi: %w", err)
	}
	return b, nil
}

// clearStyle drops the JSON flow style so the YAML comes out in block style.
func clearStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		n.Style &^= yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		clearStyle(c)
	}
}
