package ebpf

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/cilium/ebpf/link"
)

// sslSymbols are the OpenSSL functions probed, in cookie order
// (bpf/socket.c ssl_call.kind): even numbers write, odd ones read, ≥ 2 are
// the _ex variants. OpenSSL 1.1.0 lacks the _ex ones.
var sslSymbols = []string{"SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex"}

// maxTried bounds the files remembered as not attachable.
const maxTried = 1 << 16

// fileID names a library file whatever path a process maps it by.
type fileID struct{ dev, ino uint64 }

// tlsAttacher attaches the SSL probes to every libssl file that a process
// maps. Uprobes live on the file (inode), so every process mapping an
// attached file, including processes started later, is covered; scans find
// new files (other versions, container images).
type tlsAttacher struct {
	c      *Capture
	mu     sync.Mutex
	links  map[fileID][]link.Link
	failed map[fileID]bool
	closed bool
}

func newTLSAttacher(c *Capture) *tlsAttacher {
	return &tlsAttacher{c: c, links: map[fileID][]link.Link{}, failed: map[fileID]bool{}}
}

func (t *tlsAttacher) attachedCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.links)
}

// scan walks /proc/*/maps for libssl mappings and attaches new files.
func (t *tlsAttacher) scan() {
	root := t.c.cfg.ProcRoot
	ents, err := os.ReadDir(root)
	if err != nil {
		t.c.log.Warn("scan for TLS libraries", "err", err)
		return
	}
	self := strconv.Itoa(os.Getpid())
	for _, e := range ents {
		pid := e.Name()
		if pid == self || pid[0] < '0' || pid[0] > '9' {
			continue
		}
		for _, lib := range sslMappings(filepath.Join(root, pid, "maps")) {
			// Through the process's root: the path as the process sees it
			// (containers have their own).
			t.attach(filepath.Join(root, pid, "root", lib), t.attachFile)
		}
		// Go programs carry crypto/tls in their executable.
		t.attach(filepath.Join(root, pid, "exe"), t.attachGoTLS)
	}
}

// sslMappings lists the libssl paths a maps file names.
func sslMappings(maps string) []string {
	f, err := os.Open(maps)
	if err != nil {
		return nil // the process ended, or no permission (CAP_SYS_PTRACE)
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		i := bytes.Index(line, []byte("/libssl.so"))
		if i < 0 || bytes.HasSuffix(line, []byte("(deleted)")) {
			continue
		}
		j := bytes.IndexByte(line, '/')
		p := string(line[j:])
		if !slicesContains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// attach probes one file with how unless it was tried already.
func (t *tlsAttacher) attach(path string, how func(string) ([]link.Link, error)) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return
	}
	id := fileID{st.Dev, st.Ino}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.links[id] != nil || t.failed[id] {
		return
	}
	links, err := how(path)
	if err != nil {
		if len(t.failed) >= maxTried {
			clear(t.failed) // bounded: files are simply looked at again
		}
		t.failed[id] = true
		if !errors.Is(err, errNotGoTLS) {
			t.c.log.Warn("attach TLS probes", "file", path, "err", err)
		}
		return
	}
	t.links[id] = links
	t.c.log.Info("attached TLS probes", "file", path)
}

func (t *tlsAttacher) attachFile(path string) ([]link.Link, error) {
	syms, cookies, err := sslFunctions(path)
	if err != nil {
		return nil, err
	}
	ex, err := link.OpenExecutable(path)
	if err != nil {
		return nil, err
	}
	opts := &link.UprobeMultiOptions{Cookies: cookies}
	enter, err := ex.UprobeMulti(syms, t.c.objs.SslEnter, opts)
	if err != nil {
		return nil, fmt.Errorf("uprobe_multi: %w", err)
	}
	exit, err := ex.UretprobeMulti(syms, t.c.objs.SslExit, opts)
	if err != nil {
		_ = enter.Close()
		return nil, fmt.Errorf("uretprobe_multi: %w", err)
	}
	return []link.Link{enter, exit}, nil
}

// sslFunctions lists the probed functions the library exports, with their cookies.
func sslFunctions(path string) ([]string, []uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = f.Close() }()
	dyn, err := f.DynamicSymbols()
	if err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	for _, s := range dyn {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			have[strings.SplitN(s.Name, "@", 2)[0]] = true
		}
	}
	var syms []string
	var cookies []uint64
	for i, s := range sslSymbols {
		if have[s] {
			syms = append(syms, s)
			cookies = append(cookies, uint64(i))
		}
	}
	if len(syms) == 0 {
		return nil, nil, errors.New("no SSL_read/SSL_write symbols")
	}
	return syms, cookies, nil
}

func (t *tlsAttacher) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	var errs []error
	for id, ls := range t.links {
		for _, l := range ls {
			errs = append(errs, l.Close())
		}
		delete(t.links, id)
	}
	return errors.Join(errs...)
}
