package deployments_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// publicImages are the public images the compose file may use (Docker Hub
// official or vendor images), by repository.
var publicImages = []string{"apache/kafka", "clickhouse/clickhouse-server", "grafana/grafana", "busybox"}

// TestCompose loads the compose file with the compose-spec loader (schema,
// interpolation, anchors, paths) and checks it references only public images
// or the image this repository builds, runs only real apitap commands and
// flags, and mounts only files that exist.
func TestCompose(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join(repoRoot, "deployments/compose"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "compose.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: file, Content: data}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("apitap", true); o.ResolvePaths = true })
	if err != nil {
		t.Fatalf("load compose file: %v", err)
	}
	built := map[string]bool{}
	for _, s := range p.Services {
		if s.Build == nil {
			continue
		}
		if s.Build.Context != root {
			t.Errorf("service %s: build context %s, want the repository root", s.Name, s.Build.Context)
		}
		if s.Build.Dockerfile != "deployments/docker/Dockerfile" {
			t.Errorf("service %s: dockerfile %s, want deployments/docker/Dockerfile", s.Name, s.Build.Dockerfile)
		}
		built[s.Image] = true
	}
	if len(built) != 1 {
		t.Errorf("want one apitap image built from this repository, got %v", built)
	}
	var commands []string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range p.Services {
			if !yield(n) {
				return
			}
		}
	}) {
		s := p.Services[name]
		repo, tag, _ := strings.Cut(s.Image, ":")
		switch {
		case built[s.Image]:
			if !strings.HasPrefix(s.Image, image+":") {
				t.Errorf("service %s: apitap image %s, want %s:<tag>", name, s.Image, image)
			}
			if len(s.Entrypoint) > 0 {
				t.Errorf("service %s: entrypoint %q overrides /apitap", name, s.Entrypoint)
			}
			var env []string
			for k := range s.Environment {
				env = append(env, k)
			}
			cmd, errs := cli.checkInvocation(s.Command, env)
			for _, err := range errs {
				t.Errorf("service %s: %v", name, err)
			}
			commands = append(commands, cmd)
		case slices.Contains(publicImages, repo):
			if tag == "" || tag == "latest" {
				t.Errorf("service %s: image %s is not pinned to a tag", name, s.Image)
			}
		default:
			t.Errorf("service %s: image %s is neither built here nor a known public image", name, s.Image)
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if !strings.HasPrefix(v.Source, root) {
				t.Errorf("service %s: bind mount %s is outside the repository", name, v.Source)
			} else if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s: bind mount: %v", name, err)
			}
		}
	}
	for _, want := range []string{"simulate", "agent", "analyzer"} {
		if !slices.Contains(commands, want) {
			t.Errorf("no service runs apitap %s (services run %v)", want, commands)
		}
	}
	for _, want := range []string{"kafka", "clickhouse", "grafana"} {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("no %s service", want)
		}
	}
	// The dashboard Grafana provisions is the repository's own.
	if s, ok := p.Services["dashboards"]; !ok || !strings.Contains(strings.Join(s.Command, " "), "/deployments/grafana/apitap-dashboard.json") {
		t.Error("no dashboards service preparing /deployments/grafana/apitap-dashboard.json")
	} else if _, err := os.Stat(filepath.Join(root, "deployments/grafana/apitap-dashboard.json")); err != nil {
		t.Errorf("dashboard: %v", err)
	}
	if s := p.Services["agent"]; s.Restart != types.RestartPolicyAlways {
		t.Errorf("agent restart = %q, want always (it reads the pcap in a loop)", s.Restart)
	}
	if s := p.Services["kafka"]; s.Environment["KAFKA_PROCESS_ROLES"] == nil || !strings.Contains(*s.Environment["KAFKA_PROCESS_ROLES"], "controller") {
		t.Error("kafka does not run in KRaft mode (KAFKA_PROCESS_ROLES with controller)")
	}
}
