// Command csmtail receives the AWS SDK Client Side Monitoring (CSM)
// datagrams that csm-go, and the AWS SDKs' own CSM, send over UDP, and
// shows per Service/Api the calls per second, errors and latency
// percentiles, and the HTTP timing of the attempts; it can serve the same
// counts to Prometheus.
//
// Usage:
//
//	go install github.com/opencsm/csm-go/cmd/csmtail@latest
//	csmtail [flags]
//
// It listens on 127.0.0.1:31000, the agent address the SDKs default to.
// csmtail -h lists the flags; docs/csmtail.md in csm-go tells what it shows,
// how to run it on every host, and which secrets it never shows. The work
// is done by package tail.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/opencsm/csm-go/cmd/csmtail/tail"
)

// memoryLimit is the Go runtime's soft memory limit for csmtail: above
// what its largest --max-series holds (docs/csmtail.md), under 256 MiB.
const memoryLimit = 224 << 20

func main() {
	// csmtail's live heap is small, some MiB, and every datagram
	// allocates: at the default GOGC the collector runs so often that it
	// costs about a third of csmtail's CPU at 100,000 datagrams/s
	// (BENCHMARKS.md). A higher GOGC collects less often; the memory limit
	// keeps the heap under it all the same. GOGC and GOMEMLIMIT, if set,
	// still decide.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	env := tail.Env{Stdout: os.Stdout, Stderr: os.Stderr}
	env.UseTerminal(os.Stdout, os.Stdin)
	code := tail.Run(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}
