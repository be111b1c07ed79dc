package csm

import (
	"context"

	"github.com/opencsm/csm-go/internal/report"
)

// Reporter gathers the metrics of API requests and sends them to the CSM
// agent. A process has at most one, started by Start or Enable and returned
// by Get; the aws-sdk-go-v2 integration (module
// github.com/opencsm/csm-go/csmv2) shares it, so that v1 and v2 clients in
// one program send one stream. All of its methods are safe to call from
// many goroutines at once, and all of them are no-ops on a nil *Reporter.
type Reporter struct {
	r *report.Reporter
}

// wrapped is the Reporter of the process's reporter, made once for it.
var wrapped report.Wrapper[Reporter]

// wrap returns the *Reporter of r, the same one every time for the same r.
func wrap(r *report.Reporter) *Reporter {
	return wrapped.Wrap(r, func(r *report.Reporter) *Reporter { return &Reporter{r: r} })
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
// is paused are not reported (they are counted in Stats.DroppedPaused).
// Metrics already queued are still sent. Pause may be called any number of
// times; Continue resumes. As the reporter is the process's, Pause also
// pauses the reporting of aws-sdk-go-v2 clients.
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
// reporter is the process's, this stops the reporting of aws-sdk-go-v2
// clients too. Metrics produced afterwards are dropped (counted in
// DroppedFull); Start or Enable starts a new reporter, whose handlers must
// then be injected again. Shutdown returns ctx.Err() if ctx ended before
// everything queued was written; the reporter stops either way.
//
// A program need not call it before it exits: when a call returns, its
// datagrams are in the kernel, except those counted in Stats as dropped
// (never sent) or deferred (see the package documentation), which Flush and
// Shutdown write.
func (rep *Reporter) Shutdown(ctx context.Context) error { return rep.core().Shutdown(ctx) }
