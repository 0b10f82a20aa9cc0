// Package jsonl writes API calls as JSON lines (one apicall.AppendJSON
// object per line) to a file or a stream.
package jsonl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/apitap/apitap/apicall"
)

// Writer is an apicall.Sink that encodes calls as JSON lines. It is safe
// for concurrent use. Close flushes and closes the underlying file if the
// Writer opened it.
type Writer struct {
	mu     sync.Mutex
	bw     *bufio.Writer
	closer io.Closer
	buf    []byte
	closed bool
	calls  atomic.Uint64
	bytes  atomic.Uint64
}

// NewWriter writes to w. The caller keeps ownership of w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 256<<10)}
}

// Create writes to a new file at path (truncating an existing one).
func Create(path string) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create sink file: %w", err)
	}
	w := NewWriter(f)
	w.closer = f
	return w, nil
}

// Consume implements apicall.Sink.
func (w *Writer) Consume(_ context.Context, calls []apicall.Call) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("jsonl: write after close")
	}
	for i := range calls {
		w.buf = apicall.AppendJSON(w.buf[:0], &calls[i])
		w.buf = append(w.buf, '\n')
		if _, err := w.bw.Write(w.buf); err != nil {
			return fmt.Errorf("write calls: %w", err)
		}
		w.bytes.Add(uint64(len(w.buf)))
	}
	w.calls.Add(uint64(len(calls)))
	return nil
}

// Flush writes buffered lines out.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("flush calls: %w", err)
	}
	return nil
}

// Calls returns the number of calls written.
func (w *Writer) Calls() uint64 { return w.calls.Load() }

// Close flushes and, for Create, closes the file. It is idempotent.
func (w *Writer) Close(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.bw.Flush()
	if w.closer != nil {
		if cerr := w.closer.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("close calls output: %w", err)
	}
	return nil
}
