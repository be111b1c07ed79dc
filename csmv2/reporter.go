package csmv2

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencsm/csm-go/internal/report"
)

// MetricsChannelSize is the capacity, in metrics, of the reporter's queue,
// read when Start or Enable starts the process's reporter. It has no effect
// when package csm started the reporter first, nor on a running reporter.
// See csm.MetricsChannelSize for how the queue holds metrics.
var MetricsChannelSize = 4096

// Reporter is the process's CSM reporter, as aws-sdk-go-v2 clients use it.
// All of its methods are safe to call from many goroutines at once, and all
// of them are no-ops on a nil *Reporter.
type Reporter struct {
	r *report.Reporter
	// The middleware AddMiddleware adds, made once.
	call         *callMiddleware
	attempt      *attemptMiddleware
	timedAttempt *attemptMiddleware
}

// wrapped is the Reporter of the process's reporter, made once for it.
var wrapped report.Wrapper[Reporter]

// wrap returns the *Reporter of r, the same one every time for the same r.
func wrap(r *report.Reporter) *Reporter {
	return wrapped.Wrap(r, func(r *report.Reporter) *Reporter {
		return &Reporter{r: r, call: &callMiddleware{rep: r}, attempt: &attemptMiddleware{rep: r},
			timedAttempt: &attemptMiddleware{rep: r, timed: true}}
	})
}

// Start starts the process's reporter, which sends metrics over UDP to the
// agent at url ("host:port", see AddressWithDefaults), and returns it.
// Calling Start again with the same client ID and address, or after package
// csm started the reporter with them, returns the same reporter.
//
// Start returns an error, and starts nothing, when url is not a usable UDP
// address, or when the reporter already runs with another client ID or
// address.
//
// The parameters are named as in package csm's Start, aws-sdk-go's: url is
// the agent's address, not a URL.
func Start(clientID string, url string) (*Reporter, error) {
	r, err := report.Start(clientID, url, MetricsChannelSize)
	if err != nil {
		var mismatch *report.MismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("csmv2: %w", err)
		}
		return nil, err
	}
	return wrap(r), nil
}

// Get returns the process's reporter, or nil if none was started, by this
// package or by package csm.
func Get() *Reporter {
	return wrap(report.Get())
}

// AddressWithDefaults returns the agent address "host:port" built from host
// and port, with 127.0.0.1 for an empty host or "localhost", 31000 for an
// empty port, and brackets around an IPv6 host.
func AddressWithDefaults(host, port string) string {
	return report.AddressWithDefaults(host, port)
}

// core returns the process's reporter that rep wraps; nil for a nil rep,
// whose methods then do nothing.
func (rep *Reporter) core() *report.Reporter {
	if rep == nil {
		return nil
	}
	return rep.r
}

// Pause stops the reporter from producing metrics: API calls made while it
// is paused are not reported (they are counted in Stats.DroppedPaused), by
// aws-sdk-go-v2 and aws-sdk-go v1 clients alike. Metrics already queued are
// still sent. Continue resumes.
func (rep *Reporter) Pause() { rep.core().Pause() }

// Continue resumes reporting after Pause. It may be called any number of
// times, paused or not.
func (rep *Reporter) Continue() { rep.core().Continue() }

// Stats returns a snapshot of the reporter's counters. A nil reporter
// returns zero Stats.
func (rep *Reporter) Stats() Stats { return rep.core().Stats() }

// Flush waits until every metric queued before the call has been written to
// the agent's socket, or until ctx is done, in which case it returns
// ctx.Err(). A short-lived process, such as an AWS Lambda handler, calls it
// before returning so that its last metrics are not lost with the process.
func (rep *Reporter) Flush(ctx context.Context) error { return rep.core().Flush(ctx) }

// Shutdown writes what is queued, waiting until ctx is done at most, then
// stops the reporter: its goroutine ends and its socket is closed. As the
// reporter is the process's, this stops the reporting of aws-sdk-go v1
// clients too. Metrics produced afterwards are dropped (counted in
// DroppedFull), also those of clients made earlier with this reporter's
// middleware: Start or Enable starts a new reporter, whose middleware a
// client needs (a new config from Enable, or AddMiddleware again) to be
// reported. Shutdown returns ctx.Err() if ctx ended before everything
// queued was written; the reporter stops either way. A program need not
// call it before it exits: when a call returns, its datagrams are in the
// kernel, except those counted in Stats as dropped (never sent) or deferred
// (see the package documentation), which Flush and Shutdown write.
func (rep *Reporter) Shutdown(ctx context.Context) error { return rep.core().Shutdown(ctx) }

// Stats is a snapshot of the reporter's counters since it was started,
// counting the metrics of aws-sdk-go v1 and v2 clients together. It is the
// same type as csm.Stats. Its fields:
//
//   - Queued: the metrics accepted into the queue.
//   - Sent: the datagrams written to the agent's socket.
//   - DroppedFull: the metrics dropped because the queue was full, or
//     because the reporter had shut down.
//   - DroppedPaused: the metrics not produced because the reporter was
//     paused.
//   - Deferred: the queued metrics that the call producing them left to
//     the reporter's goroutine (the socket's buffer was full, or a backlog
//     was ahead of it): a program that exits right after such a call
//     loses them unless it calls Flush or Shutdown. They are counted as
//     Sent or WriteErrors too once written.
//   - WriteErrors: the datagrams whose write failed, for example because
//     no agent was listening.
//   - Discarded: the queued metrics never written because the reporter shut
//     down first (Shutdown's context ended).
//   - LastWriteError: the error of the most recent failed write, or nil if
//     none failed. The reporter never prints it.
//
// Every metric the middleware produces is counted exactly once as Queued,
// DroppedFull or DroppedPaused. Every queued metric is, once written or
// failed, counted exactly once as Sent or WriteErrors, or as Discarded.
type Stats = report.Stats
