package e2e

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The traffic of TestRealCaptureOverVeth: what the clients send, what the
// server answers, and the secrets that must not leave the agent.

// Secrets sent by the clients.
const (
	apiKeyGo      = "sk_live_4f1c9a7e2b6d8c3f5a0e9b17"
	apiKeyCurl    = "sk_live_9d2e7b4a1c8f6e3d0b5a7c24"
	alicePassword = "Tr0ub4dor&3-alice-e2e"
	carolPassword = "correct horse battery staple e2e"
	wrongPassword = "not-the-password-e2e"
	bobPassword   = "hunter2-bob-basic-e2e"
	davePassword  = "dave-Pa55w0rd-basic-e2e"
	clientSession = "s3ss10n-7f9c2a4e8b1d6f3a0c5e"
	themeCookie   = "theme-cookie-value-e2e"
)

// users are the accounts POST /api/login accepts.
var users = map[string]string{"alice": alicePassword, "carol": carolPassword}

// sentPasswords are every password value a client sent.
var sentPasswords = []string{alicePassword, carolPassword, wrongPassword, bobPassword, davePassword}

// client says which client sends a request.
type client int

const (
	goKeepAlive client = iota // Go client, every request on one connection
	goClose                   // Go client with DisableKeepAlives
	curl                      // one curl process per request
)

func (c client) String() string {
	return [...]string{"go-keepalive", "go-close", "curl"}[c]
}

// request is one planned request and the answer the server gives it.
type request struct {
	client  client
	method  string
	path    string
	query   string
	headers [][2]string // request headers beyond the client's own
	body    string
	curl    []string // extra curl arguments (curl only)
	status  int      // the status the server answers
	actor   string   // expected actor kind; user is checked by kind
	proto   string   // expected protocol; "" means HTTP/1.1
}

func (r *request) target() string {
	if r.query != "" {
		return r.path + "?" + r.query
	}
	return r.path
}

func (r *request) key() string { return exchangeKey(r.method, r.path, r.query) }

// exchangeKey names a request by method, path and query, kept apart so a
// query that lands in the path does not go unnoticed.
func exchangeKey(method, path, query string) string {
	if query != "" {
		return method + " " + path + " ?" + query
	}
	return method + " " + path
}

// plan returns every request the clients make, in order per client. Each
// (method, target) is unique so a call can be matched to its request.
func plan() []request {
	jwt := [2]string{"Authorization", "Bearer " + jwtFor("alice")}
	keyGo := [2]string{"X-API-Key", apiKeyGo}
	keyCurl := [2]string{"X-API-Key", apiKeyCurl}
	asJSON := [2]string{"Content-Type", "application/json"}
	octets := [2]string{"Content-Type", "application/octet-stream"}
	expect := [2]string{"Expect", "100-continue"}
	return []request{
		{client: goKeepAlive, method: "GET", path: "/api/orders/1", headers: [][2]string{jwt}, status: 200, actor: "jwt"},
		{client: goKeepAlive, method: "GET", path: "/api/orders/2", query: "expand=items&fields=id,qty", headers: [][2]string{jwt}, status: 200, actor: "jwt"},
		{client: goKeepAlive, method: "POST", path: "/api/login", headers: [][2]string{asJSON}, body: loginBody("alice", alicePassword), status: 200, actor: "anonymous"},
		{client: goKeepAlive, method: "GET", path: "/api/stream", headers: [][2]string{keyGo}, status: 200, actor: "apikey"},
		{client: goKeepAlive, method: "GET", path: "/api/report", headers: [][2]string{keyGo}, status: 200, actor: "apikey"},
		{client: goKeepAlive, method: "DELETE", path: "/api/orders/3", headers: [][2]string{jwt}, status: 204, actor: "jwt"},
		{client: goKeepAlive, method: "GET", path: "/api/nope", status: 404, actor: "anonymous"},
		{client: goKeepAlive, method: "HEAD", path: "/api/health", status: 200, actor: "anonymous"},
		{client: goKeepAlive, method: "GET", path: "/api/orders/4", headers: [][2]string{basic("bob", bobPassword)}, status: 200, actor: "basic"},
		{client: goKeepAlive, method: "GET", path: "/api/orders/5", headers: [][2]string{{"Cookie", "session=" + clientSession + "; theme=" + themeCookie}}, status: 200, actor: "session"},
		{client: goKeepAlive, method: "POST", path: "/api/upload", query: "client=go", headers: [][2]string{jwt, octets, expect}, body: uploadBody(), status: 201, actor: "jwt"},

		{client: goClose, method: "GET", path: "/api/orders/6", headers: [][2]string{jwt}, status: 200, actor: "jwt"},
		{client: goClose, method: "POST", path: "/api/login", query: "attempt=2", headers: [][2]string{asJSON}, body: loginBody("carol", wrongPassword), status: 401, actor: "anonymous"},
		{client: goClose, method: "GET", path: "/api/orders/7", query: "page=2", headers: [][2]string{keyCurl}, status: 200, actor: "apikey"},
		{client: goClose, method: "GET", path: "/api/stream", query: "client=go-close", status: 200, actor: "anonymous"},

		{client: curl, method: "GET", path: "/api/orders/10", headers: [][2]string{jwt}, status: 200, actor: "jwt"},
		{client: curl, method: "POST", path: "/api/login", query: "client=curl", headers: [][2]string{asJSON}, body: loginBody("carol", carolPassword), status: 200, actor: "anonymous"},
		{client: curl, method: "GET", path: "/api/report", query: "client=curl", headers: [][2]string{keyCurl}, curl: []string{"--compressed"}, status: 200, actor: "apikey"},
		{client: curl, method: "POST", path: "/api/upload", query: "client=curl", headers: [][2]string{octets, expect}, body: uploadBody(), status: 201, actor: "anonymous"},
		{client: curl, method: "HEAD", path: "/api/health", query: "client=curl", curl: []string{"-I"}, status: 200, actor: "anonymous"},
		{client: curl, method: "GET", path: "/api/orders/11", curl: []string{"--http1.0"}, status: 200, actor: "anonymous", proto: "HTTP/1.0"},
		{client: curl, method: "GET", path: "/api/orders/12", curl: []string{"-u", "dave:" + davePassword}, status: 200, actor: "basic"},
		{client: curl, method: "GET", path: "/api/stream", query: "client=curl", status: 200, actor: "anonymous"},
		{client: curl, method: "GET", path: "/api/missing", query: "client=curl", status: 404, actor: "anonymous"},
	}
}

// jwtFor builds an unsigned-looking HS256 JWT for sub: the signature is a
// hash, not a MAC, since apitap decodes tokens and never verifies them.
func jwtFor(sub string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload := enc.EncodeToString([]byte(fmt.Sprintf(
		`{"sub":%q,"iss":"https://idp.e2e.test","roles":["customer"],"exp":2000000000}`, sub)))
	sig := sha256.Sum256([]byte(header + "." + payload))
	return header + "." + payload + "." + enc.EncodeToString(sig[:])
}

func basic(user, password string) [2]string {
	return [2]string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}
}

func loginBody(user, password string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": password})
	return string(b)
}

// sessionFor is the session cookie the server sets for a user.
func sessionFor(user string) string {
	h := sha256.Sum256([]byte("e2e-session:" + user))
	return "srv-" + hex.EncodeToString(h[:12])
}

func orderBody(id string) string {
	return fmt.Sprintf(`{"id":%q,"item":"widget-%s","qty":2}`, id, id)
}

// streamChunks are written and flushed one by one, so the response is
// chunked and spread over several segments.
func streamChunks() []string {
	var out []string
	for i := range 6 {
		out = append(out, fmt.Sprintf(`{"seq":%d,"data":"%s"}`+"\n", i, strings.Repeat(string(rune('a'+i)), 100*(i+1))))
	}
	return out
}

func streamBody() string { return strings.Join(streamChunks(), "") }

// reportBody is served gzip-compressed.
func reportBody() string {
	var rows []string
	for i := range 40 {
		rows = append(rows, fmt.Sprintf(`{"day":"2026-01-%02d","orders":%d,"revenue":%d.50}`, i%28+1, 100+i, 1000*i))
	}
	return `{"report":"daily","rows":[` + strings.Join(rows, ",") + `]}`
}

func uploadBody() string { return strings.Repeat("0123456789abcdef", 128) }

// TestHelperServer is the HTTP server of TestRealCaptureOverVeth, run by
// the re-executed test binary inside the server namespace.
func TestHelperServer(t *testing.T) {
	if os.Getenv(helperEnv) != "server" {
		return
	}
	ln, err := net.Listen("tcp", os.Getenv("APITAP_E2E_LISTEN"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: serverMux(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	srv.Close()
}

func serverMux() *http.ServeMux {
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	mux.HandleFunc("GET /api/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, orderBody(r.PathValue("id")))
	})
	mux.HandleFunc("DELETE /api/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Username, Password string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, `{"error":"bad json"}`)
			return
		}
		if p, ok := users[req.Username]; !ok || p != req.Password {
			writeJSON(w, http.StatusUnauthorized, `{"error":"invalid credentials"}`)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: sessionFor(req.Username), Path: "/", HttpOnly: true})
		b, _ := json.Marshal(map[string]string{"token": jwtFor(req.Username), "user": req.Username})
		writeJSON(w, http.StatusOK, string(b))
	})
	mux.HandleFunc("GET /api/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		for _, c := range streamChunks() {
			io.WriteString(w, c)
			http.NewResponseController(w).Flush()
			time.Sleep(5 * time.Millisecond)
		}
	})
	mux.HandleFunc("GET /api/report", func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		io.WriteString(zw, reportBody())
		zw.Close()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(buf.Len()))
		w.Write(buf.Bytes())
	})
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"status":"ok"}`)
	})
	mux.HandleFunc("POST /api/upload", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || string(b) != uploadBody() {
			writeJSON(w, http.StatusBadRequest, `{"error":"bad upload"}`)
			return
		}
		writeJSON(w, http.StatusCreated, fmt.Sprintf(`{"received":%d}`, len(b)))
	})
	return mux
}

// TestHelperClient makes the Go client requests of the plan, run by the
// re-executed test binary inside the client namespace. It fails when the
// server answers a status the plan does not expect or when keep-alive
// requests do not share one connection.
func TestHelperClient(t *testing.T) {
	if os.Getenv(helperEnv) != "client" {
		return
	}
	base := os.Getenv("APITAP_E2E_URL")
	keepAlive := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxConnsPerHost: 1, ExpectContinueTimeout: 5 * time.Second,
	}}
	closing := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true, ExpectContinueTimeout: 5 * time.Second,
	}}
	n := 0
	for _, r := range plan() {
		c := keepAlive
		switch r.client {
		case goClose:
			c = closing
		case curl:
			continue
		}
		var body io.Reader
		if r.body != "" {
			body = strings.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(t.Context(), r.method, base+r.target(), body)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range r.headers {
			req.Header.Set(h[0], h[1])
		}
		var reused bool
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		}))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", r.key(), err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: read body: %v", r.key(), err)
		}
		if resp.StatusCode != r.status {
			t.Errorf("%s: status %d, want %d: %s", r.key(), resp.StatusCode, r.status, got)
		}
		if r.client == goKeepAlive {
			if n > 0 && !reused {
				t.Errorf("%s: keep-alive request on a new connection", r.key())
			}
			n++
		}
	}
}
