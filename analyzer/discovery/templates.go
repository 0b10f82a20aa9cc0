package discovery

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Templates are path templates an operator gives (--templates) for the
// shapes the learned templater gets wrong: a tenant seen with one value, a
// closed set of literals it merges. A call whose path matches one takes its
// template, like a spec path, but nothing about the endpoint is documented
// by it: on a host a spec covers it is still a shadow (or zombie) endpoint,
// elsewhere unknown. Specs match first.
//
// A templates file has one template per line, a path that starts with "/"
// and writes each parameter segment as {name} (a segment may hold text
// around one parameter: {id}.json), optionally after a host
// ("api.example.com /v1/things/{id}"); blank lines and lines starting with
// "#" are skipped. Without a host a template applies to every host. It
// applies to every method. Literal segments win over parameters, as in
// specs.
type Templates struct {
	hosts map[string]*specNode // host (or AnyHost) → trie; ops[templateMethod] holds the template
	n     int
}

// templateMethod keys a template in its trie node: templates hold for
// every method.
const templateMethod = ""

// LoadTemplates reads templates files; errors name the file and line.
func LoadTemplates(paths []string) (*Templates, error) {
	t := &Templates{hosts: map[string]*specNode{}}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("templates %s: %w", p, err)
		}
		err = t.read(p, f)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// ParseTemplates reads one templates file from r; name is used in errors.
func ParseTemplates(name string, r io.Reader) (*Templates, error) {
	t := &Templates{hosts: map[string]*specNode{}}
	if err := t.read(name, r); err != nil {
		return nil, err
	}
	return t, nil
}

// Len is the number of templates loaded.
func (t *Templates) Len() int {
	if t == nil {
		return 0
	}
	return t.n
}

func (t *Templates) read(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		fields := strings.Fields(s)
		host, path := AnyHost, ""
		switch len(fields) {
		case 1:
			path = fields[0]
		case 2:
			host, path = normHost(strings.ToLower(fields[0])), fields[1]
		default:
			return fmt.Errorf("templates %s:%d: want \"[host] /path/{param}\", got %d fields", name, line, len(fields))
		}
		if err := checkTemplate(path); err != nil {
			return fmt.Errorf("templates %s:%d: %q: %w", name, line, path, err)
		}
		tmpl := "/" + trimSlash(path)
		if t.add(&Operation{Host: host, Method: templateMethod, Template: tmpl, File: name}) {
			t.n++
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("templates %s: %w", name, err)
	}
	return nil
}

// checkTemplate accepts "/a/{b}/c{d}.json": a leading slash, and at most
// one well-formed {name} per segment.
func checkTemplate(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("a template starts with /")
	}
	if strings.ContainsAny(p, "?#") {
		return fmt.Errorf("a template is a path, without query or fragment")
	}
	for _, seg := range strings.Split(trimSlash(p), "/") {
		if seg == "" && p != "/" {
			return fmt.Errorf("empty segment")
		}
		open, close := strings.Count(seg, "{"), strings.Count(seg, "}")
		if open != close || open > 1 {
			return fmt.Errorf("segment %q: want at most one {name} per segment", seg)
		}
		if open == 1 {
			i, j := strings.IndexByte(seg, '{'), strings.IndexByte(seg, '}')
			if j < i+2 {
				return fmt.Errorf("segment %q: want {name}", seg)
			}
		}
	}
	return nil
}

// add indexes op; false when the same template is already there.
func (t *Templates) add(op *Operation) bool {
	s := Specs{hosts: t.hosts}
	s.add(op)
	return len(s.ops) == 1
}

// Lookup returns the template path matches on host ("" when none): the
// host's own templates first, then those for every host.
func (t *Templates) Lookup(host, path string) string {
	if op := t.lookup(host, path); op != nil {
		return op.Template
	}
	return ""
}

// lookup returns the template path matches as an Operation (Template and
// File set) or nil.
func (t *Templates) lookup(host, path string) *Operation {
	if t == nil || t.n == 0 {
		return nil
	}
	rest := trimSlash(path)
	for _, h := range []string{host, hostOnly(host), AnyHost} {
		root := t.hosts[h]
		if root == nil {
			continue
		}
		if n := root.match(rest); n != nil {
			return n.ops[templateMethod]
		}
	}
	return nil
}

// hostOnly drops a port.
func hostOnly(h string) string {
	if x, _, ok := strings.Cut(h, ":"); ok {
		return x
	}
	return h
}

// WriteTemplates writes the templates the inventory uses for calls no
// spec matches — learned ones and the operator's — as a templates file
// (--export-templates): one "host /path" per line, sorted, so that an
// operator can correct the wrong ones and give the file back with
// --templates. It returns the number of templates written.
func (inv *Inventory) WriteTemplates(w io.Writer) (int, error) {
	inv.mu.Lock()
	seen := map[string]bool{}
	type line struct{ tmpl, check string }
	var lines []line
	for _, r := range inv.all() {
		e := r.e
		if r.h == nil || e.op != nil || e.pathKnown || e.calls == 0 {
			continue // documented: the spec has the template
		}
		l := r.h.name + " " + e.tmpl
		if seen[l] || strings.ContainsAny(r.h.name, " \t") || checkTemplate(e.tmpl) != nil {
			continue
		}
		seen[l] = true
		lines = append(lines, line{l, checkWords(e, inv.cfg.MinSiblings)})
	}
	inv.mu.Unlock()
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.tmpl, b.tmpl) })
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# Path templates apitap used for calls no spec documents (apitap --export-templates).")
	fmt.Fprintln(bw, "# Correct the wrong ones (a segment that is a value: {name}; a parameter that is a")
	fmt.Fprintln(bw, "# fixed word: the word), delete the rest if you like, and give the file back with")
	fmt.Fprintln(bw, "# --templates. One \"host /path\" per line; a line without a host applies to every host.")
	fmt.Fprintf(bw, "# A \"# check\" line marks a parameter made of fewer than %d words, or mostly of English\n", inv.cfg.MinSiblings)
	fmt.Fprintln(bw, "# words: the likeliest to be fixed words of the API (write each as its own line) rather")
	fmt.Fprintln(bw, "# than values.")
	for _, l := range lines {
		if l.check != "" {
			fmt.Fprintln(bw, "# check "+l.check)
		}
		fmt.Fprintln(bw, l.tmpl)
	}
	return len(lines), bw.Flush()
}

// checkWords describes the word parameters of e's template an operator
// should check first, "" when there are none: those holding fewer than
// min distinct words ("{name}: rpc, telemetry (collection_slot)"), which
// a rule read as values from their words and position where traffic has
// not yet shown the values keep coming, and those whose words are mostly
// English ("{name}: English words: issuetypescheme, workflowscheme, ...
// (tenant)"), which is how an API names its resources. Typed parameters
// (ids, tokens, dates) are values on sight and are not listed. Checked
// templates hold 71 % of the traffic corpora's false parameters and 48 %
// and 68 % of the OpenAPI directory's dev and held halves' (session 14).
func checkWords(e *endpoint, min int) string {
	if e.node == nil || e.given {
		return ""
	}
	var parts []string
	for _, p := range e.node.params() {
		if p.kind != Word || p.values <= 0 {
			continue
		}
		switch {
		case p.values < min:
			parts = append(parts, fmt.Sprintf("{%s}: %s (%s)", p.name, strings.Join(p.samples, ", "), p.rule))
		case englishSamples(p.samples):
			parts = append(parts, fmt.Sprintf("{%s}: English words: %s, ... (%s)", p.name, strings.Join(p.samples, ", "), p.rule))
		}
	}
	return strings.Join(parts, "; ")
}

// englishSamples reports whether most of a parameter's sample values are
// made of English words (words.go).
func englishSamples(samples []string) bool {
	n := 0
	for _, s := range samples {
		if madeOfWords(s) {
			n++
		}
	}
	return 2*n > len(samples)
}
