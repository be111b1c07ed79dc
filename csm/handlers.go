package csm

import (
	"sync"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/request"

	"github.com/opencsm/csm-go/internal/report"
)

// Client side metric handler names. They are the original package's names,
// so that InjectHandlers replaces handlers that aws-sdk-go's own session put
// there instead of running both.
const (
	APICallMetricHandlerName        = "awscsm.SendAPICallMetric"
	APICallAttemptMetricHandlerName = "awscsm.SendAPICallAttemptMetric"
)

// resetHandlerName names the handler that InjectHandlers puts first in the
// Sign list (see resetAttempt).
const resetHandlerName = "awscsm.ResetAttempt"

// injectMu serializes InjectHandlers, whose handler lists are plain slices.
var injectMu sync.Mutex

// InjectHandlers adds the reporter's handlers to handlers, so that every API
// call made by clients created from them is reported: one ApiCallAttempt
// metric per HTTP attempt, from the CompleteAttempt list, and one ApiCall
// metric per call, from the Complete list. One more handler, first in the
// Sign list, clears what the previous attempt left on the request.
//
// It replaces any handlers already there under the same names, its own or
// those of aws-sdk-go's built-in CSM, so calling it more than once never
// duplicates metrics. Calls to InjectHandlers are serialized, but the
// handler lists are aws-sdk-go's plain slices: do not call it on handlers
// from which clients are being created at the same time. Clients and
// requests copy their handlers when they are created, so only those created
// afterwards are affected, and API calls already running are not disturbed.
//
//	r, err := csm.Start("clientID", "127.0.0.1:31000")
//	if err != nil {
//		return err
//	}
//	sess := session.Must(session.NewSession())
//	r.InjectHandlers(&sess.Handlers)
//	svc := s3.New(sess)
//
// With SetHTTPTiming on, the handlers also measure each attempt's HTTP
// timing.
func (rep *Reporter) InjectHandlers(handlers *request.Handlers) {
	rep.injectHandlers(handlers, rep.HTTPTiming())
}

// injectHandlers is InjectHandlers, with the HTTP timing handlers when
// timing is set.
func (rep *Reporter) injectHandlers(handlers *request.Handlers, timing bool) {
	if rep == nil || handlers == nil {
		return
	}
	injectMu.Lock()
	defer injectMu.Unlock()

	removeHandlersLocked(handlers)
	handlers.Sign.PushFrontNamed(request.NamedHandler{Name: resetHandlerName, Fn: resetAttempt})
	handlers.Complete.PushFrontNamed(request.NamedHandler{
		Name: APICallMetricHandlerName,
		Fn:   rep.sendAPICallMetric,
	})
	attempt := rep.sendAPICallAttemptMetric
	if timing {
		addTimingHandlers(handlers)
		attempt = rep.sendTimedAttemptMetric
	}
	handlers.CompleteAttempt.PushFrontNamed(request.NamedHandler{
		Name: APICallAttemptMetricHandlerName,
		Fn:   attempt,
	})
}

// removeHandlersLocked takes the CSM handlers out of handlers. injectMu must
// be held.
func removeHandlersLocked(handlers *request.Handlers) {
	handlers.Sign.RemoveByName(resetHandlerName)
	handlers.Complete.RemoveByName(APICallMetricHandlerName)
	handlers.CompleteAttempt.RemoveByName(APICallAttemptMetricHandlerName)
	removeTimingHandlersLocked(handlers)
}

// resetAttempt runs first when a request is signed, before each attempt. It
// clears what the previous attempt left (its response, whether it was
// retryable), which aws-sdk-go would otherwise keep when signing fails, so
// that the ApiCall metric describes a failed signing as what it is: a round
// that sent nothing. Both are set again when the attempt is sent.
func resetAttempt(r *request.Request) {
	r.HTTPResponse = nil
	r.Retryable = nil
}

// sendAPICallAttemptMetric runs after each HTTP attempt.
func (rep *Reporter) sendAPICallAttemptMetric(r *request.Request) {
	rep.sendAttemptMetric(r, false)
}

// sendTimedAttemptMetric runs after each HTTP attempt when the attempts are
// timed (see SetHTTPTiming).
func (rep *Reporter) sendTimedAttemptMetric(r *request.Request) {
	rep.sendAttemptMetric(r, true)
}

// sendAttemptMetric sends the attempt's metric, with its HTTP timing if
// timed.
func (rep *Reporter) sendAttemptMetric(r *request.Request, timed bool) {
	if rep.r.DropIfPaused() {
		return
	}
	m := rep.newMetric(report.KindAPICallAttempt, r, r.AttemptTime)
	m.AttemptLatency = time.Since(r.AttemptTime).Milliseconds()
	rep.r.ReadRequest(&m, r.HTTPRequest)
	m.ReadResponse(r.HTTPResponse)
	if r.Error != nil {
		m.SetException(classify(r.Error, m.HTTPStatusCode))
	}
	if timed {
		fillTiming(&m, r)
	}
	rep.r.Push(&m)
}

// sendAPICallMetric runs once per API call, after its last attempt.
func (rep *Reporter) sendAPICallMetric(r *request.Request) {
	if rep.r.DropIfPaused() {
		rep.r.EndCall() // attempts queued before the pause
		return
	}
	m := rep.newMetric(report.KindAPICall, r, r.Time)
	m.Latency = time.Since(r.Time).Milliseconds()
	m.AttemptCount = r.RetryCount
	if sentLastAttempt(r) {
		m.AttemptCount++
	}
	rep.r.ReadRequest(&m, r.HTTPRequest)
	m.ReadResponse(r.HTTPResponse)
	if r.Error != nil {
		m.SetException(classify(r.Error, m.HTTPStatusCode))
		m.MaxRetriesExceeded = retriesExhausted(r)
	}
	rep.r.Push(&m)
}

// newMetric returns a metric of kind for r with the fields both kinds have
// from the start: start is when the call or attempt began.
func (rep *Reporter) newMetric(kind report.Kind, r *request.Request, start time.Time) report.Metric {
	return report.Metric{
		Kind:      kind,
		ClientID:  rep.r.ClientID(),
		API:       r.Operation.Name,
		Service:   r.ClientInfo.ServiceID,
		Timestamp: report.UnixMilli(start),
		Region:    aws.StringValue(r.Config.Region),
	}
}

// retriesExhausted reports whether the call failed on an error the SDK would
// have retried, had it any retries left. With retries disabled,
// aws-sdk-go's retryer calls no error retryable, so the error itself is
// asked, as the retryer would ask it.
func retriesExhausted(r *request.Request) bool {
	if r.Retryer == nil || r.RetryCount < r.MaxRetries() {
		return false
	}
	if r.MaxRetries() == 0 {
		return r.IsErrorRetryable() || r.IsErrorThrottle()
	}
	return aws.BoolValue(r.Retryable)
}

// sentLastAttempt reports whether the last round of the request's retry
// loop reached the network. A round that failed in its Build or Sign
// handlers (a parameter that failed validation, missing credentials, a
// context canceled before sending) did not: then Request.Send, before it
// runs the Complete handlers, stands in an empty response with a non-nil
// Header and no status. A response from the network, and the stand-in for a
// failed send, always differ from it.
func sentLastAttempt(r *request.Request) bool {
	resp := r.HTTPResponse
	return resp != nil && (resp.StatusCode != 0 || resp.Header == nil || len(resp.Header) > 0)
}
