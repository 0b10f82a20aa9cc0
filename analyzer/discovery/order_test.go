package discovery

import (
	"strings"
	"testing"
)

// permutations calls f with every order of ps (Heap's algorithm).
func permutations(ps []string, f func([]string)) {
	a := append([]string(nil), ps...)
	c := make([]int, len(a))
	f(a)
	for i := 0; i < len(a); {
		if c[i] < i {
			if i%2 == 0 {
				a[0], a[i] = a[i], a[0]
			} else {
				a[c[i]], a[i] = a[i], a[c[i]]
			}
			f(a)
			c[i]++
			i = 0
			continue
		}
		c[i] = 0
		i++
	}
}

// TestLookupCollectionsEveryOrder feeds made-up paths of one shape (several
// collections, each read by typed id and looked up by slug, trailing
// slashes) in every order: the templates must not depend on the order, and
// the collections stay literal with their ids a parameter. Regressions of
// two rules that decided at arrival: three collections that each led to
// /slug/ were promoted to one parameter before the fourth, read by ObjectId,
// arrived; and a word after a tag collection (/topics/slug) was a tag's
// name, which the sibling-value rule then spread to /articles/slug.
func TestLookupCollectionsEveryOrder(t *testing.T) {
	paths := []string{
		"/cms/api/content/articles/",
		"/cms/api/content/articles/65f0c1d2e3a4b5c6d7e8f901/",
		"/cms/api/content/articles/slug/first-look-at-spring/",
		"/cms/api/content/articles/slug/notes-from-the-road/",
		"/cms/api/content/tags/slug/field-reports/",
		"/cms/api/content/writers/slug/ana-souza/",
		"/cms/api/content/videos/slug/intro/",
	}
	want := map[string]string{
		"/cms/api/content/articles/":                          "/cms/api/content/articles",
		"/cms/api/content/articles/65f0c1d2e3a4b5c6d7e8f901/": "/cms/api/content/articles/{id}",
	}
	var first map[string]string
	var firstOrder string
	n := 0
	permutations(paths, func(order []string) {
		n++
		got := observeAll(t, order)
		if first == nil {
			first, firstOrder = got, strings.Join(order, " ")
			for p, w := range want {
				if got[p] != w {
					t.Errorf("%s → %s, want %s", p, got[p], w)
				}
			}
			for _, p := range paths {
				if strings.Contains(p, "/slug/") && !strings.Contains(got[p], "/slug/") {
					t.Errorf("%s → %s: the lookup field slug must stay literal", p, got[p])
				}
			}
			return
		}
		for p, w := range first {
			if got[p] != w && !t.Failed() {
				t.Errorf("order %s: %s → %s; order %s: %s", strings.Join(order, " "), p, got[p], firstOrder, w)
			}
		}
	})
	if n != 5040 {
		t.Fatalf("%d orders, want 7! = 5040", n)
	}
	t.Logf("first order: %v", first)
}

// TestRejoinEveryOrder: words kept literal when their position was
// promoted, because their sub-paths differed then, join the parameter
// once it gains the same sub-path, as words arriving after the promotion
// do (/r/netsec/new before or after /r/python/new).
func TestRejoinEveryOrder(t *testing.T) {
	paths := []string{"/g/alpha/hot", "/g/bravo/hot", "/g/charlie/hot", "/g/delta/new", "/g/echo/new"}
	permutations(paths, func(order []string) {
		got := observeAll(t, order)
		for _, p := range paths {
			want := "/g/{name}/" + p[strings.LastIndexByte(p, '/')+1:]
			if got[p] != want && !t.Failed() {
				t.Errorf("order %v: %s → %s, want %s", order, p, got[p], want)
			}
		}
	})
}
