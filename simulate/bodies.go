package simulate

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// JSON is appended by hand: encoding/json would dominate generation time.
// Every kv helper writes `"k":v,` and closeObj turns the trailing comma into
// the closing brace.

func kvS(b []byte, k, v string) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":"`...)
	b = append(b, v...)
	return append(b, `",`...)
}

func kvI(b []byte, k string, v int) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":`...)
	b = strconv.AppendInt(b, int64(v), 10)
	return append(b, ',')
}

func kvB(b []byte, k string, v bool) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":`...)
	b = strconv.AppendBool(b, v)
	return append(b, ',')
}

// kvMoney writes cents as a decimal amount.
func kvMoney(b []byte, k string, cents int) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":`...)
	b = strconv.AppendInt(b, int64(cents/100), 10)
	b = append(b, '.')
	b = append(b, byte('0'+cents%100/10), byte('0'+cents%10))
	return append(b, ',')
}

func key(b []byte, k string) []byte {
	b = append(b, '"')
	b = append(b, k...)
	return append(b, `":`...)
}

// closeObj replaces a trailing comma with '}' (or closes an empty object).
func closeObj(b []byte) []byte {
	if b[len(b)-1] == ',' {
		b[len(b)-1] = '}'
		return b
	}
	return append(b, '}')
}

func closeArr(b []byte) []byte {
	if b[len(b)-1] == ',' {
		b[len(b)-1] = ']'
		return b
	}
	return append(b, ']')
}

// mix is splitmix64: stable pseudo-random fields for an object id, so the
// same product or order reads the same on every call.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

var tsBase = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

func kvTime(b []byte, k string, h uint64) []byte {
	b = key(b, k)
	b = append(b, '"')
	b = tsBase.Add(time.Duration(h%(300*86400))*time.Second).AppendFormat(b, time.RFC3339)
	return append(b, `",`...)
}

func appendProduct(b []byte, id int) []byte {
	h := mix(uint64(id))
	cat := categories[h%uint64(len(categories))]
	w1, w2 := words[(h>>8)%uint64(len(words))], words[(h>>16)%uint64(len(words))]
	b = append(b, '{')
	b = kvI(b, "id", id)
	b = key(b, "slug")
	b = append(b, '"')
	b = append(b, w1...)
	b = append(b, '-')
	b = append(b, w2...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `",`...)
	b = key(b, "name")
	b = append(b, '"')
	b = append(b, w1...)
	b = append(b, ' ')
	b = append(b, w2...)
	b = append(b, ' ')
	b = append(b, cat...)
	b = append(b, `",`...)
	b = key(b, "price")
	b = append(b, '{')
	b = kvMoney(b, "amount", int(199+(h>>24)%150000))
	b = kvS(b, "currency", "EUR")
	b = closeObj(b)
	b = append(b, ',')
	b = kvS(b, "category", cat)
	b = kvI(b, "stock", int((h>>40)%250))
	b = key(b, "rating")
	b = strconv.AppendFloat(b, 2.5+float64((h>>48)%25)/10, 'f', 1, 64)
	b = append(b, ',')
	b = key(b, "description")
	b = append(b, '"')
	n := 4 + int((h>>52)%60)
	for i := range n {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, words[mix(h+uint64(i))%uint64(len(words))]...)
	}
	b = append(b, `."`...)
	return closeObj(b)
}

// appendPage writes a product listing page; ids follow from page and seed.
func appendProductPage(b []byte, page, limit, total int, salt uint64) []byte {
	b = append(b, '{')
	b = kvI(b, "page", page)
	b = kvI(b, "limit", limit)
	b = kvI(b, "total", total)
	b = key(b, "items")
	b = append(b, '[')
	for i := range limit {
		id := (page-1)*limit + i + 1
		if id > total {
			break
		}
		if salt != 0 {
			id = 1 + int(mix(salt+uint64(id))%5000)
		}
		b = appendProduct(b, id)
		b = append(b, ',')
	}
	b = closeArr(b)
	b = append(b, ',')
	return closeObj(b)
}

func appendAddress(b []byte, k string, h uint64) []byte {
	b = key(b, k)
	b = append(b, '{')
	b = key(b, "street")
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(1+h%180), 10)
	b = append(b, " rue "...)
	b = append(b, lastNames[(h>>8)%uint64(len(lastNames))]...)
	b = append(b, `",`...)
	b = kvS(b, "city", []string{"Paris", "Lyon", "Lille", "Nantes", "Bordeaux", "Berlin", "Hamburg"}[(h>>16)%7])
	b = key(b, "zip")
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(10000+(h>>20)%89999), 10)
	b = append(b, `",`...)
	b = kvS(b, "country", "FR")
	b = closeObj(b)
	return append(b, ',')
}

func appendUser(b []byte, a *actor, full bool) []byte {
	b = append(b, '{')
	b = kvI(b, "id", a.userID)
	b = kvS(b, "username", a.username)
	b = kvS(b, "email", a.email)
	b = kvS(b, "phone", a.phone)
	b = key(b, "display_name")
	b = append(b, '"')
	b = append(b, a.first...)
	b = append(b, ' ')
	b = append(b, a.last...)
	b = append(b, `",`...)
	role := "customer"
	if a.kind == kindAdmin {
		role = "admin"
	}
	b = kvS(b, "role", role)
	if full {
		h := mix(uint64(a.userID))
		b = kvTime(b, "created_at", h)
		b = appendAddress(b, "address", h)
	}
	return closeObj(b)
}

func appendOrder(b []byte, id int, owner *actor, statusIdx uint64) []byte {
	h := mix(uint64(id) * 31)
	b = append(b, '{')
	b = kvI(b, "id", id)
	b = kvI(b, "user_id", owner.userID)
	b = kvS(b, "status", []string{"delivered", "shipped", "paid", "pending", "cancelled"}[(h+statusIdx)%5])
	b = key(b, "items")
	b = append(b, '[')
	total := 0
	for i := range 1 + int(h%4) {
		pid := 1 + int(mix(h+uint64(i))%5000)
		price := 299 + int(mix(uint64(pid))%40000)
		qty := 1 + i%2
		total += price * qty
		b = append(b, '{')
		b = kvI(b, "product_id", pid)
		b = kvI(b, "quantity", qty)
		b = kvMoney(b, "unit_price", price)
		b = closeObj(b)
		b = append(b, ',')
	}
	b = closeArr(b)
	b = append(b, ',')
	b = kvMoney(b, "total", total)
	b = kvS(b, "currency", "EUR")
	b = kvTime(b, "created_at", h)
	b = key(b, "shipping")
	b = append(b, '{')
	b = key(b, "name")
	b = append(b, '"')
	b = append(b, owner.first...)
	b = append(b, ' ')
	b = append(b, owner.last...)
	b = append(b, `",`...)
	b = appendAddress(b, "address", mix(uint64(owner.userID)))
	b = closeObj(b)
	b = append(b, ',')
	b = kvS(b, "email", owner.email)
	return closeObj(b)
}

func appendOrderSummary(b []byte, id int) []byte {
	h := mix(uint64(id) * 31)
	b = append(b, '{')
	b = kvI(b, "id", id)
	b = kvS(b, "status", []string{"delivered", "shipped", "paid", "pending", "cancelled"}[h%5])
	b = kvMoney(b, "total", 499+int(h%90000))
	b = kvTime(b, "created_at", h)
	return closeObj(b)
}

func appendError(b []byte, code, msg string, r *rand.Rand) []byte {
	b = append(b, '{')
	b = kvS(b, "error", code)
	b = kvS(b, "message", msg)
	b = key(b, "request_id")
	b = append(b, '"')
	b = appendUUID(b, r)
	b = append(b, `",`...)
	return closeObj(b)
}

func appendTransaction(b []byte, h uint64) []byte {
	b = append(b, '{')
	b = key(b, "id")
	b = append(b, '"')
	b = strconv.AppendUint(b, h%1e12, 36)
	b = append(b, `",`...)
	b = kvTime(b, "booked_at", h)
	amt := int(h>>20) % 250000
	if h&1 == 0 {
		amt = -amt
	}
	b = key(b, "amount")
	b = strconv.AppendFloat(b, float64(amt)/100, 'f', 2, 64)
	b = append(b, ',')
	b = kvS(b, "currency", "EUR")
	b = kvS(b, "counterparty", []string{"SNCF", "Carrefour", "Amazon EU", "Salary ACME SAS", "Netflix", "Boulangerie Paul", "EDF", "Uber"}[(h>>8)%8])
	return closeObj(b)
}

func appendAccount(b []byte, id int, a *actor) []byte {
	h := mix(uint64(id))
	b = append(b, '{')
	b = kvI(b, "id", id)
	b = kvS(b, "iban", a.iban)
	b = key(b, "owner")
	b = append(b, '"')
	b = append(b, a.first...)
	b = append(b, ' ')
	b = append(b, a.last...)
	b = append(b, `",`...)
	b = kvMoney(b, "balance", int(h%2000000))
	b = kvS(b, "currency", "EUR")
	b = kvS(b, "type", []string{"checking", "savings", "joint"}[h%3])
	return closeObj(b)
}

// maskedCard is what a PCI-compliant API returns: brand and last four only.
func appendMaskedCard(b []byte, pan string) []byte {
	b = key(b, "card")
	b = append(b, '{')
	b = kvS(b, "brand", "visa")
	b = kvS(b, "last4", pan[len(pan)-4:])
	b = kvS(b, "exp", "09/28")
	b = closeObj(b)
	return append(b, ',')
}
