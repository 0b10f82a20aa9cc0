package discovery

import (
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
