package discovery

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/apitap/apitap/internal/promreg"
)

// Register adds the inventory's metrics to reg: calls observed, what the
// limits shed (by reason), and the current hosts and endpoints.
func (inv *Inventory) Register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	stat := func(f func(Stats) float64) func() float64 {
		return func() float64 { return f(inv.Stats()) }
	}
	cs := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "apitap_discovery_calls_total", Help: "Calls observed by the endpoint stage."},
			stat(func(s Stats) float64 { return float64(s.Calls) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "apitap_discovery_shed_total", Help: "Calls not inventoried because of a limit.",
			ConstLabels: prometheus.Labels{"reason": "max_hosts"}}, stat(func(s Stats) float64 { return float64(s.ShedHosts) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "apitap_discovery_shed_total", Help: "Calls not inventoried because of a limit.",
			ConstLabels: prometheus.Labels{"reason": "max_endpoints"}}, stat(func(s Stats) float64 { return float64(s.ShedEndpoints) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "apitap_discovery_forced_params_total", Help: "Path segments folded into a parameter because a host reached its tree node limit."},
			stat(func(s Stats) float64 { return float64(s.ForcedParams) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "apitap_discovery_constants_shed_total", Help: "Constant-word evidence not kept because a host reached its limit (words shown constant, word parameters tracked)."},
			stat(func(s Stats) float64 { return float64(s.ShedConstants) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "apitap_discovery_hosts", Help: "Hosts in the inventory."},
			stat(func(s Stats) float64 { return float64(s.Hosts) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "apitap_discovery_endpoints", Help: "Endpoints in the inventory (seen or documented on a seen host)."},
			stat(func(s Stats) float64 { return float64(s.Endpoints) })),
	}
	return promreg.Register(reg, "discovery", cs...)
}
