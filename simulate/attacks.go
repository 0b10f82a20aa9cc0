package simulate

import (
	"math/rand/v2"
	"slices"
	"strconv"
)

// script is the planner of a labeled episode: n calls by one actor, spaced
// by gap, each built by call.
type script struct {
	n, i   int
	t      int64
	a      *actor
	ip     [4]byte
	gap    func(r *rand.Rand, i int) int64
	call   func(g *engine, s *session, sp *callSpec, i int)
	attack int
	look   int
}

func (p *script) next(g *engine, s *session, sp *callSpec) bool {
	if p.i >= p.n {
		return false
	}
	if p.i > 0 {
		p.t += p.gap(s.r, p.i)
	}
	sp.at, sp.a, sp.ip = p.t, p.a, p.ip
	p.call(g, s, sp, p.i)
	sp.attack, sp.look = p.attack, p.look
	p.i++
	s.keep(sp)
	return true
}

// uniform returns a gap drawn uniformly from [lo, hi) µs.
func uniform(lo, hi int64) func(*rand.Rand, int) int64 {
	return func(r *rand.Rand, _ int) int64 { return lo + r.Int64N(hi-lo) }
}

var owaspOf = map[string]string{
	"bola_enumeration":        "API1:2023",
	"credential_stuffing":     "API2:2023",
	"brute_force":             "API2:2023",
	"unauthenticated_access":  "API2:2023",
	"sensitive_data_exposure": "API3:2023",
	"mass_assignment":         "API3:2023",
	"scraping":                "API6:2023",
	"ssrf":                    "API7:2023",
	"injection_attempt":       "API8:2023",
	"shadow_api":              "API9:2023",
	"zombie_api":              "API9:2023",
}

var sqli = []string{
	"' OR '1'='1", "' OR 1=1--", "1' UNION SELECT username,password FROM users--", "'; DROP TABLE products;--",
	"1 AND SLEEP(5)", "' AND extractvalue(1,concat(0x7e,version()))--", "admin'--", "1' ORDER BY 10--",
	"\" OR \"\"=\"", "1;SELECT pg_sleep(5)", "' UNION SELECT NULL,NULL,NULL--", "%27%20OR%201=1",
}
var xss = []string{
	"<script>alert(1)</script>", "\"><img src=x onerror=alert(document.cookie)>", "<svg/onload=alert(1)>",
	"javascript:alert(1)", "{{7*7}}", "${7*7}", "../../../../etc/passwd", "; cat /etc/passwd", "$(id)",
	"<iframe src=javascript:alert(1)>",
}
var ssrfTargets = []string{
	"http://169.254.169.254/latest/meta-data/", "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
	"http://169.254.169.254/latest/meta-data/iam/security-credentials/shop-api-role", "http://metadata.google.internal/computeMetadata/v1/",
	"http://127.0.0.1:8080/admin", "http://localhost:6379/", "file:///etc/passwd", "http://10.0.2.10/internal/keys",
	"gopher://127.0.0.1:11211/_stats", "http://[::1]:9200/_cat/indices",
}

// schedule plans the labeled attacks and benign look-alikes. They draw from
// their own stream so that adding one does not reshuffle benign traffic.
func (g *engine) schedule() {
	r := rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0xa77ac4))
	w := g.w
	used := map[int]bool{}
	pick := func(kind actorKind) *actor {
		pool := w.byKind[kind]
		for range 1000 {
			a := pool[r.IntN(len(pool))]
			if !used[a.idx] {
				used[a.idx] = true
				return a
			}
		}
		return pool[r.IntN(len(pool))]
	}
	// Episodes start spread over [15%, 85%] of the window, after a warm-up
	// in which baselines can form.
	slot := 0
	const slots = 30
	when := func() int64 {
		slot++
		f := 0.15 + 0.70*(float64((slot*7)%slots)+r.Float64())/slots
		return int64(f * float64(g.durUS))
	}
	add := func(kind, target string, ep int, p *script, a *actor) {
		actor := ""
		if a != nil && a.kind != kindAnon {
			actor = a.label()
		}
		if owaspOf[kind] != "" {
			p.attack, p.look = len(g.attacks), -1
			g.attacks = append(g.attacks, &labelStat{kind: kind, owasp: owaspOf[kind], actor: actor, target: target, ep: ep, plannedN: p.n})
		} else {
			p.attack, p.look = -1, len(g.looks)
			g.looks = append(g.looks, &labelStat{kind: kind, actor: actor, target: target, ep: ep, plannedN: p.n})
		}
		p.t = when()
		g.sched = append(g.sched, scheduled{at: p.t, plan: p})
	}
	withIP := func(p *script) *script {
		p.ip = p.a.ips[0]
		return p
	}
	users := w.users

	// BOLA: walk order ids upward; others' orders mostly 403, some leak.
	for inst := range 2 {
		a := pick(kindCustomer)
		startID := orderBase + r.IntN(ordersPerUser*users/2)
		n := 250 + r.IntN(200)
		if inst == 0 {
			add("bola_enumeration", "", epOrder, withIP(&script{n: n, a: a, gap: uniform(150_000, 900_000),
				call: func(g *engine, s *session, sp *callSpec, i int) {
					id := startID + i + i/7
					owner := (id - orderBase) % users
					switch {
					case id >= orderBase+ordersPerUser*users:
						orderGet(g, s, sp, id, a, 404)
					case owner == a.idx || s.r.IntN(10) < 3:
						orderGet(g, s, sp, id, g.w.actors[owner], 200)
					default:
						orderGet(g, s, sp, id, a, 403)
					}
				}}), a)
			continue
		}
		first := r.IntN(users)
		add("bola_enumeration", "", epUser, withIP(&script{n: 120 + r.IntN(80), a: a, gap: uniform(300_000, 1_500_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				o := g.w.actors[(first+i)%users]
				if o == a || s.r.IntN(4) == 0 {
					userGet(s, sp, o, 200)
				} else {
					userGet(s, sp, o, 403)
				}
			}}), a)
	}

	// Credential stuffing: leaked email/password pairs from rotating IPs.
	for inst := range 2 {
		a := anonActor(r, anonIP(r))
		a.ua = []string{"python-requests/2.31.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}[inst]
		n := 200 + r.IntN(150)
		base := r.IntN(250)
		ep := []int{epLogin, epOAuthToken}[inst]
		p := &script{n: n, a: a, ip: [4]byte{192, 168, byte(200 + inst*10), byte(2 + base)}, gap: uniform(80_000, 700_000)}
		p.call = func(g *engine, s *session, sp *callSpec, i int) {
			r := s.r
			// A new exit address every few attempts, as proxy lists rotate.
			if i > 0 && r.IntN(4) == 0 {
				p.ip = [4]byte{192, 168, byte(200 + inst*10 + r.IntN(10)), byte(2 + r.IntN(250))}
				sp.ip = p.ip
				sp.newConn = true
			}
			victim := &actor{kind: kindAnon, email: firstNames[r.IntN(len(firstNames))] + strconv.Itoa(r.IntN(99999)) + "@" + []string{"gmail.example", "yahoo.example", "mail.example"}[r.IntN(3)],
				password: randString(r, 10), cookie: randHex(r, 32), userID: 1000 + r.IntN(users), token: "x"}
			if r.IntN(6) == 0 {
				real := g.w.actors[r.IntN(users)]
				victim.email, victim.userID = real.email, real.userID
			}
			success := r.IntN(120) == 0
			if ep == epLogin {
				login(g, s, sp, victim, success)
				return
			}
			sp.ep, sp.path, sp.ctype, sp.noAuth = epOAuthToken, s.path(epOAuthToken), ctForm, true
			bd := append(s.body(), "grant_type=password&username="...)
			bd = append(bd, queryEscape(victim.email)...)
			bd = append(bd, "&password="...)
			bd = append(bd, victim.password...)
			sp.body = append(bd, "&client_id=shop-mobile"...)
			if success {
				sp.status = 200
				sp.rbody = append(s.rbody(), `{"access_token":"`...)
				sp.rbody = append(sp.rbody, g.w.actors[victim.userID-1000].token...)
				sp.rbody = append(sp.rbody, `","token_type":"Bearer","expires_in":3600}`...)
			} else {
				sp.status = 400
				sp.rbody = append(s.rbody(), `{"error":"invalid_grant","error_description":"Invalid user credentials"}`...)
			}
		}
		add("credential_stuffing", "", ep, p, a)
	}

	// Brute force: one account, many passwords; then one OTP challenge.
	{
		victim := pick(kindWeb)
		a := anonActor(r, [4]byte{192, 168, 250, byte(2 + r.IntN(250))})
		a.ua = "Mozilla/5.0 (compatible; hydra)"
		n := 100 + r.IntN(80)
		add("brute_force", victim.email, epLogin, withIP(&script{n: n, a: a, gap: uniform(300_000, 2_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				v := *victim
				v.password = randString(s.r, 8)
				login(g, s, sp, &v, false)
				if i > n-8 {
					sp.status = 429
					sp.rhdr = "Retry-After: 60\r\n"
				}
			}}), a)

		victim2 := pick(kindCustomer)
		a2 := anonActor(r, [4]byte{192, 168, 251, byte(2 + r.IntN(250))})
		a2.ua = "curl/8.5.0"
		challenge := uuidFor(g.cfg.Seed, 9, uint64(victim2.idx))
		code := 100000 + r.IntN(800000)
		add("brute_force", victim2.email, epOTPVerify, withIP(&script{n: 60 + r.IntN(60), a: a2, gap: uniform(100_000, 600_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				otpVerify(s, sp, s.r, false)
				sp.body = append(append(append(append(sp.body[:0], `{"challenge_id":"`...), challenge...), `","code":"`...), strconv.Itoa(code+i)...)
				sp.body = append(sp.body, `"}`...)
			}}), a2)
	}

	// Shadow API: the undocumented bulk export, by a customer and by a
	// service account that found it in a config file.
	for inst := range 2 {
		a := pick([]actorKind{kindCustomer, kindService}[inst])
		table := []string{"users", "orders"}[inst]
		add("shadow_api", "", epInternalExport, withIP(&script{n: 8 + r.IntN(15), a: a, gap: uniform(3_000_000, 40_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				sp.ep, sp.status = epInternalExport, 200
				sp.path = append(append(s.path(epInternalExport), "?table="...), table...)
				sp.path = append(sp.path, "&format=json&limit=100&offset="...)
				sp.path = strconv.AppendInt(sp.path, int64(i*100), 10)
				rb := append(s.rbody(), `{"table":"`...)
				rb = append(rb, table...)
				rb = append(rb, `","rows":[`...)
				for k := range 100 {
					u := g.w.actors[(i*100+k)%users]
					if table == "users" {
						rb = append(appendUser(rb, u, true), ',')
					} else {
						rb = append(appendOrderSummary(rb, orderID(users, u.idx, k%ordersPerUser)), ',')
					}
				}
				sp.rbody = append(closeArr(rb), '}')
			}}), a)
	}

	// Zombie API: an outdated app build still calling v1.
	for inst := range 2 {
		a := pick(kindCustomer)
		old := *a
		old.ua = "ShopApp/3.9.2 (Android 8.0; SM-G950F)"
		ep := []int{epV1Order, epV1User}[inst]
		add("zombie_api", "", ep, withIP(&script{n: 10 + r.IntN(20), a: &old, gap: uniform(2_000_000, 30_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				sp.ep, sp.status = ep, 200
				if ep == epV1Order {
					id := orderID(users, a.idx, s.r.IntN(ordersPerUser))
					sp.path = s.path(ep, strconv.Itoa(id))
					rb := append(s.rbody(), '{')
					rb = kvI(rb, "id", id)
					rb = kvI(rb, "user_id", a.userID)
					rb = kvS(rb, "status", "delivered")
					rb = kvMoney(rb, "total", 999+int(mix(uint64(id))%50000))
					sp.rbody = closeObj(rb)
					return
				}
				sp.path = s.path(ep, strconv.Itoa(a.userID))
				rb := append(s.rbody(), '{')
				rb = kvI(rb, "id", a.userID)
				rb = kvS(rb, "username", a.username)
				rb = kvS(rb, "email", a.email)
				rb = kvS(rb, "password_hash", "$2b$10$"+randString(s.r, 53))
				sp.rbody = closeObj(rb)
			}}), &old)
	}

	// Injection: a scanner with SQLi payloads, a user with XSS and friends.
	for inst := range 2 {
		var a *actor
		payloads := sqli
		if inst == 0 {
			a = anonActor(r, [4]byte{192, 168, 252, byte(2 + r.IntN(250))})
			a.ua = "sqlmap/1.8.2#stable (https://sqlmap.org)"
		} else {
			a = pick(kindCustomer)
			payloads = xss
		}
		add("injection_attempt", "", epProductSearch, withIP(&script{n: 25 + r.IntN(30), a: a, gap: uniform(200_000, 3_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				q := payloads[(i+s.r.IntN(3))%len(payloads)]
				sp.ep = epProductSearch
				sp.path = append(append(s.path(epProductSearch), "?q="...), queryEscape(q)...)
				switch x := s.r.IntN(10); {
				case x < 5:
					sp.status = 200
					sp.rbody = append(s.rbody(), `{"page":1,"limit":20,"total":0,"items":[]}`...)
				case x < 8:
					sp.status = 400
					sp.rbody = appendError(s.rbody(), "bad_request", "invalid search query", s.r)
				default:
					sp.status = 500
					sp.rbody = appendError(s.rbody(), "internal_error", "database error", s.r)
				}
			}}), a)
	}

	// SSRF: URLs to metadata services and internal hosts in link-preview.
	{
		a := pick(kindCustomer)
		add("ssrf", "", epLinkPreview, withIP(&script{n: 10 + r.IntN(10), a: a, gap: uniform(1_000_000, 15_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				target := ssrfTargets[i%len(ssrfTargets)]
				linkPreview(s, sp, target)
				if s.r.IntN(3) == 0 {
					sp.status = 400
					sp.rbody = appendError(sp.rbody[:0], "bad_request", "url could not be fetched", s.r)
					return
				}
				rb := append(sp.rbody[:0], '{')
				rb = kvS(rb, "url", target)
				rb = kvS(rb, "title", "")
				rb = kvS(rb, "description", "ami-id ami-launch-index hostname iam/ instance-id local-ipv4")
				sp.rbody = closeObj(rb)
			}}), a)
	}

	// Scraping: deep pagination at a constant pace, one flow only.
	for inst := range 2 {
		a := anonActor(r, [4]byte{192, 168, 253, byte(2 + r.IntN(250))})
		a.ua = []string{"python-requests/2.31.0", "Scrapy/2.11.0 (+https://scrapy.org)"}[inst]
		period := int64(600_000 + r.IntN(600_000))
		if inst == 0 {
			add("scraping", "", epProducts, withIP(&script{n: 250 + r.IntN(150), a: a,
				gap:  func(r *rand.Rand, _ int) int64 { return period + int64(r.IntN(20_000)) },
				call: func(g *engine, s *session, sp *callSpec, i int) { productList(s, sp, i+1, 50) }}), a)
			continue
		}
		first := r.IntN(users)
		add("scraping", "", epProfile, withIP(&script{n: 200 + r.IntN(100), a: a,
			gap: func(r *rand.Rand, _ int) int64 { return period + int64(r.IntN(20_000)) },
			call: func(g *engine, s *session, sp *callSpec, i int) {
				o := g.w.actors[(first+i)%users]
				profileGet(g, s, sp)
				sp.path = s.path(epProfile, o.username)
				if i >= users {
					sp.status = 404
					sp.rbody = appendError(sp.rbody[:0], "not_found", "no such profile", s.r)
				}
			}}), a)
	}

	// Mass assignment: privilege properties in a profile update, accepted.
	for range 2 {
		a := pick(kindCustomer)
		add("mass_assignment", "", epUserMePatch, withIP(&script{n: 2 + r.IntN(4), a: a, gap: uniform(2_000_000, 20_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) { patchMe(s, sp, a, s.r, true) }}), a)
	}

	// Unauthenticated access: endpoints that answer 200 without credentials.
	for inst := range 2 {
		a := anonActor(r, [4]byte{192, 168, 254, byte(2 + r.IntN(250))})
		a.ua = "curl/8.5.0"
		victims := []*actor{w.actors[r.IntN(users)], w.actors[r.IntN(users)], w.actors[r.IntN(users)]}
		ep := []int{epUser, epTransactions}[inst]
		add("unauthenticated_access", "", ep, withIP(&script{n: 10 + r.IntN(15), a: a, gap: uniform(1_000_000, 20_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				v := victims[i%len(victims)]
				if ep == epUser {
					userGet(s, sp, v, 200)
				} else {
					transactions(s, sp, accountID(v.idx, 0), 1+i/len(victims), 25)
				}
			}}), a)
	}

	// Sensitive data exposure: expand=card returns full card numbers.
	for range 2 {
		a := pick(kindCustomer)
		add("sensitive_data_exposure", "", epPayment, withIP(&script{n: 4 + r.IntN(6), a: a, gap: uniform(2_000_000, 30_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) { paymentGet(g, s, sp, a, i%4, true) }}), a)
	}

	// Benign look-alikes: same shapes as attacks, innocent intent.
	for range 2 {
		a := pick(kindCustomer)
		add("own_orders_paging", "", epOrder, withIP(&script{n: ordersPerUser, a: a, gap: uniform(1_500_000, 8_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				orderGet(g, s, sp, orderID(users, a.idx, i), a, 200)
			}}), a)
	}
	for range 2 {
		a := pick(kindWeb)
		add("login_typo", "", epLogin, withIP(&script{n: 2, a: a, gap: uniform(3_000_000, 9_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) { login(g, s, sp, a, i == 1) }}), a)
	}
	{
		a := pick(kindCustomer)
		add("otp_retry", "", epOTPVerify, withIP(&script{n: 2, a: a, gap: uniform(4_000_000, 15_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) { otpVerify(s, sp, s.r, i == 1) }}), a)
	}
	{
		a := anonActor(r, anonIP(r))
		add("catalog_browsing", "", epProducts, withIP(&script{n: 8, a: a, gap: uniform(3_000_000, 25_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) { productList(s, sp, i+1, 20) }}), a)
	}
	{
		a := pick(kindAdmin)
		add("admin_review", "", epAdminUsers, withIP(&script{n: 8, a: a, gap: uniform(2_000_000, 20_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				adminUsers(g, s, sp, i+1, "")
			}}), a)
	}
	g.scheduleMore(r, pick, add, withIP)
	slices.SortStableFunc(g.sched, func(x, y scheduled) int {
		switch {
		case x.at < y.at:
			return -1
		case x.at > y.at:
			return 1
		}
		return 0
	})
}
