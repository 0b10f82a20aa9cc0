package simulate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// openAPISpec renders the OpenAPI 3.0.3 document of the documented
// endpoints. Each path item carries its host in a path-level servers entry,
// which OpenAPI 3.0 allows, so one document covers all three hosts. It is
// written by hand to avoid a YAML dependency; every free-text scalar is
// double-quoted so no summary can break the syntax.
func openAPISpec() []byte {
	var b bytes.Buffer
	q := strconv.Quote
	b.WriteString("openapi: 3.0.3\ninfo:\n")
	b.WriteString("  title: \"Shop and Bank API\"\n  version: \"2.4.0\"\n")
	b.WriteString("  description: \"Public contract of the shop, auth and bank services simulated by apitap.\"\n")
	b.WriteString("servers:\n")
	for _, h := range hostNames[:hostPartner] {
		fmt.Fprintf(&b, "  - url: %s\n", q("http://"+h))
	}
	b.WriteString("paths:\n")
	done := map[string]bool{}
	for i := range catalog {
		e := &catalog[i]
		if e.class == classShadow || e.class == classExternal || done[e.tmpl] {
			continue
		}
		done[e.tmpl] = true
		fmt.Fprintf(&b, "  %s:\n    servers:\n      - url: %s\n", q(e.tmpl), q("http://"+hostNames[e.host]))
		for j := i; j < len(catalog); j++ {
			if o := &catalog[j]; o.tmpl == e.tmpl && o.class != classShadow && o.class != classExternal {
				writeOperation(&b, o)
			}
		}
	}
	b.WriteString(`components:
  securitySchemes:
    bearerAuth:
      type: http
      scheme: bearer
      bearerFormat: JWT
    cookieAuth:
      type: apiKey
      in: cookie
      name: session
    apiKeyAuth:
      type: apiKey
      in: header
      name: X-API-Key
  schemas:
    Error:
      type: object
      properties:
        error:
          type: string
        message:
          type: string
        request_id:
          type: string
          format: uuid
`)
	return b.Bytes()
}

func writeOperation(b *bytes.Buffer, e *endpoint) {
	q := strconv.Quote
	fmt.Fprintf(b, "    %s:\n", strings.ToLower(e.method))
	fmt.Fprintf(b, "      operationId: %s\n      summary: %s\n", e.opID, q(e.summary))
	fmt.Fprintf(b, "      tags:\n        - %s\n", q(hostNames[e.host]))
	if e.class == classDeprecated {
		b.WriteString("      deprecated: true\n")
	}
	switch e.auth {
	case "bearer":
		b.WriteString("      security:\n        - bearerAuth: []\n")
	case "cookie":
		b.WriteString("      security:\n        - cookieAuth: []\n")
	case "any":
		b.WriteString("      security:\n        - bearerAuth: []\n        - cookieAuth: []\n        - apiKeyAuth: []\n")
	default:
		b.WriteString("      security: []\n")
	}
	if len(e.params)+len(e.query) > 0 {
		b.WriteString("      parameters:\n")
		for _, p := range e.params {
			fmt.Fprintf(b, "        - name: %s\n          in: path\n          required: true\n          schema:\n", p.name)
			switch p.kind {
			case pInt:
				b.WriteString("            type: integer\n            format: int64\n")
			case pUUID:
				b.WriteString("            type: string\n            format: uuid\n")
			default:
				b.WriteString("            type: string\n            pattern: \"^[a-z0-9.-]+$\"\n")
			}
		}
		for _, name := range e.query {
			fmt.Fprintf(b, "        - name: %s\n          in: query\n          required: false\n          schema:\n", name)
			switch name {
			case "page", "limit":
				b.WriteString("            type: integer\n            minimum: 1\n")
			case "url":
				b.WriteString("            type: string\n            format: uri\n")
			default:
				b.WriteString("            type: string\n")
			}
		}
	}
	if len(e.reqBody) > 0 {
		ct := ctJSON
		if e.form {
			ct = ctForm
		}
		fmt.Fprintf(b, "      requestBody:\n        required: true\n        content:\n          %s:\n            schema:\n", ct)
		writeObject(b, "              ", e.reqBody, true, false)
	}
	b.WriteString("      responses:\n")
	fmt.Fprintf(b, "        %s:\n          description: %s\n", q(strconv.Itoa(e.ok)), q(statusText[e.ok]))
	if len(e.resp) > 0 {
		b.WriteString("          content:\n            application/json:\n              schema:\n")
		writeObject(b, "                ", e.resp, false, e.tmpl == "/api/v2/payments" || strings.Contains(e.tmpl, "Id}") && e.params[len(e.params)-1].kind == pUUID || e.tmpl == "/transfers")
	}
	errs := []int{}
	if e.auth != "" {
		errs = append(errs, 401)
	}
	if len(e.params) > 0 {
		errs = append(errs, 403, 404)
	}
	if len(e.reqBody) > 0 {
		errs = append(errs, 422)
	}
	for _, code := range errs {
		fmt.Fprintf(b, "        %s:\n          description: %s\n          content:\n            application/json:\n              schema:\n                $ref: \"#/components/schemas/Error\"\n",
			q(strconv.Itoa(code)), q(statusText[code]))
	}
}

// writeObject writes an object schema with the given properties; closed
// request schemas forbid extra properties, which is what makes mass
// assignment visible against the spec.
func writeObject(b *bytes.Buffer, ind string, props []string, closed, uuidID bool) {
	fmt.Fprintf(b, "%stype: object\n", ind)
	if closed {
		fmt.Fprintf(b, "%sadditionalProperties: false\n", ind)
	}
	fmt.Fprintf(b, "%sproperties:\n", ind)
	for _, p := range props {
		fmt.Fprintf(b, "%s  %s:\n", ind, p)
		in := ind + "    "
		switch p {
		case "id":
			if uuidID {
				fmt.Fprintf(b, "%stype: string\n%sformat: uuid\n", in, in)
			} else {
				fmt.Fprintf(b, "%stype: integer\n", in)
			}
		case "user_id", "order_id", "page", "limit", "total_count", "expires_in", "quantity", "from_account", "reviews", "stock":
			fmt.Fprintf(b, "%stype: integer\n", in)
		case "total", "amount", "balance", "rating":
			fmt.Fprintf(b, "%stype: number\n", in)
		case "mfa_required", "verified", "remember_me", "marketing_opt_in", "otp_required":
			fmt.Fprintf(b, "%stype: boolean\n", in)
		case "items", "keys", "rows":
			fmt.Fprintf(b, "%stype: array\n%sitems:\n%s  type: object\n", in, in, in)
		case "address", "shipping", "shipping_address", "card", "price":
			fmt.Fprintf(b, "%stype: object\n", in)
		case "email":
			fmt.Fprintf(b, "%stype: string\n%sformat: email\n", in, in)
		case "created_at":
			fmt.Fprintf(b, "%stype: string\n%sformat: date-time\n", in, in)
		default:
			fmt.Fprintf(b, "%stype: string\n", in)
		}
	}
}
