package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/apicall"
)

// TestSASL produces and consumes through a broker that requires each
// SASL mechanism, and fails with a wrong password.
func TestSASL(t *testing.T) {
	for _, mech := range []string{SASLPlain, SASLScramSHA256, SASLScramSHA512} {
		t.Run(mech, func(t *testing.T) {
			cl := newCluster(t, 1, kfake.EnableSASL(), kfake.Superuser(mech, "agent", "s3cret"))
			cfg := testProducerConfig(cl.ListenAddrs())
			cfg.SASL = SASLConfig{Mechanism: mech, Username: "agent", Password: "s3cret"}
			roundTripWith(t, cfg, "sasl-"+mech)

			bad := cfg
			bad.SASL.Password = "wrong"
			p, err := NewProducer(bad, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Consume(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			_ = p.Consume(context.Background(), []apicall.Call{testCall(1)})
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := p.Close(ctx); err == nil || p.Stats().Delivered != 0 {
				t.Errorf("a wrong password delivered %d calls (close: %v)", p.Stats().Delivered, err)
			}
		})
	}
}

// TestTLS produces and consumes over TLS with a CA file and a client
// certificate the broker requires.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := selfSigned(t, "apitap test CA", nil, nil, true)
	srv, srvKey := selfSigned(t, "127.0.0.1", ca, caKey, false)
	cli, cliKey := selfSigned(t, "agent", ca, caKey, false)
	write := func(name string, der []byte, typ string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		b, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	caFile := write("ca.pem", ca.Raw, "CERTIFICATE")
	certFile := write("client.pem", cli.Raw, "CERTIFICATE")
	keyFile := write("client-key.pem", keyDER(cliKey), "EC PRIVATE KEY")

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	var clientCerts atomic.Int64
	srvTLS := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{srv.Raw}, PrivateKey: srvKey}},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no client certificate")
			}
			clientCerts.Add(1)
			return nil
		},
	}
	cl := newCluster(t, 1, kfake.TLS(srvTLS))
	cfg := testProducerConfig(cl.ListenAddrs())
	cfg.TLS = TLSConfig{Enable: true, CAFile: caFile, CertFile: certFile, KeyFile: keyFile}
	roundTripWith(t, cfg, "tls")
	if clientCerts.Load() == 0 {
		t.Errorf("the broker saw no client certificate")
	}

	cfg.TLS = TLSConfig{Enable: true, CAFile: filepath.Join(dir, "missing.pem")}
	if _, err := NewProducer(cfg, nil, nil); err == nil {
		t.Errorf("a missing CA file was accepted")
	}
}

// roundTripWith produces 100 calls with cfg and reads them back with a
// consumer using the same connection settings.
func roundTripWith(t *testing.T, cfg ProducerConfig, group string) {
	t.Helper()
	p, err := NewProducer(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls []apicall.Call
	for i := range 100 {
		calls = append(calls, testCall(i))
	}
	if err := p.Consume(context.Background(), calls); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("produce: %v (%+v)", err, p.Stats())
	}
	ccfg := testConsumerConfig(cfg.Brokers, group)
	ccfg.Conn = cfg.Conn
	col := newCollector()
	c, err := NewConsumer(ccfg, col, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	defer stop()
	col.waitFor(t, 100, 20*time.Second)
}

func selfSigned(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        isCA, BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(cn); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
