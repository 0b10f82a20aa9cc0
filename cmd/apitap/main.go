// Command apitap is the passive API security analyzer: node agent, cluster
// analyzer and the one-process offline pipeline, in one binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp().RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "apitap:", err)
		os.Exit(1)
	}
}
