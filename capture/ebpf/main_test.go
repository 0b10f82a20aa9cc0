package ebpf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// helperEnv makes the test binary serve HTTP on the address it names
// instead of running tests (it is re-executed inside a network namespace).
const helperEnv = "APITAP_EBPF_TEST_SERVER"

// tlsHelperEnv does the same with HTTPS (Go crypto/tls, self-signed).
const tlsHelperEnv = "APITAP_EBPF_TEST_TLS_SERVER"

func TestMain(m *testing.M) {
	if addr := os.Getenv(tlsHelperEnv); addr != "" {
		cert, err := selfSigned()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		ln, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ready")
		srv := &http.Server{Handler: testMux(), ReadHeaderTimeout: 5 * time.Second}
		_ = srv.Serve(ln)
		os.Exit(0)
	}
	if addr := os.Getenv(helperEnv); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ready")
		srv := &http.Server{Handler: testMux(), ReadHeaderTimeout: 5 * time.Second}
		_ = srv.Serve(ln)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// selfSigned makes a certificate for localhost.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
