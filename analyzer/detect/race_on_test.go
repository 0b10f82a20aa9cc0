//go:build race

package detect

// raceEnabled: the race detector slows the 1M-actor test ~10×.
const raceEnabled = true
