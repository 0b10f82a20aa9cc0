package promreg

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegister(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_test_a_total", Help: "a"})
	b := prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_test_b_total", Help: "b"})
	if err := Register(reg, "test", a, b); err != nil {
		t.Fatal(err)
	}
	// Registering the same names again fails, naming the subsystem; the
	// new collector that does not clash is still registered.
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_test_c_total", Help: "c"})
	err := Register(reg, "second", prometheus.NewCounter(prometheus.CounterOpts{Name: "apitap_test_a_total", Help: "a"}), c)
	if err == nil || !strings.HasPrefix(err.Error(), "register second metrics: ") {
		t.Fatalf("duplicate registration: %v", err)
	}
	if n, err := reg.Gather(); err != nil || len(n) != 3 {
		t.Fatalf("gathered %d families (%v), want 3", len(n), err)
	}
	if err := Register(nil, "none", a); err != nil {
		t.Fatalf("nil registerer: %v", err)
	}
}
