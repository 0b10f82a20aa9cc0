package simulate

import (
	"math/rand/v2"
	"strconv"
)

// benign is the planner of an ordinary visit: a login now and then, then a
// handful of calls separated by think times.
type benign struct {
	kind    actorKind
	a       *actor
	ip      [4]byte
	left    int
	t       int64
	started bool
	calls   int
	pending int // follow-up action owed by the previous call (e.g. pay the order just placed)
	orderID int
}

const (
	followNone = iota
	followPay
	followOTP
)

// benignPlan picks the actor of a new visit from the arrival stream alone,
// so the choice does not depend on how sessions interleave.
func (g *engine) benignPlan(at int64) planner {
	x := g.arr.Float64()
	var kind actorKind
	switch {
	case x < 0.22:
		kind = kindAnon
	case x < 0.67:
		kind = kindCustomer
	case x < 0.85:
		kind = kindWeb
	case x < 0.89:
		kind = kindAdmin
	default:
		kind = kindService
	}
	b := &benign{kind: kind, t: at}
	if kind != kindAnon {
		pool := g.w.byKind[kind]
		if len(pool) == 0 {
			pool = g.w.byKind[kindCustomer]
		}
		// Skewed pick: a few users are much more active than the rest.
		f := g.arr.Float64()
		b.a = pool[int(f*f*float64(len(pool)))]
	}
	return b
}

func (b *benign) next(g *engine, s *session, sp *callSpec) bool {
	r := s.r
	if !b.started {
		b.started = true
		switch b.kind {
		case kindAnon:
			b.a = anonActor(r, anonIP(r))
			b.left = 1 + r.IntN(9)
		case kindService:
			b.left = 4 + r.IntN(6)
		default:
			b.left = 2 + r.IntN(11)
		}
		b.ip = b.a.ips[r.IntN(len(b.a.ips))]
	} else {
		b.t += thinkTime(r)
	}
	if b.left <= 0 {
		return false
	}
	b.left--
	b.calls++
	sp.at, sp.a, sp.ip = b.t, b.a, b.ip
	switch {
	case b.pending == followPay:
		b.pending = followNone
		payCreate(s, sp, b.a, b.orderID)
	case b.pending == followOTP:
		b.pending = followNone
		otpVerify(s, sp, r, true)
	case b.kind == kindAnon:
		b.anonCall(g, s, sp)
	case b.kind == kindService:
		b.serviceCall(g, s, sp)
	default:
		b.userCall(g, s, sp)
	}
	maybeFail(s, sp)
	s.keep(sp)
	return true
}

// thinkTime is a human pause between calls: mostly seconds, sometimes a
// long break that outlives the keep-alive connection.
func thinkTime(r *rand.Rand) int64 {
	if r.IntN(12) == 0 {
		return int64(20e6 + r.IntN(100e6))
	}
	return int64(200_000 + min(r.ExpFloat64()*6e6, 60e6))
}

func (b *benign) anonCall(g *engine, s *session, sp *callSpec) {
	r := s.r
	switch x := r.IntN(100); {
	case x < 30:
		productList(s, sp, 1+r.IntN(3), 20)
	case x < 65:
		productGet(s, sp, 1+r.IntN(5200))
	case x < 80:
		productSearch(s, sp, searchTerms[r.IntN(len(searchTerms))])
	case x < 94:
		categoryList(s, sp, categories[r.IntN(len(categories))], 1+r.IntN(2))
	case x < 98:
		profileGet(g, s, sp)
	default:
		jwks(s, sp)
	}
}

func (b *benign) serviceCall(g *engine, s *session, sp *callSpec) {
	r := s.r
	switch x := r.IntN(100); {
	case x < 40:
		sp.ep = epOrders
		sp.path = append(s.path(epOrders), "?status=pending&page="...)
		sp.path = strconv.AppendInt(sp.path, int64(1+r.IntN(3)), 10)
		sp.path = append(sp.path, "&limit=50"...)
		sp.status = 200
		rb := append(s.rbody(), `{"page":1,"limit":50,"items":[`...)
		for range 20 + r.IntN(30) {
			rb = appendOrderSummary(rb, orderID(g.w.users, r.IntN(g.w.users), r.IntN(ordersPerUser)))
			rb = append(rb, ',')
		}
		sp.rbody = append(closeArr(rb), '}')
	case x < 70:
		u := r.IntN(g.w.users)
		orderGet(g, s, sp, orderID(g.w.users, u, r.IntN(ordersPerUser)), g.w.actors[u], 200)
	case x < 80:
		productList(s, sp, 1+r.IntN(50), 100)
	default:
		u := g.w.actors[r.IntN(g.w.users)]
		transactions(s, sp, accountID(u.idx, 0), 1, 50)
	}
}

func (b *benign) userCall(g *engine, s *session, sp *callSpec) {
	r := s.r
	a := b.a
	if b.left == 0 && a.kind == kindWeb && r.IntN(3) == 0 {
		sp.ep, sp.path, sp.status = epLogout, s.path(epLogout), 204
		sp.rhdr = "Set-Cookie: session=; Max-Age=0; Path=/; HttpOnly\r\n"
		return
	}
	if b.calls == 1 && !b.startedLogin(r) {
		login(g, s, sp, a, true)
		return
	}
	if a.kind == kindAdmin && r.IntN(3) == 0 {
		switch x := r.IntN(20); {
		case x < 10:
			adminUsers(g, s, sp, 1+r.IntN(6), "")
		case x < 19:
			userGet(s, sp, g.w.actors[r.IntN(g.w.users)], 200)
		default:
			sp.ep = epAdminUserDisable
			sp.path = s.path(epAdminUserDisable, strconv.Itoa(g.w.actors[r.IntN(g.w.users)].userID))
			sp.ctype, sp.body = ctJSON, append(s.body(), `{"reason":"chargeback fraud review"}`...)
			sp.status, sp.rbody = 200, append(s.rbody(), `{"id":0,"status":"disabled"}`...)
		}
		return
	}
	x := r.IntN(100)
	if a.bank && x < 30 {
		bankCall(g, s, sp, a, b)
		return
	}
	switch {
	case x < 12:
		productList(s, sp, 1+r.IntN(4), []int{10, 20, 50}[r.IntN(3)])
	case x < 28:
		productGet(s, sp, 1+r.IntN(5200))
	case x < 35:
		productSearch(s, sp, searchTerms[r.IntN(len(searchTerms))])
	case x < 40:
		categoryList(s, sp, categories[r.IntN(len(categories))], 1)
	case x < 48:
		sp.ep, sp.path, sp.status = epUserMe, s.path(epUserMe), 200
		sp.rbody = appendUser(s.rbody(), a, true)
	case x < 54:
		ordersList(g, s, sp, a, 1)
	case x < 63:
		orderGet(g, s, sp, orderID(g.w.users, a.idx, r.IntN(ordersPerUser)), a, 200)
	case x < 69:
		cart(s, sp, a, r)
	case x < 74:
		pid := 1 + r.IntN(5000)
		sp.ep, sp.path = epCartItemPut, s.path(epCartItemPut, strconv.Itoa(pid))
		sp.ctype = ctJSON
		sp.body = strconv.AppendInt(append(s.body(), `{"quantity":`...), int64(1+r.IntN(3)), 10)
		sp.body = append(sp.body, '}')
		sp.status = 200
		cartBody(s, sp, r, pid)
	case x < 76:
		sp.ep, sp.path, sp.status = epCartItemDelete, s.path(epCartItemDelete, strconv.Itoa(1+r.IntN(5000))), 204
	case x < 79:
		orderCreate(g, s, sp, a, r)
		if sp.status == 201 {
			b.pending = followPay
			b.orderID = orderID(g.w.users, a.idx, r.IntN(ordersPerUser))
		}
	case x < 83:
		paymentGet(g, s, sp, a, r.IntN(4), false)
	case x < 85:
		patchMe(s, sp, a, r, false)
	case x < 93:
		profileGet(g, s, sp)
	case x < 95:
		linkPreview(s, sp, "https://blog.example/posts/"+strconv.Itoa(r.IntN(900))+"-review")
	default:
		productSearch(s, sp, searchTerms[r.IntN(len(searchTerms))])
	}
}

// startedLogin decides whether the visit skips logging in because the
// client still holds a valid token or cookie.
func (b *benign) startedLogin(r *rand.Rand) bool {
	return r.IntN(10) >= 3
}

func bankCall(g *engine, s *session, sp *callSpec, a *actor, b *benign) {
	r := s.r
	acct := accountID(a.idx, r.IntN(2))
	switch x := r.IntN(100); {
	case x < 25:
		sp.ep, sp.path, sp.status = epAccounts, s.path(epAccounts), 200
		rb := append(s.rbody(), `{"items":[`...)
		rb = append(appendAccount(rb, accountID(a.idx, 0), a), ',')
		rb = append(appendAccount(rb, accountID(a.idx, 1), a), ',')
		sp.rbody = append(closeArr(rb), '}')
	case x < 40:
		sp.ep, sp.path, sp.status = epAccount, s.path(epAccount, strconv.Itoa(acct)), 200
		sp.rbody = appendAccount(s.rbody(), acct, a)
	case x < 75:
		transactions(s, sp, acct, 1+r.IntN(3), 25)
	case x < 83:
		sp.ep, sp.path = epTransferCreate, s.path(epTransferCreate)
		sp.ctype = ctJSON
		bd := append(s.body(), '{')
		bd = kvI(bd, "from_account", acct)
		bd = kvS(bd, "to_iban", g.w.actors[r.IntN(g.w.users)].iban)
		bd = kvMoney(bd, "amount", 1000+r.IntN(90000))
		bd = kvS(bd, "currency", "EUR")
		bd = kvS(bd, "reference", "invoice "+strconv.Itoa(r.IntN(99999)))
		sp.body = closeObj(bd)
		sp.status = 201
		rb := append(s.rbody(), `{"id":"`...)
		rb = appendUUID(rb, r)
		sp.rbody = append(rb, `","status":"pending","otp_required":true}`...)
		b.pending = followOTP
	case x < 90:
		sp.ep, sp.path, sp.status = epTransfer, s.path(epTransfer, uuidFor(g.cfg.Seed, 3, uint64(a.idx*8+r.IntN(8)))), 200
		rb := append(s.rbody(), `{"id":"`...)
		rb = append(rb, sp.path[len("/transfers/"):]...)
		rb = append(rb, `",`...)
		rb = kvS(rb, "status", "executed")
		rb = kvMoney(rb, "amount", 1000+r.IntN(90000))
		rb = kvS(rb, "to_iban", g.w.actors[r.IntN(g.w.users)].iban)
		sp.rbody = closeObj(rb)
	default:
		sp.ep, sp.path, sp.status = epBeneficiaries, s.path(epBeneficiaries), 200
		rb := append(s.rbody(), `{"items":[`...)
		for i := range 1 + r.IntN(4) {
			o := g.w.actors[(a.idx+i*7+1)%g.w.users]
			rb = append(rb, '{')
			rb = kvS(rb, "name", o.first+" "+o.last)
			rb = kvS(rb, "iban", o.iban)
			rb = append(closeObj(rb), ',')
		}
		sp.rbody = append(closeArr(rb), '}')
	}
}

// maybeFail turns a few successful benign calls into the errors every real
// API produces: missing objects, validation errors, outages.
func maybeFail(s *session, sp *callSpec) {
	if sp.status >= 300 || sp.attack >= 0 || sp.look >= 0 {
		return
	}
	r := s.r
	x := r.IntN(1000)
	switch {
	case x < 4:
		sp.status = []int{500, 502, 503, 503}[r.IntN(4)]
		if sp.status == 502 {
			sp.rctype = "text/html"
			sp.rbody = append(sp.rbody[:0], "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"...)
		} else {
			sp.rbody = appendError(sp.rbody[:0], "internal_error", "upstream request failed", r)
		}
		sp.rhdr = ""
	case x < 12 && catalog[sp.ep].params != nil && catalog[sp.ep].method == "GET":
		sp.status, sp.rhdr = 404, ""
		sp.rbody = appendError(sp.rbody[:0], "not_found", "no such resource", r)
	case x < 20 && sp.ctype == ctJSON:
		sp.status, sp.rhdr = 422, ""
		sp.rbody = appendError(sp.rbody[:0], "validation_failed", "request body failed validation", r)
	case x < 24 && catalog[sp.ep].auth != "" && sp.a.kind != kindService:
		sp.status, sp.rhdr = 401, "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"
		sp.rbody = appendError(sp.rbody[:0], "invalid_token", "the access token expired", r)
	}
}

func productList(s *session, sp *callSpec, page, limit int) {
	sp.ep, sp.status = epProducts, 200
	sp.path = append(s.path(epProducts), "?page="...)
	sp.path = strconv.AppendInt(sp.path, int64(page), 10)
	sp.path = append(sp.path, "&limit="...)
	sp.path = strconv.AppendInt(sp.path, int64(limit), 10)
	sp.rbody = appendProductPage(s.rbody(), page, limit, 5000, 0)
}

func productGet(s *session, sp *callSpec, id int) {
	sp.ep, sp.path = epProduct, s.path(epProduct, strconv.Itoa(id))
	if id > 5000 {
		sp.status = 404
		sp.rbody = appendError(s.rbody(), "not_found", "product not found", s.r)
		return
	}
	sp.status = 200
	sp.rbody = appendProduct(s.rbody(), id)
}

func productSearch(s *session, sp *callSpec, q string) {
	sp.ep, sp.status = epProductSearch, 200
	sp.path = append(append(s.path(epProductSearch), "?q="...), q...)
	sp.path = append(sp.path, "&limit=20"...)
	sp.rbody = appendProductPage(s.rbody(), 1, 8+len(q)%12, 40+len(q), mix(uint64(len(q))*977+uint64(q[0])))
}

func categoryList(s *session, sp *callSpec, cat string, page int) {
	sp.ep, sp.status = epCategoryProducts, 200
	sp.path = append(s.path(epCategoryProducts, cat), "?page="...)
	sp.path = strconv.AppendInt(sp.path, int64(page), 10)
	sp.rbody = appendProductPage(s.rbody(), page, 12, 300, mix(uint64(len(cat))))
}

func profileGet(g *engine, s *session, sp *callSpec) {
	o := g.w.actors[s.r.IntN(g.w.users)]
	sp.ep, sp.path, sp.status = epProfile, s.path(epProfile, o.username), 200
	rb := append(s.rbody(), '{')
	rb = kvS(rb, "username", o.username)
	rb = kvS(rb, "display_name", o.first+" "+o.last[:1]+".")
	rb = kvS(rb, "bio", "Happy customer since 2023.")
	rb = kvI(rb, "reviews", int(mix(uint64(o.userID))%40))
	sp.rbody = closeObj(rb)
}

func jwks(s *session, sp *callSpec) {
	sp.ep, sp.path, sp.status = epJWKS, s.path(epJWKS), 200
	sp.rbody = append(s.rbody(), `{"keys":[{"kty":"oct","kid":"2025-11","alg":"HS256","use":"sig"}]}`...)
}

func userGet(s *session, sp *callSpec, o *actor, status int) {
	sp.ep, sp.path, sp.status = epUser, s.path(epUser, strconv.Itoa(o.userID)), status
	if status == 200 {
		sp.rbody = appendUser(s.rbody(), o, true)
	} else {
		sp.rbody = appendError(s.rbody(), "forbidden", "not allowed to read this user", s.r)
	}
}

func ordersList(g *engine, s *session, sp *callSpec, a *actor, page int) {
	sp.ep, sp.status = epOrders, 200
	sp.path = append(s.path(epOrders), "?page="...)
	sp.path = strconv.AppendInt(sp.path, int64(page), 10)
	sp.path = append(sp.path, "&limit=10"...)
	rb := append(s.rbody(), `{"page":`...)
	rb = strconv.AppendInt(rb, int64(page), 10)
	rb = append(rb, `,"limit":10,"total":20,"items":[`...)
	for k := (page - 1) * 10; k < page*10 && k < ordersPerUser; k++ {
		rb = append(appendOrderSummary(rb, orderID(g.w.users, a.idx, k)), ',')
	}
	sp.rbody = append(closeArr(rb), '}')
}

// orderGet reads order id; owner is who really owns it.
func orderGet(g *engine, s *session, sp *callSpec, id int, owner *actor, status int) {
	sp.ep, sp.path, sp.status = epOrder, s.path(epOrder, strconv.Itoa(id)), status
	switch status {
	case 200:
		sp.rbody = appendOrder(s.rbody(), id, owner, 0)
	case 403:
		sp.rbody = appendError(s.rbody(), "forbidden", "order belongs to another customer", s.r)
	default:
		sp.rbody = appendError(s.rbody(), "not_found", "order not found", s.r)
	}
}

func orderCreate(g *engine, s *session, sp *callSpec, a *actor, r *rand.Rand) {
	sp.ep, sp.path, sp.ctype = epOrderCreate, s.path(epOrderCreate), ctJSON
	bd := append(s.body(), `{"items":[`...)
	for i := range 1 + r.IntN(3) {
		bd = append(bd, '{')
		bd = kvI(bd, "product_id", 1+r.IntN(5000))
		bd = kvI(bd, "quantity", 1+i%2)
		bd = append(closeObj(bd), ',')
	}
	bd = append(closeArr(bd), ',')
	bd = appendAddress(bd, "shipping_address", mix(uint64(a.userID)))
	sp.body = closeObj(bd)
	sp.status = 201
	rb := append(s.rbody(), '{')
	rb = kvI(rb, "id", orderID(g.w.users, a.idx, r.IntN(ordersPerUser)))
	rb = kvS(rb, "status", "pending")
	rb = kvMoney(rb, "total", 999+r.IntN(60000))
	rb = kvTime(rb, "created_at", r.Uint64())
	sp.rbody = closeObj(rb)
}

func payCreate(s *session, sp *callSpec, a *actor, order int) {
	r := s.r
	sp.ep, sp.path, sp.ctype = epPaymentCreate, s.path(epPaymentCreate), ctJSON
	amount := 999 + r.IntN(60000)
	bd := append(s.body(), '{')
	bd = kvI(bd, "order_id", order)
	bd = kvMoney(bd, "amount", amount)
	bd = kvS(bd, "currency", "EUR")
	bd = key(bd, "card")
	bd = append(bd, '{')
	bd = kvS(bd, "number", a.card)
	bd = kvS(bd, "exp", "09/28")
	bd = kvS(bd, "cvc", strconv.Itoa(100+r.IntN(900)))
	bd = kvS(bd, "holder", a.first+" "+a.last)
	bd = closeObj(bd)
	sp.body = append(bd, '}')
	sp.status = 201
	rb := append(s.rbody(), `{"id":"`...)
	rb = appendUUID(rb, r)
	rb = append(rb, `",`...)
	rb = kvS(rb, "status", "authorized")
	rb = kvMoney(rb, "amount", amount)
	rb = appendMaskedCard(rb, a.card)
	sp.rbody = closeObj(rb)
}

// paymentGet reads one of a's payments; full leaks the whole card, which is
// the sensitive data exposure scenario.
func paymentGet(g *engine, s *session, sp *callSpec, a *actor, k int, full bool) {
	id := uuidFor(g.cfg.Seed, 2, uint64(a.idx*4+k))
	sp.ep, sp.status = epPayment, 200
	sp.path = s.path(epPayment, id)
	if full {
		sp.path = append(sp.path, "?expand=card"...)
	}
	rb := append(s.rbody(), '{')
	rb = kvS(rb, "id", id)
	rb = kvI(rb, "order_id", orderID(g.w.users, a.idx, k))
	rb = kvS(rb, "status", "captured")
	rb = kvMoney(rb, "amount", 999+int(mix(uint64(a.idx*4+k))%60000))
	if full {
		rb = key(rb, "card")
		rb = append(rb, '{')
		rb = kvS(rb, "number", a.card)
		rb = kvS(rb, "exp", "09/28")
		rb = kvS(rb, "holder", a.first+" "+a.last)
		rb = kvS(rb, "billing_email", a.email)
		rb = kvS(rb, "billing_phone", a.phone)
		rb = append(closeObj(rb), ',')
	} else {
		rb = appendMaskedCard(rb, a.card)
	}
	sp.rbody = closeObj(rb)
}

func patchMe(s *session, sp *callSpec, a *actor, r *rand.Rand, escalate bool) {
	sp.ep, sp.path, sp.ctype, sp.status = epUserMePatch, s.path(epUserMePatch), ctJSON, 200
	bd := append(s.body(), '{')
	bd = kvS(bd, "display_name", a.first+" "+a.last)
	bd = kvS(bd, "locale", []string{"fr-FR", "en-GB", "de-DE"}[r.IntN(3)])
	if escalate {
		bd = kvS(bd, "role", "admin")
		bd = kvB(bd, "is_admin", true)
		bd = kvI(bd, "credit_limit", 1000000)
	} else {
		bd = kvB(bd, "marketing_opt_in", r.IntN(2) == 0)
	}
	sp.body = closeObj(bd)
	rb := append(s.rbody(), '{')
	rb = kvI(rb, "id", a.userID)
	rb = kvS(rb, "username", a.username)
	rb = kvS(rb, "email", a.email)
	rb = kvS(rb, "phone", a.phone)
	rb = kvS(rb, "display_name", a.first+" "+a.last)
	if escalate {
		rb = kvS(rb, "role", "admin")
	} else {
		rb = kvS(rb, "role", "customer")
	}
	sp.rbody = closeObj(rb)
}

func cart(s *session, sp *callSpec, a *actor, r *rand.Rand) {
	sp.ep, sp.path, sp.status = epCart, s.path(epCart), 200
	cartBody(s, sp, r, 0)
}

func cartBody(s *session, sp *callSpec, r *rand.Rand, pid int) {
	rb := append(s.rbody(), `{"items":[`...)
	total := 0
	for i := range 1 + r.IntN(4) {
		id := pid
		if i > 0 || id == 0 {
			id = 1 + r.IntN(5000)
		}
		price := 299 + int(mix(uint64(id))%40000)
		total += price
		rb = append(rb, '{')
		rb = kvI(rb, "product_id", id)
		rb = kvI(rb, "quantity", 1)
		rb = kvMoney(rb, "unit_price", price)
		rb = append(closeObj(rb), ',')
	}
	rb = append(closeArr(rb), ',')
	rb = kvMoney(rb, "total", total)
	sp.rbody = closeObj(rb)
}

func linkPreview(s *session, sp *callSpec, target string) {
	sp.ep, sp.status = epLinkPreview, 200
	sp.path = append(append(s.path(epLinkPreview), "?url="...), queryEscape(target)...)
	rb := append(s.rbody(), '{')
	rb = kvS(rb, "url", target)
	rb = kvS(rb, "title", "Review: the best budget espresso machine")
	rb = kvS(rb, "description", "We tested eleven machines under 300 euros.")
	rb = kvS(rb, "image", "https://blog.example/img/cover.jpg")
	sp.rbody = closeObj(rb)
}

func transactions(s *session, sp *callSpec, acct, page, limit int) {
	sp.ep, sp.status = epTransactions, 200
	sp.path = append(s.path(epTransactions, strconv.Itoa(acct)), "?page="...)
	sp.path = strconv.AppendInt(sp.path, int64(page), 10)
	sp.path = append(sp.path, "&limit="...)
	sp.path = strconv.AppendInt(sp.path, int64(limit), 10)
	rb := append(s.rbody(), `{"page":`...)
	rb = strconv.AppendInt(rb, int64(page), 10)
	rb = append(rb, `,"limit":`...)
	rb = strconv.AppendInt(rb, int64(limit), 10)
	rb = append(rb, `,"items":[`...)
	for i := range limit {
		rb = append(appendTransaction(rb, mix(uint64(acct*1000+page*limit+i))), ',')
	}
	sp.rbody = append(closeArr(rb), '}')
}

func adminUsers(g *engine, s *session, sp *callSpec, page int, q string) {
	sp.ep, sp.status = epAdminUsers, 200
	sp.path = append(s.path(epAdminUsers), "?page="...)
	sp.path = strconv.AppendInt(sp.path, int64(page), 10)
	sp.path = append(sp.path, "&limit=25"...)
	rb := append(s.rbody(), `{"page":`...)
	rb = strconv.AppendInt(rb, int64(page), 10)
	rb = append(rb, `,"limit":25,"total":`...)
	rb = strconv.AppendInt(rb, int64(g.w.users), 10)
	rb = append(rb, `,"items":[`...)
	for i := (page - 1) * 25; i < page*25 && i < g.w.users; i++ {
		rb = append(appendUser(rb, g.w.actors[i], false), ',')
	}
	sp.rbody = append(closeArr(rb), '}')
}

// login authenticates a at the start of a visit: a password grant for app
// users, a form login with a session cookie for web users.
func login(g *engine, s *session, sp *callSpec, a *actor, ok bool) {
	r := s.r
	sp.noAuth = true
	if a.kind == kindWeb || a.kind == kindAnon {
		sp.ep, sp.path, sp.ctype = epLogin, s.path(epLogin), ctJSON
		bd := append(s.body(), '{')
		bd = kvS(bd, "username", a.email)
		pw := a.password
		if !ok {
			pw = pw[:len(pw)-1] + "x"
		}
		bd = kvS(bd, "password", pw)
		bd = kvB(bd, "remember_me", true)
		sp.body = closeObj(bd)
		if ok {
			sp.status = 200
			sp.rhdr = "Set-Cookie: session=" + a.cookie + "; Path=/; HttpOnly; Secure; SameSite=Lax\r\n"
			rb := append(s.rbody(), '{')
			rb = kvI(rb, "user_id", a.userID)
			rb = kvB(rb, "mfa_required", false)
			sp.rbody = closeObj(rb)
		} else {
			sp.status = 401
			sp.rbody = appendError(s.rbody(), "invalid_credentials", "wrong username or password", r)
		}
		return
	}
	sp.ep, sp.path, sp.ctype = epOAuthToken, s.path(epOAuthToken), ctForm
	bd := append(s.body(), "grant_type=password&username="...)
	bd = append(bd, queryEscape(a.email)...)
	bd = append(bd, "&password="...)
	bd = append(bd, a.password...)
	bd = append(bd, "&client_id=shop-mobile&scope=orders+profile+payments"...)
	sp.body = bd
	sp.status = 200
	sp.rhdr = "Cache-Control: no-store\r\n"
	rb := append(s.rbody(), '{')
	rb = kvS(rb, "access_token", a.token)
	rb = kvS(rb, "token_type", "Bearer")
	rb = kvI(rb, "expires_in", 3600)
	rb = kvS(rb, "refresh_token", randHexBytes(r, 40))
	rb = kvS(rb, "scope", "orders profile payments")
	sp.rbody = closeObj(rb)
}

func otpVerify(s *session, sp *callSpec, r *rand.Rand, ok bool) {
	sp.ep, sp.path, sp.ctype = epOTPVerify, s.path(epOTPVerify), ctJSON
	bd := append(s.body(), `{"challenge_id":"`...)
	bd = appendUUID(bd, r)
	bd = append(bd, `","code":"`...)
	bd = strconv.AppendInt(bd, int64(100000+r.IntN(900000)), 10)
	sp.body = append(bd, `"}`...)
	if ok {
		sp.status = 200
		sp.rbody = append(s.rbody(), `{"verified":true}`...)
	} else {
		sp.status = 401
		sp.rbody = append(s.rbody(), `{"verified":false,"error":"invalid_code","attempts_left":2}`...)
	}
}

func randHexBytes(r *rand.Rand, n int) string { return randHex(r, n) }

// queryEscape percent-encodes s for a query value, deterministically and
// without net/url's allocations on the common ASCII case.
func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	need := false
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	b := make([]byte, 0, len(s)*3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c):
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
