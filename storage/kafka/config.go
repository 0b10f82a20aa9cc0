package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// DefaultTopic is the topic of API calls (DESIGN.md).
const DefaultTopic = "apitap.calls.v1"

// Record headers.
const (
	// HeaderSchema carries the wire format version, "MAJOR.MINOR".
	HeaderSchema = "apitap-schema"
	// HeaderNode carries the node name of the agent that captured the call.
	HeaderNode = "apitap-node"
)

// Conn is how to reach the brokers; producer and consumer share it.
type Conn struct {
	// Brokers are bootstrap addresses, host:port. Required.
	Brokers []string
	// TLS, when Enable is set, encrypts connections to the brokers.
	TLS TLSConfig
	// SASL authenticates to the brokers when Mechanism is set.
	SASL SASLConfig
	// DialTimeout bounds connecting to a broker. Default 10s.
	DialTimeout time.Duration
}

// TLSConfig configures TLS to the brokers.
type TLSConfig struct {
	Enable bool
	// CAFile is a PEM bundle of CAs to trust; empty means the system roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key (mutual TLS);
	// both or neither.
	CertFile, KeyFile string
	// ServerName overrides the name checked in the broker's certificate.
	ServerName string
	// InsecureSkipVerify disables certificate checks (tests only).
	InsecureSkipVerify bool
}

// SASL mechanisms.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// SASLConfig configures SASL authentication.
type SASLConfig struct {
	// Mechanism is "" (none), PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string
	Username  string
	Password  string
}

func (c *Conn) validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("brokers: at least one host:port is required"))
	}
	for _, b := range c.Brokers {
		if b == "" || !strings.Contains(b, ":") {
			errs = append(errs, fmt.Errorf("brokers: %q is not host:port", b))
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls: give both the client certificate and its key, or neither"))
	}
	if (c.TLS.CAFile != "" || c.TLS.CertFile != "") && !c.TLS.Enable {
		errs = append(errs, errors.New("tls: CA or client certificate given but TLS is not enabled"))
	}
	switch c.SASL.Mechanism {
	case "":
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if c.SASL.Username == "" {
			errs = append(errs, fmt.Errorf("sasl %s: a username is required", c.SASL.Mechanism))
		}
	default:
		errs = append(errs, fmt.Errorf("sasl mechanism: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", c.SASL.Mechanism))
	}
	if c.DialTimeout < 0 {
		errs = append(errs, errors.New("dial timeout: must not be negative"))
	}
	return errors.Join(errs...)
}

// tlsConfig loads the TLS files; nil when TLS is off.
func (c *Conn) tlsConfig() (*tls.Config, error) {
	if !c.TLS.Enable {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLS.ServerName, InsecureSkipVerify: c.TLS.InsecureSkipVerify} //nolint:gosec // opt-in, for tests
	if c.TLS.CAFile != "" {
		pem, err := os.ReadFile(c.TLS.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read tls CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls CA file %s: no PEM certificates", c.TLS.CAFile)
		}
		t.RootCAs = pool
	}
	if c.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load tls client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

func (c *Conn) saslMechanism() (sasl.Mechanism, error) {
	switch c.SASL.Mechanism {
	case "":
		return nil, nil
	case SASLPlain:
		return plain.Mechanism{Username: c.SASL.Username, Password: c.SASL.Password}, nil
	case SASLScramSHA256:
		return scram.Mechanism(scram.SHA256, c.SASL.Username, c.SASL.Password)
	case SASLScramSHA512:
		return scram.Mechanism(scram.SHA512, c.SASL.Username, c.SASL.Password)
	}
	return nil, fmt.Errorf("sasl mechanism %q", c.SASL.Mechanism)
}

func (c *Conn) dialTimeout() time.Duration {
	if c.DialTimeout == 0 {
		return 10 * time.Second
	}
	return c.DialTimeout
}

// ProducerConfig configures a Producer. The zero value is not valid; start
// from DefaultProducerConfig.
type ProducerConfig struct {
	Conn
	// Topic receives the calls. Default apitap.calls.v1.
	Topic string
	// Node is sent in every record's apitap-node header. Default "".
	Node string
	// BatchMessages caps the records of one partition batch. Default 10000.
	BatchMessages int
	// BatchBytes caps the bytes of one partition batch and so the size of
	// one record; larger calls are shed as too_large. Default 1 MiB
	// (Kafka's default message.max.bytes).
	BatchBytes int64
	// Linger is how long a partial batch waits for more records. Default 5ms.
	Linger time.Duration
	// Compression: lz4 (default), zstd, snappy, gzip or none.
	Compression string
	// RequiredAcks: all (default), one or none.
	RequiredAcks string
	// AutoCreateTopic lets the broker create a missing topic. Default false.
	AutoCreateTopic bool
	// BufferBytes bounds the calls held in memory, encoded, waiting for or
	// in flight to Kafka. Past it calls are shed (Shed says which). Default 64 MiB.
	BufferBytes int64
	// Shed says which calls go when the buffer is full: "oldest" (default,
	// the buffer keeps the most recent traffic) or "newest".
	Shed string
	// WriteTimeout bounds one produce request. Default 10s.
	WriteTimeout time.Duration
	// RetryBackoffMax caps the wait between retries of a failed batch
	// (doubling from 100ms). Default 5s.
	RetryBackoffMax time.Duration
	// MaxInFlight is the number of batches sent at once. More overlap the
	// brokers' round trips; calls of one actor may then reach Kafka out of
	// capture order by up to that many batches. Default 1 (4 measured no
	// faster against kfake on 2 shared cores).
	MaxInFlight int
}

// Shed policies.
const (
	ShedOldest = "oldest"
	ShedNewest = "newest"
)

// DefaultProducerConfig returns the defaults documented on ProducerConfig.
func DefaultProducerConfig() ProducerConfig {
	return ProducerConfig{
		Topic:           DefaultTopic,
		BatchMessages:   10000,
		BatchBytes:      1 << 20,
		Linger:          5 * time.Millisecond,
		Compression:     "lz4",
		RequiredAcks:    "all",
		BufferBytes:     64 << 20,
		Shed:            ShedOldest,
		WriteTimeout:    10 * time.Second,
		RetryBackoffMax: 5 * time.Second,
		MaxInFlight:     1,
	}
}

// Validate reports every invalid field.
func (c *ProducerConfig) Validate() error {
	errs := []error{c.validate()}
	if c.Topic == "" {
		errs = append(errs, errors.New("topic: required"))
	}
	if c.BatchMessages < 1 {
		errs = append(errs, fmt.Errorf("batch messages: want at least 1, got %d", c.BatchMessages))
	}
	if c.BatchBytes < 1024 {
		errs = append(errs, fmt.Errorf("batch bytes: want at least 1024, got %d", c.BatchBytes))
	}
	if c.Linger <= 0 {
		errs = append(errs, fmt.Errorf("linger: want > 0, got %s", c.Linger))
	}
	if _, err := compression(c.Compression); err != nil {
		errs = append(errs, err)
	}
	if _, err := requiredAcks(c.RequiredAcks); err != nil {
		errs = append(errs, err)
	}
	if c.BufferBytes < 2*c.BatchBytes {
		errs = append(errs, fmt.Errorf("buffer bytes: want at least twice the batch bytes (%d), got %d", 2*c.BatchBytes, c.BufferBytes))
	}
	if c.Shed != ShedOldest && c.Shed != ShedNewest {
		errs = append(errs, fmt.Errorf("shed: want oldest or newest, got %q", c.Shed))
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 64 {
		errs = append(errs, fmt.Errorf("max in flight: want 1 to 64, got %d", c.MaxInFlight))
	}
	if c.WriteTimeout <= 0 || c.RetryBackoffMax <= 0 {
		errs = append(errs, errors.New("write timeout and retry backoff: want > 0"))
	}
	return errors.Join(errs...)
}

func compression(s string) (kafkago.Compression, error) {
	switch s {
	case "lz4":
		return kafkago.Lz4, nil
	case "zstd":
		return kafkago.Zstd, nil
	case "snappy":
		return kafkago.Snappy, nil
	case "gzip":
		return kafkago.Gzip, nil
	case "none":
		return 0, nil
	}
	return 0, fmt.Errorf("compression: want lz4, zstd, snappy, gzip or none, got %q", s)
}

func requiredAcks(s string) (kafkago.RequiredAcks, error) {
	switch s {
	case "all":
		return kafkago.RequireAll, nil
	case "one":
		return kafkago.RequireOne, nil
	case "none":
		return kafkago.RequireNone, nil
	}
	return 0, fmt.Errorf("required acks: want all, one or none, got %q", s)
}

// ConsumerConfig configures a Consumer. Start from DefaultConsumerConfig.
type ConsumerConfig struct {
	Conn
	// Topic to read. Default apitap.calls.v1.
	Topic string
	// Group is the consumer group; instances of one group split the
	// partitions. Default apitap-analyzer.
	Group string
	// BatchCalls caps the calls handed to the sink at once. Default 1000.
	BatchCalls int
	// BatchBytes bounds the record bytes of one batch (the batch ends at
	// the record that reaches it), so memory stays bounded with large
	// calls. Default 32 MiB.
	BatchBytes int
	// BatchWait is how long a batch waits to fill once it has a call. Default 100ms.
	BatchWait time.Duration
	// MaxMessageBytes: larger records are skipped as oversized. Default 4 MiB.
	MaxMessageBytes int
	// StartOffset where the group has no committed offset: earliest (default) or latest.
	StartOffset string
	// SessionTimeout: a member silent this long is dropped from the group. Default 30s.
	SessionTimeout time.Duration
	// HeartbeatInterval. Default 3s.
	HeartbeatInterval time.Duration
	// RebalanceTimeout bounds joining the group in a rebalance. Default 30s.
	RebalanceTimeout time.Duration
	// RetryBackoffMax caps the wait between sink retries (doubling from
	// 100ms); a batch is retried until the sink accepts it. Default 5s.
	RetryBackoffMax time.Duration
	// MaxUncommitted bounds the batches handed to the sink whose offsets
	// are not committed yet because their rows are not durable yet (a
	// buffering sink such as the ClickHouse writer acknowledges them
	// later, see internal/ack); when that many wait, the consumer waits
	// with the next batch, which the sink accepted, until the first of
	// them is committed (back-pressure). Default 256.
	MaxUncommitted int
	// DrainTimeout bounds how long Run, once stopped, waits for the
	// batches already handed over to become durable so that their offsets
	// are committed; the rest are delivered again later. Default 10s.
	DrainTimeout time.Duration
}

// DefaultConsumerConfig returns the defaults documented on ConsumerConfig.
func DefaultConsumerConfig() ConsumerConfig {
	return ConsumerConfig{
		Topic:             DefaultTopic,
		Group:             "apitap-analyzer",
		BatchCalls:        1000,
		BatchBytes:        32 << 20,
		BatchWait:         100 * time.Millisecond,
		MaxMessageBytes:   4 << 20,
		StartOffset:       "earliest",
		SessionTimeout:    30 * time.Second,
		HeartbeatInterval: 3 * time.Second,
		RebalanceTimeout:  30 * time.Second,
		RetryBackoffMax:   5 * time.Second,
		MaxUncommitted:    256,
		DrainTimeout:      10 * time.Second,
	}
}

// Validate reports every invalid field.
func (c *ConsumerConfig) Validate() error {
	errs := []error{c.validate()}
	if c.Topic == "" {
		errs = append(errs, errors.New("topic: required"))
	}
	if c.Group == "" {
		errs = append(errs, errors.New("group: required"))
	}
	if c.BatchCalls < 1 {
		errs = append(errs, fmt.Errorf("batch calls: want at least 1, got %d", c.BatchCalls))
	}
	if c.BatchBytes < 1 {
		errs = append(errs, fmt.Errorf("batch bytes: want at least 1, got %d", c.BatchBytes))
	}
	if c.BatchWait <= 0 {
		errs = append(errs, fmt.Errorf("batch wait: want > 0, got %s", c.BatchWait))
	}
	if c.MaxMessageBytes < 1024 {
		errs = append(errs, fmt.Errorf("max message bytes: want at least 1024, got %d", c.MaxMessageBytes))
	}
	if c.StartOffset != "earliest" && c.StartOffset != "latest" {
		errs = append(errs, fmt.Errorf("start offset: want earliest or latest, got %q", c.StartOffset))
	}
	if c.SessionTimeout <= 0 || c.HeartbeatInterval <= 0 || c.RebalanceTimeout <= 0 || c.RetryBackoffMax <= 0 {
		errs = append(errs, errors.New("session timeout, heartbeat interval, rebalance timeout and retry backoff: want > 0"))
	}
	if c.HeartbeatInterval >= c.SessionTimeout {
		errs = append(errs, errors.New("heartbeat interval: want less than the session timeout"))
	}
	if c.MaxUncommitted < 1 {
		errs = append(errs, fmt.Errorf("max uncommitted batches: want at least 1, got %d", c.MaxUncommitted))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, fmt.Errorf("drain timeout: want > 0, got %s", c.DrainTimeout))
	}
	return errors.Join(errs...)
}

// Dialer returns a kafka-go dialer and transport for c (TLS, SASL, dial
// timeout), for clients of other topics than the calls topic (the
// analyzer's observations and state topics).
func (c *Conn) Dialer(clientID string) (*kafkago.Dialer, *kafkago.Transport, error) {
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	t, err := c.tlsConfig()
	if err != nil {
		return nil, nil, err
	}
	m, err := c.saslMechanism()
	if err != nil {
		return nil, nil, err
	}
	return &kafkago.Dialer{Timeout: c.dialTimeout(), DualStack: true, TLS: t, SASLMechanism: m, ClientID: clientID},
		&kafkago.Transport{TLS: t, SASL: m, DialTimeout: c.dialTimeout(), ClientID: clientID}, nil
}
