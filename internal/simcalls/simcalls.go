// Package simcalls turns a capture file into the calls the agent hands on
// (reassembled, paired, actors extracted, secrets redacted), for the tests
// and benchmarks of the stages after the agent.
package simcalls

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/apitap/apitap/analyzer/identity"
	"github.com/apitap/apitap/apicall"
	"github.com/apitap/apitap/capture/pcapfile"
	"github.com/apitap/apitap/reassembly"
	"github.com/apitap/apitap/simulate"
)

// File reads the capture at path with one reassembly worker, extracts actors
// and redacts with the default identity configuration keyed by key, and
// returns the calls ordered by request start (stable).
func File(path string, key []byte) ([]apicall.Call, error) {
	icfg := identity.DefaultConfig()
	icfg.Key = key
	ident, err := identity.New(icfg)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var calls []apicall.Call
	sink := apicall.SinkFunc(func(_ context.Context, cs []apicall.Call) error {
		mu.Lock()
		calls = append(calls, cs...) // the pipeline hands over ownership of the calls
		mu.Unlock()
		return nil
	})
	rcfg := reassembly.DefaultConfig()
	rcfg.Workers = 1
	eng, err := reassembly.New(rcfg, ident.Sink(sink), nil)
	if err != nil {
		return nil, err
	}
	src, err := pcapfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = src.Close() }() // read-only
	if err := eng.Run(context.Background(), src); err != nil {
		return nil, err
	}
	if err := eng.Close(context.Background()); err != nil {
		return nil, err
	}
	slices.SortStableFunc(calls, func(a, b apicall.Call) int { return cmp.Compare(a.ReqStart, b.ReqStart) })
	return calls, nil
}

// Simulated writes the simulation cfg to a temporary directory and returns
// its calls as File does.
func Simulated(cfg simulate.Config, key []byte) ([]apicall.Call, error) {
	dir, err := os.MkdirTemp("", "apitap-simcalls")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if _, err := simulate.Write(dir, cfg); err != nil {
		return nil, err
	}
	return File(filepath.Join(dir, simulate.PcapFile), key)
}
