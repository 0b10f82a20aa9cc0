package detect

import (
	"slices"
	"testing"
)

func TestSensitiveClasses(t *testing.T) {
	for _, tc := range []struct {
		in      string
		withPII bool
		want    []string
	}{
		{`{"card":"4111111111111111"}`, false, []string{"card"}},
		{`{"n":4111111111111112}`, false, nil}, // Luhn fails
		{`{"card":"************1111"}`, false, []string{"card"}},
		{`{"card":"**** **** **** 1111"}`, false, []string{"card"}},
		{`{"ts":1700000000000,"id":"ab4111111111111111"}`, false, nil}, // not a card prefix; glued to letters
		{`{"ssn":"123-45-6789"}`, false, []string{"ssn"}},
		{`{"phone":"+33 6 12 34 56 78","date":"2026-01-05"}`, false, nil},
		{`-----BEGIN RSA PRIVATE KEY-----`, false, []string{"private_key"}},
		{`{"k":"AKIAABCDEFGHIJKLMNOP"}`, false, []string{"cloud_key"}},
		{`{"h":"$2b$10$abcdefghijklmnopqrstuv"}`, false, []string{"password_hash"}},
		{`{"email":"ann@mail.example","iban":"DE89370400440532013000"}`, true, []string{"email", "iban"}},
		{`{"email":"ann@mail.example"}`, false, nil},
		{`{"padding":"xxxxxxxxxx","card":"5500000000000004","more":"yyyyyyyyyyyy"}`, false, []string{"card"}},
	} {
		if got := classList(sensitiveClasses([]byte(tc.in), tc.withPII)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFallbackTemplate(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v2/orders/200123":                                 "/api/v2/orders/{id}",
		"/api/v2/payments/3f2c9a1e-1b2c-4d5e-8f90-1234567890ab": "/api/v2/payments/{id}",
		"/api/v2/products":                                      "/api/v2/products",
		"/api/v2/profiles/alice.martin12":                       "/api/v2/profiles/{id}",
		"/accounts/5000003/transactions":                        "/accounts/{id}/transactions",
		"/":                                                     "/",
	} {
		if got := FallbackTemplate(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	if id := objectID("/accounts/5000003/transactions", "/accounts/{accountId}/transactions"); id != "5000003" {
		t.Errorf("object id %q", id)
	}
}

func TestInternalURL(t *testing.T) {
	for in, bad := range map[string]bool{
		"http://169.254.169.254/latest/meta-data/": true, "http://metadata.google.internal/x": true,
		"http://127.0.0.1:8080/admin": true, "http://[::1]:9200/": true, "file:///etc/passwd": true,
		"gopher://127.0.0.1:11211/": true, "http://10.0.2.10/keys": true, "http://2130706433/": true,
		"https://blog.example/post": false, "https://8.8.8.8/": false, "mailto:a@b.c": false,
	} {
		if got := internalURL(in) != ""; got != bad {
			t.Errorf("%s: internal %v, want %v", in, got, bad)
		}
	}
}

// FuzzScan holds the line that network input never panics the scanners.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`{"a":"b","c":[1,{"d":"e\\u0041"}]}`, `a=b&c=%41+d`, `{"x":`, `"\`, `{]}`, "4111111111111111", "123-45-6789"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		jsonFields(b, func(field) {})
		formFields(string(b), func(field) {})
		sensitiveClasses(b, true)
		_ = injectionKind(string(b))
		_ = internalURL(string(b))
		_ = FallbackTemplate(string(b))
		_ = objectID(string(b), "/a/{x}/b")
		_ = charClasses(string(b))
		_ = secretQueryKey(string(b))
	})
}
