package discovery

import (
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"
)

// TestFileNamesEveryOrder feeds made-up paths of MySportsFeeds' shape
// (traffic F: a league, a season, below them resources written as files
// beside collections: games.json beside games/{id}) in every order and
// requires one inventory for all of them, with the resources below
// /current/ literal: there games.json beside games shows that the API
// writes its resources as files (resourceFile). Before session 10 the 5,040
// orders gave four inventories, from three rules that decided on the
// evidence at arrival: a word reaching a parameter only on a rewalk was
// not counted (countValue), so a parameter held player_gamelogs.json
// without knowing it; demoteFile gave back only a parameter of one file
// name, not of two taken before the evidence came; and a parameter of one
// file name vouched for its cousins' words (loneSlot), which stayed
// merged once it was given back.
func TestFileNamesEveryOrder(t *testing.T) {
	paths := []string{
		"/pull/nba/latest/games.json",
		"/pull/nfl/current/player_gamelogs.json",
		"/pull/nhl/latest/date/20251122/games.json",
		"/pull/mlb/latest/player_gamelogs.json",
		"/pull/nba/current/games/20251123-BUF-HOU/boxscore.json",
		"/pull/nfl/current/games.json",
		"/pull/nba/current/week/12/games.json",
	}
	var first map[string]string
	n := 0
	permutations(paths, func(order []string) {
		n++
		got := observeAll(t, order)
		if first == nil {
			first = got
			for _, p := range paths {
				if strings.Contains(p, "/current/") && strings.Contains(got[p], "/current/{") {
					t.Errorf("%s → %s: the resources below /current/ stay literal", p, got[p])
				}
			}
			return
		}
		for _, p := range paths {
			if got[p] != first[p] && !t.Failed() {
				t.Errorf("order %v: %s → %s; in the first order %s", order, p, got[p], first[p])
			}
		}
	})
	if n != 5040 {
		t.Fatalf("%d orders, want 7! = 5040", n)
	}
	t.Logf("every order: %v", first)
}

// TestRelexManyOrders feeds made-up paths of Reddit's shape (traffic
// dev: subreddits, each read by listing, hot most often) with a listing
// below kubernetes first, then in 200 random orders. A subreddit that
// reads as a plural collection noun (kubernetes) makes its listing an
// instance by the collection-slot rule while it is still a literal, the
// same-noun rule spreads that to its siblings, and before session 10 the
// subreddits' parameter kept the listing as a parameter of its own once
// they formed it (/r/{name}/{name2}); relex gives the word back when the
// literal above it becomes a value, so the first order must give
// /r/{name}/hot. The shuffles are logged: 80 of 200 gave another
// inventory than the first order before relex, 7 after it (a cousin's
// lone listing vouching for a sibling's listings, which the rules keep).
func TestRelexManyOrders(t *testing.T) {
	subs := []string{"kubernetes", "golang", "cpp", "rust", "docker", "homelab", "python", "linux", "java", "devops", "netsec", "sysadmin"}
	var paths []string
	for i, s := range subs {
		paths = append(paths, "/r/"+s+"/hot", "/r/"+s+"/hot", "/r/"+s+"/hot", "/r/"+s+"/top")
		if i%3 == 0 {
			paths = append(paths, "/r/"+s+"/new")
		}
	}
	first := observeAll(t, paths)
	for _, p := range paths {
		if want := "/r/{name}/" + path.Base(p); first[p] != want {
			t.Errorf("%s → %s, want %s", p, first[p], want)
		}
	}
	differ := 0
	for seed := range uint64(200) {
		order := slices.Clone(paths)
		r := rand.New(rand.NewPCG(seed, 11))
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		got := observeAll(t, order)
		for _, p := range paths {
			if got[p] != first[p] {
				differ++
				break
			}
		}
	}
	t.Logf("%d of 200 shuffles give another inventory than the first order", differ)
}

// TestResourceTypesEveryOrder feeds made-up paths of FHIR's shape (Blue
// Button, traffic J: capitalised resource types, each listed and read by
// id, beside a lower-case metadata) in every order. A capitalised word
// that leads to typed ids is a resource type (resourceType), and the
// statistical rule counts no capitalised word beside one as a value: the
// types stay literal in every order in which some type's ids arrive
// before the third type does without its own. Before session 10, 1,512 of
// the 5,040 orders merged them into one parameter; the 252 orders that
// bring all three types without ids first still do (logged: no rule
// undoes a parameter of capitalised names yet).
func TestResourceTypesEveryOrder(t *testing.T) {
	paths := []string{
		"/v2/fhir/ExplanationOfBenefit",
		"/v2/fhir/ExplanationOfBenefit/carrier--10000930037921",
		"/v2/fhir/Patient",
		"/v2/fhir/Patient/-10000000034883",
		"/v2/fhir/Coverage",
		"/v2/fhir/Coverage/part-a--10000000018744",
		"/v2/fhir/metadata",
	}
	merged := 0
	permutations(paths, func(order []string) {
		got := observeAll(t, order)
		bare, idFirst := 0, false
		for _, p := range order {
			if strings.Count(p, "/") == 4 {
				idFirst = idFirst || bare < 3
				continue
			}
			if p != "/v2/fhir/metadata" {
				bare++
			}
		}
		if strings.Contains(got["/v2/fhir/Patient"], "{") {
			merged++
			if idFirst && !t.Failed() {
				t.Errorf("order %v: /v2/fhir/Patient → %s, the types stay literal", order, got["/v2/fhir/Patient"])
			}
		}
	})
	t.Logf("%d of 5040 orders merge the types (all three arrive before any id)", merged)
}
