package csm

import (
	"github.com/aws/aws-sdk-go/aws/request"

	"github.com/opencsm/csm-go/internal/report"
)

// The names of the handlers that measure an attempt's HTTP timing, in the
// Send list around aws-sdk-go's core.SendHandler.
const (
	traceHandlerName     = "awscsm.TraceAttempt"
	respondedHandlerName = "awscsm.AttemptResponded"
)

// SetHTTPTiming turns the HTTP timing fields of ApiCallAttempt metrics on or
// off for the handlers that InjectHandlers adds from then on (clients
// created from handlers injected earlier keep what they had). It is off when
// the reporter starts. Enable and NewSession also turn it on for their
// session when the CSM settings ask for it (AWS_CSM_HTTP_TIMING=true, or
// csm_http_timing = true in the shared config file); a program that calls
// Start reads no settings and uses this switch. As the reporter is the
// process's, the switch is also that of csmv2's AddMiddleware, as Pause
// is.
//
// With timing on, each attempt's request is sent with a context that
// carries an httptrace.ClientTrace of its own, and its metric carries
// DnsLatency, TcpLatency, SslLatency, ConnectLatency,
// AcquireConnectionLatency, RequestLatency, ConnectionReused and
// DestinationIp (see docs/http-timing.md for what each measures). Traces
// and context values already on the request (a tracer's, the program's)
// keep working.
func (rep *Reporter) SetHTTPTiming(on bool) { rep.core().SetHTTPTiming(on) }

// HTTPTiming reports whether InjectHandlers adds the handlers that measure
// the HTTP timing fields (see SetHTTPTiming).
func (rep *Reporter) HTTPTiming() bool { return rep.core().HTTPTiming() }

// addTimingHandlers puts the handlers that time each attempt around
// aws-sdk-go's send handler. injectMu must be held.
func addTimingHandlers(handlers *request.Handlers) {
	handlers.Send.PushFrontNamed(request.NamedHandler{Name: traceHandlerName, Fn: traceAttempt})
	handlers.Send.PushBackNamed(request.NamedHandler{Name: respondedHandlerName, Fn: attemptResponded})
}

// removeTimingHandlersLocked takes the timing handlers out of handlers.
// injectMu must be held.
func removeTimingHandlersLocked(handlers *request.Handlers) {
	handlers.Send.RemoveByName(traceHandlerName)
	handlers.Send.RemoveByName(respondedHandlerName)
}

// traceAttempt runs right before the attempt is sent: it sends the request
// with a context that reports its connection to a new AttemptTrace.
// aws-sdk-go keeps the request's context from one attempt to the next, so
// the previous attempt's trace is taken off first, unless someone derived
// another context from it since.
func traceAttempt(r *request.Request) {
	req := r.HTTPRequest
	if req == nil {
		return
	}
	ctx, _ := report.TraceAttempt(req.Context())
	r.HTTPRequest = req.WithContext(ctx)
}

// attemptResponded runs after aws-sdk-go's send handler: the HTTP client
// returned the response's headers.
func attemptResponded(r *request.Request) {
	if r.Error != nil || r.HTTPRequest == nil || r.HTTPResponse == nil {
		return
	}
	report.AttemptTraceFrom(r.HTTPRequest.Context()).Responded()
}

// fillTiming sets the HTTP timing fields of m from the attempt's trace.
func fillTiming(m *report.Metric, r *request.Request) {
	if r.HTTPRequest != nil {
		report.AttemptTraceFrom(r.HTTPRequest.Context()).Fill(m)
	}
}
