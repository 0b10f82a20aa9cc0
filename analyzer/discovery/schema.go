package discovery

import (
	"encoding/json"
	"sort"
)

// schema is a JSON schema inferred from sampled bodies: the union of the
// types seen, object properties (bounded) and array items.
type schema struct {
	types    uint8
	props    map[string]*schema
	items    *schema
	format   Kind // Classify of string values, Mixed when they differ
	hasFmt   bool
	overflow bool // more properties than the limit were seen
}

const maxSchemaDepth = 8

// inferJSON merges the schema of the JSON document d into s. Invalid JSON
// (a truncated body) leaves s unchanged.
func inferJSON(s *schema, d []byte, maxProps int) *schema {
	var v any
	if err := json.Unmarshal(d, &v); err != nil {
		return s
	}
	if s == nil {
		s = &schema{}
	}
	s.add(v, maxProps, 0)
	return s
}

func (s *schema) add(v any, maxProps, depth int) {
	switch x := v.(type) {
	case nil:
		s.types |= tNull
	case bool:
		s.types |= tBoolean
	case float64:
		if x == float64(int64(x)) {
			s.types |= tInteger
		} else {
			s.types |= tNumber
		}
	case json.Number:
		s.types |= tNumber
	case string:
		s.types |= tString
		f := Classify(x)
		if f == Word || f == Token || f == Version || f == Integer || f == Hex {
			f = Word // only formats OpenAPI names are kept
		}
		if !s.hasFmt {
			s.format, s.hasFmt = f, true
		} else if s.format != f {
			s.format = Word
		}
	case []any:
		s.types |= tArray
		if depth >= maxSchemaDepth {
			return
		}
		if s.items == nil {
			s.items = &schema{}
		}
		for i, e := range x {
			if i >= 16 {
				break // the first items tell the shape
			}
			s.items.add(e, maxProps, depth+1)
		}
	case map[string]any:
		s.types |= tObject
		if depth >= maxSchemaDepth {
			return
		}
		if s.props == nil {
			s.props = make(map[string]*schema, len(x))
		}
		for k, e := range x {
			p := s.props[k]
			if p == nil {
				if len(s.props) >= maxProps {
					s.overflow = true
					continue
				}
				p = &schema{}
				s.props[k] = p
			}
			p.add(e, maxProps, depth+1)
		}
	}
}

func mergeSchema(a, b *schema) *schema {
	if b == nil {
		return a
	}
	if a == nil {
		return b
	}
	a.types |= b.types
	a.overflow = a.overflow || b.overflow
	if b.hasFmt {
		if !a.hasFmt {
			a.format, a.hasFmt = b.format, true
		} else if a.format != b.format {
			a.format = Word
		}
	}
	a.items = mergeSchema(a.items, b.items)
	for k, p := range b.props {
		if a.props == nil {
			a.props = map[string]*schema{}
		}
		a.props[k] = mergeSchema(a.props[k], p)
	}
	return a
}

// propNames lists the top-level property names with their type name.
func (s *schema) propNames() map[string]string {
	if s == nil || len(s.props) == 0 {
		return nil
	}
	out := make(map[string]string, len(s.props))
	keys := make([]string, 0, len(s.props))
	for k := range s.props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = typeName(s.props[k].types)
	}
	return out
}
