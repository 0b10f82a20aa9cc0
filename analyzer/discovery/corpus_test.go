package discovery

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/apicall"
)

type corpusLine struct {
	api, method, path, want string
}

// The corpora: the one the plain-word rules were written beside, a
// held-out one of other public APIs, written before the rules of the
// issue 5 follow-up changed, a fresh one of 20 more APIs written and
// measured before the second recall round changed any rule, and a blind
// one of 43 more APIs written from their docs without sight of the
// templater and scored before the fourth round (over-merging) changed
// any rule. All four have been in view while rules were written since.
const (
	corpusFile  = "testdata/templating_corpus.txt"
	heldoutFile = "testdata/templating_heldout.txt"
	freshFile   = "testdata/templating_fresh.txt"
	blindFile   = "testdata/templating_blind.txt"
	blind2File  = "testdata/templating_blind2.txt"
	blind3File  = "testdata/templating_blind3.txt"
	blind4File  = "testdata/templating_blind4.txt"
	blind5File  = "testdata/templating_blind5.txt"
	blind6File  = "testdata/templating_blind6.txt"
	blind7File  = "testdata/templating_blind7.txt"
	blind8File  = "testdata/templating_blind8.txt"
	blind9File  = "testdata/templating_blind9.txt"
	blind10File = "testdata/templating_blind10.txt"
	blind11File = "testdata/templating_blind11.txt"
	blind12File = "testdata/templating_blind12.txt"
	blind13File = "testdata/templating_blind13.txt"
	blind14File = "testdata/templating_blind14.txt"
	blind15File = "testdata/templating_blind15.txt"
)

func readCorpusFile(t testing.TB, name string) []corpusLine {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 4 {
			t.Fatalf("%s: line %q: want 4 tab-separated fields", name, line)
		}
		out = append(out, corpusLine{p[0], p[1], p[2], p[3]})
	}
	return out
}

// paramSegments marks which segments of a template are parameters.
func paramSegments(tmpl string) []bool {
	var out []bool
	for _, s := range strings.Split(strings.Trim(tmpl, "/"), "/") {
		if s != "" {
			out = append(out, strings.Contains(s, "{"))
		}
	}
	return out
}

// corpusScore is how templating did on a corpus: precision and recall of
// "this segment is a parameter", overall and by value kind.
type corpusScore struct {
	urls, apis                       int
	tp, fp, fn, exact                int
	typedTP, typedFN, wordTP, wordFN int
	misses                           []string
	// Endpoints: distinct expected (API, method, template), the distinct
	// templates the inventory gave the same URLs, and the expected ones
	// whose URLs all got exactly their template (parameter names aside).
	endpoints, templates, endpointsExact int
}

// generic writes every parameter segment of a template as "{}".
func generic(tmpl string) string {
	segs := strings.Split(tmpl, "/")
	for i, s := range segs {
		if strings.Contains(s, "{") {
			segs[i] = "{}"
		}
	}
	return strings.TrimSuffix(strings.Join(segs, "/"), "/")
}

func (s corpusScore) precision() float64   { return ratio(s.tp, s.tp+s.fp) }
func (s corpusScore) recall() float64      { return ratio(s.tp, s.tp+s.fn) }
func (s corpusScore) typedRecall() float64 { return ratio(s.typedTP, s.typedTP+s.typedFN) }
func (s corpusScore) wordRecall() float64  { return ratio(s.wordTP, s.wordTP+s.wordFN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// scoreCorpus feeds each API's URLs to its own inventory (no spec), in
// file order, and scores the templates against the expected ones. A URL
// whose template has another segment count (an empty template: the
// inventory cannot find a path it observed) is an error.
func scoreCorpus(t *testing.T, lines []corpusLine) corpusScore {
	t.Helper()
	invs := map[string]*Inventory{}
	var s corpusScore
	for _, l := range lines {
		inv := invs[l.api]
		if inv == nil {
			var err error
			if inv, err = New(DefaultConfig(), nil); err != nil {
				t.Fatal(err)
			}
			invs[l.api] = inv
		}
		c := apicall.Call{Host: l.api + ".example", Method: l.method, Path: l.path, Status: 200, ReqStart: 1}
		inv.Observe(&c)
	}
	s.urls, s.apis = len(lines), len(invs)
	wrong := map[string]bool{} // expected endpoint → some URL of it got another template
	made := map[string]bool{}
	for _, l := range lines {
		got := invs[l.api].Template(l.api+".example", l.method, l.path)
		ep := l.api + " " + l.method + " " + generic(l.want)
		made[l.api+" "+l.method+" "+generic(got)] = true
		if generic(got) != generic(l.want) {
			wrong[ep] = true
		} else if !wrong[ep] {
			wrong[ep] = false
		}
		g, w := paramSegments(got), paramSegments(l.want)
		if len(g) != len(w) {
			t.Errorf("%s %s %s: template %q has %d segments, want %q", l.api, l.method, l.path, got, len(g), l.want)
			s.fn += count(w)
			continue
		}
		ok := true
		segs := strings.Split(strings.Trim(l.path, "/"), "/")
		for i := range w {
			typed := i < len(segs) && Classify(segs[i]) != Word
			switch {
			case w[i] && typed && g[i]:
				s.typedTP++
			case w[i] && typed:
				s.typedFN++
			case w[i] && g[i]:
				s.wordTP++
			case w[i]:
				s.wordFN++
			}
			switch {
			case g[i] && w[i]:
				s.tp++
			case g[i]:
				s.fp++
				ok = false
			case w[i]:
				s.fn++
				ok = false
			}
		}
		if ok {
			s.exact++
		} else {
			s.misses = append(s.misses, fmt.Sprintf("%-16s %s → %s, want %s", l.api, l.path, got, l.want))
		}
	}
	s.endpoints, s.templates = len(wrong), len(made)
	for _, w := range wrong {
		if !w {
			s.endpointsExact++
		}
	}
	return s
}

// TestTemplatingCorpus scores templating on both corpora: precision and
// recall of "this segment is a parameter", and exact templates.
func TestTemplatingCorpus(t *testing.T) {
	for _, c := range []struct {
		name, file      string
		minURLs, minAPI int
		minTyped        float64
		minPrecision    float64
		reportOnly      bool // scores are logged, not asserted
	}{
		// 2026-11-24, third round (same noun, sibling value, system
		// operation, file name, capitalised names, unknown-name
		// cardinality): corpus precision 1.000, recall 0.933 → 0.949;
		// held-out 0.989 → 0.993, 0.827 → 0.885.
		// 2026-11-24, session 5 (tenant version, shared sub-collection,
		// resource words at volume): heldout recall 0.885 → 0.912 (gcs),
		// blind 0.890 → 0.910 (BambooHR); precision and the others
		// unchanged.
		{"corpus", corpusFile, 200, 20, 0.98, 0.98, false},
		{"heldout", heldoutFile, 150, 15, 0.98, 0.98, false},
		// Fresh, before the second round (2026-11-24): precision 0.991,
		// recall 0.685, typed recall 0.970; after it 0.992 / 0.770; after
		// the third round 0.993 / 0.870, typed 1.000 (the file-name rule
		// reads Artifactory's 1.0 and 1.1 as releases).
		{"fresh", freshFile, 150, 15, 0.98, 0.98, false},
		// Blind (43 APIs written from their docs by an engineer who never
		// saw the templater), scored by the lead before and after the
		// third round with identical results: precision 0.916 (tp 515,
		// fp 47), recall 0.873 (fn 75), exact 424/529; typed recall
		// 1.000, plain-word recall 0.537. Since then a development corpus:
		// the fourth round's rules (collection before ids, resource
		// types, plural collections, plurals and capitalised names in a
		// slot, operation names, lone slot values demoted, plain words
		// beside integer/UUID ids, host names, upper-case codes after a
		// parameter) were written with its misses in view; after it
		// precision 0.989 (tp 525, fp 6), recall 0.890 (fn 65), exact
		// 470/529; the other three unchanged.
		{"blind", blindFile, 400, 40, 0.98, 0.98, false},
		// Blind2 (35 more APIs, written from their docs on 2026-11-24 by
		// another engineer who never saw the templater, and never shown to
		// anyone writing rules): scored by the lead once before the fourth
		// round (precision 0.971, tp 374, fp 11; recall 0.886, fn 48; exact
		// 360/404) and once after it (0.974, tp 370, fp 10; 0.877, fn 52;
		// exact 356/404). This is the honest generalization figure; its
		// precision floor guards against over-merging regressions.
		// 2026-11-24, order fix (lookup fields: /posts/slug/{slug} names a
		// collection) written with its Ghost API in view, so no longer
		// wholly unseen: 0.987 (tp 372, fp 5), 0.882 (fn 50), exact
		// 360/404; the other four unchanged.
		{"blind2", blind2File, 300, 30, 0.98, 0.97, false},
		// Blind3 (28 more APIs beyond devtools, written from their docs on
		// 2026-11-24 in session 5 and committed before the templater was
		// read or run): report-only, so no threshold is tuned to it. Scored
		// three times, before and after session 5's rules (chosen on the
		// other five) and after its last rule commit, and once after the
		// version fix (written with its NYT in view), all identical: precision 0.824 (tp 300, fp 64),
		// recall 0.870 (fn 45), exact 231/318; typed recall 1.000, plain
		// words 0.654 (85/130). A fifth time after the lookup fix (also
		// written with its Riot in view, so blind3 is no longer wholly
		// unseen): precision 0.831 (fp 61), recall 0.870, exact 234/318.
		// Session 5 precision round (branch s5-prec), blind3 as the
		// development corpus, structural rules only (leadNames, apiPrefix,
		// id formats, collections outnumbering, leaves in the dominant
		// shape, caseApart, random tokens a format, collection formats):
		// precision 0.980 (tp 300, fp 6), recall 0.870 (fn 45), exact
		// 273/318; the other five unchanged. Since then its precision floor
		// (0.97) guards against over-merging regressions, as blind2's does.
		{"blind3", blind3File, 250, 25, 0.98, 0.97, false},
		// Blind4 (32 more APIs across airlines, hotels, healthcare,
		// insurance, banking, HR, logistics, retail, government, science,
		// media, games, sports, telecom, energy, IoT, messaging, identity,
		// e-signature, ads and analytics, written from their docs on
		// 2026-11-24 in session 5 and committed before the templater was
		// read or run): report-only, never to be tuned against. Scored
		// once on 2026-11-24 (templater of commit 980b9bd): precision 0.855
		// (tp 277, fp 47), recall 0.885 (fn 36), exact 277/352; typed
		// recall 1.000 (226/226), plain words 0.586 (51/87). Scored a second
		// time after merging session 5's precision round (written beside
		// blind3, without blind4 in view): precision 0.879 (fp 38), recall
		// 0.885, exact 285/352. Session 5 precision round 2 (branch
		// s5-prec2) made it a development corpus (its misses in view, so
		// no longer unseen; structural rules only: namespace case, format
		// codes, words beside code ids, operations beside ids): precision
		// 0.969 (tp 278, fp 9), recall 0.888 (fn 35), exact 309/352; the
		// other six unchanged. Still report-only (order-dependent in
		// Federal Register, F1 and Lichess, as before the round).
		{"blind4", blind4File, 250, 25, 0, 0, true},
		// Blind5 (31 more APIs across airlines, travel, hotels, healthcare,
		// banking, payroll, HR, logistics, retail, real estate, sports,
		// education, government and open data, science, media, games,
		// telecom, energy, agriculture, messaging, identity, e-signature,
		// ads, analytics, IoT and events, written from their docs on
		// 2026-11-24 in session 5 and committed before the templater was
		// read or run, while another engineer worked on precision for
		// unseen APIs without it in view): report-only, never to be tuned
		// against. Scored once on 2026-11-24 (templater of commit 2367cad):
		// precision 0.937 (tp 252, fp 17), recall 0.984 (fn 4), exact
		// 309/330; typed recall 1.000 (230/230), plain words 0.846 (22/26).
		// Scored a second time after merging precision round 2 (written
		// beside blind4, without blind5 in view): the same figures.
		{"blind5", blind5File, 250, 25, 0, 0, true},
		// Blind6 (34 more APIs across banking, payroll, HR, logistics,
		// retail, sports, education, government open data, science, media,
		// games, telecom, energy, agriculture, messaging, identity,
		// e-signature, ads, analytics, IoT, healthcare, hotels, aviation,
		// real estate and travel, written from their docs on 2026-11-24 in
		// session 7 and committed before the templater was read or run,
		// while another engineer worked on precision for unseen APIs
		// without it in view): report-only, never to be tuned against.
		// Scored once on 2026-11-24 (templater of main at commit 7b4c7c3):
		// precision 0.945 (tp 345, fp 20), recall 0.896 (fn 40), exact
		// 310/363; typed recall 0.959 (303/316), plain words 0.609
		// (42/69); 319 templates for 312 expected endpoints (1.022).
		{"blind6", blind6File, 250, 25, 0, 0, true},
		// Blind7 (27 more APIs whose names start with N-Z: email and
		// calendar, government open data, messaging, identity, billing,
		// banking, telecom, hotels, transit, airports, security, health,
		// support, agriculture, energy, education, games, construction,
		// forms; written from their docs on 2026-11-24 in session 7 and
		// committed before the templater was read or run, while another
		// engineer worked on precision for unseen APIs without it in
		// view): report-only, never to be tuned against.
		// Scored once on 2026-11-24 (templater of main at commit cf10071):
		// precision 0.947 (tp 287, fp 16), recall 0.894 (fn 34), exact
		// 269/309; typed recall 1.000 (241/241), plain words 0.575
		// (46/80); 267 templates for 269 expected endpoints (0.993).
		{"blind7", blind7File, 250, 25, 0, 0, true},
		// Blind8 (30 more APIs across banking, HR and payroll, logistics,
		// retail, vacation rentals, aviation, dental health, games,
		// government open data, science, media, telecom, energy, messaging,
		// identity, e-signature, ads, analytics and IoT, written from their
		// docs on 2026-11-24 in session 7 and committed before the templater
		// was read or run, while another engineer worked on precision for
		// unseen APIs without it in view): report-only, never to be tuned
		// against. Scored once on 2026-11-24 (templater of main at commit
		// 6871af7): precision 0.856 (tp 231, fp 39), recall 0.967 (fn 8),
		// exact 255/300; typed recall 1.000 (199/199), plain words 0.800
		// (32/40); 258 templates for 263 expected endpoints (0.981).
		{"blind8", blind8File, 250, 25, 0, 0, true},
		// Blind9 (44 more APIs, all A-M, across payments and card issuing,
		// SMB financial data, hotels and tours, HR and staffing, healthcare,
		// logistics, K-12 rostering, games and mods, prediction markets,
		// media and museums, government open data, legal-entity registers,
		// science, energy, IoT, telecom, messaging, identity, BI, retail and
		// sports, written from their docs on 2026-11-24 in session 8 and
		// committed before the templater was read or run, while two other
		// engineers changed the templater without it in view): report-only,
		// never to be tuned against. Scored once on 2026-11-24 (templater of
		// main at commit b1ece67): precision 0.908 (tp 462, fp 47), recall
		// 0.902 (fn 50), exact 397/472; typed recall 1.000 (384/384), plain
		// words 0.619 (78/126); 419 templates for 415 expected endpoints
		// (1.010). One URL (mangopay GET /v2.01/{}/users/{}/wallets) got
		// no template at all: a word parameter that also held a token was
		// turned back into the literal word with the token's sub-paths
		// (fixed in unslot, TestUnslotKeepsTypedValues).
		{"blind9", blind9File, 250, 25, 0, 0, true},
		// Blind10 (42 more APIs, all N-Z, across culture and museums,
		// science, media, retail, games and mods, telecom, travel and tours,
		// insurance, open banking, events, IT service management, energy and
		// EV charging, IoT, delivery, identity verification, surveys and
		// analytics, productivity, time tracking, payroll, education,
		// healthcare, agriculture, messaging, affiliate marketing and
		// government open data, written from their docs on 2026-11-24 in
		// session 9 and committed before the templater was read or run, while
		// two other engineers changed the templater without it in view):
		// report-only, never to be tuned against. Scored once on 2026-11-24
		// (templater of main at commit 1840c36): precision 0.906 (tp 435,
		// fp 45), recall 0.904 (fn 46), exact 399/474; typed recall 1.000
		// (374/374), plain words 0.570 (61/107); 408 templates for 401
		// expected endpoints (1.017). False positives: OCPI role and version
		// segments (/ocpi/cpo/2.2.1/, 24), a version with a dot and dash
		// (/api-2.0/, 10), file-name literals (/mods/latest_added.json), and
		// fixed words beside ids (/orders/shipping.json, /incidents/unresolved,
		// /stats/air, /compensation/); misses: one statuspage page id
		// (kctbh9vrtdwd) seen with a single value under every endpoint (11),
		// and enum-like words documented as parameters (culture nl/en, table
		// names, prize categories, data groups, season types).
		{"blind10", blind10File, 250, 25, 0, 0, true},
		// Blind11 (43 more APIs, all A-M, across telecom eSIM, tours,
		// payments, FX banking, workforce and unified HR, retail and
		// marketplaces, IoT and OTA updates, EV charging, building energy,
		// weather stations, library systems, media, podcasts, games,
		// identity, data pipelines, observability, science, government open
		// data, support, marketing, logistics, healthcare, ads and museums,
		// written from their docs on 2026-11-24 in session 9 and committed
		// before the templater was read or run, while three other engineers
		// changed the templater without it in view): report-only, never to
		// be tuned against. Scored once on 2026-11-24 (templater of main at
		// commit 9c3df1e): precision 0.917 (tp 409, fp 37), recall 0.942
		// (fn 25), exact 448/496; typed recall 1.000 (343/343), plain words
		// 0.725 (66/91); 417 templates for 420 expected endpoints (0.993).
		// False positives: a year as API version (/api/2014/, 13), resource
		// nouns after a bare numeric version (/1/datasets/, 12), documented
		// fixed words beside ids (INFO, QUERY, cellular, start_charging,
		// ongoing, authentication, manga, :persistentId); misses: imgur
		// gallery section/sort/window words and a username, honeycomb
		// dataset slugs, kibana saved-object types and space ids, dailymotion
		// channel names, fivetran schema and table names.
		{"blind11", blind11File, 250, 25, 0, 0, true},
		// Blind12 (40 more APIs, all N-Z, across hotels, postal and courier
		// logistics, print mail, medical terminology, fitness wearables,
		// health insurance data, banking as a service, payments, HR and
		// workforce, retail and marketplaces, fantasy and football sports,
		// LMS, congress and sanctions open data, gene ontology, radio,
		// dictionary, podcasts, games, voice and telecom, solar energy,
		// plants, messaging, passkeys, e-signature, BI analytics and smart
		// home IoT, written on 2026-11-24 in session 9 and committed before
		// the templater was read or run): report-only, never to be tuned
		// against. Scored once on 2026-11-24 (templater of main at
		// commit 0ce176f): precision 0.832 (tp 415, fp 84), recall 0.928
		// (fn 32), exact 353/451; typed recall 1.000 (364/364), plain words
		// 0.614 (51/83); 380 templates for 390 expected endpoints (0.974).
		// False positives: a date version with resource nouns after it
		// (/api/laml/2010-04-01/Accounts/{}/Messages, 18), fixed words
		// before ids or values (radio-browser byuuid/bytag, QuickGO go/eco,
		// UMLS CUI/AUI, Yahoo league, ProPublica bills, Reverb
		// orders/selling, Shiprocket courier/track, Solcast
		// forecast/live/historic/tmy), documented literals beside ids
		// (nightly-recharge, LockUnlock, Activate, Kycreview, ExportTo,
		// documents/zip, transactions/posted, awaiting_shipment, age-bracket,
		// rates/prebook), words.json/randomWord and versioned file names
		// (pvwatts/v8.json); misses: a Workday tenant (11), Warframe
		// platforms (pc, ps4, xb1), OpenSanctions dataset names, Yahoo game
		// codes (nfl, nba), a congress chamber, radio tags and languages,
		// Sensibo acState property names and Warframe search terms.
		{"blind12", blind12File, 250, 25, 0, 0, true},
		// Blind13 (38 more APIs, all A-M, across network IoT, open banking,
		// crypto exchange, government open data, HR background checks,
		// contact centre and call tracking, affiliate and programmatic ads,
		// grid and smart-meter energy, short-term rental, tours, travel
		// expense, messaging, support, BI analytics, K-12 data, science,
		// transit, business identity, retail marketplaces, video, media
		// review, fleet logistics, healthcare billing and agriculture,
		// written from their docs on 2026-11-24 in session 10 and committed
		// before the templater was read or run, while other engineers
		// changed the templater without it in view): report-only, never to
		// be tuned against. Scored once on 2026-11-24 (templater of main at
		// commit e3e5b7d): precision 0.955 (tp 429, fp 20), recall 0.941
		// (fn 27), exact 376/423; typed recall 1.000 (357/357), plain words
		// 0.727 (72/99); 353 templates for 352 expected endpoints (1.003).
		// False positives: a dashed API version (Glowmarkt /api/v0-1/, 10)
		// and dated versions (Amazon SP-API /catalog/2022-04-01/, 6),
		// documented fixed words beside ids (Awin reports/advertiser and
		// reports/creative, INSEE siret/liensSuccession, Meraki wireless);
		// misses: legislation.gov.uk's leading {type} (ukpga, uksi, asp,
		// new/uksi; 12), enum-like table names (Arable daily/hourly, 5),
		// cBioPortal profile and cancer-type ids, BrasilAPI state codes
		// (SP, MG), Lightdash explore names, a Ditto property and attribute
		// name and a Memfault cohort slug.
		{"blind13", blind13File, 250, 25, 0, 0, true},
		// blind14 (32 APIs with names N-Z not used elsewhere: network
		// inventory, project management, documents, sales, registry,
		// ticketing, shift scheduling, retail, accounting, a company
		// register, open science, pharmacogenomics, a museum, CMSs,
		// streaming guides, games, telephony, weather stations, IoT,
		// notifications, chat, e-signature, affiliates, experimentation,
		// feature flags, parcel tracking and clinical terminology, written
		// from their docs on 2026-11-24 in session 10 and committed before
		// the templater was read or run): report-only, never to be tuned
		// against. Scored once on 2026-11-24 (templater of main at commit
		// ef6385f): precision 0.946 (tp 279, fp 16), recall 0.840 (fn 53),
		// exact 272/334; typed recall 1.000 (247/247), plain words 0.376
		// (32/85); 293 templates for 297 expected endpoints (0.987).
		// False positives: documented fixed words under one parent
		// (PharmGKB data/gene, chemical, variant and six more, 10; nRF Cloud
		// location/ground-fix and agnss), Revolt users/@me and users/dms, a
		// sevdesk Voucher/Factory and TrackingMore trackings/retrack;
		// misses: plain-word slugs and names seen with one or two values
		// (Tito account and event slugs, 10; Quay namespace and repository,
		// 8; Unleash project, flag and environment, 7; Wynncraft player
		// names, 6; Squidex app and schema, 6), Snowstorm's leading MAIN
		// branch (5), Smithsonian term categories and a Novu topic key.
		{"blind14", blind14File, 250, 25, 0, 0, true},
		// blind15 (40 APIs not used elsewhere: package registries, a
		// Bitcoin explorer, crypto exchanges, brokerage, payments,
		// print-on-demand, accounting, CRM, email marketing, forms,
		// scheduling, project tracking, bug tracking, code quality, data
		// orchestration, a vector database, speech AI, DNS, breach and
		// vulnerability data, uptime monitoring, aviation weather, fitness,
		// life-science search, UK tax and a wiki; 440 URLs), written from
		// their docs on 2026-11-24 in session 11 and committed (63960de)
		// before the templater was read or run: report-only, never to be
		// tuned against. Scored on the session's starting templater
		// (684d4ad): precision 0.957 (tp 336, fp 15), recall 0.846 (fn 61),
		// exact 369/440; typed recall 1.000 (275/275), plain words 0.500
		// (61/122); 423 templates for 420 expected endpoints (1.007). On
		// the session's final templater: the same figures (none of the
		// session's rules moved it). Its misses are left unread so that it
		// stays unseen for the next session.
		{"blind15", blind15File, 250, 25, 0, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := scoreCorpus(t, readCorpusFile(t, c.file))
			logScore(t, c.name, s)
			// Over-merging is the failure that hides endpoints, and typed
			// values need no statistics: both must hold. Plain-word
			// parameters seen with one or two values cannot always be told
			// from resource names; their recall is reported, not asserted.
			if c.reportOnly {
				return
			}
			if s.precision() < c.minPrecision {
				t.Errorf("precision %.3f, want at least %.3f", s.precision(), c.minPrecision)
			}
			if s.typedRecall() < c.minTyped {
				t.Errorf("recall on typed values %.3f, want at least %.2f", s.typedRecall(), c.minTyped)
			}
			if s.urls < c.minURLs || s.apis < c.minAPI {
				t.Errorf("%s has %d URLs across %d APIs, want at least %d across %d", c.file, s.urls, s.apis, c.minURLs, c.minAPI)
			}
		})
	}
}

// logScore logs a corpus's misses and figures.
func logScore(t *testing.T, name string, s corpusScore) {
	t.Helper()
	for _, m := range s.misses {
		t.Logf("miss: %s", m)
	}
	t.Logf("%s: %d URLs, %d APIs; parameter segments: precision %.3f, recall %.3f (tp %d, fp %d, fn %d); exact templates %d/%d (%.3f)",
		name, s.urls, s.apis, s.precision(), s.recall(), s.tp, s.fp, s.fn, s.exact, s.urls, ratio(s.exact, s.urls))
	t.Logf("recall by value kind: typed values (ids, uuids, hashes, tokens, dates, emails) %.3f (%d/%d); plain words (slugs, names) %.3f (%d/%d)",
		s.typedRecall(), s.typedTP, s.typedTP+s.typedFN, s.wordRecall(), s.wordTP, s.wordTP+s.wordFN)
	t.Logf("endpoints: %d expected, %d templates made (ratio %.3f), %d expected endpoints with every URL templated exactly (%.3f)",
		s.endpoints, s.templates, ratio(s.templates, s.endpoints), s.endpointsExact, ratio(s.endpointsExact, s.endpoints))
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// TestCorpusOrderIndependence feeds each API's URLs in reverse order and
// in five random orders and expects the same templates.
func TestCorpusOrderIndependence(t *testing.T) {
	for _, file := range []string{corpusFile, heldoutFile, freshFile, blindFile, blind2File, blind3File} {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(file, "testdata/templating_"), ".txt"), func(t *testing.T) {
			orderIndependence(t, readCorpusFile(t, file))
		})
	}
}

// TestBlind3OrderReport feeds blind3 in reverse and in five random orders
// and logs how many URLs get another template than in file order, and how
// many of 200 more shuffles change at least one URL, by API. Report
// only: on 2026-11-24 main already gave 26 URLs (NYT, Riot, TfL) another
// template in reverse order (the same with and without session 5's
// structural rules; 18 since the version fix, TestVersionNotShared, 15
// since the lookup fix, TestLookupNeverAligns), and 191 of 200 shuffles
// changed at least one URL (188, then 176). After the precision round
// (s5-prec): none in reverse, none of 200 shuffles, so blind3 is in
// TestCorpusOrderIndependence too; this report stays for the 200.
func TestBlind3OrderReport(t *testing.T) {
	lines := readCorpusFile(t, blind3File)
	base := runCorpus(lines)
	diff := func(ls []corpusLine) int {
		n := 0
		for k, v := range runCorpus(ls) {
			if base[k] != v {
				n++
			}
		}
		return n
	}
	rev := slices.Clone(lines)
	slices.Reverse(rev)
	t.Logf("blind3, reverse order: %d of %d URLs get another template than in file order", diff(rev), len(lines))
	for seed := range uint64(5) {
		ls := slices.Clone(lines)
		r := rand.New(rand.NewPCG(seed, 7))
		r.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		t.Logf("blind3, shuffle %d: %d of %d URLs get another template than in file order", seed, diff(ls), len(lines))
	}
	n := 200
	if testing.Short() {
		n = 20
	}
	changed, apis := 0, map[string]int{}
	for seed := range uint64(n) {
		ls := slices.Clone(lines)
		r := rand.New(rand.NewPCG(seed, 7))
		r.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		seen := map[string]bool{}
		for k, v := range runCorpus(ls) {
			if api := strings.Fields(k)[0]; base[k] != v && !seen[api] {
				seen[api] = true
				apis[api]++
			}
		}
		if len(seen) > 0 {
			changed++
		}
	}
	t.Logf("blind3, %d shuffles: %d change at least one URL; shuffles by API: %v", n, changed, apis)
}

// runCorpus feeds each API's lines, in the order given, to its own
// inventory and returns the template of every line.
func runCorpus(ls []corpusLine) map[string]string {
	invs := map[string]*Inventory{}
	for _, l := range ls {
		if invs[l.api] == nil {
			invs[l.api], _ = New(DefaultConfig(), nil)
		}
		invs[l.api].Observe(&apicall.Call{Host: l.api, Method: l.method, Path: l.path})
	}
	out := map[string]string{}
	for _, l := range ls {
		out[l.api+" "+l.method+" "+l.path] = invs[l.api].Template(l.api, l.method, l.path)
	}
	return out
}

// TestHeldoutManyShuffles feeds the held-out corpus in 200 more random
// orders (a rule that decides at arrival showed in a few of hundreds:
// Jenkins' release-pipeline, 2026-11-24).
func TestHeldoutManyShuffles(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 20
	}
	shuffles(t, readCorpusFile(t, heldoutFile), n, 13)
}

func orderIndependence(t *testing.T, lines []corpusLine) {
	base := runCorpus(lines)
	rev := slices.Clone(lines)
	slices.Reverse(rev)
	for k, v := range runCorpus(rev) {
		if base[k] != v {
			t.Errorf("reverse order: %s → %s, in file order %s", k, v, base[k])
		}
	}
	shuffles(t, lines, 5, 7)
}

// shuffles feeds lines in n random orders (stream s) and expects the
// templates of file order.
func shuffles(t *testing.T, lines []corpusLine, n int, s uint64) {
	base := runCorpus(lines)
	for seed := range uint64(n) {
		ls := slices.Clone(lines)
		r := rand.New(rand.NewPCG(seed, s))
		r.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		diff := 0
		for k, v := range runCorpus(ls) {
			if base[k] != v {
				if diff++; diff <= 3 {
					t.Logf("shuffle %d: %s → %s, in file order %s", seed, k, v, base[k])
				}
			}
		}
		if diff > 0 {
			t.Errorf("shuffle %d: %d of %d URLs get another template than in file order", seed, diff, len(lines))
		}
	}
}
