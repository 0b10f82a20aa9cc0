package cputime

import (
	"testing"
	"time"
)

// TestProcessGrows: busy work shows up as CPU time.
func TestProcessGrows(t *testing.T) {
	before := Process()
	if before <= 0 {
		t.Fatalf("Process() = %v before any work, want > 0", before)
	}
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	if after := Process(); after <= before {
		t.Fatalf("Process() went from %v to %v over 50 ms of busy work (%d loops)", before, after, x)
	}
}
