package detect

import (
	"fmt"
	"testing"

	"github.com/apitap/apitap/apicall"
)

// Each detector fires on its pattern and stays quiet on a near miss. The
// cases share benign background traffic where a baseline is needed.

func TestDetectors(t *testing.T) {
	bg := browse(6, 1800, "/orders", "/users/me", "/products/7")
	ip := func(i int) string { return fmt.Sprintf("192.168.9.%d", 2+i%250) }
	type tc struct {
		name  string
		typ   string
		fire  []*apicall.Call
		quiet []*apicall.Call
	}
	var cases []tc

	// BOLA: 40 distinct orders, most refused; near miss: 20 own orders, all 200.
	{
		var fire, quiet []*apicall.Call
		for i := range 40 {
			st := 403
			if i%4 == 0 {
				st = 200
			}
			fire = append(fire, mk(1000+float64(i)*3, "mallory", "172.16.5.5", "GET", fmt.Sprintf("/orders/%d", 5000+i), st))
			if i < 20 {
				quiet = append(quiet, mk(1000+float64(i)*3, "alice", "172.16.5.6", "GET", fmt.Sprintf("/orders/%d", 7000+i), 200))
			}
		}
		cases = append(cases, tc{"bola", BOLA, fire, quiet})
	}
	// Credential stuffing: 20 accounts failing from rotating IPs; near miss: 5 typos then success.
	{
		var fire, quiet []*apicall.Call
		for i := range 20 {
			fire = append(fire, withBody(mk(1000+float64(i)*2, "", ip(i/3), "POST", "/login", 401), "application/json", fmt.Sprintf(`{"username":"victim%d@mail.test","password":"[REDACTED]"}`, i)))
		}
		for i := range 5 {
			quiet = append(quiet, withBody(mk(1000+float64(i)*30, "", ip(50+i), "POST", "/login", 401), "application/json", fmt.Sprintf(`{"username":"u%d@mail.test","password":"x"}`, i)))
			quiet = append(quiet, withBody(mk(1010+float64(i)*30, "", ip(50+i), "POST", "/login", 200), "application/json", fmt.Sprintf(`{"username":"u%d@mail.test","password":"x"}`, i)))
		}
		cases = append(cases, tc{"credential stuffing", CredentialStuffing, fire, quiet})
	}
	// Brute force: 12 failures on one account; near miss: 3.
	{
		var fire, quiet []*apicall.Call
		for i := range 12 {
			c := withBody(mk(1000+float64(i)*5, "", "192.168.7.7", "POST", "/login", 401), "application/json", `{"username":"bob@mail.test","password":"x"}`)
			fire = append(fire, c)
			if i < 3 {
				quiet = append(quiet, c)
			}
		}
		cases = append(cases, tc{"brute force", BruteForce, fire, quiet})
	}
	// OTP brute force: 12 wrong codes for one challenge.
	{
		var fire, quiet []*apicall.Call
		for i := range 12 {
			c := withBody(mk(1000+float64(i)*2, "", "192.168.7.8", "POST", "/otp/verify", 401), "application/json", fmt.Sprintf(`{"challenge_id":"ch-1","code":"%06d"}`, i))
			fire = append(fire, c)
			if i < 2 {
				quiet = append(quiet, c)
			}
		}
		cases = append(cases, tc{"otp brute force", BruteForce, fire, quiet})
	}
	// Session anomaly: one token from 5 IPs in minutes; near miss: 2 IPs.
	{
		var fire, quiet []*apicall.Call
		for i := range 10 {
			fire = append(fire, mk(1000+float64(i)*10, "carol", ip(100+i%5), "GET", "/users/me", 200))
			quiet = append(quiet, mk(1000+float64(i)*10, "dave", ip(120+i%2), "GET", "/users/me", 200))
		}
		cases = append(cases, tc{"session anomaly", SessionAnomaly, fire, quiet})
	}
	// Weak auth: alg none; near miss: HS256 with expiry.
	{
		c := mk(1000, "erin", "172.16.3.3", "GET", "/orders", 200)
		c.Actor.Alg = "none"
		cases = append(cases, tc{"weak auth", WeakAuthentication, []*apicall.Call{c}, []*apicall.Call{mk(1000, "erin", "172.16.3.3", "GET", "/orders", 200)}})
		b := mk(1000, "", "172.16.3.4", "GET", "/orders", 200)
		b.Actor.Kind, b.Actor.User = apicall.ActorBasic, "basic:1234"
		cases = append(cases, tc{"weak auth basic", WeakAuthentication, []*apicall.Call{b}, nil})
	}
	// Unauthenticated access: 200 to an anonymous call on an authenticated
	// endpoint; near miss: 401.
	cases = append(cases, tc{"unauthenticated", UnauthenticatedAccess,
		[]*apicall.Call{mk(1700, "", "192.168.8.8", "GET", "/orders", 200)},
		[]*apicall.Call{mk(1700, "", "192.168.8.8", "GET", "/orders", 401)}})
	// Sensitive data: a full (edge-masked) card where only last4 was usual.
	{
		var warm []*apicall.Call
		for i := range 40 {
			warm = append(warm, withResp(mk(10+float64(i)*20, "user-1", "172.16.0.11", "GET", fmt.Sprintf("/payments/%d", i), 200), "application/json", `{"card":{"brand":"visa","last4":"1111"}}`))
		}
		fire := append(warm[:len(warm):len(warm)], withResp(mk(1000, "frank", "172.16.9.9", "GET", "/payments/99?expand=card", 200), "application/json", `{"card":{"number":"************1111"}}`))
		quiet := append(warm[:len(warm):len(warm)], withResp(mk(1000, "frank", "172.16.9.9", "GET", "/payments/99", 200), "application/json", `{"card":{"last4":"1111"}}`))
		cases = append(cases, tc{"sensitive", SensitiveData, fire, quiet})
	}
	// Mass assignment: a role property never seen in successful writes.
	{
		var warm []*apicall.Call
		for i := range 40 {
			warm = append(warm, withBody(mk(10+float64(i)*20, "user-2", "172.16.0.12", "PATCH", "/users/me", 200), "application/json", `{"display_name":"A","locale":"fr"}`))
		}
		fire := append(warm[:len(warm):len(warm)], withBody(mk(1000, "gina", "172.16.9.8", "PATCH", "/users/me", 200), "application/json", `{"display_name":"G","role":"admin"}`))
		quiet := append(warm[:len(warm):len(warm)], withBody(mk(1000, "gina", "172.16.9.8", "PATCH", "/users/me", 422), "application/json", `{"display_name":"G","role":"admin"}`),
			withBody(mk(1001, "gina", "172.16.9.8", "PATCH", "/users/me", 200), "application/json", `{"locale":"de"}`))
		cases = append(cases, tc{"mass assignment", MassAssignment, fire, quiet})
	}
	// Rate: a warm actor suddenly at 200 calls a minute; near miss: a new
	// busy account at a steady 150 a minute.
	{
		var warm, fire, quiet []*apicall.Call
		for i := range 60 {
			warm = append(warm, mk(float64(i)*25, "henry", "172.16.4.4", "GET", "/cart", 200))
		}
		fire = append(fire, warm...)
		for i := range 200 {
			fire = append(fire, mk(1600+float64(i)*0.3, "henry", "172.16.4.4", "GET", "/cart", 200))
		}
		for i := range 1500 {
			quiet = append(quiet, mk(float64(i)*0.4, "svc", "172.20.0.9", "GET", "/orders?status=pending", 200))
		}
		cases = append(cases, tc{"rate", RateAnomaly, fire, quiet})
	}
	// Function-level authz: a customer gets 2xx from an admin-only endpoint.
	{
		var warm []*apicall.Call
		for i := range 40 {
			warm = append(warm, withRole(mk(10+float64(i)*20, "admin-1", "172.16.0.2", "GET", "/admin/users", 200), "admin"))
		}
		cases = append(cases, tc{"function level", FunctionLevelAuthz,
			append(warm[:len(warm):len(warm)], mk(1000, "ivan", "172.16.9.7", "GET", "/admin/users", 200)),
			append(warm[:len(warm):len(warm)], mk(1000, "ivan", "172.16.9.7", "GET", "/admin/users", 403))})
	}
	// Scraping: pages 1..120 at a metronomic pace; near miss: a human
	// reading 120 product pages at irregular intervals.
	{
		var fire, quiet []*apicall.Call
		gap := 0.0
		for i := range 120 {
			fire = append(fire, mk(1000+float64(i)*1.2+float64(i%3)*0.005, "", "192.168.6.6", "GET", fmt.Sprintf("/products?page=%d&limit=50", i+1), 200))
			gap += 0.5 + float64((i*7919)%13)
			quiet = append(quiet, mk(1000+gap*0.3, "", "192.168.6.7", "GET", fmt.Sprintf("/products?page=%d", 1+i%3), 200))
		}
		cases = append(cases, tc{"scraping", Scraping, fire, quiet})
	}
	// Password reset abuse: resets for 10 accounts; near miss: one's own.
	{
		var fire []*apicall.Call
		for i := range 10 {
			fire = append(fire, withBody(mk(1000+float64(i)*3, "", "192.168.5.5", "POST", "/password/reset", 202), "application/json", fmt.Sprintf(`{"email":"v%d@mail.test"}`, i)))
		}
		cases = append(cases, tc{"password reset", PasswordResetAbuse, fire,
			[]*apicall.Call{withBody(mk(1000, "", "192.168.5.6", "POST", "/password/reset", 202), "application/json", `{"email":"me@mail.test"}`)}})
	}
	// Business flow: payments without the order step that precedes them.
	{
		var warm []*apicall.Call
		for i := range 40 {
			u := fmt.Sprintf("buyer-%d", i)
			warm = append(warm, mk(10+float64(i)*20, u, "172.16.1.1", "POST", "/orders", 201), mk(15+float64(i)*20, u, "172.16.1.1", "POST", "/payments", 201))
		}
		var fire, quiet []*apicall.Call
		for i := range 4 {
			fire = append(fire, mk(1000+float64(i)*20, "judy", "172.16.9.6", "POST", "/payments", 422))
			quiet = append(quiet, mk(1000+float64(i)*20, "kim", "172.16.9.5", "POST", "/orders", 201), mk(1005+float64(i)*20, "kim", "172.16.9.5", "POST", "/payments", 201))
		}
		cases = append(cases, tc{"business flow", BusinessFlow, merge(warm, fire), merge(warm, quiet)})
	}
	// SSRF, misconfiguration, injection, third party: per call.
	cases = append(cases, tc{"ssrf", SSRF,
		[]*apicall.Call{mk(1000, "leo", "172.16.9.4", "GET", "/link-preview?url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F", 200)},
		[]*apicall.Call{mk(1000, "leo", "172.16.9.4", "GET", "/link-preview?url=https%3A%2F%2Fblog.example%2Fpost", 200)}})
	cases = append(cases, tc{"misconfiguration", Misconfiguration,
		[]*apicall.Call{withResp(mk(1000, "mia", "172.16.9.3", "GET", "/gift/GC1", 500), "text/plain", "java.lang.NullPointerException\n\tat java.lang.Thread.run(Thread.java:833)")},
		[]*apicall.Call{withResp(mk(1000, "mia", "172.16.9.3", "GET", "/gift/GC1", 500), "application/json", `{"error":"internal_error"}`)}})
	cases = append(cases, tc{"injection sqli", Injection,
		[]*apicall.Call{mk(1000, "", "192.168.4.4", "GET", "/search?q=1%27%20OR%20%271%27%3D%271", 200)},
		[]*apicall.Call{mk(1000, "", "192.168.4.4", "GET", "/search?q=usb-c+cable&limit=20", 200)}})
	cases = append(cases, tc{"injection xss", Injection,
		[]*apicall.Call{withBody(mk(1000, "ned", "172.16.9.2", "POST", "/reviews", 201), "application/json", `{"text":"<script>alert(1)</script>"}`)},
		[]*apicall.Call{withBody(mk(1000, "ned", "172.16.9.2", "POST", "/reviews", 201), "application/json", `{"text":"5 > 3 and I <3 it"}`)}})
	{
		ext := withBody(mk(1000, "", "10.0.1.20", "POST", "/v1/events", 202), "application/json", `{"event":"signup","properties":{"email":"ann.lee@mail.example"}}`)
		ext.Server = netipAP("203.0.113.50:443")
		noPII := withBody(mk(1000, "", "10.0.1.20", "POST", "/v1/events", 202), "application/json", `{"event":"signup","properties":{"user":"9f2c"}}`)
		noPII.Server = netipAP("203.0.113.50:443")
		internal := withBody(mk(1001, "", "10.0.1.20", "POST", "/v1/events", 202), "application/json", `{"email":"ann.lee@mail.example"}`)
		cases = append(cases, tc{"third party", ThirdPartyFlow, []*apicall.Call{ext}, []*apicall.Call{noPII, internal}})
	}
	// Anomalous behavior: a warm actor sweeps endpoints it never used, refused.
	{
		var warm, fire, quiet []*apicall.Call
		for i := range 120 {
			warm = append(warm, mk(float64(i)*60, "olga", "172.16.2.2", "GET", []string{"/cart", "/orders"}[i%2], 200))
		}
		fire, quiet = append(fire, warm...), append(quiet, warm...)
		areas := []string{"accounts", "admin", "billing", "config", "debug", "exports", "invoices", "keys", "logs", "reports", "staff", "tenants"}
		for i, a := range areas {
			fire = append(fire, mk(7300+float64(i)*5, "olga", "172.16.2.2", "GET", "/"+a+"/list", 403))
			quiet = append(quiet, mk(7300+float64(i)*5, "olga", "172.16.2.2", "GET", "/"+areas[i%4]+"/list", 200))
		}
		cases = append(cases, tc{"anomalous", AnomalousBehavior, fire, quiet})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := run(t, nil, merge(bg, c.fire))
			if count(fs, c.typ) == 0 {
				t.Errorf("pattern: no %s finding; got %v", c.typ, types(fs))
			}
			if c.quiet == nil {
				return
			}
			fs = run(t, nil, merge(bg, c.quiet))
			if n := count(fs, c.typ); n != 0 {
				t.Errorf("near miss: %d %s findings: %+v", n, c.typ, fs)
			}
		})
	}
}
