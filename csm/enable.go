package csm

import (
	"errors"
	"fmt"

	"github.com/opencsm/csm-go/internal/report"
)

// The default values here and of MetricsChannelSize are written out, not
// taken from package report, so that the documentation shows them;
// TestDefaults checks them against aws-sdk-go's and csmv2's.

const (
	// DefaultPort is used when no port is specified.
	DefaultPort = "31000"

	// DefaultHost is the host that will be used when none is specified.
	DefaultHost = "127.0.0.1"
)

// MetricsChannelSize is the capacity, in metrics, of a reporter's queue. It
// is read when the reporter is created by Start or Enable; changing it later
// has no effect on a running reporter. A full queue never makes an API call
// wait for room: the metric is dropped and counted in Stats.DroppedFull.
//
// Metrics are queued as compact records (their numbers and their strings,
// cut to their limits) in one ring of MetricsChannelSize KiB (at least
// 16 KiB, at most 64 MiB) allocated when the reporter starts: the queue
// holds at most MetricsChannelSize metrics and never more than its ring's
// bytes, and so holds fewer metrics when they are unusually large. A typical
// record is 300 to 600 bytes; the largest is 8 KiB. The API call's
// goroutine holds the queue's lock only to copy its record in.
//
// The default was 100 in the original package, which dropped most metrics
// above about 20,000 API calls a second; with the current default, 16
// goroutines calling at 16,000 calls/s on 2 cores had nothing dropped from a
// full queue (BENCHMARKS.md, "Callers saturating the CPU").
var MetricsChannelSize = 4096

// AddressWithDefaults returns a CSM address built from the host and port
// values. If the host or port is not set, default values will be used
// instead. If host is "localhost" it will be replaced with "127.0.0.1".
func AddressWithDefaults(host, port string) string {
	return report.AddressWithDefaults(host, port)
}

// Start starts the process's reporter, which sends metrics over UDP to the
// agent at url ("host:port"), and returns it. Calling Start again with the
// same client ID and address returns the same reporter; calling it with a
// different client ID or address panics, as the original package does.
// Enable returns an error in that case instead.
//
// Start returns an error, and starts nothing, when url is not a usable UDP
// address: a malformed address, a host that does not resolve, a bad port.
//
// Start does not report any API call by itself: inject the reporter's
// handlers into a session with InjectHandlers, or use Enable or NewSession.
//
//	r, err := csm.Start("clientID", "127.0.0.1:31000")
//	if err != nil {
//		return err
//	}
//	sess := session.Must(session.NewSession())
//	r.InjectHandlers(&sess.Handlers)
func Start(clientID string, url string) (*Reporter, error) {
	r, err := report.Start(clientID, url, MetricsChannelSize)
	var mismatch *report.MismatchError
	if errors.As(err, &mismatch) {
		panic(panicValue(mismatch))
	}
	if err != nil {
		return nil, err
	}
	return wrap(r), nil
}

// Get returns the process's reporter, or nil if none was started.
func Get() *Reporter {
	return wrap(report.Get())
}

// panicValue is the error the original package panics with.
func panicValue(e *report.MismatchError) error {
	if errors.Is(e, report.ErrClientIDMismatch) {
		return fmt.Errorf("inconsistent client IDs. %q was expected, but received %q", e.Running, e.Asked)
	}
	return fmt.Errorf("inconsistent URLs. %q was expected, but received %q", e.Running, e.Asked)
}
