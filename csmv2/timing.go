package csmv2

import (
	"context"

	"github.com/aws/smithy-go/middleware"

	"github.com/opencsm/csm-go/internal/report"
)

// RespondedMiddlewareID is the Deserialize middleware that AddMiddleware
// adds, innermost, when the attempts are timed: it marks when the HTTP
// client returned the response's headers.
const RespondedMiddlewareID = "CSMApiCallAttemptResponded"

// SetHTTPTiming turns the HTTP timing fields of ApiCallAttempt metrics on or
// off for the API calls made from then on by clients whose APIOptions have
// AddMiddleware. It is off when the reporter starts. Enable also turns
// timing on for the clients made from its config when the CSM settings ask
// for it (AWS_CSM_HTTP_TIMING=true, or csm_http_timing = true in the shared
// config file); a program that calls Start reads no settings and uses this
// switch. As the reporter is the process's, the switch is also that of
// package csm's InjectHandlers, as Pause is.
//
// With timing on, each attempt's request is sent with a context that
// carries an httptrace.ClientTrace of its own, and its metric carries
// DnsLatency, TcpLatency, SslLatency, ConnectLatency,
// AcquireConnectionLatency, RequestLatency, ConnectionReused and
// DestinationIp (see docs/http-timing.md for what each measures), with the
// same meaning as in package csm's metrics. Traces and values already in
// the operation's context (a tracer's, the program's) keep working.
func (rep *Reporter) SetHTTPTiming(on bool) { rep.core().SetHTTPTiming(on) }

// HTTPTiming reports whether AddMiddleware adds timed middleware (see
// SetHTTPTiming).
func (rep *Reporter) HTTPTiming() bool { return rep.core().HTTPTiming() }

// addTimedMiddleware is AddMiddleware with the attempts timed, whatever
// SetHTTPTiming says: Enable adds it when the settings ask for timing.
func (rep *Reporter) addTimedMiddleware(stack *middleware.Stack) error {
	return rep.addMiddleware(stack, true)
}

// respondedMiddleware marks the end of each attempt's round trip in its
// AttemptTrace.
type respondedMiddleware struct{}

// ID returns RespondedMiddlewareID.
func (respondedMiddleware) ID() string { return RespondedMiddlewareID }

// HandleDeserialize runs the round trip (the next handler is the SDK's HTTP
// client) and marks its end.
func (respondedMiddleware) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	out middleware.DeserializeOutput, metadata middleware.Metadata, err error,
) {
	out, metadata, err = next.HandleDeserialize(ctx, in)
	if err == nil {
		report.AttemptTraceFrom(ctx).Responded()
	}
	return out, metadata, err
}

// addRespondedMiddleware adds respondedMiddleware last in the Deserialize
// step, right before the HTTP client, unless the stack has it.
func addRespondedMiddleware(stack *middleware.Stack) error {
	if _, ok := stack.Deserialize.Get(RespondedMiddlewareID); ok {
		return nil
	}
	return stack.Deserialize.Add(respondedMiddleware{}, middleware.After)
}
