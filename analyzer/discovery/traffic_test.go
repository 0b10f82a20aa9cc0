package discovery

import (
	"bufio"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Traffic corpora: where the URL corpora hold one to a few URLs per
// endpoint, as a documentation page shows them, a traffic corpus holds
// what a few minutes of a real client population would send: popular
// endpoints often, rare ones once or twice, each parameter taking values
// from a pool of realistic ones, a few of them often and most rarely. It
// is how the templater meets traffic, where the cardinality of a position
// is evidence.
//
// A spec (testdata/traffic_*.spec) is written from each API's docs:
//
//	api NAME CALLS              an API; CALLS URLs are generated for it
//	src TEXT                    where its templates come from (free text)
//	ep WEIGHT METHOD TEMPLATE   an endpoint as documented: {name} marks a
//	                            parameter; WEIGHT its share of the calls
//	val NAME V1 V2 ...          the pool of {NAME} for this API (several
//	                            val lines for one name add to its pool)
//
// '#' starts a comment line. The expected template writes every segment
// that holds a parameter as "{}". The generator is fixed: endpoints are
// drawn by weight, each parameter's value from its pool with probability
// ∝ 1/(rank+1) (pool order as written), from a random stream seeded by
// the API name, so a spec always gives the same URLs.
type trafficEndpoint struct {
	weight   float64
	method   string
	template string
}

type trafficAPI struct {
	name  string
	calls int
	eps   []trafficEndpoint
	pools map[string][]string
}

func readTrafficSpec(t testing.TB, file string) []trafficAPI {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var apis []trafficAPI
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		bad := func(why string) { t.Fatalf("%s:%d: %s: %q", file, n, why, line) }
		if fs[0] != "api" && len(apis) == 0 {
			bad("before the first api line")
		}
		switch fs[0] {
		case "api":
			if len(fs) != 3 {
				bad("want: api NAME CALLS")
			}
			c, err := strconv.Atoi(fs[2])
			if err != nil || c <= 0 {
				bad("CALLS must be a positive integer")
			}
			if names[fs[1]] {
				bad("API named twice")
			}
			names[fs[1]] = true
			apis = append(apis, trafficAPI{name: fs[1], calls: c, pools: map[string][]string{}})
		case "src":
		case "ep":
			if len(fs) != 4 {
				bad("want: ep WEIGHT METHOD TEMPLATE")
			}
			w, err := strconv.ParseFloat(fs[1], 64)
			if err != nil || w <= 0 || math.IsInf(w, 0) {
				bad("WEIGHT must be a positive number")
			}
			if !strings.HasPrefix(fs[3], "/") {
				bad("TEMPLATE must start with /")
			}
			a := &apis[len(apis)-1]
			a.eps = append(a.eps, trafficEndpoint{w, fs[2], fs[3]})
		case "val":
			if len(fs) < 3 {
				bad("want: val NAME V1 V2 ...")
			}
			a := &apis[len(apis)-1]
			a.pools[fs[1]] = append(a.pools[fs[1]], fs[2:]...)
		default:
			bad("unknown keyword")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, a := range apis {
		if len(a.eps) == 0 {
			t.Fatalf("%s: API %s has no endpoints", file, a.name)
		}
		for _, e := range a.eps {
			for _, p := range templateParams(e.template) {
				if len(a.pools[p]) == 0 {
					t.Fatalf("%s: API %s: %s %s: no values for {%s}", file, a.name, e.method, e.template, p)
				}
			}
		}
	}
	return apis
}

// trafficLines generates the URLs of a spec with their expected templates.
func trafficLines(t testing.TB, file string) []corpusLine {
	t.Helper()
	var out []corpusLine
	for _, a := range readTrafficSpec(t, file) {
		h := fnv.New64a()
		h.Write([]byte(a.name))
		r := rand.New(rand.NewPCG(h.Sum64(), 1))
		var total float64
		for _, e := range a.eps {
			total += e.weight
		}
		cum := map[string][]float64{} // pool → cumulative 1/(rank+1)
		for name, vs := range a.pools {
			c := make([]float64, len(vs))
			s := 0.0
			for i := range vs {
				s += 1 / float64(i+1)
				c[i] = s
			}
			cum[name] = c
		}
		pick := func(name string) string {
			c := cum[name]
			x := r.Float64() * c[len(c)-1]
			for i, v := range c {
				if x < v {
					return a.pools[name][i]
				}
			}
			return a.pools[name][len(c)-1]
		}
		for range a.calls {
			x := r.Float64() * total
			e := a.eps[len(a.eps)-1]
			for _, ep := range a.eps {
				if x < ep.weight {
					e = ep
					break
				}
				x -= ep.weight
			}
			segs := strings.Split(e.template, "/")
			want := make([]string, len(segs))
			for i, s := range segs {
				want[i] = s
				for strings.Contains(s, "{") {
					want[i] = "{}"
					open := strings.IndexByte(s, '{')
					end := strings.IndexByte(s[open:], '}')
					if end < 0 {
						break
					}
					s = s[:open] + pick(s[open+1:open+end]) + s[open+end+1:]
				}
				segs[i] = s
			}
			out = append(out, corpusLine{a.name, e.method, strings.Join(segs, "/"), strings.Join(want, "/")})
		}
	}
	return out
}

func TestTrafficGenerator(t *testing.T) {
	spec := "testdata/traffic_example.spec"
	lines := trafficLines(t, spec)
	if len(lines) != 200 {
		t.Fatalf("%d lines, want 200", len(lines))
	}
	again := trafficLines(t, spec)
	values := map[string]int{}
	eps := map[string]int{}
	for i, l := range lines {
		if l != again[i] {
			t.Fatalf("line %d differs between two runs: %v, %v", i, l, again[i])
		}
		eps[l.method+" "+l.want]++
		if strings.HasPrefix(l.want, "/users/{}") {
			values[strings.Split(l.path, "/")[2]]++
		}
		if strings.Contains(l.path, "{") || strings.Count(l.path, "/") != strings.Count(l.want, "/") {
			t.Errorf("line %v: path not filled or segments differ", l)
		}
	}
	// Weights 6:3:1 over 100 calls of the first API.
	if n := eps["GET /users/{}"]; n < 45 || n > 75 {
		t.Errorf("GET /users/{} drawn %d times of 100, want about 60", n)
	}
	// The first value of a pool is drawn most, and most values are drawn.
	if values["alice"] <= values["zoe"] || len(values) < 10 {
		t.Errorf("value draws %v: want alice most and at least 10 distinct", values)
	}
	if eps["GET /users/me"] == 0 || eps["GET /orders/{}/items/{}"] == 0 {
		t.Errorf("endpoints drawn: %v", eps)
	}
}

// TestTemplatingTraffic scores templating on the traffic corpora, each
// API fed to its own inventory in generated order (report-only: the
// figures are logged).
func TestTemplatingTraffic(t *testing.T) {
	for _, c := range []struct{ name, file string }{
		// The development traffic corpus (session 6): 39 APIs of the URL
		// corpora, 3,900 calls, written before the templater was run on it.
		{"dev", "testdata/traffic_dev.spec"},
		// Traffic A (34 APIs A–L: travel, airlines, hotels, healthcare,
		// insurance, banking, payments, payroll, HR, logistics, retail,
		// real estate, SaaS; 3,550 URLs) and traffic B (36 APIs M–Z:
		// sports, games, education, government data, science, media,
		// music, telecom, energy, IoT, agriculture, messaging, identity,
		// e-signature, ads, analytics, SaaS; 3,600 URLs), written from
		// the APIs' docs on 2026-11-24 (session 6) by two engineers who
		// never saw the templater, each committed before it was run on
		// it. Scored once each with the templater of session 5 (main
		// ff86c75): A precision 0.909 (tp 3563, fp 356), recall 0.946
		// (fn 205), exact 3029/3550, endpoints 428 → 487 templates, 366
		// exact; B precision 0.960 (tp 2935, fp 121), recall 0.977 (fn
		// 69), exact 3410/3600, endpoints 453 → 467 templates, 414 exact.
		{"traffica", "testdata/traffic_a.spec"},
		{"trafficb", "testdata/traffic_b.spec"},
		// Traffic C (39 APIs: travel, hotels, healthcare, banking, HR,
		// logistics, retail, real estate, sports, education, government
		// data, science, media, music, games, telecom, energy,
		// agriculture, messaging, identity, e-signature, ads, analytics,
		// IoT, developer SaaS, cloud; 3,780 URLs), written from the APIs'
		// docs on 2026-11-24 (session 6) by an engineer who never saw the
		// templater, committed (76f1ccf) before it was run on it. Scored
		// once with the templater of main 8f40be5: precision 0.932 (tp
		// 3204, fp 234), recall 0.957 (fn 145), exact 3409/3780, typed
		// recall 0.991, plain-word recall 0.825, endpoints 405 → 440
		// templates, 354 exact. Scored by the lead after merging round 3
		// (written without it in view): precision 0.939 (fp 207), recall
		// 0.957 (fn 145), exact 3436/3780; with session 5's templater
		// (ff86c75) 0.897 (fp 369) / 0.956.
		{"trafficc", "testdata/traffic_c.spec"},
		// Traffic D (27 APIs: travel, healthcare, banking, fintech, HR,
		// logistics, retail, real estate, sports, education, government
		// data, science, media, music, games, telecom, IoT, messaging,
		// identity, e-signature, ads, analytics, developer SaaS, cloud;
		// 2,400 URLs), written from the APIs' docs on 2026-11-24 (session
		// 6) by an engineer who never saw the templater, committed
		// (baf962d) before it was run on it. Scored once with the
		// templater of main 967b9e2: precision 0.823 (tp 1684, fp 363),
		// recall 0.989 (fn 19), exact 2054/2400, typed recall 1.000,
		// plain-word recall 0.890, endpoints 321 → 317 templates, 282
		// exact. Scored by the lead after merging round 4 (written without
		// it in view): the same figures; with session 5's templater
		// (ff86c75) 0.812 (fp 388) / 0.984.
		{"trafficd", "testdata/traffic_d.spec"},
		// Traffic E (30 APIs, one per industry or close to it: public
		// transport, vacation rentals, healthcare, insurance, banking,
		// payroll, HR, logistics, retail, real estate, sports, education,
		// international and government data, science, media, music, games,
		// telecom, energy, agriculture, messaging, identity, e-signature,
		// ads, analytics, IoT, developer SaaS, cloud; 3,430 URLs over 446
		// endpoints), written from the APIs' docs on 2026-11-24 (session 7)
		// by an engineer who never saw the templater, committed (bdfacc9)
		// before it was run on it. Scored once with the templater of main
		// 7b4c7c3: precision 0.892 (tp 2976, fp 360), recall 0.852 (fn
		// 516), exact 2805/3430, typed recall 0.955, plain-word recall
		// 0.624, endpoints 417 → 472 templates, 346 exact.
		{"traffice", "testdata/traffic_e.spec"},
		// Traffic F (34 APIs A–M: banking, music, weather, marketing, ads,
		// project management, time tracking, crypto, games, analytics,
		// retail POS, legal records, telecom, public transport, ornithology,
		// space, media, healthcare, identity, notifications, direct mail,
		// IoT, sports data, energy, agriculture, real estate, hotels; 3,640
		// URLs over 433 endpoints drawn), written from the APIs' docs on
		// 2026-11-24 (session 7) by an engineer who never saw the
		// templater, committed (4cd68a5) before it was run on it. Scored
		// once with the templater of main cf10071: precision 0.821 (tp
		// 2658, fp 579), recall 0.947 (fn 149), exact 3042/3640, typed
		// recall 1.000, plain-word recall 0.787, endpoints 433 → 453
		// templates, 363 exact.
		{"trafficf", "testdata/traffic_f.spec"},
		// Traffic G (34 APIs N-Z: agriculture, banking, payments, billing,
		// HR, payroll/EOR, travel, vacation rentals, real estate, logistics,
		// retail, healthcare, education, government data, climate science,
		// crafts, beverages, esports, sports data, games, podcasts, music,
		// telecom, messaging, identity, e-signature, analytics, IoT, energy,
		// collaboration, developer SaaS, cloud; 3,690 URLs over 458
		// endpoints), written from the APIs' docs on 2026-11-24 (session 8)
		// by an engineer who never saw the templater, committed (02b28b8)
		// before it was run on it. Scored once with the templater of main
		// b1ece67: precision 0.887 (tp 2273, fp 290), recall 0.951 (fn
		// 117), exact 3290/3690, typed recall 1.000, plain-word recall
		// 0.783, endpoints 439 → 469 templates, 390 exact. Most false
		// positives are documented literals beside a parameter or a
		// versioned root (oci-core /20160918, tripit's verbs and object
		// names, sportsdataio feed names, pandascore /matches/running,
		// sipgate /v2/{userId}/sms|phonelines); most misses are plain-word
		// parameters (xivapi /{content}, tinybird /v0/pipes/{pipe}.json).
		{"trafficg", "testdata/traffic_g.spec"},
		// Traffic H (34 APIs A-M: energy retail, IoT, video, developer
		// backend, open banking, game servers, identity, crypto, real estate,
		// aviation weather, legal, agriculture, messaging, localization,
		// logistics, education, cricket data, ticketing, telecom, HR,
		// payments, accounting, audio, insurance, healthcare, science, cloud,
		// contracts, ads, government data, music, analytics, vacation
		// rentals, museums; 4,120 URLs over 442 endpoints drawn), written from
		// the APIs' docs on 2026-11-24 (session 9) by an engineer who never
		// saw the templater, committed (fa20537) before it was run on it.
		// Scored once with the templater of main 1840c36: precision 0.942 (tp
		// 3912, fp 240), recall 0.956 (fn 180), exact 3746/4120, typed recall
		// 0.997, plain-word recall 0.860, endpoints 442 → 496 templates, 400
		// exact. The misses are plain-word parameters: mixcloud's /{user}/
		// first segment (113), bridge-data-output's /api/v2/{dataset_id} (57),
		// checkwx's /metar/lat/{lat} (9); the false positives are documented
		// literals beside a parameter: exotel Sms|SMS and Calls/connect.json
		// (76), factorial's resource namespaces (62), climate-fieldview
		// /v4/layers/asPlanted (43), mixcloud /{user}/cloudcasts/ (22), mode
		// results/content.csv (17), ironclad workflows/async (10).
		{"traffich", "testdata/traffic_h.spec"},
		// Traffic I (36 APIs N-Z: healthcare, banking, HR, payments, retail,
		// restaurants, education, government statistics, science, analytics,
		// IoT, messaging, identity, e-signature, CI, search, cloud, travel,
		// maps, accounting, tax, marketing, ticketing, music, media, games,
		// telecom, EV charging, agriculture, sports, personal finance, project
		// management, creators; 4,030 URLs over 448 endpoints drawn), written
		// from the APIs' docs on 2026-11-24 (session 9) by an engineer who
		// never saw the templater, committed (8689719) before it was run on it.
		// Scored once with the templater of main 9c3df1e: precision 0.905 (tp
		// 2900, fp 303), recall 0.901 (fn 317), exact 3566/4030, typed recall
		// 0.953, plain-word recall 0.705, endpoints 448 → 473 templates, 401
		// exact. The misses are small enumerations kept literal: tableau's
		// /api/{api-version}/ (3.19|3.21|3.22, 120), opentripmap's /0.1/{lang}/
		// (en|ru, 110), tomtom's tile style main|night (44), octoprint's
		// files/{location} (local|sdcard, 18), ssb-statbank's /api/v0/{lang}/
		// (16); the false positives are documented literals: tomtom's version
		// segments /search/2/, /routing/1/, /map/1/ (130), opentripmap's
		// places/xid|radius|bbox|geoname|autosuggest (110), plex's
		// /library/sections|recentlyAdded|onDeck (45), railsr
		// transactions/inter-ledger (8), rippling employees/include_terminated
		// (4), textmagic stats/messaging (3), tripletex token/session/>whoAmI (3).
		{"traffici", "testdata/traffic_i.spec"},
		// Traffic J (31 APIs A-M: healthcare claims, open banking, payroll
		// data, recruiting, postal logistics, retail, commerce SaaS, real
		// estate, fitness, higher education, government statistics, structural
		// biology, materials science, metagenomics, video, music, games,
		// telecom, agriculture, messaging, identity, e-signature, ads,
		// analytics, IoT, CI, cloud, travel, insurance, energy; 3,630 URLs),
		// written from the APIs' docs on 2026-11-24 (session 9) by an engineer
		// who never saw the templater, committed (0e41c2b, src lines 9f458ac)
		// before it was run on it. Scored once with the templater of main
		// 0ce176f: precision 0.962 (tp 2982, fp 118), recall 0.986 (fn 43),
		// exact 3476/3630, typed recall 1.000, plain-word recall 0.942,
		// endpoints 338 -> 344 templates, 309 exact. The false positives are
		// documented literals beside a parameter: idx-broker's /clients/featured|
		// savedlinks|accountinfo|soldpending|supplemental|systemlinks (54),
		// materials-project's /materials/thermo/|electronic_structure/|
		// elasticity/|xas/ (30), bestbuy /v1/products/mostViewed beside
		// {sku}.json (9), flowroute /v2/e911s|cnams and relationships/
		// primary_route (8), aws-iot /api/things/shadow/ListNamedShadowsForThing
		// (8), brawl-stars /v1/events/rotation (5), finicity
		// /aggregation/v2/partners/authentication (3), contabo actions/rescue
		// (1); the misses are small enumerations and names kept literal:
		// faostat's {lang} (ar) and codes/{dimension} (area|item|year|element)
		// (22), elia-opendata's exports/{format} (json|csv, 16), aws-iot's
		// readable job and thing-group names (5).
		{"trafficj", "testdata/traffic_j.spec"},
		// Traffic K (44 APIs N-Z: cancer genomics, ecology, medical records,
		// medical imaging, open banking, banking-as-a-service, corporate
		// cards, payroll data, HR scheduling, retail subscriptions, inventory
		// and reviews, postal parcels, ocean containers, tours, library
		// ebooks, creative coding, trade statistics, video, stock media, CMS,
		// games, cycling, operator SMS, messaging, authorization,
		// e-signature, analytics, IoT, security, earth observation, developer
		// SaaS, cloud; 5,090 URLs over 501 endpoints drawn), written from the
		// APIs' docs on 2026-11-24 (session 10) by an engineer who never saw
		// the templater, committed (91398ce) before it was run on it. Scored
		// once with the templater of branch s10-trafk at 91398ce (main
		// e3e5b7d): precision 0.928 (tp 4066, fp 314), recall 0.946 (fn 233),
		// exact 4661/5090, typed recall 1.000, plain-word recall 0.852,
		// endpoints 501 -> 559 templates, 462 exact. The false positives are
		// documented literals: sanity's dated API version /v2021-10-21/ and
		// operation names data/query|mutate|doc|listen (120 URLs with the
		// misses below), nci-gdc's resource roots /cases|/files (73),
		// open-bank-project's accounts/{id}/views beside {VIEW_ID}, rundeck
		// executions/running (7), yotpo purchases/mass_create (6), shodan
		// tools/myip (3); the misses are plain-word parameters kept literal:
		// un-comtrade's {freqCode} (A|M) and reference/{file}.json (105),
		// pulumi-cloud's stack {project} names (86), sanity's {dataset} under
		// /v1/data/query (5), permit-io's resources|roles/{key} (12),
		// open-bank-project's {VIEW_ID} "public", opsgenie teams/platform (3),
		// superset dashboard/world_health (1), ntfy /plex_server_status (1).
		{"traffick", "testdata/traffic_k.spec"},
		// Traffic L (29 APIs A-M: government open data, IoT, scheduling,
		// documents, developer SaaS, data and analytics, SEO, games, media
		// and publishing, library, HR and payroll, cloud, energy metering,
		// telecom, messaging, genetics, healthcare, retail marketplace, music,
		// banking; 3,020 URLs over 403 endpoints drawn), written from the
		// APIs' docs on 2026-11-24 (session 10) by an engineer who never saw
		// the templater, committed (18d7dd9, src lines a0f2d11) before it was
		// run on it. Scored once with the templater of branch s10-trafl at
		// a0f2d11 (main ef6385f): precision 0.935 (tp 3292, fp 228), recall
		// 0.966 (fn 117), exact 2749/3020, typed recall 1.000, plain-word
		// recall 0.897, endpoints 403 -> 413 templates, 373 exact. The false
		// positives are documented literals: icd-api's revision segments
		// /icd/release/11|10/ (86), autobahn's service names
		// services/roadworks|warning|closure|webcam|parking_lorry|
		// electric_charging_station and details/{service}/ (109), awair's
		// air-data/5-min-avg|15-min-avg beside latest|raw (28), listenbrainz
		// stats/sitewide (3), freeclimb Queues/{id}/Members/Front (2); the
		// misses are parameters kept literal: icd-api's {linearizationname}
		// (always mms, 70) and {residual} other|unspecified (3), cloudsmith's
		// {repo} names and upload/{format} (22), internet-archive's
		// metadata/{identifier}/{element} and download file names (16),
		// dbt-cloud's artifacts/{path} (6).
		{"trafficl", "testdata/traffic_l.spec"},
		// Traffic M (34 APIs: bug tracking, docs hosting, package
		// registries, voice and ML model hosting, a vector database, crypto
		// exchange, a Bitcoin explorer, accounting, email, forms, breach
		// and DNS intelligence, photo and asset management, personal
		// finance, an HTTP test service, FX rates, weather, library and
		// physics catalogues, game mods, social networks, cloud compute and
		// databases, telephony, monitoring, places, payments; 3,940 URLs
		// over 500 endpoints drawn), written from the APIs' docs on
		// 2026-11-24 (session 11) by an engineer who never saw the
		// templater, committed (4dafac5) before it was run on it; 12 of
		// its APIs are also in blind15 (another engineer, the same day).
		// Scored on the session's starting templater (684d4ad): precision
		// 0.898 (tp 3250, fp 368), recall 0.982 (fn 60), exact 3517/3940,
		// typed recall 0.999, plain-word recall 0.953, endpoints 500 -> 502
		// templates, 440 exact; on the session's final templater: precision
		// 0.898 (fp 368), recall 0.983 (fn 55), exact 3522/3940, 501
		// templates, 441 exact. Its misses are left unread so that it stays
		// unseen for the next session.
		{"trafficm", "testdata/traffic_m.spec"},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := trafficLines(t, c.file)
			logScore(t, c.name, scoreCorpus(t, lines))
			// How the figures grow with traffic: each API's first calls.
			for _, f := range []float64{0.1, 0.25, 0.5} {
				s := scoreCorpus(t, trafficPrefix(lines, f))
				t.Logf("%s, first %.0f%% of each API's calls (%d URLs): precision %.3f, recall %.3f, exact %.3f, endpoints exact %.3f, templates/endpoints %.3f",
					c.name, 100*f, s.urls, s.precision(), s.recall(), ratio(s.exact, s.urls), ratio(s.endpointsExact, s.endpoints), ratio(s.templates, s.endpoints))
			}
		})
	}
}

// trafficPrefix keeps the first fraction f of each API's lines.
func trafficPrefix(lines []corpusLine, f float64) []corpusLine {
	total := map[string]int{}
	for _, l := range lines {
		total[l.api]++
	}
	seen := map[string]int{}
	var out []corpusLine
	for _, l := range lines {
		if seen[l.api] < int(math.Ceil(f*float64(total[l.api]))) {
			seen[l.api]++
			out = append(out, l)
		}
	}
	return out
}
