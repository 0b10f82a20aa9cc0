package baseline

import "math"

// EWMA is an exponentially weighted mean and variance of a series of
// samples (one per closed window). N counts the samples folded in, capped.
type EWMA struct {
	Mean float32
	Var  float32
	N    uint16
}

// Add folds x in with weight alpha (0 < alpha ≤ 1). The first sample sets
// the mean; later ones move it by alpha (West's incremental EW variance).
func (e *EWMA) Add(x, alpha float64) {
	if e.N == 0 {
		e.Mean, e.Var, e.N = float32(x), 0, 1
		return
	}
	m := float64(e.Mean)
	d := x - m
	incr := alpha * d
	m += incr
	v := (1 - alpha) * (float64(e.Var) + d*incr)
	e.Mean, e.Var = float32(m), float32(v)
	if e.N < math.MaxUint16 {
		e.N++
	}
}

// High is the mean plus k standard deviations: the level above which a
// sample is unusual for this series.
func (e *EWMA) High(k float64) float64 {
	return float64(e.Mean) + k*math.Sqrt(math.Max(float64(e.Var), 0))
}

// Warm reports whether at least n samples were folded in.
func (e *EWMA) Warm(n int) bool { return int(e.N) >= n }

// Counter counts events in the current tumbling window of Width
// nanoseconds and folds each closed window's count into Hist, so Hist
// learns the usual count per window. Windows with no events are folded as
// zeros only up to IdleFold windows per gap, so a long silence does not
// wash out the history.
type Counter struct {
	Start int64 // start of the current window, Unix ns; 0 before the first event
	N     uint32
	Prev  uint32 // count of the window just before the current one (0 after a gap)
	Hist  EWMA
}

// Sliding estimates the count over the last width ns at t: the current
// window plus the part of the previous one still inside the span (the
// usual sliding-window approximation), so a burst that straddles a window
// boundary is not split in two.
func (c *Counter) Sliding(t, width int64) float64 {
	f := 1 - float64(t-c.Start)/float64(width)
	return float64(c.N) + max(f, 0)*float64(c.Prev)
}

// IdleFold is how many empty windows a gap folds into a Counter's history.
const IdleFold = 3

// Roll closes the current window if t is past it, folding its count (and
// up to IdleFold empty windows) into Hist unless frozen, and starts the
// window that holds t. It reports whether a window was closed.
func (c *Counter) Roll(t, width int64, alpha float64, frozen bool) bool {
	if c.Start == 0 {
		c.Start = t - t%width
		return false
	}
	if t < c.Start+width {
		return false
	}
	if !frozen {
		c.Hist.Add(float64(c.N), alpha)
		gaps := (t-c.Start)/width - 1
		for i := int64(0); i < min(gaps, IdleFold); i++ {
			c.Hist.Add(0, alpha)
		}
	}
	c.Prev = 0
	if t < c.Start+2*width {
		c.Prev = c.N
	}
	c.Start, c.N = t-t%width, 0
	return true
}
