package deployments_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// image is the repository every apitap container runs (built by
// deployments/docker/Dockerfile).
const image = "ghcr.io/apitap/apitap"

// scheme knows every kind the manifests may use; anything else is an error.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, rbacv1.AddToScheme, batchv1.AddToScheme, schedulingv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// object is one decoded manifest document and where it came from.
type object struct {
	source string
	obj    runtime.Object
	meta   metav1.Object
	kind   string
}

func (o object) key() string { return o.kind + "/" + o.meta.GetName() }

// decodeStrict splits a YAML stream into documents and decodes each into its
// Kubernetes API type: unknown kinds, unknown fields and duplicate fields are
// errors.
func decodeStrict(source string, data []byte) ([]object, error) {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []object
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, n, err)
		}
		if isEmptyYAML(doc) {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, n, err)
		}
		gvk := schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind)
		obj, err := scheme.New(gvk)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: kind %s: %w", source, n, gvk, err)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s: document %d (%s): %w", source, n, tm.Kind, err)
		}
		m, ok := obj.(metav1.Object)
		if !ok || m.GetName() == "" {
			return nil, fmt.Errorf("%s: document %d (%s): no metadata.name", source, n, tm.Kind)
		}
		out = append(out, object{source: source, obj: obj, meta: m, kind: tm.Kind})
	}
}

func isEmptyYAML(doc []byte) bool {
	for line := range strings.SplitSeq(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && t != "---" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

// loadManifests decodes every YAML file of deployments/kubernetes.
func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "deployments/kubernetes/*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deployments/kubernetes: %v", err)
	}
	var objs []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		o, err := decodeStrict(filepath.Base(f), data)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o...)
	}
	return objs
}

// documentedCapabilities reads the capability table of docs/operations.md:
// rows of the form "| `CAP` | ... |" under the "Capabilities" heading.
func documentedCapabilities(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs/operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Capabilities")
	if !ok {
		t.Fatal("docs/operations.md has no '## Capabilities' section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var caps []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		caps = append(caps, m[1])
	}
	if len(caps) == 0 {
		t.Fatal("docs/operations.md: no capabilities in the Capabilities table")
	}
	return caps
}

// neverAllowed are capabilities the agent must not get, documented or not.
var neverAllowed = []string{"ALL", "SYS_ADMIN", "SYS_MODULE", "NET_ADMIN", "SYS_RAWIO"}

// podOwner is a workload and its pod template.
type podOwner struct {
	object
	tmpl *corev1.PodTemplateSpec
}

// checkObjects runs the checks that matter on a set of objects (the
// manifests, or one rendering of the chart) and returns what is wrong.
func checkObjects(objs []object, docCaps []string) []error {
	var errs []error
	fail := func(o object, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s %s: %s", o.source, o.key(), fmt.Sprintf(format, args...)))
	}
	byKind := map[string]map[string]object{}
	seen := map[string]bool{}
	for _, o := range objs {
		if seen[o.key()] {
			fail(o, "defined twice")
		}
		seen[o.key()] = true
		if byKind[o.kind] == nil {
			byKind[o.kind] = map[string]object{}
		}
		byKind[o.kind][o.meta.GetName()] = o
	}

	var pods []podOwner
	for _, o := range objs {
		switch w := o.obj.(type) {
		case *appsv1.DaemonSet:
			pods = append(pods, podOwner{o, &w.Spec.Template})
			if !selectorMatches(w.Spec.Selector, w.Spec.Template.Labels) {
				fail(o, "selector %v does not match its pod labels %v", w.Spec.Selector, w.Spec.Template.Labels)
			}
		case *appsv1.Deployment:
			pods = append(pods, podOwner{o, &w.Spec.Template})
			if !selectorMatches(w.Spec.Selector, w.Spec.Template.Labels) {
				fail(o, "selector %v does not match its pod labels %v", w.Spec.Selector, w.Spec.Template.Labels)
			}
		case *batchv1.Job:
			pods = append(pods, podOwner{o, &w.Spec.Template})
		}
	}

	var agents, analyzers int
	for _, p := range pods {
		spec := &p.tmpl.Spec
		if sa := spec.ServiceAccountName; sa != "" {
			if _, ok := byKind["ServiceAccount"][sa]; !ok {
				fail(p.object, "serviceAccountName %s: no such ServiceAccount", sa)
			}
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			fail(p.object, "automountServiceAccountToken is not false (apitap never talks to the Kubernetes API)")
		}
		for _, v := range spec.Volumes {
			if v.ConfigMap != nil && !isOptional(v.ConfigMap.Optional) {
				if _, ok := byKind["ConfigMap"][v.ConfigMap.Name]; !ok {
					fail(p.object, "volume %s: no ConfigMap %s", v.Name, v.ConfigMap.Name)
				}
			}
			if v.Secret != nil && !isOptional(v.Secret.Optional) {
				if _, ok := byKind["Secret"][v.Secret.SecretName]; !ok {
					fail(p.object, "volume %s: no Secret %s", v.Name, v.Secret.SecretName)
				}
			}
			if v.HostPath != nil && p.kind != "DaemonSet" {
				fail(p.object, "volume %s: hostPath outside the agent", v.Name)
			}
		}
		containers := append(slices.Clone(spec.InitContainers), spec.Containers...)
		for _, c := range containers {
			where := fmt.Sprintf("container %s", c.Name)
			if !strings.HasPrefix(c.Image, image+":") || strings.HasSuffix(c.Image, ":latest") || strings.HasSuffix(c.Image, ":") {
				fail(p.object, "%s: image %q, want %s:<pinned tag>", where, c.Image, image)
			}
			if len(c.Command) > 0 && !slices.Equal(c.Command, []string{"/apitap"}) {
				fail(p.object, "%s: command %q overrides the image's /apitap entrypoint", where, c.Command)
			}
			var envNames []string
			for _, e := range c.Env {
				envNames = append(envNames, e.Name)
				errs = append(errs, checkEnvSource(p.object, where, &c, e, byKind)...)
			}
			if len(c.EnvFrom) > 0 {
				fail(p.object, "%s: envFrom hides which variables are set; use env with valueFrom", where)
			}
			cmd, cerrs := cli.checkInvocation(c.Args, envNames)
			for _, err := range cerrs {
				fail(p.object, "%s: %v", where, err)
			}
			for _, vm := range c.VolumeMounts {
				if !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name }) {
					fail(p.object, "%s: volumeMount %s: no such volume", where, vm.Name)
				}
			}
			errs = append(errs, checkResources(p.object, where, &c)...)
			errs = append(errs, checkProbes(p.object, where, &c)...)
			isAgent := cmd == "agent"
			switch {
			case isAgent && p.kind == "DaemonSet":
				agents++
				errs = append(errs, checkAgent(p, &c, byKind)...)
			case cmd == "analyzer":
				analyzers++
			}
			errs = append(errs, checkSecurity(p, &c, isAgent, docCaps)...)
		}
	}
	if agents != 1 {
		errs = append(errs, fmt.Errorf("want one DaemonSet running `apitap agent`, found %d", agents))
	}
	if analyzers > 1 {
		errs = append(errs, fmt.Errorf("want at most one workload running `apitap analyzer`, found %d", analyzers))
	}

	podsMatching := func(ns string, sel labels.Selector) []podOwner {
		var out []podOwner
		for _, p := range pods {
			if p.meta.GetNamespace() == ns && sel.Matches(labels.Set(p.tmpl.Labels)) {
				out = append(out, p)
			}
		}
		return out
	}
	for _, o := range objs {
		switch x := o.obj.(type) {
		case *corev1.Service:
			if len(x.Spec.Selector) == 0 {
				fail(o, "no selector")
				continue
			}
			matched := podsMatching(o.meta.GetNamespace(), labels.SelectorFromSet(x.Spec.Selector))
			if len(matched) == 0 {
				fail(o, "selector %v matches no pod template", x.Spec.Selector)
			}
			for _, sp := range x.Spec.Ports {
				for _, p := range matched {
					if !hasContainerPort(p.tmpl, sp.TargetPort) {
						fail(o, "port %s: targetPort %s is no container port of %s", sp.Name, sp.TargetPort.String(), p.key())
					}
				}
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			ref := x.Spec.ScaleTargetRef
			if _, ok := byKind[ref.Kind][ref.Name]; !ok {
				fail(o, "scaleTargetRef %s/%s does not exist", ref.Kind, ref.Name)
			}
			if x.Spec.MinReplicas == nil || *x.Spec.MinReplicas < 1 || *x.Spec.MinReplicas > x.Spec.MaxReplicas {
				fail(o, "minReplicas %v, maxReplicas %d", x.Spec.MinReplicas, x.Spec.MaxReplicas)
			}
			if len(x.Spec.Metrics) == 0 {
				fail(o, "no metrics")
			}
		case *policyv1.PodDisruptionBudget:
			sel, err := metav1.LabelSelectorAsSelector(x.Spec.Selector)
			if err != nil || sel.Empty() || len(podsMatching(o.meta.GetNamespace(), sel)) == 0 {
				fail(o, "selector %v matches no pod template", x.Spec.Selector)
			}
			if (x.Spec.MinAvailable == nil) == (x.Spec.MaxUnavailable == nil) {
				fail(o, "set exactly one of minAvailable and maxUnavailable")
			}
		case *networkingv1.NetworkPolicy:
			sel, err := metav1.LabelSelectorAsSelector(&x.Spec.PodSelector)
			if err != nil {
				fail(o, "podSelector: %v", err)
				continue
			}
			matched := podsMatching(o.meta.GetNamespace(), sel)
			if !sel.Empty() && len(matched) == 0 {
				fail(o, "podSelector %v matches no pod template", x.Spec.PodSelector)
			}
			for _, rule := range x.Spec.Ingress {
				for _, np := range rule.Ports {
					for _, p := range matched {
						if np.Port != nil && !hasContainerPort(p.tmpl, *np.Port) {
							fail(o, "ingress port %s is no container port of %s", np.Port.String(), p.key())
						}
					}
				}
			}
		case *monitoringv1.ServiceMonitor:
			sel, err := metav1.LabelSelectorAsSelector(&x.Spec.Selector)
			if err != nil || sel.Empty() {
				fail(o, "selector %v", x.Spec.Selector)
				continue
			}
			var svcs []*corev1.Service
			for _, so := range byKind["Service"] {
				s := so.obj.(*corev1.Service)
				if sel.Matches(labels.Set(s.Labels)) && (slices.Contains(x.Spec.NamespaceSelector.MatchNames, s.Namespace) || (len(x.Spec.NamespaceSelector.MatchNames) == 0 && s.Namespace == o.meta.GetNamespace())) {
					svcs = append(svcs, s)
				}
			}
			if len(svcs) == 0 {
				fail(o, "selects no Service")
			}
			for _, ep := range x.Spec.Endpoints {
				for _, s := range svcs {
					if !slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
						fail(o, "endpoint port %q is not a port name of Service %s", ep.Port, s.Name)
					}
				}
			}
		case *monitoringv1.PrometheusRule:
			for _, g := range x.Spec.Groups {
				for _, r := range g.Rules {
					if r.Alert == "" {
						continue
					}
					if r.Annotations["summary"] == "" || r.Labels["severity"] == "" {
						fail(o, "alert %s: needs a summary annotation and a severity label", r.Alert)
					}
					if bad := unknownMetricNames(r.Expr.String()); len(bad) > 0 {
						fail(o, "alert %s: metrics %v are defined nowhere in the Go code", r.Alert, bad)
					}
					if !strings.Contains(operationsDoc(), "`"+r.Alert+"`") {
						fail(o, "alert %s is not explained in docs/operations.md", r.Alert)
					}
				}
			}
		}
	}
	return errs
}

func isOptional(b *bool) bool { return b != nil && *b }

func selectorMatches(sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(l))
}

func hasContainerPort(tmpl *corev1.PodTemplateSpec, port intstr.IntOrString) bool {
	for _, c := range tmpl.Spec.Containers {
		for _, cp := range c.Ports {
			if (port.Type == intstr.String && cp.Name == port.StrVal) || (port.Type == intstr.Int && cp.ContainerPort == port.IntVal) {
				return true
			}
		}
	}
	return false
}

// checkEnvSource checks that an env var's valueFrom points at something real.
func checkEnvSource(o object, where string, c *corev1.Container, e corev1.EnvVar, byKind map[string]map[string]object) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s %s: %s: env %s: %s", o.source, o.key(), where, e.Name, fmt.Sprintf(format, args...)))
	}
	if e.ValueFrom == nil {
		return nil
	}
	vf := e.ValueFrom
	switch {
	case vf.SecretKeyRef != nil:
		ref := vf.SecretKeyRef
		so, ok := byKind["Secret"][ref.Name]
		switch {
		case !ok && !isOptional(ref.Optional):
			fail("no Secret %s", ref.Name)
		case ok:
			s := so.obj.(*corev1.Secret)
			_, inData := s.Data[ref.Key]
			_, inString := s.StringData[ref.Key]
			if !inData && !inString && !isOptional(ref.Optional) {
				fail("Secret %s has no key %s", ref.Name, ref.Key)
			}
		}
	case vf.ConfigMapKeyRef != nil:
		ref := vf.ConfigMapKeyRef
		co, ok := byKind["ConfigMap"][ref.Name]
		switch {
		case !ok && !isOptional(ref.Optional):
			fail("no ConfigMap %s", ref.Name)
		case ok:
			if _, has := co.obj.(*corev1.ConfigMap).Data[ref.Key]; !has && !isOptional(ref.Optional) {
				fail("ConfigMap %s has no key %s", ref.Name, ref.Key)
			}
		}
	case vf.ResourceFieldRef != nil:
		ref := vf.ResourceFieldRef
		if ref.ContainerName != "" && ref.ContainerName != c.Name {
			fail("resourceFieldRef names container %s", ref.ContainerName)
		}
		if ref.Resource == "limits.memory" && c.Resources.Limits.Memory().IsZero() {
			fail("resourceFieldRef limits.memory but the container has no memory limit")
		}
		if !ref.Divisor.IsZero() && ref.Divisor.Value() != 1 && (e.Name == "GOMEMLIMIT" || e.Name == "APITAP_MEMORY_LIMIT") {
			fail("divisor %s: the value must be in bytes", ref.Divisor.String())
		}
	}
	return errs
}

func checkResources(o object, where string, c *corev1.Container) []error {
	var errs []error
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := c.Resources.Requests[r]
		lim, hasLim := c.Resources.Limits[r]
		if !hasReq {
			errs = append(errs, fmt.Errorf("%s %s: %s: no %s request", o.source, o.key(), where, r))
		}
		if r == corev1.ResourceMemory && !hasLim {
			errs = append(errs, fmt.Errorf("%s %s: %s: no memory limit", o.source, o.key(), where))
		}
		if hasReq && hasLim && req.Cmp(lim) > 0 {
			errs = append(errs, fmt.Errorf("%s %s: %s: %s request %s above its limit %s", o.source, o.key(), where, r, req.String(), lim.String()))
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceCPU]; !ok && c.Name == "agent" {
		errs = append(errs, fmt.Errorf("%s %s: %s: the agent needs a CPU limit (it shares nodes with the workloads it watches)", o.source, o.key(), where))
	}
	return errs
}

func checkProbes(o object, where string, c *corev1.Container) []error {
	var errs []error
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			continue
		}
		port := p.HTTPGet.Port
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
			return (port.Type == intstr.String && cp.Name == port.StrVal) || (port.Type == intstr.Int && cp.ContainerPort == port.IntVal)
		}) {
			errs = append(errs, fmt.Errorf("%s %s: %s: %s probe port %s is not a container port", o.source, o.key(), where, name, port.String()))
		}
		if p.HTTPGet.Path != "/healthz" && p.HTTPGet.Path != "/readyz" {
			errs = append(errs, fmt.Errorf("%s %s: %s: %s probe path %s: the admin server serves /healthz and /readyz", o.source, o.key(), where, name, p.HTTPGet.Path))
		}
	}
	return errs
}

// checkSecurity: no container is privileged or can escalate, every one drops
// ALL capabilities, runs on a read-only root filesystem under the runtime's
// seccomp profile; only the agent adds capabilities, only documented ones,
// and only the agent may run as UID 0 (the kernel checks capabilities of
// UID 0 processes only, without file capabilities on the binary).
func checkSecurity(p podOwner, c *corev1.Container, isAgent bool, docCaps []string) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s %s: container %s: %s", p.source, p.key(), c.Name, fmt.Sprintf(format, args...)))
	}
	psc := p.tmpl.Spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	sc := c.SecurityContext
	if sc == nil {
		fail("no securityContext")
		return errs
	}
	if sc.Privileged == nil || *sc.Privileged {
		fail("privileged is not false")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		fail("allowPrivilegeEscalation is not false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		fail("readOnlyRootFilesystem is not true")
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		fail("seccompProfile is not RuntimeDefault")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		fail("capabilities.drop is not [ALL]")
	}
	var added []string
	if sc.Capabilities != nil {
		for _, c := range sc.Capabilities.Add {
			added = append(added, string(c))
		}
	}
	switch {
	case !isAgent && len(added) > 0:
		fail("adds capabilities %v; only the agent may", added)
	case isAgent:
		for _, a := range added {
			if !slices.Contains(docCaps, a) || slices.Contains(neverAllowed, a) {
				fail("adds %s, not among the capabilities docs/operations.md documents (%v) or never allowed", a, docCaps)
			}
		}
	}
	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	if !isAgent && (nonRoot == nil || !*nonRoot) {
		fail("runAsNonRoot is not true")
	}
	return errs
}

// checkAgent: the node agent's DaemonSet runs on every node, on the host
// network, knows its node, and sizes its memory from its limit.
func checkAgent(p podOwner, c *corev1.Container, byKind map[string]map[string]object) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s %s: %s", p.source, p.key(), fmt.Sprintf(format, args...)))
	}
	spec := &p.tmpl.Spec
	if !spec.HostNetwork {
		fail("hostNetwork is not true (the agent captures the node's interfaces)")
	}
	if spec.HostNetwork && spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
		fail("dnsPolicy %q with hostNetwork: want ClusterFirstWithHostNet to resolve Kafka's Service name", spec.DNSPolicy)
	}
	if spec.HostIPC {
		fail("hostIPC is true")
	}
	if !slices.ContainsFunc(spec.Tolerations, func(t corev1.Toleration) bool {
		return t.Operator == corev1.TolerationOpExists && t.Key == "" && t.Effect == ""
	}) {
		fail("no toleration {operator: Exists}: the agent must run on every node, tainted or not")
	}
	if spec.PriorityClassName == "" {
		fail("no priorityClassName: under pressure the agent should be evicted last")
	} else if _, ok := byKind["PriorityClass"][spec.PriorityClassName]; !ok && !strings.HasPrefix(spec.PriorityClassName, "system-") {
		fail("priorityClassName %s: no such PriorityClass", spec.PriorityClassName)
	}
	env := map[string]*corev1.EnvVarSource{}
	for _, e := range c.Env {
		env[e.Name] = e.ValueFrom
	}
	if vf := env["APITAP_NODE_NAME"]; vf == nil || vf.FieldRef == nil || vf.FieldRef.FieldPath != "spec.nodeName" {
		fail("APITAP_NODE_NAME is not from the downward API fieldRef spec.nodeName")
	}
	for _, name := range []string{"GOMEMLIMIT", "APITAP_MEMORY_LIMIT"} {
		if vf := env[name]; vf == nil || vf.ResourceFieldRef == nil || vf.ResourceFieldRef.Resource != "limits.memory" {
			fail("%s is not from the container's memory limit (resourceFieldRef limits.memory)", name)
		}
	}
	if c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		fail("no CPU and memory limits")
	}
	return errs
}

// TestManifests decodes every manifest strictly and checks it.
func TestManifests(t *testing.T) {
	objs := loadManifests(t)
	for _, err := range checkObjects(objs, documentedCapabilities(t)) {
		t.Error(err)
	}
	if _, ok := cli.commands["analyzer"]; ok && !slices.ContainsFunc(objs, func(o object) bool { return o.key() == "Deployment/apitap-analyzer" }) {
		t.Error("no Deployment/apitap-analyzer, and the binary has the analyzer command")
	}
	for _, o := range objs {
		if o.kind != "Namespace" && o.kind != "PriorityClass" && o.meta.GetNamespace() != "apitap" {
			t.Errorf("%s %s: namespace %q, want apitap", o.source, o.key(), o.meta.GetNamespace())
		}
	}
}

// TestCheckObjectsCatches makes sure the checks fail on the mistakes they
// exist for, by breaking a copy of the manifests one way at a time.
func TestCheckObjectsCatches(t *testing.T) {
	docCaps := documentedCapabilities(t)
	agentOf := func(objs []object) (*appsv1.DaemonSet, *corev1.Container) {
		for _, o := range objs {
			if ds, ok := o.obj.(*appsv1.DaemonSet); ok {
				return ds, &ds.Spec.Template.Spec.Containers[0]
			}
		}
		t.Fatal("no DaemonSet")
		return nil, nil
	}
	for _, tc := range []struct {
		name   string
		mutate func(ds *appsv1.DaemonSet, c *corev1.Container)
	}{
		{"privileged", func(_ *appsv1.DaemonSet, c *corev1.Container) { c.SecurityContext.Privileged = new(true) }},
		{"SYS_ADMIN", func(_ *appsv1.DaemonSet, c *corev1.Container) {
			c.SecurityContext.Capabilities.Add = append(c.SecurityContext.Capabilities.Add, "SYS_ADMIN")
		}},
		{"no drop ALL", func(_ *appsv1.DaemonSet, c *corev1.Container) { c.SecurityContext.Capabilities.Drop = nil }},
		{"writable root", func(_ *appsv1.DaemonSet, c *corev1.Container) { c.SecurityContext.ReadOnlyRootFilesystem = new(false) }},
		{"no limits", func(_ *appsv1.DaemonSet, c *corev1.Container) { c.Resources.Limits = nil }},
		{"unknown flag", func(_ *appsv1.DaemonSet, c *corev1.Container) { c.Args = append(c.Args, "--no-such-flag") }},
		{"unknown env", func(_ *appsv1.DaemonSet, c *corev1.Container) {
			c.Env = append(c.Env, corev1.EnvVar{Name: "APITAP_NO_SUCH_SETTING", Value: "1"})
		}},
		{"image", func(_ *appsv1.DaemonSet, c *corev1.Container) { c.Image = image + ":latest" }},
		{"no hostNetwork", func(ds *appsv1.DaemonSet, _ *corev1.Container) { ds.Spec.Template.Spec.HostNetwork = false }},
		{"no tolerations", func(ds *appsv1.DaemonSet, _ *corev1.Container) { ds.Spec.Template.Spec.Tolerations = nil }},
		{"GOMEMLIMIT not from the limit", func(_ *appsv1.DaemonSet, c *corev1.Container) {
			for i := range c.Env {
				if c.Env[i].Name == "GOMEMLIMIT" {
					c.Env[i] = corev1.EnvVar{Name: "GOMEMLIMIT", Value: "400MiB"}
				}
			}
		}},
		{"node name not from the downward API", func(_ *appsv1.DaemonSet, c *corev1.Container) {
			for i := range c.Env {
				if c.Env[i].Name == "APITAP_NODE_NAME" {
					c.Env[i] = corev1.EnvVar{Name: "APITAP_NODE_NAME", Value: "node-1"}
				}
			}
		}},
		{"secret key missing", func(_ *appsv1.DaemonSet, c *corev1.Container) {
			for i := range c.Env {
				if r := c.Env[i].ValueFrom; r != nil && r.SecretKeyRef != nil {
					r.SecretKeyRef.Key = "no-such-key"
				}
			}
		}},
		{"probe on a missing port", func(_ *appsv1.DaemonSet, c *corev1.Container) {
			c.Ports = nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := loadManifests(t)
			ds, c := agentOf(objs)
			tc.mutate(ds, c)
			if errs := checkObjects(objs, docCaps); len(errs) == 0 {
				t.Error("checks passed a broken agent")
			}
		})
	}
}

// TestCheckObjectsCatchesCluster breaks the analyzer side of a copy of the
// manifests one way at a time: every break must be reported.
func TestCheckObjectsCatchesCluster(t *testing.T) {
	docCaps := documentedCapabilities(t)
	find := func(objs []object, key string) runtime.Object {
		for _, o := range objs {
			if o.key() == key {
				return o.obj
			}
		}
		t.Fatalf("no %s in the manifests", key)
		return nil
	}
	analyzer := func(objs []object) *corev1.Container {
		return &find(objs, "Deployment/apitap-analyzer").(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
	}
	for _, tc := range []struct {
		name   string
		mutate func(objs []object)
	}{
		{"analyzer as root", func(objs []object) {
			c := analyzer(objs)
			c.SecurityContext.RunAsNonRoot = new(false)
			find(objs, "Deployment/apitap-analyzer").(*appsv1.Deployment).Spec.Template.Spec.SecurityContext.RunAsNonRoot = nil
		}},
		{"analyzer adds a capability", func(objs []object) {
			analyzer(objs).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_RAW"}
		}},
		{"analyzer flag after the command is global", func(objs []object) {
			c := analyzer(objs)
			c.Args = append(c.Args, "--log-level", "debug")
		}},
		{"HPA targets nothing", func(objs []object) {
			find(objs, "HorizontalPodAutoscaler/apitap-analyzer").(*autoscalingv2.HorizontalPodAutoscaler).Spec.ScaleTargetRef.Name = "apitap-nothing"
		}},
		{"PDB selects nothing", func(objs []object) {
			find(objs, "PodDisruptionBudget/apitap-analyzer").(*policyv1.PodDisruptionBudget).Spec.Selector.MatchLabels["app.kubernetes.io/component"] = "nothing"
		}},
		{"Service selects nothing", func(objs []object) {
			find(objs, "Service/apitap-analyzer-metrics").(*corev1.Service).Spec.Selector["app.kubernetes.io/component"] = "nothing"
		}},
		{"ServiceMonitor port name", func(objs []object) {
			find(objs, "ServiceMonitor/apitap-analyzer").(*monitoringv1.ServiceMonitor).Spec.Endpoints[0].Port = "http"
		}},
		{"alert on an undefined metric", func(objs []object) {
			r := find(objs, "PrometheusRule/apitap").(*monitoringv1.PrometheusRule)
			r.Spec.Groups[0].Rules[0].Expr = intstr.FromString("rate(apitap_no_such_metric_total[5m]) > 0")
		}},
		{"missing ServiceAccount", func(objs []object) {
			find(objs, "Deployment/apitap-analyzer").(*appsv1.Deployment).Spec.Template.Spec.ServiceAccountName = "nobody"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := loadManifests(t)
			tc.mutate(objs)
			if errs := checkObjects(objs, docCaps); len(errs) == 0 {
				t.Error("checks passed broken manifests")
			}
		})
	}
}
