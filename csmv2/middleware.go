package csmv2

import (
	"context"
	"net/url"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
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

// callKey is the stack value key of the running call's *callState.
type callKey struct{}

// callState is what the call middleware and the attempts of one call share.
type callState struct {
	start time.Time
	// Where the call runs, read once from the call's stack values.
	service, api, region string
	// attempts counts the attempts that reached the network: an attempt
	// that failed before sending (its signing, say) is no attempt.
	attempts int
	// Of the last attempt.
	status    int
	userAgent string
}

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
	// nor are its attempts: its drop is counted, and nothing else done.
	if !m.rep.Enabled() {
		return next.HandleInitialize(ctx, in)
	}
	c := &callState{
		start: time.Now(),
		// Newer SDKs set these before the stack runs; older ones in their
		// RegisterServiceMetadata middleware, which AddMiddleware puts
		// this one after.
		service: awsmiddleware.GetServiceID(ctx),
		api:     awsmiddleware.GetOperationName(ctx),
		region:  awsmiddleware.GetRegion(ctx),
	}
	out, metadata, err = next.HandleInitialize(middleware.WithStackValue(ctx, callKey{}, c), in)
	metric := report.Metric{
		Kind:           report.KindAPICall,
		ClientID:       m.rep.ClientID(),
		Service:        c.service,
		API:            c.api,
		Region:         c.region,
		Timestamp:      report.UnixMilli(c.start),
		Latency:        time.Since(c.start).Milliseconds(),
		AttemptCount:   c.attempts,
		HTTPStatusCode: c.status,
		UserAgent:      c.userAgent,
	}
	if err != nil {
		metric.SetException(classify(err))
		metric.MaxRetriesExceeded = retriesExhausted(err)
	}
	// Paused during the call: its ApiCall is not sent either.
	if m.rep.Enabled() {
		m.rep.Push(&metric)
	}
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
	c, _ := middleware.GetStackValue(ctx, callKey{}).(*callState)
	if c == nil {
		// The call started while the reporter was paused: its attempts
		// are not reported either.
		m.rep.CountPaused()
		return next.HandleFinalize(ctx, in)
	}
	// The attempt's start as an offset from the call's: a monotonic clock
	// read costs less than a wall clock one.
	offset := time.Since(c.start)
	// Older SDKs try an attempt whose context is already done; its
	// failure reaches no network.
	canceled := ctx.Err() != nil
	out, metadata, err = next.HandleFinalize(ctx, in)

	var metric report.Metric
	metric.Kind = report.KindAPICallAttempt
	if req, ok := in.Request.(*smithyhttp.Request); ok && req.Request != nil {
		if req.URL != nil {
			metric.Fqdn = hostname(req.URL.Host)
		}
		metric.UserAgent = report.Header(req.Header, "User-Agent")
		metric.AccessKey = report.AccessKeyID(report.Header(req.Header, "Authorization"))
		if m.rep.SendsToken() {
			metric.SessionToken = report.Header(req.Header, "X-Amz-Security-Token")
		}
	}
	// The attempt reached the network when the SDK's HTTP handler ran: it
	// always leaves a raw response, an empty one when sending failed. Its
	// errors are not looked at for this: an attempt whose credentials
	// failed carries the error of the credentials' own operation (an STS
	// call's response error, say), which is not this attempt's.
	sent := false
	if resp, ok := awsmiddleware.GetRawResponse(metadata).(*smithyhttp.Response); ok && resp != nil && resp.Response != nil {
		sent = !canceled
		metric.HTTPStatusCode = resp.StatusCode
		metric.XAmzID2 = report.Header(resp.Header, "X-Amz-Id-2")
		metric.XAmzRequestID = report.Header(resp.Header, "X-Amz-Request-Id")
		metric.XAmznRequestID = report.Header(resp.Header, "X-Amzn-Requestid")
	}
	if err != nil {
		metric.SetException(classify(err))
	}
	metric.Service, metric.API, metric.Region = c.service, c.api, c.region

	if sent {
		c.attempts++
	}
	c.status, c.userAgent = metric.HTTPStatusCode, metric.UserAgent
	if !m.rep.Enabled() {
		return out, metadata, err
	}
	metric.ClientID = m.rep.ClientID()
	metric.Timestamp = report.UnixMilli(c.start.Add(offset))
	metric.AttemptLatency = (time.Since(c.start) - offset).Milliseconds()
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
