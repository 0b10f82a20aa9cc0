package detect

import (
	"container/heap"
	"encoding/gob"
	"errors"
	"fmt"
	"io"

	"github.com/apitap/apitap/analyzer/baseline"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/apicall"
)

// Templater places a call in the API inventory. Discovery's inventory
// provides one; FallbackTemplater is the stand-in.
type Templater func(c *apicall.Call, o *Observation)

// FallbackTemplater fills o from the call with FallbackTemplate and no
// spec hints.
func FallbackTemplater(c *apicall.Call, o *Observation) {
	o.Host, o.Method, o.Template, o.SpecAuth = c.Host, c.Method, FallbackTemplate(c.Path), -1
}

// Pipeline runs the actor stage, then the endpoint stage, then dedup, in
// one process (apitap analyze). Not safe for concurrent use.
type Pipeline struct {
	Actors    *ActorStage
	Endpoints *EndpointStage
	Findings  *Findings
	template  Templater
	hits      []Hit
	obs       Observation

	metrics    *Metrics
	sinceStats int
}

// NewPipeline validates cfg and wires empty stages; template nil means
// FallbackTemplater.
func NewPipeline(cfg Config, template Templater) (*Pipeline, error) {
	a, err := NewActorStage(cfg)
	if err != nil {
		return nil, err
	}
	e, err := NewEndpointStage(cfg)
	if err != nil {
		return nil, err
	}
	if template == nil {
		template = FallbackTemplater
	}
	return &Pipeline{Actors: a, Endpoints: e, Findings: NewFindings(&cfg), template: template}, nil
}

// Observe runs c through both stages and appends to out the findings
// created or updated by it. Calls should come in capture-time order
// (see Reorder); c is not kept.
func (p *Pipeline) Observe(c *apicall.Call, out []report.Finding) []report.Finding {
	if c.Status == 0 || c.ReqStart == 0 {
		return out // unanswered calls carry no verdict
	}
	o := &p.obs
	*o = Observation{}
	p.template(c, o)
	o.Call = c
	p.hits = p.Actors.Observe(o, p.hits[:0])
	p.hits = p.Endpoints.Observe(o, p.hits)
	for i := range p.hits {
		f := p.Findings.Add(&p.hits[i], o)
		if p.metrics != nil && f.Count == 1 {
			p.metrics.findings.WithLabelValues(f.Type).Inc()
		}
		out = append(out, f)
	}
	if p.metrics != nil {
		p.metrics.observe(p, p.hits)
	}
	return out
}

// Stats are the pipeline's table sizes and eviction counters.
type Stats struct {
	Actors, Endpoints, Findings        int
	ActorsEvictedLRU, ActorsEvictedTTL uint64
	EndpointsEvicted                   uint64
	FindingsDropped                    uint64
	ReorderedEarly                     uint64 // set by the caller that owns the Reorder
	ReorderedLate                      uint64 // set by the caller that owns the Reorder
}

// Stats reports table sizes and evictions.
func (p *Pipeline) Stats() Stats {
	return Stats{Actors: p.Actors.Actors.Len(), Endpoints: p.Endpoints.Endpoints.Len(), Findings: len(p.Findings.M),
		ActorsEvictedLRU: p.Actors.Actors.EvictedLRU, ActorsEvictedTTL: p.Actors.Actors.EvictedTTL,
		EndpointsEvicted: p.Endpoints.Endpoints.EvictedLRU + p.Endpoints.Endpoints.EvictedTTL,
		FindingsDropped:  p.Findings.Dropped}
}

// snapshotVersion changes whenever the state layout does.
const snapshotVersion = 1

type snapshot struct {
	Version   int
	Actors    *baseline.Table[ActorState]
	Peers     *baseline.Table[PeerState]
	PeerIDs   *baseline.Table[baseline.EWMA]
	Endpoints *baseline.Table[EndpointState]
	RoleCalls map[string]uint64
	Total     uint64
	Findings  map[string]*report.Finding
}

// Snapshot writes the learned state of both stages and the open findings.
func (p *Pipeline) Snapshot(w io.Writer) error {
	s := snapshot{Version: snapshotVersion, Actors: p.Actors.Actors, Peers: p.Actors.Peers, PeerIDs: p.Actors.PeerIDs,
		Endpoints: p.Endpoints.Endpoints, RoleCalls: p.Endpoints.RoleCalls, Total: p.Endpoints.Total, Findings: p.Findings.M}
	if err := gob.NewEncoder(w).Encode(&s); err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	return nil
}

// Restore replaces the state of both stages by a snapshot. Table bounds
// come from the current Config, not the snapshot.
func (p *Pipeline) Restore(r io.Reader) error {
	var s snapshot
	if err := gob.NewDecoder(r).Decode(&s); err != nil {
		return fmt.Errorf("decode snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("decode snapshot: version %d, want %d", s.Version, snapshotVersion)
	}
	if s.Actors == nil || s.Endpoints == nil || s.Peers == nil || s.PeerIDs == nil {
		return errors.New("decode snapshot: missing tables")
	}
	p.Actors.restore(s.Actors, s.Peers, s.PeerIDs)
	p.Endpoints.restore(s.Endpoints, s.RoleCalls, s.Total)
	if s.Findings != nil {
		p.Findings.M = s.Findings
	}
	return nil
}

// Reorder restores capture-time order to calls that parallel reassembly
// workers emit slightly out of order: it holds each call until one at
// least Delay ns later was seen, or until Max calls are held (then the
// oldest goes early, counted in Early).
type Reorder struct {
	Delay int64
	Max   int
	Early uint64
	// Late counts calls that came after a later call was released: they
	// are processed out of order.
	Late     uint64
	h        callHeap
	last     int64
	released int64
}

// Push adds a copy of c and calls fn for every call now released, in
// order. fn must not keep the pointer.
func (r *Reorder) Push(c *apicall.Call, fn func(*apicall.Call)) {
	if c.ReqStart < r.released {
		r.Late++
	}
	heap.Push(&r.h, *c)
	r.last = max(r.last, c.ReqStart)
	for r.h.Len() > 0 {
		top := &r.h[0]
		if top.ReqStart > r.last-r.Delay && r.h.Len() <= r.Max {
			return
		}
		if top.ReqStart > r.last-r.Delay {
			r.Early++
		}
		c := heap.Pop(&r.h).(apicall.Call)
		r.released = c.ReqStart
		fn(&c)
	}
}

// Flush releases every held call in order.
func (r *Reorder) Flush(fn func(*apicall.Call)) {
	for r.h.Len() > 0 {
		c := heap.Pop(&r.h).(apicall.Call)
		fn(&c)
	}
}

type callHeap []apicall.Call

func (h callHeap) Len() int           { return len(h) }
func (h callHeap) Less(i, j int) bool { return h[i].ReqStart < h[j].ReqStart }
func (h callHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *callHeap) Push(x any)        { *h = append(*h, x.(apicall.Call)) }
func (h *callHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = apicall.Call{}
	*h = old[:len(old)-1]
	return c
}
