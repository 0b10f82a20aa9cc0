// Package deployments_test checks the deployment artifacts against the code
// they deploy: the Dockerfile's build command is run and its binary's
// `--help` is the source of truth for every flag and APITAP_* variable that
// the Kubernetes manifests, the rendered Helm chart and the compose file use.
package deployments_test

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the module root, seen from this package's directory.
const repoRoot = ".."

var (
	// apitapBin is the binary built by the Dockerfile's build step.
	apitapBin string
	// cli is what that binary's --help says it accepts.
	cli *cliSpec
	// builtVersion and builtRevision are passed as the image build args.
	builtVersion  = "9.8.7-test"
	builtRevision = "0123456789abcdef"
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deployments:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "apitap-deployments-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	apitapBin = filepath.Join(dir, "apitap")
	if err := dockerBuild(apitapBin); err != nil {
		return 0, err
	}
	if cli, err = readCLI(apitapBin); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// dockerfileInstructions returns the Dockerfile's instructions with line
// continuations joined and comments dropped.
func dockerfileInstructions() ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deployments/docker/Dockerfile"))
	if err != nil {
		return nil, err
	}
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(string(raw), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || (t == "" && cur.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(t, "\\"); ok {
			cur.WriteString(rest)
			continue
		}
		cur.WriteString(t)
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	return out, nil
}

var outFlag = regexp.MustCompile(`-o\s+(\S+)`)

// dockerBuild runs the Dockerfile's `go build` RUN step on this machine, as
// the image build would (same shell command, build args as environment),
// with the output redirected to out.
func dockerBuild(out string) error {
	ins, err := dockerfileInstructions()
	if err != nil {
		return err
	}
	var run string
	for _, in := range ins {
		if strings.HasPrefix(in, "RUN ") && strings.Contains(in, "go build") {
			run = strings.TrimPrefix(in, "RUN ")
		}
	}
	if run == "" {
		return errors.New("Dockerfile: no RUN step with go build")
	}
	for strings.HasPrefix(run, "--") { // BuildKit options such as --mount=...
		_, run, _ = strings.Cut(run, " ")
		run = strings.TrimSpace(run)
	}
	m := outFlag.FindStringSubmatch(run)
	if m == nil {
		return fmt.Errorf("Dockerfile build step has no -o: %s", run)
	}
	run = strings.Replace(run, m[0], "-o "+out, 1)
	sh := exec.Command("sh", "-c", run)
	sh.Dir = repoRoot
	goBin, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	sh.Env = append(os.Environ(),
		"PATH="+filepath.Dir(goBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"VERSION="+builtVersion, "REVISION="+builtRevision)
	if b, err := sh.CombinedOutput(); err != nil {
		return fmt.Errorf("Dockerfile build step %q: %w\n%s", run, err, b)
	}
	return nil
}

// flagSpec is one flag of a command as --help lists it.
type flagSpec struct {
	takesValue bool
	env        []string
}

// cmdSpec is a command's flags by name (long and short, without dashes).
type cmdSpec struct {
	flags map[string]flagSpec
}

func (c cmdSpec) envVars() []string {
	var out []string
	for _, f := range c.flags {
		out = append(out, f.env...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// cliSpec is the whole command line: global flags and each command.
type cliSpec struct {
	global   cmdSpec
	commands map[string]cmdSpec
}

var envList = regexp.MustCompile(`\[(\$[A-Z0-9_]+(?:, \$[A-Z0-9_]+)*)\]\s*$`)

// parseHelp reads the flags listed under OPTIONS: or GLOBAL OPTIONS: in
// urfave/cli's help: a first column of names (with a placeholder when the
// flag takes a value), two or more spaces, the usage, and the environment
// variables in [$A, $B] at the end.
func parseHelp(help string) (cmdSpec, []string) {
	spec := cmdSpec{flags: map[string]flagSpec{}}
	var commands []string
	section := ""
	for line := range strings.SplitSeq(help, "\n") {
		if line != "" && !strings.HasPrefix(line, " ") {
			section = strings.TrimSpace(line)
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		switch section {
		case "COMMANDS:":
			name, _, _ := strings.Cut(t, " ")
			name = strings.TrimSuffix(name, ",")
			if name != "help" {
				commands = append(commands, name)
			}
		case "OPTIONS:", "GLOBAL OPTIONS:":
			if !strings.HasPrefix(t, "-") {
				continue
			}
			names, _, _ := strings.Cut(t, "  ")
			var f flagSpec
			var keys []string
			for _, part := range strings.Split(names, ", ") {
				fields := strings.Fields(part)
				if len(fields) == 0 || !strings.HasPrefix(fields[0], "-") {
					continue
				}
				keys = append(keys, strings.TrimLeft(fields[0], "-"))
				if len(fields) > 1 && !strings.HasPrefix(fields[1], "[") {
					f.takesValue = true
				}
			}
			if m := envList.FindStringSubmatch(t); m != nil {
				for e := range strings.SplitSeq(m[1], ", ") {
					f.env = append(f.env, strings.TrimPrefix(e, "$"))
				}
			}
			for _, k := range keys {
				spec.flags[k] = f
			}
		}
	}
	return spec, commands
}

// readCLI runs `apitap --help` and `apitap <cmd> --help` for every command.
func readCLI(bin string) (*cliSpec, error) {
	run := func(args ...string) (string, error) {
		b, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("apitap %s: %w\n%s", strings.Join(args, " "), err, b)
		}
		return string(b), nil
	}
	root, err := run("--help")
	if err != nil {
		return nil, err
	}
	s := &cliSpec{commands: map[string]cmdSpec{}}
	var names []string
	s.global, names = parseHelp(root)
	if len(names) == 0 || len(s.global.flags) == 0 {
		return nil, fmt.Errorf("apitap --help lists no commands or no flags:\n%s", root)
	}
	for _, name := range names {
		help, err := run(name, "--help")
		if err != nil {
			return nil, err
		}
		s.commands[name], _ = parseHelp(help)
	}
	return s, nil
}

// runtimeEnv are variables read by the Go runtime, not by apitap's flags.
var runtimeEnv = map[string]bool{"GOMEMLIMIT": true, "GOGC": true, "GOMAXPROCS": true, "GODEBUG": true}

// checkInvocation checks args (global flags, a command, its flags: the
// image's entrypoint is the binary) and the names of the environment
// variables against the CLI. Every flag must exist on the command (or be a
// global flag before it), every APITAP_* variable must be one of the
// command's or a global flag's variables, and other variables must be the Go
// runtime's.
func (s *cliSpec) checkInvocation(args, env []string) (command string, errs []error) {
	i := 0
	flagArgs := func(spec cmdSpec, where string) {
		for i < len(args) && strings.HasPrefix(args[i], "-") {
			name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
			f, ok := spec.flags[name]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: flag %s does not exist (see apitap %s --help)", where, args[i], command))
			}
			i++
			// An unknown flag's value (if it has one) is not a stray argument.
			if !hasValue && (f.takesValue || !ok && i < len(args) && !strings.HasPrefix(args[i], "-")) {
				i++
			}
		}
	}
	flagArgs(s.global, "global flags")
	if i >= len(args) {
		return "", append(errs, fmt.Errorf("args %q name no command", args))
	}
	command = args[i]
	spec, ok := s.commands[command]
	if !ok {
		return command, append(errs, fmt.Errorf("command %q does not exist (apitap --help lists %v)", command, sortedKeys(s.commands)))
	}
	i++
	flagArgs(spec, "apitap "+command)
	if i < len(args) {
		errs = append(errs, fmt.Errorf("apitap %s: unexpected argument %q", command, args[i]))
	}
	known := map[string]bool{}
	for _, e := range append(spec.envVars(), s.global.envVars()...) {
		known[e] = true
	}
	for _, e := range env {
		if !known[e] && !runtimeEnv[e] {
			errs = append(errs, fmt.Errorf("apitap %s: environment variable %s is no flag's (see apitap %s --help)", command, e, command))
		}
	}
	return command, errs
}

func mapKeys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// runtimeLibs are the shared libraries each Debian package the final stage
// installs provides; glibc's come with every Debian image.
var runtimeLibs = map[string][]string{
	"":           {"libc.so.6", "libm.so.6", "libpthread.so.0", "libresolv.so.2", "libdl.so.2"},
	"libpcap0.8": {"libpcap.so.0.8"},
}

// TestDockerBuild checks what the image build produces: a binary that
// reports the build args as its version and needs no shared library the
// final stage lacks, built with the Go release go.mod asks for, into a
// minimal image that runs as a non-root user.
func TestDockerBuild(t *testing.T) {
	out, err := exec.Command(apitapBin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("apitap version: %v\n%s", err, out)
	}
	want := "apitap " + builtVersion + " vcs.revision=" + builtRevision
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("apitap version = %q, want it to start with %q", out, want)
	}
	ins, err := dockerfileInstructions()
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?$`).FindStringSubmatch(string(gomod))
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	var froms []string
	var user, entrypoint, finalRuns string
	var goArg string
	for _, in := range ins {
		switch f := strings.Fields(in); f[0] {
		case "ARG":
			if v, ok := strings.CutPrefix(f[1], "GO_VERSION="); ok && goArg == "" {
				goArg = v
			}
		case "FROM":
			froms = append(froms, in)
			user, entrypoint, finalRuns = "", "", "" // per stage; the last stage is the image
		case "RUN":
			finalRuns += in + "\n"
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entrypoint = strings.TrimSpace(strings.TrimPrefix(in, "ENTRYPOINT"))
		}
	}
	if !strings.HasPrefix(goArg, goLine[1]) {
		t.Errorf("Dockerfile GO_VERSION=%s, go.mod asks for go %s", goArg, goLine[1]+goLine[2])
	}
	if len(froms) < 2 {
		t.Errorf("Dockerfile is not multi-stage: %q", froms)
	}
	for _, from := range froms {
		img := ""
		for _, w := range strings.Fields(from)[1:] {
			if !strings.HasPrefix(w, "--") {
				img = w
				break
			}
		}
		if !strings.Contains(img, ":") || strings.HasSuffix(img, ":latest") {
			t.Errorf("Dockerfile %q: base image not pinned to a tag", from)
		}
	}
	if last := froms[len(froms)-1]; !strings.Contains(last, "distroless/") && !strings.Contains(last, "-slim") {
		t.Errorf("final stage %q: want a minimal (distroless or slim) base", last)
	}
	have := map[string]bool{}
	for pkg, libs := range runtimeLibs {
		if pkg == "" || regexp.MustCompile(`apt-get install[^\n&]*\s`+regexp.QuoteMeta(pkg)+`(\s|$)`).MatchString(finalRuns) {
			for _, l := range libs {
				have[l] = true
			}
		}
	}
	f, err := elf.Open(apitapBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	needed, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range needed {
		if !have[lib] {
			t.Errorf("the binary needs %s, which the final stage does not install", lib)
		}
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("final stage USER = %q, want a non-root user", user)
	}
	if entrypoint != `["/apitap"]` {
		t.Errorf("ENTRYPOINT = %s, want [\"/apitap\"] (the manifests pass only args)", entrypoint)
	}
}

// TestParseHelp guards the help parser the flag checks rely on.
func TestParseHelp(t *testing.T) {
	agent, ok := cli.commands["agent"]
	if !ok {
		t.Fatalf("no agent command in %v", mapKeys(cli.commands))
	}
	for name, want := range map[string]flagSpec{
		"pcap":     {takesValue: true, env: []string{"APITAP_PCAP"}},
		"keep-pii": {takesValue: false, env: []string{"APITAP_KEEP_PII"}},
		"node":     {takesValue: true, env: []string{"APITAP_NODE_NAME", "NODE_NAME"}},
		"help":     {},
		"h":        {},
	} {
		got, ok := agent.flags[name]
		if !ok || got.takesValue != want.takesValue || !slices.Equal(got.env, want.env) {
			t.Errorf("agent flag %s = %+v (found %v), want %+v", name, got, ok, want)
		}
	}
	if _, ok := cli.global.flags["log-format"]; !ok {
		t.Errorf("global flags lack log-format: %v", mapKeys(cli.global.flags))
	}
	for _, tc := range []struct {
		args, env []string
		errs      int
	}{
		{[]string{"agent", "--pcap", "x", "--keep-pii", "--sink=null"}, []string{"APITAP_PSEUDONYM_KEY", "GOMEMLIMIT", "APITAP_LOG_FORMAT"}, 0},
		{[]string{"--log-format", "json", "agent"}, nil, 0},
		{[]string{"agent", "--log-format", "json"}, nil, 1}, // global flags go before the command
		{[]string{"agent", "--no-such-flag"}, nil, 1},
		{[]string{"agent"}, []string{"APITAP_NO_SUCH_VAR", "HOME"}, 2},
		{[]string{"no-such-command"}, nil, 1},
		{[]string{"agent", "stray"}, nil, 1},
	} {
		if _, errs := cli.checkInvocation(tc.args, tc.env); len(errs) != tc.errs {
			t.Errorf("checkInvocation(%q, %q) = %v, want %d errors", tc.args, tc.env, errs, tc.errs)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := mapKeys(m)
	slices.Sort(out)
	return out
}
