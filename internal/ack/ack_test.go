package ack

import (
	"context"
	"errors"
	"testing"
)

func TestCollector(t *testing.T) {
	if From(context.Background()) != nil {
		t.Fatal("a collector in a bare context")
	}
	c := &Collector{}
	ctx := With(context.Background(), c)
	if From(ctx) != c {
		t.Fatal("From does not return the collector of With")
	}
	if err := c.Wait(ctx); err != nil {
		t.Fatalf("Wait with nothing registered: %v", err)
	}
	release := make(chan struct{})
	c.Add(func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	bad := errors.New("insert failed")
	o := &Collector{}
	o.Add(func(context.Context) error { return bad })
	c.Merge(o)
	if c.Len() != 2 {
		t.Fatalf("Len = %d, want 2", c.Len())
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Wait(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with an ended context: %v, want context.Canceled", err)
	}
	close(release)
	if err := c.Wait(context.Background()); !errors.Is(err, bad) {
		t.Fatalf("Wait: %v, want the failure", err)
	}
}
