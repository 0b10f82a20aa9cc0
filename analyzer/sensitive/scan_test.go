package sensitive

import (
	"slices"
	"testing"

	"github.com/apitap/apitap/internal/cputime"
)

func scanNames(s string) []string {
	var c Counts
	Scan([]byte(s), &c)
	return c.Names()
}

func TestPositives(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{`{"email":"alice.martin12@mail.example"}`, "email"},
		{`contact: Bob.O'Neil <bob+news@sub.example.co.uk>`, "email"},
		{`{"phone":"+33 6 12 34 56 78"}`, "phone"},
		{`{"contact":"+1 (415) 555-0132"}`, "phone"},
		{`{"mobile":"0612345678"}`, "phone"},
		{`phone=4155550132&x=1`, "phone"},
		{`{"card":"4111111111111111"}`, "card_number"},
		{`{"pan":"4111 1111 1111 1111"}`, "card_number"},
		{`{"pan":"5555-5555-5555-4444"}`, "card_number"},
		{`{"amex":"378282246310005"}`, "card_number"},
		{`{"card":{"number":4012888888881881}}`, "card_number"},
		{`{"card":"**** **** **** 1111"}`, "card_number"},
		{`{"iban":"DE89370400440532013000"}`, "iban"},
		{`{"iban":"GB82 WEST 1234 5698 7654 32"}`, "iban"},
		{`{"to_iban":"FR1420041010050500013M02606"}`, "iban"},
		{`{"ssn":"536-22-1234"}`, "us_ssn"},
		{`Authorization: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`, "jwt"},
		{`{"token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}`, "jwt"},
		{`aws_access_key_id = AKIAZ7RWQK3N5M2PLX4T`, "api_key"},
		{`{"key":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}`, "api_key"},
		{`{"t":"ghp_R3aLl9yR4nd0mT0k3nV4lu3xxQwErTy12345"}`, "api_key"},
		{`{"k":"AIzaSyD3x7Q9rT2mN8bV5cX1zL4kJ6hG0fD2sA9"}`, "api_key"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi1FoHpnYaVQeq5Mm3Xg0vHd6wq\n-----END RSA PRIVATE KEY-----", "private_key"},
		{`{"key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----"}`, "private_key"},
		{`{"client_ip":"203.0.113.54"}`, "ip_address"},
		{`X-Forwarded-For: 10.1.2.3, 192.168.0.1`, "ip_address"},
		{`{"date_of_birth":"1984-03-07"}`, "date_of_birth"},
		{`{"dob":"07/03/1984"}`, "date_of_birth"},
		{`birthDate=1990-12-31`, "date_of_birth"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			got := scanNames(tc.in)
			if !slices.Contains(got, tc.want) {
				t.Errorf("Scan(%q) = %v, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// TestNegatives holds look-alikes that a bare regular expression would
// report; none of them is sensitive data.
func TestNegatives(t *testing.T) {
	cases := []string{
		`{"order_id":4111111111111111}`,                // Luhn-valid digits named as an order id
		`{"order_number":"4000123412341234"}`,          // order number: Luhn fails anyway
		`{"tracking":"1Z999AA10123456784"}`,            // UPS tracking number
		`{"ref":"4000123412341235"}`,                   // 16 digits, Visa prefix, Luhn fails
		`{"n":"9111111111111111"}`,                     // Luhn-valid, no card network prefix
		`{"ts":1736067600000}`,                         // epoch milliseconds
		`{"n":"4444444444444444"}`,                     // one repeated digit
		`{"total":"1234567890123456.78"}`,              // a decimal
		`{"iban":"DE89370400440532013001"}`,            // IBAN with a bad check
		`{"acct":"XX89370400440532013000"}`,            // not a country
		`{"code":"DE8937040044"}`,                      // too short for DE
		`{"ssn":"000-12-3456"}`,                        // area 000
		`{"ssn":"666-12-3456"}`,                        // area 666
		`{"ssn":"912-12-3456"}`,                        // area 9xx (ITIN range)
		`{"ssn":"123-45-6789"}`,                        // advertising example
		`{"sku":"536-22-12345"}`,                       // longer than an SSN
		`{"version":"1.2.3.4.5"}`,                      // dotted version
		`{"v":"10.0.19045.3803"}`,                      // Windows build number
		`{"ip":"300.1.2.3"}`,                           // octet above 255
		`{"x":"v1.2.3.4"}`,                             // version with a prefix
		`{"created_at":"1984-03-07"}`,                  // a date that is not a birth date
		`{"dob":"2199-01-01"}`,                         // future date
		`{"dob":"1984-02-30"}`,                         // impossible date
		`{"phone_verified":true,"count":12345678}`,     // number not under the phone field
		`{"price":"+12.50"}`,                           // a signed amount
		`{"build":"+1234"}`,                            // too short for a phone
		`{"mail":"not-an-email@localhost"}`,            // no domain dot
		`{"mail":"user@example.c"}`,                    // one-letter TLD
		`{"handle":"@alice"}`,                          // social handle
		`{"token":"eyJub3QiOiJqd3QifQ"}`,               // one segment only
		`{"t":"eyJub3QiOiJqd3QifQ.eyJzdWIiOiJ4In0.x"}`, // header without alg
		`{"key":"AKIAIOSFODNN7EXAMPLE"}`,               // AWS documentation example
		`{"key":"AKIAAAAAAAAAAAAAAAAA"}`,               // no randomness
		`{"key":"sk_live_short"}`,                      // too short
		`-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA`, // public key
		`{"key":"-----BEGIN PRIVATE KEY-----"}`,                                    // header alone, no key material
		`{"masked":"**** 1111"}`,                                                   // too few stars to be a card mask
		`{"uuid":"550e8400-e29b-41d4-a716-446655440000"}`,                          // UUID digits
		`{"isbn":"978-3-16-148410-0"}`,                                             // ISBN
	}
	for _, in := range cases {
		got := scanNames(in)
		if len(got) != 0 {
			t.Errorf("Scan(%s) = %v, want nothing", in, got)
		}
	}
}

func TestCountsAndNames(t *testing.T) {
	var c Counts
	Scan([]byte(`[{"email":"a.b@x.example","card":"4111111111111111"},{"email":"c.d@y.example"}]`), &c)
	if c[Email] != 2 || c[Card] != 1 {
		t.Fatalf("counts = %v", c)
	}
	if got := c.Names(); !slices.Equal(got, []string{"email", "card_number"}) {
		t.Fatalf("names = %v", got)
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte(`{"email":"a@b.example","iban":"DE89370400440532013000","card":"4111 1111 1111 1111"}`))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\\nAAAA"))
	f.Add([]byte(`eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.`))
	f.Add([]byte(`phone=+33612345678&dob=1984-01-01`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Counts
		Scan(b, &c)
	})
}

func BenchmarkScan(b *testing.B) {
	body := []byte(`{"id":1042,"username":"alice.martin12","email":"alice.martin12@mail.example","phone":"+33 6 12 34 56 78","display_name":"Alice Martin","role":"customer","created_at":"2025-03-02T10:00:00Z","address":{"street":"12 rue de la Paix","city":"Paris","zip":"75002","country":"FR"},"items":[{"sku":"SKU-10423","qty":2,"price":{"amount":1999,"currency":"EUR"}}],"card":"**** **** **** 1111","iban":"DE89370400440532013000"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var c Counts
	cpu0 := cputime.Process()
	for b.Loop() {
		Scan(body, &c)
	}
	// The machine is shared: CPU time, not wall time, tells the cost.
	b.ReportMetric(float64(b.N*len(body))/1e6/(cputime.Process()-cpu0).Seconds(), "MB/cpu-s")
}
