package clickhouse

import (
	"time"
)

// actorColumns are the rows for actors_in (migration 0006) made from one
// batch of calls: one row per (actor, day, user, actor kind) of the batch,
// with the batch's call ids (so actors counts stay uniq() over ids) and
// its distinct endpoints, client IPs, user agents and hosts. actors_in_mv
// turns them into the aggregate states of actors; this replaces a
// materialized view that grouped every call on the server.
//
// The array columns are windows of a few flat slices (one per column), so
// a batch costs a handful of allocations, reused by the next.
type actorColumns struct {
	actor, user, kind                   []string
	day, first, last                    []time.Time
	ids, epHosts, epMethods, epTemplate [][]string
	ips, uas, hosts                     [][]string
	errors                              [][]uint8

	// Scratch, kept between batches.
	index     map[actorRowKey]int32 // row of a key
	rowOf     []int32               // row of each call
	start     []int32               // first position of each row's calls in order
	order     []int32               // calls grouped by row
	flatIDs   []string
	flatErrs  []uint8
	flatEP    [3][]string
	flatIPs   []string
	flatUAs   []string
	flatHosts []string
	seenStr   map[string]int32      // value → last row it was seen in + 1, per set kind
	seenUA    map[string]int32      //
	seenHost  map[string]int32      //
	seenEP    map[endpointKey]int32 //
}

type actorRowKey struct {
	actor, user, kind string
	day               int64 // Unix day
}

type endpointKey struct{ host, method, template string }

var actorColumnNames = []string{
	"actor", "day", "user", "actor_kind", "first_seen", "last_seen", "ids", "errors",
	"ep_hosts", "ep_methods", "ep_templates", "client_ips", "user_agents", "hosts",
}

func (a *actorColumns) names() []string { return actorColumnNames }
func (a *actorColumns) len() int        { return len(a.actor) }

func (a *actorColumns) values() []any {
	return []any{a.actor, a.day, a.user, a.kind, a.first, a.last, a.ids, a.errors,
		a.epHosts, a.epMethods, a.epTemplate, a.ips, a.uas, a.hosts}
}

func (a *actorColumns) reset() {
	for _, col := range []*[]string{&a.actor, &a.user, &a.kind, &a.flatIDs, &a.flatEP[0], &a.flatEP[1], &a.flatEP[2],
		&a.flatIPs, &a.flatUAs, &a.flatHosts} {
		truncate(col)
	}
	for _, col := range []*[]time.Time{&a.day, &a.first, &a.last} {
		truncate(col)
	}
	for _, col := range []*[][]string{&a.ids, &a.epHosts, &a.epMethods, &a.epTemplate, &a.ips, &a.uas, &a.hosts} {
		truncate(col)
	}
	truncate(&a.errors)
	a.flatErrs = a.flatErrs[:0]
	clear(a.index)
	clear(a.seenStr)
	clear(a.seenUA)
	clear(a.seenHost)
	clear(a.seenEP)
}

const secondsPerDay = 24 * 60 * 60

// build fills a (after reset) from the calls of c.
func (a *actorColumns) build(c *callColumns) {
	n := len(c.id)
	if a.index == nil {
		a.index = map[actorRowKey]int32{}
		a.seenStr = map[string]int32{}
		a.seenUA = map[string]int32{}
		a.seenHost = map[string]int32{}
		a.seenEP = map[endpointKey]int32{}
	}
	// Rows, and the calls of each (a counting sort by row).
	a.rowOf = a.rowOf[:0]
	a.start = a.start[:0]
	for i := range n {
		ts := c.ts[i]
		k := actorRowKey{actor: c.actor[i], user: c.user[i], kind: c.actorKind[i], day: floorDiv(ts.Unix(), secondsPerDay)}
		r, ok := a.index[k]
		if !ok {
			r = int32(len(a.actor))
			a.index[k] = r
			a.actor = append(a.actor, k.actor)
			a.user = append(a.user, k.user)
			a.kind = append(a.kind, k.kind)
			a.day = append(a.day, time.Unix(k.day*secondsPerDay, 0).UTC())
			a.first = append(a.first, ts)
			a.last = append(a.last, ts)
			a.start = append(a.start, 0)
		} else {
			if ts.Before(a.first[r]) {
				a.first[r] = ts
			}
			if ts.After(a.last[r]) {
				a.last[r] = ts
			}
		}
		a.start[r]++
		a.rowOf = append(a.rowOf, r)
	}
	rows := len(a.actor)
	pos := int32(0)
	for r := range rows {
		cnt := a.start[r]
		a.start[r] = pos
		pos += cnt
	}
	a.start = append(a.start, pos)
	if cap(a.order) < n {
		a.order = make([]int32, n)
	}
	a.order = a.order[:n]
	next := append([]int32(nil), a.start[:rows]...)
	for i, r := range a.rowOf {
		a.order[next[r]] = int32(i)
		next[r]++
	}
	// The arrays of each row, as windows of the flat slices (grown once:
	// windows must not move).
	if cap(a.flatIDs) < n {
		a.flatIDs = make([]string, 0, n)
		a.flatErrs = make([]uint8, 0, n)
		for j := range a.flatEP {
			a.flatEP[j] = make([]string, 0, n)
		}
		a.flatIPs = make([]string, 0, n)
		a.flatUAs = make([]string, 0, n)
		a.flatHosts = make([]string, 0, n)
	}
	for r := range rows {
		mark := int32(r) + 1
		id0, ep0, ip0, ua0, h0 := len(a.flatIDs), len(a.flatEP[0]), len(a.flatIPs), len(a.flatUAs), len(a.flatHosts)
		for _, i := range a.order[a.start[r]:a.start[r+1]] {
			a.flatIDs = append(a.flatIDs, c.id[i])
			st := c.status[i]
			a.flatErrs = append(a.flatErrs, b2u8(st >= 400 || st == 0))
			ek := endpointKey{c.host[i], c.method[i], c.template[i]}
			if a.seenEP[ek] != mark {
				a.seenEP[ek] = mark
				a.flatEP[0] = append(a.flatEP[0], ek.host)
				a.flatEP[1] = append(a.flatEP[1], ek.method)
				a.flatEP[2] = append(a.flatEP[2], ek.template)
			}
			if v := c.clientIP[i]; a.seenStr[v] != mark {
				a.seenStr[v] = mark
				a.flatIPs = append(a.flatIPs, v)
			}
			if v := c.ua[i]; a.seenUA[v] != mark {
				a.seenUA[v] = mark
				a.flatUAs = append(a.flatUAs, v)
			}
			if v := c.host[i]; a.seenHost[v] != mark {
				a.seenHost[v] = mark
				a.flatHosts = append(a.flatHosts, v)
			}
		}
		a.ids = append(a.ids, a.flatIDs[id0:len(a.flatIDs):len(a.flatIDs)])
		a.errors = append(a.errors, a.flatErrs[id0:len(a.flatErrs):len(a.flatErrs)])
		a.epHosts = append(a.epHosts, a.flatEP[0][ep0:len(a.flatEP[0]):len(a.flatEP[0])])
		a.epMethods = append(a.epMethods, a.flatEP[1][ep0:len(a.flatEP[1]):len(a.flatEP[1])])
		a.epTemplate = append(a.epTemplate, a.flatEP[2][ep0:len(a.flatEP[2]):len(a.flatEP[2])])
		a.ips = append(a.ips, a.flatIPs[ip0:len(a.flatIPs):len(a.flatIPs)])
		a.uas = append(a.uas, a.flatUAs[ua0:len(a.flatUAs):len(a.flatUAs)])
		a.hosts = append(a.hosts, a.flatHosts[h0:len(a.flatHosts):len(a.flatHosts)])
	}
}

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// floorDiv is a / b rounded towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
