package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/storage/kafka"
)

// kafkaConnFlags say how to reach Kafka; agent and analyzer share them.
func kafkaConnFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "kafka", Usage: "Kafka bootstrap brokers `host:port` (repeatable or comma-separated)", EnvVars: []string{"APITAP_KAFKA", "APITAP_KAFKA_BROKERS"}},
		&cli.StringFlag{Name: "topic", Value: kafka.DefaultTopic, Usage: "Kafka topic of API calls", EnvVars: []string{"APITAP_KAFKA_TOPIC"}},
		&cli.BoolFlag{Name: "kafka-tls", Usage: "connect to Kafka with TLS", EnvVars: []string{"APITAP_KAFKA_TLS"}},
		&cli.StringFlag{Name: "kafka-tls-ca", Usage: "PEM `FILE` of CAs trusted for the brokers (default: system roots)", EnvVars: []string{"APITAP_KAFKA_TLS_CA"}},
		&cli.StringFlag{Name: "kafka-tls-cert", Usage: "PEM client certificate `FILE` (mutual TLS)", EnvVars: []string{"APITAP_KAFKA_TLS_CERT"}},
		&cli.StringFlag{Name: "kafka-tls-key", Usage: "PEM client key `FILE` (mutual TLS)", EnvVars: []string{"APITAP_KAFKA_TLS_KEY"}},
		&cli.StringFlag{Name: "kafka-tls-server-name", Usage: "name expected in the brokers' certificates", EnvVars: []string{"APITAP_KAFKA_TLS_SERVER_NAME"}},
		&cli.BoolFlag{Name: "kafka-tls-insecure", Usage: "skip broker certificate verification (testing only)", EnvVars: []string{"APITAP_KAFKA_TLS_INSECURE"}},
		&cli.StringFlag{Name: "kafka-sasl", Usage: "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default: none)", EnvVars: []string{"APITAP_KAFKA_SASL_MECHANISM"}},
		&cli.StringFlag{Name: "kafka-user", Usage: "SASL username", EnvVars: []string{"APITAP_KAFKA_USER"}},
		&cli.StringFlag{Name: "kafka-password", Usage: "SASL password (prefer the environment variable)", EnvVars: []string{"APITAP_KAFKA_PASSWORD"}},
	}
}

// kafkaProducerFlags tune the agent's producer.
func kafkaProducerFlags() []cli.Flag {
	d := kafka.DefaultProducerConfig()
	return []cli.Flag{
		&cli.StringFlag{Name: "kafka-compression", Value: d.Compression, Usage: "lz4, zstd, snappy, gzip or none", EnvVars: []string{"APITAP_KAFKA_COMPRESSION"}},
		&cli.StringFlag{Name: "kafka-acks", Value: d.RequiredAcks, Usage: "acknowledgements required: all, one or none", EnvVars: []string{"APITAP_KAFKA_ACKS"}},
		&cli.StringFlag{Name: "kafka-buffer", Value: "64MiB", Usage: "memory for calls waiting for Kafka; beyond it calls are shed and counted", EnvVars: []string{"APITAP_KAFKA_BUFFER"}},
		&cli.StringFlag{Name: "kafka-shed", Value: d.Shed, Usage: "which calls a full buffer sheds: oldest or newest", EnvVars: []string{"APITAP_KAFKA_SHED"}},
		&cli.StringFlag{Name: "kafka-batch-bytes", Value: "1MiB", Usage: "largest produce batch per partition (and so largest call)", EnvVars: []string{"APITAP_KAFKA_BATCH_BYTES"}},
		&cli.IntFlag{Name: "kafka-batch-messages", Value: d.BatchMessages, Usage: "most calls in one produce batch per partition", EnvVars: []string{"APITAP_KAFKA_BATCH_MESSAGES"}},
		&cli.DurationFlag{Name: "kafka-linger", Value: d.Linger, Usage: "how long a partial batch waits for more calls", EnvVars: []string{"APITAP_KAFKA_LINGER"}},
		&cli.IntFlag{Name: "kafka-in-flight", Value: d.MaxInFlight, Usage: "produce batches sent at once (more than 1 may reorder an actor's calls slightly)", EnvVars: []string{"APITAP_KAFKA_IN_FLIGHT"}},
		&cli.BoolFlag{Name: "kafka-auto-create-topic", Usage: "let the broker create a missing topic", EnvVars: []string{"APITAP_KAFKA_AUTO_CREATE_TOPIC"}},
	}
}

// kafkaConn maps the connection flags.
func kafkaConn(c *cli.Context) kafka.Conn {
	var brokers []string
	for _, b := range c.StringSlice("kafka") {
		for _, s := range strings.Split(b, ",") {
			if s = strings.TrimSpace(s); s != "" {
				brokers = append(brokers, s)
			}
		}
	}
	return kafka.Conn{
		Brokers: brokers,
		TLS: kafka.TLSConfig{
			Enable:   c.Bool("kafka-tls") || c.String("kafka-tls-ca") != "" || c.String("kafka-tls-cert") != "",
			CAFile:   c.String("kafka-tls-ca"),
			CertFile: c.String("kafka-tls-cert"), KeyFile: c.String("kafka-tls-key"),
			ServerName: c.String("kafka-tls-server-name"), InsecureSkipVerify: c.Bool("kafka-tls-insecure"),
		},
		SASL: kafka.SASLConfig{Mechanism: strings.ToUpper(c.String("kafka-sasl")), Username: c.String("kafka-user"), Password: c.String("kafka-password")},
	}
}

const kafkaFlagNames = "--kafka, --topic, --kafka-*"

// agentSink builds the agent's sink: Kafka when --kafka is given, else
// --sink. close flushes it; report adds its counters to the summary.
func agentSink(c *cli.Context, reg prometheus.Registerer, log *slog.Logger) (sink apicall.Sink, closeSink func(context.Context) error, report func(map[string]any), err error) {
	if !c.IsSet("kafka") {
		sink, closeSink, err := openSink(c.String("sink"))
		return sink, closeSink, func(map[string]any) {}, err
	}
	if c.IsSet("sink") {
		return nil, nil, nil, errors.New("--sink and --kafka: give one")
	}
	cfg := kafka.DefaultProducerConfig()
	cfg.Conn = kafkaConn(c)
	cfg.Topic = c.String("topic")
	cfg.Node = c.String("node")
	cfg.Compression = c.String("kafka-compression")
	cfg.RequiredAcks = c.String("kafka-acks")
	cfg.Shed = c.String("kafka-shed")
	cfg.BatchMessages = c.Int("kafka-batch-messages")
	cfg.Linger = c.Duration("kafka-linger")
	cfg.MaxInFlight = c.Int("kafka-in-flight")
	cfg.AutoCreateTopic = c.Bool("kafka-auto-create-topic")
	var errs []error
	if cfg.BufferBytes, err = parseBytes(c.String("kafka-buffer")); err != nil {
		errs = append(errs, fmt.Errorf("--kafka-buffer: %w", err))
	}
	if cfg.BatchBytes, err = parseBytes(c.String("kafka-batch-bytes")); err != nil {
		errs = append(errs, fmt.Errorf("--kafka-batch-bytes: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, nil, fmt.Errorf("kafka flags (%s): %w", kafkaFlagNames, err)
	}
	if reg == nil { // no metrics endpoint (file mode): a private registry
		reg = prometheus.NewRegistry()
	}
	p, err := kafka.NewProducer(cfg, reg, log)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kafka flags (%s): %w", kafkaFlagNames, err)
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- p.Run(runCtx) }()
	closeSink = func(ctx context.Context) error {
		err := p.Close(ctx) // stops Run, then delivers the rest within ctx
		stopRun()
		return errors.Join(err, <-runErr)
	}
	report = func(summary map[string]any) {
		st := p.Stats()
		summary["kafka"] = st
		if n := st.ShedTotal(); n > 0 {
			log.Warn("calls shed before reaching Kafka", "shed", st.Shed, "delivered", st.Delivered)
		}
	}
	return p, closeSink, report, nil
}
