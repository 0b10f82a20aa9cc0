package ebpf

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// helperEnv makes the test binary serve HTTP on the address it names
// instead of running tests (it is re-executed inside a network namespace).
const helperEnv = "APITAP_EBPF_TEST_SERVER"

func TestMain(m *testing.M) {
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
