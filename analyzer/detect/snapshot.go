package detect

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"

	"github.com/apitap/apitap/analyzer/baseline"
)

// Per-stage snapshots, for the Kafka wiring where actor-stage and
// endpoint-stage replicas checkpoint on their own (for example to a
// compacted state topic keyed by partition). Pipeline.Snapshot covers both
// stages and the open findings in one process.

type actorSnapshot struct {
	Version int
	Actors  *baseline.Table[ActorState]
	Peers   *baseline.Table[PeerState]
	PeerIDs *baseline.Table[baseline.EWMA]
}

type endpointSnapshot struct {
	Version   int
	Endpoints *baseline.Table[EndpointState]
	RoleCalls map[string]uint64
	Total     uint64
}

// Snapshot writes the actor stage's learned state.
func (s *ActorStage) Snapshot(w io.Writer) error {
	if err := gob.NewEncoder(w).Encode(&actorSnapshot{Version: snapshotVersion, Actors: s.Actors, Peers: s.Peers, PeerIDs: s.PeerIDs}); err != nil {
		return fmt.Errorf("encode actor snapshot: %w", err)
	}
	return nil
}

// Restore replaces the actor stage's state by a snapshot; table bounds
// come from the current Config.
func (s *ActorStage) Restore(r io.Reader) error {
	var snap actorSnapshot
	if err := gob.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("decode actor snapshot: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("decode actor snapshot: version %d, want %d", snap.Version, snapshotVersion)
	}
	if snap.Actors == nil || snap.Peers == nil || snap.PeerIDs == nil {
		return errors.New("decode actor snapshot: missing tables")
	}
	s.restore(snap.Actors, snap.Peers, snap.PeerIDs)
	return nil
}

func (s *ActorStage) restore(a *baseline.Table[ActorState], p *baseline.Table[PeerState], ids *baseline.Table[baseline.EWMA]) {
	a.Max, a.TTL = s.Actors.Max, s.Actors.TTL
	p.Max, ids.Max = s.Peers.Max, s.PeerIDs.Max
	s.Actors, s.Peers, s.PeerIDs = a, p, ids
}

// Snapshot writes the endpoint stage's learned state.
func (s *EndpointStage) Snapshot(w io.Writer) error {
	if err := gob.NewEncoder(w).Encode(&endpointSnapshot{Version: snapshotVersion, Endpoints: s.Endpoints, RoleCalls: s.RoleCalls, Total: s.Total}); err != nil {
		return fmt.Errorf("encode endpoint snapshot: %w", err)
	}
	return nil
}

// Restore replaces the endpoint stage's state by a snapshot.
func (s *EndpointStage) Restore(r io.Reader) error {
	var snap endpointSnapshot
	if err := gob.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("decode endpoint snapshot: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("decode endpoint snapshot: version %d, want %d", snap.Version, snapshotVersion)
	}
	if snap.Endpoints == nil {
		return errors.New("decode endpoint snapshot: missing tables")
	}
	s.restore(snap.Endpoints, snap.RoleCalls, snap.Total)
	return nil
}

func (s *EndpointStage) restore(e *baseline.Table[EndpointState], roles map[string]uint64, total uint64) {
	e.Max = s.Endpoints.Max
	s.Endpoints, s.Total = e, total
	if roles != nil {
		s.RoleCalls = roles
	}
}
