package simulate

import (
	"errors"
	"fmt"
	"time"
)

// Config controls what Write and WritePcap generate. Start from
// DefaultConfig: the zero value is not valid.
type Config struct {
	// Seed selects the random world and traffic. Default 1.
	Seed int64
	// Start is the timestamp of the capture start. Default
	// 2026-01-05T09:00:00Z; it is fixed so output stays deterministic.
	Start time.Time
	// Duration is the window in which sessions and attacks begin; calls in
	// flight at its end still complete. Default 2h, minimum 1m.
	Duration time.Duration
	// Users is the number of registered users (customers, web users,
	// admins, service accounts). Anonymous visitors come on top. Default
	// 200, minimum 10.
	Users int
	// Rate is the mean number of benign calls per second across all
	// users, in calls/s. Default 5.2, which with 2h and the attacks gives
	// about 40k calls.
	Rate float64
	// Attacks includes the labeled attacks and benign look-alikes.
	// Default true.
	Attacks bool
	// MaxCalls, if > 0, stops generating once that many calls have been
	// started; every started call still completes. Default 0 (no limit).
	MaxCalls int
}

// DefaultConfig returns the configuration of the standard demo capture.
func DefaultConfig() Config {
	return Config{
		Seed:     1,
		Start:    time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
		Duration: 2 * time.Hour,
		Users:    200,
		Rate:     5.2,
		Attacks:  true,
	}
}

// Validate reports every invalid field, joined.
func (c Config) Validate() error {
	var errs []error
	if c.Start.IsZero() {
		errs = append(errs, errors.New("start: must be set"))
	}
	if c.Duration < time.Minute {
		errs = append(errs, fmt.Errorf("duration %s: must be at least 1m", c.Duration))
	}
	if c.Users < 10 {
		errs = append(errs, fmt.Errorf("users %d: must be at least 10", c.Users))
	}
	if c.Users > 100000 {
		errs = append(errs, fmt.Errorf("users %d: must be at most 100000", c.Users))
	}
	if !(c.Rate > 0) || c.Rate > 1e6 {
		errs = append(errs, fmt.Errorf("rate %g: must be in (0, 1e6] calls/s", c.Rate))
	}
	if c.MaxCalls < 0 {
		errs = append(errs, fmt.Errorf("max calls %d: must not be negative", c.MaxCalls))
	}
	return errors.Join(errs...)
}
