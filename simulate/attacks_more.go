package simulate

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// The scenarios of the remaining finding types of DESIGN.md, and their
// benign look-alikes. Like schedule, they draw only from r.

func init() {
	for k, v := range map[string]string{
		"session_anomaly": "API2:2023", "weak_authentication": "API2:2023", "rate_anomaly": "API4:2023",
		"function_level_authz": "API5:2023", "password_reset_abuse": "API6:2023", "business_flow_anomaly": "API6:2023",
		"security_misconfiguration": "API8:2023", "third_party_data_flow": "API10:2023", "anomalous_behavior": "—",
	} {
		owaspOf[k] = v
	}
}

var thirdUAs = []string{"python-requests/2.31.0", "curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}

const javaTrace = "java.lang.NumberFormatException: For input string: \"%s\"\n\tat java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)\n\tat java.lang.Long.parseLong(Long.java:711)\n\tat com.shop.giftcards.GiftCardController.balance(GiftCardController.java:48)\n\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)\n"

func (g *engine) scheduleMore(r *rand.Rand, pick func(actorKind) *actor, add func(kind, target string, ep int, p *script, a *actor), withIP func(*script) *script) {
	w := g.w
	users := w.users

	// Session anomaly: a stolen customer token replayed from several
	// addresses and clients at once.
	{
		victim := pick(kindCustomer)
		thief := *victim
		n := 20 + r.IntN(15)
		p := &script{n: n, a: &thief, ip: [4]byte{192, 168, 240, byte(2 + r.IntN(200))}, gap: uniform(2_000_000, 12_000_000)}
		p.call = func(g *engine, s *session, sp *callSpec, i int) {
			p.ip = [4]byte{192, 168, 240 + byte(i%5), p.ip[3]}
			sp.ip, sp.newConn = p.ip, true
			thief.ua = thirdUAs[i%len(thirdUAs)]
			switch i % 3 {
			case 0:
				sp.ep, sp.path, sp.status = epUserMe, s.path(epUserMe), 200
				sp.rbody = appendUser(s.rbody(), victim, true)
			case 1:
				ordersList(g, s, sp, victim, 1)
			default:
				sp.ep, sp.path, sp.status = epAccounts, s.path(epAccounts), 200
				rb := append(s.rbody(), `{"items":[`...)
				rb = append(appendAccount(rb, accountID(victim.idx, 0), victim), ',')
				sp.rbody = append(closeArr(rb), '}')
			}
		}
		add("session_anomaly", "", epUserMe, p, victim)
	}

	// Weak authentication: a forged unsigned JWT, and a legacy partner
	// integration with HTTP Basic credentials.
	{
		victim := pick(kindCustomer)
		forged := *victim
		payload := fmt.Sprintf(`{"sub":%q,"iss":"https://auth.shop.test","role":"customer"}`, victim.sub)
		forged.token = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "."
		forged.authHdr = "Authorization: Bearer " + forged.token + "\r\n"
		forged.ua = "curl/8.5.0"
		forged.ips = [][4]byte{{192, 168, 241, byte(2 + r.IntN(200))}}
		add("weak_authentication", "", epOrders, withIP(&script{n: 5 + r.IntN(8), a: &forged, gap: uniform(2_000_000, 20_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) { ordersList(g, s, sp, victim, 1+i%2) }}), victim)

		legacy := &actor{kind: kindService, sub: "", ua: "LegacyERP/4.2 (Java/1.8.0_202)", rtt: 800, gzip: false,
			ips: [][4]byte{{172, 20, 9, byte(10 + r.IntN(200))}}}
		legacy.authHdr = "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("erp-sync:"+randString(r, 14))) + "\r\n"
		add("weak_authentication", "", epOrders, withIP(&script{n: 6 + r.IntN(10), a: legacy, gap: uniform(5_000_000, 30_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				sp.ep = epOrders
				sp.path = append(s.path(epOrders), "?status=pending&page=1&limit=50"...)
				sp.status = 200
				rb := append(s.rbody(), `{"page":1,"limit":50,"items":[`...)
				for k := range 10 {
					rb = append(appendOrderSummary(rb, orderID(users, (i*10+k)%users, k%ordersPerUser)), ',')
				}
				sp.rbody = append(closeArr(rb), '}')
			}}), nil)
	}

	// Rate anomaly: a known customer's script hammers one endpoint.
	{
		a := pick(kindCustomer)
		add("rate_anomaly", "", epCart, withIP(&script{n: 300 + r.IntN(200), a: a, gap: uniform(60_000, 160_000),
			call: func(g *engine, s *session, sp *callSpec, i int) { cart(s, sp, a, s.r) }}), a)
	}

	// Function-level authorization: a customer whose token the admin API
	// wrongly accepts lists and disables users.
	{
		a := pick(kindCustomer)
		add("function_level_authz", "", epAdminUsers, withIP(&script{n: 6 + r.IntN(8), a: a, gap: uniform(2_000_000, 15_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) { adminUsers(g, s, sp, 1+i, "") }}), a)
		b := pick(kindCustomer)
		add("function_level_authz", "", epAdminUserDisable, withIP(&script{n: 3 + r.IntN(4), a: b, gap: uniform(3_000_000, 20_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				sp.ep = epAdminUserDisable
				sp.path = s.path(epAdminUserDisable, strconv.Itoa(g.w.actors[s.r.IntN(users)].userID))
				sp.ctype, sp.body = ctJSON, append(s.body(), `{"reason":"chargeback fraud review"}`...)
				sp.status, sp.rbody = 200, append(s.rbody(), `{"id":0,"status":"disabled"}`...)
			}}), b)
	}

	// Password reset abuse: reset mails for many accounts from one client.
	{
		a := anonActor(r, [4]byte{192, 168, 242, byte(2 + r.IntN(200))})
		a.ua = "python-requests/2.31.0"
		first := r.IntN(users)
		add("password_reset_abuse", "", epPasswordReset, withIP(&script{n: 25 + r.IntN(30), a: a, gap: uniform(800_000, 4_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				passwordReset(s, sp, g.w.actors[(first+i*7)%users].email)
			}}), a)
	}

	// Business flow: card testing, paying again and again without placing
	// an order first.
	{
		a := pick(kindCustomer)
		add("business_flow_anomaly", "", epPaymentCreate, withIP(&script{n: 12 + r.IntN(15), a: a, gap: uniform(3_000_000, 15_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				card := *a
				card.card = luhnCard(s.r)
				payCreate(s, sp, &card, orderID(users, a.idx, s.r.IntN(ordersPerUser)))
				if s.r.IntN(4) > 0 {
					sp.status = 422
					sp.rbody = appendError(sp.rbody[:0], "card_declined", "the card was declined", s.r)
				}
			}}), a)
	}

	// Security misconfiguration: a gift card lookup that answers odd codes
	// with a Java stack trace, and an account API with credentialed CORS
	// reflecting any origin.
	{
		a := pick(kindCustomer)
		add("security_misconfiguration", "", epGiftCard, withIP(&script{n: 3 + r.IntN(5), a: a, gap: uniform(2_000_000, 20_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				code := "GC-" + randString(s.r, 6)
				sp.ep, sp.path = epGiftCard, s.path(epGiftCard, code)
				sp.status, sp.rctype = 500, "text/plain"
				sp.rbody = append(append(s.rbody(), "Internal Server Error\n\n"...), fmt.Sprintf(javaTrace, code)...)
			}}), a)
		b := pick(kindCustomer)
		add("security_misconfiguration", "", epBeneficiaries, withIP(&script{n: 3 + r.IntN(4), a: b, gap: uniform(2_000_000, 20_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				sp.ep, sp.path, sp.status = epBeneficiaries, s.path(epBeneficiaries), 200
				sp.qhdr = "Origin: https://evil-shop.example\r\n"
				sp.rhdr = "Access-Control-Allow-Origin: https://evil-shop.example\r\nAccess-Control-Allow-Credentials: true\r\n"
				sp.rbody = append(s.rbody(), `{"items":[]}`...)
			}}), b)
	}

	// Third-party data flow: the shop's backend ships customer emails and
	// phones to an analytics partner.
	{
		backend := &actor{kind: kindService, ua: "shop-api/2.4.0 Go-http-client/1.1", rtt: 9000, gzip: true,
			ips: [][4]byte{{10, 0, 1, byte(20 + r.IntN(10))}}, authHdr: "Authorization: Bearer pk_" + randHex(r, 32) + "\r\n"}
		add("third_party_data_flow", "", epPartnerEvents, withIP(&script{n: 5 + r.IntN(10), a: backend, gap: uniform(5_000_000, 40_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				u := g.w.actors[s.r.IntN(users)]
				partnerEvent(s, sp, func(bd []byte) []byte {
					bd = kvS(bd, "email", u.email)
					bd = kvS(bd, "phone", u.phone)
					return kvS(bd, "name", u.first+" "+u.last)
				})
			}}), nil)
	}

	// Anomalous behavior: a customer account suddenly sweeps the API, most
	// of it refused.
	{
		a := pick(kindCustomer)
		sweep := []func(g *engine, s *session, sp *callSpec){
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.path, sp.status = epAccount, s.path(epAccount, strconv.Itoa(accountID(s.r.IntN(users), 0))), 403
			},
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.status = epTransactions, 403
				sp.path = s.path(epTransactions, strconv.Itoa(accountID(s.r.IntN(users), 1)))
			},
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.path, sp.status = epTransfer, s.path(epTransfer, uuidFor(g.cfg.Seed, 7, s.r.Uint64())), 404
			},
			func(g *engine, s *session, sp *callSpec) { adminUsers(g, s, sp, 1, ""); sp.status = 403 },
			func(g *engine, s *session, sp *callSpec) { userGet(s, sp, g.w.actors[s.r.IntN(users)], 403) },
			func(g *engine, s *session, sp *callSpec) {
				u := s.r.IntN(users)
				orderGet(g, s, sp, orderID(users, u, 0), g.w.actors[u], 403)
			},
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.path, sp.status = epPayment, s.path(epPayment, uuidFor(g.cfg.Seed, 8, s.r.Uint64())), 404
			},
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.path, sp.status = epGiftCard, s.path(epGiftCard, "GC"+strconv.Itoa(s.r.IntN(1e6))), 404
			},
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.path, sp.status = epBeneficiaries, s.path(epBeneficiaries), 403
			},
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.path, sp.status = epAccounts, s.path(epAccounts), 403
			},
			func(g *engine, s *session, sp *callSpec) { jwks(s, sp) },
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.path, sp.status = epOrderCancel, s.path(epOrderCancel, strconv.Itoa(orderID(users, s.r.IntN(users), 1))), 403
				sp.ctype, sp.body = ctJSON, append(s.body(), `{"reason":"test"}`...)
			},
			func(g *engine, s *session, sp *callSpec) {
				sp.ep, sp.path, sp.status = epAdminUserDisable, s.path(epAdminUserDisable, strconv.Itoa(1000+s.r.IntN(users))), 403
				sp.ctype, sp.body = ctJSON, append(s.body(), `{"reason":"x"}`...)
			},
			func(g *engine, s *session, sp *callSpec) { profileGet(g, s, sp) },
		}
		add("anomalous_behavior", "", epAccount, withIP(&script{n: 2 * len(sweep), a: a, gap: uniform(1_500_000, 9_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				sweep[i%len(sweep)](g, s, sp)
				if sp.status >= 400 {
					sp.rbody = appendError(s.rbody(), "forbidden", "not allowed", s.r)
				}
			}}), a)
	}

	// Benign look-alikes of the scenarios above.
	{
		svc := &actor{kind: kindService, sub: "svc-busy", ua: "fulfillment-poller/1.9.0 Go-http-client/1.1", rtt: 600, gzip: true,
			ips: [][4]byte{{172, 20, 5, byte(10 + r.IntN(200))}}, authHdr: "X-API-Key: sk_live_" + randString(r, 24) + "\r\n"}
		add("busy_service_account", "", epOrders, withIP(&script{n: 2500 + r.IntN(1000), a: svc, gap: uniform(280_000, 400_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				sp.ep, sp.status = epOrders, 200
				sp.path = append(s.path(epOrders), "?status=pending&page=1&limit=50"...)
				sp.rbody = append(s.rbody(), `{"page":1,"limit":50,"items":[]}`...)
			}}), nil)
	}
	{
		visitor := anonActor(r, anonIP(r))
		add("marketing_burst", "", epProduct, &script{n: 600 + r.IntN(400), a: visitor, ip: visitor.ips[0], gap: uniform(100_000, 600_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				v := anonActor(s.r, anonIP(s.r))
				sp.a, sp.ip, sp.newConn = v, v.ips[0], true
				if s.r.IntN(3) == 0 {
					productList(s, sp, 1, 20)
					return
				}
				productGet(s, sp, 1+s.r.IntN(40)) // the campaign's products
			}}, nil)
	}
	{
		a := pick(kindWeb)
		add("forgot_password", "", epPasswordReset, withIP(&script{n: 1, a: a, gap: uniform(1, 2),
			call: func(g *engine, s *session, sp *callSpec, i int) { passwordReset(s, sp, a.email) }}), a)
	}
	{
		a := pick(kindCustomer)
		add("admin_probe_denied", "", epAdminUsers, withIP(&script{n: 3, a: a, gap: uniform(2_000_000, 10_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				adminUsers(g, s, sp, 1, "")
				sp.status = 403
				sp.rbody = appendError(sp.rbody[:0], "forbidden", "admin role required", s.r)
			}}), a)
	}
	{
		a := pick(kindCustomer)
		add("two_devices", "", epUserMe, withIP(&script{n: 10, a: a, gap: uniform(5_000_000, 40_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				sp.ip = a.ips[i%2]
				sp.ep, sp.path, sp.status = epUserMe, s.path(epUserMe), 200
				sp.rbody = appendUser(s.rbody(), a, true)
			}}), a)
	}
	{
		backend := &actor{kind: kindService, ua: "shop-api/2.4.0 Go-http-client/1.1", rtt: 9000, gzip: true,
			ips: [][4]byte{{10, 0, 1, byte(40 + r.IntN(10))}}, authHdr: "Authorization: Bearer pk_" + randHex(r, 32) + "\r\n"}
		add("telemetry_no_pii", "", epPartnerEvents, withIP(&script{n: 10 + r.IntN(10), a: backend, gap: uniform(5_000_000, 40_000_000),
			call: func(g *engine, s *session, sp *callSpec, i int) {
				partnerEvent(s, sp, func(bd []byte) []byte {
					bd = kvS(bd, "user", randHex(s.r, 16))
					return kvI(bd, "items", 1+s.r.IntN(5))
				})
			}}), nil)
	}
}

func passwordReset(s *session, sp *callSpec, email string) {
	sp.ep, sp.path, sp.ctype, sp.noAuth = epPasswordReset, s.path(epPasswordReset), ctJSON, true
	sp.body = closeObj(kvS(append(s.body(), '{'), "email", email))
	sp.status = 202
	sp.rbody = append(s.rbody(), `{"status":"sent"}`...)
}

func partnerEvent(s *session, sp *callSpec, props func([]byte) []byte) {
	sp.ep, sp.path, sp.ctype, sp.status = epPartnerEvents, s.path(epPartnerEvents), ctJSON, 202
	bd := append(s.body(), '{')
	bd = kvS(bd, "event", []string{"purchase", "signup", "cart_abandoned"}[s.r.IntN(3)])
	bd = kvTime(bd, "at", s.r.Uint64())
	bd = key(bd, "properties")
	bd = props(append(bd, '{'))
	sp.body = closeObj(append(closeObj(bd), ','))
	sp.rbody = append(s.rbody(), `{"accepted":1}`...)
}
