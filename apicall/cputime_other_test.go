//go:build !linux

package apicall_test

import "time"

func threadCPU() time.Duration { return 0 }
