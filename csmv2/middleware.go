package csmv2

import (
	"context"
	"net/http"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/opencsm/csm-go/internal/report"
)

// The IDs of the middleware that AddMiddleware adds.
const (
	// CallMiddlewareID is the Initialize middleware that sends the ApiCall
	// datagram.
	CallMiddlewareID = "CSMApiCall"
	// AttemptMiddlewareID is the Finalize middleware that sends the
	// ApiCallAttempt datagrams.
	AttemptMiddlewareID = "CSMApiCallAttempt"
)

// The IDs of aws-sdk-go-v2's middleware that AddMiddleware looks for.
const (
	// retryID is the retry loop's; every API call's stack has it.
	retryID = "Retry"
	// presignID is on the stacks of presigned requests in older SDKs; newer
	// ones have no retry middleware there.
	presignID = "PresignHTTPRequest"
	// serviceMetadataID is the Initialize middleware with which older SDKs
	// set the service ID, operation and region as stack values; newer ones
	// set them before the stack runs.
	serviceMetadataID = "RegisterServiceMetadata"
)

// AddMiddleware adds the CSM middleware to an operation's stack. It has the
// type of aws.Config.APIOptions' elements and of the functional options of
// aws-sdk-go-v2 clients' Options.APIOptions:
//
//	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
//
// It adds nothing to the stacks of presigned requests, nor to a stack that
// already has the middleware, and it never returns an error of its own. A
// nil reporter adds nothing.
//
// With SetHTTPTiming on, the attempts are timed.
func (rep *Reporter) AddMiddleware(stack *middleware.Stack) error {
	return rep.addMiddleware(stack, rep.HTTPTiming())
}

// addMiddleware is AddMiddleware, with the attempts timed when timing is
// set.
func (rep *Reporter) addMiddleware(stack *middleware.Stack, timing bool) error {
	if rep == nil || stack == nil {
		return nil
	}
	if _, ok := stack.Finalize.Get(retryID); !ok {
		return nil
	}
	if _, ok := stack.Finalize.Get(presignID); ok {
		return nil
	}
	if _, ok := stack.Initialize.Get(CallMiddlewareID); ok {
		return nil
	}
	if _, ok := stack.Finalize.Get(AttemptMiddlewareID); ok {
		return nil
	}
	var err error
	if _, ok := stack.Initialize.Get(serviceMetadataID); ok {
		err = stack.Initialize.Insert(rep.call, serviceMetadataID, middleware.After)
	} else {
		err = stack.Initialize.Add(rep.call, middleware.Before)
	}
	if err != nil {
		return err
	}
	if timing {
		if err := addRespondedMiddleware(stack); err != nil {
			return err
		}
		return stack.Finalize.Insert(rep.timedAttempt, retryID, middleware.After)
	}
	return stack.Finalize.Insert(rep.attempt, retryID, middleware.After)
}

// attemptKey is the metadata key under which the attempt middleware leaves
// its attempt's record (an *attemptRecord) for the call middleware, which
// sends the attempt's ApiCallAttempt datagram with the call's own.
// aws-sdk-go-v2's retry middleware keeps each attempt's metadata in the
// call's (retry.GetAttemptResults), so the attempts report to their call
// through the metadata the operation returns: no state is passed down the
// stack, and an operation run inside another (a credentials provider's STS
// call, DynamoDB's endpoint discovery) has metadata of its own.
//
// Sending the attempts from the call middleware lets a call read its
// service, operation and region once, from the context of the Initialize
// step, which is shallow, instead of once more per attempt from the
// Finalize step's, which every middleware in between made deeper; and a
// call's datagrams reach the queue together. An attempt's datagram
// therefore leaves when its call ends, with the timestamp and latency
// measured when the attempt ran.
type attemptKey struct{}

// attemptRecord is what the attempt middleware measured of one attempt.
// The hooks that time an attempt's HTTP exchange belong in it too.
type attemptRecord struct {
	start, end report.Tick
	req        *smithyhttp.Request  // the attempt's request, signed
	resp       *smithyhttp.Response // its raw response, if any
	err        error                // the attempt's own error, before the retry loop wraps it
	// sent is whether the attempt reached the network: the call's
	// AttemptCount counts those.
	sent bool
	// report is whether the reporter was enabled when the attempt ended,
	// which decides whether its ApiCallAttempt is sent.
	report bool
	// trace is the attempt's HTTP timing, when its attempts are timed.
	trace *report.AttemptTrace
}

// callMiddleware sends the ApiCall datagram of each API call, and the
// ApiCallAttempt datagrams of its attempts.
type callMiddleware struct {
	rep *report.Reporter
}

// ID returns CallMiddlewareID.
func (*callMiddleware) ID() string { return CallMiddlewareID }

// HandleInitialize runs the call and sends its datagrams.
func (m *callMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	out middleware.InitializeOutput, metadata middleware.Metadata, err error,
) {
	// A call that starts while the reporter is paused is not reported;
	// its attempts count their own drops, and only those that ran after a
	// Continue are sent.
	if m.rep.DropIfPaused() {
		out, metadata, err = next.HandleInitialize(ctx, in)
		m.sendAttemptsAfterContinue(ctx, metadata)
		return out, metadata, err
	}
	start := report.Now()
	out, metadata, err = next.HandleInitialize(ctx, in)
	end := report.Now()

	// Newer SDKs set these before the stack runs; older ones in their
	// RegisterServiceMetadata middleware, which AddMiddleware puts this
	// one after. They are read once, for the call and its attempts.
	metric := m.newMetric(ctx, report.KindAPICall)
	metric.Timestamp = start.UnixMilli()
	metric.Latency = end.MillisSince(start)
	sentAttempts := false
	if results, ok := retry.GetAttemptResults(metadata); ok && len(results.Results) > 0 {
		var last *attemptRecord
		for _, r := range results.Results {
			last = recordOf(r)
			if last == nil {
				continue // run while paused
			}
			if last.sent {
				metric.AttemptCount++
			}
			if last.report {
				m.sendAttempt(&metric, last)
				sentAttempts = true
			}
		}
		// The call reports its last attempt's request and response.
		if last != nil {
			m.rep.ReadRequest(&metric, httpRequest(last.req))
			if last.sent {
				metric.ReadResponse(httpResponse(last.resp))
			}
		}
	}
	// Paused during the call: its ApiCall is not sent.
	if m.rep.DropIfPaused() {
		if sentAttempts {
			m.rep.EndCall()
		}
		return out, metadata, err
	}
	if err != nil {
		metric.SetException(classify(err))
		metric.MaxRetriesExceeded = retriesExhausted(err)
	}
	m.rep.Push(&metric)
	return out, metadata, err
}

// newMetric returns a metric of kind with the fields a call and its
// attempts share.
func (m *callMiddleware) newMetric(ctx context.Context, kind report.Kind) report.Metric {
	return report.Metric{
		Kind:     kind,
		ClientID: m.rep.ClientID(),
		Service:  awsmiddleware.GetServiceID(ctx),
		API:      awsmiddleware.GetOperationName(ctx),
		Region:   awsmiddleware.GetRegion(ctx),
	}
}

// sendAttempt sends the ApiCallAttempt datagram of rec, an attempt of
// call, whose fields it shares.
func (m *callMiddleware) sendAttempt(call *report.Metric, rec *attemptRecord) {
	metric := report.Metric{
		Kind:           report.KindAPICallAttempt,
		ClientID:       call.ClientID,
		Service:        call.Service,
		API:            call.API,
		Region:         call.Region,
		Timestamp:      rec.start.UnixMilli(),
		AttemptLatency: rec.end.MillisSince(rec.start),
	}
	m.rep.ReadRequest(&metric, httpRequest(rec.req))
	metric.ReadResponse(httpResponse(rec.resp))
	if rec.err != nil {
		metric.SetException(classify(rec.err))
	}
	if rec.trace != nil {
		rec.trace.Fill(&metric)
	}
	m.rep.Push(&metric)
}

// sendAttemptsAfterContinue sends the datagrams of the attempts, of a call
// that started while the reporter was paused, that ran after a Continue.
func (m *callMiddleware) sendAttemptsAfterContinue(ctx context.Context, metadata middleware.Metadata) {
	results, ok := retry.GetAttemptResults(metadata)
	if !ok {
		return
	}
	var call report.Metric
	for _, r := range results.Results {
		if rec := recordOf(r); rec != nil && rec.report {
			if call.Kind == 0 {
				call = m.newMetric(ctx, report.KindAPICall)
			}
			m.sendAttempt(&call, rec)
		}
	}
	if call.Kind != 0 {
		m.rep.EndCall()
	}
}

// recordOf returns the record the attempt middleware left for r, or nil.
func recordOf(r retry.AttemptResult) *attemptRecord {
	rec, _ := r.ResponseMetadata.Get(attemptKey{}).(*attemptRecord)
	return rec
}

// httpRequest returns req's *http.Request, or nil.
func httpRequest(req *smithyhttp.Request) *http.Request {
	if req == nil {
		return nil
	}
	return req.Request
}

// httpResponse returns resp's *http.Response, or nil.
func httpResponse(resp *smithyhttp.Response) *http.Response {
	if resp == nil {
		return nil
	}
	return resp.Response
}

// attemptMiddleware measures each attempt and leaves its record in the
// attempt's metadata (see attemptKey).
type attemptMiddleware struct {
	rep *report.Reporter
	// timed is whether it measures each attempt's HTTP timing.
	timed bool
}

// ID returns AttemptMiddlewareID.
func (*attemptMiddleware) ID() string { return AttemptMiddlewareID }

// HandleFinalize runs one attempt and records it. The request's headers
// are read by the call middleware, after the attempt: the middleware after
// this one sign the request.
func (m *attemptMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	out middleware.FinalizeOutput, metadata middleware.Metadata, err error,
) {
	// Paused: the attempt is neither reported nor counted in its call's
	// AttemptCount. (A call during which the reporter is paused and then
	// continued can therefore be reported with fewer attempts than it
	// made.)
	if m.rep.DropIfPaused() {
		return next.HandleFinalize(ctx, in)
	}
	start := report.Now()
	// Older SDKs try an attempt whose context is already done; its
	// failure reaches no network.
	canceled := ctx.Err() != nil
	var trace *report.AttemptTrace
	if m.timed {
		ctx, trace = report.TraceAttempt(ctx)
	}
	out, metadata, err = next.HandleFinalize(ctx, in)
	rec := &attemptRecord{start: start, end: report.Now(), err: err, trace: trace}

	// The attempt reached the network when the SDK's HTTP handler ran: it
	// always leaves a raw response, an empty one when sending failed. Its
	// errors are not looked at for this: an attempt whose credentials
	// failed carries the error of the credentials' own operation (an STS
	// call's response error, say), which is not this attempt's.
	rec.resp, _ = awsmiddleware.GetRawResponse(metadata).(*smithyhttp.Response)
	rec.sent = rec.resp != nil && rec.resp.Response != nil && !canceled
	rec.req, _ = in.Request.(*smithyhttp.Request)
	// Paused during the attempt: counted in its call, not reported.
	rec.report = !m.rep.DropIfPaused()
	metadata.Set(attemptKey{}, rec)
	return out, metadata, err
}
