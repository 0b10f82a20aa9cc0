package baseline

import (
	"math"
	"strconv"
	"testing"
)

func TestDistinct(t *testing.T) {
	for _, n := range []int{0, 1, 10, 64, 65, 500, 5000, 100000} {
		var d Distinct
		for i := range n {
			d.Add(Hash("id-" + strconv.Itoa(i)))
			d.Add(Hash("id-" + strconv.Itoa(i))) // repeats do not count
		}
		got := d.Count()
		if n <= SparseMax {
			if got != n {
				t.Errorf("n=%d: exact count %d", n, got)
			}
			continue
		}
		if err := math.Abs(float64(got-n)) / float64(n); err > 0.2 {
			t.Errorf("n=%d: estimate %d (%.0f%% off)", n, got, 100*err)
		}
		if d.Bytes() > 1<<Precision+64 {
			t.Errorf("n=%d: %d bytes", n, d.Bytes())
		}
	}
	var d Distinct
	d.Add(1 << 40)
	d.Reset()
	if d.Count() != 0 || d.Bytes() != 0 {
		t.Error("reset kept state")
	}
}

func TestSmall(t *testing.T) {
	var s Small
	for i := range 12 {
		s.Add(Hash(strconv.Itoa(i % 6)))
	}
	if s.Count() != 6 {
		t.Errorf("count %d, want 6", s.Count())
	}
	for i := range 20 {
		s.Add(Hash("x" + strconv.Itoa(i)))
	}
	if s.Count() < 8 {
		t.Errorf("overflowed count %d", s.Count())
	}
}

func TestEWMAAndCounter(t *testing.T) {
	var e EWMA
	for range 200 {
		e.Add(10, 0.1)
		e.Add(20, 0.1)
	}
	if math.Abs(float64(e.Mean)-15) > 1 || e.High(3) < 20 || e.High(3) > 35 || !e.Warm(6) {
		t.Errorf("mean %v var %v high %v", e.Mean, e.Var, e.High(3))
	}
	var c Counter
	const w = int64(60e9)
	const base = int64(1.7e18) // Start 0 means "no window yet": real times are Unix ns
	for m := range 10 {
		for range 5 {
			c.Roll(base+int64(m)*w+1, w, 0.5, false)
			c.N++
		}
	}
	c.Roll(base+int64(11)*w, w, 0.5, false) // closes minute 9 and folds one empty minute
	if c.Hist.N != 11 || c.N != 0 {
		t.Errorf("hist %+v n %d", c.Hist, c.N)
	}
	frozen := c.Hist
	c.N = 500
	c.Roll(base+int64(12)*w, w, 0.5, true)
	if c.Hist != frozen {
		t.Error("a frozen counter learned")
	}
}

func TestTable(t *testing.T) {
	tb := NewTable[int](100, int64(3600e9))
	for i := range 1000 {
		v, created := tb.Get("k"+strconv.Itoa(i), int64(i)*1e9+1)
		if !created {
			t.Fatalf("key %d not created", i)
		}
		*v = i
	}
	if tb.Len() != 100 || tb.EvictedLRU != 900 {
		t.Fatalf("len %d, evicted %d", tb.Len(), tb.EvictedLRU)
	}
	// Approximate LRU keeps mostly recent keys.
	recent := 0
	for k := range tb.M {
		if n, _ := strconv.Atoi(k[1:]); n >= 700 {
			recent++
		}
	}
	if recent < 80 {
		t.Errorf("only %d of 100 kept keys are among the 300 most recent", recent)
	}
	// TTL: everything idle for more than an hour is swept.
	tb.Get("late", int64(1000)*1e9+int64(7200e9))
	if tb.Len() != 1 || tb.EvictedTTL != 100 {
		t.Errorf("after ttl: len %d, ttl evictions %d", tb.Len(), tb.EvictedTTL)
	}
	v, k, created := tb.GetBytes([]byte("late"), int64(1000)*1e9+int64(7201e9))
	if created || k != "late" || v == nil {
		t.Errorf("GetBytes existing: created %v key %q", created, k)
	}
}

func TestSliding(t *testing.T) {
	const w = int64(60e9)
	const base = int64(1.7e18)
	var c Counter
	// 300 events over the 30 s before a boundary, 100 in the 10 s after.
	for i := range 300 {
		c.Roll(base+30e9+int64(i)*1e8, w, 0.1, false)
		c.N++
	}
	for i := range 100 {
		c.Roll(base+w+int64(i)*1e8, w, 0.1, false)
		c.N++
	}
	if got := c.Sliding(base+w+10e9, w); got < 330 || got > 400 {
		t.Errorf("sliding count %v, want about 350 (100 now + 5/6 of 300)", got)
	}
	c.Roll(base+5*w, w, 0.1, false)
	if c.Prev != 0 {
		t.Errorf("prev %d after a gap", c.Prev)
	}
}
