package deployments_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/apitap/apitap/internal/chtest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestManifestsRun starts each workload of the plain manifests and of the
// chart's default rendering as its container would start (same args, same
// environment with the downward API, Secret and resource values filled in)
// against an in-process Kafka, and waits for /readyz: the flag check proves
// the names exist, this proves the values are accepted and the pipeline
// comes up. Only addresses change: Kafka is kfake on loopback (seeded with
// calls by the agent from a simulated pcap), ClickHouse is the test server
// (internal/chtest, a fresh database; the analyzer must have written calls
// there by the time it exits), the metrics server gets a free loopback
// port, and the agent captures on lo.
func TestManifestsRun(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "apitap.calls.v1"), kfake.AllowAutoTopicCreation(), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := strings.Join(cluster.ListenAddrs(), ",")
	dir := t.TempDir()
	if out, err := exec.Command(apitapBin, "simulate", "--out", dir, "--duration", "2m", "--users", "10", "--seed", "1").CombinedOutput(); err != nil {
		t.Fatalf("apitap simulate: %v\n%s", err, out)
	}
	pcap := filepath.Join(dir, "traffic.pcap")
	sources := map[string][]object{"manifests": loadManifests(t)}
	ch := loadChart(t)
	sources["chart"], _ = renderChart(t, ch, "")
	for _, tc := range chartCases {
		if tc.name == "ebpf-tls" {
			sources["chart-ebpf"], _ = renderChart(t, ch, tc.values)
		}
	}
	for _, src := range []string{"manifests", "chart", "chart-ebpf"} {
		objs := sources[src]
		secrets := map[string]map[string]string{}
		for _, o := range objs {
			if s, ok := o.obj.(*corev1.Secret); ok {
				secrets[s.Name] = s.StringData
			}
		}
		for _, o := range objs {
			var spec *corev1.PodSpec
			switch w := o.obj.(type) {
			case *appsv1.DaemonSet:
				spec = &w.Spec.Template.Spec
			case *appsv1.Deployment:
				spec = &w.Spec.Template.Spec
			default:
				continue
			}
			for _, c := range spec.Containers {
				if src == "chart-ebpf" && (len(c.Args) == 0 || c.Args[0] != "agent") {
					continue // the same analyzer as the chart's default
				}
				t.Run(src+"/"+o.key()+"/"+c.Name, func(t *testing.T) {
					if len(c.Args) > 0 && c.Args[0] == "agent" && os.Geteuid() != 0 {
						t.Skip("the agent captures with AF_PACKET or eBPF, which needs root (CAP_NET_RAW, CAP_BPF)")
					}
					if len(c.Args) > 0 && c.Args[0] == "analyzer" {
						// Analyzers are ready once they have read from the
						// topic: give them new calls the way a node would.
						args := []string{"agent", "--pcap", pcap, "--kafka", broker, "--pseudonym-key", "deployments-test-key-0123456789", "--progress=false"}
						if out, err := exec.Command(apitapBin, args...).CombinedOutput(); err != nil {
							t.Fatalf("apitap %s: %v\n%s", strings.Join(args, " "), err, out)
						}
					}
					var db string
					overrides := map[string]string{"APITAP_KAFKA": broker, "APITAP_KAFKA_BROKERS": broker, "APITAP_IFACE": "lo"}
					if slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "APITAP_CLICKHOUSE" }) {
						srv := chtest.Shared(t)
						db = srv.Database(t)
						overrides["APITAP_CLICKHOUSE"] = srv.DSN(db)
						defer func() {
							if n := srv.Count(t, "SELECT count() FROM "+db+".calls"); n == 0 {
								t.Errorf("apitap %s wrote no calls to ClickHouse", c.Args[0])
							}
						}()
					}
					runContainer(t, c, secrets, overrides)
				})
			}
		}
	}
}

// runContainer runs the container's command with its environment and
// waits until its admin server says it is ready.
func runContainer(t *testing.T, c corev1.Container, secrets map[string]map[string]string, overrides map[string]string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	hasMetrics := false
	for _, e := range c.Env {
		v := e.Value
		switch {
		case e.ValueFrom == nil:
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "spec.nodeName":
			v = "test-node"
		case e.ValueFrom.ResourceFieldRef != nil:
			q := c.Resources.Limits[corev1.ResourceName(strings.TrimPrefix(e.ValueFrom.ResourceFieldRef.Resource, "limits."))]
			v = fmt.Sprint(q.Value())
		case e.ValueFrom.SecretKeyRef != nil:
			v = secrets[e.ValueFrom.SecretKeyRef.Name][e.ValueFrom.SecretKeyRef.Key]
		default:
			t.Fatalf("env %s: no test value for %+v", e.Name, e.ValueFrom)
		}
		if o, ok := overrides[e.Name]; ok {
			v = o
		}
		if e.Name == "APITAP_METRICS_ADDR" {
			v, hasMetrics = addr, true
		}
		env = append(env, e.Name+"="+v)
	}
	if !hasMetrics {
		t.Fatalf("%s serves no metrics: no readiness to wait for", c.Name)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, apitapBin, c.Args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(45 * time.Second)
	ready := false
	for !ready && time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("apitap %s exited before it was ready: %v\n%s", strings.Join(c.Args, " "), err, out.String())
		case <-time.After(200 * time.Millisecond):
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			ready = resp.StatusCode == http.StatusOK
			resp.Body.Close()
		}
	}
	if !ready {
		t.Errorf("apitap %s not ready within 45s:\n%s", strings.Join(c.Args, " "), out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil && ready {
			t.Errorf("apitap %s after SIGTERM: %v\n%s", strings.Join(c.Args, " "), err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("apitap %s did not exit within 30s of SIGTERM", strings.Join(c.Args, " "))
	}
}
