// Package promreg registers a subsystem's Prometheus collectors in one call.
package promreg

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers every collector on reg and reports all that failed
// (a duplicate metric name, typically) as one error naming the subsystem,
// e.g. "register kafka producer metrics: ...". A nil reg registers nothing.
func Register(reg prometheus.Registerer, subsystem string, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	var errs []error
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("register %s metrics: %w", subsystem, err)
	}
	return nil
}
