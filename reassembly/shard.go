package reassembly

import (
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/apitap/apitap/capture/decoder"
)

const (
	shardBatchPackets = 512
	shardBatchBytes   = 512 << 10
)

// segRec is a decoded segment in transit to a worker; its TCP header and
// payload live in the batch's arena. The worker decodes the header again:
// a copied layers.TCP would keep pointers into the reader's frame buffer.
type segRec struct {
	net      gopacket.Flow
	ts       time.Time
	off, end int
	vni      uint32
}

type segBatch struct {
	recs  []segRec
	arena []byte
}

// shard carries segments from the reading goroutine to one worker.
type shard struct {
	w    *worker
	ch   chan *segBatch
	free chan *segBatch
	cur  *segBatch
}

func newShard(w *worker, queue int) *shard {
	s := &shard{w: w, ch: make(chan *segBatch, queue), free: make(chan *segBatch, queue+2)}
	for range queue + 2 {
		s.free <- &segBatch{recs: make([]segRec, 0, shardBatchPackets), arena: make([]byte, 0, shardBatchBytes)}
	}
	return s
}

// add copies a segment into the current batch.
func (s *shard) add(seg *decoder.Segment, ts time.Time) {
	if s.cur == nil {
		s.cur = <-s.free
	}
	b := s.cur
	off := len(b.arena)
	b.arena = append(b.arena, seg.TCP.Contents...)
	b.arena = append(b.arena, seg.TCP.Payload...)
	b.recs = append(b.recs, segRec{net: seg.Net, ts: ts, off: off, end: len(b.arena), vni: seg.VNI})
	if len(b.recs) >= shardBatchPackets || len(b.arena) >= shardBatchBytes {
		s.send()
	}
}

// send hands the current batch to the worker, waiting if its queue is full:
// offline input is never dropped. (Live capture sheds earlier, in the ring.)
func (s *shard) send() {
	if s.cur == nil || len(s.cur.recs) == 0 {
		return
	}
	s.ch <- s.cur
	s.cur = nil
}

// run is the worker goroutine.
func (s *shard) run() {
	var tcp layers.TCP
	for b := range s.ch {
		for i := range b.recs {
			r := &b.recs[i]
			if err := tcp.DecodeFromBytes(b.arena[r.off:r.end:r.end], gopacket.NilDecodeFeedback); err != nil {
				s.w.ctr.drop(DropPanic, 1) // cannot happen: the reader decoded these bytes
				continue
			}
			s.w.assemble(r.net, &tcp, r.ts, r.vni)
		}
		b.recs = b.recs[:0]
		b.arena = b.arena[:0]
		s.free <- b
	}
	s.w.closeAll()
}
