package deployments_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// The chart is rendered and linted with Helm's own packages (the version
// pinned in go.mod), as `helm template` and `helm lint --strict` would.
var chartDir = filepath.Join(repoRoot, "deployments/helm/apitap")

const releaseNamespace = "apitap"

// chartCase is one set of values the chart is rendered with.
type chartCase struct {
	name   string
	values string // YAML, over values.yaml
	// external are Secrets the values say exist outside the chart, by name,
	// with the keys they must hold (docs/operations.md, "Secrets").
	external map[string][]string
	// needs lists "command --flag" the values switch on: a case whose
	// flags the binary lacks fails (a renamed flag is caught here first).
	needs []string
}

// missing returns the entries of needs the built binary lacks.
func (c chartCase) missing() []string {
	var out []string
	for _, n := range c.needs {
		cmd, flag, _ := strings.Cut(n, " ")
		spec, ok := cli.commands[cmd]
		if !ok {
			out = append(out, n)
			continue
		}
		if _, ok := spec.flags[strings.TrimLeft(flag, "-")]; flag != "" && !ok {
			out = append(out, n)
		}
	}
	return out
}

// chartCases: every value that switches a feature on or off is rendered
// at least once, and every rendering must pass the same checks as the
// plain manifests.
var chartCases = []chartCase{
	{"defaults", ``, nil, nil},
	{"like-manifests", `
monitoring:
  serviceMonitor: {enabled: true}
  prometheusRule: {enabled: true}
`, nil, nil},
	{"existing-secret-and-extras", `
existingSecret: my-apitap
fullnameOverride: tap
agent:
  trustedProxies: [10.0.0.0/8, 192.168.0.0/16]
  redactHeaders: [X-Internal-Token]
  extraEnv:
    - {name: APITAP_KEEP_PII, value: "false"}
  priorityClass: {create: false, name: system-node-critical}
  nodeSelector: {kubernetes.io/os: linux}
`, map[string][]string{"my-apitap": {"pseudonym-key", "clickhouse-dsn"}}, nil},
	{"iface-kafka-tls-sasl", `
agent:
  capture:
    interfaces: [eth0, eth1]
    filter: "tcp port 80 or tcp port 8080"
    promisc: true
    ringSize: 16MiB
  metrics: {enabled: true, port: 9464}
kafka:
  enabled: true
  brokers: [kafka-0.kafka:9093, kafka-1.kafka:9093]
  tls: {enabled: true, secretName: kafka-client-tls, clientCert: true, serverName: kafka.internal}
  sasl: {mechanism: SCRAM-SHA-512, username: apitap, password: s3cret}
analyzer:
  autoscaling: {kafkaLag: {enabled: true}}
  sink: stdout
monitoring:
  serviceMonitor: {enabled: true, labels: {release: prometheus}}
  prometheusRule: {enabled: true}
`, map[string][]string{"kafka-client-tls": {"ca.crt", "tls.crt", "tls.key"}}, []string{"agent --iface", "agent --filter", "agent --promisc", "agent --ring-size", "agent --metrics-addr",
		"agent --kafka", "agent --kafka-tls", "agent --kafka-sasl", "analyzer --group", "analyzer --metrics-addr"}},
	{"clickhouse", `
clickhouse:
  enabled: true
  dsn: clickhouse://apitap:pw@clickhouse:9000/apitap?secure=true
  retention: 14d
  migrate: false
monitoring:
  prometheusRule: {enabled: true}
`, nil, []string{"analyzer --clickhouse", "analyzer --retention", "analyzer --no-migrate"}},
	{"specs", `
specs:
  shop.yaml: |
    openapi: 3.0.3
    info: {title: shop, version: "1"}
    paths: {}
`, nil, []string{"analyzer --spec"}},
	{"templates", `
templates: |
  # tenants seen with one value so far
  /api/{tenant}/orders/{id}
`, nil, []string{"analyzer --templates"}},
	{"ebpf-tls", `
agent:
  capture:
    mode: ebpf
    ebpf: {tls: true, ports: [80, 443, 8080]}
  metrics: {enabled: true}
monitoring:
  serviceMonitor: {enabled: true}
  prometheusRule: {enabled: true}
`, nil, []string{"agent --ebpf", "agent --ebpf-tls", "agent --ebpf-ports", "agent --metrics-addr", "agent --kafka"}},
	{"ebpf-without-kafka", `
agent:
  capture: {mode: ebpf}
  sink: stdout
kafka: {enabled: false}
analyzer: {enabled: false}
`, nil, []string{"agent --ebpf", "agent --sink"}},
	{"analyzer-fixed-replicas", `
analyzer:
  replicas: 3
  autoscaling: {enabled: false}
  pdb: {maxUnavailable: 2}
networkPolicy: {enabled: false}
`, nil, nil},
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

// renderChart renders the chart as `helm template --namespace apitap apitap`
// with the given values and decodes every document strictly.
func renderChart(t *testing.T, ch *chart.Chart, valuesYAML string) ([]object, map[string]any) {
	t.Helper()
	vals := map[string]any{}
	if err := yaml.Unmarshal([]byte(valuesYAML), &vals); err != nil {
		t.Fatalf("values: %v", err)
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{
		Name: "apitap", Namespace: releaseNamespace, Revision: 1, IsInstall: true,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatalf("render values: %v", err)
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var objs []object
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range out {
			if !yield(k) {
				return
			}
		}
	}) {
		if !strings.HasSuffix(name, ".yaml") {
			continue // NOTES.txt, helpers
		}
		o, err := decodeStrict(name, []byte(out[name]))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o...)
	}
	return objs, vals
}

// TestHelmLint runs Helm's linter (what `helm lint --strict` runs) with every
// value set: any warning or error fails.
func TestHelmLint(t *testing.T) {
	for _, tc := range chartCases {
		t.Run(tc.name, func(t *testing.T) {
			if m := tc.missing(); len(m) > 0 {
				t.Fatalf("the binary lacks %v, which these values switch on", m)
			}
			vals := map[string]any{}
			if err := yaml.Unmarshal([]byte(tc.values), &vals); err != nil {
				t.Fatal(err)
			}
			l := lint.AllWithKubeVersion(chartDir, vals, releaseNamespace, nil)
			for _, m := range l.Messages {
				if m.Severity >= support.WarningSev {
					t.Error(m.Error())
				} else {
					t.Log(m.Error())
				}
			}
		})
	}
}

// TestHelmTemplate renders every value set, decodes the output strictly into
// Kubernetes API types and runs the manifest checks on it.
func TestHelmTemplate(t *testing.T) {
	ch := loadChart(t)
	docCaps := documentedCapabilities(t)
	for _, tc := range chartCases {
		t.Run(tc.name, func(t *testing.T) {
			if m := tc.missing(); len(m) > 0 {
				t.Fatalf("the binary lacks %v, which these values switch on", m)
			}
			objs, _ := renderChart(t, ch, tc.values)
			if len(objs) == 0 {
				t.Fatal("chart rendered nothing")
			}
			for name, keys := range tc.external {
				s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: releaseNamespace}, Data: map[string][]byte{}}
				for _, k := range keys {
					s.Data[k] = []byte("x")
				}
				objs = append(objs, object{source: "external", obj: s, meta: s, kind: "Secret"})
			}
			for _, err := range checkObjects(objs, docCaps) {
				t.Error(err)
			}
			for _, o := range objs {
				if o.kind != "PriorityClass" && o.meta.GetNamespace() != releaseNamespace {
					t.Errorf("%s %s: namespace %q, want the release namespace", o.source, o.key(), o.meta.GetNamespace())
				}
			}
		})
	}
}

// TestHelmMatchesManifests: the chart, with the values that mirror the plain
// manifests, produces the same objects (kind and name), and the agent runs
// the same command with the same variables and capabilities.
func TestHelmMatchesManifests(t *testing.T) {
	var values string
	for _, tc := range chartCases {
		if tc.name == "like-manifests" {
			values = tc.values
		}
	}
	rendered, _ := renderChart(t, loadChart(t), values)
	plain := loadManifests(t)
	keys := func(objs []object) []string {
		var out []string
		for _, o := range objs {
			if o.kind != "Namespace" { // helm install --create-namespace
				out = append(out, o.key())
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := keys(rendered), keys(plain); !slices.Equal(got, want) {
		t.Errorf("chart objects %v\nmanifest objects %v", got, want)
	}
	type shape struct {
		Args, Env, Caps []string
		HostNetwork     bool
	}
	shapes := func(objs []object) map[string]shape {
		out := map[string]shape{}
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
				s := shape{Args: c.Args, HostNetwork: spec.HostNetwork}
				for _, e := range c.Env {
					s.Env = append(s.Env, e.Name)
				}
				slices.Sort(s.Env)
				for _, cp := range c.SecurityContext.Capabilities.Add {
					s.Caps = append(s.Caps, string(cp))
				}
				out[o.key()+"/"+c.Name] = s
			}
		}
		return out
	}
	got, want := shapes(rendered), shapes(plain)
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: not in the chart", k)
			continue
		}
		// The chart sets the log level explicitly; the manifests keep the default.
		g.Env = slices.DeleteFunc(g.Env, func(e string) bool { return e == "APITAP_LOG_LEVEL" })
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s:\nchart     %+v\nmanifests %+v", k, g, w)
		}
	}
}

// TestHelmValuesRejected: values the chart must refuse fail the render with
// a message naming the value.
func TestHelmValuesRejected(t *testing.T) {
	ch := loadChart(t)
	for _, tc := range []struct{ values, want string }{
		{"agent: {capture: {mode: tap}}", "agent.capture.mode"},
		{"kafka: {brokers: []}", "kafka.brokers"},
		{"kafka: {sasl: {mechanism: GSSAPI}}", "kafka.sasl.mechanism"},
		{"kafka: {sasl: {mechanism: PLAIN, username: u}}", "kafka.sasl.password"},
		{"clickhouse: {dsn: \"\"}", "clickhouse.dsn"},
		{"kafka: {enabled: false}", "analyzer.enabled needs kafka.enabled"},
		{"agnet: {workers: 4}", "agnet"}, // values.schema.json: unknown keys
		{"kafka: {tls: {enabeld: true}}", "enabeld"},
		{"logLevel: verbose", "logLevel"},
	} {
		vals := map[string]any{}
		if err := yaml.Unmarshal([]byte(tc.values), &vals); err != nil {
			t.Fatal(err)
		}
		rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: "apitap", Namespace: releaseNamespace}, chartutil.DefaultCapabilities)
		if err == nil {
			_, err = engine.Render(ch, rv)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("values %s: err = %v, want one naming %s", tc.values, err, tc.want)
		}
	}
}
