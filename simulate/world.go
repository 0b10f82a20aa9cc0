package simulate

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Hosts of the simulated world, indexed by the host field of endpoint.
const (
	hostAPI = iota
	hostAuth
	hostBank
	hostPartner // a third-party API the shop's backend calls
)

var hostNames = [...]string{"api.shop.test", "auth.shop.test", "bank.shop.test", "api.analytics-partner.example"}

// serverIPs are fixed so that the same host keeps one address across seeds.
var serverIPs = [...][4]byte{{10, 0, 1, 10}, {10, 0, 2, 10}, {10, 0, 3, 10}, {203, 0, 113, 50}}

var serverNames = [...]string{"nginx/1.24.0", "nginx/1.24.0", "envoy", "cloudfront"}

// epClass is the truth about an endpoint relative to the spec.
type epClass uint8

const (
	classDocumented epClass = iota
	classDeprecated         // documented with deprecated: true
	classShadow             // answers, but no spec documents it
	classExternal           // a third party's API: no spec covers its host
)

// paramKind says how a path parameter is typed in the spec.
type paramKind uint8

const (
	pInt paramKind = iota
	pUUID
	pSlug
)

type param struct {
	name string
	kind paramKind
}

// endpoint is one true endpoint template of the simulated API.
type endpoint struct {
	host    int
	method  string
	tmpl    string
	class   epClass
	auth    string // security scheme in the spec: "", "bearer", "apiKey", "cookie", "any"
	opID    string
	summary string
	params  []param
	query   []string
	reqBody []string // request JSON properties the spec documents
	resp    []string // top-level response properties the spec documents
	ok      int      // documented success status
	form    bool     // request body is form-encoded

	lits []string // tmpl split around its parameters, for fast path building
}

// Endpoint indexes; the catalog below is in this order.
const (
	epProducts = iota
	epProductSearch
	epProduct
	epCategoryProducts
	epLinkPreview
	epUserMe
	epUserMePatch
	epUser
	epProfile
	epOrders
	epOrderCreate
	epOrder
	epOrderCancel
	epCart
	epCartItemPut
	epCartItemDelete
	epPaymentCreate
	epPayment
	epGiftCard
	epAdminUsers
	epAdminUserDisable
	epAdminUserDelete
	epV1Order
	epV1User
	epInternalExport
	epOAuthToken
	epLogin
	epLogout
	epPasswordReset
	epOTPVerify
	epJWKS
	epAccounts
	epAccount
	epTransactions
	epTransferCreate
	epTransfer
	epBeneficiaries
	epPartnerEvents
	numEndpoints
)

var (
	pOrderID   = param{"orderId", pInt}
	pUserID    = param{"userId", pInt}
	pProductID = param{"productId", pInt}
	pAccountID = param{"accountId", pInt}
)

var catalog = [numEndpoints]endpoint{
	epProducts:         {host: hostAPI, method: "GET", tmpl: "/api/v2/products", opID: "listProducts", summary: "List products", query: []string{"page", "limit", "sort"}, resp: []string{"page", "limit", "total", "items"}},
	epProductSearch:    {host: hostAPI, method: "GET", tmpl: "/api/v2/products/search", opID: "searchProducts", summary: "Search products", query: []string{"q", "page", "limit"}, resp: []string{"page", "limit", "total", "items"}},
	epProduct:          {host: hostAPI, method: "GET", tmpl: "/api/v2/products/{productId}", opID: "getProduct", summary: "Get a product", params: []param{pProductID}, resp: []string{"id", "slug", "name", "price", "category", "rating", "stock", "description"}},
	epCategoryProducts: {host: hostAPI, method: "GET", tmpl: "/api/v2/categories/{categorySlug}/products", opID: "listCategoryProducts", summary: "List the products of a category", params: []param{{"categorySlug", pSlug}}, query: []string{"page", "limit"}, resp: []string{"page", "limit", "total", "items"}},
	epLinkPreview:      {host: hostAPI, method: "GET", tmpl: "/api/v2/link-preview", auth: "bearer", opID: "linkPreview", summary: "Fetch a preview of a URL shared in a review", query: []string{"url"}, resp: []string{"url", "title", "description", "image"}},
	epUserMe:           {host: hostAPI, method: "GET", tmpl: "/api/v2/users/me", auth: "any", opID: "getMe", summary: "Get the caller's profile", resp: []string{"id", "username", "email", "phone", "display_name", "role", "created_at", "address"}},
	epUserMePatch:      {host: hostAPI, method: "PATCH", tmpl: "/api/v2/users/me", auth: "any", opID: "updateMe", summary: "Update the caller's profile", reqBody: []string{"display_name", "phone", "locale", "marketing_opt_in"}, resp: []string{"id", "username", "email", "phone", "display_name", "role", "locale"}},
	epUser:             {host: hostAPI, method: "GET", tmpl: "/api/v2/users/{userId}", auth: "bearer", opID: "getUser", summary: "Get a user (self or admin)", params: []param{pUserID}, resp: []string{"id", "username", "email", "phone", "display_name", "role", "created_at", "address"}},
	epProfile:          {host: hostAPI, method: "GET", tmpl: "/api/v2/profiles/{username}", opID: "getPublicProfile", summary: "Get a public profile", params: []param{{"username", pSlug}}, resp: []string{"username", "display_name", "bio", "reviews"}},
	epOrders:           {host: hostAPI, method: "GET", tmpl: "/api/v2/orders", auth: "any", opID: "listOrders", summary: "List the caller's orders", query: []string{"page", "limit", "status"}, resp: []string{"page", "limit", "total", "items"}},
	epOrderCreate:      {host: hostAPI, method: "POST", tmpl: "/api/v2/orders", auth: "any", opID: "createOrder", summary: "Place an order from the cart", reqBody: []string{"items", "shipping_address", "coupon"}, resp: []string{"id", "status", "total", "created_at"}, ok: 201},
	epOrder:            {host: hostAPI, method: "GET", tmpl: "/api/v2/orders/{orderId}", auth: "any", opID: "getOrder", summary: "Get an order", params: []param{pOrderID}, resp: []string{"id", "user_id", "status", "items", "total", "shipping", "email"}},
	epOrderCancel:      {host: hostAPI, method: "POST", tmpl: "/api/v2/orders/{orderId}/cancel", auth: "any", opID: "cancelOrder", summary: "Cancel an order", params: []param{pOrderID}, reqBody: []string{"reason"}, resp: []string{"id", "status"}},
	epCart:             {host: hostAPI, method: "GET", tmpl: "/api/v2/cart", auth: "any", opID: "getCart", summary: "Get the cart", resp: []string{"items", "total"}},
	epCartItemPut:      {host: hostAPI, method: "PUT", tmpl: "/api/v2/cart/items/{productId}", auth: "any", opID: "putCartItem", summary: "Set a cart line", params: []param{pProductID}, reqBody: []string{"quantity"}, resp: []string{"items", "total"}},
	epCartItemDelete:   {host: hostAPI, method: "DELETE", tmpl: "/api/v2/cart/items/{productId}", auth: "any", opID: "deleteCartItem", summary: "Remove a cart line", params: []param{pProductID}, ok: 204},
	epPaymentCreate:    {host: hostAPI, method: "POST", tmpl: "/api/v2/payments", auth: "any", opID: "createPayment", summary: "Pay an order", reqBody: []string{"order_id", "amount", "currency", "card"}, resp: []string{"id", "status", "amount", "card"}, ok: 201},
	epPayment:          {host: hostAPI, method: "GET", tmpl: "/api/v2/payments/{paymentId}", auth: "any", opID: "getPayment", summary: "Get a payment", params: []param{{"paymentId", pUUID}}, query: []string{"expand"}, resp: []string{"id", "order_id", "status", "amount", "card"}},
	epGiftCard:         {host: hostAPI, method: "GET", tmpl: "/api/v2/gift-cards/{code}", auth: "any", opID: "getGiftCard", summary: "Check a gift card balance", params: []param{{"code", pSlug}}, resp: []string{"code", "balance"}},
	epAdminUsers:       {host: hostAPI, method: "GET", tmpl: "/api/v2/admin/users", auth: "bearer", opID: "adminListUsers", summary: "List users (admin)", query: []string{"page", "limit", "q"}, resp: []string{"page", "limit", "total", "items"}},
	epAdminUserDisable: {host: hostAPI, method: "POST", tmpl: "/api/v2/admin/users/{userId}/disable", auth: "bearer", opID: "adminDisableUser", summary: "Disable a user (admin)", params: []param{pUserID}, reqBody: []string{"reason"}, resp: []string{"id", "status"}},
	epAdminUserDelete:  {host: hostAPI, method: "DELETE", tmpl: "/api/v2/admin/users/{userId}", auth: "bearer", opID: "adminDeleteUser", summary: "Delete a user (admin)", params: []param{pUserID}, ok: 204},
	epV1Order:          {host: hostAPI, method: "GET", tmpl: "/api/v1/orders/{orderId}", class: classDeprecated, auth: "bearer", opID: "getOrderV1", summary: "Get an order (v1, superseded by v2)", params: []param{pOrderID}, resp: []string{"id", "user_id", "status", "total"}},
	epV1User:           {host: hostAPI, method: "GET", tmpl: "/api/v1/users/{userId}", class: classDeprecated, auth: "bearer", opID: "getUserV1", summary: "Get a user (v1, superseded by v2)", params: []param{pUserID}, resp: []string{"id", "username", "email"}},
	epInternalExport:   {host: hostAPI, method: "GET", tmpl: "/internal/export", class: classShadow, opID: "internalExport", query: []string{"table", "format", "limit"}},
	epOAuthToken:       {host: hostAuth, method: "POST", tmpl: "/oauth/token", opID: "issueToken", summary: "Issue an access token", reqBody: []string{"grant_type", "username", "password", "client_id", "client_secret", "scope"}, resp: []string{"access_token", "token_type", "expires_in", "scope"}, form: true},
	epLogin:            {host: hostAuth, method: "POST", tmpl: "/login", opID: "login", summary: "Log in with a password", reqBody: []string{"username", "password", "remember_me"}, resp: []string{"user_id", "mfa_required"}},
	epLogout:           {host: hostAuth, method: "POST", tmpl: "/logout", auth: "cookie", opID: "logout", summary: "End the web session", ok: 204},
	epPasswordReset:    {host: hostAuth, method: "POST", tmpl: "/password/reset", opID: "requestPasswordReset", summary: "Send a password reset email", reqBody: []string{"email"}, resp: []string{"status"}, ok: 202},
	epOTPVerify:        {host: hostAuth, method: "POST", tmpl: "/otp/verify", opID: "verifyOTP", summary: "Verify a one-time code", reqBody: []string{"challenge_id", "code"}, resp: []string{"verified"}},
	epJWKS:             {host: hostAuth, method: "GET", tmpl: "/.well-known/jwks.json", opID: "getJWKS", summary: "Get the token signing keys", resp: []string{"keys"}},
	epAccounts:         {host: hostBank, method: "GET", tmpl: "/accounts", auth: "any", opID: "listAccounts", summary: "List the caller's accounts", resp: []string{"items"}},
	epAccount:          {host: hostBank, method: "GET", tmpl: "/accounts/{accountId}", auth: "any", opID: "getAccount", summary: "Get an account", params: []param{pAccountID}, resp: []string{"id", "iban", "owner", "balance", "currency"}},
	epTransactions:     {host: hostBank, method: "GET", tmpl: "/accounts/{accountId}/transactions", auth: "any", opID: "listTransactions", summary: "List account transactions", params: []param{pAccountID}, query: []string{"page", "limit"}, resp: []string{"page", "limit", "items"}},
	epTransferCreate:   {host: hostBank, method: "POST", tmpl: "/transfers", auth: "any", opID: "createTransfer", summary: "Create a transfer", reqBody: []string{"from_account", "to_iban", "amount", "currency", "reference"}, resp: []string{"id", "status", "otp_required"}, ok: 201},
	epTransfer:         {host: hostBank, method: "GET", tmpl: "/transfers/{transferId}", auth: "any", opID: "getTransfer", summary: "Get a transfer", params: []param{{"transferId", pUUID}}, resp: []string{"id", "status", "amount", "to_iban"}},
	epBeneficiaries:    {host: hostBank, method: "GET", tmpl: "/beneficiaries", auth: "any", opID: "listBeneficiaries", summary: "List saved beneficiaries", resp: []string{"items"}},
	epPartnerEvents:    {host: hostPartner, method: "POST", tmpl: "/v1/events", class: classExternal, opID: "partnerEvents"},
}

func init() {
	for i := range catalog {
		e := &catalog[i]
		if e.ok == 0 {
			e.ok = 200
		}
		// Split "/a/{x}/b" into ["/a/", "/b"] once so building a path is appends only.
		rest := e.tmpl
		for {
			j := strings.IndexByte(rest, '{')
			if j < 0 {
				e.lits = append(e.lits, rest)
				break
			}
			k := strings.IndexByte(rest, '}')
			e.lits = append(e.lits, rest[:j])
			rest = rest[k+1:]
		}
	}
}

// appendPath writes the endpoint's path with args substituted in order.
func (e *endpoint) appendPath(b []byte, args ...string) []byte {
	for i, l := range e.lits {
		b = append(b, l...)
		if i < len(args) {
			b = append(b, args[i]...)
		}
	}
	return b
}

// actorKind is how an actor authenticates.
type actorKind uint8

const (
	kindCustomer actorKind = iota // JWT bearer, role customer
	kindAdmin                     // JWT bearer, role admin
	kindWeb                       // session cookie
	kindService                   // X-API-Key
	kindAnon                      // no credentials
)

// actor is one caller with stable identity, addresses and client.
type actor struct {
	kind     actorKind
	idx      int
	sub      string // JWT sub, also the label actor
	username string
	first    string
	last     string
	email    string
	phone    string
	userID   int
	ips      [][4]byte
	ua       string
	rtt      int64  // µs
	authHdr  string // full header line(s) with CRLF, empty when anonymous
	token    string // JWT, for token endpoint responses
	cookie   string
	password string
	card     string // Luhn-valid PAN of the user's saved card
	iban     string
	gzip     bool // sends Accept-Encoding: gzip
	bank     bool // also banks with bank.shop.test
}

// label is the identity the labels file uses for the actor: the JWT sub or
// a stable pseudonym for the other schemes, empty when anonymous.
func (a *actor) label() string {
	switch a.kind {
	case kindAnon:
		return ""
	default:
		return a.sub
	}
}

const ordersPerUser = 20
const orderBase = 200000

// orderID interleaves users' orders, so a sequential walk crosses many owners.
func orderID(users, user, k int) int { return orderBase + k*users + user }

func accountID(user, k int) int { return 5000000 + user*3 + k }

var firstNames = []string{"alice", "bruno", "chloe", "david", "emma", "farid", "gina", "hugo", "ines", "jonas", "karim", "lea", "marco", "nina", "omar", "paula", "quentin", "rosa", "sami", "tara", "ugo", "vera", "wen", "yann", "zoe"}
var lastNames = []string{"martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy", "moreau", "simon", "laurent", "lefebvre", "michel", "garcia", "david", "bertrand", "roux", "vincent", "fournier"}
var categories = []string{"laptops", "phones", "headphones", "kitchen", "garden", "books", "toys", "running-shoes", "coffee", "cameras", "monitors", "board-games"}
var words = []string{"wireless", "pro", "mini", "ultra", "classic", "organic", "smart", "compact", "deluxe", "eco", "max", "lite", "steel", "bamboo", "travel", "studio"}
var searchTerms = []string{"usb-c+cable", "coffee+grinder", "running+shoes", "noise+cancelling", "4k+monitor", "garden+hose", "lego", "kindle", "espresso", "tent", "yoga+mat", "webcam"}

var browserUAs = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
}
var appUAs = []string{"ShopApp/5.2.1 (iOS 18.1; iPhone15,2)", "ShopApp/5.2.0 (Android 14; Pixel 8)", "ShopApp/5.1.7 (Android 13; SM-S911B)"}

// world is every actor of one simulation, built from the seed alone.
type world struct {
	users  int
	actors []*actor // registered users, index = user index
	byKind [5][]*actor
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func newWorld(cfg Config) *world {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))
	w := &world{users: cfg.Users}
	nAdmin := max(2, cfg.Users/50)
	nService := max(1, cfg.Users/100)
	nWeb := cfg.Users / 4
	exp := cfg.Start.Add(cfg.Duration).Add(24 * 3600e9).Unix()
	for i := range cfg.Users {
		a := &actor{idx: i, userID: 1000 + i}
		switch {
		case i < nAdmin:
			a.kind = kindAdmin
		case i < nAdmin+nService:
			a.kind = kindService
		case i < nAdmin+nService+nWeb:
			a.kind = kindWeb
		default:
			a.kind = kindCustomer
		}
		a.first = firstNames[r.IntN(len(firstNames))]
		a.last = lastNames[r.IntN(len(lastNames))]
		a.sub = fmt.Sprintf("user-%03d", i)
		a.username = fmt.Sprintf("%s.%s%d", a.first, a.last, i)
		a.email = fmt.Sprintf("%s.%s%d@mail.example", a.first, a.last, i)
		a.phone = fmt.Sprintf("+33 6 %02d %02d %02d %02d", r.IntN(100), r.IntN(100), r.IntN(100), r.IntN(100))
		a.password = randString(r, 12)
		a.card = luhnCard(r)
		a.iban = germanIBAN(r)
		a.bank = r.IntN(2) == 0
		a.gzip = r.IntN(3) > 0
		// Two or three stable addresses: office or home, and a phone network.
		a.ips = append(a.ips, [4]byte{172, 16, byte(i / 250), byte(i%250 + 2)})
		a.ips = append(a.ips, [4]byte{192, 168, byte(10 + r.IntN(80)), byte(2 + r.IntN(250))})
		if r.IntN(3) == 0 {
			a.ips = append(a.ips, [4]byte{172, 17, byte(r.IntN(250)), byte(2 + r.IntN(250))})
		}
		a.rtt = int64(2000 + r.IntN(60000))
		switch a.kind {
		case kindService:
			a.sub = fmt.Sprintf("svc-%02d", i)
			a.ua = "order-sync/2.3.1 (+https://ops.shop.test) Go-http-client/1.1"
			key := "sk_live_" + randString(r, 24)
			a.authHdr = "X-API-Key: " + key + "\r\n"
			a.rtt = int64(300 + r.IntN(1500))
			a.ips = a.ips[:1]
			a.ips[0] = [4]byte{172, 20, 0, byte(10 + i%200)}
			a.gzip = true
		case kindWeb:
			a.ua = browserUAs[r.IntN(len(browserUAs))]
			a.cookie = randHex(r, 32)
			a.authHdr = "Cookie: session=" + a.cookie + "; theme=light\r\n"
		default:
			role, scope := "customer", "orders:read orders:write profile payments"
			if a.kind == kindAdmin {
				role, scope = "admin", "orders:read orders:write profile payments admin:users"
				a.ua = browserUAs[r.IntN(len(browserUAs))]
			} else {
				a.ua = appUAs[r.IntN(len(appUAs))]
			}
			payload := fmt.Sprintf(`{"sub":%q,"iss":"https://auth.shop.test","aud":"api.shop.test","role":%q,"scope":%q,"iat":%d,"exp":%d}`,
				a.sub, role, scope, cfg.Start.Unix()-3600, exp)
			sig := make([]byte, 32)
			for j := range sig {
				sig[j] = byte(r.Uint32())
			}
			a.token = jwtHeader + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(sig)
			a.authHdr = "Authorization: Bearer " + a.token + "\r\n"
		}
		w.actors = append(w.actors, a)
		w.byKind[a.kind] = append(w.byKind[a.kind], a)
	}
	return w
}

// anon makes a fresh anonymous visitor from r.
func anonActor(r *rand.Rand, ip [4]byte) *actor {
	a := &actor{kind: kindAnon, ips: [][4]byte{ip}, rtt: int64(5000 + r.IntN(90000)), gzip: r.IntN(4) > 0}
	a.ua = browserUAs[r.IntN(len(browserUAs))]
	return a
}

func anonIP(r *rand.Rand) [4]byte {
	return [4]byte{192, 168, byte(100 + r.IntN(100)), byte(2 + r.IntN(250))}
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[r.IntN(len(alnum))]
	}
	return string(b)
}

func randHex(r *rand.Rand, n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[r.IntN(16)]
	}
	return string(b)
}

// appendUUID appends a random version 4 UUID.
func appendUUID(b []byte, r *rand.Rand) []byte {
	const hex = "0123456789abcdef"
	x, y := r.Uint64(), r.Uint64()
	x = x&^(0xf<<12) | 4<<12
	y = y&^(3<<62) | 2<<62
	var raw [16]byte
	for i := range 8 {
		raw[i] = byte(x >> (56 - 8*i))
		raw[8+i] = byte(y >> (56 - 8*i))
	}
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&15])
	}
	return b
}

// uuidFor is a stable UUID for an object, so repeat reads name the same id.
func uuidFor(seed int64, kind, n uint64) string {
	r := rand.New(rand.NewPCG(uint64(seed)^kind, n))
	return string(appendUUID(nil, r))
}

// luhnCard returns a 16-digit Visa-like PAN with a valid Luhn check digit.
func luhnCard(r *rand.Rand) string {
	d := make([]byte, 16)
	d[0] = 4
	for i := 1; i < 15; i++ {
		d[i] = byte(r.IntN(10))
	}
	sum := 0
	for i := 14; i >= 0; i-- {
		v := int(d[i])
		if (14-i)%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	d[15] = byte((10 - sum%10) % 10)
	for i := range d {
		d[i] += '0'
	}
	return string(d)
}

// luhnValid reports whether s (digits only) passes the Luhn check.
func luhnValid(s string) bool {
	sum, dbl := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		v := int(s[i] - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return len(s) > 0 && sum%10 == 0
}

// germanIBAN returns a DE IBAN with valid mod-97 check digits.
func germanIBAN(r *rand.Rand) string {
	bban := make([]byte, 18)
	for i := range bban {
		bban[i] = byte('0' + r.IntN(10))
	}
	// Check digits: 98 - (BBAN + "DE00" as digits) mod 97, D=13 E=14.
	rem := 0
	for _, c := range string(bban) + "131400" {
		rem = (rem*10 + int(c-'0')) % 97
	}
	return fmt.Sprintf("DE%02d%s", 98-rem, bban)
}
