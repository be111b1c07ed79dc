package csmv2

import (
	"context"
	"net/url"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/opencsm/csm-go/report"
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
func (rep *Reporter) AddMiddleware(stack *middleware.Stack) error {
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
	return stack.Finalize.Insert(rep.attempt, retryID, middleware.After)
}

// attemptKey is the metadata key under which the attempt middleware leaves
// the attempt's request (a *smithyhttp.Request) for the call middleware,
// when the attempt reached the network; unsentKey, when it did not.
// aws-sdk-go-v2's retry middleware keeps each attempt's metadata in the
// call's (retry.GetAttemptResults), so the attempts report to their call
// through the metadata the operation returns: no state is passed down the
// stack, and an operation run inside another (a credentials provider's STS
// call, DynamoDB's endpoint discovery) has metadata of its own.
type (
	attemptKey struct{}
	unsentKey  struct{}
)

// callMiddleware sends the ApiCall datagram of each API call.
type callMiddleware struct {
	rep *report.Reporter
}

// ID returns CallMiddlewareID.
func (*callMiddleware) ID() string { return CallMiddlewareID }

// HandleInitialize runs the call and sends its ApiCall datagram.
func (m *callMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	out middleware.InitializeOutput, metadata middleware.Metadata, err error,
) {
	// A call that starts while the reporter is paused is not reported,
	// nor are its attempts: each counts its drop, and nothing else is done.
	if m.rep.DropIfPaused() {
		return next.HandleInitialize(ctx, in)
	}
	start := time.Now()
	out, metadata, err = next.HandleInitialize(ctx, in)
	// Paused during the call: its ApiCall is not sent either.
	if m.rep.DropIfPaused() {
		return out, metadata, err
	}
	metric := report.Metric{
		Kind:     report.KindAPICall,
		ClientID: m.rep.ClientID(),
		// Newer SDKs set these before the stack runs; older ones in their
		// RegisterServiceMetadata middleware, which AddMiddleware puts
		// this one after.
		Service:   awsmiddleware.GetServiceID(ctx),
		API:       awsmiddleware.GetOperationName(ctx),
		Region:    awsmiddleware.GetRegion(ctx),
		Timestamp: report.UnixMilli(start),
		Latency:   time.Since(start).Milliseconds(),
	}
	if results, ok := retry.GetAttemptResults(metadata); ok && len(results.Results) > 0 {
		for _, r := range results.Results {
			if r.ResponseMetadata.Get(attemptKey{}) != nil {
				metric.AttemptCount++
			}
		}
		last := results.Results[len(results.Results)-1].ResponseMetadata
		req, sent := last.Get(attemptKey{}).(*smithyhttp.Request)
		if !sent {
			req, _ = last.Get(unsentKey{}).(*smithyhttp.Request)
		}
		if req != nil && req.Request != nil {
			metric.UserAgent = report.Header(req.Header, "User-Agent")
		}
		if resp, ok := awsmiddleware.GetRawResponse(last).(*smithyhttp.Response); sent && ok && resp != nil && resp.Response != nil {
			metric.HTTPStatusCode = resp.StatusCode
		}
	}
	if err != nil {
		metric.SetException(classify(err))
		metric.MaxRetriesExceeded = retriesExhausted(err)
	}
	m.rep.Push(&metric)
	return out, metadata, err
}

// attemptMiddleware sends the ApiCallAttempt datagram of each attempt.
type attemptMiddleware struct {
	rep *report.Reporter
}

// ID returns AttemptMiddlewareID.
func (*attemptMiddleware) ID() string { return AttemptMiddlewareID }

// HandleFinalize runs one attempt and sends its ApiCallAttempt datagram.
// The request's headers are read after the attempt: the middleware after
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
	start := time.Now()
	// Older SDKs try an attempt whose context is already done; its
	// failure reaches no network.
	canceled := ctx.Err() != nil
	out, metadata, err = next.HandleFinalize(ctx, in)

	// The attempt reached the network when the SDK's HTTP handler ran: it
	// always leaves a raw response, an empty one when sending failed. Its
	// errors are not looked at for this: an attempt whose credentials
	// failed carries the error of the credentials' own operation (an STS
	// call's response error, say), which is not this attempt's.
	resp, _ := awsmiddleware.GetRawResponse(metadata).(*smithyhttp.Response)
	sent := resp != nil && resp.Response != nil && !canceled
	req, _ := in.Request.(*smithyhttp.Request)
	if sent {
		metadata.Set(attemptKey{}, req)
	} else {
		metadata.Set(unsentKey{}, req)
	}
	// Paused during the attempt: counted in its call, not reported.
	if m.rep.DropIfPaused() {
		return out, metadata, err
	}

	metric := report.Metric{
		Kind:      report.KindAPICallAttempt,
		ClientID:  m.rep.ClientID(),
		Service:   awsmiddleware.GetServiceID(ctx),
		API:       awsmiddleware.GetOperationName(ctx),
		Region:    awsmiddleware.GetRegion(ctx),
		Timestamp: report.UnixMilli(start),
	}
	if req != nil && req.Request != nil {
		if req.URL != nil {
			metric.Fqdn = hostname(req.URL.Host)
		}
		metric.UserAgent = report.Header(req.Header, "User-Agent")
		metric.AccessKey = report.AccessKeyID(report.Header(req.Header, "Authorization"))
		if m.rep.SendsToken() {
			metric.SessionToken = report.Header(req.Header, "X-Amz-Security-Token")
		}
	}
	if resp != nil && resp.Response != nil {
		metric.HTTPStatusCode = resp.StatusCode
		metric.XAmzID2 = report.Header(resp.Header, "X-Amz-Id-2")
		metric.XAmzRequestID = report.Header(resp.Header, "X-Amz-Request-Id")
		metric.XAmznRequestID = report.Header(resp.Header, "X-Amzn-Requestid")
	}
	if err != nil {
		metric.SetException(classify(err))
	}
	metric.AttemptLatency = time.Since(start).Milliseconds()
	m.rep.Push(&metric)
	return out, metadata, err
}

// hostname is url.URL.Hostname for the host of a request's URL: the host
// without its port, and without the brackets of an IPv6 address.
func hostname(host string) string {
	if strings.IndexByte(host, ':') < 0 {
		return host // the common case: a name without a port
	}
	return (&url.URL{Host: host}).Hostname()
}
