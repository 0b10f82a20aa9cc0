// Command eval measures the detectors against the simulator's ground truth:
// for each seed it runs `apitap simulate` and `apitap analyze --format
// jsonl`, matches findings to the labeled attack episodes and benign
// look-alikes, and prints per-type recall, precision, false positives per
// 10k actors and time to detect. `make eval` runs it on seeds that were
// never used for tuning.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

type episode struct {
	Type      string   `json:"type"`
	Actor     string   `json:"actor"`
	ClientIPs []string `json:"client_ips"`
	Host      string   `json:"host"`
	Endpoint  string   `json:"endpoint"`
	Start     string   `json:"start"`
	End       string   `json:"end"`
	Calls     int      `json:"calls"`
	start     time.Time
	end       time.Time
}

type labels struct {
	Attacks          []episode `json:"attacks"`
	BenignLookalikes []episode `json:"benign_lookalikes"`
}

type finding struct {
	Kind      string    `json:"kind"`
	Type      string    `json:"type"`
	User      string    `json:"user"`
	ClientIPs []string  `json:"client_ips"`
	Endpoint  string    `json:"endpoint"`
	Host      string    `json:"host"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Summary   string    `json:"summary"`
	Actors    int       `json:"actors"`
}

// Types owned by discovery are not scored here.
var skip = map[string]bool{"shadow_api": true, "zombie_api": true}

var param = regexp.MustCompile(`\{[^}]*\}`)

var res = map[string]*regexp.Regexp{}

// endpointRE matches the endpoints a labeled template covers: each
// {param} stands for any one segment (a concrete value, or the {id} of
// the stand-in templater).
func endpointRE(tmpl string) *regexp.Regexp {
	if re, ok := res[tmpl]; ok {
		return re
	}
	parts := param.Split(tmpl, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	re := regexp.MustCompile("^" + strings.Join(parts, "[^/]+") + "$")
	res[tmpl] = re
	return re
}

// matches reports whether f points at episode e: same actor (user or a
// shared client IP), same endpoint unless the finding is actor-wide, and
// overlapping time (the episode's span plus the short window).
func matches(f *finding, e *episode) bool {
	if f.FirstSeen.After(e.end.Add(10*time.Minute)) || f.LastSeen.Before(e.start.Add(-time.Minute)) {
		return false
	}
	if f.Endpoint != "" && (f.Host != e.Host || !endpointRE(e.Endpoint).MatchString(f.Endpoint)) {
		return false
	}
	if f.User != "" && f.User == e.Actor {
		return true
	}
	for _, ip := range f.ClientIPs {
		if slices.Contains(e.ClientIPs, ip) {
			return true
		}
	}
	return false
}

type typeStats struct {
	episodes, detected      int
	findings, tp, cross, fp int
	ttd                     []time.Duration
}

func main() {
	bin := flag.String("bin", "bin/apitap", "apitap binary")
	seedList := flag.String("seeds", "101,102,103,104,105", "comma-separated seeds")
	dir := flag.String("dir", ".cache/eval", "work directory")
	verbose := flag.Bool("v", false, "list false positives and missed episodes")
	reuse := flag.Bool("reuse", false, "reuse simulations already in -dir (stale if the simulator changed)")
	simArgs := flag.String("simulate-args", "", "extra `apitap simulate` flags, e.g. \"--users 1000 --rate 20\" (the work directory should differ per setting)")
	flag.Parse()
	stats := map[string]*typeStats{}
	get := func(t string) *typeStats {
		if stats[t] == nil {
			stats[t] = &typeStats{}
		}
		return stats[t]
	}
	actors, lookFP, lookN, totalF := 0, 0, 0, 0
	for _, s := range strings.Split(*seedList, ",") {
		seed, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fatal(fmt.Errorf("-seeds: %w", err))
		}
		d := filepath.Join(*dir, strconv.Itoa(seed))
		if _, err := os.Stat(filepath.Join(d, "labels.json")); err != nil || !*reuse {
			run(*bin, append([]string{"simulate", "--out", d, "--seed", strconv.Itoa(seed)}, strings.Fields(*simArgs)...)...)
		}
		out := run(*bin, "analyze", "--pcap", filepath.Join(d, "traffic.pcap"), "--format", "jsonl",
			"--pseudonym-key", "eval-key-0123456789abcdef", "--progress=false")
		var l labels
		b, err := os.ReadFile(filepath.Join(d, "labels.json"))
		if err != nil {
			fatal(err)
		}
		if err := json.Unmarshal(b, &l); err != nil {
			fatal(fmt.Errorf("labels of seed %d: %w", seed, err))
		}
		for _, eps := range [][]episode{l.Attacks, l.BenignLookalikes} {
			for i := range eps {
				e := &eps[i]
				e.start, _ = time.Parse(time.RFC3339Nano, e.Start)
				e.end, _ = time.Parse(time.RFC3339Nano, e.End)
			}
		}
		var fs []finding
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var f finding
			if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
				fatal(fmt.Errorf("analyze output of seed %d: %w", seed, err))
			}
			switch f.Kind {
			case "finding":
				if !skip[f.Type] {
					fs = append(fs, f)
				}
			case "detection":
				actors += f.Actors
			}
		}
		for i := range l.Attacks {
			e := &l.Attacks[i]
			if skip[e.Type] {
				continue
			}
			st := get(e.Type)
			st.episodes++
			var first time.Time
			for j := range fs {
				if fs[j].Type == e.Type && matches(&fs[j], e) && (first.IsZero() || fs[j].FirstSeen.Before(first)) {
					first = fs[j].FirstSeen
				}
			}
			if !first.IsZero() {
				st.detected++
				st.ttd = append(st.ttd, max(0, first.Sub(e.start)))
			} else if *verbose {
				fmt.Printf("seed %d MISSED %s %s %s %v %s..%s (%d calls)\n", seed, e.Type, e.Actor, e.Endpoint, e.ClientIPs[:min(3, len(e.ClientIPs))], e.Start, e.End, e.Calls)
			}
		}
		lookN += len(l.BenignLookalikes)
		for i := range fs {
			f := &fs[i]
			totalF++
			st := get(f.Type)
			st.findings++
			same, other := false, ""
			for j := range l.Attacks {
				if matches(f, &l.Attacks[j]) {
					if l.Attacks[j].Type == f.Type {
						same = true
					} else if other == "" {
						other = l.Attacks[j].Type
					}
				}
			}
			switch {
			case same:
				st.tp++
			case other != "":
				st.cross++
			default:
				st.fp++
				look := ""
				for j := range l.BenignLookalikes {
					if matches(f, &l.BenignLookalikes[j]) {
						look = l.BenignLookalikes[j].Type
						lookFP++
						break
					}
				}
				if *verbose {
					fmt.Printf("seed %d FP %s (look-alike %q) user=%q ips=%v %s %s: %s\n", seed, f.Type, look, f.User, f.ClientIPs[:min(3, len(f.ClientIPs))], f.Endpoint, f.FirstSeen.Format(time.TimeOnly), f.Summary)
				}
			}
		}
	}
	types := make([]string, 0, len(stats))
	for t := range stats {
		types = append(types, t)
	}
	sort.Strings(types)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tepisodes\tdetected\trecall\tfindings\tsame-type\tother-attack\tfalse pos\tprecision\tmedian TTD\t")
	var E, D, F, TP, X, FP int
	for _, t := range types {
		st := stats[t]
		E, D, F, TP, X, FP = E+st.episodes, D+st.detected, F+st.findings, TP+st.tp, X+st.cross, FP+st.fp
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t\n", t, st.episodes, st.detected, ratio(st.detected, st.episodes),
			st.findings, st.tp, st.cross, st.fp, ratio(st.tp+st.cross, st.findings), median(st.ttd))
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t\t\n", E, D, ratio(D, E), F, TP, X, FP, ratio(TP+X, F))
	_ = tw.Flush()
	fmt.Printf("\nseeds %s: recall %s, precision %s (same type only: %s), %d false positives over %d actors = %.1f per 10k actors; %d findings on %d benign look-alike episodes\n",
		*seedList, ratio(D, E), ratio(TP+X, F), ratio(TP, F), FP, actors, 1e4*float64(FP)/float64(max(actors, 1)), lookFP, lookN)
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(a)/float64(b), 'f', 3, 64)
}

func median(d []time.Duration) string {
	if len(d) == 0 {
		return "-"
	}
	slices.Sort(d)
	return d[len(d)/2].Round(time.Second).String()
}

func run(bin string, args ...string) string {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fatal(fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err))
	}
	return string(out)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "eval:", err)
	os.Exit(1)
}
