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
	"syscall"

	"github.com/opencsm/csm-go/cmd/csmtail/tail"
)

func main() {
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
